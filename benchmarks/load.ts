/**
 * Load generators: wrk (POST bodies through a small Lua script), autocannon when wrk is
 * missing, and the constant-rate client in `rate.ts`. All report req/s and latency
 * percentiles in milliseconds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { have, run } from './procs.js';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  /** Bytes of the POST body. */
  bodySize?: number;
  connections: number;
  seconds: number;
  cpus?: string;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers and socket errors. */
  errors: number;
}

export type Generator = 'wrk' | 'autocannon';

export function pickGenerator(): Generator {
  return have('wrk') ? 'wrk' : 'autocannon';
}

const UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function toMs(text: string): number {
  const m = /([\d.]+)(us|ms|s|m)/.exec(text);
  return m ? Number(m[1]) * UNIT[m[2]] : Number.NaN;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out: string): LoadResult {
  const pct = (p: string) => toMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const sockErrors = sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]) : 0;
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), p50: pct('50'), p99: pct('99'), requests, errors: non2xx + sockErrors };
}

/** Runs one load generator pass. */
export async function runLoad(gen: Generator, spec: LoadSpec, workDir: string): Promise<LoadResult> {
  const bodyFile = join(workDir, `body-${spec.bodySize ?? 0}.bin`);
  const limit = (spec.seconds + 30) * 1000;
  if (gen === 'wrk') {
    const args = ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, '--latency', '--timeout', '5s'];
    if (spec.method === 'POST') {
      const script = join(workDir, `post-${spec.bodySize}.lua`);
      writeFileSync(script, `wrk.method = "POST"\nwrk.body = string.rep("x", ${spec.bodySize})\nwrk.headers["Content-Type"] = "application/octet-stream"\n`);
      args.push('-s', script);
    }
    const { out } = await run('wrk', [...args, spec.url], { cpus: spec.cpus, timeoutMs: limit });
    const res = parseWrk(out);
    if (res.requests === 0) process.stderr.write(`wrk produced no result for ${spec.url}:\n${out}\n`);
    return res;
  }
  const bin = new URL('../node_modules/.bin/autocannon', import.meta.url).pathname;
  const args = ['-c', String(spec.connections), '-d', String(spec.seconds), '-j', '--renderStatusCodes', 'false'];
  if (spec.method === 'POST') {
    writeFileSync(bodyFile, Buffer.alloc(spec.bodySize ?? 0, 'x'));
    args.push('-m', 'POST', '-i', bodyFile, '-H', 'content-type=application/octet-stream');
  }
  const { out } = await run(bin, [...args, spec.url], { cpus: spec.cpus, timeoutMs: limit });
  const json = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
  };
  return { rps: json.requests.average, p50: json.latency.p50, p99: json.latency.p99, requests: json.requests.total, errors: json.non2xx + json.errors + json.timeouts };
}

export interface RateResult {
  sent: number;
  errors: number;
  p50: number;
  p99: number;
  /** Median of the p99s of 500 ms windows. */
  p99w: number;
  max: number;
  clientLoopDelayMaxMs: number;
}

/** Constant-rate GETs with the client in `rate.ts` (latency from the moment of sending). */
export async function runRate(url: string, rate: number, seconds: number, cpus?: string): Promise<RateResult> {
  const script = new URL('./rate.ts', import.meta.url).pathname;
  const { out } = await run(process.execPath, ['--import', 'tsx', script, url, String(rate), String(seconds)], { cpus, timeoutMs: (seconds + 30) * 1000 });
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`rate client failed: ${out.slice(-500)}`);
  return JSON.parse(line) as RateResult;
}
