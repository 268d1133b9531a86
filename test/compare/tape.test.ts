/**
 * The tape walk (lex both bodies, parse only what differs) must find exactly what the
 * value diff finds on the parsed, ignore-stripped documents: same differences, same
 * order, same values. Checked on generated documents and on the awkward cases the walk
 * hands over to the value diff (duplicate, escaped and integer-like keys, ignored array
 * elements, unordered and byKey arrays, numeric tolerance, white space, escapes, BOM).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileRules, REMOVED, stripIgnored } from '../../src/compare/ignore.js';
import type { PartialCompareRules } from '../../src/compare/index.js';
import { diffValue } from '../../src/compare/json.js';
import { diffTapes } from '../../src/compare/jsontape.js';
import { newState } from '../../src/compare/state.js';
import { MAX_DEPTH, Tape } from '../../src/compare/tape.js';
import type { Difference } from '../../src/compare/types.js';

const BOM = '\ufeff';

function viaValues(a: string, b: string, rules: PartialCompareRules, limit?: number): Difference[] {
  const compiled = compileRules(rules);
  let p: unknown = JSON.parse(a.startsWith(BOM) ? a.slice(1) : a);
  let c: unknown = JSON.parse(b.startsWith(BOM) ? b.slice(1) : b);
  if (compiled.ignore !== null) {
    p = stripIgnored(p, compiled.ignore);
    c = stripIgnored(c, compiled.ignore);
    if (p === REMOVED || c === REMOVED) return [];
  }
  const out: Difference[] = [];
  diffValue(p, c, newState(compiled.diff, 'body', out, limit));
  return out;
}

function viaTapes(a: string, b: string, rules: PartialCompareRules, limit?: number): Difference[] {
  const compiled = compileRules(rules);
  const tp = new Tape(4);
  const tc = new Tape(4);
  assert.equal(tp.lex(Buffer.from(a)), true, `lexes: ${a}`);
  assert.equal(tc.lex(Buffer.from(b)), true, `lexes: ${b}`);
  const out: Difference[] = [];
  diffTapes(tp, tc, newState(compiled.diff, 'body', out, limit), compiled.ignore);
  return out;
}

function same(a: string, b: string, rules: PartialCompareRules = {}, limit?: number): Difference[] {
  const expected = viaValues(a, b, rules, limit);
  assert.deepEqual(viaTapes(a, b, rules, limit), expected, `${a}\n${b}\n${JSON.stringify(rules)}`);
  return expected;
}

/** Mutate a JSON value a little: change, drop or add a member or element somewhere. */
function mutate(v: unknown, pick: number[]): unknown {
  const r = pick.shift() ?? 0;
  if (Array.isArray(v)) {
    if (v.length === 0 || r % 5 === 0) return [...v, r];
    const i = r % v.length;
    if (r % 5 === 1) return v.filter((_, k) => k !== i);
    return v.map((x, k) => (k === i ? mutate(x, pick) : x));
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0 || r % 5 === 0) return { ...v, [`k${r}`]: r };
    const k = keys[r % keys.length];
    if (r % 5 === 1) return Object.fromEntries(Object.entries(v).filter(([key]) => key !== k));
    return { ...(v as object), [k]: mutate((v as Record<string, unknown>)[k], pick) };
  }
  if (typeof v === 'number') return r % 2 === 0 ? v + 1 : String(v);
  if (typeof v === 'string') return r % 2 === 0 ? `${v}!` : v.length;
  return r % 2 === 0 ? null : [v];
}

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]));
}

const RULES: PartialCompareRules[] = [
  {},
  { numericTolerance: 0.5 },
  { arrays: { mode: 'unordered' } },
  { ignore: ['$..a', '$[*].b', '$.x[1]'] },
  { arraysAt: [{ path: '$..items', mode: { mode: 'byKey', key: 'id' } }] },
];

