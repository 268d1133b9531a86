/**
 * The shadow stage of a route: for a sampled request it sends the same request to each
 * candidate (and the secondary), keeps a bounded copy of the primary's answer as it
 * streams to the client, and hands the set to the {@link ShadowReporter} once all have
 * answered. Nothing here can delay or alter the client's response.
 */
import type { RouteSpec, ShadowBackendSpec, ShadowSpec } from '../config/types.js';
import type { Exchange, ExtensionTicket, RequestExtension } from '../core/proxy.js';
import { rawHeader } from '../core/headers.js';
import { CopyBody, type BodySink } from '../mirror/body.js';
import { compileCopy, type CopyBuilder } from '../mirror/copy.js';
import { createSampler, type Sampler } from '../mirror/sampler.js';
import { PoolSet, poolKey } from '../primary/pools.js';
import type { CopyDispatcher } from '../mirror/copy-client.js';
import { sendAndCapture, type BackendResult } from './backend.js';
import { ResponseCapture } from './capture.js';
import type { ShadowReporter } from './reporter.js';

interface Backend {
  name: string;
  build: CopyBuilder;
  pool: CopyDispatcher;
  origin: string;
}

function backend(spec: ShadowBackendSpec, pools: PoolSet, pipelining: number): Backend {
  const origin = new URL(spec.url).origin;
  return { name: spec.name, build: compileCopy({ ...spec, copyBody: true, pipelining }), pool: pools.copies(origin, pipelining), origin };
}

/** Feeds one request body to several copy bodies. */
function multiSink(bodies: CopyBody[]): BodySink {
  return {
    offer: (chunk) => {
      for (const b of bodies) b.offer(chunk);
    },
    finish: () => {
      for (const b of bodies) b.finish();
    },
    abort: () => {
      for (const b of bodies) b.abort();
    },
  };
}

/**
 * Shadow testing for one route.
 *
 * @example
 * ```ts
 * const stage = new ShadowStage(routeSpec, routeSpec.shadow!, pools, reporter);
 * const ticket = stage.begin(exchange); // null when the request is not shadowed
 * ```
 */
export class ShadowStage implements RequestExtension {
  readonly poolKeys: string[];
  private readonly candidates: Backend[];
  private readonly secondary: Backend | null;
  private readonly methods: Set<string>;
  private readonly sampler: Sampler;
  private inflight = 0;

  constructor(
    private readonly route: RouteSpec,
    private readonly spec: ShadowSpec,
    pools: PoolSet,
    private readonly reporter: ShadowReporter,
  ) {
    this.candidates = spec.candidates.map((c) => backend(c, pools, spec.pipelining));
    this.secondary = spec.secondary ? backend(spec.secondary, pools, spec.pipelining) : null;
    this.methods = new Set(spec.methods);
    this.sampler = createSampler(spec.sample);
    this.poolKeys = [...this.candidates, ...(this.secondary ? [this.secondary] : [])].map((b) => poolKey(b.origin, 'copy', spec.pipelining));
  }

  /** Shadowed requests under way. */
  get inFlight(): number {
    return this.inflight;
  }

  begin(ex: Exchange): ExtensionTicket | null {
    if (!this.methods.has(ex.method)) return null;
    const q = ex.url.indexOf('?');
    const header = (n: string) => rawHeader(ex.rawHeaders, n);
    if (!this.sampler({ header, query: q === -1 ? '' : ex.url.slice(q + 1), clientIp: ex.clientIp })) return null;
    const names = this.candidates.map((c) => c.name);
    const refusal = this.inflight >= this.spec.maxInFlight ? 'max_in_flight' : ex.bodyLength > this.spec.maxBodySize ? 'body_size' : this.reporter.full ? 'queue_full' : null;
    if (refusal !== null) {
      this.reporter.skip(this.route, ex, names, refusal);
      return null;
    }
    this.inflight++;
    const all = this.secondary ? [...this.candidates, this.secondary] : this.candidates;
    const bodies = all.map(() => (ex.bodyLength !== 0 ? new CopyBody(this.spec.maxBodySize, this.spec.maxBodySize) : null));
    const pending: Promise<BackendResult>[] = all.map((b, i) => sendAndCapture(b.pool, b.build, ex.copy, bodies[i], this.spec.timeout, this.spec.compare.maxCompareSize));
    const primary = new ResponseCapture(this.spec.compare.maxCompareSize);
    const at = Date.now();
    return {
      sink: ex.bodyLength !== 0 ? multiSink(bodies as CopyBody[]) : null,
      tap: {
        start: (status, raw) => primary.start(status, raw),
        data: (chunk) => primary.data(chunk),
        end: () => {},
        error: () => {},
      },
      done: (result) => {
        void Promise.all(pending).then((results) => {
          this.inflight--;
          const primaryResult: BackendResult = result.error
            ? { ok: false, error: result.error, ttfb: result.ttfb, total: result.duration }
            : { ok: true, response: primary.end(), ttfb: result.ttfb, total: result.duration };
          this.reporter.submit({
            route: this.route,
            method: ex.method,
            url: ex.url,
            at,
            primary: primaryResult,
            candidates: this.candidates.map((c, i) => ({ name: c.name, result: results[i] })),
            secondary: this.secondary ? results[results.length - 1] : null,
            headers: ex.rawHeaders,
          });
        });
      },
    };
  }
}
