// The /v1 API with the operator's bearer token (kept in sessionStorage:
// gone when the tab closes, never in a URL or cookie).
const KEY = 'e4c2.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

// An API error, as the API returned it: {"error":{"code","message"}}.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  toString() {
    return `${this.status} ${this.code}: ${this.message}`;
  }
}

// A path segment, percent-encoded (a topic's '/' as %2F).
export const seg = (s) => encodeURIComponent(s);

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {}))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

async function call(method, path, body, type = 'application/json', tok = token.get()) {
  const headers = { Authorization: `Bearer ${tok || ''}`, Accept: 'application/json' };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = type;
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = json && json.error;
    const err = new ApiError(res.status, e ? e.code : 'error', e ? e.message : text || res.statusText);
    if (res.status === 401 && tok === token.get()) onUnauthorized(err);
    throw err;
  }
  return json;
}

export const api = {
  get: (path, params) => call('GET', path + query(params)),
  post: (path, body) => call('POST', path, body),
  put: (path, body) => call('PUT', path, body),
  del: (path, params) => call('DELETE', path + query(params)),
  raw: (method, path, body, type) => call(method, path, body, type),
  // Which token is this? {name, read_only}; with an explicit token (sign-in).
  whoami: (tok) => call('GET', '/v1/whoami', undefined, undefined, tok),
};
