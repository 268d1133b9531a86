/**
 * Command-line flags: quick mode (fromFlags) and overrides of a loaded file (applyOverrides).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyOverrides, ConfigError, fromFlags, parseConfig, type ResolvedConfig } from '../../src/config/index.js';
import { backend, mirror, shadow, TIMEOUTS } from './helpers.js';

describe('quick mode (fromFlags)', () => {
  it('builds one catch-all route with url|10% and url|50 mirrors', () => {
    const config = fromFlags({
      listen: ':8080',
      admin: 'off',
      primary: 'http://127.0.0.1:3000/',
      mirror: ['http://127.0.0.1:3001|10%', 'http://127.0.0.1:3002|50', 'http://127.0.0.1:3002|5%|20'],
      workers: '2',
      store: 'results.db',
      logLevel: 'warn',
    });
    assert.deepStrictEqual(config, {
      listen: { host: '0.0.0.0', port: 8080 },
      admin: { listen: null },
      workers: 2,
      log: { level: 'warn' },
      timeouts: TIMEOUTS,
      store: 'results.db',
      routes: [
        {
          name: 'default',
          match: {},
          primary: 'http://127.0.0.1:3000',
          mirrors: [
            mirror('127.0.0.1:3001', 'http://127.0.0.1:3001', { sample: { percent: 10, mode: 'counter' } }),
            mirror('127.0.0.1:3002', 'http://127.0.0.1:3002', { rate: 50 }),
            mirror('127.0.0.1:3002-2', 'http://127.0.0.1:3002', { sample: { percent: 5, mode: 'counter' }, rate: 20 }),
          ],
        },
      ],
    } satisfies ResolvedConfig);
  });

  it('adds shadow testing with --candidate and --secondary', () => {
    const config = fromFlags({ primary: 'http://127.0.0.1:3000', candidate: ['http://127.0.0.1:4000', 'http://127.0.0.1:4001'], secondary: 'http://127.0.0.1:3001' });
    assert.deepStrictEqual(
      config.routes[0].shadow,
      shadow([backend('127.0.0.1:4000', 'http://127.0.0.1:4000'), backend('127.0.0.1:4001', 'http://127.0.0.1:4001')], {
        secondary: backend('127.0.0.1:3001', 'http://127.0.0.1:3001'),
      }),
    );
  });

  it('reports every bad flag as a usage error', () => {
    assert.throws(
      () => fromFlags({ primary: 'http://127.0.0.1:3000', listen: 'x', workers: 'lots', mirror: ['http://127.0.0.1:3001|nope', 'http://127.0.0.1:3000'] }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'DOPPEL_ERR_USAGE');
        assert.deepEqual(err.message.split('\n'), [
          '--listen: invalid listen address "x"; use host:port, :port, [ipv6]:port or a port number',
          '--workers: expected a positive integer or "auto", got "lots"',
          '--mirror: invalid suffix "nope" in "http://127.0.0.1:3001|nope"; use |10% for a sample percentage and/or |50 for a rate limit in requests per second',
          '--mirror: mirror target http://127.0.0.1:3000 is the primary of route "default"; mirroring it would double the traffic to it',
        ]);
        return true;
      },
    );
  });

  it('needs --primary, and --candidate for --secondary; a public admin needs a token', () => {
    assert.throws(() => fromFlags({}), { code: 'DOPPEL_ERR_USAGE', message: /--primary/ });
    assert.throws(() => fromFlags({ primary: 'http://h:1', secondary: 'http://s:1' }), { code: 'DOPPEL_ERR_USAGE', message: /--secondary/ });
    assert.throws(() => fromFlags({ primary: 'http://h:1', admin: '0.0.0.0:9090' }), { code: 'DOPPEL_ERR_USAGE', message: /not a loopback address/ });
    const ok = fromFlags({ primary: 'http://h:1', admin: '0.0.0.0:9090', adminToken: 't' });
    assert.deepEqual(ok.admin, { listen: { host: '0.0.0.0', port: 9090 }, token: 't' });
  });
});

describe('overrides (applyOverrides)', () => {
  const file = [
    'routes:',
    '  - name: a',
    '    primary: http://127.0.0.1:3000',
    '    mirrors: [http://127.0.0.1:3001]',
    '    shadow: { candidate: http://127.0.0.1:4000, secondary: { name: sec, url: "http://127.0.0.1:4001" }, timeout: 1s }',
    '  - name: b',
    '    primary: http://127.0.0.1:5000',
  ].join('\n');

  it('replaces settings, primaries, mirrors and candidates; leaves the input alone', () => {
    const base = parseConfig(file, 'f.yaml', {});
    const before = structuredClone(base);
    const out = applyOverrides(base, {
      listen: 9999,
      admin: '127.0.0.1:0',
      workers: 4,
      logLevel: 'error',
      store: 'postgres://db/x',
      primary: 'http://127.0.0.1:7000',
      mirror: ['http://127.0.0.1:7001|25%'],
      candidate: ['http://127.0.0.1:7002'],
    });
    assert.deepStrictEqual(base, before);
    assert.deepEqual(out.listen, { host: '127.0.0.1', port: 9999 });
    assert.deepEqual(out.admin, { listen: { host: '127.0.0.1', port: 0 } });
    assert.equal(out.workers, 4);
    assert.equal(out.log.level, 'error');
    assert.equal(out.store, 'postgres://db/x');
    const m = mirror('127.0.0.1:7001', 'http://127.0.0.1:7001', { sample: { percent: 25, mode: 'counter' } });
    const cand = [backend('127.0.0.1:7002', 'http://127.0.0.1:7002')];
    assert.deepStrictEqual(out.routes[0], {
      name: 'a',
      match: {},
      primary: 'http://127.0.0.1:7000',
      mirrors: [m],
      shadow: shadow(cand, { secondary: backend('sec', 'http://127.0.0.1:4001'), timeout: 1000 }),
    });
    assert.deepStrictEqual(out.routes[1], { name: 'b', match: {}, primary: 'http://127.0.0.1:7000', mirrors: [m], shadow: shadow(cand) });
  });

  it('sets the secondary of routes with shadow testing only', () => {
    const out = applyOverrides(parseConfig(file, 'f.yaml', {}), { secondary: 'http://127.0.0.1:4000' });
    assert.deepEqual(out.routes[0].shadow?.secondary, backend('127.0.0.1:4000-2', 'http://127.0.0.1:4000'));
    assert.equal(out.routes[1].shadow, undefined);
  });

  it('without flags returns an equal copy', () => {
    const base = parseConfig(file, 'f.yaml', {});
    assert.deepStrictEqual(applyOverrides(base, {}), base);
  });
});
