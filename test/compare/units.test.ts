import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  DEFAULT_IGNORED_HEADERS,
  MAX_DIFFERENCES,
  REMOVED,
  captureFromBuffer,
  compareResponses,
  compileRules,
  defaultCompareRules,
  diffHeaders,
  diffJson,
  diffText,
  mergeRules,
  parseMultipart,
  parseUrlencoded,
  runJq,
  stripIgnored,
  validateGlob,
  validateJq,
} from '../../src/compare/index.js';
import type { Difference } from '../../src/compare/index.js';
import { assertDifferences, json, typed } from './helpers.js';

test('defaults and mergeRules', () => {
  const d = defaultCompareRules();
  assert.equal(d.status, true);
  assert.deepEqual(d.headers, { enabled: true, include: null, ignore: [] });
  assert.deepEqual(d.arrays, { mode: 'ordered' });
  assert.equal(d.maxCompareSize, 1024 * 1024);
  const m = mergeRules({ headers: { ignore: ['X-A'] }, numericTolerance: -1, arrays: { mode: 'bogus' } as never });
  assert.deepEqual(m.headers, { enabled: true, include: null, ignore: ['x-a'] });
  assert.equal(m.numericTolerance, 0);
  assert.deepEqual(m.arrays, { mode: 'ordered' });
  for (const h of ['date', 'server', 'x-request-id', 'transfer-encoding', 'x-doppel-*']) assert.ok(DEFAULT_IGNORED_HEADERS.includes(h), h);
});

test('rules are compiled once per rules object', () => {
  const rules = { ignore: ['$..x'] };
  assert.equal(compileRules(rules), compileRules(rules));
  assert.notEqual(compileRules(rules), compileRules({ ignore: ['$..x'] }));
  assert.equal(compileRules(), compileRules(undefined));
});

test('glob validation', () => {
  for (const ok of ['$', '$.a', '$..a', '$.a[*].b', '$.a.*.b', '$[0]', "$['a.b']", '$["x y"].z', 'a.b', '$..[*]', '$..*']) {
    assert.equal(validateGlob(ok), null, ok);
  }
  for (const bad of ['', '$.', '$.a[', '$.a[x]', '$...a', '$..', '$a']) assert.notEqual(validateGlob(bad), null, bad);
});

test('stripIgnored removes matches without changing the input', () => {
  const input = { a: { b: 1, c: [{ b: 2, d: 3 }] }, b: 4, list: [1, 2, 3] };
  const frozen = JSON.stringify(input);
  const { ignore } = compileRules({ ignore: ['$..b', '$.list[1]'] });
  assert.deepEqual(stripIgnored(input, ignore!), { a: { c: [{ d: 3 }] }, list: [1, 3] });
  assert.equal(JSON.stringify(input), frozen);
  const untouched = { x: { y: 1 } };
  assert.equal(stripIgnored(untouched, ignore!), untouched);
  assert.equal(stripIgnored(input, compileRules({ ignore: ['$'] }).ignore!), REMOVED);
  const odd = compileRules({ ignore: ["$['a.b']", '$.__proto__.x'] }).ignore!;
  const parsed = JSON.parse('{"a.b":1,"c":2,"__proto__":{"x":1,"y":2}}');
  assert.deepEqual(JSON.stringify(stripIgnored(parsed, odd)), '{"c":2,"__proto__":{"y":2}}');
});

test('invalid globs become notes, the rest still apply', async () => {
  const r = await compareResponses(json({ a: 1, b: 1 }), json({ a: 2, b: 2 }), { ignore: ['$.a', '$.b['] });
  assertDifferences(r, [{ path: 'body.b', kind: 'changed' }]);
  assert.match(r.notes[0], /invalid ignore path "\$\.b\[": missing "]"/);
});

test('ignoring the root ignores the whole body', async () => {
  const r = await compareResponses(json({ a: 1 }), json({ a: 2 }), { ignore: ['$'] });
  assertDifferences(r, []);
});

test('diffJson works on values directly', () => {
  assert.deepEqual(diffJson({ a: 1, b: [1, 2] }, { b: [1, 2, 3], a: '1' }), [
    { path: 'body.a', kind: 'type_changed', primary: 1, candidate: '1' },
    { path: 'body.b', kind: 'size_changed', primary: 2, candidate: 3 },
    { path: 'body.b[2]', kind: 'extra', candidate: 3 },
  ]);
  assert.deepEqual(diffJson(1, 2, { prefix: 'x' }), [{ path: 'x', kind: 'changed', primary: 1, candidate: 2 }]);
});

