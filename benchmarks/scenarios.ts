/**
 * The scenarios: interleaved throughput rounds, the 1 GiB mirrored upload, latency at a
 * constant rate, and the comparison micro-benchmark.
 */
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { runLoad, runRate, type Generator, type LoadResult, type RateResult } from './load.js';
import { cpuIdle, cpuPerRequest, cpuSteal, rssPeak, run, treeCpuSplitMs } from './procs.js';

/** One measured configuration: a system, a request kind, where to send it. */
export interface Case {
  id: string;
  system: string;
  kind: 'GET 1 KB' | 'POST 64 KB' | 'GET 5 KB';
  url: string;
  /** Process whose tree's memory is measured (the proxy), if any. */
  pid?: number;
  /** The `/__stats` address of the upstream the copies go to (mirror target or shadow candidate), if any. */
  copies?: string;
}

export interface CaseResult {
  case: Case;
  /**
   * Each round's run, with the proxy's peak RSS and CPU per request, the machine's CPU
   * steal during it, the requests the copies' upstream received per client request
   * (NaN without copies), and the idle share of the load generator's CPU (NaN when it
   * is not pinned to one).
   */
  runs: (LoadResult & { rssMb: number; cpuUs: number; sysUs: number; steal: number; copies: number; loadIdle: number })[];
}

/** A share as a percentage for the log lines. */
export const pctOf = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');

export const median = (xs: number[]): number => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Requests an upstream has received (its `/__stats`), read once the count stops moving:
 * copies still on their way when a run ends are counted with it.
 */
async function receivedBy(stats: string): Promise<number> {
  const read = async () => ((await (await fetch(stats)).json()) as { requests: number }).requests;
  let last = await read();
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const n = await read();
    if (n === last) break;
    last = n;
  }
  return last;
}

/**
 * Runs every case once per round, in the same order each round (A B C A B C ...), after
 * one short warm-up pass each.
 */
export async function throughput(
  cases: Case[],
  opts: { gen: Generator; rounds: number; seconds: number; warmup: number; connections: number; cpus?: string; workDir: string; log: (s: string) => void },
): Promise<Map<string, CaseResult>> {
  const results = new Map<string, CaseResult>(cases.map((c) => [c.id, { case: c, runs: [] }]));
  const load = (c: Case, seconds: number) =>
    runLoad(opts.gen, { url: c.url, method: c.kind.startsWith('POST') ? 'POST' : 'GET', bodySize: 64 * 1024, connections: opts.connections, seconds, cpus: opts.cpus }, opts.workDir);
  for (const c of cases) if (opts.warmup > 0) await load(c, opts.warmup);
  const loadCpu = opts.cpus !== undefined && /^\d+$/.test(opts.cpus) ? Number(opts.cpus) : null;
  for (let r = 1; r <= opts.rounds; r++) {
    for (const c of cases) {
      const mem = rssPeak(c.pid);
      const stolen = cpuSteal();
      const received0 = c.copies ? await receivedBy(c.copies) : 0;
      const idle = loadCpu === null ? null : cpuIdle(loadCpu);
      const cpu0 = c.pid ? treeCpuSplitMs(c.pid) : { user: 0, sys: 0 };
      const res = await load(c, opts.seconds);
      const loadIdle = idle === null ? Number.NaN : idle.stop();
      const steal = stolen.stop();
      const rssMb = mem.stop();
      const copies = c.copies && res.requests > 0 ? ((await receivedBy(c.copies)) - received0) / res.requests : Number.NaN;
      // Without a proxy process (the direct case) there is no CPU to read.
      const { cpuUs, sysUs } = cpuPerRequest(cpu0, c.pid ? treeCpuSplitMs(c.pid) : cpu0, c.pid ? res.requests : 0);
      results.get(c.id)!.runs.push({ ...res, rssMb, cpuUs, sysUs, steal, copies, loadIdle });
      opts.log(`round ${r}/${opts.rounds} ${c.system.padEnd(28)} ${c.kind.padEnd(10)} ${res.rps.toFixed(0).padStart(7)} req/s  p50 ${res.p50.toFixed(2)} ms  p99 ${res.p99.toFixed(2)} ms  rss ${rssMb.toFixed(0)} MB  cpu ${cpuUs.toFixed(0)} us/req (kernel ${sysUs.toFixed(0)})  steal ${pctOf(steal)}${idle === null ? '' : `  load CPU idle ${pctOf(loadIdle)}`}${c.copies ? `  copies received ${pctOf(copies)}` : ''}${res.errors ? `  errors ${res.errors}` : ''}`);
    }
  }
  return results;
}

