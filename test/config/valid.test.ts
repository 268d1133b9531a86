/**
 * Valid configurations: the example file against its full resolved form, defaults,
 * nested routes, environment variables and value units.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfigFile, parseConfig, type MirrorTargetSpec, type ResolvedConfig, type ShadowSpec } from '../../src/config/index.js';
import { parseDuration, parsePercent, parseSize } from '../../src/config/units.js';
import { backend, mirror, NO_HEADERS, shadow, TIMEOUTS } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = resolve(root, 'examples/doppel.yaml');

describe('examples/doppel.yaml', () => {
  const apiMatch = {
    hosts: ['api.example.com', '*.api.example.com'],
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
  };
  const apiMirrors: MirrorTargetSpec[] = [
    {
      name: '10.0.0.12:3000',
      url: 'http://10.0.0.12:3000',
      sample: { percent: 10, mode: 'counter' },
      timeout: 3000,
      maxBodySize: 524288,
      maxInFlight: 128,
      pipelining: 1,
      copyBody: true,
      headers: NO_HEADERS,
      rewrite: {},
      host: 'original',
      breaker: { failures: 5, cooldown: 10000 },
    },
    {
      name: 'staging',
      url: 'https://staging.internal.example.com/base',
      sample: { percent: 25, mode: 'hash', key: { source: 'header', name: 'x-user-id' } },
      rate: 200,
      timeout: 5000,
      maxBodySize: 1048576,
      maxInFlight: 256,
      pipelining: 8,
      methods: ['GET', 'POST'],
      copyBody: true,
      headers: { set: { 'x-doppel-env': 'staging' }, remove: ['authorization', 'cookie'] },
      rewrite: { path: { from: '^/api/v1/', to: '/api/v2/' } },
      host: 'target',
      breaker: { failures: 10, cooldown: 30000 },
    },
  ];
  const apiShadow: ShadowSpec = {
    candidates: [
      { name: '127.0.0.1:4000', url: 'http://127.0.0.1:4000', headers: NO_HEADERS, rewrite: {}, host: 'original' },
      {
        name: 'next',
        url: 'http://127.0.0.1:4100',
        headers: { set: { 'x-shadow': '1' }, remove: [] },
        rewrite: { stripPrefix: '/api', prefix: '/v5' },
        host: 'shadow-suffix',
      },
    ],
    secondary: { name: '127.0.0.1:3001', url: 'http://127.0.0.1:3001', headers: NO_HEADERS, rewrite: {}, host: 'original' },
    sample: { percent: 50, mode: 'counter' },
    methods: ['GET', 'HEAD'],
    timeout: 4000,
    maxInFlight: 64,
    pipelining: 1,
    maxBodySize: 262144,
    compare: {
      status: true,
      headers: { enabled: true, include: null, ignore: ['x-request-id', 'x-runtime'] },
      body: true,
      jq: [],
      ignore: ['$.meta.generatedAt', '$..updatedAt'],
      arrays: { mode: 'ordered' },
      arraysAt: [
        { path: '$.items', mode: { mode: 'byKey', key: 'id', order: true } },
        { path: '$.tags', mode: { mode: 'unordered' } },
      ],
      numericTolerance: 0.001,
      maxCompareSize: 2097152,
    },
    noise: { relative: 0.2, absolute: 0.0003 },
  };
  const expected: ResolvedConfig = {
    file: EXAMPLE,
    listen: { host: '127.0.0.1', port: 8080 },
    admin: { listen: { host: '127.0.0.1', port: 9090 }, token: 'change-me' },
    workers: 2,
    log: { level: 'info' },
    timeouts: { connect: 2000, primary: 15000, idle: 30000, clientHeaders: 60000, shutdownGrace: 10000, mirrorGrace: 2000 },
    store: resolve(root, 'examples/doppel.db'),
    routes: [
      {
        name: 'internal',
        match: { ...apiMatch, path: { type: 'prefix', value: '/api/internal/' } },
        primary: 'http://127.0.0.1:3000',
        mirrors: [],
        shadow: apiShadow,
      },
      {
        name: 'api/1',
        match: {
          ...apiMatch,
          path: { type: 'glob', value: '/api/reports/*' },
          headers: [{ name: 'x-report-version', value: '2' }],
        },
        primary: 'http://127.0.0.1:3000',
        mirrors: apiMirrors,
        shadow: {
          candidates: [{ name: '127.0.0.1:4000', url: 'http://127.0.0.1:4000', headers: NO_HEADERS, rewrite: {}, host: 'original' }],
          sample: { percent: 100, mode: 'counter' },
          methods: ['GET', 'HEAD', 'OPTIONS'],
          timeout: 5000,
          maxInFlight: 256,
          pipelining: 1,
          maxBodySize: 1048576,
          compare: {
            status: true,
            headers: { enabled: false, include: null, ignore: [] },
            body: true,
            jq: ['.summary', '.rows | length'],
            ignore: [],
            arrays: { mode: 'ordered' },
            arraysAt: [],
            numericTolerance: 0,
            maxCompareSize: 1048576,
          },
          noise: { relative: 0.2, absolute: 0.0003 },
        },
        endpoint: 'GET /api/reports/:id',
      },
      {
        name: 'api',
        match: { ...apiMatch, path: { type: 'prefix', value: '/api/' } },
        primary: 'http://127.0.0.1:3000',
        mirrors: apiMirrors,
        shadow: apiShadow,
      },
      {
        name: 'static',
        match: { path: { type: 'prefix', value: '/static/' }, methods: ['GET'] },
        primary: 'http://127.0.0.1:8000',
        mirrors: [
          {
            name: '127.0.0.1:8001',
            url: 'http://127.0.0.1:8001',
            sample: { percent: 5, mode: 'counter' },
            rate: 50,
            timeout: 3000,
            maxBodySize: 524288,
            maxInFlight: 128,
            pipelining: 1,
            copyBody: true,
            headers: NO_HEADERS,
            rewrite: {},
            host: 'original',
            breaker: { failures: 5, cooldown: 10000 },
          },
        ],
      },
    ],
  };

  it('loads into the expected resolved configuration', () => {
    assert.deepStrictEqual(loadConfigFile(EXAMPLE, { env: {} }), expected);
  });

  it('takes the admin token from the environment', () => {
    const config = loadConfigFile(EXAMPLE, { env: { DOPPEL_ADMIN_TOKEN: 's3cret' } });
    assert.equal(config.admin.token, 's3cret');
  });

  it('applies overrides given to loadConfigFile', () => {
    const config = loadConfigFile(EXAMPLE, { env: {}, overrides: { listen: ':80', logLevel: 'debug' } });
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 80 });
    assert.equal(config.log.level, 'debug');
  });

  it('reports a missing file', () => {
    assert.throws(() => loadConfigFile(resolve(root, 'examples/nope.yaml')), { code: 'DOPPEL_ERR_CONFIG_NOT_FOUND' });
  });
});

describe('defaults', () => {
  it('fills in everything for a minimal configuration', () => {
    const config = parseConfig('routes:\n  - primary: http://127.0.0.1:3000\n    mirrors: [http://127.0.0.1:3001]\n', 'min.yaml', {});
    assert.deepStrictEqual(config, {
      listen: { host: '127.0.0.1', port: 8080 },
      admin: { listen: { host: '127.0.0.1', port: 9090 } },
      workers: 1,
      log: { level: 'info' },
      timeouts: TIMEOUTS,
      routes: [{ name: 'route-0', match: {}, primary: 'http://127.0.0.1:3000', mirrors: [mirror('127.0.0.1:3001', 'http://127.0.0.1:3001')] }],
    } satisfies ResolvedConfig);
  });

  it('applies defaults.mirror under the target and over the built-in defaults', () => {
    const config = parseConfig(
      [
        'defaults:',
        '  mirror: { timeout: 2s, maxBodySize: 64KB, maxInFlight: 8, sample: 50%, body: false, host: target }',
        'routes:',
        '  - primary: http://127.0.0.1:3000',
        '    mirrors:',
        '      - http://127.0.0.1:3001',
        '      - { url: http://127.0.0.1:3001/x, timeout: 250ms, sample: { percent: 1, mode: random } }',
      ].join('\n'),
      'f.yaml',
      {},
    );
    const base = { timeout: 2000, maxBodySize: 64000, maxInFlight: 8, sample: { percent: 50, mode: 'counter' as const }, copyBody: false, host: 'target' as const };
    assert.deepStrictEqual(config.routes[0].mirrors, [
      mirror('127.0.0.1:3001', 'http://127.0.0.1:3001', base),
      mirror('127.0.0.1:3001-2', 'http://127.0.0.1:3001/x', { ...base, timeout: 250, sample: { percent: 1, mode: 'random' } }),
    ]);
  });

  it('uses hash mode when a sample key is given, and accepts every key form', () => {
    const config = parseConfig(
      [
        'routes:',
        '  - primary: http://127.0.0.1:3000',
        '    mirrors:',
        '      - { url: http://a:1, sample: { percent: 10, key: "header:X-User" } }',
        '      - { url: http://b:1, sample: { key: "cookie:sid" } }',
        '      - { url: http://c:1, sample: { key: "query:user", mode: hash } }',
        '      - { url: http://d:1, sample: { key: ip } }',
      ].join('\n'),
      'f.yaml',
      {},
    );
    assert.deepStrictEqual(
      config.routes[0].mirrors.map((m) => m.sample),
      [
        { percent: 10, mode: 'hash', key: { source: 'header', name: 'x-user' } },
        { percent: 100, mode: 'hash', key: { source: 'cookie', name: 'sid' } },
        { percent: 100, mode: 'hash', key: { source: 'query', name: 'user' } },
        { percent: 100, mode: 'hash', key: { source: 'ip' } },
      ],
    );
  });

  it('reads admin off, admin listen off, workers auto and listen forms', () => {
    const route = 'routes: [{ primary: "http://h:1" }]\n';
    assert.equal(parseConfig(`admin: off\n${route}`, 'f', {}).admin.listen, null);
    assert.equal(parseConfig(`admin: { listen: off }\n${route}`, 'f', {}).admin.listen, null);
    assert.equal(parseConfig(`workers: auto\n${route}`, 'f', {}).workers, availableParallelism());
    const listen = (v: string) => parseConfig(`listen: ${v}\n${route}`, 'f', {}).listen;
    assert.deepEqual(listen('9000'), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(listen('":9000"'), { host: '0.0.0.0', port: 9000 });
    assert.deepEqual(listen('"[::1]:9000"'), { host: '::1', port: 9000 });
    assert.deepEqual(listen('localhost:0'), { host: 'localhost', port: 0 });
    const admin = parseConfig(`admin: { listen: "0.0.0.0:9090", token: t }\n${route}`, 'f', {}).admin;
    assert.deepEqual(admin, { listen: { host: '0.0.0.0', port: 9090 }, token: 't' });
  });

  it('keeps a relative store as written in parseConfig, URLs always', () => {
    assert.equal(parseConfig('store: ./x.db\nroutes: [{ primary: "http://h:1" }]', 'f', {}).store, './x.db');
    assert.equal(parseConfig('store: postgres://u@db/doppel\nroutes: [{ primary: "http://h:1" }]', 'f', {}).store, 'postgres://u@db/doppel');
  });

  it('follows YAML anchors and merge keys; ignores top-level x- keys', () => {
    const config = parseConfig(
      [
        'x-common: &common { timeout: 1s, methods: [get] }',
        'routes:',
        '  - primary: http://127.0.0.1:3000',
        '    mirrors:',
        '      - { <<: *common, url: http://127.0.0.1:3001 }',
      ].join('\n'),
      'f.yaml',
      {},
    );
    assert.deepStrictEqual(config.routes[0].mirrors, [mirror('127.0.0.1:3001', 'http://127.0.0.1:3001', { timeout: 1000, methods: ['GET'] })]);
  });

  it('locates problems inside merged maps at their definition', () => {
    assert.throws(
      () => parseConfig('x-common: &common { timeout: 5x }\nroutes:\n  - primary: http://127.0.0.1:3000\n    mirrors: [{ <<: *common, url: "http://h:1" }]\n', 'f.yaml', {}),
      { message: /^f\.yaml:1:30: routes\[0\]\.mirrors\[0\]\.timeout: invalid duration "5x"/ },
    );
  });
});

describe('nested routes', () => {
  const yaml = [
    'routes:',
    '  - name: api',
    '    match: { host: "*.example.com", path: /api/, methods: [GET, POST], headers: { x-canary: 1 } }',
    '    primary: http://127.0.0.1:3000',
    '    endpoint: api',
    '    mirrors: [http://127.0.0.1:3001]',
    '    shadow: { candidate: http://127.0.0.1:4000 }',
    '    routes:',
    '      - match: { host: api.example.com, path: /api/internal, methods: [post, delete], headers: { x-debug: true } }',
    '        mirror: off',
    '        routes:',
    '          - name: deep',
    '            match: { path: { exact: /api/internal/x } }',
    '            mirror: on',
    '            shadow: off',
    '      - name: v2',
    '        primary: http://127.0.0.1:3100',
    '        match: { path: "/api/v2/**" }',
    '        mirrors: [http://127.0.0.1:3101|50]',
    '  - name: rest',
    '    primary: http://127.0.0.1:5000',
  ].join('\n');

  it('flattens children first, inherits and combines matches', () => {
    const config = parseConfig(yaml, 'f.yaml', {});
    const m3001 = mirror('127.0.0.1:3001', 'http://127.0.0.1:3001');
    const sh = shadow([backend('127.0.0.1:4000', 'http://127.0.0.1:4000')]);
    assert.deepStrictEqual(config.routes, [
      {
        name: 'deep',
        match: {
          hosts: ['api.example.com'],
          path: { type: 'exact', value: '/api/internal/x' },
          methods: ['POST'],
          headers: [{ name: 'x-canary', value: '1' }, { name: 'x-debug' }],
        },
        primary: 'http://127.0.0.1:3000',
        mirrors: [m3001],
        endpoint: 'api',
      },
      {
        name: 'api/0',
        match: {
          hosts: ['api.example.com'],
          path: { type: 'prefix', value: '/api/internal' },
          methods: ['POST'],
          headers: [{ name: 'x-canary', value: '1' }, { name: 'x-debug' }],
        },
        primary: 'http://127.0.0.1:3000',
        mirrors: [],
        shadow: sh,
        endpoint: 'api',
      },
      {
        name: 'v2',
        match: {
          hosts: ['*.example.com'],
          path: { type: 'glob', value: '/api/v2/**' },
          methods: ['GET', 'POST'],
          headers: [{ name: 'x-canary', value: '1' }],
        },
        primary: 'http://127.0.0.1:3100',
        mirrors: [mirror('127.0.0.1:3101', 'http://127.0.0.1:3101', { rate: 50 })],
        shadow: sh,
        endpoint: 'api',
      },
      {
        name: 'api',
        match: {
          hosts: ['*.example.com'],
          path: { type: 'prefix', value: '/api/' },
          methods: ['GET', 'POST'],
          headers: [{ name: 'x-canary', value: '1' }],
        },
        primary: 'http://127.0.0.1:3000',
        mirrors: [m3001],
        shadow: sh,
        endpoint: 'api',
      },
      { name: 'rest', match: {}, primary: 'http://127.0.0.1:5000', mirrors: [] },
    ]);
  });

  it('does not share objects between routes', () => {
    const config = parseConfig(yaml, 'f.yaml', {});
    config.routes[0].mirrors[0].headers.set.x = 'y';
    assert.deepEqual(config.routes[3].mirrors[0].headers.set, {});
  });

  it('rejects non-overlapping hosts and methods and conflicting headers', () => {
    const bad = [
      'routes:',
      '  - primary: http://127.0.0.1:3000',
      '    match: { host: a.example.com, methods: GET, headers: { x-v: "1" } }',
      '    routes:',
      '      - match: { host: b.example.com, methods: POST, headers: { x-v: "2" } }',
    ].join('\n');
    assert.throws(() => parseConfig(bad, 'f.yaml', {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.message.split('\n'), [
        "f.yaml:5:24: routes[0].routes[0].match.host: hosts b.example.com do not overlap the parent route's hosts a.example.com",
        "f.yaml:5:48: routes[0].routes[0].match.methods: methods POST do not overlap the parent route's methods GET",
        'f.yaml:5:63: routes[0].routes[0].match.headers: header x-v must equal "2" here but "1" in the parent route',
      ]);
      return true;
    });
  });
});

describe('environment variables', () => {
  it('interpolates values, applies defaults and re-types unquoted numbers', () => {
    const config = parseConfig(
      [
        'listen: ${PORT}',
        'workers: ${WORKERS:-3}',
        'admin: { token: "${TOKEN}" }',
        'routes:',
        '  - primary: http://${HOST:-127.0.0.1}:3000',
        '    endpoint: "$${NOT_A_VAR} ${EMPTY:-fallback}"',
        '    mirrors:',
        '      - url: http://127.0.0.1:3001',
        '        headers: { set: { x-port: "${PORT}" } }',
      ].join('\n'),
      'f.yaml',
      { PORT: '8181', TOKEN: '1234', EMPTY: '' },
    );
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 8181 });
    assert.equal(config.workers, 3);
    assert.equal(config.admin.token, '1234');
    assert.equal(config.routes[0].primary, 'http://127.0.0.1:3000');
    assert.equal(config.routes[0].endpoint, '${NOT_A_VAR} fallback');
    assert.deepEqual(config.routes[0].mirrors[0].headers.set, { 'x-port': '8181' });
  });

  it('leaves keys alone', () => {
    assert.throws(() => parseConfig('${X}: 1\nroutes: [{ primary: "http://h:1" }]', 'f', { X: 'listen' }), /unknown key "\$\{X\}"/);
  });
});

describe('units', () => {
  it('parses durations', () => {
    const cases: [unknown, number][] = [[250, 250], ['250ms', 250], ['5s', 5000], ['1.5s', 1500], ['1m', 60000], ['1h', 3600000], ['1m30s', 90000], ['0', 0], [' 2s ', 2000]];
    for (const [input, ms] of cases) assert.deepEqual(parseDuration(input), { ok: true, value: ms }, String(input));
    for (const input of ['5 s', 's', '', '1d', '5sec', '-1s', true]) assert.equal(parseDuration(input).ok, false, String(input));
  });

  it('parses sizes: KB is 1000, KiB is 1024', () => {
    const cases: [unknown, number][] = [[512, 512], ['512', 512], ['64KB', 64000], ['64KiB', 65536], ['1MiB', 1048576], ['1MB', 1000000], ['1GB', 1e9], ['1GiB', 1073741824], ['64kb', 64000], ['1.5KiB', 1536], ['10B', 10]];
    for (const [input, bytes] of cases) assert.deepEqual(parseSize(input), { ok: true, value: bytes }, String(input));
    for (const input of ['1XB', '-1', 'MiB', true]) assert.equal(parseSize(input).ok, false, String(input));
  });

  it('parses percentages', () => {
    assert.deepEqual(parsePercent('10%'), { ok: true, value: 10 });
    assert.deepEqual(parsePercent(12.5), { ok: true, value: 12.5 });
    assert.deepEqual(parsePercent('0.5 %'), { ok: true, value: 0.5 });
    for (const input of ['101%', -1, '10', 'x%']) assert.equal(parsePercent(input).ok, false, String(input));
  });
});
