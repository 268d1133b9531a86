/**
 * Shadow testing wired together: the aggregator, the comparison queue and the per-route
 * stages, plus the admin API that serves the report.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { RequestExtension } from '../core/proxy.js';
import type { AdminServer } from '../admin/server.js';
import { sendJson } from '../admin/server.js';
import { ShadowAggregator, type ShadowAggregatorOptions } from '../report/aggregate.js';
import type { Metrics } from '../report/metrics.js';
import type { Redactor } from '../report/redact.js';
import type { ExtensionFactory } from '../routing/table.js';
import { withEndpointId } from '../admin/ids.js';
import { ShadowReporter } from './reporter.js';
import { threadComparerFor } from './comparer.js';
import { ShadowStage } from './stage.js';

export { ShadowStage } from './stage.js';
export { ShadowReporter, type ShadowJob } from './reporter.js';

/** Methods that change state on the server. */
const SIDE_EFFECT_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The shadow parts of one doppel instance. */
export interface ShadowRuntime {
  aggregator: ShadowAggregator;
  reporter: ShadowReporter;
  extension: ExtensionFactory<RequestExtension>;
  /** Mounts `GET /api/v1/endpoints` (each row with its `id`). */
  mount(admin: AdminServer): void;
}

/** Logs a warning for each route that shadows side-effect methods. */
export function warnSideEffects(config: ResolvedConfig, logger: Logger): void {
  for (const r of config.routes) {
    const risky = r.shadow?.methods.filter((m) => SIDE_EFFECT_METHODS.has(m)) ?? [];
    if (risky.length > 0) logger.warn({ route: r.name, methods: risky }, 'shadowing side-effect methods: candidates will receive writes');
  }
}

/**
 * Creates the shadow runtime.
 *
 * @example
 * ```ts
 * const shadow = createShadow({ metrics, logger });
 * const proxy = new DoppelProxy(config, { metrics, extension: shadow.extension });
 * ```
 */
export function createShadow(options: {
  metrics: Metrics;
  logger: Logger;
  aggregator?: ShadowAggregatorOptions;
  maxQueue?: number;
  /** Redaction of what samples keep (default: the built-in headers). */
  redactor?: Redactor;
  /** Longest body kept with a sample, in characters (default 64 KiB). */
  sampleBodyCap?: number;
  /**
   * Compare in a worker thread at the lowest CPU priority, off the proxy's event loop
   * (default: when this process may run on more than one CPU). Otherwise comparisons run
   * on the event loop in slices of a few milliseconds between I/O turns.
   */
  compareInThread?: boolean;
}): ShadowRuntime {
  const aggregator = new ShadowAggregator({
    ...options.aggregator,
    thresholds: options.aggregator?.thresholds,
  });
  const reporter = new ShadowReporter({
    aggregator, metrics: options.metrics, logger: options.logger, maxQueue: options.maxQueue, redactor: options.redactor, sampleBodyCap: options.sampleBodyCap,
    comparer: threadComparerFor(options.compareInThread, options.logger) ?? undefined,
  });
  return {
    aggregator,
    reporter,
    extension: (route, pools) => (route.shadow && route.shadow.candidates.length > 0 ? new ShadowStage(route, route.shadow, pools, reporter) : null),
    mount(admin) {
      admin.route('GET', '/api/v1/endpoints', (_req, res) => sendJson(res, 200, aggregator.endpoints().map(withEndpointId)));
    },
  };
}
