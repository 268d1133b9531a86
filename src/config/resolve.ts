/**
 * From the parsed file to the {@link ResolvedConfig}: applies every default, flattens
 * nested routes (children before their parent, inheriting primary, mirrors, shadow and
 * endpoint) and names unnamed targets.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { ArrayMode, CompareRules } from '../compare/types.js';
import { defaultRouteName } from './checks.js';
import {
  defaultAdminListen,
  defaultCompareRules,
  defaultListen,
  defaultMirrorOptions,
  defaultSample,
  defaultShadowOptions,
  defaultTimeouts,
  MIB,
} from './defaults.js';
import type { PathLabel } from './issues.js';
import { andMatch } from './match.js';
import type { Issue, PathSegment } from './problems.js';
import type {
  RawArrayMode,
  RawBackend,
  RawCompare,
  RawConfig,
  RawHeaderMutation,
  RawMirrorOptions,
  RawMirrorTarget,
  RawRewrite,
  RawRoute,
  RawSample,
  RawShadow,
} from './schema.js';
import type {
  HeaderMutation,
  HostMode,
  MirrorTargetSpec,
  ResolvedConfig,
  RewriteSpec,
  RouteMatch,
  RouteSpec,
  SampleSpec,
  ShadowBackendSpec,
  ShadowSpec,
} from './types.js';
import { urlHostPort } from './units.js';

/** Options of {@link resolveConfig}. */
export interface ResolveOptions {
  /** Directory that a relative `store` path is resolved against; kept as written when absent. */
  baseDir?: string;
  /** Receives problems found while combining nested routes. */
  report: (issue: Issue) => void;
  /** Names paths in messages. */
  label: PathLabel;
}

/** A sampling spec with its defaults: 100%, `counter`, or `hash` when a key is given. */
export function resolveSample(raw: RawSample | undefined): SampleSpec {
  if (!raw) return defaultSample();
  const key = 'key' in raw ? raw.key : undefined;
  const mode = ('mode' in raw ? raw.mode : undefined) ?? (key ? 'hash' : 'counter');
  return { percent: raw.percent ?? 100, mode, ...(key ? { key } : {}) };
}

function resolveHeaders(raw: RawHeaderMutation | undefined): HeaderMutation {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw?.set ?? {})) set[k.toLowerCase()] = v;
  return { set, remove: raw?.remove ?? [] };
}

function resolveRewrite(raw: RawRewrite | undefined): RewriteSpec {
  const out: RewriteSpec = {};
  if (raw?.path) out.path = { from: raw.path.from, to: raw.path.to ?? '' };
  if (raw?.stripPrefix !== undefined) out.stripPrefix = raw.stripPrefix;
  if (raw?.prefix !== undefined) out.prefix = raw.prefix;
  return out;
}

/** Gives every target a name: explicit names first, then `host:port` made unique with -2, -3... */
export function assignNames<T extends { url: string }>(targets: (T & { name?: string })[]): (T & { name: string })[] {
  const used = new Set(targets.flatMap((t) => (t.name === undefined ? [] : [t.name])));
  return targets.map((t) => {
    if (t.name !== undefined) return { ...t, name: t.name };
    const base = urlHostPort(t.url);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return { ...t, name };
  });
}

type MirrorObject = RawMirrorOptions & { url: string; name?: string };

/** A mirror target with the file's `defaults.mirror` and the built-in defaults applied. */
export function resolveMirror(entry: RawMirrorTarget, defaults: RawMirrorOptions = {}): Omit<MirrorTargetSpec, 'name'> & { name?: string } {
  const e = entry as MirrorObject;
  const d = defaultMirrorOptions();
  const rate = e.rate ?? defaults.rate;
  const methods = e.methods ?? defaults.methods;
  const breaker = e.breaker ?? defaults.breaker;
  return {
    ...(e.name !== undefined ? { name: e.name } : {}),
    url: e.url,
    sample: resolveSample(e.sample ?? defaults.sample),
    ...(rate !== undefined ? { rate } : {}),
    timeout: e.timeout ?? defaults.timeout ?? d.timeout,
    maxBodySize: e.maxBodySize ?? defaults.maxBodySize ?? d.maxBodySize,
    maxInFlight: e.maxInFlight ?? defaults.maxInFlight ?? d.maxInFlight,
    pipelining: e.pipelining ?? defaults.pipelining ?? d.pipelining,
    ...(methods !== undefined ? { methods: [...new Set(methods)] } : {}),
    copyBody: e.body ?? defaults.body ?? d.copyBody,
    headers: resolveHeaders(e.headers ?? defaults.headers),
    rewrite: resolveRewrite(e.rewrite ?? defaults.rewrite),
    host: e.host ?? defaults.host ?? d.host,
    breaker:
      breaker === false
        ? { failures: 0, cooldown: 0 }
        : { failures: breaker?.failures ?? d.breaker.failures, cooldown: breaker?.cooldown ?? d.breaker.cooldown },
  };
}

