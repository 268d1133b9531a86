/**
 * Endpoint naming for shadow reports: `METHOD /path/template`, where segments that are
 * identifiers become `:id`. Identifiers are recognised by their shape (numbers, UUIDs,
 * long hex, token-like strings, dates, e-mail addresses) and learned from traffic: a
 * segment position that shows too many distinct literal values is an identifier too.
 */

/** The placeholder that replaces identifier segments. */
export const ID_SEGMENT = ':id';
/** The path of the catch-all endpoint that new endpoints fold into past the cap. */
export const OTHER_ENDPOINT_PATH = '/*other*';

/** Options of {@link EndpointNamer}. */
export interface EndpointNamerOptions {
  /** Distinct endpoint names kept before new ones fold into `METHOD /*other*` (default 1000). */
  maxEndpoints?: number;
  /** Distinct literal values after which a segment position becomes `:id` (default 50). */
  cardinalityThreshold?: number;
  /** Segment positions whose literal values are tracked; past this, new positions are not learned (default 10000). */
  maxTrackedPositions?: number;
}

const NUMERIC = /^[-+]?\d+(?:\.\d+)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^(?:0x)?[0-9a-f]{16,}$/i;
const TOKEN = /^[A-Za-z0-9_\-+=~]{16,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const EMAIL = /^[^@\s/]+@[^@\s/]+\.[^@\s/]+$/;
/** Literal segments longer than this are treated as identifiers (no route names its pages so). */
const MAX_LITERAL_LENGTH = 64;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * True when a path segment looks like an identifier: numeric, a UUID, 16+ hex digits, a
 * token of 16+ characters mixing letters and digits, an ISO date (with optional time),
 * an e-mail address, or longer than 64 characters. Percent-encoding is decoded first.
 *
 * @example
 * ```ts
 * isIdSegment('42');                                   // true
 * isIdSegment('3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f'); // true
 * isIdSegment('me');                                   // false
 * ```
 */
export function isIdSegment(segment: string): boolean {
  const s = decodeSegment(segment);
  if (s.length === 0) return false;
  if (s.length > MAX_LITERAL_LENGTH) return true;
  if (NUMERIC.test(s) || UUID.test(s) || LONG_HEX.test(s) || DATE.test(s) || EMAIL.test(s)) return true;
  return TOKEN.test(s) && /[A-Za-z]/.test(s) && /\d/.test(s);
}

/**
 * The path of a request target: query string and fragment dropped, scheme and authority
 * dropped from absolute URLs, empty segments removed. Always starts with `/`.
 *
 * @example
 * ```ts
 * pathOf('http://api.local/users/17/?expand=1'); // '/users/17'
 * ```
 */
export function pathOf(url: string): string {
  let end = url.length;
  const q = url.indexOf('?');
  if (q >= 0) end = q;
  const h = url.indexOf('#');
  if (h >= 0 && h < end) end = h;
  let path = url.slice(0, end);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (scheme) path = path.slice(scheme[0].length);
  const segments = path.split('/').filter((s) => s.length > 0);
  return '/' + segments.join('/');
}

/**
 * The template of a path from segment shapes alone (no learning).
 *
 * @example
 * ```ts
 * templatePath('/users/17/orders/2024-01-31?x=1'); // '/users/:id/orders/:id'
 * ```
 */
export function templatePath(url: string): string {
  const segments = pathOf(url).split('/').filter((s) => s.length > 0);
  return '/' + segments.map((s) => (isIdSegment(s) ? ID_SEGMENT : s)).join('/');
}

/** FNV-1a, 32 bits: distinct values are tracked by hash to bound memory. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Names requests by endpoint, learning identifier positions from traffic.
 *
 * For every (method, parent template, position) it tracks the distinct literal values
 * seen, by 32-bit hash and at most `cardinalityThreshold` of them. When one more distinct
 * value arrives the position becomes `:id` for that request and all later ones, and its
 * values are forgotten. Endpoints named before a position was learned keep their names.
 * At most `maxEndpoints` names are handed out; after that, new ones become
 * `METHOD /*other*`. Names given by the route are used as they are and not counted.
 *
 * @example
 * ```ts
 * const namer = new EndpointNamer({ cardinalityThreshold: 50 });
 * namer.name('get', '/users/17?x=1'); // 'GET /users/:id'
 * namer.name('GET', '/users/me');     // 'GET /users/me'
 * namer.name('GET', '/x', 'search');  // 'search'
 * ```
 */
export class EndpointNamer {
  readonly maxEndpoints: number;
  readonly cardinalityThreshold: number;
  readonly maxTrackedPositions: number;
  /** Key `METHOD parentTemplate` -> hashes of the literal values seen, or `null` once variable. */
  private readonly positions = new Map<string, Set<number> | null>();
  private readonly known = new Set<string>();

  constructor(options: EndpointNamerOptions = {}) {
    this.maxEndpoints = options.maxEndpoints ?? 1000;
    this.cardinalityThreshold = options.cardinalityThreshold ?? 50;
    this.maxTrackedPositions = options.maxTrackedPositions ?? 10_000;
  }

  /** Number of distinct endpoint names handed out (fixed names and the catch-all excluded). */
  get size(): number {
    return this.known.size;
  }

  /**
   * The endpoint name of a request: `fixed` when given, else `METHOD /template`.
   *
   * @example
   * ```ts
   * new EndpointNamer().name('DELETE', '/carts/9f86d081884c7d65/items/3'); // 'DELETE /carts/:id/items/:id'
   * ```
   */
  name(method: string, url: string, fixed?: string): string {
    if (fixed) return fixed;
    const m = method.toUpperCase();
    const name = `${m} ${this.template(m, url)}`;
    if (this.known.has(name)) return name;
    if (this.known.size >= this.maxEndpoints) return `${m} ${OTHER_ENDPOINT_PATH}`;
    this.known.add(name);
    return name;
  }

  /**
   * The template of a path for a method, learning from its literal segments.
   *
   * @example
   * ```ts
   * new EndpointNamer().template('GET', '/users/17/profile'); // '/users/:id/profile'
   * ```
   */
  template(method: string, url: string): string {
    const segments = pathOf(url).split('/').filter((s) => s.length > 0);
    let parent = '';
    for (const segment of segments) {
      const part = isIdSegment(segment) || this.learn(`${method} ${parent}/`, segment) ? ID_SEGMENT : segment;
      parent += '/' + part;
    }
    return parent === '' ? '/' : parent;
  }

  /** Whether the position has become variable (counting `value` as seen). */
  private learn(key: string, value: string): boolean {
    let seen = this.positions.get(key);
    if (seen === null) return true;
    if (seen === undefined) {
      if (this.positions.size >= this.maxTrackedPositions) return false;
      seen = new Set();
      this.positions.set(key, seen);
    }
    const h = fnv1a(value);
    if (seen.has(h)) return false;
    if (seen.size >= this.cardinalityThreshold) {
      this.positions.set(key, null);
      return true;
    }
    seen.add(h);
    return false;
  }

  /** Forgets learned positions and endpoint names. */
  reset(): void {
    this.positions.clear();
    this.known.clear();
  }
}
