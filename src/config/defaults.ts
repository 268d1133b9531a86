/**
 * Default values of the configuration. Every function returns a fresh object, so callers
 * may change what they get.
 */
import { defaultCompareRules } from '../compare/defaults.js';
import type { HostPort, MirrorTargetSpec, SampleSpec, ShadowSpec, TimeoutSpec } from './types.js';

/** One mebibyte, the default of every body size limit. */
export const MIB = 1024 * 1024;

/** `127.0.0.1:8080`. */
export const defaultListen = (): HostPort => ({ host: '127.0.0.1', port: 8080 });

/** `127.0.0.1:9090`. */
export const defaultAdminListen = (): HostPort => ({ host: '127.0.0.1', port: 9090 });

/** Proxy timeouts, in ms. */
export const defaultTimeouts = (): TimeoutSpec => ({
  connect: 5000,
  primary: 30_000,
  idle: 30_000,
  clientHeaders: 60_000,
  shutdownGrace: 10_000,
  mirrorGrace: 2000,
});

/** Every request, with deterministic counter sampling. */
export const defaultSample = (): SampleSpec => ({ percent: 100, mode: 'counter' });

/** Largest `pipelining` of a mirror target or a shadow section (requests per connection). */
export const MAX_PIPELINING = 64;

/** Defaults of a mirror target (everything except `name` and `url`). */
export const defaultMirrorOptions = (): Omit<MirrorTargetSpec, 'name' | 'url'> => ({
  sample: defaultSample(),
  timeout: 5000,
  maxBodySize: MIB,
  maxInFlight: 256,
  pipelining: 1,
  copyBody: true,
  headers: { set: {}, remove: [] },
  rewrite: {},
  host: 'original',
  breaker: { failures: 5, cooldown: 10_000 },
});

/** Default comparison rules come from the comparison engine. */
export { defaultCompareRules } from '../compare/defaults.js';

/** Defaults of a shadow section (everything except the backends). */
export const defaultShadowOptions = (): Omit<ShadowSpec, 'candidates' | 'secondary'> => ({
  sample: defaultSample(),
  methods: ['GET', 'HEAD', 'OPTIONS'],
  timeout: 5000,
  maxInFlight: 256,
  pipelining: 1,
  maxBodySize: MIB,
  compare: defaultCompareRules(),
  noise: { relative: 0.2, absolute: 0.0003 },
});
