/**
 * The admin API of a cluster, served by the primary: health and readiness, Prometheus
 * metrics aggregated over the workers (prom-client's `AggregatorRegistry.aggregate` on
 * each worker's `getMetricsAsJSON()`), mirror target health and the shadow report merged
 * from the workers' aggregator snapshots, and the list of workers.
 */
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { AdminServer, sendJson } from '../admin/server.js';
import { ShadowAggregator } from '../report/aggregate.js';
import type { AggregateSnapshot } from '../report/aggregate-types.js';
import type { QueryKind } from './messages.js';

/** What the admin routes need of the supervisor. */
export interface ClusterView {
  readonly draining: boolean;
  routeCount(): number;
  workers(): { id: number; slot: number; pid: number | undefined; ready: boolean; startedAt: number; restarts: number }[];
  /** Asks every ready worker; resolves with the answers that came in time. */
  query(what: QueryKind): Promise<unknown[]>;
}

/** Metrics of the primary itself. */
export class ClusterMetrics {
  readonly registry = new Registry();
  readonly workers: Gauge;
  readonly restarts: Counter;
  constructor(prefix = 'doppel_') {
    const registers = [this.registry];
    this.workers = new Gauge({ name: `${prefix}cluster_workers`, help: 'Cluster workers ready to serve.', registers });
    this.restarts = new Counter({ name: `${prefix}cluster_worker_restarts_total`, help: 'Cluster workers that exited unexpectedly and were started again.', registers });
  }
}

type TargetRow = { route: string; target: string; url: string; inFlight: number; circuit: string };

/** Sums in-flight copies per target; the circuit shown is the least healthy worker's. */
export function mergeTargets(perWorker: TargetRow[][]): (TargetRow & { circuits: string[] })[] {
  const rank: Record<string, number> = { closed: 0, 'half-open': 1, open: 2 };
  const out = new Map<string, TargetRow & { circuits: string[] }>();
  for (const rows of perWorker) {
    for (const r of rows) {
      const key = `${r.route}\u0000${r.target}`;
      const m = out.get(key);
      if (m === undefined) out.set(key, { ...r, circuits: [r.circuit] });
      else {
        m.inFlight += r.inFlight;
        m.circuits.push(r.circuit);
        if ((rank[r.circuit] ?? 0) > (rank[m.circuit] ?? 0)) m.circuit = r.circuit;
      }
    }
  }
  return [...out.values()];
}

/** Merges the workers' shadow report snapshots into one aggregator. */
export function mergeSnapshots(snapshots: AggregateSnapshot[]): ShadowAggregator {
  const total = new ShadowAggregator();
  for (const s of snapshots) total.merge(s);
  return total;
}

/**
 * Builds the primary's admin server.
 *
 * @example
 * ```ts
 * const admin = createClusterAdmin(view, new ClusterMetrics(), token);
 * await admin.listen(config.admin.listen);
 * ```
 */
export function createClusterAdmin(view: ClusterView, own: ClusterMetrics, token: string | undefined): AdminServer {
  const admin = new AdminServer({ token });
  const started = Date.now();
  admin.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  admin.route('GET', '/readyz', (_req, res) => {
    const ready = view.workers().filter((w) => w.ready).length;
    if (view.draining) return sendJson(res, 503, { status: 'draining' });
    if (ready === 0) return sendJson(res, 503, { status: 'starting' });
    sendJson(res, 200, { status: 'ready', routes: view.routeCount(), workers: ready });
  });
  admin.route('GET', '/metrics', async (_req, res) => {
    const perWorker = (await view.query('metrics')) as Parameters<typeof AggregatorRegistry.aggregate>[0];
    own.workers.set(view.workers().filter((w) => w.ready).length);
    const aggregated = AggregatorRegistry.aggregate(perWorker);
    const text = await Registry.merge([aggregated as Registry, own.registry]).metrics();
    res.writeHead(200, { 'content-type': own.registry.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  admin.route('GET', '/api/v1/targets', async (_req, res) => {
    const perWorker = (await view.query('targets')) as TargetRow[][];
    sendJson(res, 200, { uptimeSeconds: Math.round((Date.now() - started) / 1000), workers: perWorker.length, targets: mergeTargets(perWorker) });
  });
  admin.route('GET', '/api/v1/endpoints', async (_req, res) => {
    const snapshots = (await view.query('endpoints')) as AggregateSnapshot[];
    sendJson(res, 200, mergeSnapshots(snapshots).endpoints());
  });
  admin.route('GET', '/api/v1/workers', (_req, res) => sendJson(res, 200, { workers: view.workers() }));
  return admin;
}
