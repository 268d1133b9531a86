/**
 * Parsers for the scalar value forms of the configuration: durations, sizes, percentages,
 * listen addresses, upstream URLs and sampling keys. Each returns a {@link Parsed} result
 * instead of throwing, so that the schema can report every bad value with its location.
 */
import type { HostPort, SampleKey } from './types.js';

/** The outcome of parsing one value: the value, or a message without location. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; expected?: string };

/** A successful parse. */
export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
/** A bad value of the right type. */
export const fail = (message: string): Parsed<never> => ({ ok: false, message });
/** A value of the wrong type; `expected` describes the accepted form (used to merge alternatives). */
export const wrongType = (expected: string, got: unknown): Parsed<never> => ({
  ok: false,
  message: `expected ${expected}, got ${describe(got)}`,
  expected,
});

/** A short description of a value for messages: `"abc"`, `12`, `true`, `a list`, `a map`, `nothing`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/gy;

/**
 * Parses a duration to milliseconds: a number (ms) or a string such as `250ms`, `5s`,
 * `1.5s`, `1m`, `1h`, `1m30s`. `positive` rejects 0.
 */
export function parseDuration(v: unknown, opts: { positive?: boolean } = {}): Parsed<number> {
  const hint = 'use a number of milliseconds or a value like 250ms, 5s, 1.5s, 1m, 1h or 1m30s';
  let ms: number;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return fail(`invalid duration ${v}; ${hint}`);
    ms = v;
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (s.startsWith('-')) return fail(`duration must not be negative, got ${describe(v)}`);
    if (/^\d+(\.\d+)?$/.test(s)) ms = Number(s);
    else {
      DURATION_PART.lastIndex = 0;
      let total = 0;
      let end = 0;
      for (let m = DURATION_PART.exec(s); m; m = DURATION_PART.exec(s)) {
        total += Number(m[1]) * DURATION_UNITS[m[2]];
        end = DURATION_PART.lastIndex;
      }
      if (s === '' || end !== s.length) return fail(`invalid duration ${describe(v)}; ${hint}`);
      ms = total;
    }
  } else {
    return wrongType('a duration (a number of ms or a value like 5s)', v);
  }
  if (ms < 0) return fail(`duration must not be negative, got ${describe(v)}`);
  ms = Math.round(ms);
  if (opts.positive && ms === 0) return fail(`duration must be greater than 0, got ${describe(v)}`);
  return ok(ms);
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses a size to bytes: a number (bytes) or `512`, `64KB` (1000), `64KiB` (1024), `1MiB`, `1GB`. */
export function parseSize(v: unknown): Parsed<number> {
  const hint = 'use a number of bytes or a value like 512KiB, 64KB, 1MiB or 1GB';
  let bytes: number;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return fail(`invalid size ${v}; ${hint}`);
    bytes = v;
  } else if (typeof v === 'string') {
    const m = /^\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*([a-z]*)\s*$/i.exec(v);
    const unit = m?.[2].toLowerCase() ?? '';
    if (!m || (unit !== '' && !(unit in SIZE_UNITS))) return fail(`invalid size ${describe(v)}; ${hint}`);
    bytes = Number(m[1]) * (unit === '' ? 1 : SIZE_UNITS[unit]);
  } else {
    return wrongType('a size (a number of bytes or a value like 1MiB)', v);
  }
  if (bytes < 0) return fail(`size must not be negative, got ${describe(v)}`);
  if (bytes > Number.MAX_SAFE_INTEGER) return fail(`size is too large: ${describe(v)}`);
  return ok(Math.floor(bytes));
}

/** Parses a percentage to 0..100: `10%`, `12.5%` or a number 0..100. */
export function parsePercent(v: unknown): Parsed<number> {
  let pct: number;
  if (typeof v === 'number') pct = v;
  else if (typeof v === 'string') {
    const m = /^\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*%\s*$/.exec(v);
    if (!m) return fail(`invalid percentage ${describe(v)}; use a value like 10% or a number from 0 to 100`);
    pct = Number(m[1]);
  } else {
    return wrongType('a percentage (like 10% or a number from 0 to 100)', v);
  }
  if (!Number.isFinite(pct) || pct < 0 || pct > 100) {
    return fail(`percentage must be between 0 and 100, got ${describe(v)}`);
  }
  return ok(pct);
}

/** Parses a fraction to 0..1: a percent string (`20%` = 0.2) or a number from 0 to 1. */
export function parseFraction(v: unknown): Parsed<number> {
  if (typeof v === 'string') {
    const p = parsePercent(v);
    if (!p.ok) return fail(`invalid value ${describe(v)}; use a percentage like 20% or a fraction from 0 to 1`);
    return ok(p.value / 100);
  }
  if (typeof v !== 'number') return wrongType('a percentage (like 20%) or a fraction from 0 to 1', v);
  if (!Number.isFinite(v) || v < 0 || v > 1) {
    return fail(`a number here is a fraction from 0 to 1, got ${v}; write ${v}% for a percentage`);
  }
  return ok(v);
}

/** Parses a count: an integer >= `min`. */
export function parseInteger(v: unknown, min: number): Parsed<number> {
  if (typeof v !== 'number') return wrongType(`an integer >= ${min}`, v);
  if (!Number.isInteger(v) || v < min) return fail(`expected an integer >= ${min}, got ${describe(v)}`);
  return ok(v);
}

/** Parses a positive number (for example a rate in requests per second). */
export function parsePositive(v: unknown): Parsed<number> {
  if (typeof v !== 'number') return wrongType('a number greater than 0', v);
  if (!Number.isFinite(v) || v <= 0) return fail(`expected a number greater than 0, got ${describe(v)}`);
  return ok(v);
}

