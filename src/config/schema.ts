/**
 * The zod schema of the YAML configuration file. It checks every key and value and turns
 * unit strings into numbers (durations in ms, sizes in bytes, percentages 0..100); defaults
 * and nesting are applied afterwards by `resolve.ts`.
 */
import { z } from 'zod';
import { parseHeaderCondition, parseHostPattern, parsePathShorthand } from './match.js';
import * as u from './units.js';
import { MAX_PIPELINING } from './defaults.js';
import { parseRedactPath } from '../report/redact.js';

/** A schema that checks and converts one value with a {@link u.Parsed} parser. */
function unit<T>(parse: (v: unknown) => u.Parsed<T>) {
  return z.unknown().transform((v, ctx): T => {
    const r = parse(v);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.message, params: r.expected ? { expected: r.expected } : undefined });
    return z.NEVER;
  });
}

/** A strict object: unknown keys are reported with the list of allowed keys (for suggestions). */
function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? JSON.stringify({ allowed }) : undefined),
  });
}

/** One value or a non-empty list of them; always a list after parsing. */
function oneOrMany<T extends z.ZodType>(item: T) {
  return z
    .union([item, z.array(item).min(1, { error: 'list must not be empty' })])
    .transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);
}

/** A map whose keys are checked by `parseKey` (problems point at the key). */
function keyedRecord<V extends z.ZodType, K>(value: V, parseKey: (k: string) => u.Parsed<K>) {
  return z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const k of Object.keys(rec)) {
      const r = parseKey(k);
      if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message, path: [k], params: { atKey: true } });
    }
  });
}

const toggle = unit((v) =>
  v === true || v === 'on' ? u.ok(true) : v === false || v === 'off' ? u.ok(false) : u.wrongType('on or off', v),
);
const off = unit((v) => (v === false || v === 'off' ? u.ok(false as const) : u.wrongType('off', v)));
const text = z.string().min(1, { error: 'must not be empty' });
const name = unit((v) =>
  typeof v !== 'string'
    ? u.wrongType('a name', v)
    : /^[A-Za-z0-9_.:/@-]+$/.test(v)
      ? u.ok(v)
      : u.fail(`invalid name ${u.describe(v)}; use letters, digits and _ . : / @ -`),
);
const url = unit(u.parseUpstreamUrl);
const duration = unit((v) => u.parseDuration(v));
const positiveDuration = unit((v) => u.parseDuration(v, { positive: true }));
const size = unit(u.parseSize);
const percent = unit(u.parsePercent);
/** At most 1 MiB: every connection may hold this much while its body arrives. */
const requestBuffer = unit((v) => {
  const r = u.parseSize(v);
  return r.ok && r.value > 1024 * 1024 ? u.fail(`requestBuffer must be at most 1MiB, got ${String(v)}`) : r;
});
const count = unit((v) => u.parseInteger(v, 1));
/** Requests per copy connection: 1 (one at a time) to {@link MAX_PIPELINING}. */
const pipelining = unit((v) => {
  const r = u.parseInteger(v, 1);
  return r.ok && r.value > MAX_PIPELINING ? u.fail(`pipelining must be at most ${MAX_PIPELINING}, got ${String(v)}`) : r;
});
const method = unit(u.parseMethod);
const headerName = unit(u.parseHeaderName);
const nonNegative = unit((v) =>
  typeof v !== 'number' ? u.wrongType('a number >= 0', v) : v >= 0 && Number.isFinite(v) ? u.ok(v) : u.fail(`must be >= 0, got ${v}`),
);

const sampleObject = strict({
  percent: percent.optional(),
  mode: z.enum(['random', 'counter', 'hash']).optional(),
  key: unit(u.parseSampleKey).optional(),
}).superRefine((s, ctx) => {
  if (s.mode === 'hash' && !s.key) ctx.addIssue({ code: 'custom', message: 'mode hash needs a key (header:<name>, cookie:<name>, query:<name> or ip)', path: ['mode'] });
  if (s.key && s.mode && s.mode !== 'hash') ctx.addIssue({ code: 'custom', message: `a key is only used with mode: hash (mode is ${s.mode})`, path: ['key'] });
});
/** `sample`: a percentage or `{ percent, mode, key }`. */
const sample = z.union([unit((v) => mapParsed(u.parsePercent(v), (percent) => ({ percent }))), sampleObject]);

const headerMutation = strict({
  set: keyedRecord(
    unit((v) => (typeof v === 'string' ? u.ok(v) : typeof v === 'number' ? u.ok(String(v)) : u.wrongType('a string', v))),
    u.parseHeaderName,
  ).optional(),
  remove: oneOrMany(headerName).optional(),
});

const rewrite = strict({
  path: strict({ from: unit(u.parseRegex), to: z.string().optional() }).optional(),
  stripPrefix: unit(u.parsePath).optional(),
  prefix: unit(u.parsePath).optional(),
});

