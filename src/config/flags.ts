/**
 * Command-line flags: quick mode (a whole configuration from flags, one catch-all route)
 * and overrides of a loaded file.
 */
import { availableParallelism } from 'node:os';
import type { z } from 'zod';
import { defaultAdminListen, defaultListen, defaultShadowOptions, defaultTimeouts } from './defaults.js';
import { fromZodIssues } from './issues.js';
import { ConfigError, type ConfigProblem } from './problems.js';
import { assignNames, resolveMirror } from './resolve.js';
import { valueSchemas as s, type RawBackend } from './schema.js';
import type { ResolvedConfig, ShadowBackendSpec } from './types.js';
import { isLoopback } from './units.js';

/**
 * Flags as the command line gives them. Absent (or empty list) means "not given".
 * `admin` is `host:port`, a port, or `off`; `adminToken` is the admin API token (the
 * command line takes it from `DOPPEL_ADMIN_TOKEN`).
 */
export interface FlagOptions {
  listen?: string | number;
  admin?: string | number;
  adminToken?: string;
  primary?: string;
  mirror?: string[];
  candidate?: string[];
  secondary?: string;
  workers?: string | number;
  store?: string;
  logLevel?: string;
}

/** Name of the single route of quick mode. */
export const QUICK_ROUTE_NAME = 'default';

/**
 * A configuration from flags alone: one catch-all route named `default` to `--primary`,
 * with `--mirror` targets (`url`, `url|10%`, `url|50`) and, with `--candidate`, shadow
 * testing with default settings. Throws `DOPPEL_ERR_USAGE` listing every bad flag.
 */
export function fromFlags(flags: FlagOptions): ResolvedConfig {
  if (flags.primary === undefined || flags.primary === '') {
    throw new ConfigError('DOPPEL_ERR_USAGE', [usage('--primary: quick mode needs --primary <url> (or use --config <file>)')]);
  }
  if (flags.secondary !== undefined && !flags.candidate?.length) {
    throw new ConfigError('DOPPEL_ERR_USAGE', [usage('--secondary: a secondary is only used with --candidate')]);
  }
  const skeleton: ResolvedConfig = {
    listen: defaultListen(),
    admin: { listen: defaultAdminListen() },
    workers: 1,
    log: { level: 'info' },
    timeouts: defaultTimeouts(),
    routes: [{ name: QUICK_ROUTE_NAME, match: {}, primary: '', mirrors: [] }],
  };
  return applyOverrides(skeleton, flags);
}

function usage(message: string): ConfigProblem {
  return { file: '', line: 0, col: 0, path: message.slice(0, message.indexOf(':')), message };
}

/**
 * Applies flags on top of a configuration (returns a new one): `--listen`, `--admin`,
 * `--workers`, `--log-level` and `--store` replace those settings; `--primary` replaces
 * the primary of every route; `--mirror` replaces the mirrors of every route; `--candidate`
 * replaces the candidates of every route (routes without shadow testing get it with
 * default settings); `--secondary` sets the secondary of every route with shadow testing.
 * Throws `DOPPEL_ERR_USAGE` listing every bad flag.
 */
export function applyOverrides(config: ResolvedConfig, flags: FlagOptions): ResolvedConfig {
  const out = structuredClone(config);
  const problems: ConfigProblem[] = [];
  const parse = <T>(schema: z.ZodType<T>, value: unknown, flag: string): T | undefined => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    for (const issue of fromZodIssues(r.error.issues, value, () => flag)) problems.push(usage(issue.message));
    return undefined;
  };

  if (flags.listen !== undefined) out.listen = parse(s.listen, flags.listen, '--listen') ?? out.listen;
  if (flags.admin !== undefined) {
    const listen = parse(s.adminListen, flags.admin, '--admin');
    if (listen !== undefined) out.admin.listen = listen;
  }
  if (flags.adminToken !== undefined && flags.adminToken !== '') out.admin.token = flags.adminToken;
  const admin = out.admin.listen;
  if (admin && !isLoopback(admin.host) && !out.admin.token) {
    problems.push(usage(`--admin: the admin API would listen on ${admin.host}:${admin.port}, which is not a loopback address; set a token (DOPPEL_ADMIN_TOKEN or admin.token)`));
  }
  if (flags.workers !== undefined) {
    const w = parse(s.workers, flags.workers, '--workers');
    if (w !== undefined) out.workers = w === 'auto' ? availableParallelism() : w;
  }
  if (flags.logLevel !== undefined) out.log.level = parse(s.logLevel, flags.logLevel, '--log-level') ?? out.log.level;
  if (flags.store !== undefined) out.store = parse(s.text, flags.store, '--store') ?? out.store;

  if (flags.primary !== undefined) {
    const primary = parse(s.url, flags.primary, '--primary');
    if (primary !== undefined) for (const r of out.routes) r.primary = primary;
  }
  if (flags.mirror?.length) {
    const parsed = flags.mirror.map((m) => parse(s.mirrorTarget, m, '--mirror'));
    const targets = assignNames(parsed.flatMap((t) => (t ? [resolveMirror(t)] : [])));
    for (const r of out.routes) r.mirrors = structuredClone(targets);
  }
  if (flags.candidate?.length) {
    const candidates = backends(flags.candidate.map((c) => parse(s.backend, c, '--candidate')));
    for (const r of out.routes) {
      r.shadow = r.shadow ? { ...r.shadow, candidates: structuredClone(candidates) } : { ...defaultShadowOptions(), candidates: structuredClone(candidates) };
      if (r.shadow.secondary) r.shadow.secondary = renamed(r.shadow.secondary, candidates);
    }
  }
  if (flags.secondary !== undefined) {
    const [secondary] = backends([parse(s.backend, flags.secondary, '--secondary')]);
    const shadowed = out.routes.filter((r) => r.shadow);
    if (shadowed.length === 0) problems.push(usage('--secondary: no route has shadow testing; give --candidate too'));
    for (const r of shadowed) if (secondary) r.shadow!.secondary = renamed(secondary, r.shadow!.candidates);
  }
  for (const r of out.routes) {
    for (const m of r.mirrors) {
      if (m.url === r.primary) problems.push(usage(`--mirror: mirror target ${m.url} is the primary of route "${r.name}"; mirroring it would double the traffic to it`));
    }
  }
  if (problems.length > 0) throw new ConfigError('DOPPEL_ERR_USAGE', problems);
  return out;
}

/** Resolved shadow backends from parsed flag values (failed ones are skipped). */
function backends(values: (RawBackend | undefined)[]): ShadowBackendSpec[] {
  return assignNames(
    values.flatMap((b) => (b ? [{ url: b.url, headers: { set: {}, remove: [] }, rewrite: {}, host: 'original' as const }] : [])),
  );
}

/** `backend` with a name that no candidate uses. */
function renamed(backend: ShadowBackendSpec, candidates: ShadowBackendSpec[]): ShadowBackendSpec {
  const used = new Set(candidates.map((c) => c.name));
  let name = backend.name;
  for (let n = 2; used.has(name); n++) name = `${backend.name}-${n}`;
  return { ...structuredClone(backend), name };
}

