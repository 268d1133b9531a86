/**
 * Header handling on the hot path: hop-by-hop removal (RFC 9110 7.6.1, including the
 * names listed in `Connection`) and the forwarding headers a proxy adds. Works on the
 * flat `[name, value, name, value, ...]` arrays that node:http and undici both speak,
 * so header order and case pass through unchanged.
 */

/** Hop-by-hop headers, plus those undici refuses to send (`expect`, `host` is handled apart). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
]);

/** True when `lowerName` must not be forwarded. */
export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName);
}

/** Names listed in Connection header values, lower-cased (`close` and `keep-alive` are ignored). */
function connectionTokens(raw: readonly string[]): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') {
      for (const t of raw[i + 1].split(',')) {
        const name = t.trim().toLowerCase();
        if (name && name !== 'close' && name !== 'keep-alive') (tokens ??= new Set()).add(name);
      }
    }
  }
  return tokens;
}

/** Facts about the client request that the forwarding headers carry. */
export interface ForwardInfo {
  clientIp: string;
  proto: 'http' | 'https';
  /** Value for `Via`, e.g. `1.1 doppel`. */
  via: string;
}

/**
 * The request headers to send upstream: hop-by-hop removed, `host` removed (the caller
 * decides it), `X-Forwarded-For` appended to, `X-Forwarded-Proto`/`-Host` set when the
 * client did not send them, and `Via` appended to. Returns a flat array, plus the
 * original Host value.
 */
export function forwardRequestHeaders(raw: readonly string[], info: ForwardInfo): { headers: string[]; host: string } {
  const conn = connectionTokens(raw);
  const out: string[] = [];
  let host = '';
  let xff: string | null = null;
  let via: string | null = null;
  let hasProto = false;
  let hasXHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower === 'host') {
      host = raw[i + 1];
      continue;
    }
    if (HOP_BY_HOP.has(lower) || (conn !== null && conn.has(lower))) continue;
    if (lower === 'x-forwarded-for') {
      xff = xff === null ? raw[i + 1] : `${xff}, ${raw[i + 1]}`;
      continue;
    }
    if (lower === 'via') {
      via = via === null ? raw[i + 1] : `${via}, ${raw[i + 1]}`;
      continue;
    }
    if (lower === 'x-forwarded-proto') hasProto = true;
    else if (lower === 'x-forwarded-host') hasXHost = true;
    out.push(name, raw[i + 1]);
  }
  out.push('x-forwarded-for', xff === null ? info.clientIp : `${xff}, ${info.clientIp}`);
  if (!hasProto) out.push('x-forwarded-proto', info.proto);
  if (!hasXHost && host) out.push('x-forwarded-host', host);
  out.push('via', via === null ? info.via : `${via}, ${info.via}`);
  return { headers: out, host };
}

/**
 * Response headers to pass to the client: hop-by-hop names (and those named in
 * `Connection`) removed. Accepts undici's raw header buffers or strings.
 */
export function forwardResponseHeaders(raw: ReadonlyArray<Buffer | string>): string[] {
  const out: string[] = new Array(raw.length);
  let n = 0;
  let conn: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = typeof raw[i] === 'string' ? (raw[i] as string) : raw[i].toString('latin1');
    const value = typeof raw[i + 1] === 'string' ? (raw[i + 1] as string) : raw[i + 1].toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') conn = connectionTokens([name, value]);
      continue;
    }
    out[n++] = name;
    out[n++] = value;
  }
  out.length = n;
  if (conn === null) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) if (!conn.has(out[i].toLowerCase())) kept.push(out[i], out[i + 1]);
  return kept;
}

/** First value of a header in a flat raw array (case-insensitive), or undefined. */
export function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === lowerName.length && raw[i].toLowerCase() === lowerName) return raw[i + 1];
  return undefined;
}

/** True when any value of the header (case-insensitive name) contains `text`; repeated lines all count. */
export function rawHeaderIncludes(raw: readonly string[], lowerName: string, text: string): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === lowerName.length && raw[i].toLowerCase() === lowerName && raw[i + 1].includes(text)) return true;
  }
  return false;
}

/** Lower-cased header record from a flat raw array (repeated names joined as arrays). */
export function rawToRecord(raw: ReadonlyArray<Buffer | string>): Record<string, string | string[]> {
  const rec: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString().toLowerCase();
    const value = raw[i + 1].toString();
    const prev = rec[name];
    if (prev === undefined) rec[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else rec[name] = [prev, value];
  }
  return rec;
}
