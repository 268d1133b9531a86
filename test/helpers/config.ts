/** Builders of resolved configurations for tests, with the documented defaults. */
import type { MirrorTargetSpec, ResolvedConfig, RouteSpec, ShadowBackendSpec, ShadowSpec } from '../../src/config/types.js';
import type { CompareRules } from '../../src/compare/types.js';
import { defaultCompareRules } from '../../src/compare/defaults.js';
import { defaultMirrorOptions } from '../../src/config/defaults.js';

export function target(url: string, over: Partial<MirrorTargetSpec> = {}): MirrorTargetSpec {
  return { name: new URL(url).host, url, ...defaultMirrorOptions(), ...over };
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

export function backendSpec(url: string, name = new URL(url).host): ShadowBackendSpec {
  return { name, url, headers: { set: {}, remove: [] }, rewrite: {}, host: 'target' };
}

export function shadowSpec(candidate: string, secondary?: string, over: Partial<ShadowSpec> = {}, compare: Partial<CompareRules> = {}): ShadowSpec {
  return {
    candidates: [backendSpec(candidate, 'candidate')],
    secondary: secondary ? backendSpec(secondary, 'secondary') : undefined,
    sample: { percent: 100, mode: 'counter' },
    methods: ['GET', 'HEAD', 'OPTIONS'],
    timeout: 5_000,
    maxInFlight: 256,
    pipelining: 1,
    maxBodySize: 1024 * 1024,
    compare: { ...defaultCompareRules(), ...compare },
    noise: { relative: 0.2, absolute: 0.0003 },
    ...over,
  };
}
