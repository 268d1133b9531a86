/**
 * The admin JSON API of the shadow report (under `/api/v1`, documented in docs/api.md):
 * overview, fields of an endpoint, samples of a field, one sample with both responses,
 * latency, marks, and the actions to mark a field and to clear the results.
 * `GET /api/v1/endpoints` itself is mounted by the shadow runtime.
 */
import type { IncomingMessage } from 'node:http';
import type { DoppelProxy } from '../core/proxy.js';
import { DoppelError } from '../core/errors.js';
import type { EndpointReport, FieldMark } from '../report/aggregate-types.js';
import { MIRROR_OUTCOMES, type MirrorOutcome } from '../report/metrics.js';
import { ratios } from '../report/noise.js';
import type { ShadowRuntime } from '../shadow/index.js';
import { decodeEndpointId, encodeEndpointId } from './ids.js';
import { sendJson, type AdminServer } from './server.js';

/** Largest request body the API reads. */
const MAX_BODY = 64 * 1024;

/** Outcomes counted as dropped before (or while) sending a copy. */
const DROPPED: readonly MirrorOutcome[] = ['dropped_inflight', 'dropped_body_size', 'dropped_rate', 'circuit_open', 'dropped_slow'];

const notFound = (what: string) => new DoppelError('DOPPEL_ERR_ADMIN_NOT_FOUND', what);
const badRequest = (what: string) => new DoppelError('DOPPEL_ERR_ADMIN_BAD_REQUEST', what);

