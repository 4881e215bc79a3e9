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

export function navigate(to, { replace = false } = {}) {
  if (to === location.hash) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
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
