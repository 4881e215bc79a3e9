// The customer portal (/portal): customer users sign in with an emailed link (or their
// activation link), then see the organisations they act for, each with its sub-customers, and,
// as managers, edit them and invite their colleagues. Addresses are hash routes:
// #token=... (an emailed sign-in link), #activate=... (an activation link), #/customers/<id>.
import { html } from "htm/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ConfirmHost, ErrorAlert, Field, fieldErrors, Loading, PageHeading, ToastHost, toast } from "../../console/src/ui.js";
import { get, post, whenSignedOut } from "./api.js";
import { CustomerPage } from "./customer.js";

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

export const navigate = (path) => { location.hash = path; };

function SignIn({ notice }) {
  const [email, setEmail] = useState("");
  const [sentTo, setSentTo] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try { await post("/v1/portal/sign-in", { email }); setSentTo(email); } catch (err) { setError(err); } finally { setBusy(false); }
  };
  if (sentTo) {
    return html`<main id="main" class="narrow" tabindex="-1"><${PageHeading}>Check your email<//>
      <p>If ${sentTo} may use this portal, a sign-in link is on its way. It works once, for 15 minutes.</p>
      <button type="button" onClick=${() => setSentTo(null)}>Use another email</button></main>`;
  }
  const errs = fieldErrors(error);
  return html`<main id="main" class="narrow" tabindex="-1"><${PageHeading}>Sign in to the customer portal<//>
    ${notice && html`<p class="alert" role="status">${notice}</p>`}
    <form onSubmit=${submit} novalidate>
      <${ErrorAlert} error=${error} fieldsShown />
      <${Field} label="Email" type="email" required autocomplete="email" value=${email} onInput=${setEmail} error=${errs.email} />
      <button type="submit" class="primary" disabled=${busy}>Email me a sign-in link</button>
    </form></main>`;
}

// Exchanges the token in the address (an emailed sign-in link or an activation link) for a session.
function Redeem({ kind, token, onDone }) {
  const [error, setError] = useState(null);
  useEffect(() => {
    history.replaceState(null, "", location.pathname); // the token is spent: keep it out of the history
    const path = kind === "activate" ? "/v1/public/contacts/activate" : "/v1/portal/session";
    post(path, { token }).then(() => onDone(kind === "activate" ? "Your access is active. Welcome!" : null), setError);
  }, []);
  if (!error) return html`<main id="main" class="narrow" tabindex="-1"><${Loading} what=${kind === "activate" ? "Activating your access" : "Signing you in"} /></main>`;
  const expired = error.code === "link_expired" || error.code === "not_found";
  return html`<main id="main" class="narrow" tabindex="-1"><${PageHeading}>${kind === "activate" ? "Activation failed" : "Sign-in failed"}<//>
    <p role="alert">${expired ? "This link was used already, replaced by a newer one or has expired." : error.message}</p>
    <p>${kind === "activate" ? "Ask your organisation's manager or the admins for a new activation link." : html`<a href="#">Ask for a new sign-in link</a>.`}</p>
    <button type="button" onClick=${() => onDone(null, true)}>Continue</button></main>`;
}

function Organisations({ me }) {
  return html`<${PageHeading}>Your organisations<//>
    ${me.organisations.length === 0 ? html`<p class="empty">You do not act for any organisation.</p>` : html`<ul class="orgs">
      ${me.organisations.map((o) => html`<li><a href=${`#/customers/${o.customer_id}`}>${o.name || "(no name)"}</a> <span class="muted">${o.role === "manager" ? "Manager" : "Member"}</span></li>`)}
    </ul>`}`;
}

function App() {
  const hash = useHash();
  const [me, setMe] = useState(undefined);
  const [notice, setNotice] = useState(null);
  const load = () => get("/v1/portal/me").then(setMe, () => setMe(null));
  // Read at the first render: `Redeem`'s effect, which runs before this component's, takes the
  // token out of the address, and a session asked for before it is redeemed answers 401, which
  // signs the page out after the redeemed session has loaded if it arrives last.
  const [redeemingAtStart] = useState(() => /^#(token|activate)=/.test(location.hash));
  useEffect(() => {
    whenSignedOut(() => { setMe(null); setNotice("You are signed out. Sign in again."); });
    if (!redeemingAtStart) load();
  }, []);
  const redeem = hash.match(/^#(token|activate)=([A-Za-z0-9_-]+)/);
  // The hosts stay in one place whatever the screen, so a toast outlives the change of screen.
  return html`${screen(redeem)}<${ConfirmHost} /><${ToastHost} />`;

  function screen(r) {
    if (r) {
      return html`<${Redeem} kind=${r[1]} token=${r[2]} onDone=${(message, failed) => {
        if (message) toast(message);
        location.hash = "#/";
        if (failed) setMe(null); else load();
      }} />`;
    }
    if (me === undefined) return html`<p class="boot" role="status">Loading the portal…</p>`;
    if (!me) return html`<${SignIn} notice=${notice} />`;
    const signOut = async () => {
      try { await endSession(); } finally { setMe(null); setNotice("Signed out."); }
    };
    const parts = hash.replace(/^#\/?/, "").split("/");
    const customerId = parts[0] === "customers" ? parts[1] : null;
    const only = me.organisations.length === 1 ? me.organisations[0].customer_id : null;
    const shown = customerId || only;
    return html`
      <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/">Customer portal</a>
        <span class="who">Signed in as ${me.email}</span>
        <button type="button" class="signout" onClick=${signOut}>Sign out</button>
      </header>
      <main id="main" tabindex="-1">
        ${shown ? html`<${CustomerPage} key=${shown} id=${shown} me=${me} />` : html`<${Organisations} me=${me} />`}
      </main>`;
  }
}

const endSession = () => fetch("/v1/portal/session", { method: "DELETE", credentials: "same-origin" });

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
