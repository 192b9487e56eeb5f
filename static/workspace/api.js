/* The workspace's only way to read and write: the JSON API under /api/ (session + CSRF token).
 * A refusal becomes an Error with the server's message (already in the operator's language). */
import { T } from "./i18n.js";

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = csrfToken();
    options.body = JSON.stringify(body);
  } else if (method !== "GET") {
    options.headers["X-CSRFToken"] = csrfToken();
  }
  const response = await fetch("/api" + path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((data.error && data.error.message) || T.error);
    error.code = data.error && data.error.code;
    error.status = response.status;
    throw error;
  }
  return data;
}
