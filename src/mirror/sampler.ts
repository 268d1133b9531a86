/**
 * Sampling: which requests a target receives. `counter` is deterministic and evenly
 * spread (50% = every other request), `random` draws per request, `hash` keeps one user
 * consistently in or out (FNV-1a 32 of a header, cookie, query parameter or client IP),
 * and gives the same answer on every doppel instance.
 */
import type { SampleSpec } from '../config/types.js';

/** What a sampler may look at. */
export interface SampleInput {
  header(lowerName: string): string | undefined;
  /** Raw query string without `?` (may be empty). */
  query: string;
  clientIp: string;
}

export type Sampler = (input: SampleInput) => boolean;

/** FNV-1a 32-bit hash of a string's UTF-16 code units folded to bytes. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h ^= c & 0xff;
    h = Math.imul(h, 0x01000193);
    if (c > 0xff) {
      h ^= c >>> 8;
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function queryValue(query: string, name: string): string | undefined {
  if (!query) return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    if (key === name) {
      try {
        return decodeURIComponent((eq === -1 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
      } catch {
        return part.slice(eq + 1);
      }
    }
  }
  return undefined;
}

/** The hash key of a request, or undefined when the request does not carry it. */
export function sampleKeyOf(spec: SampleSpec, input: SampleInput): string | undefined {
  const key = spec.key;
  if (!key) return undefined;
  switch (key.source) {
    case 'header':
      return input.header(key.name!.toLowerCase());
    case 'cookie':
      return cookieValue(input.header('cookie'), key.name!);
    case 'query':
      return queryValue(input.query, key.name!);
    case 'ip':
      return input.clientIp || undefined;
  }
}

/**
 * Builds the sampler for a spec. Each call of a `counter` sampler counts one request.
 * A `hash` sampler falls back to a random draw for requests without the key, so the
 * overall share stays right.
 *
 * @example
 * ```ts
 * const s = createSampler({ percent: 50, mode: 'counter' });
 * s(input); // true, false, true, false, ...
 * ```
 */
export function createSampler(spec: SampleSpec): Sampler {
  const pct = spec.percent;
  if (pct >= 100) return () => true;
  if (pct <= 0) return () => false;
  if (spec.mode === 'counter') {
    let total = 0;
    let taken = 0;
    return () => {
      total++;
      if (taken * 100 < total * pct) {
        taken++;
        return true;
      }
      return false;
    };
  }
  if (spec.mode === 'hash') {
    const threshold = Math.round(pct * 100);
    return (input) => {
      const k = sampleKeyOf(spec, input);
      if (k === undefined) return Math.random() * 100 < pct;
      return fnv1a32(k) % 10000 < threshold;
    };
  }
  return () => Math.random() * 100 < pct;
}
