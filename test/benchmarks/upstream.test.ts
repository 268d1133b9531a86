/**
 * The benchmark's upstream (benchmarks/upstream.ts) counts what it receives, which the
 * benchmark reads to show the share of client requests whose copy reached its target:
 * its own `/__stats` and `/__reset` requests are not counted, POST bodies are.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { table } from '../../benchmarks/report.js';
import type { CaseResult } from '../../benchmarks/scenarios.js';
import { startBenchScript } from '../helpers/bench-script.js';
import { cleanup } from '../helpers/cleanup.js';

const c = cleanup();

interface Stats {
  requests: number;
  posts: number;
  bodyBytes: number;
}

test('the upstream counts the requests it answers, not the reads of its counters', async () => {
  const { url } = await startBenchScript(c, 'upstream.ts', ['--port', '0']);
  const stats = async () => (await (await fetch(`${url}/__stats`)).json()) as Stats;
  assert.equal((await stats()).requests, 0);
  for (const path of ['/', '/5k', '/x?y=1']) assert.equal((await fetch(`${url}${path}`)).status, 200);
  for (let i = 0; i < 2; i++) assert.equal((await fetch(`${url}/post`, { method: 'POST', body: Buffer.alloc(1000, 7) })).status, 200);
  const s = await stats();
  assert.deepEqual([s.requests, s.posts, s.bodyBytes], [5, 2, 2000]);
  assert.equal((await stats()).requests, 5, 'reading the counters is not counted');
  assert.equal((await fetch(`${url}/__reset`, { method: 'POST' })).status, 204);
  assert.equal((await stats()).requests, 0);
});

test('the throughput table shows the median share of copies received for cases with copies', () => {
  const run = (copies: number) => ({ rps: 1000, p50: 1, p99: 2, requests: 10_000, errors: 0, rssMb: 50, cpuUs: 100, sysUs: 20, steal: 0, copies, loadIdle: 0.1 });
  const results = new Map<string, CaseResult>([
    ['m', { case: { id: 'm', system: 'doppel + mirror (fast, w=1)', kind: 'GET 1 KB', url: 'http://127.0.0.1:1/', pid: 1, copies: 'http://127.0.0.1:2/__stats' }, runs: [run(1.002), run(0.5), run(0.998)] }],
    ['p', { case: { id: 'p', system: 'doppel (w=1)', kind: 'GET 1 KB', url: 'http://127.0.0.1:3/', pid: 1 }, runs: [run(Number.NaN)] }],
  ]);
  const lines = table(results).split('\n');
  assert.match(lines[0], /\| proxy peak RSS MB \| copies received \| errors \|$/);
  assert.match(lines[2], /^\| doppel \+ mirror \(fast, w=1\) \| .* \| 50 \| 99\.8% \| 0 \|$/);
  assert.match(lines[3], /^\| doppel \(w=1\) \| .* \| 50 \| - \| 0 \|$/);
});
