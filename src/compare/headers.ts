/**
 * Header comparison: names case-insensitive, repeated headers joined with `, `.
 */
import { compileRules, inHeaderSet } from './ignore.js';
import type { CompiledRules } from './ignore.js';
import { parseEncodings } from './decode.js';
import type { CompareRules, Difference } from './types.js';
import type { PartialCompareRules } from './defaults.js';

type HeaderBag = Record<string, string | string[] | number | undefined>;

/**
 * Header values by lower-case name; arrays (and names repeated in another case) joined
 * with `, `.
 *
 * @example
 * ```ts
 * normalizeHeaders({ Vary: ['Accept', 'Origin'] }).get('vary'); // 'Accept, Origin'
 * ```
 */
export function normalizeHeaders(headers: HeaderBag | undefined | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!headers || typeof headers !== 'object') return out;
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (v === undefined || v === null) continue;
    const s = Array.isArray(v) ? v.map(String).join(', ') : String(v);
    const key = name.toLowerCase();
    const prev = out.get(key);
    out.set(key, prev === undefined ? s : `${prev}, ${s}`);
  }
  return out;
}

/**
 * Compare two header maps under compiled rules; appends `header` differences (sorted by
 * name) to `out`.
 */
export function diffHeaderMaps(
  p: Map<string, string>,
  c: Map<string, string>,
  compiled: CompiledRules,
  out: Difference[],
): void {
  const { rules } = compiled;
  if (!rules.headers.enabled) return;
  let names: string[];
  let explicit = false;
  if (compiled.include !== null) {
    names = [...compiled.include];
    explicit = true;
  } else {
    const all = new Set<string>(p.keys());
    for (const k of c.keys()) all.add(k);
    names = [...all];
  }
  names.sort();
  const encodingsDiffer =
    parseEncodings(p.get('content-encoding')).join(',') !== parseEncodings(c.get('content-encoding')).join(',');
  const skipBodyDerived = rules.body || encodingsDiffer;
  for (const name of names) {
    if (explicit) {
      if (inHeaderSet(compiled.headerUserIgnore, name)) continue;
    } else {
      if (inHeaderSet(compiled.headerIgnore, name)) continue;
      if (skipBodyDerived && compiled.bodyDerived.has(name)) continue;
    }
    const pv = p.get(name);
    const cv = c.get(name);
    if (compiled.presenceOnly.has(name) && !explicit) {
      if ((pv === undefined) === (cv === undefined)) continue;
    } else if (pv === cv) continue;
    const d: Difference = { path: `header.${name}`, kind: 'header' };
    if (pv !== undefined) d.primary = pv;
    if (cv !== undefined) d.candidate = cv;
    out.push(d);
  }
}

/**
 * Compare the headers of two responses.
 *
 * Ignored: the built-in {@link DEFAULT_IGNORED_HEADERS}, `rules.headers.ignore`, and
 * `content-length` / `content-encoding` / `etag` when bodies are compared or the
 * content-encodings differ. `set-cookie` is compared by presence only. With
 * `rules.headers.include`, exactly the listed headers are compared (minus the user
 * ignore list), built-in lists aside.
 *
 * @example
 * ```ts
 * diffHeaders({ 'Content-Type': 'text/plain', date: 'Mon' }, { 'content-type': 'text/html', date: 'Tue' });
 * // [ { path: 'header.content-type', kind: 'header', primary: 'text/plain', candidate: 'text/html' } ]
 * ```
 */
export function diffHeaders(
  primary: HeaderBag,
  candidate: HeaderBag,
  rules?: PartialCompareRules | CompareRules,
): Difference[] {
  const out: Difference[] = [];
  diffHeaderMaps(normalizeHeaders(primary), normalizeHeaders(candidate), compileRules(rules), out);
  return out;
}
