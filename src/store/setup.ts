/**
 * The result store and redaction of a running instance, from its configuration: opens the
 * store when `store` names one and builds the options of the shadow runtime.
 */
import type { ResolvedConfig, StoreSettings } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { ShadowAggregatorOptions } from '../report/aggregate.js';
import { DEFAULT_SAMPLE_BODY_CAP } from '../report/exchange.js';
import { createRedactor, type Redactor } from '../report/redact.js';
import { openStore } from './index.js';
import type { PersistentStore } from './types.js';

/** What `startDoppel` needs for persistence. */
export interface ShadowPersistence {
  store: PersistentStore | null;
  redactor: Redactor;
  /** Options for `createShadow`. */
  shadowOptions: { aggregator: ShadowAggregatorOptions; redactor: Redactor; sampleBodyCap: number };
}

/** The documented defaults of the `store` settings. */
export function defaultStoreSettings(): StoreSettings {
  return { retention: { maxAge: 7 * 24 * 3600 * 1000, maxSamples: 5000 }, samplesPerField: 5, maxBodySize: DEFAULT_SAMPLE_BODY_CAP, redact: { headers: [], paths: [] } };
}

/**
 * Opens the configured store (none: results stay in memory) and compiles the redaction.
 *
 * @example
 * ```ts
 * const persist = await setupPersistence(config, logger);
 * const shadow = createShadow({ metrics, logger, ...persist.shadowOptions });
 * ```
 */
export async function setupPersistence(config: ResolvedConfig, logger: Logger): Promise<ShadowPersistence> {
  const s = config.storeOptions ?? defaultStoreSettings();
  const redactor = createRedactor(s.redact);
  let store: PersistentStore | null = null;
  if (config.store) {
    let failures = 0;
    store = await openStore(config.store, {
      retention: s.retention,
      onError: (err, what) => {
        if (failures++ % 100 === 0) logger.error({ code: 'DOPPEL_ERR_STORE', err: err.message, what, failures }, 'result store write failed; retrying with the next batch');
      },
    });
    logger.info({ store: store.location, kind: store.kind }, 'result store opened');
  }
  return {
    store,
    redactor,
    shadowOptions: {
      aggregator: { ...(store ? { store } : {}), redact: redactor.value, samplesPerField: s.samplesPerField },
      redactor,
      sampleBodyCap: s.maxBodySize,
    },
  };
}
