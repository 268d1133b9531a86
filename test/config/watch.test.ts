/** The configuration file watch: one reload per burst of writes, none after close. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WATCH_SETTLE_MS, watchConfigFile } from '../../src/config/watch.js';
import { eventually, sleep } from '../helpers/servers.js';

const quiet = { warn: () => {} };

test('a burst of writes calls back once, after the file settles', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'doppel-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'doppel.yaml');
  writeFileSync(file, 'a: 1\n');
  let calls = 0;
  const w = watchConfigFile(file, () => calls++, quiet);
  assert.ok(w);
  t.after(() => w.close());
  for (let i = 0; i < 5; i++) {
    writeFileSync(file, `a: ${i}\n`);
    await sleep(20);
  }
  await eventually(() => calls >= 1, 5_000, "the reload call");
  await sleep(WATCH_SETTLE_MS * 2);
  assert.equal(calls, 1);
});

test('a change still settling when the watch closes is dropped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'doppel-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'doppel.yaml');
  writeFileSync(file, 'a: 1\n');
  let calls = 0;
  const w = watchConfigFile(file, () => calls++, quiet)!;
  writeFileSync(file, 'a: 2\n');
  await sleep(30);
  w.close();
  await sleep(WATCH_SETTLE_MS * 2);
  assert.equal(calls, 0);
});

test('a file that cannot be watched logs a warning that points to SIGHUP', () => {
  const warnings: string[] = [];
  const w = watchConfigFile(join(tmpdir(), 'doppel-no-such-dir', 'doppel.yaml'), () => {}, { warn: (_o, msg) => warnings.push(msg) });
  assert.equal(w, null);
  assert.match(warnings[0], /SIGHUP/);
});
