// The admin console: sign-in, the layout (skip link, navigation) and the screens by address.
import { html } from "htm/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { askOtherTabs, get, loadGroups, session, setMe as setCaller, shareSessionWithTabs, whenSignedOutElsewhere, whenUnauthorized } from "./api.js";
import { parse, useRoute } from "./router.js";
import { ConfirmHost, ToastHost, Field, ErrorAlert, PageHeading } from "./ui.js";
import { CustomersPage, prefetchList } from "./pages/customers.js";
import { DashboardPage } from "./pages/dashboard.js";
import { CustomerPage } from "./pages/customer.js";
import { GroupsPage, GroupPage } from "./pages/groups.js";
import { ImportPage } from "./pages/import.js";
import { KeysPage } from "./pages/keys.js";
import { AuditPage } from "./pages/audit.js";
import { AdminsPage } from "./pages/admins.js";
import { WebhookPage, WebhooksPage } from "./pages/webhooks.js";

// Each screen and the permission it needs; the navigation shows what the caller may use.
const NAV = [
  ["/dashboard", "Dashboard", "customers:read"],
  ["/customers", "Customers", "customers:read"],
  ["/groups", "Groups", "customers:read"],
  ["/import", "Import", "customers:import"],
  ["/keys", "API keys", "keys:manage"],
  ["/audit", "Audit log", "audit:read"],
  ["/admins", "Admins", "admins:manage"],
  ["/webhooks", "Webhooks", "webhooks:manage"],
];

const whoLabel = (me) => (me.who.kind === "admin" ? `${me.who.email} (${me.who.role})` : me.who.kind === "api_key" ? `API key ${me.who.id?.slice(-8) || ""}` : "admin token");

function SignIn({ onSignedIn, notice }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) { setError({ field: "Paste the admin token or an API key." }); return; }
    setBusy(true);
    session.set(t);
    try {
      onSignedIn(await get("/v1/me"));
    } catch (err) {
      session.clear();
      setError({ api: err });
    } finally { setBusy(false); }
  };
  return html`<main id="main" class="signin">
    <form class="card" onSubmit=${submit} novalidate>
      <${PageHeading}>Sign in to the admin console<//>
      <p class="muted">Behind Cloudflare Access you are signed in already. Otherwise paste the admin token (ADMIN_TOKEN) or an API key:
        it is sent as <code>Authorization: Bearer</code> and kept in this browser's open console tabs only, never on disk.</p>
      ${notice && html`<div class="alert info" role="status">${notice}</div>`}
      <${ErrorAlert} error=${error?.api} />
      <${Field} label="API token" type="password" value=${token} onInput=${setToken} error=${error?.field} autocomplete="current-password" />
      <button class="primary" type="submit" disabled=${busy}>${busy ? "Checking…" : "Sign in"}</button>
    </form>
  </main>`;
}

function NotFound() {
  return html`<${PageHeading}>Page not found<//><p><a href="#/customers">Go to the customers</a></p>`;
}

function Screen({ route, me }) {
  const [first, second, third] = route.segments;
  // The console opens on the dashboard.
  if (first === "dashboard" || (!first && me.permissions.includes("customers:read"))) return html`<${DashboardPage} params=${route.params} />`;
  if (first === "customers" && second) return html`<${CustomerPage} id=${second} section=${third || "details"} />`;
  if (first === "customers" || !first) return html`<${CustomersPage} params=${route.params} />`;
  if (first === "groups" && second) return html`<${GroupPage} id=${second} />`;
  if (first === "groups") return html`<${GroupsPage} />`;
  if (first === "import") return html`<${ImportPage} />`;
  if (first === "keys") return html`<${KeysPage} />`;
  if (first === "audit") return html`<${AuditPage} params=${route.params} />`;
  if (first === "admins") return html`<${AdminsPage} me=${me} />`;
  if (first === "webhooks" && second) return html`<${WebhookPage} id=${second} />`;
  if (first === "webhooks") return html`<${WebhooksPage} />`;
  return html`<${NotFound} />`;
}

function App() {
  // me: undefined while asking /v1/me, null when signed out, else who the caller is.
  const [me, setMeState] = useState(undefined);
  const setMe = (who) => { setCaller(who); setMeState(who); };
  const [notice, setNotice] = useState(null);
  const route = useRoute();
  useEffect(() => {
    whenUnauthorized(() => { session.clear(); setNotice("You are signed out: the server did not accept the credential (401). Sign in again."); setMe(null); });
    whenSignedOutElsewhere(() => { setNotice("Signed out (in another tab)."); setMe(null); });
    mePromise.then(setMe, (err) => {
      if (err.code === "not_an_admin") setNotice(err.message);
      setMe(null);
    });
  }, []);
  const signedIn = Boolean(me);
  const signOut = () => { session.signOut(); setNotice("Signed out."); setMe(null); };
  if (me === undefined) return html`<p class="boot" role="status">Loading the console…</p>`;
  const may = (perm) => me.permissions.includes(perm);
  const section = route.segments[0] || "dashboard";
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to content</a>
    <header class="top">
      <span class="brand">Customers admin</span>
      ${signedIn && html`<nav aria-label="Main">
        <ul>${NAV.filter(([, , perm]) => may(perm)).map(([path, name]) => html`<li><a href=${`#${path}`} aria-current=${section === path.slice(1) ? "page" : undefined}>${name}</a></li>`)}</ul>
      </nav>
      <span class="who">Signed in as ${whoLabel(me)}</span>
      ${session.get() ? html`<button type="button" class="signout" onClick=${signOut}>Sign out</button>`
        : me.who.kind === "admin" && html`<a class="button" href="/cdn-cgi/access/logout">Sign out</a>`}`}
    </header>
    ${signedIn
      ? html`<main id="main" tabindex="-1"><${Screen} route=${route} me=${me} /></main>`
      : html`<${SignIn} notice=${notice} onSignedIn=${(who) => { setNotice(null); setMe(who); }} />`}
    <${ConfirmHost} />
    <${ToastHost} />`;
}

// Who is signed in: a token in this tab, the Cloudflare Access cookie, or a token another open
// console tab hands over (a customer opened in a new tab). Asked at once.
shareSessionWithTabs();
async function whoAmI() {
  if (session.get()) return get("/v1/me");
  const handed = askOtherTabs();
  try {
    return await get("/v1/me");
  } catch (err) {
    const token = await handed;
    if (err.status !== 401 || !token) throw err;
    session.set(token);
    try { return await get("/v1/me"); } catch (again) { session.clear(); throw again; }
  }
}
const mePromise = whoAmI();
mePromise.catch(() => {});
// Signed in already and opening the list: ask for it now too, not after the first render.
if (session.get()) {
  const first = parse();
  if (first.segments[0] === "customers" && !first.segments[1]) prefetchList(first.params);
  loadGroups().catch(() => {});
}

const root = document.getElementById("app");
root.textContent = ""; // the "Loading" placeholder of admin.html
render(html`<${App} />`, root);