function resolveBackend(raw: RawBackend): Omit<ShadowBackendSpec, 'name'> & { name?: string } {
  const b = raw as { url: string; name?: string; headers?: RawHeaderMutation; rewrite?: RawRewrite; host?: HostMode };
  return {
    ...(b.name !== undefined ? { name: b.name } : {}),
    url: b.url,
    headers: resolveHeaders(b.headers),
    rewrite: resolveRewrite(b.rewrite),
    host: b.host ?? 'original',
  };
}

function resolveArrayMode(raw: RawArrayMode): ArrayMode {
  if (typeof raw === 'string') return { mode: raw };
  return raw.order ? { mode: 'byKey', key: raw.byKey, order: true } : { mode: 'byKey', key: raw.byKey };
}

function resolveCompare(raw: RawCompare | undefined, maxCompareSize: number): CompareRules {
  const rules = defaultCompareRules();
  if (!raw) return { ...rules, maxCompareSize };
  const h = raw.headers;
  return {
    status: raw.status ?? rules.status,
    headers:
      h === undefined || h === true
        ? rules.headers
        : h === false
          ? { enabled: false, include: null, ignore: [] }
          : { enabled: true, include: h.include ?? null, ignore: h.ignore ?? [] },
    body: raw.body ?? rules.body,
    jq: raw.jq ?? [],
    ignore: raw.ignore ?? [],
    arrays: raw.arrays === undefined ? rules.arrays : resolveArrayMode(raw.arrays),
    arraysAt: Object.entries(raw.arraysAt ?? {}).map(([path, mode]) => ({ path, mode: resolveArrayMode(mode) })),
    numericTolerance: raw.numericTolerance ?? 0,
    maxCompareSize,
  };
}

/** A shadow section with its defaults. */
export function resolveShadow(raw: RawShadow): ShadowSpec {
  const d = defaultShadowOptions();
  const backends = assignNames([...raw.candidate, ...(raw.secondary ? [raw.secondary] : [])].map(resolveBackend));
  const candidates = backends.slice(0, raw.candidate.length);
  const secondary = raw.secondary ? backends[backends.length - 1] : undefined;
  return {
    candidates,
    ...(secondary ? { secondary } : {}),
    sample: resolveSample(raw.sample),
    methods: raw.methods ? [...new Set(raw.methods)] : d.methods,
    timeout: raw.timeout ?? d.timeout,
    maxInFlight: raw.maxInFlight ?? d.maxInFlight,
    pipelining: raw.pipelining ?? d.pipelining,
    maxBodySize: raw.maxBodySize ?? d.maxBodySize,
    compare: resolveCompare(raw.compare, raw.maxCompareSize ?? MIB),
    noise: { relative: raw.noise?.relative ?? d.noise.relative, absolute: raw.noise?.absolute ?? d.noise.absolute },
  };
}

function resolveMatch(raw: RawRoute['match']): RouteMatch {
  const m: RouteMatch = {};
  if (!raw) return m;
  if (raw.host) m.hosts = [...new Set(raw.host)];
  if (raw.path) m.path = raw.path;
  if (raw.methods) m.methods = [...new Set(raw.methods)];
  if (raw.headers) {
    m.headers = Object.entries(raw.headers).map(([name, v]) => (v === true ? { name: name.toLowerCase() } : { name: name.toLowerCase(), value: v }));
  }
  return m;
}

interface Inherited {
  name: string;
  match: RouteMatch;
  primary?: string;
  endpoint?: string;
  mirrors: MirrorTargetSpec[];
  mirrorsOn: boolean;
  shadow?: ShadowSpec;
}

