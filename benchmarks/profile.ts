/**
 * Where the time goes: profiles one doppel process under load, or summarises a V8
 * `.cpuprofile` (from `node --cpu-prof`): self time per function and per stage of the
 * request path, as percentages of the busy (non-idle) time and in microseconds per request.
 *
 *   node --import tsx benchmarks/profile.ts --run [--mirror fast|slow] [--post] [--shadow] [--seconds 10] [--cpus 0] [--path /5k] [--keep FILE] [--alloc]
 *   node --import tsx benchmarks/profile.ts <file.cpuprofile> [--top 40] [--requests N]
 *
 * `--run` starts the upstreams (CPU 1), one doppel process with `--cpu-prof` (CPU 0) and
 * wrk with 32 connections (CPU 1), and prints the summary; `--keep` copies the profile
 * to FILE (open it in Chrome DevTools or speedscope for the flame graph). With `--alloc`
 * the process runs V8's sampling heap profiler instead (alloc-preload.mjs) and the
 * summary is bytes allocated per request, by stage and by function.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, pickGenerator } from './load.js';
import { pctOf } from './scenarios.js';
import { cpuPerRequest, cpuSteal, installCleanup, killAll, stop, treeCpuSplitMs } from './procs.js';
import { buildDoppel, routes, startDoppel, startUpstreams } from './systems.js';

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Stage of a frame, from its source location (first match wins). */
const STAGES: [string, RegExp][] = [
  ['idle / gc / program', /^\((idle|garbage collector|program)\)/],
  ['doppel: proxy.handle + routing', /\/(src|dist)\/(core\/proxy|routing\/|ingress\/)/],
  ['doppel: headers', /\/(src|dist)\/core\/headers/],
  ['doppel: forward to primary', /\/(src|dist)\/primary\//],
  ['doppel: mirror admission/copy', /\/(src|dist)\/mirror\//],
  ['doppel: shadow + compare', /\/(src|dist)\/(shadow|compare|report\/aggregate|report\/endpoint|report\/noise|report\/latency)/],
  ['doppel: metrics', /\/(src|dist)\/report\/metrics|prom-client/],
  ['undici (client, pool, parser)', /undici/],
  ['node:http server (parser, ServerResponse)', /node:_http|node:http/],
  ['node:net / stream / events', /node:(net|stream|internal\/streams|events|internal\/stream_base|internal\/net|buffer)/],
  ['node internals (timers, async hooks, misc)', /node:/],
];

function stageOf(f: Frame): string {
  if (f.url === '') return /^\((idle|garbage collector|program)\)/.test(f.functionName) ? STAGES[0][0] : 'native (socket writes, parser, crypto)';
  for (const [name, re] of STAGES) if (re.test(f.url)) return name;
  return 'other';
}

/** Amounts (sampled time or bytes) per function and per stage of the request path. */
class Tally {
  readonly fn = new Map<string, number>();
  readonly stage = new Map<string, number>();

  add(f: Frame, amount: number): void {
    const file = f.url.replace(/^.*\/(src|dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    this.fn.set(key, (this.fn.get(key) ?? 0) + amount);
    const s = stageOf(f);
    this.stage.set(s, (this.stage.get(s) ?? 0) + amount);
  }
}

const largestFirst = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);

export function summarise(profile: Profile, top = 40, requests = 0): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const tally = new Tally();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    total += us;
    if (f.functionName === '(idle)') idle += us;
    tally.add(f, us);
  }
  const busy = total - idle;
  const pct = (us: number) => ((100 * us) / busy).toFixed(1).padStart(5);
  const perReq = (us: number) => (requests > 0 ? `${(us / requests).toFixed(1).padStart(7)} us/req` : '');
  const lines = [`profile: ${(total / 1e6).toFixed(1)} s sampled, busy ${(busy / 1e6).toFixed(1)} s${requests > 0 ? `, ${requests} requests, ${(busy / requests).toFixed(1)} us busy per request` : ''}`, '', 'by stage (% of busy time):'];
  for (const [s, us] of largestFirst(tally.stage)) if (!s.startsWith('idle')) lines.push(`  ${pct(us)}%  ${perReq(us)}  ${s}`);
  const gc = [...self].filter(([id]) => /garbage collector/.test(byId.get(id)!.callFrame.functionName)).reduce((a, [, us]) => a + us, 0);
  lines.push(`  (garbage collector alone: ${pct(gc).trim()}%)`, '', `top ${top} functions by self time:`);
  for (const [k, us] of largestFirst(tally.fn).filter(([k]) => !k.startsWith('(idle)')).slice(0, top)) lines.push(`  ${pct(us)}%  ${k}`);
  return lines.join('\n');
}

interface AllocNode {
  callFrame: Frame;
  selfSize: number;
  children?: AllocNode[];
}

/** Bytes allocated per request by stage and by function, from a sampling heap profile. */
export function summariseAlloc(head: AllocNode, requests: number, top = 40): string {
  const tally = new Tally();
  let total = 0;
  const walk = (n: AllocNode): void => {
    tally.add(n.callFrame, n.selfSize);
    total += n.selfSize;
    for (const c of n.children ?? []) walk(c);
  };
  walk(head);
  const per = (b: number) => `${(b / requests).toFixed(0).padStart(6)} B/req`;
  const lines = [`allocated: ${(total / requests).toFixed(0)} bytes per request (${requests} requests)`, '', 'by stage:'];
  for (const [k, b] of largestFirst(tally.stage)) if (b > 0) lines.push(`  ${per(b)}  ${k}`);
  lines.push('', `top ${top} functions by bytes allocated:`);
  for (const [k, b] of largestFirst(tally.fn).slice(0, top)) lines.push(`  ${per(b)}  ${k}`);
  return lines.join('\n');
}

/** Waits for `file` to appear (alloc-preload.mjs renames it into place once written). */
async function waitFile(file: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`${file} was not written`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function profileRun(): Promise<void> {
  installCleanup();
  const has = (n: string) => process.argv.includes(`--${n}`);
  const opt = (n: string, d: string) => (process.argv.indexOf(`--${n}`) === -1 ? d : process.argv[process.argv.indexOf(`--${n}`) + 1]);
  const dir = mkdtempSync(join(tmpdir(), 'doppel-prof-'));
  try {
    const up = await startUpstreams('1');
    const mirror = opt('mirror', '');
    const r = has('shadow') ? routes.shadow(up) : mirror ? routes.mirror(up, mirror === 'slow' ? up.slow : up.mirror) : routes.plain(up);
    const alloc = has('alloc');
    const allocFile = join(dir, 'alloc.json');
    const flags = alloc ? ['--import', new URL('./alloc-preload.mjs', import.meta.url).pathname] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
    const entry = [...flags, ...buildDoppel((m) => process.stderr.write(`${m}\n`))];
    const d = await startDoppel(entry, dir, { name: 'profiled', workers: 1, routes: r, admin: true, env: { DOPPEL_ALLOC_PROFILE: allocFile } }, opt('cpus', '0'));
    const path = opt('path', has('shadow') ? '/5k' : has('post') ? '/post' : '/');
    const spec = { url: `http://127.0.0.1:${d.port}${path}`, method: (has('post') ? 'POST' : 'GET') as 'GET' | 'POST', bodySize: 64 * 1024, connections: 32, cpus: '1' };
    await runLoad(pickGenerator(), { ...spec, seconds: 2 }, dir);
    if (alloc) d.child.kill('SIGUSR2');
    const cpu0 = treeCpuSplitMs(d.child.pid!);
    const stolen = cpuSteal();
    const res = await runLoad(pickGenerator(), { ...spec, seconds: Number(opt('seconds', '10')) }, dir);
    const steal = stolen.stop();
    const { cpuUs, sysUs } = cpuPerRequest(cpu0, treeCpuSplitMs(d.child.pid!), res.requests);
    // The profiler samples wall time: CPU the host takes (steal) lands on whatever frame was running.
    const what = `${spec.method} ${spec.url.replace(/:\d+/, '')} ${mirror ? `mirror ${mirror}` : has('shadow') ? 'shadow' : 'no mirror'}: ${res.rps.toFixed(0)} req/s, p99 ${res.p99.toFixed(2)} ms, proxy CPU ${cpuUs.toFixed(0)} us per request (kernel ${sysUs.toFixed(0)}), CPU taken by the host (steal) ${pctOf(steal)}`;
    if (alloc) {
      d.child.kill('SIGUSR2');
      await waitFile(allocFile, 30_000);
      await stop(d.child, 15_000);
      const head = (JSON.parse(readFileSync(allocFile, 'utf8')) as { head: AllocNode }).head;
      process.stdout.write(`${what}\n${summariseAlloc(head, res.requests, Number(opt('top', '40')))}\n`);
      return;
    }
    const metrics = await (await fetch(`http://127.0.0.1:${d.admin}/metrics`)).text();
    const served = metrics.split('\n').filter((l) => l.startsWith('doppel_requests_total{')).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    await stop(d.child, 15_000);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no profile written');
    if (opt('keep', '')) copyFileSync(join(dir, file), opt('keep', ''));
    process.stdout.write(`${what}\n`);
    process.stdout.write(`${summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, Number(opt('top', '40')), served)}\n`);
  } finally {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--run')) await profileRun();
else if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: profile.ts <file.cpuprofile> [--top N] [--requests N]\n');
    process.exit(2);
  }
  const opt = (n: string, d: number) => {
    const i = process.argv.indexOf(`--${n}`);
    return i === -1 ? d : Number(process.argv[i + 1]);
  };
  process.stdout.write(`${summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, opt('top', 40), opt('requests', 0))}\n`);
}
