/**
 * The fields of one endpoint that differed, as a tree of path segments, split by verdict
 * (regressions, noise, ignored), with raw and noise counts, samples and mark actions.
 */
import { html } from '../html.js';
import { useState } from 'preact/hooks';
import { num, short, time } from '../format.js';

const QUOTED_KEY = /^\["(?:[^"\\]|\\.)*"\]$/;

/**
 * Splits a field path into the segments shown in the tree: `body.items[*].id` gives
 * `body`, `items[*]`, `id`; a quoted key (`["a.b"]`) is a segment of its own.
 * @param {string} path
 */
export function displaySegments(path) {
  /** @type {string[]} */
  const out = [];
  let cur = '';
  for (let i = 0; i < path.length; ) {
    const c = path[i];
    if (c === '.') {
      if (cur) out.push(cur);
      cur = '';
      i++;
    } else if (c === '[') {
      let j = i + 1;
      while (j < path.length && path[j] !== ']') {
        if (path[j] === '"') for (j++; j < path.length && path[j] !== '"'; ) j += path[j] === '\\' ? 2 : 1;
        j++;
      }
      const tok = path.slice(i, j + 1);
      if (QUOTED_KEY.test(tok)) {
        if (cur) out.push(cur);
        cur = tok;
      } else cur += tok;
      i = j + 1;
    } else {
      cur += c;
      i++;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** @typedef {{ name: string, children: Map<string, TreeNode>, fields: any[] }} TreeNode */

/** @param {any[]} fields @returns {TreeNode} */
export function buildTree(fields) {
  /** @type {TreeNode} */
  const root = { name: '', children: new Map(), fields: [] };
  for (const f of fields) {
    let node = root;
    for (const seg of displaySegments(f.path)) {
      let next = node.children.get(seg);
      if (!next) node.children.set(seg, (next = { name: seg, children: new Map(), fields: [] }));
      node = next;
    }
    node.fields.push(f);
  }
  return root;
}

/** @param {TreeNode} n @returns {number} */
const countFields = (n) => n.fields.length + [...n.children.values()].reduce((s, c) => s + countFields(c), 0);

const VERDICT = /** @type {Record<string, [string, string]>} */ ({ regression: ['Regression', 'bad'], noise: ['Noise', 'warn'], ignored: ['Ignored', 'quiet'] });

/**
 * @typedef {{ endpointId: string, busy: string | null, open: Set<string>, onToggle: (key: string) => void, onMark: (f: any, mark: string) => void }} Ctx
 */

/** @param {{ f: any, name: string, ctx: Ctx }} props */
function FieldRow({ f, name, ctx }) {
  const [label, tone] = VERDICT[f.effective] ?? VERDICT.noise;
  const open = ctx.open.has(f.key);
  const listId = `samples-${f.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const busy = ctx.busy === f.key;
  const samples = f.samples ?? [];
  return html`<div class="field" data-key=${f.key} data-field=${f.path} data-kind=${f.kind} data-verdict=${f.effective}>
    <div class="field-main">
      <code class="seg" title=${f.path}>${name}</code>
      <span class="badge kind">${f.kind}</span>
      <span class=${`badge tone-${tone}`}>${label}${f.mark ? ' (marked)' : ''}</span>
      <span class="counts"><span title="requests where primary and candidate differed">${num(f.differences)} raw</span> · <span title="requests where primary and secondary differed">${num(f.noise)} noise</span></span>
    </div>
    <div class="actions">
      <button type="button" aria-expanded=${open ? 'true' : 'false'} aria-controls=${listId} aria-label=${`Samples (${samples.length}): ${f.path}`} onClick=${() => ctx.onToggle(f.key)} disabled=${samples.length === 0}>
        Samples (${samples.length})
      </button>
      ${f.mark
        ? html`<button type="button" class="mark" disabled=${busy} aria-label=${`Unmark: ${f.path}`} onClick=${() => ctx.onMark(f, 'none')}>Unmark</button>`
        : html`<button type="button" class="mark" disabled=${busy} aria-label=${`Mark as noise: ${f.path}`} onClick=${() => ctx.onMark(f, 'noise')}>Mark as noise</button>
            <button type="button" disabled=${busy} aria-label=${`Ignore: ${f.path}`} onClick=${() => ctx.onMark(f, 'ignored')}>Ignore</button>`}
    </div>
    ${open
      ? html`<ol class="samples" id=${listId} aria-label=${`Samples of ${f.path}`}>${samples.map((/** @type {any} */ s, /** @type {number} */ i) => {
          const target = s.id != null ? `samples/${encodeURIComponent(s.id)}` : `fields/${encodeURIComponent(f.key)}/samples/${i}`;
          return html`<li key=${s.id ?? i}>
            <a href=${`#/endpoints/${encodeURIComponent(ctx.endpointId)}/${target}`}>${s.method} ${s.url}</a>
            <span class="small"><code>${s.path}</code>: <code>${short(s.primary, 40)}</code> → <code>${short(s.candidate, 40)}</code></span>
            <span class="muted small">${time(s.at)}</span>
          </li>`;
        })}</ol>`
      : null}
  </div>`;
}

/** @param {{ node: TreeNode, ctx: Ctx }} props */
function Node({ node, ctx }) {
  const rows = node.fields.map((f) => html`<${FieldRow} key=${f.key} f=${f} name=${node.name} ctx=${ctx} />`);
  if (node.children.size === 0) return html`<li>${rows}</li>`;
  return html`<li>
    <details open>
      <summary><code class="seg">${node.name}</code> <span class="muted small">${countFields(node)} field${countFields(node) === 1 ? '' : 's'}</span></summary>
      ${rows}
      <${Children} node=${node} ctx=${ctx} />
    </details>
  </li>`;
}

/** @param {{ node: TreeNode, ctx: Ctx }} props */
function Children({ node, ctx }) {
  return html`<ul class="tree">${[...node.children.values()].map((c) => html`<${Node} key=${c.name} node=${c} ctx=${ctx} />`)}</ul>`;
}

const SECTIONS = /** @type {const} */ ([
  ['regression', 'Regressions', 'Fields that differ more between primary and candidate than between two primaries.'],
  ['noise', 'Noise', 'Fields that differ as much between two primaries: timestamps, generated ids, ordering.'],
  ['ignored', 'Ignored', 'Fields marked as ignored.'],
]);

/** @param {{ endpoint: any, busy: string | null, onMark: (f: any, mark: string) => void }} props */
export function FieldsPanel({ endpoint, busy, onMark }) {
  const [open, setOpen] = useState(() => new Set(/** @type {string[]} */ ([])));
  const onToggle = (/** @type {string} */ key) =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  /** @type {Ctx} */
  const ctx = { endpointId: endpoint.id, busy, open, onToggle, onMark };
  if (endpoint.fields.length === 0) return html`<section><h2>Fields</h2><p class="muted">No field differed on this endpoint.</p></section>`;
  return html`${SECTIONS.map(([verdict, title, help]) => {
    const fields = endpoint.fields.filter((/** @type {any} */ f) => f.effective === verdict);
    if (verdict === 'ignored' && fields.length === 0) return null;
    return html`<section class=${`fields fields-${verdict}`} aria-labelledby=${`fields-${verdict}-h`} key=${verdict}>
      <h2 id=${`fields-${verdict}-h`}>${title} <span class="count">(${fields.length})</span></h2>
      <p class="muted small">${help}</p>
      ${fields.length ? html`<${Children} node=${buildTree(fields)} ctx=${ctx} />` : html`<p class="muted">None.</p>`}
    </section>`;
  })}`;
}
