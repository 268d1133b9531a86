/**
 * The benchmark's machine readings: the host's share of this machine's CPU time.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { cpuSteal } from '../../benchmarks/procs.js';

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
