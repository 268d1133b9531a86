/**
 * One sample: the request, the list of differences, and the primary and candidate
 * responses side by side with the differing parts of status, headers and body marked.
 */
import { breakable, html } from '../html.js';
import { useEffect, useState } from 'preact/hooks';
import { loadSample, NotFoundError } from '../api.js';
import { short, time } from '../format.js';
import { jsonLines, kindClass, parsePath, textLines } from './diffpath.js';
import { PageTitle } from './title.js';

const SYMBOL = { chg: '~', del: '−', add: '+', ord: '↕' };

/** Difference marks of one side: status kind, header kinds by name, body marks. @param {any[]} differences @param {'primary' | 'candidate'} side */
function sideMarks(differences, side) {
  /** @type {{ status?: string, headers: Map<string, string>, body: import('./diffpath.js').Mark[] }} */
  const marks = { headers: new Map(), body: [] };
  for (const d of differences) {
    const p = parsePath(d.path);
    if (p.root === 'status') marks.status = d.kind;
    else if (p.root === 'header' && p.name) marks.headers.set(p.name, d.kind);
    else if (p.root === 'body') marks.body.push({ segs: p.segs, kind: d.kind, value: d[side] });
  }
  return marks;
}

/**
 * How to show a body: JSON when the server says so (`bodyType`) or when it parses as JSON,
 * else text; `null` when there is nothing to show.
 * @param {any} side
 */
function bodyValue(side) {
  const { body, bodyType } = side;
  if (bodyType === 'json') return { json: true, value: body };
  if (bodyType && bodyType !== 'text') return null;
  if (body === undefined || body === null || body === '') return null;
  if (typeof body !== 'string') return { json: true, value: body };
  const t = body.trim();
  if (!bodyType && (t.startsWith('{') || t.startsWith('['))) {
    try {
      return { json: true, value: JSON.parse(t) };
    } catch {
      /* not JSON after all */
    }
  }
  return { json: false, value: body };
}

const NO_BODY = /** @type {Record<string, string>} */ ({ empty: 'No body.', binary: 'Binary body, not shown.', omitted: 'Body not kept.' });

/** @param {{ lines: import('./diffpath.js').Line[], cut: boolean, label: string }} props */
function Code({ lines, cut, label }) {
  return html`<pre class="code" tabindex="0" aria-label=${label}><code>${lines.map((l) => {
    const k = kindClass(l.kind);
    return html`<span class=${k ? `ln d-${k}` : 'ln'} data-mark=${k ? SYMBOL[k] : undefined}>${'  '.repeat(l.depth)}${l.parts.map((p) =>
      p.c === 'p' || p.c === 'txt' ? p.s : html`<span class=${`t-${p.c}`}>${p.s}</span>`,
    )}</span>`;
  })}${cut ? html`<span class="ln note">… cut here (too long to show)</span>` : null}</code></pre>`;
}

/** @param {{ side: any, marks: import('./diffpath.js').Mark[], label: string }} props */
function Body({ side, marks, label }) {
  const b = bodyValue(side);
  const notes = [side.note, side.truncated ? `Cut: ${side.size ?? '?'} bytes were received, the start is shown.` : null].filter(Boolean);
  const note = notes.length ? html`<p class="muted small">${notes.join(' ')}</p>` : null;
  if (!b) return html`<p class="muted">${NO_BODY[side.bodyType] ?? 'No body.'}</p>${note}`;
  const out = b.json ? jsonLines(b.value, marks) : textLines(String(b.value), marks);
  return html`${note}<${Code} lines=${out.lines} cut=${out.cut} label=${label} />`;
}

/** @param {{ headers: Record<string, string | string[]> | undefined, marks?: Map<string, string>, caption: string }} props */
function Headers({ headers, marks = new Map(), caption }) {
  const rows = Object.entries(headers ?? {});
  const changed = rows.filter(([n]) => marks.has(n.toLowerCase())).length;
  return html`<details class="headers" open=${changed > 0}>
    <summary>${caption} (${rows.length}${changed ? `, ${changed} differ` : ''})</summary>
    <div class="scroll" tabindex="0" role="region" aria-label=${caption}>
      <table class="kv">
        <thead class="sr-only"><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead>
        <tbody>${rows.map(([n, v]) => {
          const k = kindClass(marks.get(n.toLowerCase()));
          return html`<tr class=${k ? `d-${k}` : ''} data-mark=${k ? SYMBOL[k] : undefined}><th scope="row">${n}</th><td>${Array.isArray(v) ? v.join(', ') : v}</td></tr>`;
        })}</tbody>
      </table>
    </div>
  </details>`;
}

