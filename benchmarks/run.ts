/**
 * doppel against nginx `mirror`: throughput, latency and memory (see docs/benchmarks.md).
 *
 *   npm run bench                 full run: 10 s per measurement, 3 interleaved rounds
 *   npm run bench -- --quick      under 4 minutes; ends with one `RESULT {json}` line
 *
 * Options: --rounds N, --seconds S, --workers N|auto (doppel), --layout split|shared|none
 * (split, the default: the proxy under test has CPU 0 to itself, the load generator and
 * the upstreams share the last CPU, as the reference figures were measured;
 * shared: proxies on all CPUs, load and upstreams on the last one; none: no pinning),
 * --connections N,
 * --cpu-prof DIR (profile the doppel processes), --node-flags "FLAGS" (node/V8 flags for the
 * doppel processes, e.g. "--initial-old-space-size=64"), --only get,post,shadow,upload,rate,compare.
 * Installs nginx and wrk with apt when missing (as root); without wrk it uses autocannon,
 * without nginx the nginx figures are left out. Everything runs on 127.0.0.1; every
 * child process is killed at the end, also on errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pickGenerator } from './load.js';
import { cpuSteal, have, installCleanup, killAll, run } from './procs.js';
import { pairedRatio, peakRss, round, table, targetTable, type Figures } from './report.js';
import { compareOps, constantRate, largeUpload, median, pctOf, throughput, type Case, type CaseResult } from './scenarios.js';
import { buildDoppel, comparedShare, routes, shadowCounts, startDoppel, startNginx, startNodePeer, startUpstreams, stopDoppel } from './systems.js';

const argv = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? d : (argv[i + 1] ?? d);
};
const quick = argv.includes('--quick');
const rounds = Number(opt('rounds', '3'));
const seconds = Number(opt('seconds', quick ? '3' : '10'));
const cpus = availableParallelism();
// On two CPUs shared with the load generator and the upstreams a second worker process
// adds no throughput (the full run measures both); with more CPUs every core gets one.
const workersArg = opt('workers', cpus <= 2 ? '1' : 'auto');
const workers = workersArg === 'auto' ? cpus : Number(workersArg);
const altWorkers = cpus > 1 ? (workers === 1 ? cpus : 1) : null;
const layout = opt('layout', 'split');
const connections = Number(opt('connections', '32'));
const profDir = opt('cpu-prof', '');
const nodeFlags = opt('node-flags', '').split(' ').filter((f) => f !== '');
const only = new Set(opt('only', 'get,post,shadow,upload,rate,compare').split(','));
const log = (s: string) => process.stderr.write(`${s}\n`);

const last = String(cpus - 1);
const pin = cpus < 2 || layout === 'none' ? { proxy: undefined, load: undefined } : layout === 'split' ? { proxy: '0', load: last } : { proxy: `0-${last}`, load: last };

async function ensureTools(): Promise<void> {
  if (have('wrk') && have('nginx')) return;
  if (process.getuid?.() === 0 && have('apt-get')) {
    log('installing nginx and wrk with apt-get ...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update', '-qq'], { timeoutMs: 180_000, env });
    const r = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx-light', 'wrk'], { timeoutMs: 300_000, env });
    if (r.code !== 0) await run('apt-get', ['install', '-y', '-qq', 'nginx', 'wrk'], { timeoutMs: 300_000, env });
  }
  if (!have('wrk')) log('wrk is not available: using autocannon');
  if (!have('nginx')) log('nginx is not available: the nginx comparisons are left out');
}

function machine(nginxVersion: string | null, gen: string): string {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const flags = nodeFlags.length > 0 ? `, doppel node flags ${nodeFlags.join(' ')}` : '';
  return `nproc ${cpus}, ${model}, node ${process.version}, nginx ${nginxVersion ?? 'absent'}, load generator ${gen}, layout ${layout} (proxy CPUs ${pin.proxy ?? 'any'}, load+upstreams CPUs ${pin.load ?? 'any'}), doppel workers ${workers}${flags}, load average at start ${loadavg()[0].toFixed(1)}`;
}

/** The isolation figure beside its yardstick, with the idle time of the load generator's CPU in each of the three GET cases. */
function isolationLine(fig: Figures, results: Map<string, CaseResult>): string {
  const idle = (id: string) => {
    const r = results.get(id);
    return r ? pctOf(median(r.runs.map((x) => x.loadIdle))) : 'n/a';
  };
  return `isolation at saturation (GET 1 KB): p99 with the 200 ms mirror / with the fast one ${fig.isolation_p99_ratio.toFixed(2)}, without a mirror / with the fast one ${fig.ref_no_mirror_p99_ratio.toFixed(2)}; idle time of the load CPU (wrk and the upstreams): ${idle('doppel-mirror-get')} with the fast mirror, ${idle('doppel-slow-get')} with the 200 ms one, ${idle('doppel-get')} without a mirror`;
}

