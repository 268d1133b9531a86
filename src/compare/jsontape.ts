/**
 * Structural diff of two lexed JSON documents (see tape.ts). Byte-equal values are equal
 * without being parsed; values are built (with `JSON.parse` on their span) only where
 * the documents differ, and wherever a rule needs whole values (unordered and byKey
 * arrays, an ignored array element, escaped or integer-like keys, duplicate keys) the
 * span pair is parsed and handed to the value diff of json.ts. The findings are the same
 * as {@link diffValue} on the parsed, ignore-stripped documents.
 */
import { stripAt } from './ignore.js';
import { diffValue, sameElements } from './json.js';
import { advance } from './path.js';
import type { GlobSet, GlobState } from './path.js';
import { Kind, emit, modeAt } from './state.js';
import type { DiffState } from './state.js';
import { F, STRIDE, T, Tape } from './tape.js';
import { awkwardKey, bytesEq, keyEq, kindOfToken, next } from './tapetokens.js';

/** Member indexes of open objects; slices are reserved and released in call order. */
let scratch = new Int32Array(256);
let scratchTop = 0;
/** Hash stamps of the keys of the object being checked for duplicates (see duplicateKeys), by the top 10 bits of their prints. */
const stamps = new Uint32Array(1024);
const STAMP_SHIFT = 22;
let epoch = 0;

class TapeDiff {
  readonly pt: Int32Array;
  readonly ct: Int32Array;
  readonly pb: Buffer;
  readonly cb: Buffer;
  /** Views of the bodies for comparing four bytes at a time. */
  readonly pd: DataView;
  readonly cd: DataView;

  constructor(
    p: Tape,
    c: Tape,
    readonly st: DiffState,
    readonly set: GlobSet | null,
  ) {
    this.pt = p.tape;
    this.ct = c.tape;
    this.pb = p.buf as Buffer;
    this.cb = c.buf as Buffer;
    this.pd = new DataView(this.pb.buffer, this.pb.byteOffset, this.pb.byteLength);
    this.cd = new DataView(this.cb.buffer, this.cb.byteOffset, this.cb.byteLength);
  }

  /** Both values' bytes are equal. */
  same(i: number, j: number): boolean {
    const pt = this.pt;
    const ct = this.ct;
    const ps = pt[i * STRIDE + 1];
    const pe = pt[i * STRIDE + 2];
    const cs = ct[j * STRIDE + 1];
    if (pe - ps !== ct[j * STRIDE + 2] - cs) return false;
    const len = pe - ps;
    // Most spans are short and most unequal ones differ early: a loop, which beats
    // Buffer#compare (and its argument checks) there; memcmp for the rest of long ones.
    if (len < 48) return bytesEq(this.pd, ps, this.cd, cs, len);
    if (!bytesEq(this.pd, ps, this.cd, cs, 16)) return false;
    return this.pb.compare(this.cb, cs + 16, cs + len, ps + 16, pe) === 0;
  }

  /** The parsed value of token `i` of the primary (`side` 0) or candidate, ignore-stripped. */
  value(side: 0 | 1, i: number, gs: GlobState | null): unknown {
    const t = side === 0 ? this.pt : this.ct;
    const b = side === 0 ? this.pb : this.cb;
    const s = t[i * STRIDE + 1];
    const e = t[i * STRIDE + 2];
    // A string without escapes is its bytes; everything else goes through JSON.parse.
    if (t[i * STRIDE] === T.String && (t[i * STRIDE + 3] & F.Escape) === 0) return b.toString('utf8', s + 1, e - 1);
    const v: unknown = JSON.parse(b.toString('utf8', s, e));
    return gs === null || this.set === null ? v : stripAt(v, this.set, gs);
  }

  key(side: 0 | 1, k: number): string {
    const t = side === 0 ? this.pt : this.ct;
    const b = side === 0 ? this.pb : this.cb;
    return b.toString('utf8', t[k * STRIDE + 1] + 1, t[k * STRIDE + 2] - 1);
  }

  /** Parse both values and diff them as values (for the cases the tape walk leaves out). */
  byValue(i: number, j: number, gs: GlobState | null): void {
    diffValue(this.value(0, i, gs), this.value(1, j, gs), this.st);
  }

  /** The next glob state below `seg`; `undefined` when `seg` is ignored. */
  below(gs: GlobState | null, seg: string | number): GlobState | null | undefined {
    if (gs === null) return null;
    const next = advance(this.set!, gs, seg);
    if (next.match >= 0) return undefined;
    return next.dead ? null : next;
  }

