/**
 * The latency chart: per endpoint, primary against candidate at p50, p90 and p99, as
 * inline SVG bars with their values, plus the candidate/primary ratios.
 */
import { html } from '../html.js';
import { useState } from 'preact/hooks';

const Q = /** @type {const} */ (['p50', 'p90', 'p99']);
const W = 320;
const H = 172;
const TOP = 20;
const BOTTOM = 24;
const BAR = 32;

/** @param {number | null | undefined} v */
const label = (v) => (v == null ? '–' : v < 10 ? v.toFixed(1) : String(Math.round(v)));

/** @param {number | null | undefined} r */
const ratio = (r) => (r == null ? '–' : `×${r.toFixed(2)}`);

/** @param {{ e: any, measure: 'total' | 'ttfb', index: number }} props */
function EndpointChart({ e, measure, index }) {
  const p = e.latency?.primary?.[measure] ?? {};
  const c = e.latency?.candidate?.[measure] ?? {};
  const max = Math.max(1e-9, ...Q.flatMap((q) => [p[q] ?? 0, c[q] ?? 0]));
  const scale = (/** @type {number | null | undefined} */ v) => ((v ?? 0) / max) * (H - TOP - BOTTOM);
  const desc = Q.map((q) => `${q}: primary ${label(p[q])} ms, candidate ${label(c[q])} ms`).join('; ');
  const hatch = `hatch-${index}`;
  const r = e.latency?.ratio ?? {};
  const slow = (r.p99 ?? 0) > 1.2 || (r.p50 ?? 0) > 1.2;
  return html`<figure class="chart" data-endpoint=${e.id}>
    <figcaption><strong>${e.endpoint}</strong> <span class="muted small">${e.candidate}, ${p.count ?? 0} measured</span></figcaption>
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`${e.endpoint}, ${measure === 'ttfb' ? 'time to first byte' : 'total time'}. ${desc}`} focusable="false">
      <defs>
        <pattern id=${hatch} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect class="bar-c" width="6" height="6" />
          <line class="hatch" x1="0" y1="0" x2="0" y2="6" />
        </pattern>
      </defs>
      <line class="axis" x1="8" x2=${W - 8} y1=${H - BOTTOM} y2=${H - BOTTOM} />
      ${Q.map((q, i) => {
        const cx = (W / 3) * i + W / 6;
        const hp = scale(p[q]);
        const hc = scale(c[q]);
        const base = H - BOTTOM;
        return html`<g key=${q}>
          <rect class="bar-p" x=${cx - BAR - 2} y=${base - hp} width=${BAR} height=${hp} />
          <rect fill=${`url(#${hatch})`} class="bar-c-outline" x=${cx + 2} y=${base - hc} width=${BAR} height=${hc} />
          <text class="val" x=${cx - BAR / 2 - 2} y=${base - hp - 5} text-anchor="middle">${label(p[q])}</text>
          <text class="val" x=${cx + BAR / 2 + 2} y=${base - hc - 5} text-anchor="middle">${label(c[q])}</text>
          <text class="q" x=${cx} y=${H - 7} text-anchor="middle">${q}</text>
        </g>`;
      })}
    </svg>
    <p class=${`small ratio${slow ? ' slow' : ''}`}>Candidate / primary (total): p50 ${ratio(r.p50)}, p90 ${ratio(r.p90)}, p99 ${ratio(r.p99)}${slow ? ' (slower)' : ''}</p>
  </figure>`;
}

/** @param {{ endpoints: any[], id?: string }} props */
export function LatencySection({ endpoints, id = 'latency' }) {
  const [measure, setMeasure] = useState(/** @type {'total' | 'ttfb'} */ ('total'));
  const shown = endpoints.filter((e) => (e.latency?.primary?.total?.count ?? 0) > 0);
  return html`<section aria-labelledby=${`${id}-h`} class="latency">
    <div class="section-head">
      <h2 id=${`${id}-h`}>Latency</h2>
      <label class="inline">Measure
        <select value=${measure} onChange=${(/** @type {any} */ ev) => setMeasure(ev.currentTarget.value)}>
          <option value="total">Total time</option>
          <option value="ttfb">Time to first byte</option>
        </select>
      </label>
    </div>
    <p class="legend small"><span class="swatch swatch-p" aria-hidden="true"></span> Primary <span class="swatch swatch-c" aria-hidden="true"></span> Candidate (hatched), in milliseconds</p>
    ${shown.length === 0
      ? html`<p class="muted">No latency measured yet.</p>`
      : html`<div class="charts">${shown.map((e, i) => html`<${EndpointChart} key=${e.id} e=${e} measure=${measure} index=${i} />`)}</div>`}
  </section>`;
}