test('generated documents: the tape walk finds what the value diff finds', () => {
  fc.assert(
    fc.property(
      fc.jsonValue({ maxDepth: 5 }),
      fc.array(fc.nat(1000), { minLength: 1, maxLength: 6 }),
      fc.nat(RULES.length - 1),
      fc.boolean(),
      fc.boolean(),
      (value, pick, r, reorder, pretty) => {
        const changed = mutate(value, pick);
        const b = reorder ? reverseKeys(changed) : changed;
        same(JSON.stringify(value), JSON.stringify(b, null, pretty ? 2 : 0), RULES[r]);
      },
    ),
    { numRuns: 1500 },
  );
});

test('generated documents with shared shapes and keys named a, b, x, items, id, updatedAt, updatedBy', () => {
  const key = fc.constantFrom('a', 'b', 'x', 'id', 'items', 'é', '0', '1', 'updatedAt', 'updatedBy');
  const doc = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('s', 't', '', 'ü'), fc.boolean(), fc.constant(null)),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    ),
  })).value;
  fc.assert(
    fc.property(doc, doc, fc.nat(RULES.length - 1), (a, b, r) => {
      same(JSON.stringify(a), JSON.stringify(b), RULES[r]);
      same(JSON.stringify(a), JSON.stringify(reverseKeys(a)), RULES[r]);
    }),
    { numRuns: 1500 },
  );
});

test('awkward keys and spellings are handed to the value diff with the same result', () => {
  const cases: [string, string, PartialCompareRules?][] = [
    ['{"a":1,"a":2}', '{"a":2}'], // duplicate in the primary: the last one wins
    ['{"a":2}', '{"a":1,"a":2}'],
    ['{"a":1,"a":2,"b":1}', '{"b":1,"a":3,"a":2}'],
    ['{"z":1,"z":2}', '{"y":1}'], // duplicate of a missing key
    ['{"y":1}', '{"z":1,"z":2}'],
    ['{"\\u0061":1}', '{"a":2}'], // one key, two spellings
    ['{"a\\"b":1}', '{"a\\"b":1,"c":2}'],
    ['{"b":1,"2":1,"1":1}', '{"1":2,"b":2,"2":2}'], // integer-like keys are listed first
    ['{"s":"\\u00e9"}', '{"s":"é"}'], // equal strings, other bytes
    ['{"s":"a\\/b"}', '{"s":"a/b"}'],
    ['{"n":1.0}', '{"n":1}'], // equal numbers, other bytes
    ['{"n":1e2}', '{"n":100}'],
    ['{"n":-0}', '{"n":0}'],
    ['{"n":1.4}', '{"n":1}', { numericTolerance: 0.5 }],
    ['[1, 2 ,3]', '[1,2,3]'],
    [' {\n\t"a" : [ 1 , { "b" : null } ] }\r\n', '{"a":[1,{"b":null}]}'],
    [`${BOM}{"a":1}`, '{"a":2}'],
    ['[1,2,3]', '[3,2,1]'], // order
    ['[1,2,3]', '[3,2,4]'],
    ['[{"a":1},{"a":2}]', '[{"a":2},{"a":1}]'],
    ['[1,2]', '[1,2,3]'],
    ['[1,2,3]', '[1]'],
    ['{"x":[1,2,3]}', '{"x":[1,9,3]}', { ignore: ['$.x[1]'] }], // ignored element
    ['{"x":[1,2,3]}', '{"x":[1,3]}', { ignore: ['$.x[1]'] }],
    ['{"a":{"t":1,"u":2}}', '{"a":{"t":9,"u":3}}', { ignore: ['$..t'] }],
    ['{"a":1}', '{"b":1}', { ignore: ['$'] }],
    ['{"items":[{"id":1,"v":1},{"id":2,"v":2}]}', '{"items":[{"id":2,"v":3},{"id":1,"v":1}]}', { arraysAt: [{ path: '$.items', mode: { mode: 'byKey', key: 'id' } }] }],
    ['{"a":[1,2,2]}', '{"a":[2,1,3]}', { arrays: { mode: 'unordered' } }],
    ['{"a":"x"}', '{"a":["x"]}'],
    ['{"a":true}', '{"a":false}'],
    ['{"a":true}', '{"a":null}'],
    ['{"__proto__":1}', '{"__proto__":2}'],
    ['"a"', '"b"'],
    ['1', '1.0'],
    ['[]', '{}'],
    ['{"long":"' + 'x'.repeat(500) + '"}', '{"long":"' + 'x'.repeat(499) + 'y"}'],
  ];
  for (const [a, b, rules] of cases) same(a, b, rules ?? {});
});

