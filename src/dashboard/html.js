/** The `html` template tag (htm bound to preact's `h`) and small markup helpers. */
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

/**
 * Text that may wrap after each `sep` (a path at `.`, a URL at `/`) rather than inside a name.
 * @param {string} text @param {string} sep
 */
export function breakable(text, sep) {
  return String(text).split(sep).flatMap((part, i) => (i === 0 ? [part] : [html`${sep}<wbr />`, part]));
}
