/**
 * Serves the dashboard: the page at `/` and its static files under `/assets/`, with the
 * browser builds of preact and htm taken from the installed packages under
 * `/assets/vendor/`. Every file is read once when mounted and served from memory, so no
 * request path ever reaches the file system.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdminServer } from '../admin/server.js';

/** One file ready to serve. */
export interface DashboardAsset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** The browser builds of the page's dependencies: URL name -> package specifier and file next to its main entry. */
const VENDOR: Record<string, { specifier: string; file: string }> = {
  'preact.module.js': { specifier: 'preact', file: 'preact.module.js' },
  'hooks.module.js': { specifier: 'preact/hooks', file: 'hooks.module.js' },
  'htm.module.js': { specifier: 'htm', file: 'htm.module.js' },
};

/** The directory holding index.html: next to this module in a checkout, under `src/` when running the compiled `dist/`. */
function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [here, join(here, '..', '..', 'src', 'dashboard')];
  const dir = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!dir) throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`);
  return dir;
}

function asset(body: Buffer, type: string): DashboardAsset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile() && TYPES[extname(entry.name)] && entry.name !== 'index.html') out.push(full);
  }
  return out;
}

/** Reads a vendored module; the source map comment is dropped since the maps are not served. */
function vendorFile(specifier: string, file: string): Buffer {
  const require = createRequire(import.meta.url);
  const path = join(dirname(require.resolve(specifier)), file);
  return Buffer.from(readFileSync(path, 'utf8').replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n'));
}

/** The Content-Security-Policy of the page: only its own files, plus the inline import map by hash. */
function contentSecurityPolicy(html: string): string {
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const hash = map === undefined ? '' : ` 'sha256-${createHash('sha256').update(map).digest('base64')}'`;
  return [
    "default-src 'none'",
    `script-src 'self'${hash}`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Loads the page and every asset into memory: `/` and `/assets/<path>` keys.
 *
 * @example
 * ```ts
 * const files = loadDashboard();
 * files.get('/assets/app.js')?.type; // 'text/javascript; charset=utf-8'
 * ```
 */
export function loadDashboard(dir = staticDir()): Map<string, DashboardAsset> {
  const files = new Map<string, DashboardAsset>();
  for (const full of walk(dir)) {
    const rel = relative(dir, full).split(sep).join('/');
    files.set(`/assets/${rel}`, asset(readFileSync(full), TYPES[extname(full)]));
  }
  for (const [name, v] of Object.entries(VENDOR)) files.set(`/assets/vendor/${name}`, asset(vendorFile(v.specifier, v.file), TYPES['.js']));
  // Every module is announced up front, so the browser fetches them in parallel instead of level by level.
  const modules = [...files.keys()].filter((p) => p.endsWith('.js') && p !== '/assets/boot.js').sort();
  const preload = modules.map((p) => `<link rel="modulepreload" href="${p}" />`).join('\n    ');
  const html = readFileSync(join(dir, 'index.html'), 'utf8').replace(/<!-- modulepreload:[^>]*-->/, preload);
  files.set('/', asset(Buffer.from(html), TYPES['.html']));
  return files;
}

/** The files, read on the first mount and shared by every admin server of the process. */
let loaded: Map<string, DashboardAsset> | undefined;

function fresh(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
}

/**
 * Mounts the dashboard on the admin server: `GET /` and `GET /assets/*`. The page and its
 * files carry no data and are served without the admin token; the page asks for the
 * token when the API answers 401.
 *
 * @example
 * ```ts
 * const admin = new AdminServer({ token: undefined });
 * mountDashboard(admin);
 * ```
 */
export function mountDashboard(admin: AdminServer): void {
  const files = (loaded ??= loadDashboard());
  const csp = contentSecurityPolicy(files.get('/')!.body.toString('utf8'));
  const serve = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const file = files.get(url.pathname);
    if (!file) {
      const body = JSON.stringify({ error: 'DOPPEL_ERR_ADMIN_NOT_FOUND', message: `no dashboard file ${url.pathname}` });
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-doppel-error': 'DOPPEL_ERR_ADMIN_NOT_FOUND' });
      return void res.end(body);
    }
    const headers: Record<string, string | number> = {
      etag: file.etag,
      // Revalidated on every load: cheap with the ETag, and never stale after an upgrade.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (url.pathname === '/') {
      headers['content-security-policy'] = csp;
      headers['referrer-policy'] = 'no-referrer';
      headers['x-frame-options'] = 'DENY';
    }
    if (fresh(req, file.etag)) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'content-type': file.type, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };
  admin.allowAnonymous('/').allowAnonymous('/assets/');
  admin.route('GET', '/', serve);
  admin.routePrefix('GET', '/assets/', serve);
}
