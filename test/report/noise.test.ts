import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldPath, ratios, verdict, DEFAULT_THRESHOLDS } from '../../src/report/noise.js';
import { fieldKeyOf } from '../../src/report/aggregate-store.js';
import type { DifferenceKind } from '../../src/compare/types.js';

const fieldKey = (path: string, kind: DifferenceKind) => fieldKeyOf({ path: foldPath(path), kind });

test('foldPath drops array indexes and key selectors', () => {
  const table: [string, string][] = [
    ['body.items[3].id', 'body.items[*].id'],
    ['body.items[id=7].price', 'body.items[*].price'],
    ['body.items[sku=A-1].tags[0]', 'body.items[*].tags[*]'],
    ['body.matrix[1][2]', 'body.matrix[*][*]'],
    ['body.line[12]', 'body.line[*]'],
    ['body.jq[1].rows[4]', 'body.jq[1].rows[*]'],
    ['body["a.b"][2]', 'body["a.b"][*]'],
    ['body["x[3]"].y', 'body["x[3]"].y'],
    ['body["a=b"]', 'body["a=b"]'],
    ['body.items[sku="A]1"].qty', 'body.items[*].qty'],
    ['body.items["my key"=7].qty', 'body.items[*].qty'],
    ['body.items[name="say \\"hi\\" [2]"].x[0]', 'body.items[*].x[*]'],
    ['body.tags[*]', 'body.tags[*]'],
    ['body.jq[0]', 'body.jq[0]'],
    ['header.content-type', 'header.content-type'],
    ['status', 'status'],
    ['body.user.name', 'body.user.name'],
  ];
  for (const [path, folded] of table) assert.equal(foldPath(path), folded, path);
});

test('a field key combines the folded path and the kind', () => {
  assert.equal(fieldKey('body.items[3].id', 'changed'), 'body.items[*].id|changed');
  assert.equal(fieldKey('body.items[9].id', 'changed'), fieldKey('body.items[id=4].id', 'changed'));
  assert.notEqual(fieldKey('body.items[3].id', 'changed'), fieldKey('body.items[3].id', 'missing'));
});

test('verdict follows Diffy thresholds', () => {
  const table: [number, number, number, 'regression' | 'noise', string][] = [
    [10, 0, 100, 'regression', 'clear regression'],
    [10, 10, 100, 'noise', 'r = n'],
    [5, 10, 100, 'noise', 'r < n'],
    [0, 0, 100, 'noise', 'nothing'],
    [12, 10, 100, 'noise', 'relative 9 %'],
    [15, 10, 100, 'noise', 'relative exactly 20 % is not above'],
    [16, 10, 100, 'regression', 'relative 23 %'],
    [1, 0, 1, 'regression', 'first request'],
    [3, 0, 10_000, 'noise', 'absolute exactly 0.03 % is not above'],
    [4, 0, 10_000, 'regression', 'absolute 0.04 %'],
    [2, 0, 1_000_000, 'noise', 'huge request count'],
    [400, 0, 1_000_000, 'regression', '0.04 % of a million'],
    [1000, 800, 1_000_000, 'noise', 'relative 11 %'],
    [1, 0, 0, 'noise', 'no request compared'],
  ];
  for (const [raw, noise, requests, expected, why] of table) {
    assert.equal(verdict({ raw, noise, requests }), expected, `${why}: r=${raw} n=${noise} requests=${requests}`);
  }
});

test('verdict takes custom thresholds', () => {
  assert.equal(verdict({ raw: 12, noise: 10, requests: 100 }, { relative: 0.05, absolute: 0 }), 'regression');
  assert.equal(verdict({ raw: 10, noise: 0, requests: 100 }, { relative: 0.2, absolute: 0.2 }), 'noise');
  assert.deepEqual(DEFAULT_THRESHOLDS, { relative: 0.2, absolute: 0.0003 });
  assert.throws(() => {
    (DEFAULT_THRESHOLDS as { relative: number }).relative = 1;
  });
});

test('ratios reports what the thresholds are compared with', () => {
  const r = ratios({ raw: 12, noise: 10, requests: 100 });
  assert.ok(Math.abs(r.relative - 2 / 22) < 1e-12);
  assert.equal(r.absolute, 0.02);
  assert.deepEqual(ratios({ raw: 0, noise: 0, requests: 0 }), { relative: 0, absolute: 0 });
});
