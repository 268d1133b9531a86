/**
 * The one registry of doppel's error codes. Every code is stable, documented in
 * `docs/errors.md` (a test keeps the two in step) and carried by {@link DoppelError}.
 *
 * @example
 * ```ts
 * import { DoppelError } from 'doppel';
 * try { await run(); } catch (err) {
 *   if (err instanceof DoppelError && err.code === 'DOPPEL_ERR_UPSTREAM_TIMEOUT') retry();
 * }
 * ```
 */
export const ERRORS = {
  DOPPEL_ERR_CONFIG_NOT_FOUND: { status: 0, message: 'configuration file not found' },
  DOPPEL_ERR_CONFIG_PARSE: { status: 0, message: 'configuration file is not valid YAML' },
  DOPPEL_ERR_CONFIG_INVALID: { status: 0, message: 'configuration is invalid' },
  DOPPEL_ERR_CONFIG_ENV: { status: 0, message: 'configuration names an environment variable that is not set' },
  DOPPEL_ERR_BAD_REQUEST: { status: 400, message: 'malformed request' },
  DOPPEL_ERR_REQUEST_TIMEOUT: { status: 408, message: 'client did not send the request in time' },
  DOPPEL_ERR_NO_ROUTE: { status: 404, message: 'no route matches the request' },
  DOPPEL_ERR_LOOP: { status: 508, message: 'request already passed through this proxy' },
  DOPPEL_ERR_SHUTTING_DOWN: { status: 503, message: 'proxy is shutting down' },
  DOPPEL_ERR_CLIENT_ABORTED: { status: 499, message: 'client closed the connection before the response was complete' },
  DOPPEL_ERR_UPSTREAM_CONNECT: { status: 502, message: 'could not connect to the upstream' },
  DOPPEL_ERR_UPSTREAM_RESET: { status: 502, message: 'upstream closed the connection' },
  DOPPEL_ERR_UPSTREAM_PROTOCOL: { status: 502, message: 'upstream sent an invalid response' },
  DOPPEL_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'upstream did not answer in time' },
  DOPPEL_ERR_UPSTREAM_BODY_TIMEOUT: { status: 504, message: 'upstream stopped sending the response body' },
  DOPPEL_ERR_MIRROR_CONNECT: { status: 0, message: 'could not connect to the mirror target' },
  DOPPEL_ERR_MIRROR_TIMEOUT: { status: 0, message: 'mirror target did not answer within its timeout' },
  DOPPEL_ERR_MIRROR_FAILED: { status: 0, message: 'mirror request failed' },
  DOPPEL_ERR_MIRROR_INFLIGHT: { status: 0, message: 'mirror target has maxInFlight requests under way; copy dropped' },
  DOPPEL_ERR_MIRROR_BODY_SIZE: { status: 0, message: 'request body is larger than the target maxBodySize; copy dropped' },
  DOPPEL_ERR_MIRROR_RATE: { status: 0, message: 'mirror target rate limit reached; copy dropped' },
  DOPPEL_ERR_MIRROR_CIRCUIT_OPEN: { status: 0, message: 'mirror target circuit is open after repeated failures; copy dropped' },
  DOPPEL_ERR_MIRROR_SLOW: { status: 0, message: 'mirror target fell too far behind the request body; copy cut off' },
  DOPPEL_ERR_MIRROR_SOURCE_ABORTED: { status: 0, message: 'client request body ended early; copy cut off' },
  DOPPEL_ERR_SHADOW_QUEUE_FULL: { status: 0, message: 'comparison queue is full; comparison skipped' },
  DOPPEL_ERR_COMPARE_JQ: { status: 0, message: 'jq expression failed' },
  DOPPEL_ERR_COMPARE_DECODE: { status: 0, message: 'response body could not be decoded' },
  DOPPEL_ERR_ADMIN_UNAUTHORIZED: { status: 401, message: 'admin API token missing or wrong' },
  DOPPEL_ERR_ADMIN_NOT_FOUND: { status: 404, message: 'no such admin resource' },
  DOPPEL_ERR_ADMIN_BAD_REQUEST: { status: 400, message: 'admin API request is invalid' },
  DOPPEL_ERR_STORE: { status: 0, message: 'result store failed' },
  DOPPEL_ERR_USAGE: { status: 0, message: 'command-line usage error' },
} as const satisfies Record<string, { status: number; message: string }>;

/** A stable doppel error code, e.g. `DOPPEL_ERR_UPSTREAM_TIMEOUT`. */
export type ErrorCode = keyof typeof ERRORS;

/**
 * An error with a stable {@link ErrorCode}. `status` is the HTTP status doppel answers
 * with when the error ends a client request (0 when it never does).
 *
 * @example
 * ```ts
 * throw new DoppelError('DOPPEL_ERR_NO_ROUTE', `no route for ${url}`);
 * ```
 */
export class DoppelError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'DoppelError';
    this.code = code;
    this.status = ERRORS[code].status;
  }
}

/** True when `err` is a {@link DoppelError}, optionally with the given code. */
export function isDoppelError(err: unknown, code?: ErrorCode): err is DoppelError {
  return err instanceof DoppelError && (code === undefined || err.code === code);
}
