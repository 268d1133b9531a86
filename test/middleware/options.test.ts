/** Options of the mirror middleware: the documented defaults are really applied. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveMirrorOptions, percentage } from '../../src/middleware/options.js';
import { DoppelError } from '../../src/core/errors.js';

test('string targets: every request, 5 s timeout, 1 MiB body limit, 256 in flight, body copied, async', () => {
  const o = resolveMirrorOptions(['https://staging.example.com', 'http://127.0.0.1:3001/base']);
  assert.equal(o.async, true);
  assert.equal(o.name, 'middleware');
  assert.equal(o.targets.length, 2);
  const [a, b] = o.targets;
  assert.equal(a.name, 'staging.example.com');
  assert.equal(a.url, 'https://staging.example.com/');
  assert.deepEqual(a.sample, { percent: 100, mode: 'counter' });
  assert.equal(a.timeout, 5000);
  assert.equal(a.maxBodySize, 1024 * 1024);
  assert.equal(a.maxInFlight, 256);
  assert.equal(a.copyBody, true);
  assert.equal(a.host, 'target');
  assert.equal(a.rate, undefined);
  assert.equal(a.methods, undefined);
  assert.equal(b.name, '127.0.0.1:3001');
  assert.equal(b.url, 'http://127.0.0.1:3001/base');
});

test('options object: middleware-wide values apply to targets that do not set their own', () => {
  const o = resolveMirrorOptions([
    {
      targets: [percentage('https://canary.example.com', 5), { url: 'https://a.example.com', timeout: 100, copyBody: true, methods: ['post'], name: 'a' }],
      timeout: 10_000,
      async: false,
      copyBody: false,
      maxBodySize: 10,
      maxInFlight: 3,
      host: 'original',
    },
  ]);
  assert.equal(o.async, false);
  const [canary, a] = o.targets;
  assert.equal(canary.sample.percent, 5);
  assert.equal(canary.sample.mode, 'counter');
  assert.equal(canary.timeout, 10_000);
  assert.equal(canary.copyBody, false);
  assert.equal(canary.maxBodySize, 10);
  assert.equal(canary.maxInFlight, 3);
  assert.equal(canary.host, 'original');
  assert.equal(a.timeout, 100);
  assert.equal(a.copyBody, true);
  assert.deepEqual(a.methods, ['POST']);
  assert.equal(a.name, 'a');
});

test('sampling modes and keys pass through; duplicate names are made unique', () => {
  const o = resolveMirrorOptions([
    { url: 'http://h:1/a', sample: { percent: 30, mode: 'hash', key: { source: 'header', name: 'x-user' } } },
    { url: 'http://h:1/b', percentage: 0 },
  ]);
  assert.deepEqual(o.targets[0].sample, { percent: 30, mode: 'hash', key: { source: 'header', name: 'x-user' } });
  assert.equal(o.targets[1].sample.percent, 0);
  assert.deepEqual(o.targets.map((t) => t.name), ['h:1', 'h:1-2']);
});

test('invalid options throw DOPPEL_ERR_CONFIG_INVALID', () => {
  const bad = (args: Parameters<typeof resolveMirrorOptions>[0], re: RegExp) =>
    assert.throws(() => resolveMirrorOptions(args), (e: unknown) => e instanceof DoppelError && e.code === 'DOPPEL_ERR_CONFIG_INVALID' && re.test(e.message));
  bad([], /at least one target/);
  bad([{ targets: [] }], /at least one target/);
  bad(['not a url'], /not a URL/);
  bad(['ftp://example.com'], /not an http/);
  bad([percentage('http://a', 101)], /at most 100/);
  bad([{ targets: ['http://a'], timeout: -1 }], /timeout/);
  bad([{ targets: [{ url: 'http://a', pipelining: 0 }] }], /pipelining must be an integer from 1 to 64, got 0/);
  bad([{ targets: [{ url: 'http://a', pipelining: 1.5 }] }], /pipelining/);
});
