/**
 * The node:http side of the middleware, shared by the node, Connect and Express adapters:
 * request facts from an IncomingMessage, the body observed as the app reads it (or taken
 * from `req.body` when a body parser already read the stream), the response watched for
 * shadow comparison and held for `async: false`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MirrorEngine, MirrorRequestInfo, MirrorTicket } from './core.js';
import { bodyLengthOf, headerOf } from './headers.js';
import { observeRequestBody } from './node-body.js';
import { holdResponse, observeResponse } from './node-response.js';
import { serialiseParsedBody } from './parsed-body.js';
import type { ShadowEngine } from './shadow.js';

/** An IncomingMessage as Connect and Express hand it over. */
export interface NodeRequest extends IncomingMessage {
  /** The URL before a mount path was stripped (Connect, Express). */
  originalUrl?: string;
  /** Set by a body parser that ran before the middleware. */
  body?: unknown;
}

/** Request facts of an IncomingMessage. */
export function nodeRequestInfo(req: NodeRequest): MirrorRequestInfo {
  return { method: req.method ?? 'GET', url: req.originalUrl ?? req.url ?? '/', rawHeaders: req.rawHeaders, clientIp: req.socket?.remoteAddress ?? '' };
}

/**
 * The body to hand to `begin()`: undefined when it will be observed on the stream, or a
 * Buffer made from `req.body` when a body parser already consumed the stream. A consumed
 * body without `req.body` stays undefined: the copies that need it are then cut off
 * (outcome `aborted`) rather than sent without it.
 */
function parsedBody(req: NodeRequest, info: MirrorRequestInfo): Buffer | undefined {
  if (!req.readableEnded) return undefined;
  const buf = serialiseParsedBody(req.body, headerOf(info.rawHeaders, 'content-type'));
  if (buf === null) return bodyLengthOf(info.rawHeaders) === 0 ? EMPTY : undefined;
  info.reencoded = true;
  return buf;
}

const EMPTY = Buffer.alloc(0);

/**
 * Starts the copies of one request. With `hold` (default) and `async: false`, the end of
 * `res` waits for the copies; adapters with their own hook for that pass false.
 */
export function mirrorNodeRequest(engine: MirrorEngine, req: NodeRequest, res: ServerResponse, hold = true): MirrorTicket | null {
  const info = nodeRequestInfo(req);
  const whole = parsedBody(req, info);
  const ticket = engine.begin(info, whole);
  if (ticket === null) return null;
  if (ticket.body !== null) observeRequestBody(req, ticket.body);
  if (hold && !engine.async) holdResponse(res, ticket.done);
  return ticket;
}

/** Starts shadowing one request: body to the candidates, the app's response captured. */
export function shadowNodeRequest(engine: ShadowEngine, req: NodeRequest, res: ServerResponse): void {
  const info = nodeRequestInfo(req);
  const whole = parsedBody(req, info);
  const ticket = engine.begin(info, whole);
  if (ticket === null) return;
  if (ticket.body !== null) observeRequestBody(req, ticket.body);
  observeResponse(res, ticket.tap, ticket.done);
}

/** A Connect-style middleware with its engine attached. */
export type NodeMiddleware<E> = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void) & {
  readonly engine: E;
  /** Closes the engine's connection pools. */
  close(): Promise<void>;
};

/** Wraps a per-request function as a Connect-style middleware that never throws into the app. */
export function connectStyle<E extends { close(force?: boolean): Promise<void> }>(
  engine: E,
  run: (engine: E, req: NodeRequest, res: ServerResponse) => unknown,
): NodeMiddleware<E> {
  const mw = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
    try {
      run(engine, req as NodeRequest, res);
    } catch {
      // Mirroring and shadowing never break the app's request.
    }
    next?.();
  };
  return Object.assign(mw, { engine, close: () => engine.close() });
}
