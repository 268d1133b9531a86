import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { captureFromBuffer, compareResponses, diffJson } from '../../src/compare/index.js';
import type { CapturedResponse, PartialCompareRules } from '../../src/compare/index.js';
import { multipart } from './helpers.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A small deterministic generator (mulberry32) for shuffling. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(list: T[], next: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/** A deep copy whose objects list their keys in a random order (and arrays too, if asked). */
function reorderKeys(v: unknown, next: () => number, arrays = false): unknown {
  if (Array.isArray(v)) {
    const copy = v.map((x) => reorderKeys(x, next, arrays));
    return arrays ? shuffle(copy, next) : copy;
  }
  if (v === null || typeof v !== 'object') return v;
  const keys = shuffle(Object.keys(v), next);
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const value = reorderKeys((v as Record<string, unknown>)[k], next, arrays);
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const jsonResponse = (v: unknown): CapturedResponse => captureFromBuffer(200, JSON_HEADERS, JSON.stringify(v));

test('a JSON value equals a copy with its keys in another order', async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), fc.integer(), fc.boolean(), async (value, seed, unordered) => {
      // with unordered arrays, array elements are shuffled too
      const copy = reorderKeys(value, rng(seed), unordered);
      const rules: PartialCompareRules = unordered ? { arrays: { mode: 'unordered' } } : {};
      const r = await compareResponses(jsonResponse(value), jsonResponse(copy), rules);
      assert.deepEqual(r.differences, []);
      assert.equal(r.equal, true);
      assert.deepEqual(diffJson(value, copy, unordered ? { arrays: { mode: 'unordered' } } : {}), []);
    }),
    { numRuns: 300 },
  );
});

/** Every path of a JSON value, as segment lists (the root is []). */
function allPaths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) allPaths((v as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

/** Paths as documented: `.name` for plain names, `["odd key"]` otherwise, `[i]` for indexes. */
function printPath(segs: (string | number)[]): string {
  let s = 'body';
  for (const seg of segs) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return s;
}

function replaceAt(v: unknown, segs: (string | number)[], value: unknown): unknown {
  if (segs.length === 0) return value;
  const [head, ...rest] = segs;
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? replaceAt(x, rest, value) : x));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as object)) {
    const child = (v as Record<string, unknown>)[k];
    Object.defineProperty(out, k, { value: k === head ? replaceAt(child, rest, value) : child, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const MARKER = '\u0000injected\u0000';

test('a single injected change is found exactly at its path', async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), fc.nat(), fc.integer(), async (value, pick, seed) => {
      const paths = allPaths(value);
      const path = paths[pick % paths.length];
      let original: unknown = value;
      for (const seg of path) original = (original as Record<string | number, unknown>)[seg];
      const changed = reorderKeys(replaceAt(value, path, MARKER), rng(seed));
      const r = await compareResponses(jsonResponse(value), jsonResponse(changed));
      assert.equal(r.differences.length, 1, JSON.stringify(r.differences));
      const [d] = r.differences;
      assert.equal(d.path, printPath(path));
      assert.equal(d.kind, typeof original === 'string' ? 'changed' : 'type_changed');
      assert.deepEqual(d.primary, JSON.parse(JSON.stringify(original)));
      assert.equal(d.candidate, MARKER);
    }),
    { numRuns: 300 },
  );
});

const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/problem+json',
    'text/plain; charset=utf-16le',
    'text/html; charset=x-unknown',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=b',
    'multipart/form-data',
    'image/png',
    '',
  ),
  fc.string(),
);
const encodings = fc.oneof(fc.constantFrom('gzip', 'br', 'zstd', 'deflate', 'gzip, br', 'identity', ''), fc.string());
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => gzipSync(JSON.stringify(v))),
  fc.string().map((s) => brotliCompressSync(s)),
  fc.array(fc.record({ name: fc.string({ maxLength: 5 }), value: fc.string({ maxLength: 20 }) }), { maxLength: 4 }).map((parts) =>
    multipart('b', parts),
  ),
  fc.string().map((s) => Buffer.from(s)),
);
const headerBag = fc.dictionary(
  fc.oneof(fc.constantFrom('set-cookie', 'date', 'etag', 'Content-Length', 'X-A'), fc.string({ maxLength: 8 })),
  fc.oneof(fc.string({ maxLength: 10 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })),
  { maxKeys: 4 },
);
const response = fc
  .record({ status: fc.integer({ min: 0, max: 999 }), ct: contentTypes, enc: encodings, body: bodies, headers: headerBag, max: fc.constantFrom(1 << 20, 64, 0) })
  .map(({ status, ct, enc, body, headers, max }) =>
    captureFromBuffer(status, { ...headers, 'content-type': ct, 'content-encoding': enc }, body, max),
  );
const rules: fc.Arbitrary<PartialCompareRules> = fc.record(
  {
    ignore: fc.array(fc.oneof(fc.constantFrom('$..a', '$.x[*].y', '$', '$[', '$.a.*'), fc.string({ maxLength: 8 })), { maxLength: 3 }),
    arrays: fc.constantFrom({ mode: 'ordered' as const }, { mode: 'unordered' as const }, { mode: 'byKey' as const, key: 'id' }),
    numericTolerance: fc.constantFrom(0, 0.5),
    maxCompareSize: fc.constantFrom(1 << 20, 100),
    headers: fc.record({ include: fc.constantFrom(null, ['etag']), ignore: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }) }),
    jq: fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as string[]) },
      { weight: 1, arbitrary: fc.constantFrom<string[]>(['.'], ['.a | keys'], ['.[', '.x'], ['.. | numbers']) },
    ),
  },
  { requiredKeys: [] },
);

test('comparison never throws on arbitrary bytes, headers, content types and rules', async () => {
  await fc.assert(
    fc.asyncProperty(response, response, rules, async (p, c, r) => {
      const result = await compareResponses(p, c, r);
      assert.equal(typeof result.equal, 'boolean');
      assert.equal(result.equal, result.differences.length === 0);
      assert.ok(Array.isArray(result.notes));
      for (const d of result.differences) assert.equal(typeof d.path, 'string');
      // a response always equals itself
      const self = await compareResponses(p, p, r);
      assert.deepEqual(self.differences, [], JSON.stringify(self));
    }),
    { numRuns: 300 },
  );
});

test('comparison never throws on malformed response objects', async () => {
  const weird = [
    {},
    { status: 200, headers: null, body: 'text' },
    { status: 200, headers: { 'content-type': 'application/json' }, body: new Uint8Array([123, 125]) },
    { status: 'x', headers: 5, body: 42, truncated: 'no' },
    null,
  ] as unknown as CapturedResponse[];
  for (const a of weird) {
    for (const b of weird) {
      const r = await compareResponses(a, b, { jq: ['.'] });
      assert.equal(r.equal, r.differences.length === 0);
    }
  }
});