test('unordered arrays pair by tolerance after exact matches', () => {
  const d = diffJson([1, 2.04, 5], [2, 1.01, 7], { arrays: { mode: 'unordered' }, numericTolerance: 0.05 });
  assert.deepEqual(d, [
    { path: 'body[*]', kind: 'missing', primary: 5 },
    { path: 'body[*]', kind: 'extra', candidate: 7 },
  ]);
});

test('byKey: elements without the key are compared as a multiset', () => {
  const mode = { mode: 'byKey' as const, key: 'id' };
  const d = diffJson([{ id: 1, v: 1 }, 'loose', { x: 1 }], [{ x: 1 }, { id: 1, v: 1 }, 'other'], { arrays: mode });
  assert.deepEqual(d, [
    { path: 'body[*]', kind: 'missing', primary: 'loose' },
    { path: 'body[*]', kind: 'extra', candidate: 'other' },
  ]);
});

test('the number of differences is capped, with a note', async () => {
  const a = Array.from({ length: 1500 }, (_, i) => i);
  const b = a.map((i) => i + 0.5);
  const r = await compareResponses(json(a), json(b));
  assert.equal(r.differences.length, MAX_DIFFERENCES);
  assert.ok(r.notes.some((n) => n.includes(`more than ${MAX_DIFFERENCES} differences`)));
});

test('a cap reached inside a reordered array still reports one order difference', () => {
  const a = Array.from({ length: 50 }, (_, i) => i);
  const d = diffJson(a, [...a].reverse(), { limit: 10 });
  assert.deepEqual(d, [{ path: 'body', kind: 'order', primary: a, candidate: [...a].reverse() }]);
});

test('text: long texts fall back to sha256, large middles align by position', async () => {
  const many = Array.from({ length: 6000 }, (_, i) => `line ${i}`).join('\n');
  const r = await compareResponses(typed('text/plain', many), typed('text/plain', many + '!'));
  assertDifferences(r, [{ path: 'body', kind: 'size_changed' }]);
  assert.ok(r.notes.some((n) => n.includes('too many lines')));

  const a = Array.from({ length: 1200 }, (_, i) => `a${i}`);
  const b = Array.from({ length: 1200 }, (_, i) => (i === 0 ? 'a0' : `b${i}`));
  const out: Difference[] = [];
  diffText(a.join('\n'), b.join('\n'), out, 5);
  assert.deepEqual(out.map((d) => `${d.kind} ${d.path}`), ['changed body.line[2]', 'changed body.line[3]', 'changed body.line[4]', 'changed body.line[5]', 'changed body.line[6]']);
});

test('text: CRLF and LF line endings compare equal', () => {
  const out: Difference[] = [];
  assert.deepEqual(diffText('a\r\nb', 'a\nb', out), { compared: true, overflow: false });
  assert.deepEqual(out, []);
});

test('jq: validateJq reports compile errors only', async () => {
  assert.equal(await validateJq('.items | length'), null);
  assert.equal(await validateJq('.a | keys'), null, 'a runtime error on null is not a compile error');
  assert.match((await validateJq('.items |')) ?? '', /syntax error/);
  assert.match((await validateJq('$undefined_var')) ?? '', /not defined/);
  assert.equal(await validateJq(''), 'empty jq expression');
});

test('jq: comments, definitions and input-consuming expressions', async () => {
  const [a, b, c] = await runJq(['.a # a comment', 'def f: .b; f', '[., input]'], '{"a":1,"b":2}', '{"a":3,"b":4}');
  assert.deepEqual(a.primary, { ok: true, values: [1] });
  assert.deepEqual(a.candidate, { ok: true, values: [3] });
  assert.deepEqual(b.candidate, { ok: true, values: [4] });
  assert.equal(c.primary.ok, false, 'input has nothing more to read in a single-body run');
});

test('jq: an invalid expression fails the same on both sides (a note, no difference)', async () => {
  const r = await compareResponses(json({ a: 1 }), json({ a: 2 }), { jq: ['.a |', '.a'] });
  assertDifferences(r, [{ path: 'body.jq[1]', kind: 'changed', primary: 1, candidate: 2 }]);
  assert.ok(r.notes.some((n) => /DOPPEL_ERR_COMPARE_JQ: jq expression 0 .* failed on both responses: syntax error/.test(n)));
});

