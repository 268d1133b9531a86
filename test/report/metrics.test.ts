/**
 * The metric set: series counted on the request and comparison paths as local sums reach
 * prom-client when it collects, once, in the text format and in the JSON the cluster
 * primary aggregates.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics } from '../../src/report/metrics.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('shadow comparisons and field differences are counted once per call, across collections', async () => {
  const m = new Metrics({ defaultMetrics: false });
  m.shadowComparison('api', 'GET /users/:id', 'regression');
  m.shadowComparison('api', 'GET /users/:id', 'regression');
  m.shadowComparison('api', 'GET /users/:id', 'match');
  for (let i = 0; i < 3; i++) m.shadowField('api', 'GET /users/:id', 'body.price', 'regression');
  m.shadowField('api', 'GET /users/:id', 'body.at', 'noise');

  const regression = 'doppel_shadow_comparisons_total{route="api",endpoint="GET /users/:id",result="regression"}';
  const match = 'doppel_shadow_comparisons_total{route="api",endpoint="GET /users/:id",result="match"}';
  const price = 'doppel_shadow_field_differences_total{route="api",endpoint="GET /users/:id",field="body.price",verdict="regression"}';
  const at = 'doppel_shadow_field_differences_total{route="api",endpoint="GET /users/:id",field="body.at",verdict="noise"}';
  let text = await m.text();
  assert.equal(value(text, regression), 2);
  assert.equal(value(text, match), 1);
  assert.equal(value(text, price), 3);
  assert.equal(value(text, at), 1);

  // A second collection without new counts changes nothing; new counts add up.
  text = await m.text();
  assert.equal(value(text, regression), 2);
  assert.equal(value(text, price), 3);
  m.shadowComparison('api', 'GET /users/:id', 'regression');
  m.shadowField('api', 'GET /users/:id', 'body.price', 'regression');
  const json = await m.registry.getMetricsAsJSON();
  const series = (name: string) => json.find((x) => x.name === name)?.values ?? [];
  const got = series('doppel_shadow_comparisons_total').find((v) => v.labels.result === 'regression');
  assert.equal(got?.value, 3, 'the JSON the cluster primary merges sees the local sums too');
  assert.equal(series('doppel_shadow_field_differences_total').find((v) => v.labels.field === 'body.price')?.value, 4);
  assert.equal(value(await m.text(), regression), 3);
});
