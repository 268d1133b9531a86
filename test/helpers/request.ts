/** Small real-client helpers for tests. */
import http from 'node:http';
import { createHash } from 'node:crypto';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  sha256: string;
  ms: number;
  reusedSocket: boolean;
}

export interface RequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Buffer | string | AsyncIterable<Buffer> | Buffer[];
  agent?: http.Agent | false;
}

/** Sends one request with node:http and reads the whole answer. Arrays are sent chunked. */
export function request(base: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body, sha256: createHash('sha256').update(body).digest('hex'), ms: performance.now() - started, reusedSocket: req.reusedSocket });
      });
    });
    req.on('error', reject);
    const body = opts.body;
    if (body === undefined) return void req.end();
    if (typeof body === 'string' || Buffer.isBuffer(body)) return void req.end(body);
    void (async () => {
      for await (const chunk of body as AsyncIterable<Buffer>) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      req.end();
    })().catch(reject);
  });
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** The value of a Prometheus sample line, e.g. metric('doppel_mirror_requests_total{...}'). 0 when absent. */
export async function metricValue(adminBase: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${adminBase}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(name.length + 1, close);
    const ok = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(close + 1).trim());
  }
  return 0;
}
