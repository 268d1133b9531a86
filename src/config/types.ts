/**
 * The resolved configuration: what the YAML file and command-line flags turn into after
 * validation, with every default applied, every duration in milliseconds and every size
 * in bytes. The proxy core and the middleware consume only these types.
 */
import type { CompareRules } from '../compare/types.js';

/** A `host:port` pair. Port 0 asks the OS for a free port. */
export interface HostPort {
  host: string;
  port: number;
}

/** Where a sampling decision takes its key from, for `mode: hash`. */
export interface SampleKey {
  source: 'header' | 'cookie' | 'query' | 'ip';
  /** Header, cookie or query parameter name (lower-cased for headers); absent for `ip`. */
  name?: string;
}

/** Which share of requests a target receives. */
export interface SampleSpec {
  /** 0..100; 100 means every request. */
  percent: number;
  /** `counter`: deterministic (count*percent spread, like Traefik); `random`; `hash`: FNV-1a of `key`. */
  mode: 'random' | 'counter' | 'hash';
  key?: SampleKey;
}

/** How the path of a copied request is changed before it is sent. */
export interface RewriteSpec {
  /** Regular-expression replacement applied to the path (query excluded). */
  path?: { from: string; to: string };
  /** Removed from the start of the path when present. */
  stripPrefix?: string;
  /** Put in front of the path (after stripPrefix). */
  prefix?: string;
}

/** Header changes for a copied request. `set` values may use `${ENV}` (resolved at load). */
export interface HeaderMutation {
  set: Record<string, string>;
  remove: string[];
}

/** What the Host header of a copied request becomes. */
export type HostMode = 'original' | 'target' | 'shadow-suffix';

/** A mirror target after defaults: fire-and-forget copies of the traffic. */
export interface MirrorTargetSpec {
  /** Unique within the route; defaults to the URL's host:port. Used in metrics labels. */
  name: string;
  /** Base URL: origin plus an optional base path that is put in front of the request path. */
  url: string;
  sample: SampleSpec;
  /** Max copies per second (token bucket); undefined = unlimited. */
  rate?: number;
  /** Whole-request timeout in ms (default 5000). */
  timeout: number;
  /** Largest request body copied, in bytes (default 1 MiB). */
  maxBodySize: number;
  /** Copies under way at once before new ones are dropped (default 256). */
  maxInFlight: number;
  /**
   * Copies of GET and HEAD requests sent back to back on one connection (default 1: one at a
   * time). Above 1, copies made in the same event-loop turn also leave in one write.
   */
  pipelining: number;
  /** Only these methods are copied; undefined = all. Upper-case. */
  methods?: string[];
  /** Copy the request body (default true). When false the copy is sent without a body. */
  copyBody: boolean;
  headers: HeaderMutation;
  rewrite: RewriteSpec;
  host: HostMode;
  /** Circuit breaker: open after `failures` consecutive failures, retry after `cooldown` ms. */
  breaker: { failures: number; cooldown: number };
}

/** A backend that shadow testing sends copies to and compares (candidate or secondary). */
export interface ShadowBackendSpec {
  name: string;
  url: string;
  headers: HeaderMutation;
  rewrite: RewriteSpec;
  host: HostMode;
}

/** Shadow testing for a route: compare the candidate's answers with the primary's. */
export interface ShadowSpec {
  candidates: ShadowBackendSpec[];
  secondary?: ShadowBackendSpec;
  sample: SampleSpec;
  /** Methods that are shadowed (default GET, HEAD, OPTIONS). Upper-case. */
  methods: string[];
  /** Timeout for candidate and secondary requests, in ms (default 5000). */
  timeout: number;
  /** Shadowed requests under way at once before new ones are skipped (default 256). */
  maxInFlight: number;
  /** Requests to a backend sent back to back on one connection, GET and HEAD only (default 1). */
  pipelining: number;
  /** Largest request body sent to shadow backends, in bytes (default 1 MiB). */
  maxBodySize: number;
  compare: CompareRules;
  /** Diffy thresholds: relative (fraction, default 0.2) and absolute (fraction of requests, default 0.0003). */
  noise: { relative: number; absolute: number };
}

/** How a route selects requests. Every present condition must hold. */
export interface RouteMatch {
  /** Host names (port ignored, case-insensitive); `*.example.com` matches sub-domains. */
  hosts?: string[];
  /** `prefix` matches on segment boundaries-agnostic string prefix; `glob` uses `*` (one segment) and `**` (any). */
  path?: { type: 'prefix' | 'glob' | 'exact'; value: string };
  methods?: string[];
  /** Header must be present; with `value`, equal to it (case-sensitive). Names lower-cased. */
  headers?: { name: string; value?: string }[];
}

/** A route after nesting is flattened: children come before their parent. */
export interface RouteSpec {
  /** Unique name; nested routes get `parent/child` unless named. */
  name: string;
  match: RouteMatch;
  /** Primary upstream base URL (origin plus optional base path). */
  primary: string;
  /** Mirrors for this route; empty when `mirror: off`. */
  mirrors: MirrorTargetSpec[];
  shadow?: ShadowSpec;
  /** Fixed endpoint name for shadow reports; otherwise inferred from traffic. */
  endpoint?: string;
}

export interface TimeoutSpec {
  /** TCP connect to an upstream, ms (default 5000). */
  connect: number;
  /** Primary: time to response headers, ms (default 30000). */
  primary: number;
  /** Primary: max idle time between response body chunks; also between the chunks of a request body read whole. ms (default 30000). */
  idle: number;
  /** Client must send request headers within this, ms (default 60000). */
  clientHeaders: number;
  /** On shutdown: how long in-flight primaries may take, ms (default 10000). */
  shutdownGrace: number;
  /** On shutdown: extra time for mirrors after the primaries finished, ms (default 2000). */
  mirrorGrace: number;
}

export interface ResolvedConfig {
  /** Absolute path of the YAML file, when loaded from one. */
  file?: string;
  listen: HostPort;
  admin: { listen: HostPort | null; token?: string };
  /** Worker processes; 1 runs in-process. */
  workers: number;
  /**
   * Request bodies of a declared length up to this many bytes are read whole before the
   * primary is called; larger and chunked ones stream. 0 streams every body. Default 64 KiB.
   */
  requestBuffer?: number;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  timeouts: TimeoutSpec;
  /** Store location for shadow results (SQLite path or postgres:// URL); undefined = memory only. */
  store?: string;
  /** Retention, samples and redaction of shadow results (documented defaults when absent). */
  storeOptions?: StoreSettings;
  routes: RouteSpec[];
}

/** `store` settings other than the location, with defaults applied. */
export interface StoreSettings {
  retention: {
    /** Results older than this are deleted, ms (default 7 days; 0 = kept forever). */
    maxAge: number;
    /** Samples kept in the whole store at most (default 5000; 0 = unbounded). */
    maxSamples: number;
  };
  /** Samples kept per endpoint and field (default 5). */
  samplesPerField: number;
  /** Longest body kept with a sample, bytes of text (default 64 KiB). */
  maxBodySize: number;
  /** Redacted on top of authorization, cookie, set-cookie and proxy-authorization. */
  redact: { headers: string[]; paths: string[] };
}
