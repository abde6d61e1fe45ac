// The engine's REST API, as any integration uses it: JSON in and out, the session cookie
// (sent by the browser, HttpOnly) plus the CSRF token on every state change.

let csrfToken = "";
const expiredListeners = [];

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `http_${status}`;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || "";
}

/** Called with the error when the session has ended (expired, signed out elsewhere). */
export function onSessionEnded(listener) {
  expiredListeners.push(listener);
}

/** Call the API; resolves with the decoded JSON (null for an empty answer). */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network", "The engine cannot be reached. Check your connection.");
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data && data.error, data && data.message);
    if (response.status === 401 && path !== "/api/session") {
      for (const listener of expiredListeners) listener(error);
    }
    throw error;
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}) => api("POST", path, body);
export const put = (path, body) => api("PUT", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);
