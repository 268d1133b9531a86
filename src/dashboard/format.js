/** Formatting of numbers, rates, durations and times for display. */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** @param {number | null | undefined} n */
export const num = (n) => (n == null ? '–' : integer.format(n));

/** A share as a percentage. @param {number} part @param {number} whole */
export function pct(part, whole) {
  if (!whole) return '–';
  const p = (part * 100) / whole;
  return `${p > 0 && p < 0.1 ? '<0.1' : decimal.format(p)} %`;
}

/** Milliseconds. @param {number | null | undefined} ms */
export function ms(ms) {
  if (ms == null) return '–';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${integer.format(ms)} ms`;
}

/** An uptime. @param {number | null | undefined} s */
export function duration(s) {
  if (s == null) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A time of day. @param {number} at epoch ms */
export const time = (at) => new Date(at).toLocaleTimeString();

/** A short JSON rendering of a value, for one-line lists. @param {unknown} v */
export function short(v, max = 60) {
  if (v === undefined) return '(absent)';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A regression rate: regressions per compared request (0 when nothing was compared). @param {any} e */
export const rate = (e) => (e.compared ? e.regressions / e.compared : 0);
