/** Per-file cleanup: everything registered is closed after the file's tests, last first. */
import { after } from 'node:test';
import { startUpstream, type Upstream } from './servers.js';

export interface Cleanup {
  /** Registers a closer. */
  add(close: () => Promise<unknown>): void;
  /** Starts a recording upstream that is closed after the tests. */
  upstream(...args: Parameters<typeof startUpstream>): Promise<Upstream>;
}

export function cleanup(): Cleanup {
  const closers: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });
  return {
    add: (close) => void closers.push(close),
    async upstream(...args) {
      const u = await startUpstream(...args);
      closers.push(u.close);
      return u;
    },
  };
}
