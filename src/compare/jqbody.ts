/**
 * JSON bodies compared on the results of jq expressions: expression i is compared at
 * `body.jq[i]`. Ignore globs are removed from the bodies before jq runs (they name paths
 * of the response); array modes apply to the results (`arraysAt` paths are relative to
 * each result, `$` being the result itself).
 */
import { REMOVED, stripIgnored } from './ignore.js';
import type { CompiledRules } from './ignore.js';
import { diffValue } from './json.js';
import { MAX_JQ_DEPTH, jsonDepth, runJq } from './jq.js';
import type { JqSide } from './jq.js';
import { MAX_DIFFERENCES, newState } from './state.js';
import type { Findings } from './state.js';

const JQ = 'DOPPEL_ERR_COMPARE_JQ';

function shown(side: JqSide): unknown {
  if (!side.ok) return `jq error: ${side.error}`;
  return side.values.length === 1 ? side.values[0] : side.values;
}

/**
 * Compare two parsed JSON bodies through `compiled.rules.jq`. `pText` / `cText` are the
 * bodies' texts (used as jq input when nothing is ignored). Returns false, with a note,
 * when jq cannot be loaded or a body is nested too deeply for it; the caller then
 * compares the whole bodies.
 */
export async function compareJq(
  pValue: unknown,
  cValue: unknown,
  pText: string,
  cText: string,
  compiled: CompiledRules,
  f: Findings,
): Promise<boolean> {
  const exprs = compiled.rules.jq;
  if (compiled.ignore !== null) {
    const ps = stripIgnored(pValue, compiled.ignore);
    const cs = stripIgnored(cValue, compiled.ignore);
    pText = ps === REMOVED ? 'null' : JSON.stringify(ps);
    cText = cs === REMOVED ? 'null' : JSON.stringify(cs);
  }
  if (jsonDepth(pText) > MAX_JQ_DEPTH || jsonDepth(cText) > MAX_JQ_DEPTH) {
    f.notes.push(`${JQ}: body nested deeper than ${MAX_JQ_DEPTH} levels; jq not run, whole bodies compared`);
    return false;
  }
  let outcomes;
  try {
    outcomes = await runJq(exprs, pText, cText);
  } catch (err) {
    f.notes.push(`${JQ}: jq could not be loaded (${err instanceof Error ? err.message : String(err)}); whole bodies compared`);
    return false;
  }
  for (let i = 0; i < outcomes.length; i++) {
    if (f.out.length >= MAX_DIFFERENCES) {
      f.overflow = true;
      break;
    }
    const { expr, primary: p, candidate: c } = outcomes[i];
    const prefix = `body.jq[${i}]`;
    if (p.ok && c.ok) {
      const single = p.values.length === 1 && c.values.length === 1;
      const st = newState(compiled.diff, prefix, f.out, MAX_DIFFERENCES);
      diffValue(single ? p.values[0] : p.values, single ? c.values[0] : c.values, st);
      if (st.stop) f.overflow = true;
    } else if (!p.ok && !c.ok && p.error === c.error) {
      f.notes.push(`${JQ}: jq expression ${i} (${JSON.stringify(expr)}) failed on both responses: ${p.error}`);
    } else {
      f.out.push({ path: prefix, kind: 'changed', primary: shown(p), candidate: shown(c) });
      if (!p.ok) f.notes.push(`${JQ}: jq expression ${i} failed on the primary response: ${p.error}`);
      if (!c.ok) f.notes.push(`${JQ}: jq expression ${i} failed on the candidate response: ${c.error}`);
    }
  }
  return true;
}