/** @param {{ name: string, side: any, marks: ReturnType<typeof sideMarks> }} props */
function Side({ name, side, marks }) {
  const k = kindClass(marks.status);
  return html`<section class="side" aria-label=${`${name} response`}>
    <h2>${name}</h2>
    ${side
      ? html`<p>Status <strong class=${k ? `status d-${k}` : 'status'} data-mark=${k ? SYMBOL[k] : undefined}>${side.status ?? '–'}</strong></p>
          <${Headers} headers=${side.headers} marks=${marks.headers} caption=${`${name} headers`} />
          <${Body} side=${side} marks=${marks.body} label=${`${name} body`} />`
      : html`<p class="muted">Not available for this sample.</p>`}
  </section>`;
}

/** @param {{ differences: any[] }} props */
function Differences({ differences }) {
  return html`<section aria-labelledby="diffs-h">
    <h2 id="diffs-h">Differences (${differences.length})</h2>
    <div class="scroll" tabindex="0" role="region" aria-label="Differences">
      <table class="diffs">
        <thead><tr><th scope="col">Path and kind</th><th scope="col">Primary</th><th scope="col">Candidate</th></tr></thead>
        <tbody>${differences.map((d) => html`<tr class=${`d-${kindClass(d.kind)}`}>
          <th scope="row"><code class="path">${breakable(d.path, '.')}</code> <span class="badge kind">${d.kind}</span></th>
          <td><code>${short(d.primary, 80)}</code></td><td><code>${short(d.candidate, 80)}</code></td>
        </tr>`)}</tbody>
      </table>
    </div>
    <p class="legend" aria-hidden="true"><span class="d-chg" data-mark="~">changed</span> <span class="d-del" data-mark="−">missing in candidate</span> <span class="d-add" data-mark="+">extra in candidate</span> <span class="d-ord" data-mark="↕">order</span></p>
  </section>`;
}

/**
 * The sample as listed with its field: by id, or by field key and position.
 * @param {any} endpoint @param {string | undefined} sampleId @param {string | undefined} fieldKey @param {number | undefined} index
 */
function findInline(endpoint, sampleId, fieldKey, index) {
  for (const f of endpoint?.fields ?? []) {
    if (sampleId === undefined && f.key === fieldKey) return { field: f, inline: f.samples?.[index ?? -1] };
    const s = sampleId === undefined ? undefined : f.samples?.find((/** @type {any} */ x) => x.id === sampleId);
    if (s) return { field: f, inline: s };
  }
  return { field: undefined, inline: undefined };
}

/**
 * The sample page. With a sample id the full responses come from the API; without one, or
 * when they are no longer kept, the values kept with the field's sample are shown.
 * @param {{ endpoint: any, sampleId?: string, fieldKey?: string, index?: number }} props
 */
export function SamplePage({ endpoint, sampleId, fieldKey, index }) {
  const [state, setState] = useState(/** @type {{ detail?: any, error?: string }} */ ({}));
  const { field, inline } = findInline(endpoint, sampleId, fieldKey, index);
  useEffect(() => {
    if (!sampleId) return;
    let live = true;
    setState({});
    loadSample(sampleId).then(
      (detail) => live && setState({ detail }),
      (err) => live && setState({ error: err instanceof NotFoundError ? 'The full responses of this sample are no longer kept.' : err.message }),
    );
    return () => void (live = false);
  }, [sampleId]);
  const fallback = (!sampleId || state.error) && inline;
  const detail =
    state.detail ??
    (fallback && { request: { method: inline.method, url: inline.url }, differences: [{ path: inline.path, kind: field.kind, primary: inline.primary, candidate: inline.candidate }] });
  const req = detail?.request;
  const at = detail?.at ?? inline?.at;
  const differences = detail?.differences ?? [];
  return html`<article class="page">
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Overview</a> <span aria-hidden="true">›</span>
      ${endpoint ? html`<a href=${`#/endpoints/${encodeURIComponent(endpoint.id)}`}>${endpoint.endpoint}</a> <span aria-hidden="true">›</span>` : null}
      <span aria-current="page">Sample</span></nav>
    <${PageTitle} text=${req ? `Sample: ${req.method} ${req.url}` : 'Sample'} />
    ${endpoint ? html`<p class="muted">Route ${endpoint.route}, candidate ${endpoint.candidate}${at ? `, at ${time(at)}` : ''}</p>` : null}
    ${state.error ? html`<p class=${fallback ? 'muted' : 'error'} role="alert">${state.error}${fallback ? ' The values kept with the field are shown.' : ''}</p>` : null}
    ${sampleId && !state.detail && !state.error ? html`<p class="muted" role="status">Loading the sample…</p>` : null}
    ${detail
      ? html`<${Differences} differences=${differences} />
        ${req?.headers ? html`<${Headers} headers=${req.headers} caption="Request headers" />` : null}
        <div class="sides">
          <${Side} name="Primary" side=${detail.primary} marks=${sideMarks(differences, 'primary')} />
          <${Side} name="Candidate" side=${detail.candidate} marks=${sideMarks(differences, 'candidate')} />
        </div>`
      : null}
  </article>`;
}
