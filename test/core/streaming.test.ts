/** Bodies stream through doppel both ways, with backpressure, without being buffered. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHash, randomBytes } from 'node:crypto';
import { config, route, target } from '../helpers/config.js';
import { eventually, sleep, startUpstream, type Upstream } from '../helpers/servers.js';
import { send, serve, sha256, startProxy, type Doppel, type Served } from '../helpers/client.js';

const MiB = 1024 * 1024;

// Buffers that passed through are garbage until collected; collect before each sample so
// the samples show what is still held.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('streaming bodies', () => {
  let recording: Upstream;
  let streaming: Served;
  let mirror: Upstream;
  let doppel: Doppel;
  /** What the streaming upstream has seen of the request body so far. */
  const seen = { chunks: 0, bytes: 0, ended: false };

  before(async () => {
    recording = await startUpstream((_req, res, body) => res.end(JSON.stringify({ bytes: body.length })));
    mirror = await startUpstream();
    streaming = await serve((req, res) => {
      if (req.url === '/download') {
        // 50 MiB written with backpressure from one reused buffer (the upstream holds no copies).
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let left = 50 * MiB;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
        const pump = (): void => {
          while (left > 0) {
            left -= chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      const hash = createHash('sha256');
      req.on('data', (c: Buffer) => {
        seen.chunks++;
        seen.bytes += c.length;
        hash.update(c);
      });
      req.on('end', () => {
        seen.ended = true;
        res.end(hash.digest('hex'));
      });
    });
    doppel = await startProxy(
      config([
        route(recording.url, [target(mirror.url, { maxBodySize: 64 * MiB })], { name: 'upload', match: { path: { type: 'prefix', value: '/upload' } } }),
        route(streaming.url, [], { name: 'stream' }),
      ]),
    );
  });
  after(async () => {
    await doppel.app.close();
    await recording.close();
    await streaming.close();
    await mirror.close();
  });

  // First, so that nothing from the other tests is still being freed while memory is sampled.
  test('a slow reader of a 50 MiB response does not make doppel buffer it', async () => {
    gc();
    gc();
    const base = process.memoryUsage();
    let peakRss = 0;
    let peakBuffers = 0;
    const sampler = setInterval(() => {
      // Twice: buffers freed by one collection are swept in the background until the next.
      gc();
      gc();
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss - base.rss);
      peakBuffers = Math.max(peakBuffers, m.arrayBuffers - base.arrayBuffers);
    }, 150);
    const received = await new Promise<number>((resolve, reject) => {
      http
        .get(`${doppel.base}/download`, { agent: false }, async (res) => {
          let bytes = 0;
          let sinceNap = 0;
          try {
            // Nothing is read at first: without backpressure the proxy would take in what the primary sends.
            await sleep(400);
            for await (const c of res) {
              bytes += (c as Buffer).length;
              sinceNap += (c as Buffer).length;
              // Then about 200 MiB/s at most: still slower than loopback.
              if (sinceNap >= MiB) {
                sinceNap = 0;
                await sleep(5);
              }
            }
            resolve(bytes);
          } catch (err) {
            reject(err);
          }
        })
        .on('error', reject);
    });
    clearInterval(sampler);
    assert.equal(received, 50 * MiB);
    assert.ok(peakBuffers < 30 * MiB, `arrayBuffers grew by ${(peakBuffers / MiB).toFixed(1)} MiB`);
    // rss also counts heap growth of the test itself; only a loose bound.
    assert.ok(peakRss < 100 * MiB, `rss grew by ${(peakRss / MiB).toFixed(1)} MiB`);
  });

  test('a chunked request body reaches the primary before the client has finished sending', async () => {
    const parts = ['first part|', 'second part|', 'last part'];
    let primarySawFirstBeforeEnd = false;
    async function* slowly(): AsyncGenerator<string> {
      yield parts[0];
      // The next part is only sent once the primary has received the first one.
      await eventually(() => seen.bytes >= parts[0].length, 3_000, 'the first part at the primary');
      primarySawFirstBeforeEnd = !seen.ended;
      yield parts[1];
      await sleep(30);
      yield parts[2];
    }
    const r = await send(doppel.base, '/chunked', { method: 'POST', body: slowly(), headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 200);
    assert.equal(primarySawFirstBeforeEnd, true);
    assert.ok(seen.chunks >= 2, `body arrived in ${seen.chunks} chunk(s)`);
    assert.equal(r.body.toString(), sha256(parts.join('')));
  });

  test('a 20 MiB upload arrives intact at the primary and at a mirror', async () => {
    const body = randomBytes(20 * MiB);
    const r = await send(doppel.base, '/upload/big', { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()), { bytes: body.length });
    const [got] = await recording.waitFor(1);
    assert.equal(got.sha256, sha256(body));
    assert.equal(got.headers['content-length'], String(body.length));
    const [copy] = await mirror.waitFor(1);
    assert.equal(copy.sha256, sha256(body));
  });

  test('a 20 MiB chunked upload (no Content-Length) arrives intact', async () => {
    const hash = createHash('sha256');
    async function* parts(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 20; i++) {
        const b = randomBytes(MiB);
        hash.update(b);
        yield b;
      }
    }
    const r = await send(doppel.base, '/chunked-upload', { method: 'POST', body: parts() });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), hash.digest('hex'));
  });

});
