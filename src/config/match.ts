/**
 * Route match conditions: parsing host patterns and paths, and combining the match of a
 * nested route with its parent's (both must hold, so the result is their intersection).
 */
import type { RouteMatch } from './types.js';
import { describe, fail, ok, parsePath, wrongType, type Parsed } from './units.js';

export type PathMatch = NonNullable<RouteMatch['path']>;
export type HeaderMatch = NonNullable<RouteMatch['headers']>[number];

/** Parses a host pattern (`api.example.com`, `*.example.com`), returned lower-case. */
export function parseHostPattern(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return wrongType('a host name like api.example.com or *.example.com', v);
  const h = v.trim().toLowerCase().replace(/\.$/, '');
  if (/:\d+$/.test(h)) return fail(`host pattern ${describe(v)} must not include a port (the port is ignored when matching)`);
  if (!/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(h)) {
    return fail(`invalid host pattern ${describe(v)}; use a host name, optionally starting with *. for sub-domains`);
  }
  return ok(h);
}

/** Parses the string form of `match.path`: a glob when it contains `*`, else a prefix. */
export function parsePathShorthand(v: unknown): Parsed<PathMatch> {
  const p = parsePath(v);
  if (!p.ok) return p;
  return ok({ type: p.value.includes('*') ? 'glob' : 'prefix', value: p.value });
}

/** Parses a header condition value: a string (or number) to require equality, `true` for presence. */
export function parseHeaderCondition(v: unknown): Parsed<string | true> {
  if (v === true) return ok(true);
  if (typeof v === 'string') return ok(v);
  if (typeof v === 'number') return ok(String(v));
  return wrongType('a string (the header must equal it) or true (the header must be present)', v);
}

/** A regular expression for a path glob: `*` is one segment, `**` any number of segments. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function hostWithin(host: string, suffixPattern: string): boolean {
  return host.endsWith(suffixPattern.slice(1));
}

/** Intersection of two host pattern lists (exact names and `*.` sub-domain patterns). */
export function intersectHosts(parent: string[], child: string[]): string[] {
  const out = new Set<string>();
  for (const p of parent) {
    for (const c of child) {
      const pw = p.startsWith('*.');
      const cw = c.startsWith('*.');
      if (p === c) out.add(c);
      else if (pw && !cw && hostWithin(c, p)) out.add(c);
      else if (!pw && cw && hostWithin(p, c)) out.add(p);
      else if (pw && cw && hostWithin(c, p)) out.add(c);
      else if (pw && cw && hostWithin(p, c)) out.add(p);
    }
  }
  return [...out];
}

/** The literal text of a glob before its first `*`. */
function literalPrefix(glob: string): string {
  const i = glob.indexOf('*');
  return i === -1 ? glob : glob.slice(0, i);
}

/** Intersection of two path conditions, or an error message when it cannot be expressed. */
export function intersectPaths(parent: PathMatch, child: PathMatch): { path: PathMatch } | { error: string } {
  const show = (p: PathMatch) => `${p.type} ${JSON.stringify(p.value)}`;
  const outside = { error: `path ${show(child)} lies outside the parent route's path ${show(parent)}` };
  if (parent.type === 'exact') {
    const matches =
      child.type === 'exact'
        ? child.value === parent.value
        : child.type === 'prefix'
          ? parent.value.startsWith(child.value)
          : globRegExp(child.value).test(parent.value);
    return matches ? { path: parent } : outside;
  }
  if (parent.type === 'prefix') {
    if (child.type === 'prefix' && parent.value.startsWith(child.value)) return { path: parent };
    const start = child.type === 'glob' ? literalPrefix(child.value) : child.value;
    return start.startsWith(parent.value) ? { path: child } : outside;
  }
  // The parent is a glob.
  if (child.type === 'exact') return globRegExp(parent.value).test(child.value) ? { path: child } : outside;
  if (child.type === 'glob' && child.value === parent.value) return { path: child };
  const base = parent.value.endsWith('**') ? parent.value.slice(0, -2) : null;
  if (base !== null && !base.includes('*')) {
    const start = child.type === 'glob' ? literalPrefix(child.value) : child.value;
    return start.startsWith(base) ? { path: child } : outside;
  }
  return {
    error: `under the parent route's glob ${JSON.stringify(parent.value)} a nested route may only use an exact path or the same glob`,
  };
}

/**
 * Combines a nested route's match with its parent's. Problems name the condition
 * (`host`, `path`, `methods`, `headers`) of the child's match that caused them.
 */
export function andMatch(
  parent: RouteMatch,
  child: RouteMatch,
): { match: RouteMatch; problems: { key: keyof RouteMatch; message: string }[] } {
  const problems: { key: keyof RouteMatch; message: string }[] = [];
  const match: RouteMatch = {};
  if (parent.hosts && child.hosts) {
    match.hosts = intersectHosts(parent.hosts, child.hosts);
    if (match.hosts.length === 0) {
      problems.push({ key: 'hosts', message: `hosts ${child.hosts.join(', ')} do not overlap the parent route's hosts ${parent.hosts.join(', ')}` });
    }
  } else if (parent.hosts ?? child.hosts) match.hosts = parent.hosts ?? child.hosts;
  if (parent.path && child.path) {
    const r = intersectPaths(parent.path, child.path);
    if ('error' in r) problems.push({ key: 'path', message: r.error });
    else match.path = r.path;
  } else if (parent.path ?? child.path) match.path = parent.path ?? child.path;
  if (parent.methods && child.methods) {
    match.methods = child.methods.filter((m) => parent.methods!.includes(m));
    if (match.methods.length === 0) {
      problems.push({ key: 'methods', message: `methods ${child.methods.join(', ')} do not overlap the parent route's methods ${parent.methods.join(', ')}` });
    }
  } else if (parent.methods ?? child.methods) match.methods = parent.methods ?? child.methods;
  if (parent.headers || child.headers) {
    const merged = new Map<string, HeaderMatch>();
    for (const h of parent.headers ?? []) merged.set(h.name, h);
    for (const h of child.headers ?? []) {
      const prev = merged.get(h.name);
      if (prev?.value !== undefined && h.value !== undefined && prev.value !== h.value) {
        problems.push({ key: 'headers', message: `header ${h.name} must equal ${JSON.stringify(h.value)} here but ${JSON.stringify(prev.value)} in the parent route` });
      } else if (prev?.value === undefined) merged.set(h.name, h);
    }
    match.headers = [...merged.values()];
  }
  return { match, problems };
}