test('jq: array rules apply to results ($ is the result)', async () => {
  const r = await compareResponses(json({ xs: [1, 2, 3] }), json({ xs: [3, 2, 1] }), {
    jq: ['.xs'],
    arraysAt: [{ path: '$', mode: { mode: 'unordered' } }],
  });
  assertDifferences(r, []);
});

test('headers: diffHeaders on plain objects', () => {
  assert.deepEqual(diffHeaders({ 'Content-Type': 'text/plain', date: 'Mon' }, { 'content-type': 'text/html', date: 'Tue' }), [
    { path: 'header.content-type', kind: 'header', primary: 'text/plain', candidate: 'text/html' },
  ]);
  // content-length and content-encoding are not compared when the encodings differ, even with bodies off
  assert.deepEqual(
    diffHeaders({ 'content-encoding': 'gzip', 'content-length': '10' }, { 'content-length': '30' }, { body: false }),
    [],
  );
});

test('captureFromBuffer: lower-cases headers, hashes the full body, truncates', () => {
  const body = Buffer.from('0123456789');
  const r = captureFromBuffer(201, { 'X-A': '1', 'x-a': '2', 'Content-Length': 10 }, body, 4);
  assert.deepEqual(r.headers, { 'x-a': ['1', '2'], 'content-length': '10' });
  assert.equal(r.size, 10);
  assert.equal(r.truncated, true);
  assert.equal(r.body.toString(), '0123');
  assert.equal(r.sha256, createHash('sha256').update(body).digest('hex'));
  assert.equal(captureFromBuffer(200, undefined, 'abc').truncated, false);
});

test('urlencoded and multipart parsing', () => {
  assert.deepEqual(parseUrlencoded('a=1&b=x+y&a=2').fields, { a: ['1', '2'], b: 'x y' });
  const lf = Buffer.from('preamble\n--b\nContent-Disposition: form-data; name="a"\n\nv1\n--b\ncontent-disposition: form-data; name=f; filename*=UTF-8\'\'%C3%A9.txt\n\nxyz\n--b--\n');
  const r = parseMultipart(lf, 'b');
  assert.ok(typeof r !== 'string');
  assert.deepEqual(r.fields, {
    a: 'v1',
    f: { filename: 'é.txt', size: 3, sha256: createHash('sha256').update('xyz').digest('hex') },
  });
  assert.equal(parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nnever closed'), 'b'), 'multipart closing boundary not found');
  assert.equal(parseMultipart(Buffer.from('no parts here'), 'b'), 'multipart boundary not found');
  const empty = parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="e"\r\n\r\n\r\n--b--'), 'b');
  assert.deepEqual(typeof empty === 'string' ? empty : empty.fields, { e: '' });
});

test('multipart without a boundary falls back to a hash comparison with a note', async () => {
  const r = await compareResponses(typed('multipart/form-data', 'a'), typed('multipart/form-data', 'b'));
  assertDifferences(r, [{ path: 'body', kind: 'changed' }]);
  assert.ok(r.notes.some((n) => n.includes('DOPPEL_ERR_COMPARE_DECODE')));
});

test('deeply nested documents: jq is skipped, recursion limits fall back to sha256', async () => {
  const deep = (n: number, leaf: string) => '['.repeat(n) + leaf + ']'.repeat(n);
  const mid = await compareResponses(json(deep(900, '1')), json(deep(900, '2')), { jq: ['.'] });
  assert.equal(mid.bodyMode, 'json');
  assert.equal(mid.differences.length, 1);
  assert.equal(mid.differences[0].path, 'body' + '[0]'.repeat(900));
  assert.ok(mid.notes.some((n) => n.includes('nested deeper than 256 levels')));
  const huge = await compareResponses(json(deep(100000, '1')), json(deep(100000, '2')));
  assertDifferences(huge, [{ path: 'body', kind: 'changed' }]);
  assert.equal(huge.bodyMode, 'hash');
  assert.ok(huge.notes.some((n) => n.includes('body comparison failed')));
  const [r] = await runJq(['.'], deep(900, '1'), '[1]');
  assert.deepEqual(r.primary, { ok: false, error: 'document nested deeper than 256 levels' });
  assert.deepEqual(r.candidate, { ok: true, values: [[1]] });
});
