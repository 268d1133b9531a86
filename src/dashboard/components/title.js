/**
 * The heading of a page. After a navigation inside the dashboard it takes the focus, so
 * keyboard and screen reader users start reading at the new page; it also names the tab.
 */
import { html } from '../html.js';
import { useEffect, useRef } from 'preact/hooks';

let focusNext = false;

/** Asks the next page heading that mounts or changes to take the focus. */
export function focusTitleNext() {
  focusNext = true;
}

/** @param {{ text: string }} props */
export function PageTitle({ text }) {
  const ref = useRef(/** @type {HTMLHeadingElement | null} */ (null));
  useEffect(() => {
    document.title = `${text} · doppel`;
    if (focusNext && ref.current) {
      focusNext = false;
      ref.current.focus();
    }
  }, [text]);
  return html`<h1 id="page-title" class="page-title" tabindex="-1" ref=${ref}>${text}</h1>`;
}
