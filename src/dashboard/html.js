/** The `html` template tag: htm bound to preact's `h`. */
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