/** Reads a JSON object body (empty body: `{}`). */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw badRequest(`request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('request body must be a JSON object');
  return value as Record<string, unknown>;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest(`bad percent-encoding in "${s}"`);
  }
}

/** The counters of a report row, without fields and latency. */
function summary(row: EndpointReport) {
  const { fields: _f, latency: _l, ...counts } = row;
  return { id: encodeEndpointId(row), ...counts };
}

function fieldSummary(row: EndpointReport, f: EndpointReport['fields'][number]) {
  const r = ratios({ raw: f.differences, noise: f.noise, requests: row.compared });
  return {
    key: `${f.path}|${f.kind}`, path: f.path, kind: f.kind, differences: f.differences, noise: f.noise, verdict: f.verdict,
    mark: f.mark ?? null, samples: f.samples.length, relative: r.relative, absolute: r.absolute,
  };
}

async function mirrorCounts(proxy: DoppelProxy): Promise<Map<string, Record<MirrorOutcome, number>>> {
  const out = new Map<string, Record<MirrorOutcome, number>>();
  for (const v of (await proxy.metrics.mirrorRequests.get()).values) {
    const key = `${v.labels.route}\u0000${v.labels.target}`;
    let c = out.get(key);
    if (!c) out.set(key, (c = Object.fromEntries(MIRROR_OUTCOMES.map((o) => [o, 0])) as Record<MirrorOutcome, number>));
    const o = v.labels.outcome as MirrorOutcome;
    if (o in c) c[o] += v.value;
  }
  return out;
}

/**
 * Mounts the shadow-report API.
 *
 * @example
 * ```ts
 * mountApi(admin, { proxy, shadow });
 * ```
 */
export function mountApi(admin: AdminServer, ctx: { proxy: DoppelProxy; shadow: ShadowRuntime }): void {
  const started = Date.now();
  const { proxy, shadow } = ctx;
  const aggregator = shadow.aggregator;
  const find = (id: string): EndpointReport => {
    const ep = decodeEndpointId(id);
    if (!ep) throw badRequest(`invalid endpoint id "${id}"`);
    const row = aggregator.endpoints().find((r) => r.route === ep.route && r.candidate === ep.candidate && r.endpoint === ep.endpoint);
    if (!row) throw notFound(`no endpoint ${JSON.stringify(ep.endpoint)} of route ${JSON.stringify(ep.route)} and candidate ${JSON.stringify(ep.candidate)}`);
    return row;
  };

  admin.route('GET', '/api/v1/overview', async (_req, res) => {
    const rows = aggregator.endpoints();
    const sum = (k: 'compared' | 'regressions' | 'matches' | 'errors' | 'skipped') => rows.reduce((n, r) => n + r[k], 0);
    const requests = (await proxy.metrics.requests.get()).values.reduce((n, v) => n + v.value, 0);
    const counts = await mirrorCounts(proxy);
    let mirrored = 0;
    const targets = proxy.routes.allTargets().map(({ route, target }) => {
      const c = counts.get(`${route}\u0000${target.name}`) ?? (Object.fromEntries(MIRROR_OUTCOMES.map((o) => [o, 0])) as Record<MirrorOutcome, number>);
      mirrored += c.ok + c.error + c.timeout + c.aborted + c.dropped_slow;
      return {
        route, target: target.name, ok: c.ok, error: c.error + c.aborted, timeout: c.timeout,
        dropped: DROPPED.reduce((n, o) => n + c[o], 0), circuit: target.breaker.state,
      };
    });
    const candidates = new Set<string>();
    for (const r of proxy.config.routes) for (const c of r.shadow?.candidates ?? []) candidates.add(c.name);
    for (const r of rows) candidates.add(r.candidate);
    const compared = sum('compared');
    sendJson(res, 200, {
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      requests, mirrored, compared, regressions: sum('regressions'), noise: compared - sum('matches') - sum('regressions'),
      matches: sum('matches'), errors: sum('errors'), skipped: sum('skipped'), targets, candidates: [...candidates].sort(),
    });
  });

  admin.routePrefix('GET', '/api/v1/endpoints/', (_req, res, url) => {
    const parts = url.pathname.slice('/api/v1/endpoints/'.length).split('/');
    const row = find(decodeSegment(parts[0]));
    if (parts.length === 2 && parts[1] === 'fields') {
      return sendJson(res, 200, { endpoint: summary(row), fields: row.fields.map((f) => fieldSummary(row, f)) });
    }
    if (parts.length === 4 && parts[1] === 'fields' && parts[3] === 'samples') {
      const key = decodeSegment(parts[2]);
      const f = row.fields.find((x) => `${x.path}|${x.kind}` === key);
      if (!f) throw notFound(`endpoint ${JSON.stringify(row.endpoint)} has no field ${JSON.stringify(key)}`);
      return sendJson(res, 200, { endpoint: summary(row), field: fieldSummary(row, f), samples: f.samples });
    }
    throw notFound(`no admin resource GET ${url.pathname}`);
  });

  admin.routePrefix('GET', '/api/v1/samples/', async (_req, res, url) => {
    const id = decodeSegment(url.pathname.slice('/api/v1/samples/'.length));
    const x = id && !id.includes('/') ? await aggregator.store.getExchange(id) : undefined;
    if (!x) throw notFound(`no sample ${JSON.stringify(id)} (unknown, or no longer kept)`);
    sendJson(res, 200, {
      id: x.id, at: x.at, endpointId: encodeEndpointId(x.source), route: x.source.route, endpoint: x.source.endpoint, candidateName: x.source.candidate,
      request: x.request, primary: x.primary, candidate: x.candidate, differences: x.differences,
    });
  });

  admin.route('GET', '/api/v1/latency', (_req, res) =>
    sendJson(res, 200, aggregator.endpoints().map((r) => ({ id: encodeEndpointId(r), route: r.route, candidate: r.candidate, endpoint: r.endpoint, latency: r.latency }))),
  );

  admin.route('GET', '/api/v1/marks', (_req, res) =>
    sendJson(res, 200, aggregator.store.marks().map((m) => ({ endpointId: encodeEndpointId(m), route: m.route, candidate: m.candidate, endpoint: m.endpoint, field: m.field, mark: m.mark, at: m.at }))),
  );

  admin.route('POST', '/api/v1/fields/mark', async (req, res) => {
    const body = await readJsonBody(req);
    const { endpointId, field, mark } = body;
    if (typeof endpointId !== 'string') throw badRequest('endpointId must be a string');
    const ep = decodeEndpointId(endpointId);
    if (!ep) throw badRequest(`invalid endpoint id "${endpointId}"`);
    if (typeof field !== 'string' || !/.\|[a-z_]+$/.test(field)) throw badRequest('field must be a field key "path|kind"');
    if (mark !== 'noise' && mark !== 'ignored' && mark !== 'none') throw badRequest('mark must be "noise", "ignored" or "none"');
    aggregator.store.setMark(ep, field, mark === 'none' ? null : (mark as FieldMark));
    sendJson(res, 200, { endpointId, field, mark });
  });

  admin.route('POST', '/api/v1/clear', async (req, res) => {
    const body = await readJsonBody(req);
    if (body.marks !== undefined && typeof body.marks !== 'boolean') throw badRequest('marks must be a boolean');
    aggregator.reset();
    if (body.marks === true) aggregator.store.clearMarks();
    sendJson(res, 200, { cleared: true, marks: body.marks === true });
  });
}
