/** Builders of resolved configurations for tests, with the documented defaults. */
import type { MirrorTargetSpec, ResolvedConfig, RouteSpec } from '../../src/config/types.js';

export function target(url: string, over: Partial<MirrorTargetSpec> = {}): MirrorTargetSpec {
  return {
    name: over.name ?? new URL(url).host,
    url,
    sample: { percent: 100, mode: 'counter' },
    timeout: 5_000,
    maxBodySize: 1024 * 1024,
    maxInFlight: 256,
    copyBody: true,
    headers: { set: {}, remove: [] },
    rewrite: {},
    host: 'target',
    breaker: { failures: 5, cooldown: 10_000 },
    ...over,
  };
}

export function route(primary: string, mirrors: MirrorTargetSpec[] = [], over: Partial<RouteSpec> = {}): RouteSpec {
  return { name: 'default', match: {}, primary, mirrors, ...over };
}

export function config(routes: RouteSpec[], over: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    workers: 1,
    log: { level: 'silent' },
    timeouts: { connect: 2_000, primary: 5_000, idle: 5_000, clientHeaders: 10_000, shutdownGrace: 2_000, mirrorGrace: 500 },
    routes,
    ...over,
  };
}
