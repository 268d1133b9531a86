/**
 * `${NAME}` and `${NAME:-default}` interpolation of environment variables in the string
 * values of a parsed YAML document (keys are left alone). `$${` writes a literal `${`.
 * An unquoted value that becomes a number or `true`/`false` is read as one, so
 * `port: ${PORT}` gives a number; quote the value to keep a string.
 */
import { Scalar, visit, type Document } from 'yaml';

/** A variable that is not set and has no default, at a character offset of the source. */
export interface EnvProblem {
  offset: number;
  message: string;
}

const EXPR = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${...}` expressions in one string. `onError` receives the index of the bad
 * expression in `text` and a message; the expression is then replaced by nothing.
 */
export function interpolateString(
  text: string,
  env: Record<string, string | undefined>,
  onError: (index: number, message: string) => void,
): string {
  return text.replace(EXPR, (match, body: string | undefined, index: number) => {
    if (match === '$${') return '${';
    if (body === undefined) {
      onError(index, `unterminated "\${" in ${JSON.stringify(text)}; write $\${ for a literal \${`);
      return match;
    }
    const sep = body.indexOf(':-');
    const name = (sep === -1 ? body : body.slice(0, sep)).trim();
    if (!NAME.test(name)) {
      onError(index, `invalid environment variable reference "${match}"; use \${NAME} or \${NAME:-default}`);
      return '';
    }
    const value = env[name];
    if (sep !== -1) return value === undefined || value === '' ? body.slice(sep + 2) : value;
    if (value === undefined) {
      onError(index, `environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
      return '';
    }
    return value;
  });
}

/** Re-types an interpolated unquoted value the way YAML would have read it. */
function retype(value: string): string | number | boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(value)) return Number(value);
  return value;
}

/**
 * Interpolates every string value of `doc` in place and returns the problems found, with
 * the offset of each bad expression in the source where it can be known exactly.
 */
export function interpolateDocument(
  doc: Document,
  env: Record<string, string | undefined>,
  source: string,
): EnvProblem[] {
  const problems: EnvProblem[] = [];
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const text = node.value;
      const base = valueOffset(node, source);
      const out = interpolateString(text, env, (index, message) => {
        problems.push({ offset: base === null ? (node.range?.[0] ?? 0) : base + index, message });
      });
      node.value = node.type === Scalar.PLAIN ? retype(out) : out;
    },
  });
  return problems;
}

/** Offset of the first character of a scalar's value in the source, when it maps 1:1. */
function valueOffset(node: Scalar, source: string): number | null {
  if (!node.range) return null;
  const [start, end] = node.range;
  const raw = source.slice(start, end);
  const value = String(node.value);
  if (node.type === Scalar.PLAIN && raw === value) return start;
  if ((node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) && raw.slice(1, -1) === value) {
    return start + 1;
  }
  return null;
}
