/**
 * Structured logging with pino. Secrets are redacted by paths compiled once when the
 * logger is made; nothing on the request path formats a log line unless the level is on.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Header names whose values never reach a log line. */
export const SENSITIVE_HEADERS = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization'];

/**
 * Creates the process logger (JSON lines on stdout, or the given destination).
 *
 * @example
 * ```ts
 * const log = createLogger('info');
 * log.info({ listen: '127.0.0.1:8080' }, 'proxy listening');
 * ```
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const paths = SENSITIVE_HEADERS.flatMap((h) => [`headers.${h}`, `*.headers.${h}`, `req.headers.${h}`]);
  const options = { level, base: { pid: process.pid }, redact: { paths, censor: '[redacted]' } };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