export interface UploadResult {
  bytes: number;
  primaryOk: boolean;
  mirror: string;
  seconds: number;
  rssMb: number;
}

/**
 * Streams `size` bytes in one request through the proxy to `/upload` and checks the
 * sha256 the primary computed; `mirrorStats` tells what the mirror target got.
 */
export async function largeUpload(proxyPort: number, proxyPid: number | undefined, size: number, mirrorStats: () => Promise<{ bytes: number; sha256: string }>, outcomes: () => Promise<string>): Promise<UploadResult> {
  const block = randomBytes(1024 * 1024);
  const hash = createHash('sha256');
  const mem = rssPeak(proxyPid, 50);
  const t0 = performance.now();
  const answer = await new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'POST', path: '/upload', headers: { 'content-type': 'application/octet-stream', 'content-length': size } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text) as { bytes: number; sha256: string });
        } catch {
          reject(new Error(`unexpected answer ${res.statusCode}: ${text.slice(0, 200)}`));
        }
      });
    });
    req.setTimeout(600_000, () => req.destroy(new Error('upload timed out')));
    req.on('error', reject);
    let sent = 0;
    let i = 0;
    const write = () => {
      while (sent < size) {
        // Vary the blocks so the hash covers position as well as content.
        const chunk = Buffer.from(block.subarray(0, Math.min(block.length, size - sent)));
        chunk.writeUInt32LE(i++, 0);
        hash.update(chunk);
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
  const seconds = (performance.now() - t0) / 1000;
  const rssMb = mem.stop();
  const sent = hash.digest('hex');
  await new Promise((r) => setTimeout(r, 1000));
  const m = await mirrorStats();
  const mirror = m.bytes === size && m.sha256 === sent ? 'received every byte (sha256 equal)' : `cut off after ${m.bytes} bytes; outcomes: ${await outcomes()}`;
  return { bytes: answer.bytes, primaryOk: answer.bytes === size && answer.sha256 === sent, mirror, seconds, rssMb };
}

/** Medians over rounds of one constant-rate target. */
export interface RateSummary {
  p50: number;
  p99: number;
  /** Median of the windowed p99s (see rate.ts). */
  p99w: number;
}

/**
 * Latency at a constant rate for each target, interleaved (A B C A B C ...); medians over
 * rounds of the whole-run p50/p99 and of the windowed p99.
 */
export async function constantRate(targets: [string, string][], opts: { rate: number; seconds: number; rounds: number; cpus?: string; log: (s: string) => void }): Promise<Map<string, RateSummary>> {
  const runs = new Map<string, RateResult[]>(targets.map(([name]) => [name, []]));
  for (let r = 1; r <= opts.rounds; r++) {
    for (const [name, url] of targets) {
      const stolen = cpuSteal();
      const res = await runRate(url, opts.rate, opts.seconds, opts.cpus);
      const steal = stolen.stop();
      runs.get(name)!.push(res);
      opts.log(`round ${r}/${opts.rounds} ${opts.rate} req/s ${name.padEnd(12)} p50 ${res.p50.toFixed(3)} ms  p99 ${res.p99.toFixed(3)} ms  p99w ${res.p99w.toFixed(3)} ms  max ${res.max.toFixed(1)} ms  client loop stall ${res.clientLoopDelayMaxMs.toFixed(1)} ms  steal ${pctOf(steal)}${res.errors ? `  errors ${res.errors}` : ''}`);
    }
  }
  const out = new Map<string, RateSummary>();
  for (const [name, xs] of runs) out.set(name, { p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)), p99w: median(xs.map((x) => x.p99w)) });
  return out;
}

/** The comparison micro-benchmark, in its own process on one core. */
export async function compareOps(seconds: number, cpus: string | undefined): Promise<{ ops: number; parseBoth: number }> {
  const script = new URL('./compare.ts', import.meta.url).pathname;
  const { out } = await run(process.execPath, ['--import', 'tsx', script, String(seconds)], { cpus, timeoutMs: (seconds + 60) * 1000 });
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`compare benchmark failed: ${out.slice(-500)}`);
  const r = JSON.parse(line) as { ops_per_s: number; parse_both_per_s: number };
  return { ops: r.ops_per_s, parseBoth: r.parse_both_per_s };
}
