// Addresses live in the hash (/admin#/customers?q=ada&tab=deleted), so the page is one static
// file, every screen has a link that can be shared, and reload and Back keep the place.
import { useEffect, useState } from "preact/hooks";

export function parse() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, segments: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

export function href(path, params = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

// Each history entry keeps its scroll position in its state, so Back and a reload can bring a
// screen back where it was once its rows are on screen (`restoreScroll`): the browser's own
// restoration runs before they arrive, when the page is still short.
history.scrollRestoration = "manual";
const keepScroll = () => history.replaceState({ ...history.state, scroll: window.scrollY }, "");
let scrollTimer;
addEventListener("scroll", () => { clearTimeout(scrollTimer); scrollTimer = setTimeout(keepScroll, 100); }, { passive: true });
// Leaving an entry by a link: its position is recorded before the browser adds the next entry.
document.addEventListener("click", (e) => { if (e.target.closest?.("a[href^='#']")) keepScroll(); }, true);
// The position to go back to, for the entry Back (or a reload) has just shown.
let pending = history.state?.scroll > 0 ? { hash: location.hash, y: history.state.scroll } : null;
addEventListener("popstate", (e) => { pending = e.state?.scroll > 0 ? { hash: location.hash, y: e.state.scroll } : null; });

// Called by a screen once its content is rendered: scrolls to where its entry was left.
export function restoreScroll() {
  if (pending?.hash === location.hash) window.scrollTo(0, pending.y);
  pending = null;
}

export function navigate(to, { replace = false } = {}) {
  if (to === location.hash) return;
  if (replace) history.replaceState(null, "", to);
  else { keepScroll(); history.pushState(null, "", to); }
  pending = null;
  window.dispatchEvent(new Event("routechange"));
}

export function useRoute() {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const update = () => setRoute(parse());
    for (const ev of ["hashchange", "popstate", "routechange"]) addEventListener(ev, update);
    return () => { for (const ev of ["hashchange", "popstate", "routechange"]) removeEventListener(ev, update); };
  }, []);
  return route;
}

// The list's address, remembered so a customer page can link back to the same view.
let lastList = "#/customers";
export const listAddress = { get: () => lastList, set: (h) => { lastList = h; } };
