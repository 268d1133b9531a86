/**
 * Constant-rate HTTP client (wrk2-style open loop): sends GETs at a fixed rate whatever
 * the answers do, and prints one JSON line with the latency percentiles in milliseconds.
 * It speaks HTTP/1.1 over 32 keep-alive sockets itself (one request at a time per socket,
 * answers framed by Content-Length), which costs a fraction of node:http's client, so
 * that the client takes as little as possible of the machine it measures. A request due
 * while every socket is busy waits for one, and its latency counts from when it was
 * queued (no coordinated omission); the lateness of this client's own 1 ms timer is not
 * counted.
 *
 * The first half second is warm-up and not counted. Besides the p99 of the whole run it
 * gives `p99w`, the median of the p99s of 500 ms windows, which a single stall of the
 * machine (other tenants, this client's own event loop: `clientLoopDelayMaxMs`) does
 * not move.
 *
 *   node --import tsx benchmarks/rate.ts <url> <requests per second> <seconds>
 */
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const [url, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
if (!url || !(rate > 0) || !(seconds > 0)) {
  process.stderr.write('usage: rate.ts <url> <rate> <seconds>\n');
  process.exit(2);
}

const target = new URL(url);
const request = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUser-Agent: doppel-bench-rate\r\n\r\n`, 'latin1');
const warmup = 500;
const maxConnections = 32;
/** Requests due while every socket was busy: when they were due, and whether they count. */
const queue: { t0: number; counted: boolean }[] = [];
const latencies: number[] = [];
/** Latencies per 500 ms window of sending time. */
const windows: number[][] = [];
let sent = 0;
let done = 0;
let errors = 0;

interface Conn {
  socket: net.Socket;
  busy: boolean;
  t0: number;
  counted: boolean;
  buf: Buffer;
}
const idle: Conn[] = [];
const all = new Set<Conn>();

function complete(c: Conn, ok: boolean): void {
  done++;
  if (!ok) errors++;
  else if (c.counted) {
    const ms = performance.now() - c.t0;
    latencies.push(ms);
    (windows[Math.floor((c.t0 - started) / 500)] ??= []).push(ms);
  }
  c.busy = false;
  const next = queue.shift();
  if (next !== undefined) send(c, next.t0, next.counted);
  else idle.push(c);
}

function send(c: Conn, t0: number, counted: boolean): void {
  c.busy = true;
  c.counted = counted;
  c.t0 = t0;
  c.socket.write(request);
}

function onData(c: Conn, chunk: Buffer): void {
  c.buf = c.buf.length === 0 ? chunk : Buffer.concat([c.buf, chunk]);
  for (;;) {
    const end = c.buf.indexOf('\r\n\r\n');
    if (end === -1 || !c.busy) return;
    const head = c.buf.subarray(0, end).toString('latin1');
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!m) {
      // Only Content-Length framing is understood: drop the connection.
      c.socket.destroy();
      return;
    }
    const total = end + 4 + Number(m[1]);
    if (c.buf.length < total) return;
    c.buf = c.buf.subarray(total);
    complete(c, head.startsWith('HTTP/1.1 200'));
  }
}

function connect(): Conn {
  const socket = net.connect({ host: target.hostname, port: Number(target.port), noDelay: true });
  const c: Conn = { socket, busy: false, t0: 0, counted: false, buf: Buffer.alloc(0) };
  all.add(c);
  socket.on('data', (chunk: Buffer) => onData(c, chunk));
  socket.on('error', () => {});
  socket.on('close', () => {
    all.delete(c);
    const i = idle.indexOf(c);
    if (i !== -1) idle.splice(i, 1);
    if (c.busy) {
      c.busy = false;
      done++;
      errors++;
    }
  });
  return c;
}

function one(t0: number, counted: boolean): void {
  let c = idle.pop();
  while (c !== undefined && c.socket.destroyed) c = idle.pop();
  if (c === undefined && all.size < maxConnections) c = connect();
  if (c === undefined) queue.push({ t0, counted });
  else send(c, t0, counted);
}

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const started = performance.now();
const total = Math.round((rate * (seconds * 1000 + warmup)) / 1000);
const timer = setInterval(() => {
  const elapsed = performance.now() - started;
  const due = Math.min(total, Math.floor((elapsed * rate) / 1000));
  while (sent < due) {
    one(performance.now(), elapsed >= warmup);
    sent++;
  }
  if (sent < total) return;
  clearInterval(timer);
  const wait = setInterval(() => {
    if (done < sent && performance.now() - started < (seconds + 10) * 1000) return;
    clearInterval(wait);
    latencies.sort((a, b) => a - b);
    const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;
    const perWindow = windows.filter((w) => w && w.length >= 100).map((w) => pct(w.sort((a, b) => a - b), 0.99)).sort((a, b) => a - b);
    const round = (v: number) => Math.round(v * 1000) / 1000;
    const out = {
      sent: latencies.length,
      errors: errors + (sent - done),
      connections: all.size,
      p50: round(pct(latencies, 0.5)),
      p99: round(pct(latencies, 0.99)),
      p99w: round(pct(perWindow, 0.5)),
      max: round(latencies[latencies.length - 1] ?? Number.NaN),
      clientLoopDelayMaxMs: round(loop.max / 1e6),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    for (const c of all) c.socket.destroy();
  }, 20);
}, 1);