async function main(): Promise<void> {
  installCleanup();
  const t0 = Date.now();
  await ensureTools();
  const stolen = cpuSteal();
  const gen = pickGenerator();
  const workDir = mkdtempSync(join(tmpdir(), 'doppel-bench-'));
  // The runner itself (upload client, polling) stays off the proxy's CPU.
  if (pin.load !== undefined && have('taskset')) spawnSync('taskset', ['-pc', pin.load, String(process.pid)], { stdio: 'ignore' });
  try {
    const up = await startUpstreams(pin.load);
    const nginx = have('nginx') ? await startNginx(workDir, up, pin.proxy) : null;
    const entry = buildDoppel(log);
    if (profDir) entry.unshift('--cpu-prof', `--cpu-prof-dir=${profDir}`);
    entry.unshift(...nodeFlags);
    const dp = (name: string, r: string, w = workers) => startDoppel(entry, workDir, { name, workers: w, routes: r, admin: true }, pin.proxy);
    const plain = await dp('plain', routes.plain(up));
    const fast = await dp('mirror-fast', routes.mirror(up, up.mirror));
    const slow = await dp('mirror-slow', routes.mirror(up, up.slow));
    const shadow = only.has('shadow') ? await dp('shadow', routes.shadow(up)) : null;
    const alt = !quick && altWorkers !== null ? await dp('mirror-fast-alt', routes.mirror(up, up.mirror), altWorkers) : null;
    // The Node floor: what a minimal proxy and a naive mirror cost in Node here (full runs).
    const nodeProxy = quick ? null : await startNodePeer(up, false, pin.proxy);
    const nodeMirror = quick ? null : await startNodePeer(up, true, pin.proxy);
    const machineLine = machine(nginx?.version ?? null, gen);
    log(`machine: ${machineLine}`);

    const u = (port: number, path = '/') => `http://127.0.0.1:${port}${path}`;
    const ng = nginx?.child.pid;
    // Where the copies of a case land: every mirroring case shows the share of client requests its target received.
    const toFast = u(up.mirror, '/__stats');
    const toSlow = u(up.slow, '/__stats');
    const cases: Case[] = [];
    for (const [kind, enabled, path] of [['GET 1 KB', only.has('get'), '/'], ['POST 64 KB', only.has('post'), '/post']] as const) {
      if (!enabled) continue;
      const k = kind.startsWith('GET') ? 'get' : 'post';
      if (!quick) cases.push({ id: `direct-${k}`, system: 'direct (no proxy)', kind, url: u(up.fast, path) });
      if (nginx && !quick) cases.push({ id: `nginx-${k}`, system: 'nginx proxy_pass', kind, url: u(nginx.ports.proxy, path), pid: ng });
      if (nginx) cases.push({ id: `nginx-mirror-${k}`, system: 'nginx + mirror (fast)', kind, url: u(nginx.ports.mirrorFast, path), pid: ng, copies: toFast });
      if (nginx && !quick) cases.push({ id: `nginx-slow-${k}`, system: 'nginx + mirror (200 ms)', kind, url: u(nginx.ports.mirrorSlow, path), pid: ng, copies: toSlow });
      cases.push({ id: `doppel-${k}`, system: `doppel (w=${workers})`, kind, url: u(plain.port, path), pid: plain.child.pid });
      cases.push({ id: `doppel-mirror-${k}`, system: `doppel + mirror (fast, w=${workers})`, kind, url: u(fast.port, path), pid: fast.child.pid, copies: toFast });
      cases.push({ id: `doppel-slow-${k}`, system: `doppel + mirror (200 ms, w=${workers})`, kind, url: u(slow.port, path), pid: slow.child.pid, copies: toSlow });
      if (alt) cases.push({ id: `doppel-mirror-alt-${k}`, system: `doppel + mirror (fast, w=${altWorkers})`, kind, url: u(alt.port, path), pid: alt.child.pid, copies: toFast });
      if (nodeProxy) cases.push({ id: `node-${k}`, system: 'minimal Node proxy', kind, url: u(nodeProxy.port, path), pid: nodeProxy.child.pid });
      if (nodeMirror) cases.push({ id: `node-mirror-${k}`, system: 'naive Node mirror (fast)', kind, url: u(nodeMirror.port, path), pid: nodeMirror.child.pid, copies: toFast });
    }
    if (shadow) {
      cases.push({ id: 'doppel-mirror-5k', system: `doppel + mirror (fast, w=${workers})`, kind: 'GET 5 KB', url: u(fast.port, '/5k'), pid: fast.child.pid, copies: toFast });
      cases.push({ id: 'doppel-shadow-5k', system: `doppel + shadow compare (w=${workers})`, kind: 'GET 5 KB', url: u(shadow.port, '/5k'), pid: shadow.child.pid, copies: u(up.candidate, '/__stats') });
    }
    const counts0 = shadow ? await shadowCounts(shadow.admin!) : null;
    const results = await throughput(cases, { gen, rounds, seconds, warmup: quick ? 1 : 3, connections, cpus: pin.load, workDir, log });
    const counts1 = shadow ? await shadowCounts(shadow.admin!) : null;
    const sharedUnderLoad = counts0 && counts1 ? comparedShare(counts0, counts1) : Number.NaN;
    const R = (id: string) => results.get(id);

    // Latency at a constant 2,000 req/s: direct, through doppel mirroring to the fast
    // target, and to the 200 ms one. Short interleaved runs: a stall of this shared
    // machine then spoils one run, not the figure.
    const nan = { p50: Number.NaN, p99: Number.NaN, p99w: Number.NaN };
    let rate = new Map<string, { p50: number; p99: number; p99w: number }>();
    if (only.has('rate')) {
      // nginx at the same rate is the yardstick of what this machine adds to any proxy hop.
      const targets: [string, string][] = [['direct', u(up.fast)], ['doppel', u(fast.port)], ['doppel-slow', u(slow.port)], ['doppel-plain', u(plain.port)]];
      if (nginx) targets.push(['nginx', u(nginx.ports.proxy)], ['nginx-mirror', u(nginx.ports.mirrorFast)]);
      if (shadow) targets.push(['doppel-shadow', u(shadow.port, '/5k')]);
      rate = await constantRate(targets, { rate: 2000, seconds: quick ? 2 : 5, rounds: Math.max(rounds, quick ? 5 : 7), log });
    }
    const counts2 = shadow && only.has('rate') ? await shadowCounts(shadow.admin!) : null;
    const sharedAtRate = counts1 && counts2 ? comparedShare(counts1, counts2) : Number.NaN;
    const viaShadow = rate.get('doppel-shadow') ?? null;
    const direct = rate.get('direct') ?? nan;
    const viaFast = rate.get('doppel') ?? nan;
    const viaSlow = rate.get('doppel-slow') ?? nan;
    const viaPlain = rate.get('doppel-plain') ?? nan;
    const viaNginx = rate.get('nginx') ?? null;
    const viaNginxMirror = rate.get('nginx-mirror') ?? null;
    /** What a path adds to the direct windowed p99. */
    const added = (r: { p99w: number }) => r.p99w - direct.p99w;

    // Memory of a single 1 GiB upload: its own instance, mirrored, size limit raised.
    let uploadRss = Number.NaN;
    let uploadNote = 'not run';
    if (only.has('upload')) {
      for (const d of [plain, slow, ...(shadow ? [shadow] : []), ...(alt ? [alt] : [])]) await stopDoppel(d);
      const up1 = await startDoppel(entry, workDir, { name: 'upload', workers: 1, routes: routes.mirror(up, up.mirror, ', maxBodySize: 2GiB, timeout: 10m'), admin: true }, pin.proxy);
      const stats = async () => ((await (await fetch(u(up.mirror, '/__stats'))).json()) as { lastUpload: { bytes: number; sha256: string } }).lastUpload;
      const outcomes = async () =>
        (await (await fetch(`http://127.0.0.1:${up1.admin}/metrics`)).text())
          .split('\n')
          .filter((l) => l.startsWith('doppel_mirror_requests_total{') && !l.endsWith(' 0'))
          .join('; ');
      const res = await largeUpload(up1.port, up1.child.pid, 1024 ** 3, stats, outcomes);
      uploadRss = res.rssMb;
      uploadNote = `1 GiB in ${res.seconds.toFixed(1)} s, primary ${res.primaryOk ? 'received every byte (sha256 equal)' : `MISMATCH (${res.bytes} bytes)`}, mirror ${res.mirror}, peak RSS ${res.rssMb.toFixed(0)} MB (one process)`;
      log(`large upload: ${uploadNote}`);
    }

    const compare = only.has('compare') ? await compareOps(quick ? 3 : 10, pin.proxy === undefined ? undefined : '0') : { ops: Number.NaN, parseBoth: Number.NaN };

    const fig: Figures = {
      isolation_p99_ratio: pairedRatio(R('doppel-slow-get'), R('doppel-mirror-get'), 'p99'),
      mirror_cost_ratio_get: pairedRatio(R('doppel-mirror-get'), R('doppel-get'), 'rps'),
      mirror_cost_ratio_post: pairedRatio(R('doppel-mirror-post'), R('doppel-post'), 'rps'),
      vs_nginx_mirror_get: nginx ? pairedRatio(R('doppel-mirror-get'), R('nginx-mirror-get'), 'rps') : null,
      vs_nginx_mirror_post: nginx ? pairedRatio(R('doppel-mirror-post'), R('nginx-mirror-post'), 'rps') : null,
      slow_mirror_rss_mb: peakRss(R('doppel-slow-post')),
      large_upload_rss_mb: uploadRss,
      shadow_cost_ratio: pairedRatio(R('doppel-shadow-5k'), R('doppel-mirror-5k'), 'rps'),
      compare_ops_per_s: compare.ops,
      added_p99_ms: added(viaFast),
      ref_no_mirror_p99_ratio: pairedRatio(R('doppel-get'), R('doppel-mirror-get'), 'p99'),
      ref_no_mirror_added_p99_ms: added(viaPlain),
      ref_nginx_added_p99_ms: viaNginx ? added(viaNginx) : null,
      ref_nginx_mirror_added_p99_ms: viaNginxMirror ? added(viaNginxMirror) : null,
      ref_vs_node_proxy_get: nodeProxy ? pairedRatio(R('doppel-get'), R('node-get'), 'rps') : null,
      ref_vs_node_proxy_post: nodeProxy ? pairedRatio(R('doppel-post'), R('node-post'), 'rps') : null,
      ref_vs_node_mirror_get: nodeMirror ? pairedRatio(R('doppel-mirror-get'), R('node-mirror-get'), 'rps') : null,
      ref_vs_node_mirror_post: nodeMirror ? pairedRatio(R('doppel-mirror-post'), R('node-mirror-post'), 'rps') : null,
      ref_parse_both_per_s: compare.parseBoth,
      ref_shadow_compared_share: sharedUnderLoad,
      ref_shadow_compared_share_at_rate: sharedAtRate,
      ref_cpu_steal_share: stolen.stop(),
    };
    const steals = [...results.values()].flatMap((r) => r.runs.map((x) => x.steal)).filter(Number.isFinite);
    const rateLine = (name: string, r: { p50: number; p99: number; p99w: number }) =>
      `  ${name}: p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, p99w ${r.p99w.toFixed(3)} ms, added p99w ${added(r).toFixed(3)} ms`;
    const out = [
      `machine: ${machineLine}`,
      `command: npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
      `${rounds} interleaved rounds, ${seconds} s per run, ${connections} connections, ${gen}; table: medians over rounds; ratios: medians of the per-round ratios`,
      '',
      table(results),
      '',
      ...(only.has('get') ? [isolationLine(fig, results)] : []),
      ...(only.has('rate')
        ? [
            'constant rate 2000 req/s (medians over rounds; p99w = median p99 of 500 ms windows):',
            `  direct: p50 ${direct.p50.toFixed(3)} ms, p99 ${direct.p99.toFixed(3)} ms, p99w ${direct.p99w.toFixed(3)} ms`,
            rateLine('doppel, 100% mirror to the fast target', viaFast),
            rateLine('doppel, 100% mirror to the 200 ms target', viaSlow),
            rateLine('doppel, no mirror', viaPlain),
            ...(viaNginx ? [rateLine('nginx proxy_pass (no mirror)', viaNginx)] : []),
            ...(viaNginxMirror ? [rateLine('nginx + mirror to the fast target', viaNginxMirror)] : []),
            `  added p99 (doppel - direct): ${added(viaFast).toFixed(3)} ms windowed, ${(viaFast.p99 - direct.p99).toFixed(3)} ms whole-run; p99 with the 200 ms mirror / with the fast one at this rate: ${(viaSlow.p99w / viaFast.p99w).toFixed(2)}`,
            ...(viaShadow ? [`  doppel, 100% shadow compared (GET 5 KB): p50 ${viaShadow.p50.toFixed(3)} ms, p99 ${viaShadow.p99.toFixed(3)} ms, p99w ${viaShadow.p99w.toFixed(3)} ms; compared ${pctOf(sharedAtRate)} of the shadowed requests`] : []),
          ]
        : ['constant rate: not run']),
      ...(shadow ? [`shadow compare at saturation: compared ${pctOf(sharedUnderLoad)} of the shadowed requests, the rest skipped (comparison queue full)`] : []),
      `large upload: ${uploadNote}`,
      only.has('compare')
        ? `compareResponses, two 5 KB JSON documents, one core: ${compare.ops} ops/s; JSON.parse of both documents alone, same run: ${compare.parseBoth} pairs/s`
        : 'compareResponses: not run',
      `CPU time taken by the host (steal): ${pctOf(fig.ref_cpu_steal_share)} over the whole run${steals.length > 0 ? `, ${pctOf(Math.min(...steals))}-${pctOf(Math.max(...steals))} in the throughput runs` : ''}`,
      '',
      targetTable(fig),
      '',
      `total time ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    process.stdout.write(`RESULT ${JSON.stringify(round(fig))}\n`);
  } finally {
    killAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  killAll();
  process.exit(1);
});
