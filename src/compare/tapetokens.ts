/**
 * Token-level helpers over lexed tapes (see tape.ts): byte equality of spans and keys,
 * the token after a value, the kind of a token, keys the byte walk leaves to the value
 * diff. Used by the tape diff in jsontape.ts.
 */
import { Kind } from './state.js';
import { F, STRIDE, T } from './tape.js';

// The token types and flag the walk tests on every member, as module constants: per-file
// compilers (tsx, esbuild file by file) do not inline a const enum of another module, and
// a property load of the enum object per test cost the walk 5-8% there.
const OBJECT = T.Object;
const ARRAY = T.Array;
const STRING = T.String;
const NUMBER = T.Number;
const NULL = T.Null;
const AWKWARD = F.Awkward;

/** `len` bytes at `as` of `ad` equal those at `bs` of `bd` (four at a time, then one). */
export function bytesEq(ad: DataView, as: number, bd: DataView, bs: number, len: number): boolean {
  let k = 0;
  for (; k + 4 <= len; k += 4) if (ad.getUint32(as + k) !== bd.getUint32(bs + k)) return false;
  for (; k < len; k++) if (ad.getUint8(as + k) !== bd.getUint8(bs + k)) return false;
  return true;
}

/** Key tokens `a` (of tape `at`, body `ad`) and `b` are the same bytes (their prints first). */
export function keyEq(at: Int32Array, ad: DataView, a: number, bt: Int32Array, bd: DataView, b: number): boolean {
  if (at[a * STRIDE + 3] !== bt[b * STRIDE + 3]) return false;
  const as = at[a * STRIDE + 1];
  const len = at[a * STRIDE + 2] - as;
  const bs = bt[b * STRIDE + 1];
  return bt[b * STRIDE + 2] - bs === len && bytesEq(ad, as, bd, bs, len);
}

/** The token after the value at token `k` (a container's skip index, else `k + 1`). */
export function next(t: Int32Array, k: number): number {
  const type = t[k * STRIDE];
  return type === OBJECT || type === ARRAY ? t[k * STRIDE + 3] : k + 1;
}

/** The {@link Kind} of a token type. */
export function kindOfToken(type: number): Kind {
  switch (type) {
    case OBJECT:
      return Kind.Object;
    case ARRAY:
      return Kind.Array;
    case STRING:
      return Kind.String;
    case NUMBER:
      return Kind.Number;
    case NULL:
      return Kind.Null;
    default:
      return Kind.Bool;
  }
}

/**
 * Keys the byte walk leaves to the value diff: escaped keys (two spellings of one key)
 * and integer-like keys (JavaScript lists those first, which changes the order of the
 * findings). The lexer marks them ({@link F.Awkward}).
 */
export function awkwardKey(t: Int32Array, k: number): boolean {
  return (t[k * STRIDE + 3] & AWKWARD) !== 0;
}
