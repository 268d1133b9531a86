/**
 * The benchmark's machine readings: the host's share of this machine's CPU time, and a
 * process tree's CPU time split into user space and kernel.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { cpuSteal, treeCpuSplitMs } from '../../benchmarks/procs.js';

test('cpuSteal gives the share of CPU time stolen between two readings, from /proc/stat', { skip: !existsSync('/proc/stat') }, async () => {
  const stolen = cpuSteal();
  // Let the kernel's tick counters move (they count in 10 ms ticks).
  const end = Date.now() + 60;
  while (Date.now() < end) Math.sqrt(Math.random());
  await new Promise((r) => setTimeout(r, 40));
  const share = stolen.stop();
  assert.equal(typeof share, 'number');
  assert.ok(share >= 0 && share <= 1, `share ${share}`);
});

test('treeCpuSplitMs tells user-space time from kernel time of a process tree', { skip: !existsSync('/proc/self/stat') }, async () => {
  // A child that computes for 300 ms (user space), then writes to /dev/null for 300 ms (the kernel).
  const script = `
    let end = Date.now() + 300; while (Date.now() < end) Math.sqrt(Math.random());
    const fs = require('node:fs'); const fd = fs.openSync('/dev/null', 'w'); const b = Buffer.alloc(1);
    end = Date.now() + 300; while (Date.now() < end) fs.writeSync(fd, b);
    process.stdout.write('done');
    setTimeout(() => {}, 5000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const t = treeCpuSplitMs(child.pid!);
    assert.ok(t.user >= 150, `user ${t.user} ms`);
    assert.ok(t.sys >= 50, `kernel ${t.sys} ms`);
    assert.ok(t.user + t.sys <= 2000, `total ${t.user + t.sys} ms`);
  } finally {
    child.kill();
  }
});
