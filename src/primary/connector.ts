/**
 * Connections of pipelined copy pools. Writes made to such a socket during one event-loop
 * turn are held (corked) and leave together when the turn ends, so the copies made while
 * handling a batch of client requests share one write system call instead of one each.
 * Only copy pools use it: the primary's requests are never held back.
 */
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

/**
 * An undici connector (plain or TLS, `timeout` ms to connect) whose sockets batch their
 * writes per event-loop turn.
 *
 * @example
 * new Pool('http://127.0.0.1:9000', { pipelining: 8, connect: batchingConnector(10_000) });
 */
export function batchingConnector(timeout: number): buildConnector.connector {
  const connect = buildConnector({ timeout });
  return (options, callback) =>
    connect(options, (...args) => {
      if (args[1] !== null) batchWrites(args[1]);
      callback(...args);
    });
}

/** Corks the socket at its first write of a turn and uncorks it in the check phase. */
export function batchWrites(socket: Socket): void {
  const write = socket.write as (...args: unknown[]) => boolean;
  let held = false;
  const flush = (): void => {
    held = false;
    socket.uncork();
  };
  socket.write = function batchedWrite(...args: unknown[]): boolean {
    if (!held) {
      held = true;
      socket.cork();
      setImmediate(flush);
    }
    return write.apply(socket, args);
  } as Socket['write'];
}
