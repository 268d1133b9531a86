/**
 * Token helpers of the tape diff, on real lexed documents: span and key equality at
 * every length around the four-byte step, skipping values, token kinds, and the keys
 * the byte walk leaves to the value diff.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kind } from '../../src/compare/state.js';
import { STRIDE, T, Tape } from '../../src/compare/tape.js';
import { awkwardKey, bytesEq, keyEq, kindOfToken, next } from '../../src/compare/tapetokens.js';

const view = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function lexed(json: string): { tape: Tape; buf: Buffer; dv: DataView } {
  const buf = Buffer.from(json);
  const tape = new Tape(4);
  assert.equal(tape.lex(buf), true, json);
  return { tape, buf, dv: view(buf) };
}

test('bytesEq compares spans of every length, at any offsets', () => {
  for (let len = 0; len <= 13; len++) {
    const a = Buffer.from(`..${'abcdefghijklmnopq'.slice(0, len)}`);
    const b = Buffer.from(`${'abcdefghijklmnopq'.slice(0, len)}!`);
    assert.equal(bytesEq(view(a), 2, view(b), 0, len), true, `len ${len}`);
    for (let k = 0; k < len; k++) {
      const c = Buffer.from(b);
      c[k] ^= 0x01;
      assert.equal(bytesEq(view(a), 2, view(c), 0, len), false, `len ${len}, byte ${k} changed`);
    }
  }
});

test('keyEq matches keys by their bytes, not by position or length prefix', () => {
  const p = lexed('{"id":1,"name":"x","names":2}');
  const c = lexed('{"names":2,"id":3,"name":"y"}');
  // Tokens: 0 object, then key/value pairs: keys at 1, 3, 5.
  const key = (d: { tape: Tape; buf: Buffer }, k: number) => d.buf.toString('utf8', d.tape.tape[k * STRIDE + 1], d.tape.tape[k * STRIDE + 2]);
  assert.equal(key(p, 3), '"name"');
  assert.equal(key(c, 1), '"names"');
  assert.equal(keyEq(p.tape.tape, p.dv, 1, c.tape.tape, c.dv, 3), true, 'id = id');
  assert.equal(keyEq(p.tape.tape, p.dv, 3, c.tape.tape, c.dv, 5), true, 'name = name');
  assert.equal(keyEq(p.tape.tape, p.dv, 3, c.tape.tape, c.dv, 1), false, 'name != names');
  assert.equal(keyEq(p.tape.tape, p.dv, 5, c.tape.tape, c.dv, 1), true, 'names = names');
});

test('keyEq: a short key is the same key whatever follows it, and keys alike in their first bytes and length differ', () => {
  // Keys of 0 to 3 bytes followed by different bytes (spacing, another value).
  const p = lexed('{"":1,"a":2,"ab":3,"abc":4,"updatedAt":5,"7":6}');
  const c = lexed('{ "" : "x" , "a"  :[], "ab"\t:{}, "abc"\n:null, "updatedBy":5, "7" : 6 }');
  const keys = (d: { tape: Tape }) => {
    const out: number[] = [];
    for (let k = 1; k < d.tape.count; k = next(d.tape.tape, k + 1)) out.push(k);
    return out;
  };
  const pk = keys(p);
  const ck = keys(c);
  assert.equal(pk.length, 6);
  for (let x = 0; x < 4; x++) assert.equal(keyEq(p.tape.tape, p.dv, pk[x], c.tape.tape, c.dv, ck[x]), true, `key ${x}`);
  for (let x = 0; x < 4; x++) {
    for (let y = 0; y < 4; y++) if (x !== y) assert.equal(keyEq(p.tape.tape, p.dv, pk[x], c.tape.tape, c.dv, ck[y]), false, `key ${x} != key ${y}`);
  }
  assert.equal(keyEq(p.tape.tape, p.dv, pk[4], c.tape.tape, c.dv, ck[4]), false, 'updatedAt != updatedBy');
  assert.equal(keyEq(p.tape.tape, p.dv, pk[5], c.tape.tape, c.dv, ck[5]), true, '"7" = "7"');
  assert.equal(awkwardKey(c.tape.tape, ck[5]), true, 'an integer-like key after spacing is still awkward');
});

test('next skips whole containers and single scalars', () => {
  const { tape } = lexed('[{"a":[1,2,{"b":null}]},"s",[],true]');
  const t = tape.tape;
  assert.equal(t[0], T.Array);
  assert.equal(next(t, 0), tape.count, 'the root ends the tape');
  // Element 1 is the object at token 1; the string after it is the next element.
  const afterObject = next(t, 1);
  assert.equal(t[afterObject * STRIDE], T.String);
  assert.equal(next(t, afterObject), afterObject + 1);
  assert.equal(t[(afterObject + 1) * STRIDE], T.Array);
  assert.equal(next(t, afterObject + 1), afterObject + 2, 'an empty array is one token');
  assert.equal(t[(afterObject + 2) * STRIDE], T.True);
});

test('kindOfToken maps every token type', () => {
  const { tape } = lexed('[{},[],"s",1.5,true,false,null]');
  const kinds = [];
  for (let k = 1; k < tape.count; k = next(tape.tape, k)) kinds.push(kindOfToken(tape.tape[k * STRIDE]));
  assert.deepEqual(kinds, [Kind.Object, Kind.Array, Kind.String, Kind.Number, Kind.Bool, Kind.Bool, Kind.Null]);
});

test('awkwardKey flags escaped and integer-like keys only', () => {
  const { tape } = lexed('{"plain":1,"e\\u0073c":2,"7":3,"07x":4,"x7":5}');
  const keys = [1, 3, 5, 7, 9].map((k) => awkwardKey(tape.tape, k));
  assert.deepEqual(keys, [false, true, true, true, false]);
});
