/**
 * Options of the mirror middleware and their resolution into {@link MirrorTargetSpec}s
 * with every default applied: 100% of requests when no percentage is given, 5 s timeout,
 * 1 MiB body limit, 256 copies in flight, the body copied, asynchronous copies.
 */
import type { Registry } from 'prom-client';
import type { HostMode, MirrorTargetSpec, RewriteSpec, SampleSpec } from '../config/types.js';
import { defaultMirrorOptions, MAX_PIPELINING } from '../config/defaults.js';
import { DoppelError } from '../core/errors.js';
import type { MirrorHooks } from '../mirror/target.js';
import type { Metrics } from '../report/metrics.js';

/** One mirror target of the middleware. Unset fields take the middleware-wide value, then the default. */
export interface MirrorTargetOptions {
  /** Base URL: origin plus an optional base path put in front of the request path. */
  url: string;
  /** Share of requests copied, 0..100 (default 100). Counter-based: 50 copies every other request. */
  percentage?: number;
  /** Name in metrics and hooks (default: the URL's `host:port`). */
  name?: string;
  /** Sampling mode and key (`counter` by default; `random`; `hash` on a header, cookie, query parameter or the client IP). */
  sample?: Partial<SampleSpec>;
  /** Largest number of copies per second (token bucket); unlimited when unset. */
  rate?: number;
  /** Whole-copy timeout in ms (default 5000). */
  timeout?: number;
  /** Largest request body copied, in bytes (default 1 MiB); larger requests are not copied. */
  maxBodySize?: number;
  /** Copies under way at once before new ones are dropped (default 256). */
  maxInFlight?: number;
  /** Copies of GET and HEAD requests sent back to back on one connection (default 1, at most 64). */
  pipelining?: number;
  /** Only these methods are copied (default: all). */
  methods?: string[];
  /** Copy the request body (default: the middleware's `copyBody`, true). */
  copyBody?: boolean;
  /** Headers set on (`set`) or removed from (`remove`) the copy. */
  headers?: { set?: Record<string, string>; remove?: string[] };
  /** Path rewriting of the copy (regular expression, prefix strip, prefix). */
  rewrite?: RewriteSpec;
  /** Host header of the copy: `target` (default for the middleware), `original` or `shadow-suffix`. */
  host?: HostMode;
  /** Circuit breaker: opens after `failures` consecutive failures for `cooldown` ms (default 5, 10000). */
  breaker?: { failures: number; cooldown: number };
}

/** A target given as a URL string (every request) or with options. */
export type MirrorTargetInput = string | MirrorTargetOptions;

/** Options of `mirror(...)` / {@link createMirror}. */
export interface MirrorOptions extends MirrorHooks {
  targets: MirrorTargetInput[];
  /** Default whole-copy timeout of the targets, in ms (default 5000). */
  timeout?: number;
  /** When true (default) the response never waits for copies; when false it is held until every copy has finished. */
  async?: boolean;
  /** Copy request bodies (default true). */
  copyBody?: boolean;
  /** Default body size limit of the targets, in bytes (default 1 MiB). */
  maxBodySize?: number;
  /** Default in-flight limit of the targets (default 256). */
  maxInFlight?: number;
  /** Default Host mode of the targets (default `target`). */
  host?: HostMode;
  /** The app's prom-client registry: doppel's metrics are registered on it. */
  register?: Registry;
  /** A doppel {@link Metrics} set to use (takes precedence over `register`). */
  metrics?: Metrics;
  /** Value of the `route` label of this middleware's metrics (default `middleware`). */
  name?: string;
}

/** The resolved options. */
export interface ResolvedMirrorOptions {
  targets: MirrorTargetSpec[];
  async: boolean;
  hooks: MirrorHooks;
  register?: Registry;
  metrics?: Metrics;
  name: string;
}

/**
 * A target that receives `pct` percent of the requests (counter-based, so 50 means every
 * other request).
 *
 * @example
 * ```ts
 * mirror({ targets: [percentage('https://canary.example.com', 5)] });
 * ```
 */
export function percentage(url: string, pct: number): MirrorTargetOptions {
  return { url, percentage: pct };
}

function invalid(message: string): DoppelError {
  return new DoppelError('DOPPEL_ERR_CONFIG_INVALID', message);
}

function checkUrl(url: unknown): URL {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    throw invalid(`mirror target ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`mirror target ${JSON.stringify(url)} is not an http(s) URL`);
  return u;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(`${what} must be a number >= 0, got ${String(value)}`);
  return value;
}

/** A `pipelining` option: an integer from 1 to 64, or the fallback when unset. */
export function pipeliningOf(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PIPELINING) {
    throw invalid(`pipelining must be an integer from 1 to ${MAX_PIPELINING}, got ${String(value)}`);
  }
  return value;
}

/** Resolves the arguments of `mirror(...)`: URL strings and target objects, or one options object. */
export function resolveMirrorOptions(args: readonly (MirrorTargetInput | MirrorOptions)[]): ResolvedMirrorOptions {
  const first = args[0];
  const options: MirrorOptions =
    args.length === 1 && typeof first === 'object' && first !== null && 'targets' in first ? first : { targets: args as MirrorTargetInput[] };
  if (!Array.isArray(options.targets) || options.targets.length === 0) throw invalid('mirror needs at least one target');
  const base = defaultMirrorOptions();
  const names = new Set<string>();
  const targets = options.targets.map((input): MirrorTargetSpec => {
    const t: MirrorTargetOptions = typeof input === 'string' ? { url: input } : input;
    const url = checkUrl(t.url);
    const pct = positive(t.percentage ?? t.sample?.percent, 100, `percentage of ${url.href}`);
    if (pct > 100) throw invalid(`percentage of ${url.href} must be at most 100, got ${pct}`);
    let name = t.name ?? url.host;
    for (let i = 2; names.has(name); i++) name = `${t.name ?? url.host}-${i}`;
    names.add(name);
    return {
      name,
      url: url.href,
      sample: { ...base.sample, ...t.sample, percent: pct },
      rate: t.rate,
      timeout: positive(t.timeout ?? options.timeout, base.timeout, 'timeout'),
      maxBodySize: positive(t.maxBodySize ?? options.maxBodySize, base.maxBodySize, 'maxBodySize'),
      maxInFlight: positive(t.maxInFlight ?? options.maxInFlight, base.maxInFlight, 'maxInFlight'),
      pipelining: pipeliningOf(t.pipelining, base.pipelining),
      methods: t.methods?.map((m) => m.toUpperCase()),
      copyBody: t.copyBody ?? options.copyBody ?? base.copyBody,
      headers: { set: { ...t.headers?.set }, remove: [...(t.headers?.remove ?? [])] },
      rewrite: { ...t.rewrite },
      host: t.host ?? options.host ?? 'target',
      breaker: t.breaker ?? base.breaker,
    };
  });
  return {
    targets,
    async: options.async ?? true,
    hooks: { onError: options.onError, onSuccess: options.onSuccess },
    register: options.register,
    metrics: options.metrics,
    name: options.name ?? 'middleware',
  };
}
