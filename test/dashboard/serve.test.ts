/** The dashboard's files over HTTP: types, caching, ETag, security headers, no traversal, no token needed. */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { startDemo, type Demo } from './harness.js';

async function get(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const res = await request(url, { method, headers });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers as Record<string, string | undefined>, body };
}

describe('dashboard files', () => {
  let demo: Demo;
  before(async () => {
    demo = await startDemo({ token: 's3cret-token' });
  });
  after(() => demo?.close());

  test('the page at / with its security headers, open without the token', async () => {
    const r = await get(`${demo.admin}/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(r.body, /<script type="importmap">/);
    assert.match(r.body, /"preact": "\/assets\/vendor\/preact\.module\.js"/);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(r.headers.etag ?? '', /^"[A-Za-z0-9_-]{27}"$/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    const csp = r.headers['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  test('assets and vendored modules with their content types', async () => {
    const cases: [string, string, RegExp][] = [
      ['/assets/app.js', 'text/javascript; charset=utf-8', /from '\.\/html\.js'/],
      ['/assets/components/fields.js', 'text/javascript; charset=utf-8', /FieldsPanel/],
      ['/assets/styles/theme.css', 'text/css; charset=utf-8', /--bg:/],
      ['/assets/styles/detail.css', 'text/css; charset=utf-8', /@media \(max-width/],
      ['/assets/favicon.svg', 'image/svg+xml', /<svg/],
      ['/assets/vendor/preact.module.js', 'text/javascript; charset=utf-8', /export\s*\{/],
      ['/assets/vendor/hooks.module.js', 'text/javascript; charset=utf-8', /from\s*"preact"/],
      ['/assets/vendor/htm.module.js', 'text/javascript; charset=utf-8', /export\s*\{?\s*default|export default/],
    ];
    for (const [path, type, content] of cases) {
      const r = await get(demo.admin + path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], type, path);
      assert.match(r.body, content, path);
      assert.doesNotMatch(r.body, /sourceMappingURL/, path);
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body), path);
    }
  });

  test('ETag revalidation answers 304; HEAD has no body', async () => {
    const first = await get(`${demo.admin}/assets/app.js`);
    const etag = first.headers.etag!;
    const again = await get(`${demo.admin}/assets/app.js`, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    assert.equal(again.headers.etag, etag);
    assert.equal((await get(`${demo.admin}/assets/app.js`, { 'if-none-match': `W/${etag}` })).status, 304);
    assert.equal((await get(`${demo.admin}/assets/app.js`, { 'if-none-match': '"other"' })).status, 200);
    const head = await get(`${demo.admin}/assets/styles/base.css`, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(Number(head.headers['content-length']) > 1000);
  });

  test('no path outside the served files: traversal, sources and unknown files are 404', async () => {
    const paths = [
      '/assets/../package.json',
      '/assets/%2e%2e/package.json',
      '/assets/..%2fpackage.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/vendor/../../package.json',
      '/assets/vendor/%2e%2e/%2e%2e/src/app.ts',
      '/assets/serve.ts',
      '/assets/index.html',
      '/assets//etc/passwd',
      '/assets/%00',
      '/assets/',
      '/assets/vendor/preact.module.js.map',
    ];
    for (const path of paths) {
      const r = await request(demo.admin + path, { headers: { authorization: 'Bearer s3cret-token' } });
      const body = await r.body.text();
      assert.ok(r.statusCode === 404 || r.statusCode === 400, `${path} answered ${r.statusCode}`);
      assert.doesNotMatch(body, /"name": "doppel"|root:x:|mountDashboard/, path);
    }
  });

  test('the API still needs the token; the page does not', async () => {
    assert.equal((await get(`${demo.admin}/api/v1/endpoints`)).status, 401);
    assert.equal((await get(`${demo.admin}/assets/app.js`)).status, 200);
    assert.equal((await get(`${demo.admin}/api/v1/endpoints`, { authorization: 'Bearer s3cret-token' })).status, 200);
  });
});
