/** The page of one endpoint: its counters, the fields that differed and its latency. */
import { html } from '../html.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { markField } from '../api.js';
import { num, pct } from '../format.js';
import { FieldsPanel } from './fields.js';
import { LatencySection } from './latency.js';
import { PageTitle } from './title.js';

const MARK_TEXT = /** @type {Record<string, string>} */ ({ noise: 'marked as noise', ignored: 'ignored', none: 'unmarked' });

/** @param {{ endpoint: any, loaded: boolean, refresh: () => Promise<void> }} props */
export function EndpointPage({ endpoint: e, loaded, refresh }) {
  const [busy, setBusy] = useState(/** @type {string | null} */ (null));
  const [message, setMessage] = useState({ text: '', error: false });
  /** The key of a field just marked: it moved to another section, the focus follows it. */
  const refocus = useRef(/** @type {string | null} */ (null));
  useEffect(() => {
    if (!refocus.current || busy) return;
    const row = document.querySelector(`.field[data-key="${CSS.escape(refocus.current)}"]`);
    refocus.current = null;
    /** @type {HTMLElement | null | undefined} */ (row?.querySelector('.actions .mark') ?? row?.querySelector('.actions button'))?.focus();
  });
  if (!e) {
    return html`<article class="page">
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Overview</a></nav>
      <${PageTitle} text="Endpoint" />
      <p class="muted" role="status">${loaded ? 'This endpoint is not in the report (it may have been cleared).' : 'Loading…'}</p>
    </article>`;
  }
  const onMark = async (/** @type {any} */ f, /** @type {'noise' | 'ignored' | 'none'} */ mark) => {
    setBusy(f.key);
    try {
      await markField(e.id, f.key, mark);
      await refresh();
      setMessage({ text: `${f.path} ${MARK_TEXT[mark]}.`, error: false });
      refocus.current = f.key;
    } catch (err) {
      setMessage({ text: `Could not mark ${f.path}: ${/** @type {Error} */ (err).message}`, error: true });
    } finally {
      setBusy(null);
    }
  };
  return html`<article class="page">
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Overview</a> <span aria-hidden="true">›</span> <span aria-current="page">${e.endpoint}</span></nav>
    <${PageTitle} text=${e.endpoint} />
    <p class="muted">Route ${e.route}, candidate ${e.candidate}</p>
    <dl class="stats">
      <div><dt>Requests</dt><dd>${num(e.requests)}</dd></div>
      <div><dt>Compared</dt><dd>${num(e.compared)}</dd></div>
      <div><dt>Identical</dt><dd>${num(e.matches)}</dd></div>
      <div class=${e.regressions ? 'tone-bad' : ''}><dt>Regressions</dt><dd>${num(e.regressions)} <span class="small">(${pct(e.regressions, e.compared)})</span></dd></div>
      <div><dt>Errors</dt><dd>${num(e.errors)}</dd></div>
      <div><dt>Skipped</dt><dd>${num(e.skipped)}</dd></div>
    </dl>
    <p class=${message.error ? 'error' : 'notice'} role="status">${message.text}</p>
    <${FieldsPanel} endpoint=${e} busy=${busy} onMark=${onMark} />
    <${LatencySection} endpoints=${[e]} id="endpoint-latency" />
  </article>`;
}
