/**
 * A strict JSON lexer that records a document as a flat tape of tokens (type, byte span,
 * flags or skip index) instead of building JavaScript values. The tape diff compares
 * byte spans first and builds values only where two documents differ, which makes
 * comparing two mostly equal documents much cheaper than parsing both.
 *
 * Anything the lexer is not sure about (invalid JSON, nesting deeper than
 * {@link MAX_DEPTH}) makes it return `false`; callers then parse with `JSON.parse`, whose
 * behaviour and error messages stay the reference.
 */

/** Token types. */
export const enum T {
  Object = 1,
  Array = 2,
  String = 3,
  Number = 4,
  True = 5,
  False = 6,
  Null = 7,
}

/** String flags (slot 3 of a string token). */
export const enum F {
  /** The string holds a backslash escape. */
  Escape = 1,
  /**
   * Keys only: escaped or integer-like (starting with a digit), which the tape walk
   * leaves to the value diff (see awkwardKey in tapetokens.ts).
   */
  Awkward = 2,
}

/**
 * Slots per token: type, start byte, end byte (exclusive), and a fourth slot: the skip
 * index of a container; the flags of a string value; the flags of an object key in its
 * low two bits and its print (see keyPrint) above them.
 */
export const STRIDE = 4;

/** Deeper documents are left to `JSON.parse`. */
export const MAX_DEPTH = 512;

const EMPTY = Buffer.alloc(0);

/** Byte classes inside a string: 0 plain, 1 quote, 2 backslash, 3 control character. */
const STR = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STR[c] = 3;
STR[0x22] = 1;
STR[0x5c] = 2;

/** Flags of the string lexed last by {@link lexString}. */
let strFlags = 0;

/**
 * Lex the string whose quote is at `i`; returns the index after it or -1. Plain runs are
 * skipped four bytes at a time: a word is plain when none of its bytes is a quote, a
 * backslash or below 0x20 (the has-zero-byte and has-less-than tests on 32 bits). In a
 * word that is not, the lowest flagged byte is the first such byte (a borrow only runs
 * upwards from a flagged byte), so it is found without reading the bytes one by one.
 */
function lexString(b: Uint8Array, dv: DataView, i: number, len: number): number {
  let j = i + 1;
  let flags = 0;
  for (;;) {
    let c: number;
    if (j + 4 <= len) {
      const v = dv.getUint32(j, true);
      const q = v ^ 0x22222222;
      const s = v ^ 0x5c5c5c5c;
      const m = (((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s) | ((v - 0x20202020) & ~v)) & 0x80808080;
      if (m === 0) {
        j += 4;
        continue;
      }
      // The lowest flagged byte is the first quote, backslash or control character.
      j += (31 - Math.clz32(m & -m)) >> 3;
      c = b[j];
    } else {
      if (j >= len) return -1;
      c = b[j];
      if (STR[c] === 0) {
        j++;
        continue;
      }
    }
    if (c === 0x22) break;
    if (c !== 0x5c) return -1;
    flags = F.Escape;
    j = escape(b, j);
    if (j < 0) return -1;
  }
  strFlags = flags;
  return j + 1;
}

/** Lex the number at `i`; returns the index after it or -1. */
function lexNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) while (isDigit(b[i])) i++;
  else return -1;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  return i;
}

/**
 * Slot 3 of a key of `n` bytes whose first four bytes (and any after it) are `word`: its
 * flags, {@link F.Awkward} when escaped or integer-like, and its print in the upper 30
 * bits. Equal keys have equal prints, so most unequal keys are told apart, and
 * duplicates hashed, without reading their bytes again; the print mixes the length and
 * the first four bytes (only the key's own: masked below four).
 */
function keySlot(word: number, n: number, flags: number): number {
  const head = n >= 4 ? word : word & ((1 << (n * 8)) - 1);
  const d0 = head & 0xff;
  const awkward = flags !== 0 || (d0 >= 0x30 && d0 <= 0x39) ? F.Awkward : 0;
  return flags | awkward | ((Math.imul(head, 0x9e3779b1) ^ (n << 2)) & ~3);
}

function lexWord(b: Uint8Array, i: number, word: Uint8Array): number {
  for (let k = 1; k < word.length; k++) if (b[i + k] !== word[k]) return -1;
  return i + word.length;
}

/** A lexed document: `tape` holds `count` tokens of {@link STRIDE} slots. */
export class Tape {
  tape: Int32Array;
  count = 0;
  buf: Uint8Array = EMPTY;
  private readonly stack = new Int32Array(MAX_DEPTH + 1);

  constructor(initialTokens = 1024) {
    this.tape = new Int32Array(initialTokens * STRIDE);
  }

