/**
 * Difference paths as the comparison prints them (`status`, `header.<name>`,
 * `body.items[3].id`, `body.items[id=7].price`, `body["a.b"]`, `body.tags[*]`,
 * `body.line[12]`), parsed into segments, and the lines of a pretty-printed JSON value
 * marked where a difference lies.
 */

/**
 * @typedef {{ k: 'key', v: string } | { k: 'index', v: number } | { k: 'any' } | { k: 'keyed', key: string, value: string }} Seg
 * @typedef {{ root: 'status' | 'header' | 'body' | 'other', name?: string, segs: Seg[] }} ParsedPath
 * @typedef {{ segs: Seg[], kind: string, value: unknown }} Mark
 * @typedef {{ c: string, s: string }} Part
 * @typedef {{ depth: number, parts: Part[], kind?: string }} Line
 */

/** Reads a JSON string token starting at `i` (a `"`): its text and the index after it. @param {string} s @param {number} i */
function readQuoted(s, i) {
  let j = i + 1;
  while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
  return { raw: s.slice(i, j + 1), end: j + 1 };
}

/**
 * Parses the body part of a path (after `body`) into segments.
 * @param {string} s
 * @returns {Seg[]}
 */
export function parseSegments(s) {
  /** @type {Seg[]} */
  const segs = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '.') {
      let j = i + 1;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      segs.push({ k: 'key', v: s.slice(i + 1, j) });
      i = j;
    } else if (s[i] === '[') {
      let key;
      let j = i + 1;
      if (s[j] === '"') {
        const q = readQuoted(s, j);
        key = JSON.parse(q.raw);
        j = q.end;
      } else {
        const start = j;
        while (j < s.length && s[j] !== '=' && s[j] !== ']') j++;
        key = s.slice(start, j);
        if (s[j] === ']') {
          segs.push(key === '*' ? { k: 'any' } : /^\d+$/.test(key) ? { k: 'index', v: Number(key) } : { k: 'key', v: key });
          i = j + 1;
          continue;
        }
      }
      if (s[j] === '=') {
        let value;
        if (s[j + 1] === '"') {
          const q = readQuoted(s, j + 1);
          value = q.raw;
          j = q.end;
        } else {
          const start = j + 1;
          j = s.indexOf(']', start);
          if (j < 0) j = s.length;
          value = s.slice(start, j);
        }
        segs.push({ k: 'keyed', key, value });
      } else segs.push({ k: 'key', v: key });
      i = j + 1;
    } else i++;
  }
  return segs;
}

/** @param {string} path @returns {ParsedPath} */
export function parsePath(path) {
  if (path === 'status') return { root: 'status', segs: [] };
  if (path.startsWith('header.')) return { root: 'header', name: path.slice(7).toLowerCase(), segs: [] };
  if (path === 'body' || path.startsWith('body.') || path.startsWith('body[')) return { root: 'body', segs: parseSegments(path.slice(4)) };
  return { root: 'other', segs: [] };
}

/** How a key's value prints inside `[key=value]`. @param {unknown} v */
const printed = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * Whether a segment selects the child `k` (a key, or an index of an array) holding `x`.
 * A trailing `[*]` selects the elements equal to the difference's value.
 * @param {Seg} seg @param {string | number} k @param {unknown} x @param {boolean} last @param {unknown} value
 */
function selects(seg, k, x, last, value) {
  switch (seg.k) {
    case 'key':
      return typeof k === 'string' && seg.v === k;
    case 'index':
      return k === seg.v;
    case 'keyed':
      return typeof k === 'number' && x !== null && typeof x === 'object' && printed(/** @type {any} */ (x)[seg.key]) === seg.value;
    case 'any':
      return typeof k === 'number' && (!last || value === undefined || JSON.stringify(x) === JSON.stringify(value));
  }
}

/** @param {unknown} v @returns {Part} */
function scalar(v) {
  if (typeof v === 'string') return { c: 'str', s: JSON.stringify(v) };
  if (typeof v === 'number') return { c: 'num', s: String(v) };
  return { c: 'lit', s: String(v) };
}

/**
 * Pretty-prints a JSON value into lines, each marked with the kind of the difference it
 * belongs to (a marked object or array marks all its lines).
 * @param {unknown} value
 * @param {Mark[]} marks
 * @param {number} [limit] most lines produced
 * @returns {{ lines: Line[], cut: boolean }}
 */
export function jsonLines(value, marks, limit = 4000) {
  /** @type {Line[]} */
  const lines = [];
  let cut = false;
  const push = (/** @type {Line} */ l) => (lines.length < limit ? lines.push(l) : (cut = true));
  /** @param {unknown} v @param {Mark[]} pending @param {number} depth @param {string | undefined} label @param {boolean} comma @param {string | undefined} inherited */
  const emit = (v, pending, depth, label, comma, inherited) => {
    if (cut) return;
    const kind = pending.find((m) => m.segs.length === 0)?.kind ?? inherited;
    /** @type {Part[]} */
    const head = label === undefined ? [] : [{ c: 'key', s: JSON.stringify(label) }, { c: 'p', s: ': ' }];
    const tail = comma ? [{ c: 'p', s: ',' }] : [];
    if (v === null || typeof v !== 'object') return void push({ depth, parts: [...head, scalar(v), ...tail], kind });
    const isArray = Array.isArray(v);
    const entries = isArray ? v.map((x, i) => /** @type {[number, unknown]} */ ([i, x])) : Object.entries(v);
    const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) return void push({ depth, parts: [...head, { c: 'p', s: open + close }, ...tail], kind });
    push({ depth, parts: [...head, { c: 'p', s: open }], kind });
    entries.forEach(([k, x], i) => {
      const child = pending
        .filter((m) => m.segs.length > 0 && selects(m.segs[0], k, x, m.segs.length === 1, m.value))
        .map((m) => ({ ...m, segs: m.segs.slice(1) }));
      emit(x, child, depth + 1, isArray ? undefined : /** @type {string} */ (k), i < entries.length - 1, kind);
    });
    push({ depth, parts: [{ c: 'p', s: close }, ...tail], kind });
  };
  emit(value, marks, 0, undefined, false, undefined);
  return { lines, cut };
}

/**
 * Lines of a text body, marked where a `body.line[N]` difference lies (1-based).
 * @param {string} text @param {Mark[]} marks @param {number} [limit]
 * @returns {{ lines: Line[], cut: boolean }}
 */
export function textLines(text, marks, limit = 4000) {
  /** @type {Map<number, string>} */
  const byLine = new Map();
  for (const m of marks) {
    const [a, b] = m.segs;
    if (m.segs.length === 0) byLine.set(-1, m.kind);
    else if (a.k === 'key' && a.v === 'line' && b?.k === 'index') byLine.set(b.v, m.kind);
  }
  const all = text.split(/\r?\n/);
  const lines = all.slice(0, limit).map((s, i) => ({ depth: 0, parts: [{ c: 'txt', s }], kind: byLine.get(i + 1) ?? byLine.get(-1) }));
  return { lines, cut: all.length > limit };
}

/** The CSS class of a difference kind: changed, removed (missing on the candidate), added (extra) or moved. @param {string | undefined} kind */
export function kindClass(kind) {
  if (!kind) return '';
  if (kind === 'missing') return 'del';
  if (kind === 'extra') return 'add';
  if (kind === 'order') return 'ord';
  return 'chg';
}