  node(i: number, j: number, gs: GlobState | null): void {
    if (this.same(i, j)) return;
    const kp = kindOfToken(this.pt[i * STRIDE]);
    const kc = kindOfToken(this.ct[j * STRIDE]);
    if (kp !== kc) emit(this.st, 'type_changed', this.value(0, i, gs), this.value(1, j, gs));
    else if (kp === Kind.Object) this.object(i, j, gs);
    else if (kp === Kind.Array) this.array(i, j, gs);
    else this.byValue(i, j, gs);
  }

  /** Descend into member or element `seg`. */
  child(i: number, j: number, gs: GlobState | null, seg: string | number): void {
    const path = this.st.path;
    path.push(seg);
    this.node(i, j, gs);
    path.pop();
  }

  object(i: number, j: number, gs: GlobState | null): void {
    const { ct, st } = this;
    // The candidate's members: key token indexes, negated (-k - 1) once matched.
    const base = scratchTop;
    let n = 0;
    for (let k = j + 1; k < ct[j * STRIDE + 3]; k = next(ct, k + 1)) {
      if (awkwardKey(ct, k)) return this.byValue(i, j, gs);
      if (base + n >= scratch.length) grow(base + n);
      scratch[base + n++] = k;
    }
    if (this.duplicateKeys(base, n)) return this.byValue(i, j, gs);
    scratchTop = base + n;
    const mark = st.out.length;
    try {
      if (!this.members(i, gs, base, n)) {
        st.out.length = mark;
        st.stop = false;
        this.byValue(i, j, gs);
      }
    } finally {
      scratchTop = base;
    }
  }

  /**
   * True when two of the candidate's keys in scratch[base, base + n) are equal. Keys are
   * stamped into a small hash table first; only keys whose buckets collide are compared.
   */
  private duplicateKeys(base: number, n: number): boolean {
    const { ct } = this;
    if (++epoch === 0xffffffff) {
      stamps.fill(0);
      epoch = 1;
    }
    for (let a = 0; a < n; a++) {
      const k = scratch[base + a];
      const h = ct[k * STRIDE + 3] >>> STAMP_SHIFT;
      if (stamps[h] !== epoch) {
        stamps[h] = epoch;
        continue;
      }
      for (let b = 0; b < a; b++) if (keyEq(ct, this.cd, k, ct, this.cd, scratch[base + b])) return true;
    }
    return false;
  }

  /**
   * Walk the primary's members against the candidate's (scratch[base, base + n), free of
   * duplicates). False when the primary holds a key twice or an awkward key.
   */
  private members(i: number, gs: GlobState | null, base: number, n: number): boolean {
    const { pt, pb, st } = this;
    // Start with the candidate's first or last member (same or reversed order).
    let hint = n > 0 && !keyEq(pt, this.pd, i + 1, this.ct, this.cd, scratch[base]) ? n + 1 : 0;
    for (let k = i + 1; k < pt[i * STRIDE + 3]; k = next(pt, k + 1)) {
      if (awkwardKey(pt, k)) return false;
      const m = this.find(k, base, n, hint);
      const ck = m < 0 ? -1 : scratch[base + m];
      if (ck < -1 || (m < 0 && this.dupBefore(i + 1, k))) return false; // a key twice
      const below = gs === null ? null : this.below(gs, this.key(0, k));
      if (m < 0) {
        if (below !== undefined) emit(st, 'missing', this.value(0, k + 1, below), undefined, this.key(0, k));
      } else {
        scratch[base + m] = -ck - 1;
        hint = m + 1;
        if (below !== undefined && !this.same(k + 1, ck + 1)) this.child(k + 1, ck + 1, below, this.key(0, k));
      }
      if (st.stop) return true;
    }
    for (let m = 0; m < n; m++) {
      const ck = scratch[base + m];
      if (ck < 0) continue;
      const key = this.key(1, ck);
      const below = gs === null ? null : this.below(gs, key);
      if (below === undefined) continue;
      emit(st, 'extra', undefined, this.value(1, ck + 1, below), key);
      if (st.stop) return true;
    }
    return true;
  }

  /**
   * The slot of the candidate member whose key equals primary key `k`, or -1. Slots
   * `hint` and `hint - 2` (the members after and before the last match: same order or
   * reversed) are tried first.
   */
  private find(k: number, base: number, n: number, hint: number): number {
    const { pt, pd, ct, cd } = this;
    if (hint < n && keyEq(pt, pd, k, ct, cd, slotKey(base + hint))) return hint;
    if (hint >= 2 && keyEq(pt, pd, k, ct, cd, slotKey(base + hint - 2))) return hint - 2;
    for (let m = 0; m < n; m++) if (keyEq(pt, pd, k, ct, cd, slotKey(base + m))) return m;
    return -1;
  }

