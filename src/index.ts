/**
 * `doppel`: HTTP request mirroring and shadow testing. The proxy (`startDoppel`,
 * `DoppelProxy`), the configuration loaders, the comparison engine, the report
 * aggregation, metrics, and the framework-agnostic mirror and shadow engines behind the
 * middleware adapters (`doppel/node`, `doppel/express`, `doppel/fastify`, `doppel/hono`).
 *
 * @example
 * ```ts
 * import { startDoppel, fromFlags } from 'doppel';
 * const app = await startDoppel(fromFlags({ listen: '127.0.0.1:8080', primary: 'http://127.0.0.1:3000', mirror: ['http://127.0.0.1:3001'] }));
 * ```
 */
export { startDoppel, type StartOptions, type DoppelInstance } from './app.js';
export { DoppelProxy, type ProxyOptions, type Exchange, type ExtensionTicket, type RequestExtension } from './core/proxy.js';
export { DoppelError, ERRORS, isDoppelError, type ErrorCode } from './core/errors.js';
export { createLogger, type Logger } from './core/logger.js';
export * from './config/index.js';
export { compareResponses, captureFromBuffer, mergeRules } from './compare/index.js';
export type { CapturedResponse, CompareResult, CompareRules, Difference, DifferenceKind, ArrayMode, PartialCompareRules } from './compare/index.js';
export { Metrics, MIRROR_OUTCOMES, type MirrorOutcome } from './report/metrics.js';
export { ShadowAggregator, MemoryAggregateStore, type ShadowAggregatorOptions, type AggregateStore } from './report/aggregate.js';
export type { EndpointReport, ShadowOutcome, RecordResult, RequestClass } from './report/aggregate-types.js';
export type { MirrorHooks, MirrorResponse } from './mirror/target.js';
export {
  createMirror,
  percentage,
  pumpToFeed,
  type MirrorEngine,
  type MirrorOptions,
  type MirrorTargetInput,
  type MirrorTargetOptions,
  type MirrorRequestInfo,
  type MirrorTicket,
  type BodyFeed,
} from './middleware/core.js';
export { createShadowEngine, type ShadowEngine, type ShadowOptions, type ShadowDiff, type ShadowTicket, type ShadowBackendOptions } from './middleware/shadow.js';
export { metricsFor, metricsHandler } from './middleware/metrics.js';
