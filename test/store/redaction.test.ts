/**
 * Redaction canaries: requests and responses carrying secrets in Authorization, Cookie,
 * Set-Cookie, Proxy-Authorization, a configured header and a configured JSON path go
 * through a real doppel with a SQLite store; no canary may appear in any file of the
 * store's directory (db, -wal, -shm), in the log, or in the admin API's answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/core/logger.js';
import { config, route, shadowSpec } from '../helpers/config.js';
import { request } from '../helpers/request.js';
import { startStack } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';

const { add, upstream } = cleanup();
const canary = (name: string) => `CANARY-${name}-${randomUUID()}`;
const C = {
  auth: canary('auth'), cookie: canary('cookie'), proxyAuth: canary('proxy-auth'), apiKeyReq: canary('api-key-req'),
  setCookieP: canary('set-cookie-p'), setCookieC: canary('set-cookie-c'), apiKeyP: canary('api-key-p'), apiKeyC: canary('api-key-c'),
  secretP: canary('secret-p'), secretC: canary('secret-c'), deep: canary('deep'),
};

function api(side: 'p' | 'c') {
  return (req: IncomingMessage, res: ServerResponse) => {
    const n = Number(req.url!.split('/')[2]);
    const body: Record<string, unknown> = { id: n, plan: side === 'c' && n % 2 === 0 ? 'pro' : 'free', user: { name: 'ada', password: side === 'p' ? C.secretP : C.secretC } };
    // every third request, the candidate lacks the whole object holding a secret
    if (side === 'c' && n % 3 === 0) delete body.user;
    if (side === 'p') body.extra = { nested: [{ password: C.deep }] };
    res.writeHead(200, {
      'content-type': 'application/json',
      'set-cookie': `sid=${side === 'p' ? C.setCookieP : C.setCookieC}; HttpOnly`,
      'x-api-key': side === 'p' ? C.apiKeyP : C.apiKeyC,
    });
    res.end(JSON.stringify(body));
  };
}

function scan(dir: string, text: string, where: string): void {
  for (const [name, value] of Object.entries(C)) assert.ok(!text.includes(value), `canary ${name} found in ${where}`);
  void dir;
}

test('no secret reaches the store files, the log or the admin API', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'doppel-canary-'));
  const primary = await upstream(api('p'));
  const candidate = await upstream(api('c'));
  let log = '';
  const sink = new Writable({ write: (chunk, _e, cb) => ((log += chunk.toString()), cb()) });
  const cfg = config([route(primary.url, [], { shadow: shadowSpec(candidate.url) })], {
    store: join(dir, 'doppel.db'),
    storeOptions: { retention: { maxAge: 0, maxSamples: 0 }, samplesPerField: 5, maxBodySize: 65536, redact: { headers: ['X-Api-Key'], paths: ['$..password'] } },
  });
  const s = await startStack(cfg, { logger: createLogger('debug', sink) });
  add(s.close);
  for (let i = 1; i <= 30; i++) {
    const r = await request(s.base, `/users/${i}`, {
      headers: { authorization: `Bearer ${C.auth}`, cookie: `s=${C.cookie}`, 'proxy-authorization': `Basic ${C.proxyAuth}`, 'x-api-key': C.apiKeyReq },
    });
    assert.equal(r.status, 200);
  }
  await s.app.shadow.reporter.idle();
  await s.app.store!.flush();

  const admin: string[] = [];
  const endpoints = await (await fetch(`${s.admin}/api/v1/endpoints`)).text();
  admin.push(endpoints);
  const rows = JSON.parse(endpoints) as { fields: { samples: { id?: string }[]; path: string }[] }[];
  const paths = rows.flatMap((r) => r.fields.map((f) => f.path));
  for (const p of ['body.plan', 'body.user.password', 'body.user', 'body.extra', 'header.x-api-key']) assert.ok(paths.includes(p), `a difference at ${p} was recorded (${paths.join(', ')})`);
  const ids = new Set(rows.flatMap((r) => r.fields.flatMap((f) => f.samples.map((x) => x.id!))));
  assert.ok(ids.size > 0);
  for (const id of ids) admin.push(await (await fetch(`${s.admin}/api/v1/samples/${id}`)).text());
  const one = JSON.parse(admin[1]) as { request: { headers: Record<string, string> }; primary: { headers: Record<string, string>; body: { user?: { password: string } } } };
  assert.equal(one.request.headers.authorization, '[redacted]');
  assert.equal(one.request.headers['x-api-key'], '[redacted]');
  assert.equal(one.primary.headers['set-cookie'], '[redacted]');
  assert.equal(one.primary.body.user?.password, '[redacted]');
  scan(dir, admin.join('\n'), 'the admin API');

  const files = () => readdirSync(dir).map((f) => ({ f, text: readFileSync(join(dir, f)).toString('latin1') }));
  const open = files();
  assert.ok(open.some((x) => x.f.endsWith('-wal')), 'the WAL file is scanned too');
  assert.ok(open.some((x) => x.text.includes('[redacted]')), 'redacted values were written');
  for (const { f, text } of open) scan(dir, text, f);
  await s.close();
  for (const { f, text } of files()) scan(dir, text, `${f} after close`);
  assert.ok(log.includes('shadow regression'), 'regressions were logged');
  scan(dir, log, 'the log');
});
