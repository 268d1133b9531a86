/** The overview cards (traffic, comparisons, drops, uptime) and the health of the mirror targets. */
import { html } from '../html.js';
import { duration, num, pct } from '../format.js';

/** @param {{ label: string, value: string, stat: string, sub?: any, tone?: string }} props */
function Card({ label, value, stat, sub, tone }) {
  return html`<div class=${`card${tone ? ` tone-${tone}` : ''}`} data-stat=${stat}>
    <dt>${label}</dt>
    <dd class="value">${value}</dd>
    ${sub ? html`<dd class="sub">${sub}</dd>` : null}
  </div>`;
}

/** @param {{ overview: any }} props */
export function Cards({ overview: o }) {
  const targets = o.targets ?? [];
  const hasDrops = targets.some((/** @type {any} */ t) => t.dropped != null);
  const dropped = targets.reduce((/** @type {number} */ n, /** @type {any} */ t) => n + (t.dropped ?? 0), 0);
  const dropList = targets.filter((/** @type {any} */ t) => t.dropped);
  return html`<section aria-labelledby="overview-h">
    <h2 id="overview-h" class="sr-only">Totals</h2>
    <dl class="cards">
      <${Card} stat="requests" label="Requests" value=${num(o.requests)} sub="through the proxy" />
      <${Card} stat="mirrored" label="Mirrored" value=${num(o.mirrored)} sub="copies sent to targets" />
      <${Card} stat="compared" label="Compared" value=${num(o.compared)} sub=${`${num(o.matches)} identical`} />
      <${Card} stat="regressions" label="Regressions" value=${num(o.regressions)} sub=${`${pct(o.regressions, o.compared)} of compared`} tone=${o.regressions > 0 ? 'bad' : 'good'} />
      <${Card} stat="noise" label="Noise" value=${num(o.noise)} sub="requests that differed only by noise" />
      <${Card} stat="errors" label="Errors" value=${num(o.errors)} sub=${`${num(o.skipped)} skipped`} tone=${o.errors > 0 ? 'warn' : undefined} />
      <${Card}
        stat="dropped"
        label="Dropped copies"
        value=${hasDrops ? num(dropped) : '–'}
        sub=${dropList.length ? dropList.map((/** @type {any} */ t) => `${t.target}: ${num(t.dropped)}`).join(', ') : 'none dropped'}
        tone=${dropped > 0 ? 'warn' : undefined}
      />
      <${Card} stat="uptime" label="Uptime" value=${duration(o.uptimeSeconds)} sub=${o.candidates?.length ? `candidates: ${o.candidates.join(', ')}` : undefined} />
    </dl>
  </section>`;
}

const CIRCUIT = /** @type {Record<string, string>} */ ({ closed: 'good', open: 'bad', 'half-open': 'warn', half_open: 'warn', halfOpen: 'warn' });

/** @param {{ state: string | undefined }} props */
function Circuit({ state }) {
  return html`<span class=${`badge tone-${CIRCUIT[state ?? ''] ?? 'warn'}`}>circuit ${state ?? 'unknown'}</span>`;
}

/** @param {{ targets: any[] }} props */
export function Targets({ targets }) {
  return html`<section aria-labelledby="targets-h">
    <h2 id="targets-h">Mirror targets</h2>
    ${targets.length === 0
      ? html`<p class="muted">No mirror targets are configured.</p>`
      : html`<div class="scroll" tabindex="0" role="region" aria-labelledby="targets-h">
          <table class="data targets">
            <thead><tr>
              <th scope="col">Target</th><th scope="col" class="n">OK</th><th scope="col" class="n">Errors</th>
              <th scope="col" class="n">Timeouts</th><th scope="col" class="n">Dropped</th><th scope="col" class="wide">Circuit</th>
            </tr></thead>
            <tbody>${targets.map((t) => html`<tr key=${`${t.route}/${t.target}`} data-target=${t.target}>
              <th scope="row">${t.target}<span class="muted small"> route ${t.route}</span><span class="narrow"><${Circuit} state=${t.circuit} /></span></th>
              <td class="n">${num(t.ok)}</td><td class="n">${num(t.error)}</td><td class="n">${num(t.timeout)}</td><td class="n">${num(t.dropped)}</td>
              <td class="wide"><${Circuit} state=${t.circuit} /></td>
            </tr>`)}</tbody>
          </table>
        </div>`}
  </section>`;
}
