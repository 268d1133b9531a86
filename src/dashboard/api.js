/**
 * Access to the admin JSON API: the optional bearer token (kept in sessionStorage), typed
 * errors for 401 and 404, and the data the dashboard polls.
 */

const TOKEN_KEY = 'doppel.adminToken';

/** The API answered 401: the page asks for the admin token. */
export class AuthError extends Error {}
/** The API answered 404. */
export class NotFoundError extends Error {}

/** @returns {string | null} */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} token */
export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage unavailable: the token lasts until the page is reloaded */
  }
}

/**
 * Calls the admin API.
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, { method = 'GET', body } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (res.status === 401) throw new AuthError(token ? 'The admin token was rejected.' : 'The admin API needs a token.');
  if (res.status === 404) throw new NotFoundError(`${path} was not found`);
  const text = await res.text();
  /** @type {any} */
  let value = null;
  try {
    value = text ? JSON.parse(text) : null;
  } catch {
    if (res.ok) throw new Error(`${path}: the answer is not JSON`);
  }
  if (!res.ok) throw new Error(value?.message ?? `${path} answered ${res.status}`);
  return value;
}

/**
 * Gives every field its `key` (`path|kind`) and an effective
 * verdict: a field marked noise counts as noise, an ignored one is set apart.
 * @param {any[]} rows
 */
export function normalizeEndpoints(rows) {
  return rows.map((e) => ({
    ...e,
    id: String(e.id),
    fields: (e.fields ?? []).map((/** @type {any} */ f) => ({
      ...f,
      key: f.key ?? `${f.path}|${f.kind}`,
      effective: f.mark === 'ignored' ? 'ignored' : f.mark === 'noise' ? 'noise' : f.verdict,
    })),
  }));
}

/** Everything the main views show: the overview and the endpoint rows. */
export async function loadReport() {
  const [rows, overview] = await Promise.all([api('/api/v1/endpoints'), api('/api/v1/overview')]);
  return { endpoints: normalizeEndpoints(rows), overview };
}

/**
 * Marks a field of an endpoint.
 * @param {string} endpointId
 * @param {string} field the field key, `path|kind`
 * @param {'noise' | 'ignored' | 'none'} mark
 */
export function markField(endpointId, field, mark) {
  return api('/api/v1/fields/mark', { method: 'POST', body: { endpointId, field, mark } });
}

/** One sample with both responses. @param {string} id */
export function loadSample(id) {
  return api(`/api/v1/samples/${encodeURIComponent(id)}`);
}
