/**
 * The systems under test: the upstreams, nginx (generated configuration, run in the
 * foreground from a temporary directory, nothing system-wide), the Node peers
 * (node-peer.ts) and doppel instances (built once with esbuild, like the compiled
 * package, or run from the sources).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, start, stop, waitPort } from './procs.js';

const ROOT = new URL('..', import.meta.url).pathname;

export interface Upstreams {
  /** Primary: 1 KB JSON GET, accepts POST. */
  fast: number;
  /** Mirror target with the same behaviour. */
  mirror: number;
  /** Mirror target answering after 200 ms. */
  slow: number;
  /** Shadow candidate (5 KB JSON with a small difference). */
  candidate: number;
}

/** Starts a benchmark script that prints `LISTENING <port>`; resolves with the port. */
async function startListening(script: string, args: string[], cpus: string | undefined, what: string): Promise<{ port: number; child: ChildProcess }> {
  let resolvePort: (p: number) => void = () => {};
  const portP = new Promise<number>((r) => (resolvePort = r));
  const child = start(process.execPath, ['--import', 'tsx', join(ROOT, 'benchmarks', script), ...args], {
    cpus,
    log: (l) => {
      const m = /^LISTENING (\d+)/.exec(l);
      if (m) resolvePort(Number(m[1]));
    },
  });
  const port = await Promise.race([portP, new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`${what} did not start`)), 30_000))]);
  return { port, child };
}

/** Starts one upstream process; resolves with its port. */
export function startUpstream(args: string[], cpus: string | undefined): Promise<{ port: number; child: ChildProcess }> {
  return startListening('upstream.ts', ['--port', '0', ...args], cpus, 'upstream');
}

/** Starts the minimal Node proxy in front of the fast upstream, or with `mirror` the naive Node mirror to the fast mirror target (node-peer.ts). */
export function startNodePeer(up: Upstreams, mirror: boolean, cpus: string | undefined): Promise<{ port: number; child: ChildProcess }> {
  const args = ['--primary', `http://127.0.0.1:${up.fast}`, ...(mirror ? ['--mirror', `http://127.0.0.1:${up.mirror}`] : [])];
  return startListening('node-peer.ts', args, cpus, mirror ? 'the naive Node mirror' : 'the minimal Node proxy');
}

export async function startUpstreams(cpus: string | undefined): Promise<Upstreams> {
  const [fast, mirror, slow, candidate] = await Promise.all([
    startUpstream([], cpus),
    startUpstream([], cpus),
    startUpstream(['--delay', '200'], cpus),
    startUpstream(['--variant', 'b'], cpus),
  ]);
  return { fast: fast.port, mirror: mirror.port, slow: slow.port, candidate: candidate.port };
}

/** nginx ports: plain proxy_pass, mirror to the fast target, mirror to the slow one. */
export interface NginxPorts {
  proxy: number;
  mirrorFast: number;
  mirrorSlow: number;
}

/** The nginx configuration: upstream keepalive, `mirror` with the request body, `worker_processes auto`. */
export function nginxConf(dir: string, up: Upstreams, ports: NginxPorts): string {
  const upstream = (name: string, port: number) => `  upstream ${name} { server 127.0.0.1:${port}; keepalive 64; }`;
  const keep = 'proxy_http_version 1.1; proxy_set_header Connection "";';
  const server = (port: number, mirror: string | null) => `
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / {${mirror ? '\n      mirror /_mirror;\n      mirror_request_body on;' : ''}
      proxy_pass http://primary; ${keep}
    }${mirror ? `
    location = /_mirror {
      internal;
      proxy_pass http://${mirror}$request_uri; ${keep}
    }` : ''}
  }`;
  return `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  keepalive_requests 100000;
  keepalive_timeout 60s;
  client_max_body_size 2g;
  client_body_buffer_size 128k;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${upstream('primary', up.fast)}
${upstream('mirror_fast', up.mirror)}
${upstream('mirror_slow', up.slow)}
${server(ports.proxy, null)}
${server(ports.mirrorFast, 'mirror_fast')}
${server(ports.mirrorSlow, 'mirror_slow')}
}
`;
}

export async function startNginx(workDir: string, up: Upstreams, cpus: string | undefined): Promise<{ ports: NginxPorts; child: ChildProcess; version: string }> {
  const dir = join(workDir, 'nginx');
  mkdirSync(dir, { recursive: true });
  const ports = { proxy: await freePort(), mirrorFast: await freePort(), mirrorSlow: await freePort() };
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, nginxConf(dir, up, ports));
  const version = (spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr ?? '').trim().replace(/^nginx version: /, '');
  const child = start('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', file, '-g', 'daemon off;'], { cpus, log: (l) => process.stderr.write(`nginx: ${l}\n`) });
  await Promise.all([waitPort(ports.proxy), waitPort(ports.mirrorFast), waitPort(ports.mirrorSlow)]);
  return { ports, child, version };
}

/**
 * How doppel is run: the sources compiled file by file with esbuild into
 * `benchmarks/.build/` (the layout `npm run build` gives, in a fraction of the time), or
 * the sources through tsx when esbuild is missing.
 */