const hostMode = z.enum(['original', 'target', 'shadow-suffix']);

/** Options shared by mirror targets and `defaults.mirror`. */
const mirrorOptions = {
  sample: sample.optional(),
  rate: unit(u.parsePositive).optional(),
  timeout: positiveDuration.optional(),
  maxBodySize: size.optional(),
  maxInFlight: count.optional(),
  pipelining: pipelining.optional(),
  methods: oneOrMany(method).optional(),
  body: z.boolean().optional(),
  headers: headerMutation.optional(),
  rewrite: rewrite.optional(),
  host: hostMode.optional(),
  breaker: z
    .union([off, strict({ failures: unit((v) => u.parseInteger(v, 0)).optional(), cooldown: duration.optional() })])
    .optional(),
};

/** The `url|10%` / `url|50` string form of a mirror target. */
function parseMirrorShorthand(v: unknown): u.Parsed<{ url: string; sample?: { percent: number }; rate?: number }> {
  if (typeof v !== 'string') return u.wrongType('a URL (optionally with |10% or |50)', v);
  const [head, ...suffixes] = v.split('|').map((s) => s.trim());
  const target = u.parseUpstreamUrl(head);
  if (!target.ok) return target;
  const out: { url: string; sample?: { percent: number }; rate?: number } = { url: target.value };
  for (const sfx of suffixes) {
    if (sfx.endsWith('%') && out.sample === undefined) {
      const p = u.parsePercent(sfx);
      if (!p.ok) return p;
      out.sample = { percent: p.value };
    } else if (/^\d+(\.\d+)?$/.test(sfx) && out.rate === undefined) {
      const r = u.parsePositive(Number(sfx));
      if (!r.ok) return u.fail(`rate in ${u.describe(v)} must be greater than 0`);
      out.rate = r.value;
    } else {
      return u.fail(`invalid suffix ${u.describe(sfx)} in ${u.describe(v)}; use |10% for a sample percentage and/or |50 for a rate limit in requests per second`);
    }
  }
  return u.ok(out);
}

function mapParsed<A, B>(p: u.Parsed<A>, f: (a: A) => B): u.Parsed<B> {
  return p.ok ? u.ok(f(p.value)) : p;
}

const mirrorTarget = z.union([unit(parseMirrorShorthand), strict({ url, name: name.optional(), ...mirrorOptions })]);

const backend = z.union([
  unit((v) => mapParsed(u.parseUpstreamUrl(v), (url) => ({ url }))),
  strict({ name: name.optional(), url, headers: headerMutation.optional(), rewrite: rewrite.optional(), host: hostMode.optional() }),
]);

const arrayMode = z.union([z.enum(['ordered', 'unordered']), strict({ byKey: text, order: z.boolean().optional() })]);

const compare = strict({
  status: z.boolean().optional(),
  headers: z.union([z.boolean(), strict({ include: oneOrMany(headerName).optional(), ignore: oneOrMany(headerName).optional() })]).optional(),
  body: z.boolean().optional(),
  jq: oneOrMany(text).optional(),
  ignore: oneOrMany(unit(u.parseBodyPath)).optional(),
  arrays: arrayMode.optional(),
  arraysAt: keyedRecord(arrayMode, u.parseBodyPath).optional(),
  numericTolerance: nonNegative.optional(),
});

const shadow = strict({
  candidate: oneOrMany(backend),
  secondary: backend.optional(),
  sample: sample.optional(),
  methods: oneOrMany(method).optional(),
  timeout: positiveDuration.optional(),
  maxInFlight: count.optional(),
  pipelining: pipelining.optional(),
  maxBodySize: size.optional(),
  maxCompareSize: size.optional(),
  compare: compare.optional(),
  noise: strict({ relative: unit(u.parseFraction).optional(), absolute: unit(u.parseFraction).optional() }).optional(),
});

const pathObject = strict({
  exact: unit(u.parsePath).optional(),
  prefix: unit(u.parsePath).optional(),
  glob: unit(u.parsePath).optional(),
}).transform((p, ctx) => {
  const given = (['exact', 'prefix', 'glob'] as const).filter((k) => p[k] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `use exactly one of exact, prefix or glob${given.length ? ` (got ${given.join(', ')})` : ''}` });
    return z.NEVER;
  }
  return { type: given[0], value: p[given[0]]! };
});

const match = strict({
  host: oneOrMany(unit(parseHostPattern)).optional(),
  path: z.union([unit(parsePathShorthand), pathObject]).optional(),
  methods: oneOrMany(method).optional(),
  headers: keyedRecord(unit(parseHeaderCondition), u.parseHeaderName).optional(),
});

const routeShape = {
  name: name.optional(),
  match: match.optional(),
  primary: url.optional(),
  endpoint: text.optional(),
  mirrors: z.array(mirrorTarget).optional(),
  mirror: toggle.optional(),
  shadow: z.union([off, shadow]).optional(),
};

