/**
 * Invalid configurations: each case gives the exact `file:line:col: message` lines that
 * loading must report (a RegExp where only the shape of a line is fixed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import type { ErrorCode } from '../../src/core/errors.js';

interface Case {
  name: string;
  yaml: string;
  env?: Record<string, string>;
  code?: ErrorCode;
  lines: (string | RegExp)[];
}

const ROUTE = 'routes:\n  - primary: http://127.0.0.1:3000\n';

const cases: Case[] = [
  {
    name: 'unknown top-level key, with suggestion',
    yaml: `listne: 8080\n${ROUTE}`,
    lines: ['f.yaml:1:1: unknown key "listne" at the top level; did you mean "listen"?'],
  },
  {
    name: 'unknown key without a close match',
    yaml: `${ROUTE}frobnicate: 1\n`,
    lines: ['f.yaml:3:1: unknown key "frobnicate" at the top level'],
  },
  {
    name: 'unknown key in a mirror target',
    yaml: `${ROUTE}    mirrors:\n      - url: http://127.0.0.1:3001\n        timout: 5s\n`,
    lines: ['f.yaml:5:9: unknown key "timout" in routes[0].mirrors[0]; did you mean "timeout"?'],
  },
  {
    name: 'unknown key deep in shadow.compare',
    yaml: `${ROUTE}    shadow:\n      candidate: http://127.0.0.1:4000\n      compare: { numericTolerence: 0.1 }\n`,
    lines: ['f.yaml:5:18: unknown key "numericTolerence" in routes[0].shadow.compare; did you mean "numericTolerance"?'],
  },
  {
    name: 'unknown key in a nested route',
    yaml: `${ROUTE}    routes:\n      - match: { path: /a }\n        mirro: off\n`,
    lines: ['f.yaml:5:9: unknown key "mirro" in routes[0].routes[0]; did you mean "mirror"?'],
  },
  {
    name: 'a key in the wrong place names its place',
    yaml: `primary: http://127.0.0.1:3000\n${ROUTE}    candidate: http://127.0.0.1:4000\n`,
    lines: [
      'f.yaml:1:1: unknown key "primary" at the top level; "primary" is a key of routes',
      'f.yaml:4:5: unknown key "candidate" in routes[0]; "candidate" is a key of routes.shadow',
    ],
  },
  {
    name: 'missing routes',
    yaml: 'listen: 8080\n',
    lines: ['f.yaml:1:1: missing required key "routes" at the top level'],
  },
  {
    name: 'empty routes',
    yaml: 'routes: []\n',
    lines: ['f.yaml:1:9: routes: at least one route is required'],
  },
  {
    name: 'top level is not a map',
    yaml: '- primary: http://x\n',
    lines: ['f.yaml:1:1: configuration: expected a map, got a list'],
  },
  {
    name: 'requestBuffer over 1MiB',
    yaml: `requestBuffer: 2MiB\n${ROUTE}`,
    lines: ['f.yaml:1:16: requestBuffer: requestBuffer must be at most 1MiB, got 2MiB'],
  },
  {
    name: 'bad type: workers',
    yaml: `workers: many\n${ROUTE}`,
    lines: ['f.yaml:1:10: workers: expected a positive integer or "auto", got "many"'],
  },
  {
    name: 'bad type: boolean',
    yaml: `${ROUTE}    mirrors:\n      - url: http://127.0.0.1:3001\n        body: "yes"\n`,
    lines: ['f.yaml:5:15: routes[0].mirrors[0].body: expected true or false, got "yes"'],
  },
  {
    name: 'pipelining out of range',
    yaml: `${ROUTE}    mirrors:\n      - url: http://127.0.0.1:3001\n        pipelining: 100\n      - url: http://127.0.0.1:3002\n        pipelining: 0\n`,
    lines: [
      'f.yaml:5:21: routes[0].mirrors[0].pipelining: pipelining must be at most 64, got 100',
      'f.yaml:7:21: routes[0].mirrors[1].pipelining: expected an integer >= 1, got 0',
    ],
  },
  {
    name: 'bad type: a value with several forms',
    yaml: `${ROUTE}    shadow:\n      candidate: 42\n`,
    lines: ['f.yaml:4:18: routes[0].shadow.candidate: expected a URL like http://127.0.0.1:3000, a map or a list, got 42'],
  },
  {
    name: 'URL without scheme',
    yaml: 'routes:\n  - primary: 127.0.0.1:3000\n',
    lines: ['f.yaml:2:14: routes[0].primary: invalid URL "127.0.0.1:3000": missing scheme; write http://127.0.0.1:3000'],
  },
  {
    name: 'URL with another scheme, URL with a query',
    yaml: `${ROUTE}    mirrors: [ftp://127.0.0.1:21, "http://127.0.0.1:3001/?a=1"]\n`,
    lines: [
      'f.yaml:3:15: routes[0].mirrors[0]: URL "ftp://127.0.0.1:21" must use http or https, not ftp',
      'f.yaml:3:35: routes[0].mirrors[1]: URL "http://127.0.0.1:3001/?a=1" must not have a query or fragment (a base path is allowed)',
    ],
  },
  {
    name: 'bad duration',
    yaml: `${ROUTE}    mirrors:\n      - url: http://127.0.0.1:3001\n        timeout: 5x\n`,
    lines: ['f.yaml:5:18: routes[0].mirrors[0].timeout: invalid duration "5x"; use a number of milliseconds or a value like 250ms, 5s, 1.5s, 1m, 1h or 1m30s'],
  },
  {
    name: 'negative and zero timeouts',
    yaml: `timeouts:\n  connect: -5\n  primary: 0\n  idle: -1s\n${ROUTE}`,
    lines: [
      'f.yaml:2:12: timeouts.connect: duration must not be negative, got -5',
      'f.yaml:3:12: timeouts.primary: duration must be greater than 0, got 0',
      'f.yaml:4:9: timeouts.idle: duration must not be negative, got "-1s"',
    ],
  },
  {
    name: 'bad size',
    yaml: `defaults:\n  mirror: { maxBodySize: 1MB2 }\n${ROUTE}`,
    lines: ['f.yaml:2:26: defaults.mirror.maxBodySize: invalid size "1MB2"; use a number of bytes or a value like 512KiB, 64KB, 1MiB or 1GB'],
  },
  {
    name: 'percent out of range (string and number forms)',
    yaml: `${ROUTE}    mirrors:\n      - { url: http://127.0.0.1:3001, sample: 150% }\n      - { url: http://127.0.0.1:3002, sample: { percent: -1 } }\n`,
    lines: [
      'f.yaml:4:47: routes[0].mirrors[0].sample: percentage must be between 0 and 100, got "150%"',
      'f.yaml:5:58: routes[0].mirrors[1].sample.percent: percentage must be between 0 and 100, got -1',
    ],
  },
  {
    name: 'bad percent string',
    yaml: `${ROUTE}    shadow: { candidate: http://127.0.0.1:4000, sample: ten }\n`,
    lines: ['f.yaml:3:57: routes[0].shadow.sample: invalid percentage "ten"; use a value like 10% or a number from 0 to 100'],
  },
  {
    name: 'bad regular expression',
    yaml: `${ROUTE}    mirrors:\n      - url: http://127.0.0.1:3001\n        rewrite: { path: { from: "^/v1/(", to: /v2/ } }\n`,
    lines: ['f.yaml:5:34: routes[0].mirrors[0].rewrite.path.from: invalid regular expression "^/v1/(": Unterminated group'],
  },
  {
    name: 'bad sample mode, with suggestion',
    yaml: `${ROUTE}    mirrors:\n      - url: http://127.0.0.1:3001\n        sample: { percent: 10, mode: rnadom }\n`,
    lines: ['f.yaml:5:38: routes[0].mirrors[0].sample.mode: expected one of "random", "counter", "hash", got "rnadom"; did you mean "random"?'],
  },
  {
    name: 'bad sample key',
    yaml: `${ROUTE}    mirrors:\n      - url: http://127.0.0.1:3001\n        sample: { percent: 10, key: "hdr:x-user" }\n`,
    lines: ['f.yaml:5:37: routes[0].mirrors[0].sample.key: invalid sample key "hdr:x-user"; use header:<name>, cookie:<name>, query:<name> or ip'],
  },
  {
    name: 'hash mode without key, key with another mode',
    yaml: `${ROUTE}    mirrors:\n      - { url: http://127.0.0.1:3001, sample: { mode: hash } }\n      - { url: http://127.0.0.1:3002, sample: { mode: random, key: ip } }\n`,
    lines: [
      'f.yaml:4:55: routes[0].mirrors[0].sample.mode: mode hash needs a key (header:<name>, cookie:<name>, query:<name> or ip)',
      'f.yaml:5:68: routes[0].mirrors[1].sample.key: a key is only used with mode: hash (mode is random)',
    ],
  },
  {
    name: 'bad body paths in compare.ignore and arraysAt (the latter at the key)',
    yaml: `${ROUTE}    shadow:\n      candidate: http://127.0.0.1:4000\n      compare:\n        ignore: [meta.generatedAt, "$..[0]"]\n        arraysAt: { "$.items[": unordered }\n`,
    lines: [
      "f.yaml:6:18: routes[0].shadow.compare.ignore[0]: invalid body path \"meta.generatedAt\"; use $ followed by .name, ..name, .*, [*], [0] or ['name'] segments",
      'f.yaml:7:21: routes[0].shadow.compare.arraysAt["$.items["]: invalid body path "$.items["; use $ followed by .name, ..name, .*, [*], [0] or [\'name\'] segments',
    ],
  },
  {
    name: 'bad mirror shorthand suffix',
    yaml: `${ROUTE}    mirrors: ["http://127.0.0.1:3001|fast"]\n`,
    lines: ['f.yaml:3:15: routes[0].mirrors[0]: invalid suffix "fast" in "http://127.0.0.1:3001|fast"; use |10% for a sample percentage and/or |50 for a rate limit in requests per second'],
  },
  {
    name: 'duplicate route names (explicit and generated)',
    yaml: 'routes:\n  - name: api\n    primary: http://127.0.0.1:3000\n  - name: api\n    primary: http://127.0.0.1:3001\n  - name: route-3\n    primary: http://127.0.0.1:3002\n  - primary: http://127.0.0.1:3003\n',
    lines: [
      'f.yaml:4:11: routes[1].name: route name "api" is already used by routes[0]',
      'f.yaml:8:5: routes[3]: route name "route-3" is already used by routes[2]',
    ],
  },
  {
    name: 'admin on a public address without token',
    yaml: `admin:\n  listen: 0.0.0.0:9090\n${ROUTE}`,
    lines: ['f.yaml:2:11: admin.listen: the admin API would listen on 0.0.0.0:9090, which is not a loopback address; set admin.token to protect it'],
  },
  {
    name: 'admin token from an empty variable does not count',
    yaml: `admin:\n  listen: ":9090"\n  token: \${TOKEN:-}\n${ROUTE}`,
    lines: [
      'f.yaml:2:11: admin.listen: the admin API would listen on 0.0.0.0:9090, which is not a loopback address; set admin.token to protect it',
      'f.yaml:3:10: admin.token: must not be empty',
    ],
  },
  {
    name: 'bad listen port',
    yaml: `listen: 127.0.0.1:70000\n${ROUTE}`,
    lines: ['f.yaml:1:9: listen: port must be between 0 and 65535, got 70000'],
  },
  {
    name: 'noise as a fraction above 1',
    yaml: `${ROUTE}    shadow:\n      candidate: http://127.0.0.1:4000\n      noise: { relative: 20 }\n`,
    lines: ['f.yaml:5:26: routes[0].shadow.noise.relative: a number here is a fraction from 0 to 1, got 20; write 20% for a percentage'],
  },
  {
    name: 'mirror target equal to the primary',
    yaml: `${ROUTE}    mirrors: [http://127.0.0.1:3000/]\n`,
    lines: ["f.yaml:3:15: routes[0].mirrors[0]: mirror target http://127.0.0.1:3000 is this route's primary; mirroring it would double the traffic to it"],
  },
  {
    name: 'mirror: off next to mirrors',
    yaml: `${ROUTE}    mirrors: [http://127.0.0.1:3001]\n    mirror: off\n`,
    lines: ['f.yaml:4:13: routes[0].mirror: "mirror: off" contradicts the mirrors list of this route; remove one of them'],
  },
  {
    name: 'missing primary (reported once for a parent and its children)',
    yaml: 'routes:\n  - name: api\n    routes:\n      - match: { path: /a }\n',
    lines: ['f.yaml:2:5: missing required key "primary" in routes[0] (set it here or on a parent route)'],
  },
  {
    name: 'shadow without candidate',
    yaml: `${ROUTE}    shadow:\n      secondary: http://127.0.0.1:4001\n`,
    lines: ['f.yaml:4:7: missing required key "candidate" in routes[0].shadow'],
  },
  {
    name: 'path object with two kinds, host with a port',
    yaml: 'routes:\n  - primary: http://127.0.0.1:3000\n    match:\n      host: api.example.com:8080\n      path: { exact: /a, prefix: /b }\n',
    lines: [
      'f.yaml:4:13: routes[0].match.host: host pattern "api.example.com:8080" must not include a port (the port is ignored when matching)',
      'f.yaml:5:13: routes[0].match.path: use exactly one of exact, prefix or glob (got exact, prefix)',
    ],
  },
  {
    name: 'nested route path outside its parent',
    yaml: `${ROUTE}    match: { path: /api/ }\n    routes:\n      - match: { path: /admin/ }\n`,
    lines: ['f.yaml:5:24: routes[0].routes[0].match.path: path prefix "/admin/" lies outside the parent route\'s path prefix "/api/"'],
  },
  {
    name: 'log level, with suggestion',
    yaml: `log: { level: debgu }\n${ROUTE}`,
    lines: ['f.yaml:1:15: log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "debgu"; did you mean "debug"?'],
  },
  {
    name: 'bad header name in headers.set (points at the key)',
    yaml: `${ROUTE}    mirrors:\n      - url: http://127.0.0.1:3001\n        headers: { set: { "x bad": 1 } }\n`,
    lines: ['f.yaml:5:27: routes[0].mirrors[0].headers.set["x bad"]: invalid header name "x bad"'],
  },
  {
    name: 'every problem is reported, in file order',
    yaml: 'listen: nowhere\nworkers: 0\nroutes:\n  - primary: http://127.0.0.1:3000\n    mirrors: [{ url: http://127.0.0.1:3001, timeout: 1y }]\n    shadow: { candidate: http://127.0.0.1:4000, methods: [GET, 7] }\n',
    lines: [
      'f.yaml:1:9: listen: invalid listen address "nowhere"; use host:port, :port, [ipv6]:port or a port number',
      'f.yaml:2:10: workers: expected a positive integer (at most 1024) or "auto", got 0',
      /^f\.yaml:5:54: routes\[0\]\.mirrors\[0\]\.timeout: invalid duration "1y"/,
      'f.yaml:6:64: routes[0].shadow.methods[1]: expected an HTTP method like GET, got 7',
    ],
  },
  {
    name: 'YAML syntax error',
    yaml: 'routes:\n  - primary: "http://127.0.0.1:3000\n',
    code: 'DOPPEL_ERR_CONFIG_PARSE',
    lines: [/^f\.yaml:3:1: Missing closing "quote/],
  },
  {
    name: 'duplicate YAML key',
    yaml: `listen: 8080\nlisten: 8081\n${ROUTE}`,
    code: 'DOPPEL_ERR_CONFIG_PARSE',
    lines: ['f.yaml:2:1: Map keys must be unique'],
  },
  {
    name: 'missing environment variable, at its column',
    yaml: 'routes:\n  - primary: http://${BACKEND_HOST}:3000\n    endpoint: "x ${ALSO_MISSING}"\n',
    code: 'DOPPEL_ERR_CONFIG_ENV',
    lines: [
      'f.yaml:2:21: environment variable BACKEND_HOST is not set (write ${BACKEND_HOST:-default} to give a default)',
      'f.yaml:3:18: environment variable ALSO_MISSING is not set (write ${ALSO_MISSING:-default} to give a default)',
    ],
  },
  {
    name: 'unterminated variable reference',
    yaml: 'routes:\n  - primary: http://${HOST:3000\n',
    env: { HOST: 'x' },
    code: 'DOPPEL_ERR_CONFIG_ENV',
    lines: ['f.yaml:2:21: unterminated "${" in "http://${HOST:3000"; write $${ for a literal ${'],
  },
];

describe('invalid configurations', () => {
  it('has at least 20 cases', () => assert.ok(cases.length >= 20));
  for (const c of cases) {
    it(c.name, () => {
      let error: unknown;
      try {
        parseConfig(c.yaml, 'f.yaml', c.env ?? {});
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.equal(error.code, c.code ?? 'DOPPEL_ERR_CONFIG_INVALID');
      const lines = error.message.split('\n');
      assert.equal(lines.length, c.lines.length, `got:\n${error.message}`);
      c.lines.forEach((want, i) => {
        if (typeof want === 'string') assert.equal(lines[i], want);
        else assert.match(lines[i], want);
      });
      assert.equal(error.problems.length, lines.length);
      for (const p of error.problems) assert.equal(p.file, 'f.yaml');
    });
  }

  it('problems carry the path of the node', () => {
    try {
      parseConfig(`${ROUTE}    mirrors: [{ url: http://127.0.0.1:3001, timeout: 5x }]\n`, 'f.yaml', {});
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        {
          file: 'f.yaml',
          line: 3,
          col: 54,
          path: 'routes[0].mirrors[0].timeout',
          message: 'routes[0].mirrors[0].timeout: invalid duration "5x"; use a number of milliseconds or a value like 250ms, 5s, 1.5s, 1m, 1h or 1m30s',
        },
      ]);
    }
  });
});
