/**
 * Whole-request deadlines of detached requests, one list per timeout length instead of
 * one Node timer per request. Every request of a list has the same timeout and joins it
 * when it starts, so the list is ordered by deadline: one timer, armed for the first
 * entry, serves all of them, and a request that ends is unlinked in O(1) and freed at
 * once. Under a slow target at its in-flight limit this keeps hundreds of timer objects
 * (and their closures) out of the heap the garbage collector has to copy and promote.
 */
import { now } from './limits.js';

/** An entry of a {@link DeadlineList}; the list owns the link fields. */
export interface Deadline {
  /** Monotonic ms (see `now()`) at which the entry expires; 0 when not in a list. */
  deadline: number;
  prevDeadline: Deadline | null;
  nextDeadline: Deadline | null;
  /** Called once when the deadline passes; the entry has already left the list. */
  expire(): void;
}

/**
 * Entries sharing one timeout, in the order they joined (which is the order of their
 * deadlines).
 *
 * @example
 * ```ts
 * const list = DeadlineList.for(5000);
 * list.add(entry);      // entry.expire() runs in 5 s unless...
 * list.remove(entry);   // ...it ends first
 * ```
 */
export class DeadlineList {
  private static readonly lists = new Map<number, DeadlineList>();

  /** The shared list of a timeout length in ms. */
  static for(timeoutMs: number): DeadlineList {
    let list = DeadlineList.lists.get(timeoutMs);
    if (list === undefined) {
      list = new DeadlineList(timeoutMs);
      DeadlineList.lists.set(timeoutMs, list);
    }
    return list;
  }

  private head: Deadline | null = null;
  private tail: Deadline | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Deadline the timer is armed for. */
  private armedFor = 0;
  size = 0;

  private constructor(readonly timeoutMs: number) {}

  /** Adds an entry expiring `timeoutMs` from now. */
  add(entry: Deadline): void {
    entry.deadline = now() + this.timeoutMs;
    entry.prevDeadline = this.tail;
    entry.nextDeadline = null;
    if (this.tail === null) this.head = entry;
    else this.tail.nextDeadline = entry;
    this.tail = entry;
    this.size++;
    if (this.timer === null) this.arm(entry.deadline);
  }

  /** Removes an entry that ended before its deadline; no effect when it is not listed. */
  remove(entry: Deadline): void {
    if (entry.deadline === 0) return;
    entry.deadline = 0;
    const { prevDeadline: prev, nextDeadline: next } = entry;
    if (prev === null) this.head = next;
    else prev.nextDeadline = next;
    if (next === null) this.tail = prev;
    else next.prevDeadline = prev;
    entry.prevDeadline = entry.nextDeadline = null;
    this.size--;
    // An idle list holds no timer, so it never keeps the process alive on its own.
    if (this.head === null && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private arm(deadline: number): void {
    this.armedFor = deadline;
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(deadline - now())));
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    const t = now();
    // A timer can fire a fraction of a millisecond before the deadline it was armed for.
    const limit = Math.max(t, this.armedFor);
    let entry = this.head;
    while (entry !== null && entry.deadline <= limit) {
      this.remove(entry);
      try {
        entry.expire();
      } catch {
        // One entry's failure must not stop the others from expiring.
      }
      entry = this.head;
    }
    if (this.head !== null && this.timer === null) this.arm(this.head.deadline);
  };
}
