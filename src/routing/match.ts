/**
 * Route matching: each route's conditions are compiled once into a predicate; a request
 * takes the first route whose predicate holds (config order, nested routes first).
 */
import type { RouteMatch } from '../config/types.js';

/** What a route predicate looks at. `path` excludes the query; `host` is lower-case without port. */
export interface MatchInput {
  method: string;
  host: string;
  path: string;
  header(lowerName: string): string | undefined;
}

export type RoutePredicate = (input: MatchInput) => boolean;

/** `*.example.com` matches `a.example.com` and `a.b.example.com`, not `example.com`. */
function hostMatcher(hosts: string[]): (host: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const h of hosts) {
    const lower = h.toLowerCase();
    if (lower.startsWith('*.')) suffixes.push(lower.slice(1));
    else exact.add(lower);
  }
  return (host) => exact.has(host) || suffixes.some((s) => host.endsWith(s) && host.length > s.length);
}

/** Glob on paths: `*` is one segment (no `/`), `**` any run of characters. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else re += /[.+?^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}

function pathMatcher(spec: NonNullable<RouteMatch['path']>): (path: string) => boolean {
  const value = spec.value;
  if (spec.type === 'exact') return (p) => p === value;
  if (spec.type === 'prefix') return (p) => p.startsWith(value);
  const re = globToRegExp(value);
  return (p) => re.test(p);
}

/** Compiles a route's match block into a predicate. An empty block matches everything. */
export function compileMatch(match: RouteMatch): RoutePredicate {
  const checks: RoutePredicate[] = [];
  if (match.methods && match.methods.length > 0) {
    const methods = new Set(match.methods.map((m) => m.toUpperCase()));
    checks.push((i) => methods.has(i.method));
  }
  if (match.hosts && match.hosts.length > 0) {
    const m = hostMatcher(match.hosts);
    checks.push((i) => m(i.host));
  }
  if (match.path) {
    const m = pathMatcher(match.path);
    checks.push((i) => m(i.path));
  }
  for (const h of match.headers ?? []) {
    const name = h.name.toLowerCase();
    const want = h.value;
    checks.push(want === undefined ? (i) => i.header(name) !== undefined : (i) => i.header(name) === want);
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0];
  return (i) => {
    for (const c of checks) if (!c(i)) return false;
    return true;
  };
}

/** Host header value without port, lower-cased (`[::1]:80` gives `[::1]`). */
export function hostOnly(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const h = hostHeader.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}
