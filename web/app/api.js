// The tenant's JSON API (docs/openapi.yaml) as seen from the browser. The tenant is addressed
// the way the page was: /t/SLUG/... by prefix, or the host name (base ''). Authentication is the
// HttpOnly session cookie set at login; writes send the CSRF token from the samverka_csrf cookie.
// Nothing is stored in localStorage.

// '/t/SLUG' when the page was addressed by prefix, else '' (host-addressed tenant).
export function detectBase(pathname = location.pathname) {
  const m = /^\/t\/([a-z][a-z0-9-]{1,39})(?=\/|$)/.exec(pathname);
  return m ? `/t/${m[1]}` : '';
}

export const base = detectBase();

// An error answered by the API ({"error":{"code","message"}}) or a network failure (status 0).
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'samverka_csrf') return decodeURIComponent(rest.join('='));
  }
  return '';
}

let onUnauthenticated = null;
// Called when a request (other than login) finds the session gone, so the app can show login.
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

// One API call: method, path under /api/v1 ('/news?scope=all'), optional JSON body.
// Resolves to the parsed JSON (null for 204); rejects with ApiError.
export async function api(method, path, body) {
  return send(method, path, body === undefined ? undefined : JSON.stringify(body),
    body === undefined ? null : 'application/json');
}

// Sends a file (a Blob) as the raw request body, as the document and photo endpoints take it.
export async function upload(method, path, blob, contentType) {
  return send(method, path, blob, contentType || 'application/octet-stream');
}

// The URL of an API resource for links the browser follows itself (downloads, exports, photos).
export function apiUrl(path) {
  return `${base}/api/v1${path}`;
}

async function send(method, path, payload, contentType) {
  const headers = { Accept: 'application/json' };
  if (contentType) headers['Content-Type'] = contentType;
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = csrfToken();
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res;
  try {
    res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = new ApiError(
      res.status,
      data?.error?.code ?? `http_${res.status}`,
      data?.error?.message ?? res.statusText,
    );
    if (res.status === 401 && path !== '/auth/login' && onUnauthenticated) onUnauthenticated(err);
    throw err;
  }
  return data;
}
