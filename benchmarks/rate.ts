/**
 * Constant-rate HTTP client (wrk2-style open loop): sends GETs at a fixed rate whatever
 * the answers do, over keep-alive connections, and prints one JSON line with the latency
 * percentiles in milliseconds. The first half second is warm-up and not counted.
 *
 *   node --import tsx benchmarks/rate.ts <url> <requests per second> <seconds>
 */
import http from 'node:http';

const [url, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
if (!url || !(rate > 0) || !(seconds > 0)) {
  process.stderr.write('usage: rate.ts <url> <rate> <seconds>\n');
  process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const target = new URL(url);
const warmup = 500;
const latencies: number[] = [];
let sent = 0;
let done = 0;
let errors = 0;

function one(counted: boolean): void {
  const t0 = performance.now();
  const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, agent }, (res) => {
    res.on('data', () => {});
    res.on('end', () => {
      done++;
      if (res.statusCode !== 200) errors++;
      else if (counted) latencies.push(performance.now() - t0);
    });
  });
  req.on('error', () => {
    done++;
    errors++;
  });
  req.end();
}

const started = performance.now();
const total = Math.round((rate * (seconds * 1000 + warmup)) / 1000);
const timer = setInterval(() => {
  const elapsed = performance.now() - started;
  const due = Math.min(total, Math.floor((elapsed * rate) / 1000));
  while (sent < due) {
    one(elapsed >= warmup);
    sent++;
  }
  if (sent >= total) {
    clearInterval(timer);
    const wait = setInterval(() => {
      if (done < sent && performance.now() - started < (seconds + 10) * 1000) return;
      clearInterval(wait);
      latencies.sort((a, b) => a - b);
      const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
      const round = (v: number) => Math.round(v * 1000) / 1000;
      process.stdout.write(`${JSON.stringify({ sent: latencies.length, errors, p50: round(q(0.5)), p99: round(q(0.99)), max: round(latencies[latencies.length - 1] ?? Number.NaN) })}\n`);
      agent.destroy();
    }, 20);
  }
}, 1);
