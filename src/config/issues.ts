/**
 * Turns zod issues into configuration issues with readable messages: unknown keys with a
 * suggestion, missing keys, wrong types, and, for values that accept several forms, the
 * problem of the form that was meant (a map for a map, a string for a string).
 */
import type { z } from 'zod';
import type { Issue, PathSegment } from './problems.js';
import { configKeys } from './schema.js';
import { didYouMean } from './suggest.js';
import { describe } from './units.js';

type ZodIssue = z.core.$ZodIssue;

/** Names a path in messages: `routes[0].primary` for files, a flag name for flags. */
export type PathLabel = (path: readonly PathSegment[]) => string;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map',
};

/** The value at `path` in `root`, and whether its last key is present. */
function lookup(root: unknown, path: readonly PathSegment[]): { value: unknown; present: boolean } {
  let cur: unknown = root;
  for (let i = 0; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object') return { value: undefined, present: false };
    const seg = path[i];
    if (i === path.length - 1) return { value: (cur as Record<PathSegment, unknown>)[seg], present: seg in cur };
    cur = (cur as Record<PathSegment, unknown>)[seg];
  }
  return { value: cur, present: true };
}

/** True when the issue only says that the value is not of the type a schema accepts. */
function isTypeMismatch(issue: ZodIssue): boolean {
  if (issue.path.length > 0) return false;
  if (issue.code === 'invalid_type') return true;
  if (issue.code === 'custom') return typeof issue.params?.expected === 'string';
  if (issue.code === 'invalid_union') return issue.errors.length > 0 && issue.errors.every((b) => b.every(isTypeMismatch));
  return false;
}

/** What a type-mismatch issue expected, as phrases. */
function expectations(issue: ZodIssue): string[] {
  if (issue.code === 'invalid_type') return [TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`];
  if (issue.code === 'custom') return [String(issue.params?.expected)];
  if (issue.code === 'invalid_union') return issue.errors.flatMap((b) => b.flatMap(expectations));
  return [];
}

let knownKeys: string[] | undefined;

/**
 * `; "candidate" is a key of routes.shadow` when an unknown key is a known key at another
 * place, preferring places below the current one.
 */
function elsewhere(key: string, path: readonly PathSegment[]): string {
  knownKeys ??= configKeys();
  const here = path
    .filter((s): s is string => typeof s === 'string')
    .join('.')
    .replace(/^(routes\.)+/, 'routes.')
    .replace(/^routes\.routes$/, 'routes');
  const parents = knownKeys.filter((k) => k.endsWith(`.${key}`) && !k.includes('*')).map((k) => k.slice(0, -key.length - 1));
  if (parents.length === 0) return '';
  const below = parents.filter((p) => here === '' || p.startsWith(`${here}.`));
  const best = (below.length > 0 ? below : parents).sort((a, b) => a.length - b.length)[0];
  return `; "${key}" is a key of ${best}`;
}

/** `a`, `a or b`, `a, b or c`. */
function alternatives(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? 'something else') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** `in routes[0]` or `at the top level`. */
function where(path: readonly PathSegment[], label: PathLabel): string {
  return path.length === 0 ? 'at the top level' : `in ${label(path)}`;
}

/** Prefix for a message about the value at `path`. */
function subject(path: readonly PathSegment[], label: PathLabel): string {
  return label(path) || 'configuration';
}

/**
 * Converts zod issues (from parsing `root`) into {@link Issue}s. `label` names paths in
 * the messages.
 */
export function fromZodIssues(issues: readonly ZodIssue[], root: unknown, label: PathLabel): Issue[] {
  const out: Issue[] = [];
  const convert = (issue: ZodIssue, base: readonly PathSegment[]): void => {
    const path = [...base, ...(issue.path as PathSegment[])];
    const { value, present } = lookup(root, path);
    const last = path[path.length - 1];
    if (!present && typeof last === 'string' && isTypeMismatch({ ...issue, path: [] } as ZodIssue)) {
      const parent = path.slice(0, -1);
      out.push({ path: parent, message: `missing required key "${last}" ${where(parent, label)}` });
      return;
    }
    switch (issue.code) {
      case 'invalid_union': {
        const meant = issue.errors.filter((branch) => !branch.every(isTypeMismatch));
        if (meant.length > 0) {
          for (const sub of meant[0]) convert(sub, path);
        } else {
          const expected = [...new Set(expectations(issue))];
          out.push({ path, message: `${subject(path, label)}: expected ${alternatives(expected)}, got ${describe(value)}` });
        }
        return;
      }
      case 'unrecognized_keys': {
        let allowed: string[] = [];
        try {
          allowed = (JSON.parse(issue.message) as { allowed: string[] }).allowed;
        } catch {
          // Not one of ours: no suggestion.
        }
        for (const key of issue.keys) {
          const hint = didYouMean(key, allowed) || elsewhere(key, path);
          out.push({ path: [...path, key], at: 'key', message: `unknown key "${key}" ${where(path, label)}${hint}` });
        }
        return;
      }
      case 'invalid_type': {
        const expected = TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
        out.push({ path, message: `${subject(path, label)}: expected ${expected}, got ${describe(value)}` });
        return;
      }
      case 'invalid_value': {
        const options = issue.values.map((v) => String(v));
        const list = options.map((o) => JSON.stringify(o)).join(', ');
        const hint = typeof value === 'string' ? didYouMean(value, options) : '';
        out.push({ path, message: `${subject(path, label)}: expected one of ${list}, got ${describe(value)}${hint}` });
        return;
      }
      default: {
        const atKey = issue.code === 'custom' && issue.params?.atKey === true;
        out.push({ path, at: atKey ? 'key' : 'value', message: `${subject(path, label)}: ${issue.message}` });
      }
    }
  };
  for (const issue of issues) convert(issue, []);
  return out;
}
