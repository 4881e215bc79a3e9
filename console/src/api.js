// The one way the console talks to the API: `Authorization: Bearer <token>` from sessionStorage,
// JSON in and out, and every non-2xx answer thrown as an ApiError with the contract's fields.
const KEY = "customers-admin-token";

// A pasted token lives in the sessionStorage of the console tabs that use it, never on disk: a
// new tab (Ctrl+click, a typed address) asks the open ones for it over a BroadcastChannel, which
// only pages of this origin can join; a sign-out tells them all to forget it. docs/console.md,
// "Sign-in", says why not localStorage or a cookie.
let channel = null;
let onSignedOutElsewhere = () => {};
export function whenSignedOutElsewhere(fn) { onSignedOutElsewhere = fn; }

// Counts sign-ins and sign-outs: an answer to a request of an earlier session leaves no trace.
let generation = 0;
export const session = {
  get: () => sessionStorage.getItem(KEY),
  set: (token) => { generation += 1; sessionStorage.setItem(KEY, token); },
  clear: () => { generation += 1; sessionStorage.removeItem(KEY); sessionStorage.removeItem("customers-admin-d1-bookmark"); },
  // Signing out here signs out every console tab of this browser that holds a pasted token, so
  // none is left to hand it to the next new tab.
  signOut: () => { session.clear(); channel?.postMessage({ type: "signed-out" }); },
};

// Joins the console tabs' channel; called once by the console (main.js). The portal, which shares
// this module for ApiError, never joins.
export function shareSessionWithTabs() {
  if (channel || typeof BroadcastChannel !== "function") return;
  channel = new BroadcastChannel("customers-admin-session");
  channel.addEventListener("message", (e) => {
    const m = e.data || {};
    const token = session.get();
    if (m.type === "ask" && token) channel.postMessage({ type: "token", nonce: m.nonce, token });
    if (m.type === "signed-out" && token) { session.clear(); onSignedOutElsewhere(); }
  });
}

// The token an open console tab of this browser holds, or null when none answers within `ms`.
export function askOtherTabs(ms = 300) {
  if (!channel) return Promise.resolve(null);
  return new Promise((resolve) => {
    const nonce = crypto.randomUUID();
    const done = (token) => { clearTimeout(timer); channel.removeEventListener("message", hear); resolve(token); };
    const hear = (e) => { if (e.data?.type === "token" && e.data.nonce === nonce && typeof e.data.token === "string") done(e.data.token); };
    const timer = setTimeout(() => done(null), ms);
    channel.addEventListener("message", hear);
    channel.postMessage({ type: "ask", nonce });
  });
}

// Who is signed in (GET /v1/me): screens offer only the actions the caller's permissions allow.
let current = null;
export function setMe(me) { current = me; }
export const can = (permission) => Boolean(current?.permissions?.includes(permission));

// D1 read replication: the latest X-D1-Bookmark any answer carried is sent with every request,
// so a read after a write (this tab's, or a reload's) sees it even when a replica serves it.
// Bookmarks are fixed-width hex, so the larger string is the later one.
const BOOKMARK = "customers-admin-d1-bookmark";
function rememberBookmark(res) {
  const b = res.headers.get("x-d1-bookmark");
  const seen = sessionStorage.getItem(BOOKMARK);
  if (b && (!seen || b > seen)) sessionStorage.setItem(BOOKMARK, b);
}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

export class ApiError extends Error {
  constructor(status, body) {
    const e = body?.error ?? {};
    super(e.message || `the server answered ${status}`);
    this.status = status;
    this.code = e.code || "http_" + status;
    this.fields = e.fields || [];
    this.requestId = e.request_id;
    this.body = body;
  }
}

export async function api(method, path, { json, body, headers = {}, raw = false } = {}) {
  // Behind Cloudflare Access the browser's CF_Authorization cookie signs requests in; a pasted
  // token (the admin token or an API key) is sent as a bearer token instead.
  const token = session.get();
  const started = generation;
  const bookmark = sessionStorage.getItem(BOOKMARK);
  const h = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(bookmark ? { "x-d1-bookmark": bookmark } : {}), ...headers };
  if (json !== undefined) {
    h["content-type"] ??= "application/json";
    body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(path, { method, headers: h, body, cache: "no-store", credentials: "same-origin" });
  } catch {
    throw new ApiError(0, { error: { code: "network", message: "the server could not be reached; check your connection and try again" } });
  }
  // A request still under way when its session ended (signed out) must not store its bookmark
  // in the tab after the sign-out cleared it.
  if (started === generation) rememberBookmark(res);
  if (!res.ok) {
    let parsed;
    try { parsed = await res.json(); } catch { parsed = undefined; }
    if (res.status === 401 && token) onUnauthorized();
    const err = new ApiError(res.status, parsed);
    err.response = parsed;
    throw err;
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path) => api("GET", path);
export const post = (path, json) => api("POST", path, { json });

// Query string from an object, leaving out empty values.
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

// Every group, the built-in All first, following the list's pages.
async function everyGroup() {
  const groups = [];
  let cursor = "";
  do {
    const r = await get(`/v1/groups?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    groups.push(...r.data);
    cursor = r.has_more ? r.next_cursor : "";
  } while (cursor);
  return groups;
}

// Groups that customers can be put in: every group but the built-in All (every live customer).
export const joinable = (groups) => groups.filter((g) => !g.builtin);

// Groups are named everywhere the console shows them; one cached list serves every screen.
let groupsPromise = null;
const groupListeners = new Set();
export function loadGroups(force = false) {
  if (force || !groupsPromise) {
    groupsPromise = everyGroup().catch((e) => { groupsPromise = null; throw e; });
    groupsPromise.then((g) => groupListeners.forEach((fn) => fn(g)), () => {});
  }
  return groupsPromise;
}
export function onGroups(fn) { groupListeners.add(fn); return () => groupListeners.delete(fn); }

export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
