/** The form asking for the admin token when the API answers 401. */
import { html } from '../html.js';
import { useEffect, useRef, useState } from 'preact/hooks';

/** @param {{ rejected: boolean, onSubmit: (token: string) => void }} props */
export function TokenForm({ rejected, onSubmit }) {
  const [value, setValue] = useState('');
  const input = useRef(/** @type {HTMLInputElement | null} */ (null));
  useEffect(() => input.current?.focus(), [rejected]);
  const submit = (/** @type {Event} */ ev) => {
    ev.preventDefault();
    if (value.trim()) onSubmit(value.trim());
  };
  return html`<section class="page token" aria-labelledby="token-h">
    <h1 id="token-h">Admin token required</h1>
    <p>This doppel instance protects its admin API with a token (<code>admin.token</code> in the configuration, or <code>DOPPEL_ADMIN_TOKEN</code>). It is kept in this tab only.</p>
    ${rejected ? html`<p class="error" role="alert">The token was rejected. Check it and try again.</p>` : null}
    <form onSubmit=${submit}>
      <label for="token-input">Admin token</label>
      <div class="row">
        <input id="token-input" ref=${input} type="password" autocomplete="off" spellcheck="false" required value=${value} onInput=${(/** @type {any} */ ev) => setValue(ev.currentTarget.value)} />
        <button type="submit" class="primary">Use token</button>
      </div>
    </form>
  </section>`;
}
