/** The README's configuration example is valid and its commands exist. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('the YAML example in the README loads', () => {
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 1);
  for (const block of blocks) {
    const config = parseConfig(block, 'README.md', {});
    assert.ok(config.routes.length >= 1);
  }
});

test('the README shows the two set-up commands and CI runs the same test command', () => {
  assert.match(readme, /npm install && npx doppel demo/);
  assert.match(readme, /npm test/);
  const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
  assert.match(ci, /^npm test$/m);
  assert.match(ci, /^npm ci/m);
});