test('the difference limit stops both walks at the same place', () => {
  const a = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ i, v: i })));
  const b = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ v: -i, i })));
  const found = same(a, b, {}, 7);
  assert.equal(found.length, 7);
  same(JSON.stringify({ a: [1, 2, 3, 4] }), JSON.stringify({ a: [4, 3, 2, 1] }), {}, 1);
});

test('the lexer accepts exactly what JSON.parse accepts on tricky input', () => {
  const inputs = [
    '', ' ', '{', '}', '[', '[1,]', '{"a":1,}', '{"a" 1}', '{a:1}', "{'a':1}", '01', '-', '-0', '1.', '.5', '1e', '1e+', '1E-2',
    'tru', 'true', 'nul', 'null ', 'falsey', '"\\x"', '"\\u12"', '"\\u12g4"', '"\\u1234"', '"tab\there"', '"nl\nhere"',
    '"ok"', '[1 2]', '{"a":1}{', '[[[]]]', '{"a":[{}]}', '"\u0000"', '\u00a0{}', '{"a":1}\u00a0', '[1]\n', '\t[1]',
  ];
  for (const s of inputs) {
    let valid = true;
    try {
      JSON.parse(s);
    } catch {
      valid = false;
    }
    assert.equal(new Tape(2).lex(Buffer.from(s)), valid, JSON.stringify(s));
  }
  // Nesting past MAX_DEPTH is left to JSON.parse.
  assert.equal(new Tape().lex(Buffer.from('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH))), true);
  assert.equal(new Tape().lex(Buffer.from('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1))), false);
});

test('a tape grows past its first size and shrinks back after release', () => {
  const t = new Tape(2);
  const doc = JSON.stringify(Array.from({ length: 70_000 }, (_, i) => i));
  assert.equal(t.lex(Buffer.from(doc)), true);
  assert.equal(t.count, 70_001);
  t.release();
  assert.ok(t.tape.length < 70_000 * 4);
  assert.equal(t.buf.length, 0);
});

test('string ends, escapes and control characters are found at every offset of a four-byte word', () => {
  // The lexer skips strings four bytes at a time and takes the first special byte of a
  // word from its lowest flagged bit: put each kind at every offset (and past the last
  // whole word), with multibyte characters before it.
  const t = new Tape(2);
  for (let pad = 0; pad < 10; pad++) {
    for (const lead of ['', 'é', '€x', '\u{1F600}']) {
      for (const special of ['', '\\"', '\\\\', '\\n', '\\u00e9', '\u0001', '\u001f', '\u007f', '\u0080']) {
        for (const tail of ['', 'z', 'zzzz"x']) {
          const inner = `${lead}${'a'.repeat(pad)}${special}${tail}`;
          const doc = `["${inner}"]`;
          let valid = true;
          try {
            JSON.parse(doc);
          } catch {
            valid = false;
          }
          const buf = Buffer.from(doc);
          assert.equal(t.lex(buf), valid, JSON.stringify(doc));
          if (!valid) continue;
          // Token 1 is the string: it ends after its closing quote, one byte before `]`.
          assert.equal(t.tape[1 * 4 + 1], 1, JSON.stringify(doc));
          assert.equal(t.tape[1 * 4 + 2], buf.length - 1, JSON.stringify(doc));
          assert.equal(t.tape[1 * 4 + 3] & 1, special.startsWith('\\') ? 1 : 0, JSON.stringify(doc));
        }
      }
    }
  }
});
