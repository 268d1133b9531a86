/**
 * The dashboard: routes (`#/`, `#/endpoints/<id>`, `#/endpoints/<id>/samples/<id>`), the
 * report polled every 2 seconds while the tab is visible, and the admin token prompt.
 */
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { AuthError, getToken, loadReport, setToken } from './api.js';
import { EndpointPage } from './components/endpoint.js';
import { EndpointsTable } from './components/endpoints.js';
import { Header } from './components/header.js';
import { LatencySection } from './components/latency.js';
import { Cards, Targets } from './components/overview.js';
import { SamplePage } from './components/sample.js';
import { focusTitleNext, PageTitle } from './components/title.js';
import { TokenForm } from './components/token.js';

const POLL_MS = 2000;

/**
 * @typedef {{ page: 'overview' } | { page: 'endpoint', eid: string } | { page: 'sample', eid: string, sid?: string, fkey?: string, index?: number }} Route
 */

/** @param {string} hash @returns {Route} */
export function parseRoute(hash) {
  let parts;
  try {
    parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { page: 'overview' };
  }
  if (parts[0] !== 'endpoints' || !parts[1]) return { page: 'overview' };
  if (parts[2] === 'samples' && parts[3]) return { page: 'sample', eid: parts[1], sid: parts[3] };
  if (parts[2] === 'fields' && parts[3] && parts[4] === 'samples') return { page: 'sample', eid: parts[1], fkey: parts[3], index: Number(parts[5]) };
  return { page: 'endpoint', eid: parts[1] };
}

/** @param {{ report: { overview: any, endpoints: any[] } }} props */
function OverviewPage({ report }) {
  return html`<article class="page">
    <${PageTitle} text="Overview" />
    <${Cards} overview=${report.overview} />
    <${EndpointsTable} endpoints=${report.endpoints} />
    <${Targets} targets=${report.overview.targets ?? []} />
    <${LatencySection} endpoints=${report.endpoints} />
  </article>`;
}

function App() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  const [report, setReport] = useState(/** @type {{ overview: any, endpoints: any[] } | null} */ (null));
  const [updatedAt, setUpdatedAt] = useState(0);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [auth, setAuth] = useState(/** @type {null | 'needed' | 'rejected'} */ (null));
  const [paused, setPaused] = useState(false);
  const [hidden, setHidden] = useState(document.hidden);

  const refresh = useCallback(async () => {
    try {
      const next = await loadReport();
      setReport(next);
      setUpdatedAt(Date.now());
      setError(null);
      setAuth(null);
    } catch (err) {
      if (err instanceof AuthError) setAuth(getToken() ? 'rejected' : 'needed');
      else setError(/** @type {Error} */ (err).message);
    }
  }, []);

  useEffect(() => {
    const onHash = () => {
      focusTitleNext();
      setRoute(parseRoute(location.hash));
    };
    const onVisibility = () => setHidden(document.hidden);
    addEventListener('hashchange', onHash);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      removeEventListener('hashchange', onHash);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, []);

  // Poll while visible, not paused and not waiting for a token; one request at a time.
  useEffect(() => {
    if (paused || hidden || auth) return;
    let alive = true;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const tick = async () => {
      await refresh();
      if (alive) timer = setTimeout(tick, POLL_MS);
    };
    void tick();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [paused, hidden, auth, refresh]);

  const submitToken = (/** @type {string} */ token) => {
    setToken(token);
    setAuth(null);
  };
  const forget = () => {
    setToken(null);
    setReport(null);
    setAuth('needed');
  };

  const endpoint = route.page === 'overview' ? null : report?.endpoints.find((e) => e.id === route.eid);
  let page;
  if (auth) page = html`<${TokenForm} rejected=${auth === 'rejected'} onSubmit=${submitToken} />`;
  else if (!report)
    page = html`<article class="page"><${PageTitle} text="Overview" />${error
      ? html`<p class="error" role="alert">Cannot load the report: ${error}</p>`
      : html`<p class="muted" role="status">Loading the report…</p>`}</article>`;
  else if (route.page === 'overview') page = html`<${OverviewPage} report=${report} />`;
  else if (route.page === 'endpoint') page = html`<${EndpointPage} key=${route.eid} endpoint=${endpoint} loaded=${true} refresh=${refresh} />`;
  else page = html`<${SamplePage} key=${location.hash} endpoint=${endpoint} sampleId=${route.sid} fieldKey=${route.fkey} index=${route.index} />`;

  const skip = (/** @type {Event} */ ev) => {
    ev.preventDefault();
    document.getElementById('main')?.focus();
  };
  return html`<a class="skip" href="#main" onClick=${skip}>Skip to content</a>
    <${Header} updatedAt=${updatedAt} paused=${paused} hidden=${hidden} failing=${!!error && !!report} onPause=${() => setPaused((p) => !p)} hasToken=${!!getToken()} onForget=${forget} />
    <main id="main" tabindex="-1">
      ${error && report ? html`<p class="error banner" role="status">Cannot reach the admin API (${error}); showing the last report.</p>` : null}
      ${page}
    </main>
    <footer class="foot small muted">
      doppel${getToken() ? ' · the JSON API is under /api/v1' : html` · <a href="/metrics">Prometheus metrics</a> · <a href="/api/v1/endpoints">report as JSON</a>`}
    </footer>`;
}

render(html`<${App} />`, /** @type {HTMLElement} */ (document.getElementById('app')));
