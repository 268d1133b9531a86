import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineList, type Deadline } from '../../src/mirror/deadlines.js';
import { now } from '../../src/mirror/limits.js';

function entry(name: string, log: string[], onExpire?: () => void): Deadline & { expiredAt: number } {
  return {
    deadline: 0,
    prevDeadline: null,
    nextDeadline: null,
    expiredAt: 0,
    expire() {
      this.expiredAt = now();
      log.push(name);
      onExpire?.();
    },
  };
}

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('entries expire in the order they joined, not before their timeout', async () => {
  const list = DeadlineList.for(40);
  const log: string[] = [];
  const a = entry('a', log);
  const startA = now();
  list.add(a);
  await sleep(15);
  const b = entry('b', log);
  const startB = now();
  list.add(b);
  assert.equal(list.size, 2);
  await sleep(90);
  assert.deepEqual(log, ['a', 'b']);
  assert.ok(a.expiredAt - startA >= 39, `a expired after ${a.expiredAt - startA} ms`);
  assert.ok(b.expiredAt - startB >= 39, `b expired after ${b.expiredAt - startB} ms`);
  assert.equal(list.size, 0);
});

test('a removed entry never expires, wherever it sits in the list', async () => {
  const list = DeadlineList.for(30);
  const log: string[] = [];
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => entry(n, log));
  for (const e of [a, b, c, d]) list.add(e);
  list.remove(a); // head
  list.remove(c); // middle
  list.remove(c); // twice: no effect
  assert.equal(list.size, 2);
  await sleep(70);
  assert.deepEqual(log, ['b', 'd']);
  assert.equal(a.deadline, 0);
  assert.equal(a.nextDeadline, null);
});

test('an idle list holds no timer, so it never keeps the process alive', async () => {
  const before = timers();
  const list = DeadlineList.for(60_000);
  const e = entry('e', []);
  list.add(e);
  assert.equal(timers(), before + 1);
  const f = entry('f', []);
  list.add(f);
  assert.equal(timers(), before + 1, 'one timer serves the whole list');
  list.remove(e);
  assert.equal(timers(), before + 1);
  list.remove(f);
  assert.equal(list.size, 0);
  assert.equal(timers(), before);
});

test('an entry added while others expire, and a failing expire(), leave the list working', async () => {
  const list = DeadlineList.for(25);
  const log: string[] = [];
  const late = entry('late', log);
  list.add(
    entry('throws', log, () => {
      throw new Error('boom');
    }),
  );
  list.add(entry('adds', log, () => list.add(late)));
  await sleep(45);
  assert.deepEqual(log, ['throws', 'adds']);
  assert.equal(list.size, 1);
  await sleep(40);
  assert.deepEqual(log, ['throws', 'adds', 'late']);
  assert.equal(list.size, 0);
});

test('lists are shared per timeout length', () => {
  assert.equal(DeadlineList.for(1234), DeadlineList.for(1234));
  assert.notEqual(DeadlineList.for(1234), DeadlineList.for(1235));
});
