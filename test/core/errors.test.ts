/** The error registry and docs/errors.md list the same codes with the same statuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS, DoppelError, isDoppelError, type ErrorCode } from '../../src/core/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map<string, string>();
for (const m of doc.matchAll(/^\| `(DOPPEL_ERR_[A-Z_]+)` \| ([^|]+) \|/gm)) rows.set(m[1], m[2].trim());

test('every registered code is documented with its status', () => {
  for (const [code, { status }] of Object.entries(ERRORS)) {
    assert.ok(rows.has(code), `${code} missing from docs/errors.md`);
    assert.equal(rows.get(code), status === 0 ? '-' : String(status), `status of ${code}`);
  }
});

test('every documented code exists in the registry', () => {
  for (const code of rows.keys()) assert.ok(code in ERRORS, `${code} is documented but not registered`);
});

test('DoppelError carries code, status and the registered message', () => {
  const e = new DoppelError('DOPPEL_ERR_UPSTREAM_TIMEOUT');
  assert.equal(e.code, 'DOPPEL_ERR_UPSTREAM_TIMEOUT');
  assert.equal(e.status, 504);
  assert.equal(e.message, ERRORS.DOPPEL_ERR_UPSTREAM_TIMEOUT.message);
  assert.ok(isDoppelError(e, 'DOPPEL_ERR_UPSTREAM_TIMEOUT'));
  assert.ok(!isDoppelError(new Error('x')));
  const codes = Object.keys(ERRORS) as ErrorCode[];
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^DOPPEL_ERR_[A-Z_]+$/);
});