  /** True when a key of the primary object before key token `k` (members from `first`) equals it. */
  private dupBefore(first: number, k: number): boolean {
    const { pt, pd } = this;
    for (let q = first; q < k; q = next(pt, q + 1)) if (keyEq(pt, pd, q, pt, pd, k)) return true;
    return false;
  }

  array(i: number, j: number, gs: GlobState | null): void {
    const { pt, ct, st } = this;
    const mode = modeAt(st.opts, st.path);
    if (mode.mode !== 'ordered') return this.byValue(i, j, gs);
    const pEnd = pt[i * STRIDE + 3];
    const cEnd = ct[j * STRIDE + 3];
    let np = 0;
    for (let k = i + 1; k < pEnd; k = next(pt, k)) {
      if (gs !== null && this.below(gs, np) === undefined) return this.byValue(i, j, gs);
      np++;
    }
    let nc = 0;
    for (let k = j + 1; k < cEnd; k = next(ct, k)) {
      if (gs !== null && nc >= np && this.below(gs, nc) === undefined) return this.byValue(i, j, gs);
      nc++;
    }
    const mark = st.out.length;
    if (np !== nc) emit(st, 'size_changed', np, nc);
    let differing: number[] | null = null;
    let all = false;
    let a = i + 1;
    let b = j + 1;
    let x = 0;
    for (; x < np && x < nc; x++, a = next(pt, a), b = next(ct, b)) {
      if (this.same(a, b)) continue;
      const before = st.out.length;
      this.child(a, b, this.below(gs, x) ?? null, x);
      if (st.stop) {
        all = true;
        break;
      }
      if (st.out.length !== before) (differing ??= []).push(x);
    }
    if (np !== nc) {
      for (; x < np && !st.stop; x++, a = next(pt, a)) emit(st, 'missing', this.value(0, a, this.below(gs, x) ?? null), undefined, x);
      for (; x < nc && !st.stop; x++, b = next(ct, b)) emit(st, 'extra', undefined, this.value(1, b, this.below(gs, x) ?? null), x);
      return;
    }
    if (st.out.length === mark && !st.stop) return;
    if (!all && (differing === null || differing.length < 2)) return;
    // Two or more elements differ: the same elements in another order are one `order`.
    const ps = this.elements(0, i, gs, all ? null : differing);
    const cs = this.elements(1, j, gs, all ? null : differing);
    if (sameElements(st, ps, cs)) {
      st.out.length = mark;
      st.stop = false;
      emit(st, 'order', this.value(0, i, gs), this.value(1, j, gs));
    }
  }

  /** The parsed elements of array token `i` (only the indexes in `pick`, when given). */
  private elements(side: 0 | 1, i: number, gs: GlobState | null, pick: number[] | null): unknown[] {
    const t = side === 0 ? this.pt : this.ct;
    const out: unknown[] = [];
    let x = 0;
    let p = 0;
    for (let k = i + 1; k < t[i * STRIDE + 3]; k = next(t, k), x++) {
      if (pick !== null && pick[p] !== x) continue;
      p++;
      out.push(this.value(side, k, this.below(gs, x) ?? null));
    }
    return out;
  }
}

/** The key token of a scratch slot, matched or not. */
function slotKey(slot: number): number {
  const v = scratch[slot];
  return v < 0 ? -v - 1 : v;
}

function grow(min: number): void {
  const bigger = new Int32Array(Math.max(scratch.length * 2, min + 1));
  bigger.set(scratch);
  scratch = bigger;
}

/**
 * Diff two lexed documents at the current path of `st`, honouring the ignore globs in
 * `set`: the same findings as {@link diffValue} on the parsed documents stripped by
 * `stripIgnored`.
 *
 * @example
 * ```ts
 * const p = new Tape(); const c = new Tape();
 * p.lex(Buffer.from('{"a":1,"b":[1,2]}')); c.lex(Buffer.from('{"b":[1,3],"a":1}'));
 * const out: Difference[] = [];
 * diffTapes(p, c, newState(compileRules().diff, 'body', out), null);
 * // out: [ { path: 'body.b[1]', kind: 'changed', primary: 2, candidate: 3 } ]
 * ```
 */
export function diffTapes(p: Tape, c: Tape, st: DiffState, set: GlobSet | null): void {
  if (set !== null && set.start.match >= 0) return;
  const start = set === null || set.start.dead ? null : set.start;
  new TapeDiff(p, c, st, set).node(0, 0, start);
}
