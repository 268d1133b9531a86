/** The endpoints table: one row per route, candidate and endpoint, sortable. */
import { breakable, html } from '../html.js';
import { useState } from 'preact/hooks';
import { num, pct, rate } from '../format.js';

/** @typedef {'endpoint' | 'requests' | 'regressions' | 'rate'} SortKey */

/** @type {Record<SortKey, { label: string, value: (e: any) => number | string }>} */
const COLUMNS = {
  endpoint: { label: 'Endpoint', value: (e) => e.endpoint },
  requests: { label: 'Requests', value: (e) => e.requests },
  regressions: { label: 'Regressions', value: (e) => e.regressions },
  rate: { label: 'Regression rate', value: rate },
};

/**
 * Sorts endpoint rows; ties by requests then name.
 * @param {any[]} rows @param {SortKey} key @param {'ascending' | 'descending'} dir
 */
export function sortEndpoints(rows, key, dir) {
  const v = COLUMNS[key].value;
  const sign = dir === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = v(a);
    const y = v(b);
    const c = typeof x === 'string' ? x.localeCompare(String(y)) : x - Number(y);
    return c * sign || b.requests - a.requests || String(a.endpoint).localeCompare(b.endpoint);
  });
}

/** @param {{ k: SortKey, sort: { key: SortKey, dir: string }, onSort: (k: SortKey) => void, cls?: string }} props */
function SortHeader({ k, sort, onSort, cls }) {
  const active = sort.key === k;
  return html`<th scope="col" class=${cls} aria-sort=${active ? sort.dir : 'none'}>
    <button type="button" class="sort" onClick=${() => onSort(k)}>
      ${COLUMNS[k].label}<span class="arrow" aria-hidden="true">${active ? (sort.dir === 'ascending' ? '▲' : '▼') : '↕'}</span>
    </button>
  </th>`;
}

/** @param {{ endpoints: any[] }} props */
export function EndpointsTable({ endpoints }) {
  const [sort, setSort] = useState(/** @type {{ key: SortKey, dir: 'ascending' | 'descending' }} */ ({ key: 'rate', dir: 'descending' }));
  const onSort = (/** @type {SortKey} */ key) =>
    setSort((s) => ({ key, dir: s.key === key ? (s.dir === 'descending' ? 'ascending' : 'descending') : key === 'endpoint' ? 'ascending' : 'descending' }));
  const rows = sortEndpoints(endpoints, sort.key, sort.dir);
  return html`<section aria-labelledby="endpoints-h">
    <h2 id="endpoints-h">Endpoints</h2>
    ${rows.length === 0
      ? html`<p class="muted">Nothing compared yet: send traffic through the proxy to a route with a shadow candidate.</p>`
      : html`<div class="scroll" tabindex="0" role="region" aria-labelledby="endpoints-h">
          <table class="data endpoints">
            <caption class="sr-only">Endpoints, sorted by ${COLUMNS[sort.key].label.toLowerCase()}, ${sort.dir}</caption>
            <thead><tr>
              <${SortHeader} k="endpoint" sort=${sort} onSort=${onSort} />
              <th scope="col" class="wide">Candidate</th>
              <${SortHeader} k="requests" sort=${sort} onSort=${onSort} cls="n" />
              <th scope="col" class="n wide">Compared</th>
              <${SortHeader} k="regressions" sort=${sort} onSort=${onSort} cls="n wide" />
              <${SortHeader} k="rate" sort=${sort} onSort=${onSort} cls="n" />
              <th scope="col" class="n wide">Fields</th>
              <th scope="col" class="n wide">Errors</th>
            </tr></thead>
            <tbody>${rows.map((e) => {
              const bad = e.fields.filter((/** @type {any} */ f) => f.effective === 'regression').length;
              return html`<tr key=${e.id} data-endpoint=${e.id}>
                <th scope="row"><a href=${`#/endpoints/${encodeURIComponent(e.id)}`}>${breakable(e.endpoint, '/')}</a><span class="muted small narrow"> ${e.candidate}</span></th>
                <td class="wide">${e.candidate}<span class="muted small"> route ${e.route}</span></td>
                <td class="n" data-col="requests">${num(e.requests)}</td>
                <td class="n wide">${num(e.compared)}</td>
                <td class="n wide" data-col="regressions">${num(e.regressions)}</td>
                <td class="n" data-col="rate"><span class=${e.regressions ? 'rate bad' : 'rate'}>${pct(e.regressions, e.compared)}</span></td>
                <td class="n wide">${bad ? html`<span class="badge tone-bad">${bad} regression${bad === 1 ? '' : 's'}</span>` : null} ${e.fields.length - bad ? html`<span class="badge">${e.fields.length - bad} other</span>` : null}</td>
                <td class="n wide">${num(e.errors)}</td>
              </tr>`;
            })}</tbody>
          </table>
        </div>`}
  </section>`;
}
