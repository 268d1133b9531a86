import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brotliCompressSync, constants, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { decodeBody, decodeText, parseEncodings, parseMediaType } from '../../src/compare/index.js';
import type { DecodeResult } from '../../src/compare/index.js';
import { fixture } from './helpers.js';

const TEXT = '{"user":{"name":"ada","roles":["admin","dev"]},"items":[{"id":1,"price":9.5},{"id":2,"price":12}],"count":2}';
const MiB = 1024 * 1024;

function ok(r: DecodeResult): string {
  assert.ok(r.ok, `decode failed: ${r.ok ? '' : r.note}`);
  return r.body.toString('utf8');
}

function failed(r: DecodeResult): { overLimit: boolean; note: string } {
  assert.equal(r.ok, false, 'decode should fail');
  return r as { overLimit: boolean; note: string };
}

test('identity, absent and empty encodings return the body as is', () => {
  const body = Buffer.from(TEXT);
  for (const enc of [undefined, '', 'identity', ' identity ']) {
    const r = decodeBody(body, enc, MiB);
    assert.ok(r.ok);
    assert.equal(r.body, body);
  }
});

test('each encoding decodes', () => {
  const cases: [string, Buffer][] = [
    ['gzip', gzipSync(TEXT)],
    ['x-gzip', gzipSync(TEXT)],
    ['GZIP', gzipSync(TEXT)],
    ['deflate', deflateSync(TEXT)],
    ['deflate', deflateRawSync(TEXT)],
    ['br', brotliCompressSync(TEXT)],
    ['zstd', fixture('sample.json.zst')],
  ];
  for (const [enc, data] of cases) assert.equal(ok(decodeBody(data, enc, MiB)), TEXT, enc);
});

test('multi-member gzip and multi-frame zstd decode whole', () => {
  assert.equal(ok(decodeBody(Buffer.concat([gzipSync('ab'), gzipSync('cd')]), 'gzip', MiB)), 'abcd');
  assert.equal(ok(decodeBody(fixture('sample-2frames.zst'), 'zstd', MiB)), TEXT + TEXT);
});

test('stacked encodings are undone last first', () => {
  assert.equal(ok(decodeBody(brotliCompressSync(gzipSync(TEXT)), 'gzip, br', MiB)), TEXT);
  assert.equal(ok(decodeBody(brotliCompressSync(gzipSync(TEXT)), ['gzip', 'br'], MiB)), TEXT);
  assert.equal(ok(decodeBody(gzipSync(fixture('sample.json.zst')), 'zstd, gzip', MiB)), TEXT);
  assert.equal(ok(decodeBody(gzipSync(deflateRawSync(TEXT)), 'deflate,identity,gzip', MiB)), TEXT);
  assert.deepEqual(parseEncodings('gzip, identity , BR'), ['gzip', 'br']);
});

test('the decoded size is capped exactly at the limit', () => {
  const data = gzipSync(Buffer.alloc(1000, 97));
  assert.equal(ok(decodeBody(data, 'gzip', 1000)).length, 1000);
  const r = failed(decodeBody(data, 'gzip', 999));
  assert.equal(r.overLimit, true);
  assert.match(r.note, /over 999 bytes/);
});

test('bombs stop at the limit (gzip, deflate, br, zstd with and without declared size)', () => {
  const zeros = Buffer.alloc(32 * MiB);
  const gz = gzipSync(zeros, { level: 1 });
  const brOpts = { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } };
  const bombs: [string, Buffer][] = [
    ['gzip', gz],
    ['deflate', deflateSync(zeros, { level: 1 })],
    ['br', brotliCompressSync(zeros, brOpts)],
    ['zstd', fixture('bomb.zst')],
    ['zstd', fixture('bomb-nosize.zst')],
    ['gzip, br', brotliCompressSync(gz, brOpts)],
  ];
  for (const [enc, data] of bombs) {
    assert.ok(data.length < 200 * 1024, `${enc} bomb is small (${data.length})`);
    const before = process.memoryUsage().arrayBuffers;
    const r = failed(decodeBody(data, enc, MiB));
    assert.equal(r.overLimit, true, `${enc}: ${r.note}`);
    // nothing near the 32 MiB output was kept
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * MiB, enc);
  }
});

test('a zstd frame declaring a huge size or window is refused before decoding', () => {
  const magic = [0x28, 0xb5, 0x2f, 0xfd];
  // single segment, 4-byte content size of 0xF0000000 bytes
  const huge = Buffer.from([...magic, 0xa0, 0x00, 0x00, 0x00, 0xf0, 0x01, 0x00, 0x00]);
  assert.equal(failed(decodeBody(huge, 'zstd', MiB)).overLimit, true);
  // window descriptor with exponent 31 (2 GiB window)
  const wide = Buffer.from([...magic, 0x00, 0xf8, 0x01, 0x00, 0x00]);
  const r = failed(decodeBody(wide, 'zstd', MiB));
  assert.equal(r.overLimit, false);
  assert.match(r.note, /window/);
});

test('garbage gives a note, never a throw', () => {
  const garbage = Buffer.from('this is not compressed at all, not even a little');
  for (const enc of ['gzip', 'deflate', 'br', 'zstd', 'gzip, br', 'compress', 'x-unknown']) {
    const r = failed(decodeBody(garbage, enc, MiB));
    assert.equal(r.overLimit, false);
    assert.ok(r.note.length > 0);
  }
  assert.match(failed(decodeBody(garbage, 'compress', MiB)).note, /unsupported content-encoding "compress"/);
  assert.match(failed(decodeBody(gzipSync(TEXT).subarray(0, 20), 'gzip', MiB)).note, /^gzip: /);
  assert.match(failed(decodeBody(fixture('sample.json.zst').subarray(0, 30), 'zstd', MiB)).note, /^zstd: /);
  assert.match(failed(decodeBody(Buffer.alloc(0), 'zstd', MiB)).note, /zstd/);
});

test('charsets: utf-8 default, latin1, utf-16le, BOM, unknown charset', () => {
  assert.equal(decodeText(Buffer.from('héllo'), null).text, 'héllo');
  assert.equal(decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'iso-8859-1').text, 'café');
  assert.equal(decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'latin1').text, 'café');
  assert.equal(decodeText(Buffer.from('hé', 'utf16le'), 'utf-16le').text, 'hé');
  assert.equal(decodeText(Buffer.from('\ufeff{"a":1}'), 'utf-8').text, '{"a":1}');
  const r = decodeText(Buffer.from('abc'), 'x-klingon');
  assert.equal(r.text, 'abc');
  assert.match(r.note ?? '', /unknown charset "x-klingon"/);
});

test('content-type parsing', () => {
  assert.deepEqual(parseMediaType('Application/JSON; Charset="UTF-8"'), { type: 'application/json', charset: 'utf-8', boundary: null });
  assert.deepEqual(parseMediaType('multipart/form-data; boundary="a b;c"'), { type: 'multipart/form-data', charset: null, boundary: 'a b;c' });
  assert.deepEqual(parseMediaType(undefined), { type: '', charset: null, boundary: null });
  assert.deepEqual(parseMediaType(['text/plain', 'text/html']), { type: 'text/plain', charset: null, boundary: null });
});
