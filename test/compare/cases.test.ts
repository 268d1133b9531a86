import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { captureFromBuffer, compareResponses } from '../../src/compare/index.js';
import type { CapturedResponse, CompareResult, PartialCompareRules } from '../../src/compare/index.js';
import { assertDifferences, fixture, json, multipart, typed } from './helpers.js';
import type { Expected } from './helpers.js';

interface Case {
  name: string;
  primary: CapturedResponse;
  candidate: CapturedResponse;
  rules?: PartialCompareRules;
  expect: Expected[];
  mode?: CompareResult['bodyMode'];
  /** Each must be found in some note. */
  notes?: RegExp[];
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const SAMPLE = { user: { name: 'ada', roles: ['admin', 'dev'] }, items: [{ id: 1, price: 9.5 }, { id: 2, price: 12 }], count: 2 };
const SAMPLE_TEXT = JSON.stringify(SAMPLE);
const byId = (path: string, order = false): PartialCompareRules => ({
  arraysAt: [{ path, mode: order ? { mode: 'byKey', key: 'id', order: true } : { mode: 'byKey', key: 'id' } }],
});
const FORM = 'application/x-www-form-urlencoded';
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
const png2 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 5]);

const cases: Case[] = [
  // ---- JSON structure
  {
    name: 'equal JSON with different key order',
    primary: json({ a: 1, b: { c: [1, 2], d: 'x' } }),
    candidate: json('{"b":{"d":"x","c":[1,2]},"a":1}'),
    expect: [],
    mode: 'json',
  },
  {
    name: 'changed string field',
    primary: json({ user: { name: 'ada' } }),
    candidate: json({ user: { name: 'bob' } }),
    expect: [{ path: 'body.user.name', kind: 'changed', primary: 'ada', candidate: 'bob' }],
  },
  {
    name: 'missing field',
    primary: json({ user: { name: 'ada', email: 'a@x' } }),
    candidate: json({ user: { name: 'ada' } }),
    expect: [{ path: 'body.user.email', kind: 'missing', primary: 'a@x', candidate: undefined }],
  },
  {
    name: 'extra field',
    primary: json({ user: { name: 'ada' } }),
    candidate: json({ user: { name: 'ada', age: 36 } }),
    expect: [{ path: 'body.user.age', kind: 'extra', primary: undefined, candidate: 36 }],
  },
  {
    name: 'number vs string is a type change',
    primary: json({ count: 2 }),
    candidate: json({ count: '2' }),
    expect: [{ path: 'body.count', kind: 'type_changed', primary: 2, candidate: '2' }],
  },
  {
    name: 'object vs array and null vs value are type changes',
    primary: json({ a: { x: 1 }, b: null, c: true }),
    candidate: json({ a: [1], b: 0, c: 'true' }),
    expect: [
      { path: 'body.a', kind: 'type_changed', primary: { x: 1 }, candidate: [1] },
      { path: 'body.b', kind: 'type_changed', primary: null, candidate: 0 },
      { path: 'body.c', kind: 'type_changed', primary: true, candidate: 'true' },
    ],
  },
  {
    name: 'root type change',
    primary: json([1]),
    candidate: json({ a: 1 }),
    expect: [{ path: 'body', kind: 'type_changed' }],
  },
  {
    name: 'deep change inside arrays of objects',
    primary: json({ a: { b: { c: [{ d: 1 }, { d: 2 }] } } }),
    candidate: json({ a: { b: { c: [{ d: 1 }, { d: 3 }] } } }),
    expect: [{ path: 'body.a.b.c[1].d', kind: 'changed', primary: 2, candidate: 3 }],
  },
  {
    name: 'numbers compare by value (1.0 == 1, 1e2 == 100)',
    primary: json('{"a":1.0,"b":1e2,"c":-0}'),
    candidate: json('{"a":1,"b":100,"c":0}'),
    expect: [],
  },
  {
    name: 'keys that are not plain names are quoted in paths',
    primary: json({ 'a.b': 1, 'with space': { '': 2 }, 'x-y': 3 }),
    candidate: json({ 'a.b': 2, 'with space': { '': 3 }, 'x-y': 4 }),
    expect: [
      { path: 'body["a.b"]', kind: 'changed' },
      { path: 'body["with space"][""]', kind: 'changed' },
      { path: 'body.x-y', kind: 'changed' },
    ],
  },
  // ---- arrays: ordered
  {
    name: 'ordered array: element changed',
    primary: json({ items: [1, 2, 3] }),
    candidate: json({ items: [1, 5, 3] }),
    expect: [{ path: 'body.items[1]', kind: 'changed', primary: 2, candidate: 5 }],
  },
  {
    name: 'ordered array: same elements in another order is one order difference',
    primary: json({ items: [{ id: 1 }, { id: 2 }, { id: 3 }] }),
    candidate: json({ items: [{ id: 3 }, { id: 1 }, { id: 2 }] }),
    expect: [{ path: 'body.items', kind: 'order', primary: [{ id: 1 }, { id: 2 }, { id: 3 }], candidate: [{ id: 3 }, { id: 1 }, { id: 2 }] }],
  },
  {
    name: 'ordered array: shorter candidate',
    primary: json({ items: [1, 2, 3] }),
    candidate: json({ items: [1, 2] }),
    expect: [
      { path: 'body.items', kind: 'size_changed', primary: 3, candidate: 2 },
      { path: 'body.items[2]', kind: 'missing', primary: 3 },
    ],
  },
  {
    name: 'ordered array: longer candidate with a changed element',
    primary: json({ items: ['a'] }),
    candidate: json({ items: ['b', 'c'] }),
    expect: [
      { path: 'body.items', kind: 'size_changed', primary: 1, candidate: 2 },
      { path: 'body.items[0]', kind: 'changed', primary: 'a', candidate: 'b' },
      { path: 'body.items[1]', kind: 'extra', candidate: 'c' },
    ],
  },
  // ---- arrays: unordered
  {
    name: 'unordered arrays: reordering is equal',
    primary: json({ tags: ['a', 'b', { x: [1, 2] }] }),
    candidate: json({ tags: [{ x: [2, 1] }, 'b', 'a'] }),
    rules: { arrays: { mode: 'unordered' } },
    expect: [],
  },
  {
    name: 'unordered arrays: missing and extra elements at [*]',
    primary: json({ tags: ['a', 'b', 'c'] }),
    candidate: json({ tags: ['c', 'd', 'a'] }),
    rules: { arraysAt: [{ path: '$.tags', mode: { mode: 'unordered' } }] },
    expect: [
      { path: 'body.tags[*]', kind: 'missing', primary: 'b' },
      { path: 'body.tags[*]', kind: 'extra', candidate: 'd' },
    ],
  },
  {
    name: 'unordered arrays are multisets',
    primary: json([1, 1, 2]),
    candidate: json([2, 1, 2]),
    rules: { arrays: { mode: 'unordered' } },
    expect: [
      { path: 'body[*]', kind: 'missing', primary: 1 },
      { path: 'body[*]', kind: 'extra', candidate: 2 },
    ],
  },
  // ---- arrays: byKey
  {
    name: 'byKey: matched elements compared field by field',
    primary: json({ items: [{ id: 7, price: 10 }, { id: 8, price: 1 }] }),
    candidate: json({ items: [{ id: 8, price: 1 }, { id: 7, price: 11 }] }),
    rules: byId('$.items'),
    expect: [{ path: 'body.items[id=7].price', kind: 'changed', primary: 10, candidate: 11 }],
  },
  {
    name: 'byKey: missing and extra keys',
    primary: json({ items: [{ id: 1 }, { id: 3 }] }),
    candidate: json({ items: [{ id: 9 }, { id: 1 }] }),
    rules: byId('$.items'),
    expect: [
      { path: 'body.items[id=3]', kind: 'missing', primary: { id: 3 } },
      { path: 'body.items[id=9]', kind: 'extra', candidate: { id: 9 } },
    ],
  },
  {
    name: 'byKey: string keys are quoted',
    primary: json({ users: [{ name: 'ann', age: 30 }] }),
    candidate: json({ users: [{ name: 'ann', age: 31 }] }),
    rules: { arraysAt: [{ path: '$.users', mode: { mode: 'byKey', key: 'name' } }] },
    expect: [{ path: 'body.users[name="ann"].age', kind: 'changed', primary: 30, candidate: 31 }],
  },
  {
    name: 'byKey with order: same keys in another order',
    primary: json({ items: [{ id: 1 }, { id: 2 }] }),
    candidate: json({ items: [{ id: 2 }, { id: 1 }] }),
    rules: byId('$.items', true),
    expect: [{ path: 'body.items', kind: 'order', primary: [1, 2], candidate: [2, 1] }],
  },
  {
    name: 'byKey arrays at a glob path, nested in an ordered array',
    primary: json({ orders: [{ lines: [{ id: 'a', qty: 1 }, { id: 'b', qty: 2 }] }] }),
    candidate: json({ orders: [{ lines: [{ id: 'b', qty: 3 }, { id: 'a', qty: 1 }] }] }),
    rules: byId('$.orders[*].lines'),
    expect: [{ path: 'body.orders[0].lines[id="b"].qty', kind: 'changed', primary: 2, candidate: 3 }],
  },
  // ---- numeric tolerance
  {
    name: 'numeric tolerance: within',
    primary: json({ score: 0.1 + 0.2, list: [1.0001, 2] }),
    candidate: json({ score: 0.3, list: [2, 1.0002] }),
    rules: { numericTolerance: 0.001, arrays: { mode: 'unordered' } },
    expect: [],
  },
  {
    name: 'numeric tolerance: exceeded',
    primary: json({ score: 1.5 }),
    candidate: json({ score: 1.6 }),
    rules: { numericTolerance: 0.05 },
    expect: [{ path: 'body.score', kind: 'changed', primary: 1.5, candidate: 1.6 }],
  },
  // ---- ignore globs
  {
    name: 'ignore $.meta.generatedAt',
    primary: json({ meta: { generatedAt: 1, v: 1 }, x: 1 }),
    candidate: json({ meta: { generatedAt: 2, v: 1 }, x: 1 }),
    rules: { ignore: ['$.meta.generatedAt'] },
    expect: [],
  },
  {
    name: 'ignore $..updatedAt at any depth (other changes still found)',
    primary: json({ updatedAt: 1, a: { updatedAt: 1, b: [{ updatedAt: 1, c: 1 }] } }),
    candidate: json({ updatedAt: 2, a: { b: [{ updatedAt: 3, c: 2 }] } }),
    rules: { ignore: ['$..updatedAt'] },
    expect: [{ path: 'body.a.b[0].c', kind: 'changed', primary: 1, candidate: 2 }],
  },
  {
    name: 'ignore $.items[*].etag',
    primary: json({ items: [{ id: 1, etag: 'a' }, { id: 2, etag: 'b' }], etag: 'x' }),
    candidate: json({ items: [{ id: 1, etag: 'c' }, { id: 2 }], etag: 'y' }),
    rules: { ignore: ['$.items[*].etag'] },
    expect: [{ path: 'body.etag', kind: 'changed', primary: 'x', candidate: 'y' }],
  },
  {
    name: 'ignore $.a.*.b (one level wildcard)',
    primary: json({ a: { x: { b: 1, c: 1 }, y: { b: 1 } } }),
    candidate: json({ a: { x: { b: 2, c: 1 }, y: { b: 3 } } }),
    rules: { ignore: ['$.a.*.b'] },
    expect: [],
  },
  // ---- encodings
  {
    name: 'gzip vs identity of the same JSON is equal',
    primary: json(SAMPLE_TEXT),
    candidate: json(gzipSync(SAMPLE_TEXT), { 'content-encoding': 'gzip', 'content-length': '99' }),
    expect: [],
    mode: 'json',
  },
  {
    name: 'br vs identity is equal, a changed field is found through br',
    primary: json(SAMPLE_TEXT),
    candidate: json(brotliCompressSync(SAMPLE_TEXT.replace('"ada"', '"eve"')), { 'content-encoding': 'br' }),
    expect: [{ path: 'body.user.name', kind: 'changed', primary: 'ada', candidate: 'eve' }],
  },
  {
    name: 'zstd (fixture made with the zstd CLI) vs identity is equal',
    primary: json(SAMPLE_TEXT),
    candidate: json(fixture('sample.json.zst'), { 'content-encoding': 'zstd' }),
    expect: [],
    mode: 'json',
  },
  {
    name: 'deflate: zlib-wrapped vs raw',
    primary: json(deflateSync(SAMPLE_TEXT), { 'content-encoding': 'deflate' }),
    candidate: json(deflateRawSync(SAMPLE_TEXT), { 'content-encoding': 'deflate' }),
    expect: [],
  },
  {
    name: 'stacked encodings "gzip, br"',
    primary: json(SAMPLE_TEXT),
    candidate: json(brotliCompressSync(gzipSync(SAMPLE_TEXT)), { 'content-encoding': 'gzip, br' }),
    expect: [],
  },
  {
    name: 'undecodable body: note and hash comparison',
    primary: json(SAMPLE_TEXT),
    candidate: json(Buffer.from('definitely not gzip'), { 'content-encoding': 'gzip' }),
    expect: [{ path: 'body', kind: 'size_changed', primary: SAMPLE_TEXT.length, candidate: 19 }],
    mode: 'hash',
    notes: [/DOPPEL_ERR_COMPARE_DECODE: candidate body could not be decoded/],
  },
  // ---- jq
  {
    name: 'jq selection hides a changed unrelated field',
    primary: json({ user: { name: 'ada' }, meta: { host: 'a' } }),
    candidate: json({ user: { name: 'ada' }, meta: { host: 'b' } }),
    rules: { jq: ['.user.name'] },
    expect: [],
    mode: 'jq',
  },
  {
    name: 'jq with nested-object results',
    primary: json({ user: { name: 'ada', tags: { a: [1, { b: 2 }] } } }),
    candidate: json({ user: { tags: { a: [1, { b: 3 }] }, name: 'bob' } }),
    rules: { jq: ['.items | length', '.user'] },
    expect: [
      { path: 'body.jq[1].name', kind: 'changed', primary: 'ada', candidate: 'bob' },
      { path: 'body.jq[1].tags.a[1].b', kind: 'changed', primary: 2, candidate: 3 },
    ],
    mode: 'jq',
  },
  {
    name: 'jq error on one side is a changed difference',
    primary: json({ name: 'Ada' }),
    candidate: json({ name: 42 }),
    rules: { jq: ['.name | ascii_downcase'] },
    expect: [{ path: 'body.jq[0]', kind: 'changed', primary: 'ada' }],
    notes: [/DOPPEL_ERR_COMPARE_JQ: jq expression 0 failed on the candidate/],
  },
  {
    name: 'jq with several outputs compares the output lists; ignore applies before jq',
    primary: json({ items: [{ id: 1, at: 1 }, { id: 2, at: 1 }] }),
    candidate: json({ items: [{ id: 1, at: 2 }, { id: 3, at: 2 }] }),
    rules: { jq: ['.items[]', '.items[] | .id'], ignore: ['$..at'] },
    expect: [
      { path: 'body.jq[0][1].id', kind: 'changed', primary: 2, candidate: 3 },
      { path: 'body.jq[1][1]', kind: 'changed', primary: 2, candidate: 3 },
    ],
  },
  // ---- form, multipart, text, binary
  {
    name: 'urlencoded form: by field, repeated fields as arrays, ignore by $.field',
    primary: typed(FORM, 'a=1&tag=x&tag=y&csrf=123&b=hello+world'),
    candidate: typed(FORM, 'csrf=456&tag=x&tag=z&b=hello%20world&a=2&c=new'),
    rules: { ignore: ['$.csrf'] },
    expect: [
      { path: 'body.form.a', kind: 'changed', primary: '1', candidate: '2' },
      { path: 'body.form.tag[1]', kind: 'changed', primary: 'y', candidate: 'z' },
      { path: 'body.form.c', kind: 'extra', candidate: 'new' },
    ],
    mode: 'form',
  },
  {
    name: 'multipart: fields by value, files by size and sha256',
    primary: typed(
      'multipart/form-data; boundary=XyZ',
      multipart('XyZ', [
        { name: 'title', value: 'Hello' },
        { name: 'upload', value: 'abc', filename: 'a.txt', contentType: 'text/plain' },
        { name: 'same', value: 'x' },
      ]),
    ),
    candidate: typed(
      'multipart/form-data; boundary="other-boundary"',
      multipart('other-boundary', [
        { name: 'same', value: 'x' },
        { name: 'title', value: 'Hullo' },
        { name: 'upload', value: 'abcd', filename: 'a.txt', contentType: 'text/plain' },
      ]),
    ),
    rules: { headers: { ignore: ['content-type'] } },
    expect: [
      { path: 'body.form.title', kind: 'changed', primary: 'Hello', candidate: 'Hullo' },
      { path: 'body.form.upload.size', kind: 'changed', primary: 3, candidate: 4 },
      { path: 'body.form.upload.sha256', kind: 'changed', primary: sha('abc'), candidate: sha('abcd') },
    ],
    mode: 'multipart',
  },
  {
    name: 'text: line by line (changed, extra)',
    primary: typed('text/plain; charset=utf-8', 'one\ntwo\nthree\n'),
    candidate: typed('text/plain; charset=utf-8', 'one\nTWO\nthree\nfour\n'),
    expect: [
      { path: 'body.line[2]', kind: 'changed', primary: 'two', candidate: 'TWO' },
      { path: 'body.line[4]', kind: 'extra', candidate: 'four' },
    ],
    mode: 'text',
  },
  {
    name: 'html: a removed line is missing, later lines realigned',
    primary: typed('text/html', '<ul>\n<li>a</li>\n<li>b</li>\n<li>c</li>\n</ul>'),
    candidate: typed('text/html', '<ul>\n<li>a</li>\n<li>c</li>\n</ul>'),
    expect: [{ path: 'body.line[3]', kind: 'missing', primary: '<li>b</li>' }],
  },
  {
    name: 'latin1 text decoded by charset',
    primary: typed('text/plain; charset=iso-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9])),
    candidate: typed('text/plain; charset=utf-8', 'café'),
    rules: { headers: { enabled: false } },
    expect: [],
  },
  {
    name: 'binary: same size, different bytes',
    primary: typed('image/png', png),
    candidate: typed('image/png', png2),
    expect: [{ path: 'body', kind: 'changed', primary: sha(png), candidate: sha(png2) }],
    mode: 'hash',
  },
  {
    name: 'binary: different sizes',
    primary: typed('application/octet-stream', png),
    candidate: typed('application/octet-stream', Buffer.concat([png, png])),
    expect: [{ path: 'body', kind: 'size_changed', primary: 12, candidate: 24 }],
  },
  {
    name: 'over maxCompareSize: by size and sha256 only',
    primary: typed('application/json', '{"a":"' + 'x'.repeat(100) + '"}', {}, 200, 50),
    candidate: typed('application/json', '{"a":"' + 'y'.repeat(100) + '"}', {}, 200, 50),
    rules: { maxCompareSize: 50 },
    expect: [{ path: 'body', kind: 'changed' }],
    mode: 'hash',
    notes: [/over maxCompareSize/],
  },
  {
    name: 'over maxCompareSize after decoding (gzip bomb)',
    primary: json(gzipSync(Buffer.alloc(1 << 20)), { 'content-encoding': 'gzip' }),
    candidate: json(gzipSync(Buffer.alloc(1 << 20)).subarray(0, 900), { 'content-encoding': 'gzip' }),
    rules: { maxCompareSize: 4096 },
    expect: [{ path: 'body', kind: 'size_changed' }],
    mode: 'hash',
    notes: [/primary body over maxCompareSize after decoding/],
  },
  {
    name: 'invalid JSON falls back to text with a note',
    primary: json('{"a": 1,\n"b": 2}'),
    candidate: json('{"a": 1,\n"b": 2'),
    expect: [{ path: 'body.line[2]', kind: 'changed', primary: '"b": 2}', candidate: '"b": 2' }],
    mode: 'text',
    notes: [/candidate body is not valid JSON/],
  },
  {
    name: 'empty bodies',
    primary: json(''),
    candidate: json('', {}, 200),
    expect: [],
    mode: 'none',
  },
  // ---- status and headers
  {
    name: 'status differs',
    primary: json({ a: 1 }, {}, 200),
    candidate: json({ a: 1 }, {}, 503),
    expect: [{ path: 'status', kind: 'status', primary: 200, candidate: 503 }],
  },
  {
    name: 'default ignored headers: date, server, x-request-id, x-doppel-*',
    primary: json({ a: 1 }, { date: 'Mon', server: 'a', 'x-request-id': '1', 'x-doppel-target': 'p', age: '1' }),
    candidate: json({ a: 1 }, { date: 'Tue', server: 'b', 'x-request-id': '2', 'x-doppel-target': 'c' }),
    expect: [],
  },
  {
    name: 'header names are case-insensitive, repeated values joined',
    primary: captureFromBuffer(200, { 'Cache-Control': ['no-cache', 'private'], Vary: 'Accept' }, ''),
    candidate: captureFromBuffer(200, { 'cache-control': 'no-cache, private', vary: 'Origin' }, ''),
    expect: [{ path: 'header.vary', kind: 'header', primary: 'Accept', candidate: 'Origin' }],
  },
  {
    name: 'set-cookie compared by presence only',
    primary: json({}, { 'set-cookie': ['sid=1; Path=/'], 'x-a': '1' }),
    candidate: json({}, { 'set-cookie': ['sid=2; Path=/'] }),
    expect: [{ path: 'header.x-a', kind: 'header', primary: '1', candidate: undefined }],
  },
  {
    name: 'set-cookie missing on one side',
    primary: json({}, { 'set-cookie': 'sid=1' }),
    candidate: json({}),
    expect: [{ path: 'header.set-cookie', kind: 'header', primary: 'sid=1' }],
  },
  {
    name: 'header include list restricts comparison',
    primary: json({ a: 1 }, { 'x-version': '1', 'x-other': 'a', date: 'Mon' }),
    candidate: json({ a: 1 }, { 'x-version': '2', 'x-other': 'b', date: 'Tue' }),
    rules: { headers: { include: ['X-Version', 'date'] } },
    expect: [
      { path: 'header.date', kind: 'header', primary: 'Mon', candidate: 'Tue' },
      { path: 'header.x-version', kind: 'header', primary: '1', candidate: '2' },
    ],
  },
  {
    name: 'user header ignore list, with prefixes',
    primary: json({ a: 1 }, { 'x-shard': '1', 'x-trace-a': '1', 'x-keep': 'a' }),
    candidate: json({ a: 1 }, { 'x-shard': '2', 'x-trace-b': '1', 'x-keep': 'b' }),
    rules: { headers: { ignore: ['X-Shard', 'x-trace-*'] } },
    expect: [{ path: 'header.x-keep', kind: 'header' }],
  },
  {
    name: 'content-length and etag compared when bodies are not',
    primary: json({ a: 1 }, { 'content-length': '7', etag: '"1"' }),
    candidate: json({ a: 2 }, { 'content-length': '7', etag: '"2"' }),
    rules: { body: false },
    expect: [{ path: 'header.etag', kind: 'header', primary: '"1"', candidate: '"2"' }],
    mode: 'none',
  },
  {
    name: 'different content types: header difference and text comparison',
    primary: json('{"a":1}'),
    candidate: typed('text/html', '<b>oops</b>'),
    expect: [
      { path: 'header.content-type', kind: 'header', primary: 'application/json', candidate: 'text/html' },
      { path: 'body.line[1]', kind: 'changed', primary: '{"a":1}', candidate: '<b>oops</b>' },
    ],
    mode: 'text',
    notes: [/content types differ/],
  },
  {
    name: 'status, headers and body disabled',
    primary: json({ a: 1 }, { 'x-a': '1' }, 200),
    candidate: json({ a: 2 }, { 'x-a': '2' }, 500),
    rules: { status: false, headers: { enabled: false }, body: false },
    expect: [],
    mode: 'none',
  },
];

test('at least 40 comparison cases', () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
});

for (const c of cases) {
  test(c.name, async () => {
    const result = await compareResponses(c.primary, c.candidate, c.rules);
    assertDifferences(result, c.expect);
    if (c.mode) assert.equal(result.bodyMode, c.mode);
    for (const re of c.notes ?? []) {
      assert.ok(result.notes.some((n) => re.test(n)), `no note matches ${re}: ${JSON.stringify(result.notes)}`);
    }
    if (!c.notes) assert.deepEqual(result.notes, [], 'no notes expected');
  });
}
