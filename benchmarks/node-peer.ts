/**
 * The Node peers of the benchmark, the two Node rows of the reference table doppel is
 * held to: a minimal proxy (node:http in front of an undici `Pool`, the answer streamed
 * with `Pool.stream`) and a naive mirror (the same proxy plus one fire-and-forget undici
 * request per copy, without limits). They show what one proxy hop and one copy cost in
 * Node on the machine of the run, so doppel's figures read against the runtime's floor
 * as well as against nginx. Request bodies are read whole before the primary is called
 * (doppel does the same up to 64 KiB; a streamed body was slower for both). Never point
 * the naive mirror at a slow target: its copies queue without bound.
 *
 *   node --import tsx benchmarks/node-peer.ts --primary http://127.0.0.1:PORT [--mirror http://127.0.0.1:PORT]
 */
import http from 'node:http';
import { Pool } from 'undici';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
};
const primaryUrl = arg('primary');
if (primaryUrl === undefined) {
  process.stderr.write('usage: node-peer.ts --primary URL [--mirror URL]\n');
  process.exit(2);
}
const mirrorUrl = arg('mirror');
const primary = new Pool(primaryUrl);
const mirror = mirrorUrl === undefined ? null : new Pool(mirrorUrl);

/** The request headers worth passing on (no hop-by-hop ones, which undici refuses). */
function requestHeaders(req: http.IncomingMessage, length: number): Record<string, string> {
  const out: Record<string, string> = { host: req.headers.host ?? 'localhost' };
  if (req.headers['content-type']) out['content-type'] = req.headers['content-type'];
  if (req.headers.accept) out.accept = req.headers.accept;
  if (length > 0) out['content-length'] = String(length);
  return out;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 0 ? null : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const method = (req.method ?? 'GET') as 'GET';
    const path = req.url ?? '/';
    const headers = requestHeaders(req, body?.length ?? 0);
    if (mirror !== null) {
      mirror.request({ path, method, headers, body }).then(
        (r) => r.body.dump(),
        () => {},
      );
    }
    primary.stream(
      { path, method, headers, body },
      ({ statusCode, headers: h }) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
        res.writeHead(statusCode, out);
        return res;
      },
      (err) => {
        if (err === null) return;
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('bad gateway\n');
        } else res.destroy(err);
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(`LISTENING ${a.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
