/**
 * URL-safe ids of report endpoints: base64url of the JSON triple
 * `[route, candidate, endpoint]`, so any name round-trips.
 */
import type { EndpointId } from '../report/aggregate-types.js';

/**
 * The id of an endpoint.
 *
 * @example
 * ```ts
 * encodeEndpointId({ route: 'api', candidate: 'v2', endpoint: 'GET /users/:id' }); // 'WyJhcGkiLCJ2MiIsIkdFVCAvdXNlcnMvOmlkIl0'
 * ```
 */
export function encodeEndpointId(id: EndpointId): string {
  return Buffer.from(JSON.stringify([id.route, id.candidate, id.endpoint])).toString('base64url');
}

/** The endpoint an id names, or `null` when it is not a valid id. */
export function decodeEndpointId(text: string): EndpointId | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string')) return null;
    return { route: v[0] as string, candidate: v[1] as string, endpoint: v[2] as string };
  } catch {
    return null;
  }
}

/** A report row with its `id` first. */
export function withEndpointId<T extends EndpointId>(row: T): T & { id: string } {
  return { id: encodeEndpointId(row), ...row };
}