const routeWithoutChildren = strict(routeShape);

/** One parsed entry of `routes`, with its nested routes. */
export interface RawRoute extends z.output<typeof routeWithoutChildren> {
  routes?: RawRoute[];
}

/** One entry of `routes` (nested routes have the same form). */
export const routeSchema: z.ZodType<RawRoute> = strict({
  ...routeShape,
  routes: z.lazy(() => z.array(routeSchema)).optional(),
});

const listen = unit((v) => u.parseHostPort(v));
const adminListen = unit((v) => (v === false || v === 'off' ? u.ok(null) : u.parseHostPort(v)));
const workers = unit(u.parseWorkers);
/** The admin token: messages never repeat its value. */
const token = unit((v) =>
  typeof v !== 'string' ? u.fail('expected a string (quote the token)') : v === '' ? u.fail('must not be empty') : u.ok(v),
);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A JSON path whose values are redacted before anything is stored. */
const redactPath = unit((v) => {
  if (typeof v !== 'string') return u.wrongType('a JSON path such as $.user.password', v);
  try {
    parseRedactPath(v);
    return u.ok(v);
  } catch (err) {
    return u.fail((err as Error).message);
  }
});

/** A retention age: a duration, or days such as `7d`. */
const age = unit((v) => {
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*d\s*$/.exec(v) : null;
  return m ? u.ok(Math.round(Number(m[1]) * 86_400_000)) : u.parseDuration(v);
});

/** `store`: a location, or `{ url, retention, samples, redact }`. */
const storeObject = strict({
  url: text.optional(),
  retention: strict({ maxAge: age.optional(), maxSamples: unit((v) => u.parseInteger(v, 0)).optional() }).optional(),
  samples: strict({ perField: count.optional(), maxBodySize: size.optional() }).optional(),
  redact: strict({ headers: z.array(headerName).optional(), paths: z.array(redactPath).optional() }).optional(),
});

/** Schemas of single values, for command-line flags. */
export const valueSchemas = { listen, adminListen, workers, logLevel, text, url, mirrorTarget, backend };

/** The whole configuration file. */
export const configSchema = strict({
  listen: listen.optional(),
  admin: z.union([toggle, strict({ listen: adminListen.optional(), token: token.optional() })]).optional(),
  workers: workers.optional(),
  requestBuffer: requestBuffer.optional(),
  log: strict({ level: logLevel.optional() }).optional(),
  store: z.union([text, storeObject]).optional(),
  timeouts: strict({
    connect: positiveDuration.optional(),
    primary: positiveDuration.optional(),
    idle: positiveDuration.optional(),
    clientHeaders: positiveDuration.optional(),
    shutdownGrace: duration.optional(),
    mirrorGrace: duration.optional(),
  }).optional(),
  defaults: strict({ mirror: strict(mirrorOptions).optional() }).optional(),
  routes: z.array(routeSchema).min(1, { error: 'at least one route is required' }),
});

export type RawConfig = z.output<typeof configSchema>;
export type RawMirrorTarget = z.output<typeof mirrorTarget>;
export type RawMirrorOptions = NonNullable<NonNullable<RawConfig['defaults']>['mirror']>;
export type RawShadow = z.output<typeof shadow>;
export type RawBackend = z.output<typeof backend>;
export type RawSample = z.output<typeof sample>;
export type RawCompare = z.output<typeof compare>;
export type RawArrayMode = z.output<typeof arrayMode>;
export type RawHeaderMutation = z.output<typeof headerMutation>;
export type RawRewrite = z.output<typeof rewrite>;

/**
 * Every key the schema accepts, as dotted paths from the top (`routes.mirrors.sample.mode`).
 * List items add no segment; keys of free-form maps (header names, body paths) are `*`.
 * Nested `routes` are listed once (`routes.routes`), since they repeat the route keys.
 */
export function configKeys(): string[] {
  const out = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (schema: unknown, prefix: string): void => {
    const def = (schema as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
    switch (def.type) {
      case 'object': {
        if (seen.has(schema)) return;
        seen.add(schema);
        const shape = def.shape as Record<string, unknown>;
        for (const key of Object.keys(shape)) {
          const path = prefix ? `${prefix}.${key}` : key;
          out.add(path);
          walk(shape[key], path);
        }
        seen.delete(schema);
        return;
      }
      case 'optional':
      case 'nullable':
      case 'default':
        return walk(def.innerType, prefix);
      case 'pipe':
        return walk(def.in, prefix);
      case 'union':
        for (const option of def.options as unknown[]) walk(option, prefix);
        return;
      case 'array':
        return walk(def.element, prefix);
      case 'lazy':
        return walk((def.getter as () => unknown)(), prefix);
      case 'record':
        return walk(def.valueType, `${prefix}.*`);
      default:
        return;
    }
  };
  walk(configSchema, '');
  return [...out].sort();
}
