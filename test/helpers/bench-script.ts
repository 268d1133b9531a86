/** Runs a benchmark script that prints `LISTENING <port>` (benchmarks/upstream.ts, node-peer.ts) in a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Cleanup } from './cleanup.js';

/** Starts `benchmarks/<name>` with `args`; it is stopped by `c`'s cleanup. */
export async function startBenchScript(c: Cleanup, name: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const script = new URL(`../../benchmarks/${name}`, import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  c.add(async () => {
    if (child.exitCode === null) {
      child.kill();
      await once(child, 'exit');
    }
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}