function flatten(
  routes: RawRoute[],
  base: PathSegment[],
  parent: Inherited | undefined,
  defaults: RawMirrorOptions | undefined,
  opts: ResolveOptions,
  out: RouteSpec[],
): void {
  routes.forEach((r, i) => {
    const path = [...base, i];
    const own = resolveMatch(r.match);
    let match = own;
    if (parent) {
      const combined = andMatch(parent.match, own);
      match = combined.match;
      for (const p of combined.problems) {
        const key = p.key === 'hosts' ? 'host' : p.key;
        const at = [...path, 'match', key];
        opts.report({ path: at, message: `${opts.label(at)}: ${p.message}` });
      }
    }
    const ctx: Inherited = {
      name: r.name ?? defaultRouteName(parent?.name, i),
      match,
      primary: r.primary ?? parent?.primary,
      endpoint: r.endpoint ?? parent?.endpoint,
      mirrors: r.mirrors ? assignNames(r.mirrors.map((m) => resolveMirror(m, defaults))) : (parent?.mirrors ?? []),
      mirrorsOn: r.mirror ?? (r.mirrors ? true : (parent?.mirrorsOn ?? true)),
      shadow: r.shadow === false ? undefined : r.shadow ? resolveShadow(r.shadow) : parent?.shadow,
    };
    if (r.routes) flatten(r.routes, [...path, 'routes'], ctx, defaults, opts, out);
    out.push({
      name: ctx.name,
      match: structuredClone(match),
      primary: ctx.primary ?? '',
      mirrors: ctx.mirrorsOn ? structuredClone(ctx.mirrors) : [],
      ...(ctx.shadow ? { shadow: structuredClone(ctx.shadow) } : {}),
      ...(ctx.endpoint !== undefined ? { endpoint: ctx.endpoint } : {}),
    });
  });
}

/** Resolves a store location: URLs and `:memory:` as written, paths against `baseDir`. */
function resolveStore(store: string, baseDir: string | undefined): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(store) || store === ':memory:' || !baseDir || isAbsolute(store)) return store;
  return resolvePath(baseDir, store);
}

/** `store` as a location and, in the object form, its settings with defaults. */
function resolveStoreSection(store: RawConfig['store'], baseDir: string | undefined): Pick<ResolvedConfig, 'store' | 'storeOptions'> {
  if (store === undefined) return {};
  if (typeof store === 'string') return { store: resolveStore(store, baseDir) };
  return {
    ...(store.url !== undefined ? { store: resolveStore(store.url, baseDir) } : {}),
    storeOptions: {
      retention: { maxAge: store.retention?.maxAge ?? 7 * 24 * 3600 * 1000, maxSamples: store.retention?.maxSamples ?? 5000 },
      samplesPerField: store.samples?.perField ?? 5,
      maxBodySize: store.samples?.maxBodySize ?? 64 * 1024,
      redact: { headers: store.redact?.headers ?? [], paths: store.redact?.paths ?? [] },
    },
  };
}

/** Builds the resolved configuration from a parsed (schema-valid) file. */
export function resolveConfig(raw: RawConfig, opts: ResolveOptions): ResolvedConfig {
  const routes: RouteSpec[] = [];
  flatten(raw.routes, ['routes'], undefined, raw.defaults?.mirror, opts, routes);
  const admin = raw.admin;
  const adminListen = typeof admin === 'object' ? admin.listen : admin === false ? null : undefined;
  const token = typeof admin === 'object' ? admin.token : undefined;
  const workers = raw.workers === 'auto' ? availableParallelism() : (raw.workers ?? 1);
  return {
    listen: raw.listen ?? defaultListen(),
    admin: { listen: adminListen === undefined ? defaultAdminListen() : adminListen, ...(token !== undefined ? { token } : {}) },
    workers,
    ...(raw.requestBuffer !== undefined ? { requestBuffer: raw.requestBuffer } : {}),
    log: { level: raw.log?.level ?? 'info' },
    timeouts: { ...defaultTimeouts(), ...stripUndefined(raw.timeouts ?? {}) },
    ...resolveStoreSection(raw.store, opts.baseDir),
    routes,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
