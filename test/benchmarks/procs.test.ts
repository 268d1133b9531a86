/**
 * The benchmark's machine readings: the host's share of this machine's CPU time, the idle
 * share of one CPU, and a process tree's CPU time split into user space and kernel.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { cpuIdle, cpuPerRequest, cpuSteal, treeCpuSplitMs } from '../../benchmarks/procs.js';

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

test('cpuIdle gives the idle share of one CPU between two readings, NaN for a CPU the machine does not have', { skip: !existsSync('/proc/stat') }, async () => {
  const idle = cpuIdle(0);
  const missing = cpuIdle(100_000);
  // The kernel counts in 10 ms ticks, on every CPU whether busy or idle.
  await new Promise((r) => setTimeout(r, 100));
  const share = idle.stop();
  assert.ok(share >= 0 && share <= 1, `share ${share}`);
  assert.ok(Number.isNaN(missing.stop()));
});

test('treeCpuSplitMs tells user-space time from kernel time of a process tree', { skip: !existsSync('/proc/self/stat') }, async () => {
  // A child that computes for 300 ms of its own CPU time (user space), then writes to
  // /dev/null for 150 ms of kernel time, and reports what it used.
  const script = `
    const fs = require('node:fs'); const fd = fs.openSync('/dev/null', 'w'); const b = Buffer.alloc(1);
    const t0 = process.cpuUsage();
    while (process.cpuUsage(t0).user < 300_000) Math.sqrt(Math.random());
    while (process.cpuUsage(t0).system < 150_000) fs.writeSync(fd, b);
    process.stdout.write(JSON.stringify(process.cpuUsage()));
    setTimeout(() => {}, 5000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const own = await new Promise<{ user: number; system: number }>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()))));
    const t = treeCpuSplitMs(child.pid!);
    // /proc counts in 10 ms ticks; the two readings are taken a moment apart.
    assert.ok(Math.abs(t.user - own.user / 1000) <= 60, `user ${t.user} ms, the child says ${own.user / 1000} ms`);
    assert.ok(Math.abs(t.sys - own.system / 1000) <= 60, `kernel ${t.sys} ms, the child says ${own.system / 1000} ms`);
    assert.ok(t.user >= 250 && t.sys >= 100, `user ${t.user} ms, kernel ${t.sys} ms`);
  } finally {
    child.kill();
  }
});

test('cpuPerRequest turns two readings into microseconds per request, in all and in the kernel', () => {
  assert.deepEqual(cpuPerRequest({ user: 100, sys: 50 }, { user: 300, sys: 150 }, 1_000), { cpuUs: 300, sysUs: 100 });
  const none = cpuPerRequest({ user: 0, sys: 0 }, { user: 10, sys: 10 }, 0);
  assert.ok(Number.isNaN(none.cpuUs) && Number.isNaN(none.sysUs));
});
