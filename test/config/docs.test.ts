/**
 * docs/configuration.md and the schema stay in step: every key the schema accepts is
 * documented (as a full path such as `routes[].mirrors[].sample.mode`), and every key
 * path the document names exists.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configKeys } from '../../src/config/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(resolve(root, 'docs/configuration.md'), 'utf8');

/** Code spans of the document, normalised like {@link configKeys}: no `[]`, `<name>` as `*`. */
function documentedPaths(): Set<string> {
  const spans = [...doc.matchAll(/`([^`\n]+)`/g)].map((m) => m[1].trim());
  return new Set(spans.map((s) => s.replace(/\[\]/g, '').replace(/<[^>]+>/g, '*')));
}

const TOP = /^(listen|admin|workers|log|store|timeouts|defaults|routes)(\.[\w*]+)*$/;

describe('docs/configuration.md', () => {
  const keys = configKeys();
  const documented = documentedPaths();

  it('the schema has the expected top-level keys', () => {
    assert.deepEqual(
      keys.filter((k) => !k.includes('.')),
      ['admin', 'defaults', 'listen', 'log', 'requestBuffer', 'routes', 'store', 'timeouts', 'workers'],
    );
    assert.ok(keys.length > 100, `only ${keys.length} keys found`);
  });

  it('documents every key the schema accepts', () => {
    const missing = keys.filter((k) => !documented.has(k));
    assert.deepEqual(missing, [], `keys missing from docs/configuration.md:\n${missing.join('\n')}`);
  });

  it('names no key that the schema does not accept', () => {
    const known = new Set(keys);
    const unknown = [...documented].filter((p) => TOP.test(p) && !known.has(p));
    assert.deepEqual(unknown, [], `docs/configuration.md names unknown keys:\n${unknown.join('\n')}`);
  });
});
