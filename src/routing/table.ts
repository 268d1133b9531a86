/**
 * The route table: the configuration compiled into what the request path needs (route
 * predicates, primary pool and path builder, mirror targets with bound metrics). A new
 * table is built on every reload; mirror targets whose spec did not change are carried
 * over so their in-flight counts and circuit state survive.
 */
import type { Dispatcher } from 'undici';
import type { MirrorTargetSpec, ResolvedConfig, RouteSpec } from '../config/types.js';
import { MirrorTarget, type MirrorHooks } from '../mirror/target.js';
import { compileRewrite } from '../mirror/copy.js';
import { PoolSet, poolKey } from '../primary/pools.js';
import type { Metrics, RouteMetrics } from '../report/metrics.js';
import { compileMatch, type MatchInput, type RoutePredicate } from './match.js';

/** Extra work a route may do per request (shadow testing plugs in here). */
export interface RouteExtension {
  /** Pool and timeout keys this extension uses, so reloads keep them open. */
  readonly poolKeys: string[];
}

/** A compiled route. */
export interface RuntimeRoute {
  readonly spec: RouteSpec;
  readonly name: string;
  readonly matches: RoutePredicate;
  readonly primaryOrigin: string;
  readonly primaryPath: (path: string) => string;
  readonly primary: Dispatcher;
  readonly metrics: RouteMetrics;
  readonly targets: MirrorTarget[];
}

/** Builds the extension of a route (e.g. its shadow stage), or null. */
export type ExtensionFactory<E> = (route: RouteSpec, pools: PoolSet) => E | null;

/** A compiled configuration. */
export class RouteTable<E = unknown> {
  readonly routes: (RuntimeRoute & { extension: E | null })[];

  constructor(
    readonly config: ResolvedConfig,
    pools: PoolSet,
    metrics: Metrics,
    hooks: MirrorHooks,
    previous: RouteTable<E> | null,
    extension?: ExtensionFactory<E>,
  ) {
    const old = new Map<string, MirrorTarget>();
    for (const r of previous?.routes ?? []) for (const t of r.targets) old.set(targetKey(r.name, t.spec), t);
    this.routes = config.routes.map((spec) => {
      const url = new URL(spec.primary);
      const targets = spec.mirrors.map((m) => {
        const key = targetKey(spec.name, m);
        return old.get(key) ?? new MirrorTarget(m, pools.copies(new URL(m.url).origin, m.pipelining), metrics.target(spec.name, m.name), hooks);
      });
      return {
        spec,
        name: spec.name,
        matches: compileMatch(spec.match),
        primaryOrigin: url.origin,
        primaryPath: compileRewrite({}, url.pathname),
        primary: pools.primary(url.origin),
        metrics: metrics.route(spec.name),
        targets,
        extension: extension ? extension(spec, pools) : null,
      };
    });
  }

  /** First route whose predicate holds, or undefined. */
  match(input: MatchInput): (RuntimeRoute & { extension: E | null }) | undefined {
    for (const r of this.routes) if (r.matches(input)) return r;
    return undefined;
  }

  /** Pool keys in use by this table. */
  poolKeys(): Set<string> {
    const keys = new Set<string>();
    for (const r of this.routes) {
      keys.add(poolKey(r.primaryOrigin, 'primary'));
      for (const t of r.targets) keys.add(poolKey(new URL(t.spec.url).origin, 'copy', t.spec.pipelining));
      const ext = r.extension as Partial<RouteExtension> | null;
      for (const k of ext?.poolKeys ?? []) keys.add(k);
    }
    return keys;
  }

  /** Every mirror target, for health reports. */
  allTargets(): { route: string; target: MirrorTarget }[] {
    return this.routes.flatMap((r) => r.targets.map((target) => ({ route: r.name, target })));
  }
}

function targetKey(route: string, spec: MirrorTargetSpec): string {
  return `${route}\u0000${JSON.stringify(spec)}`;
}
