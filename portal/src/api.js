// The portal's one way to the API: the session cookie (HttpOnly: this code never sees it), JSON
// in and out, every non-2xx answer thrown as an ApiError with the contract's fields.
import { ApiError } from "../../console/src/api.js";

export { ApiError };

let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn; }

export async function api(method, path, json) {
  const headers = json === undefined ? {} : { "content-type": "application/json" };
  let res;
  try {
    res = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, { error: { code: "network", message: "the server could not be reached; check your connection and try again" } });
  }
  if (!res.ok) {
    let body;
    try { body = await res.json(); } catch { body = undefined; }
    if (res.status === 401 && !path.startsWith("/v1/portal/sign-in")) onSignedOut();
    throw new ApiError(res.status, body);
  }
  return res.status === 204 ? null : res.json();
}

export const get = (path) => api("GET", path);
export const post = (path, json) => api("POST", path, json);
