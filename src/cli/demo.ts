/**
 * `doppel demo`: two sample backends (v1 and v2 of a JSON API), the proxy in front of v1
 * mirroring to v2, a burst of sample traffic with progress, and a summary of what was
 * mirrored and where to look.
 */
import { startDoppel, type DoppelInstance } from '../app.js';
import { fromFlags } from '../config/index.js';
import { createLogger } from '../core/logger.js';
import { startSampleBackend } from '../demo/backends.js';
import { sendTraffic } from '../demo/traffic.js';
import { handleSignals } from './run.js';

export interface DemoOptions {
  requests: number;
  once: boolean;
  port: number;
  adminPort: number;
  out?: NodeJS.WritableStream;
}

interface Backends {
  v1: string;
  v1b: string;
  v2: string;
}

async function startOn(port: number, adminPort: number, b: Backends): Promise<DoppelInstance> {
  const make = (p: number, a: number) => {
    const config = fromFlags({ listen: `127.0.0.1:${p}`, admin: `127.0.0.1:${a}`, primary: b.v1, mirror: [b.v2], candidate: [b.v2], secondary: b.v1b, logLevel: 'error' });
    const route = config.routes[0];
    route.mirrors[0].name = 'v2-mirror';
    route.shadow!.candidates[0].name = 'v2';
    route.shadow!.secondary!.name = 'v1-secondary';
    // Lists are matched by id, so a reordered list shows as moved elements, not as changed fields.
    route.shadow!.compare.arraysAt = [{ path: '$.items', mode: { mode: 'byKey', key: 'id' } }];
    return startDoppel(config, { logger: createLogger('error') });
  };
  try {
    return await make(port, adminPort);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return make(0, 0);
  }
}

async function mirrorSummary(app: DoppelInstance): Promise<string[]> {
  const metric = await app.proxy.metrics.mirrorRequests.get();
  const lines: string[] = [];
  for (const v of metric.values) if (v.value > 0) lines.push(`  ${String(v.labels.target).padEnd(22)} ${String(v.labels.outcome).padEnd(18)} ${v.value}`);
  return lines;
}

function shadowSummary(app: DoppelInstance): string[] {
  const lines: string[] = [];
  for (const e of app.shadow.aggregator.endpoints()) {
    lines.push(`  ${e.endpoint}: ${e.compared} compared, ${e.regressions} regression${e.regressions === 1 ? '' : 's'}, ${e.matches} identical`);
    for (const f of e.fields) lines.push(`    ${f.verdict === 'regression' ? 'REGRESSION' : 'noise     '} ${f.path} (${f.kind}): ${f.differences} differences, ${f.noise} in v1 vs v1`);
  }
  return lines;
}

/** Runs the demo. */
export async function runDemo(opts: DemoOptions): Promise<void> {
  const out = opts.out ?? process.stdout;
  const say = (s = '') => out.write(`${s}\n`);
  const v1 = await startSampleBackend('v1');
  const v1b = await startSampleBackend('v1');
  const v2 = await startSampleBackend('v2');
  const app = await startOn(opts.port, opts.adminPort, { v1: v1.url, v1b: v1b.url, v2: v2.url });
  const proxy = `http://127.0.0.1:${app.address.port}`;
  const admin = app.adminAddress ? `http://127.0.0.1:${app.adminAddress.port}` : '(off)';
  say('doppel demo');
  say(`  sample API v1 (primary)   ${v1.url}`);
  say(`  sample API v1 (secondary) ${v1b.url}`);
  say(`  sample API v2 (mirror and candidate) ${v2.url}`);
  say(`  proxy                     ${proxy}`);
  say('');
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  let lastShown = -1;
  const summary = await sendTraffic(proxy, opts.requests, (done, total) => {
    const pct = Math.floor((done * 100) / total);
    if (tty) out.write(`\r  sending sample traffic: ${done}/${total} (${pct}%)`);
    else if (pct >= lastShown + 25 || done === total) {
      lastShown = pct;
      say(`  sending sample traffic: ${done}/${total} (${pct}%)`);
    }
  });
  if (tty) say('');
  // Mirrors are fire-and-forget: give the last copies a moment to land before the summary.
  const deadline = Date.now() + 2_000;
  while (app.proxy.copiesInFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50));
  await app.shadow.reporter.idle();
  const statuses = Object.entries(summary.byStatus).map(([s, n]) => `${n} x ${s}`).join(', ');
  say(`  sent ${summary.sent} requests in ${summary.ms} ms: ${statuses}${summary.failed ? `, ${summary.failed} failed` : ''}`);
  say('');
  say('mirror copies (target, outcome, count):');
  for (const line of await mirrorSummary(app)) say(line);
  say('');
  say('shadow test of v2 against v1 (secondary v1 tells noise from regressions):');
  for (const line of shadowSummary(app)) say(line);
  say('');
  say('where to look:');
  say(`  dashboard    ${admin}/`);
  say(`  proxy        ${proxy}/api/users/7`);
  say(`  health       ${admin}/healthz`);
  say(`  metrics      ${admin}/metrics`);
  say(`  targets      ${admin}/api/v1/targets`);
  say(`  differences  ${admin}/api/v1/endpoints`);
  const stopAll = async () => {
    await app.close();
    await v1.close();
    await v1b.close();
    await v2.close();
  };
  if (opts.once) {
    await stopAll();
    return;
  }
  say('');
  say('serving until Ctrl-C');
  handleSignals({ logger: app.logger, reload: app.reload, close: stopAll });
}
