/**
 * Benchmark upstream, run as its own process so it never shares the proxy's event loop.
 *
 *   node --import tsx benchmarks/upstream.ts --port 0 [--delay 200] [--variant b]
 *
 * - `GET /5k` answers a 5 KB JSON document (`--variant b` changes one field and the key
 *   order, as a candidate with a small regression would);
 * - any other `GET` answers a 1 KB JSON document;
 * - `POST` (any size) is read to the end and hashed (sha256); the answer is a small JSON
 *   with the byte count and the hash;
 * - `GET /__stats` answers the counters (requests other than these two, body bytes, TCP
 *   connections accepted, the last upload's hash) and `POST /__reset` clears them.
 *
 * `--delay <ms>` holds every answer that long. Prints `LISTENING <port>` once bound.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import { docs } from './docs.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const port = Number(arg('port', '0'));
const delay = Number(arg('delay', '0'));
const variant = arg('variant', 'a') === 'b' ? 'b' : 'a';

const json1k = Buffer.from(docs.small());
const json5k = Buffer.from(variant === 'b' ? docs.shadowB() : docs.shadowA());
const jsonHeaders = (len: number) => ({ 'content-type': 'application/json', 'content-length': len });
const h1k = jsonHeaders(json1k.length);
const h5k = jsonHeaders(json5k.length);

const stats = { requests: 0, posts: 0, bodyBytes: 0, connections: 0, lastUpload: { bytes: 0, sha256: '' } };

function answer(res: http.ServerResponse, headers: http.OutgoingHttpHeaders, body: Buffer): void {
  if (delay > 0) {
    setTimeout(() => {
      res.writeHead(200, headers);
      res.end(body);
    }, delay);
    return;
  }
  res.writeHead(200, headers);
  res.end(body);
}

const server = http.createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, (req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (url === '/__stats') {
      const body = Buffer.from(JSON.stringify(stats));
      res.writeHead(200, jsonHeaders(body.length));
      return void res.end(body);
    }
    stats.requests++;
    req.resume();
    if (url.startsWith('/5k')) return answer(res, h5k, json5k);
    return answer(res, h1k, json1k);
  }
  if (url === '/__reset') {
    req.resume();
    stats.requests = stats.posts = stats.bodyBytes = stats.connections = 0;
    stats.lastUpload = { bytes: 0, sha256: '' };
    res.writeHead(204);
    return void res.end();
  }
  stats.requests++;
  stats.posts++;
  // Only large uploads are hashed: hashing every 64 KB POST would make the upstream the bottleneck.
  const hash = url.startsWith('/upload') ? createHash('sha256') : null;
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash?.update(chunk);
  });
  req.on('end', () => {
    stats.bodyBytes += bytes;
    const sha256 = hash ? hash.digest('hex') : '';
    if (hash) stats.lastUpload = { bytes, sha256 };
    const body = Buffer.from(`{"ok":true,"bytes":${bytes},"sha256":"${sha256}"}`);
    answer(res, jsonHeaders(body.length), body);
  });
  // An upload cut off half way still shows how far it got.
  req.on('close', () => {
    if (hash && !req.complete) stats.lastUpload = { bytes, sha256: '' };
  });
  req.on('error', () => {});
});
server.on('connection', () => stats.connections++);
server.listen(port, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(`LISTENING ${a.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
