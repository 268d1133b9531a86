/**
 * Child processes of the benchmark: started (optionally pinned with taskset), tracked,
 * and all killed at the end, on error and on signals. Also measures the resident memory
 * of a process tree.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';

const children = new Set<ChildProcess>();
let hasTaskset: boolean | null = null;

/** True when `cmd` can be run (found on PATH). */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Starts a tracked child; `cpus` pins it with taskset (e.g. "0", "1", "0-1"). */
export function start(cmd: string, args: string[], opts: { cpus?: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): ChildProcess {
  hasTaskset ??= have('taskset');
  const pinned = opts.cpus !== undefined && hasTaskset;
  const so: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } };
  const child = pinned ? spawn('taskset', ['-c', opts.cpus!, cmd, ...args], so) : spawn(cmd, args, so);
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  const onData = (c: Buffer) => {
    out += c.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) !== -1) {
      opts.log?.(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return child;
}

/** Runs a command to its end (bounded by `timeoutMs`); resolves with its output. */
export function run(cmd: string, args: string[], opts: { cpus?: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = '';
    const child = start(cmd, args, { cpus: opts.cpus, env: opts.env, log: (l) => (out += `${l}\n`) });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Let the last buffered lines arrive.
      setImmediate(() => resolve({ code, out }));
    });
  });
}

/** Descendants of `pid`, itself included. */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // The process ended meanwhile.
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time used so far by a process tree, ms (clock ticks of 10 ms): in user space and in the kernel. */
export function treeCpuSplitMs(pid: number): { user: number; sys: number } {
  let user = 0;
  let sys = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime), counted from the state field (3).
      user += Number(f[11]);
      sys += Number(f[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return { user: user * 10, sys: sys * 10 };
}

/** CPU time per request between two {@link treeCpuSplitMs} readings, us: in all and in the kernel. */
export function cpuPerRequest(before: { user: number; sys: number }, after: { user: number; sys: number }, requests: number): { cpuUs: number; sysUs: number } {
  if (!(requests > 0)) return { cpuUs: Number.NaN, sysUs: Number.NaN };
  const sys = after.sys - before.sys;
  return { cpuUs: ((after.user - before.user + sys) * 1000) / requests, sysUs: (sys * 1000) / requests };
}

/** Resident memory of a process tree, MB. */
export function treeRssMb(pid: number): number {
  return processTree(pid).reduce((a, p) => a + statusKb(p, 'VmRSS'), 0) / 1024;
}

/** Polls the RSS of a process tree every `everyMs` until stopped; `stop()` returns the peak in MB. */
export function rssPeak(pid: number | undefined, everyMs = 100): { stop(): number } {
  if (pid === undefined) return { stop: () => 0 };
  let peak = treeRssMb(pid);
  const t = setInterval(() => (peak = Math.max(peak, treeRssMb(pid))), everyMs);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, treeRssMb(pid));
    },
  };
}

/** Clock ticks of `/proc/stat`'s line for all CPUs (`cpu`) or one (`cpu1`): [steal, idle, all] (zeros when unreadable). */
function cpuTicks(line = 'cpu'): [number, number, number] {
  try {
    const found = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`${line} `));
    if (found === undefined) return [0, 0, 0];
    // cpu user nice system idle iowait irq softirq steal (guest time is inside user)
    const xs = found.trim().split(/\s+/).slice(1, 9).map(Number);
    return [xs[7] ?? 0, (xs[3] ?? 0) + (xs[4] ?? 0), xs.reduce((a, x) => a + x, 0)];
  } catch {
    return [0, 0, 0];
  }
}

/**
 * Measures the share of this virtual machine's CPU time the host gave to others (the
 * `steal` of /proc/stat) between the call and `stop()`: on a shared host it is what makes
 * latency tails and single runs move, so the benchmark reports it with its figures. NaN
 * where the kernel does not count it.
 */
export function cpuSteal(): { stop(): number } {
  const [s0, , t0] = cpuTicks();
  return {
    stop() {
      const [s1, , t1] = cpuTicks();
      return t1 > t0 ? (s1 - s0) / (t1 - t0) : Number.NaN;
    },
  };
}

/**
 * Measures the share of one CPU's time spent idle between the call and `stop()`. The
 * load generator and the upstreams share one CPU: when it has no idle time left, they
 * wait for each other's time slices, which lengthens every client's latency tail
 * whatever the proxy does. NaN where the kernel does not count it.
 */
export function cpuIdle(cpu: number): { stop(): number } {
  const [, i0, t0] = cpuTicks(`cpu${cpu}`);
  return {
    stop() {
      const [, i1, t1] = cpuTicks(`cpu${cpu}`);
      return t1 > t0 ? (i1 - i0) / (t1 - t0) : Number.NaN;
    },
  };
}

/** Resolves when `port` accepts connections on 127.0.0.1 (or rejects after `ms`). */
export async function waitPort(port: number, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port} after ${ms} ms`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Stops a child gracefully (SIGTERM), then kills it after `ms`. */
export function stop(child: ChildProcess, ms = 5_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

/** Kills every child still running (and their descendants). */
export function killAll(): void {
  for (const c of children) {
    if (c.pid === undefined) continue;
    for (const p of processTree(c.pid).reverse()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
}

/** Makes sure no child outlives the benchmark, whatever ends it. */
export function installCleanup(): void {
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    killAll();
    process.exit(1);
  });
}
