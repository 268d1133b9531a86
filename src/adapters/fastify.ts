/**
 * `doppel/fastify`: request mirroring and shadow testing as Fastify 5 plugins.
 *
 * The plugins add hooks to the context they are registered in (like plugins wrapped with
 * fastify-plugin, without the dependency): registered at the root they cover every route;
 * registered inside an encapsulated plugin, only that plugin's routes; registered with
 * `{ prefix: '/api' }`, only routes under that prefix. `encapsulate: true` asks for a
 * plain encapsulated plugin instead (its hooks then cover only routes registered inside it).
 *
 * Hooks: `onRequest` admits the copies and observes the raw request stream, which
 * Fastify's own body parsing reads unchanged (no payload substitution in `preParsing`,
 * so Content-Length checks and body limits behave as without doppel); `onSend` holds the
 * reply for `async: false`; shadow capture watches the raw response.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { createMirror, type MirrorEngine, type MirrorOptions, type MirrorTargetInput, type MirrorTicket } from '../middleware/core.js';
import { mirrorNodeRequest, shadowNodeRequest } from '../middleware/node.js';
import { createShadowEngine, type ShadowEngine, type ShadowOptions } from '../middleware/shadow.js';
import { Metrics } from '../report/metrics.js';
import type { EndpointReport } from '../report/aggregate-types.js';

export { percentage, createMirror } from '../middleware/core.js';
export type { MirrorEngine, MirrorOptions, MirrorTargetInput, MirrorTargetOptions, MirrorResponse } from '../middleware/core.js';
export type { ShadowEngine, ShadowOptions, ShadowDiff, ShadowBackendOptions } from '../middleware/shadow.js';

/** Options given to `app.register(plugin, options)`. */
export interface DoppelPluginOptions {
  /** Only routes under this path prefix are covered. */
  prefix?: string;
}

/** Extra options of the plugin factories. */
export interface FastifyPluginExtras {
  /** Do not mark the plugin to skip encapsulation (default false). */
  encapsulate?: boolean;
}

/** A doppel Fastify plugin with its engine. */
export type DoppelPlugin<E> = FastifyPluginCallback<DoppelPluginOptions> & { readonly engine: E; close(): Promise<void> };

/** True when the request belongs under `prefix` (by route pattern, or by path for unrouted requests). */
function underPrefix(request: FastifyRequest, prefix: string): boolean {
  if (prefix === '' || prefix === '/') return true;
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const url = request.routeOptions?.url ?? request.url.split('?')[0];
  return url === p || url.startsWith(`${p}/`);
}

function makePlugin<E extends { close(force?: boolean): Promise<void> }>(
  engine: E,
  encapsulate: boolean,
  setup: (instance: FastifyInstance, covered: (request: FastifyRequest) => boolean) => void,
): DoppelPlugin<E> {
  const plugin: FastifyPluginCallback<DoppelPluginOptions> = (instance, opts, done) => {
    // With skip-override Fastify hands `prefix` over as an option; it is relative to the
    // context the plugin is registered in, like a route prefix.
    const prefix = encapsulate || !opts?.prefix ? '' : `${instance.prefix}${opts.prefix}`;
    setup(instance, (request) => underPrefix(request, prefix));
    instance.addHook('onClose', (_i, d) => void engine.close().then(() => d(), () => d()));
    done();
  };
  if (!encapsulate) (plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
  (plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'doppel';
  return Object.assign(plugin, { engine, close: () => engine.close() });
}

/** True when the arguments are one options object asking for `encapsulate`. */
function wantsEncapsulation(args: readonly unknown[]): boolean {
  const first = args[0] as FastifyPluginExtras | string | undefined;
  return args.length === 1 && typeof first === 'object' && first !== null && first.encapsulate === true;
}

/**
 * Mirror plugin for Fastify 5.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { mirror } from 'doppel/fastify';
 * const app = Fastify();
 * await app.register(mirror('https://staging.example.com'), { prefix: '/api' });
 * app.post('/api/orders', async (req) => ({ received: req.body }));
 * ```
 */
export function mirror(...args: [MirrorOptions & FastifyPluginExtras] | MirrorTargetInput[]): DoppelPlugin<MirrorEngine> {
  const encapsulate = wantsEncapsulation(args);
  const engine = createMirror(...(args as [MirrorOptions]));
  const tickets = new WeakMap<FastifyRequest, MirrorTicket>();
  return makePlugin(engine, encapsulate, (instance, covered) => {
    instance.addHook('onRequest', (request, reply, done) => {
      try {
        if (covered(request)) {
          const ticket = mirrorNodeRequest(engine, request.raw, reply.raw, false);
          if (ticket !== null && !engine.async) tickets.set(request, ticket);
        }
      } catch {
        // Mirroring never breaks the app's request.
      }
      done();
    });
    if (!engine.async) {
      instance.addHook('onSend', async (request, _reply, payload) => {
        const ticket = tickets.get(request);
        if (ticket !== undefined) await ticket.done;
        return payload;
      });
    }
  });
}

/**
 * Shadow-testing plugin for Fastify 5; `.report()` returns the per-endpoint report.
 *
 * @example
 * ```ts
 * import { shadow } from 'doppel/fastify';
 * const tester = shadow({ candidate: 'http://127.0.0.1:4000', onDiff: (d) => app.log.warn(d, 'candidate differs') });
 * await app.register(tester, { prefix: '/api' });
 * app.get('/shadow-report', async () => tester.report());
 * ```
 */
export function shadow(options: ShadowOptions & FastifyPluginExtras): DoppelPlugin<ShadowEngine> & { report(): EndpointReport[]; idle(): Promise<void> } {
  const engine = createShadowEngine(options);
  const plugin = makePlugin(engine, options.encapsulate === true, (instance, covered) => {
    instance.addHook('onRequest', (request, reply, done) => {
      try {
        if (covered(request)) shadowNodeRequest(engine, request.raw, reply.raw);
      } catch {
        // Shadowing never breaks the app's request.
      }
      done();
    });
  });
  return Object.assign(plugin, { report: () => engine.report(), idle: () => engine.idle() });
}

/**
 * A Fastify route handler serving a prom-client registry (or a doppel {@link Metrics}).
 *
 * @example
 * ```ts
 * const register = new Registry();
 * await app.register(mirror({ targets: ['http://127.0.0.1:3001'], register }));
 * app.get('/metrics', metricsHandler(register));
 * ```
 */
export function metricsHandler(registry: Registry | Metrics): (request: FastifyRequest, reply: FastifyReply) => Promise<string> {
  const reg = registry instanceof Metrics ? registry.registry : registry;
  return async (_request, reply) => {
    const text = await reg.metrics();
    void reply.type(reg.contentType);
    return text;
  };
}
