/**
 * doppel's configuration: the YAML file format, command-line quick mode and overrides.
 * Everything produces a {@link ResolvedConfig} with all defaults applied. The file format
 * is described in `docs/configuration.md`.
 */
import { applyOverrides as applyOverridesImpl, fromFlags as fromFlagsImpl, type FlagOptions } from './flags.js';
import { loadConfigFile as loadConfigFileImpl, parseConfig as parseConfigImpl, type Env, type LoadOptions } from './load.js';
import type { ResolvedConfig } from './types.js';

export type * from './types.js';
export type { FlagOptions } from './flags.js';
export type { Env, LoadOptions } from './load.js';
export { ConfigError, formatProblem, type ConfigProblem } from './problems.js';
export { configKeys } from './schema.js';
export { QUICK_ROUTE_NAME } from './flags.js';

/**
 * Reads a YAML configuration file, interpolates `${ENV}` references, validates it and
 * returns the resolved configuration (`file` set to its absolute path). `overrides`
 * applies command-line flags on top (see {@link applyOverrides}).
 *
 * Throws a {@link ConfigError}: `DOPPEL_ERR_CONFIG_NOT_FOUND` when the file cannot be
 * read, `DOPPEL_ERR_CONFIG_PARSE` for YAML syntax errors, `DOPPEL_ERR_CONFIG_ENV` for a
 * variable that is not set, `DOPPEL_ERR_CONFIG_INVALID` with every problem found
 * (`problems`, and one `file:line:col: message` line each in `message`).
 *
 * @example
 * ```ts
 * import { loadConfigFile } from 'doppel';
 * const config = loadConfigFile('doppel.yaml', { env: process.env, overrides: { logLevel: 'debug' } });
 * console.log(config.routes.map((r) => r.name));
 * ```
 */
export function loadConfigFile(file: string, options?: LoadOptions): ResolvedConfig {
  return loadConfigFileImpl(file, options);
}

/**
 * Like {@link loadConfigFile} for configuration text; `file` only names the source in
 * messages, and a relative `store` path is kept as written.
 *
 * @example
 * ```ts
 * const config = parseConfig('routes:\n  - primary: http://127.0.0.1:3000\n', 'inline.yaml', {});
 * config.routes[0].name; // 'route-0'
 * ```
 */
export function parseConfig(text: string, file?: string, env?: Env): ResolvedConfig {
  return parseConfigImpl(text, file, env);
}

/**
 * Quick mode: a configuration from command-line flags alone, with one catch-all route
 * named `default`. Mirrors are `url`, `url|10%` (sample 10% of requests) or `url|50`
 * (at most 50 copies per second). Throws a {@link ConfigError} `DOPPEL_ERR_USAGE`.
 *
 * @example
 * ```ts
 * const config = fromFlags({
 *   listen: ':8080',
 *   primary: 'http://127.0.0.1:3000',
 *   mirror: ['http://127.0.0.1:3001|10%', 'http://127.0.0.1:3002|50'],
 * });
 * ```
 */
export function fromFlags(flags: FlagOptions): ResolvedConfig {
  return fromFlagsImpl(flags);
}

/**
 * Returns a copy of `config` with command-line flags applied: `listen`, `admin`,
 * `adminToken`, `workers`, `logLevel` and `store` replace those settings; `primary`
 * replaces every route's primary, `mirror` every route's mirrors, `candidate` every route's
 * candidates (adding shadow testing with defaults where there was none), and `secondary`
 * the secondary of every route with shadow testing. Throws a {@link ConfigError}
 * `DOPPEL_ERR_USAGE`.
 *
 * @example
 * ```ts
 * const config = applyOverrides(loadConfigFile('doppel.yaml'), { listen: '0.0.0.0:80', workers: 'auto' });
 * ```
 */
export function applyOverrides(config: ResolvedConfig, flags: FlagOptions): ResolvedConfig {
  return applyOverridesImpl(config, flags);
}
