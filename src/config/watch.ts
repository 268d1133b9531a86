/**
 * Reload on change: watch a configuration file and call back once the writes settle.
 */
import { watch } from 'node:fs';

/** How long a file must stay quiet before a change is acted on (editors write in steps). */
export const WATCH_SETTLE_MS = 150;

/** A running file watch. */
export interface ConfigWatch {
  /** Stop watching; a change still settling is dropped. */
  close(): void;
}

/**
 * Call `onChange` after `file` changes and then stays quiet for {@link WATCH_SETTLE_MS}.
 * When the file cannot be watched (some network and container file systems), logs a
 * warning that points to SIGHUP and returns null.
 *
 * @example
 * ```ts
 * const w = watchConfigFile('doppel.yaml', () => instance.reload(), logger);
 * // ... on shutdown
 * w?.close();
 * ```
 */
export function watchConfigFile(
  file: string,
  onChange: () => void,
  logger: { warn(obj: object, msg: string): void },
): ConfigWatch | null {
  let timer: NodeJS.Timeout | null = null;
  try {
    const watcher = watch(file, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        onChange();
      }, WATCH_SETTLE_MS);
    });
    watcher.on('error', () => {});
    return {
      close() {
        if (timer) clearTimeout(timer);
        timer = null;
        watcher.close();
      },
    };
  } catch {
    logger.warn({ file }, 'cannot watch the configuration file; reload with SIGHUP');
    return null;
  }
}