export function buildDoppel(log: (s: string) => void): string[] {
  const build = join(ROOT, 'benchmarks/.build');
  const esbuild = join(ROOT, 'node_modules/.bin/esbuild');
  if (existsSync(esbuild)) {
    const files = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => join(ROOT, 'src', f));
    rmSync(build, { recursive: true, force: true });
    const r = spawnSync(esbuild, [...files, '--platform=node', '--format=esm', `--outdir=${join(build, 'dist')}`, `--outbase=${join(ROOT, 'src')}`, '--log-level=error'], { encoding: 'utf8' });
    if (r.status === 0) {
      // Static files (the dashboard's) go along, as in the package.
      cpSync(join(ROOT, 'src'), join(build, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
      // dist/cli/main.js reads ../../package.json; the files are ES modules.
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      writeFileSync(join(build, 'package.json'), JSON.stringify({ name: 'doppel-bench-build', version: pkg.version, type: 'module', private: true }));
      return [join(build, 'dist/cli/main.js')];
    }
    log(`esbuild failed (${r.stderr.trim()}); running doppel from the sources`);
  }
  return [join(ROOT, 'bin/doppel.js')];
}

export interface DoppelSpec {
  name: string;
  workers: number;
  /** YAML of the `routes` list, indented by two spaces. */
  routes: string;
  admin?: boolean;
  /** Extra environment of the doppel process. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningDoppel {
  name: string;
  port: number;
  admin: number | null;
  child: ChildProcess;
}

export async function startDoppel(entry: string[], workDir: string, spec: DoppelSpec, cpus: string | undefined): Promise<RunningDoppel> {
  const port = await freePort();
  const admin = spec.admin ? await freePort() : null;
  const file = join(workDir, `doppel-${spec.name}.yaml`);
  writeFileSync(
    file,
    `listen: 127.0.0.1:${port}\nadmin: ${admin ? `{ listen: 127.0.0.1:${admin} }` : 'off'}\nworkers: ${spec.workers}\nlog: { level: warn }\nroutes:\n${spec.routes}`,
  );
  const child = start(process.execPath, [...entry, '--config', file], { cpus, env: spec.env, log: (l) => process.stderr.write(`doppel ${spec.name}: ${l}\n`) });
  await waitPort(port, 60_000);
  if (admin) await waitPort(admin, 60_000);
  // With workers the port opens when the first one listens: wait for all of them.
  if (admin && spec.workers > 1) {
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      const r = await fetch(`http://127.0.0.1:${admin}/readyz`).catch(() => null);
      if (r?.status === 200 && ((await r.json()) as { workers?: number }).workers === spec.workers) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  return { name: spec.name, port, admin, child };
}

export const stopDoppel = (d: RunningDoppel) => stop(d.child, 15_000);

/** Routes of the doppel configurations used by the benchmark. */
export const routes = {
  plain: (up: Upstreams) => `  - primary: http://127.0.0.1:${up.fast}\n`,
  // The benchmark's mirrors keep their connections open: pipelined copies are doppel's setting for them.
  mirror: (up: Upstreams, port: number, extra = '') =>
    `  - primary: http://127.0.0.1:${up.fast}\n    mirrors: [{ url: "http://127.0.0.1:${port}", pipelining: 8${extra} }]\n`,
  shadow: (up: Upstreams) => `  - primary: http://127.0.0.1:${up.fast}\n    shadow: { candidate: "http://127.0.0.1:${up.candidate}", sample: 100%, pipelining: 8 }\n`,
};

/** Shadowed requests of a doppel instance by outcome, from its admin metrics. */
export interface ShadowCounts {
  /** Compared (match, regression or noise). */
  compared: number;
  /** Sampled but not compared (queue full, limits). */
  skipped: number;
  /** The primary or the candidate failed. */
  error: number;
}

/**
 * Reads `doppel_shadow_comparisons_total` from the admin port once the comparison queue
 * has drained (the counts stop moving), so that comparisons still queued when the load
 * ended are counted as compared.
 */
export async function shadowCounts(admin: number): Promise<ShadowCounts> {
  const read = async (): Promise<ShadowCounts> => {
    const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    const c: ShadowCounts = { compared: 0, skipped: 0, error: 0 };
    for (const m of text.matchAll(/^doppel_shadow_comparisons_total\{[^}]*result="(\w+)"[^}]*\} (\d+)$/gm)) {
      const n = Number(m[2]);
      if (m[1] === 'skipped') c.skipped += n;
      else if (m[1] === 'error') c.error += n;
      else c.compared += n;
    }
    return c;
  };
  let last = await read();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await read();
    if (now.compared === last.compared && now.skipped === last.skipped && now.error === last.error) return now;
    last = now;
  }
  return last;
}

/** Share of the shadowed requests between two readings that were compared. */
export const comparedShare = (before: ShadowCounts, after: ShadowCounts): number => {
  const compared = after.compared - before.compared;
  const all = compared + after.skipped - before.skipped + after.error - before.error;
  return all > 0 ? compared / all : Number.NaN;
};
