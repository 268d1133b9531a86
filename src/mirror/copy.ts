/**
 * Building the copy of a request for one target: path rewrite, base path, header
 * mutations, Host handling and the `X-Mirrored-From` marker. Compiled once per target.
 */
import type { Dispatcher } from 'undici';
import type { HeaderMutation, HostMode, RewriteSpec } from '../config/types.js';

/** The parts of a client request a copy is made from. */
export interface CopySource {
  method: string;
  /** Path and query as received, e.g. `/users/7?x=1`. */
  url: string;
  /** Forwarded request headers (hop-by-hop removed, no Host), flat. */
  headers: readonly string[];
  /** The client's Host header value. */
  host: string;
}

/** The parts of a target spec a copy depends on. */
export interface CopySpec {
  url: string;
  rewrite: RewriteSpec;
  headers: HeaderMutation;
  host: HostMode;
  copyBody?: boolean;
  /** Above 1, copies may go out while earlier ones on the connection await their answer. */
  pipelining?: number;
}

/** Builds the dispatch options of one copy; `body` is a stream, a whole body, an iterable of chunks, or null. */
export type CopyBuilder = (source: CopySource, body: NodeJS.ReadableStream | Buffer | AsyncIterable<Buffer> | null) => Dispatcher.DispatchOptions;

/** Marker header on every copy; a request carrying it is never copied again. */
export const MIRROR_MARKER = 'x-mirrored-from';

/** Path rewriting for a target, compiled once. Returns the new path (query untouched). */
export function compileRewrite(rewrite: RewriteSpec, basePath: string): (path: string) => string {
  const re = rewrite.path ? new RegExp(rewrite.path.from) : null;
  const to = rewrite.path?.to ?? '';
  const strip = rewrite.stripPrefix ?? '';
  const prefix = (basePath === '/' ? '' : basePath.replace(/\/$/, '')) + (rewrite.prefix ?? '');
  if (re === null && strip === '' && prefix === '') return (p) => p;
  return (path) => {
    let p = path;
    if (re !== null) p = p.replace(re, to);
    if (strip !== '' && p.startsWith(strip)) p = p.slice(strip.length) || '/';
    if (prefix !== '') p = prefix + (p.startsWith('/') ? p : `/${p}`);
    return p;
  };
}

/** The Host header value a copy is sent with. */
export function copyHost(mode: HostMode, original: string, target: URL): string {
  if (mode === 'target') return target.host;
  if (mode === 'original') return original || target.host;
  const h = original || target.host;
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(h);
  return m ? `${m[1]}-shadow${m[2] ?? ''}` : `${h}-shadow`;
}

/**
 * Compiles the request builder of a target.
 *
 * @example
 * ```ts
 * const build = compileCopy({ url: 'http://127.0.0.1:3001/v2', rewrite: {}, headers: { set: {}, remove: [] }, host: 'target' });
 * pool.dispatch(build({ method: 'GET', url: '/x', headers: [], host: 'api' }, null), handler);
 * ```
 */
export function compileCopy(spec: CopySpec): CopyBuilder {
  const target = new URL(spec.url);
  const rewrite = compileRewrite(spec.rewrite, target.pathname);
  const remove = new Set(spec.headers.remove.map((h) => h.toLowerCase()));
  for (const name of Object.keys(spec.headers.set)) remove.add(name.toLowerCase());
  remove.add(MIRROR_MARKER);
  remove.add('host');
  const withBody = spec.copyBody !== false;
  if (!withBody) remove.add('content-length');
  const set = Object.entries(spec.headers.set);
  // URL getters build a new string per call; a copy in flight keeps its origin.
  const origin = target.origin;
  const fixedHost = spec.host === 'target' ? target.host : null;
  const pipelined = (spec.pipelining ?? 1) > 1;
  return (source, body) => {
    const q = source.url.indexOf('?');
    const path = q === -1 ? source.url : source.url.slice(0, q);
    const headers: string[] = [];
    for (let i = 0; i < source.headers.length; i += 2) {
      if (!remove.has(source.headers[i].toLowerCase())) headers.push(source.headers[i], source.headers[i + 1]);
    }
    for (const [k, v] of set) headers.push(k, v);
    headers.push(MIRROR_MARKER, source.host, 'host', fixedHost ?? copyHost(spec.host, source.host, target));
    return {
      origin,
      method: source.method as Dispatcher.HttpMethod,
      path: rewrite(path) + (q === -1 ? '' : source.url.slice(q)),
      headers,
      body: withBody ? (body as Dispatcher.DispatchOptions['body']) : null,
      // undici holds further requests back while one waits for its headers unless told not to.
      blocking: pipelined ? false : undefined,
    };
  };
}