/** Parses `workers`: a positive integer or `auto` (returned as the string). */
export function parseWorkers(v: unknown): Parsed<number | 'auto'> {
  if (v === 'auto') return ok('auto');
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) v = Number(v);
  if (typeof v !== 'number') return wrongType('a positive integer or "auto"', v);
  if (!Number.isInteger(v) || v < 1 || v > 1024) {
    return fail(`expected a positive integer (at most 1024) or "auto", got ${describe(v)}`);
  }
  return ok(v);
}

/**
 * Parses a listen address: `host:port`, `:port` (all IPv4 interfaces, 0.0.0.0),
 * `[::1]:port` or a port number alone (on `defaultHost`, loopback by default).
 */
export function parseHostPort(v: unknown, defaultHost = '127.0.0.1'): Parsed<HostPort> {
  const hint = 'use host:port, :port, [ipv6]:port or a port number';
  let host: string;
  let portText: string;
  if (typeof v === 'number') {
    host = defaultHost;
    portText = String(v);
  } else if (typeof v === 'string') {
    const s = v.trim();
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]*)):(\d+)$/.exec(s);
    if (/^\d+$/.test(s)) {
      host = defaultHost;
      portText = s;
    } else if (m) {
      host = m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]);
      portText = m[3];
    } else {
      return fail(`invalid listen address ${describe(v)}; ${hint}`);
    }
  } else {
    return wrongType(`a listen address (${hint})`, v);
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return fail(`port must be between 0 and 65535, got ${portText}`);
  }
  return ok({ host, port });
}

/** True when `host` is a loopback address or name (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Parses an upstream base URL: http(s), with a host, an optional base path, no query and
 * no fragment. Returns it normalised without a trailing slash (`http://h:3000/base`).
 */
export function parseUpstreamUrl(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return wrongType('a URL like http://127.0.0.1:3000', v);
  const s = v.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    return fail(`invalid URL ${describe(v)}: missing scheme; write http://${s || 'host:port'}`);
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return fail(`invalid URL ${describe(v)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return fail(`URL ${describe(v)} must use http or https, not ${u.protocol.slice(0, -1)}`);
  }
  if (!u.hostname) return fail(`URL ${describe(v)} has no host`);
  if (u.search || u.hash || s.endsWith('?') || s.endsWith('#')) {
    return fail(`URL ${describe(v)} must not have a query or fragment (a base path is allowed)`);
  }
  return ok(u.href.replace(/\/+$/, ''));
}

/** The `host:port` of a base URL, with the scheme's default port filled in. */
export function urlHostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** Parses a sampling key: `header:<name>`, `cookie:<name>`, `query:<name>` or `ip`. */
export function parseSampleKey(v: unknown): Parsed<SampleKey> {
  const hint = 'use header:<name>, cookie:<name>, query:<name> or ip';
  if (typeof v !== 'string') return wrongType(`a sample key (${hint})`, v);
  const s = v.trim();
  if (s === 'ip') return ok({ source: 'ip' });
  const m = /^(header|cookie|query):(.+)$/.exec(s);
  if (!m || !m[2].trim()) return fail(`invalid sample key ${describe(v)}; ${hint}`);
  const source = m[1] as 'header' | 'cookie' | 'query';
  const name = m[2].trim();
  if (source === 'header' && !isToken(name)) return fail(`invalid header name ${describe(name)} in sample key`);
  return ok({ source, name: source === 'header' ? name.toLowerCase() : name });
}

/** True for an HTTP token (header names, methods). */
export function isToken(s: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s);
}

/** Parses an HTTP method name, returned upper-case. */
export function parseMethod(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return wrongType('an HTTP method like GET', v);
  if (!/^[A-Za-z]+$/.test(v.trim())) return fail(`invalid HTTP method ${describe(v)}`);
  return ok(v.trim().toUpperCase());
}

/** Parses a header name, returned lower-case. */
export function parseHeaderName(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return wrongType('a header name', v);
  if (!isToken(v)) return fail(`invalid header name ${describe(v)}`);
  return ok(v.toLowerCase());
}

/** Parses a JavaScript regular expression source (used by `rewrite.path.from`). */
export function parseRegex(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return wrongType('a regular expression', v);
  try {
    new RegExp(v);
  } catch (err) {
    const detail = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return fail(`invalid regular expression ${describe(v)}: ${detail}`);
  }
  return ok(v);
}

/** Parses a URL path (must start with `/`). */
export function parsePath(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return wrongType('a path starting with /', v);
  if (!v.startsWith('/')) return fail(`path ${describe(v)} must start with /`);
  if (/[\s?#]/.test(v)) return fail(`path ${describe(v)} must not contain spaces, ? or #`);
  return ok(v);
}

const BODY_PATH = /^\$(?:\.\.?(?:\*|[^.[\]\s]+)|(?:\.\.)?\[\s*(?:\*|\d+|'[^']*'|"[^"]*")\s*\])*$/;

/** Parses a body path glob such as `$.meta.generatedAt`, `$..updatedAt` or `$.items[*].etag`. */
export function parseBodyPath(v: unknown): Parsed<string> {
  if (typeof v !== 'string') return wrongType('a body path like $.meta.generatedAt', v);
  if (!BODY_PATH.test(v)) {
    return fail(`invalid body path ${describe(v)}; use $ followed by .name, ..name, .*, [*], [0] or ['name'] segments`);
  }
  return ok(v);
}
