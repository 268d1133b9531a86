/**
 * Checks that span several keys (route names, primaries, mirror targets, admin token).
 * They run on the configuration as read, next to the schema, so that their problems are
 * reported together with the schema's even when some values are malformed.
 */
import type { PathLabel } from './issues.js';
import type { Issue, PathSegment } from './problems.js';
import { isLoopback, parseHostPort, parseUpstreamUrl } from './units.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isOff = (v: unknown): boolean => v === false || v === 'off';

/** Name of a route without a `name`: `route-<i>` at the top, `<parent>/<i>` when nested. */
export function defaultRouteName(parent: string | undefined, index: number): string {
  return parent === undefined ? `route-${index}` : `${parent}/${index}`;
}

/** The normalised URL of a mirror entry (string form `url|10%` or `{ url }`), if valid. */
function mirrorUrl(entry: unknown): { url: string; path: PathSegment[] } | undefined {
  const text = typeof entry === 'string' ? entry.split('|')[0] : isObj(entry) ? entry.url : undefined;
  const parsed = parseUpstreamUrl(text);
  if (!parsed.ok) return undefined;
  return { url: parsed.value, path: isObj(entry) ? ['url'] : [] };
}

function checkAdmin(raw: Obj, label: PathLabel, out: Issue[]): void {
  const admin = raw.admin;
  if (!isObj(admin) || admin.listen === undefined || isOff(admin.listen)) return;
  const listen = parseHostPort(admin.listen);
  if (!listen.ok || isLoopback(listen.value.host)) return;
  if (typeof admin.token === 'string' && admin.token !== '') return;
  const path = ['admin', 'listen'];
  const where = listen.value.host.includes(':') ? `[${listen.value.host}]` : listen.value.host;
  out.push({
    path,
    message: `${label(path)}: the admin API would listen on ${where}:${listen.value.port}, which is not a loopback address; set ${label(['admin', 'token'])} to protect it`,
  });
}

/** Reports explicit `name`s used twice in one list of targets. */
function checkTargetNames(entries: { value: unknown; path: PathSegment[] }[], what: string, label: PathLabel, out: Issue[]): void {
  const seen = new Set<string>();
  for (const { value, path } of entries) {
    if (!isObj(value) || typeof value.name !== 'string') continue;
    if (seen.has(value.name)) {
      out.push({ path: [...path, 'name'], message: `${label([...path, 'name'])}: ${what} name "${value.name}" is used twice in this route` });
    }
    seen.add(value.name);
  }
}

interface Inherited {
  name?: string;
  primary?: string;
  primaryReported: boolean;
  mirrors: { url: string; path: PathSegment[] }[];
  mirrorsOn: boolean;
}

function checkRoutes(
  routes: unknown[],
  base: PathSegment[],
  parent: Inherited | undefined,
  names: Map<string, string>,
  label: PathLabel,
  out: Issue[],
): void {
  routes.forEach((route, i) => {
    const path = [...base, i];
    if (!isObj(route)) return;
    const name = typeof route.name === 'string' ? route.name : defaultRouteName(parent?.name, i);
    const earlier = names.get(name);
    if (earlier !== undefined) {
      const at = typeof route.name === 'string' ? [...path, 'name'] : path;
      out.push({ path: at, message: `${label(at)}: route name "${name}" is already used by ${earlier}` });
    } else names.set(name, label(path));

    const own = typeof route.primary === 'string' ? parseUpstreamUrl(route.primary) : undefined;
    const primary = own?.ok ? own.value : route.primary === undefined ? parent?.primary : undefined;
    // An invalid primary is reported by the schema; do not also call it missing below.
    let primaryReported = (parent?.primaryReported ?? false) || own?.ok === false;
    if (route.primary === undefined && parent?.primary === undefined && !primaryReported) {
      out.push({ path, message: `missing required key "primary" in ${label(path)} (set it here or on a parent route)` });
      primaryReported = true;
    }

    if (isOff(route.mirror) && route.mirrors !== undefined) {
      out.push({ path: [...path, 'mirror'], message: `${label([...path, 'mirror'])}: "mirror: off" contradicts the mirrors list of this route; remove one of them` });
    }
    const ownMirrors = Array.isArray(route.mirrors);
    const mirrors = ownMirrors
      ? (route.mirrors as unknown[]).flatMap((m, j) => {
          const found = mirrorUrl(m);
          return found ? [{ url: found.url, path: [...path, 'mirrors', j, ...found.path] }] : [];
        })
      : (parent?.mirrors ?? []);
    const mirrorsOn = route.mirror !== undefined ? !isOff(route.mirror) : ownMirrors || (parent?.mirrorsOn ?? true);
    if (ownMirrors) {
      checkTargetNames((route.mirrors as unknown[]).map((value, j) => ({ value, path: [...path, 'mirrors', j] })), 'mirror target', label, out);
    }
    if (mirrorsOn && primary !== undefined) {
      for (const m of mirrors) {
        if (m.url !== primary) continue;
        const at = ownMirrors ? m.path : [...path, 'primary'];
        const what = ownMirrors ? `mirror target ${m.url} is this route's primary` : `primary ${primary} is also an inherited mirror target`;
        out.push({ path: at, message: `${label(at)}: ${what}; mirroring it would double the traffic to it` });
      }
    }

    const shadow = route.shadow;
    if (isObj(shadow)) {
      const cands = Array.isArray(shadow.candidate)
        ? shadow.candidate.map((value, j) => ({ value, path: [...path, 'shadow', 'candidate', j] }))
        : [{ value: shadow.candidate, path: [...path, 'shadow', 'candidate'] }];
      checkTargetNames([...cands, { value: shadow.secondary, path: [...path, 'shadow', 'secondary'] }], 'shadow backend', label, out);
    }

    if (Array.isArray(route.routes)) {
      checkRoutes(route.routes, [...path, 'routes'], { name, primary, primaryReported, mirrors, mirrorsOn }, names, label, out);
    }
  });
}

/** Runs the cross-key checks on a configuration as read (before or without the schema). */
export function crossChecks(raw: unknown, label: PathLabel): Issue[] {
  const out: Issue[] = [];
  if (!isObj(raw)) return out;
  checkAdmin(raw, label, out);
  if (Array.isArray(raw.routes)) checkRoutes(raw.routes, ['routes'], undefined, new Map(), label, out);
  return out;
}