  /** Drop the reference to the last document, and a tape grown past 64 Ki tokens. */
  release(): void {
    this.buf = EMPTY;
    if (this.tape.length > 65_536 * STRIDE) this.tape = new Int32Array(1024 * STRIDE);
  }

  private grow(count: number): Int32Array {
    const grown = new Int32Array(Math.max(this.tape.length * 2, (count + 1) * STRIDE));
    grown.set(this.tape);
    this.tape = grown;
    return grown;
  }

  /**
   * Lex `buf` (UTF-8 JSON, optional BOM). False when it is not valid JSON or nests deeper
   * than {@link MAX_DEPTH}.
   */
  lex(buf: Uint8Array): boolean {
    const b = buf;
    const len = b.length;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    // Open containers: token index * 2, plus 1 for objects.
    const stack = this.stack;
    let t = this.tape;
    let n = 0;
    let sp = 0;
    let expectKey = false;
    this.buf = buf;
    this.count = 0;
    let i = len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
    if (b[i] <= 0x20) i = skipWs(b, i);
    for (;;) {
      if ((n + 1) * STRIDE > t.length) t = this.grow(n);
      let o = n * STRIDE;
      if (expectKey) {
        // An object member: key, colon, then its value.
        expectKey = false;
        if (b[i] !== 0x22) return false;
        const e = lexString(b, dv, i, len);
        if (e < 0) return false;
        t[o] = T.String;
        t[o + 1] = i;
        t[o + 2] = e;
        // Four bytes from the key's first: a valid document has at least ':0}' after any key.
        if (i + 5 > len) return false;
        t[o + 3] = keySlot(dv.getUint32(i + 1, true), e - i - 2, strFlags);
        n++;
        i = e;
        if (b[i] <= 0x20) i = skipWs(b, i);
        if (b[i] !== 0x3a) return false;
        i++;
        if (b[i] <= 0x20) i = skipWs(b, i);
        if ((n + 1) * STRIDE > t.length) t = this.grow(n);
        o = n * STRIDE;
      }
      // A value starts at i.
      const c = b[i];
      if (c === 0x22) {
        const e = lexString(b, dv, i, len);
        if (e < 0) return false;
        t[o] = T.String;
        t[o + 1] = i;
        t[o + 2] = e;
        t[o + 3] = strFlags;
        n++;
        i = e;
      } else if (c === 0x7b || c === 0x5b) {
        if (sp === MAX_DEPTH) return false;
        const isObject = c === 0x7b;
        t[o] = isObject ? T.Object : T.Array;
        t[o + 1] = i;
        stack[sp++] = isObject ? n * 2 + 1 : n * 2;
        n++;
        i++;
        if (b[i] <= 0x20) i = skipWs(b, i);
        const d = b[i];
        if (isObject && d !== 0x7d) {
          expectKey = true;
          continue;
        }
        if (!isObject && d !== 0x5d) continue;
        // Empty: the closing bracket is handled below.
      } else {
        let type: number;
        let e: number;
        if (c === 0x74) (type = T.True), (e = lexWord(b, i, TRUE));
        else if (c === 0x66) (type = T.False), (e = lexWord(b, i, FALSE));
        else if (c === 0x6e) (type = T.Null), (e = lexWord(b, i, NULL));
        else (type = T.Number), (e = lexNumber(b, i));
        if (e < 0) return false;
        t[o] = type;
        t[o + 1] = i;
        t[o + 2] = e;
        t[o + 3] = 0;
        n++;
        i = e;
      }
      // After a value: a comma continues the container, a bracket closes it.
      for (;;) {
        if (b[i] <= 0x20) i = skipWs(b, i);
        if (sp === 0) {
          this.count = n;
          return i === len;
        }
        const top = stack[sp - 1];
        const isObject = (top & 1) === 1;
        const d = b[i];
        if (d === 0x2c) {
          i++;
          if (b[i] <= 0x20) i = skipWs(b, i);
          expectKey = isObject;
          break;
        }
        if (d !== (isObject ? 0x7d : 0x5d)) return false;
        i++;
        const to = (top >> 1) * STRIDE;
        t[to + 2] = i;
        t[to + 3] = n;
        sp--;
      }
    }
  }
}

const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');
const NULL = new TextEncoder().encode('null');

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** The index after the escape at `j` (a backslash), or -1 when it is not a JSON escape. */
function escape(b: Uint8Array, j: number): number {
  const e = b[j + 1];
  if (e === 0x75) {
    for (let k = 2; k < 6; k++) if (!isHex(b[j + k])) return -1;
    return j + 6;
  }
  // " \ / b f n r t
  if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) return j + 2;
  return -1;
}

function skipWs(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}
