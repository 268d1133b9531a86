/**
 * Expected-value builders shared by the configuration tests: the built-in defaults of
 * mirror targets, shadow backends and shadow sections, written out.
 */
import type { CompareRules } from '../../src/compare/types.js';
import type { MirrorTargetSpec, ShadowBackendSpec, ShadowSpec } from '../../src/config/index.js';

export const NO_HEADERS = { set: {}, remove: [] };
export const TIMEOUTS = { connect: 5000, primary: 30000, idle: 30000, clientHeaders: 60000, shutdownGrace: 10000, mirrorGrace: 2000 };
export const COMPARE: CompareRules = {
  status: true,
  headers: { enabled: true, include: null, ignore: [] },
  body: true,
  jq: [],
  ignore: [],
  arrays: { mode: 'ordered' },
  arraysAt: [],
  numericTolerance: 0,
  maxCompareSize: 1048576,
};

/** A mirror target with every built-in default. */
export function mirror(name: string, url: string, extra: Partial<MirrorTargetSpec> = {}): MirrorTargetSpec {
  return {
    name,
    url,
    sample: { percent: 100, mode: 'counter' },
    timeout: 5000,
    maxBodySize: 1048576,
    maxInFlight: 256,
    pipelining: 1,
    copyBody: true,
    headers: { set: {}, remove: [] },
    rewrite: {},
    host: 'original',
    breaker: { failures: 5, cooldown: 10000 },
    ...extra,
  };
}

export function backend(name: string, url: string): ShadowBackendSpec {
  return { name, url, headers: { set: {}, remove: [] }, rewrite: {}, host: 'original' };
}

/** A shadow section with every default. */
export function shadow(candidates: ShadowBackendSpec[], extra: Partial<ShadowSpec> = {}): ShadowSpec {
  return {
    candidates,
    sample: { percent: 100, mode: 'counter' },
    methods: ['GET', 'HEAD', 'OPTIONS'],
    timeout: 5000,
    maxInFlight: 256,
    pipelining: 1,
    maxBodySize: 1048576,
    compare: COMPARE,
    noise: { relative: 0.2, absolute: 0.0003 },
    ...extra,
  };
}
