// Webhooks (#/webhooks, #/webhooks/<id>): subscribe an https address to change events (the
// signing secret is shown once), turn a webhook off and on, replay the events it missed while
// off, send a test event, rotate the secret, delete, and read the deliveries log.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { api, get, post } from "../api.js";
import { dateTime, EVENT_TYPES } from "../format.js";
import { navigate } from "../router.js";
import { ask, Checkbox, Dialog, ErrorAlert, Field, fieldErrors, Loading, PageHeading, toast, useAsync } from "../ui.js";

function SecretDialog({ title, secret, onClose }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try { await navigator.clipboard.writeText(secret); setCopied(true); } catch { setCopied(false); }
  };
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <div class="dialog-body">
      <p><strong>Copy the signing secret now: it is shown only this once.</strong> The receiver verifies each delivery's
        <code>webhook-signature</code> with it (Standard Webhooks).</p>
      <div class="field"><label for="wh-secret">Signing secret</label>
        <input id="wh-secret" class="mono" readonly value=${secret} onFocus=${(e) => e.currentTarget.select()} /></div>
      <p role="status">${copied ? "Copied to the clipboard." : ""}</p>
    </div>
    <div class="dialog-actions"><button type="button" onClick=${copy}>Copy secret</button>
      <button type="button" class="primary" onClick=${onClose}>I have copied it</button></div>
  <//>`;
}

const typesLabel = (types) => (types.includes("*") ? "All event types" : types.join(", "));

function Status({ hook }) {
  if (hook.enabled) return html`<span class="badge cs-active">Enabled</span>`;
  return html`<span class="badge cs-disabled">${hook.disabled_reason === "failures" ? "Turned off after repeated failures" : "Disabled"}</span>`;
}

function NewWebhookForm({ onCreated }) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [all, setAll] = useState(true);
  const [types, setTypes] = useState(new Set());
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const body = { url: url.trim(), event_types: all ? ["*"] : EVENT_TYPES.filter((t) => types.has(t)) };
      if (description.trim()) body.description = description.trim();
      const created = await post("/v1/webhooks", body);
      setUrl(""); setDescription(""); setAll(true); setTypes(new Set());
      onCreated(created);
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  const errs = fieldErrors(error);
  const typeError = Object.entries(errs).find(([k]) => k.startsWith("event_types"))?.[1];
  return html`<form onSubmit=${submit} novalidate class="key-form" aria-labelledby="new-wh-h">
    <h2 id="new-wh-h">New webhook</h2>
    <${ErrorAlert} error=${error} fieldsShown />
    <${Field} label="Address (URL)" type="url" required value=${url} onInput=${setUrl} error=${errs.url}
      hint="https to a public host; events are POSTed there as JSON, signed" maxlength="2000" />
    <${Field} label="Description" value=${description} onInput=${setDescription} error=${errs.description} maxlength="500" />
    <fieldset class="perms" aria-describedby=${typeError ? "wh-types-err" : undefined}><legend>Event types</legend>
      <${Checkbox} label="All event types" checked=${all} onChange=${setAll} />
      ${!all && EVENT_TYPES.map((t) => html`<${Checkbox} label=${t} checked=${types.has(t)} onChange=${(on) => {
        const s = new Set(types); on ? s.add(t) : s.delete(t); setTypes(s); }} />`)}
      ${typeError && html`<span class="field-error" id="wh-types-err">${typeError}</span>`}
    </fieldset>
    <div class="row"><button type="submit" class="primary" disabled=${busy}>Create webhook</button></div>
  </form>`;
}

export function WebhooksPage() {
  const list = useAsync(() => get("/v1/webhooks"), []);
  const [created, setCreated] = useState(null);
  const hooks = list.data?.data || [];
  return html`<section class="page">
    <div class="page-head"><${PageHeading} focusKey="webhooks">Webhooks<//></div>
    <p class="muted">Every committed change to a customer is an event; a webhook receives the ones it subscribes to, signed,
      retried for about a day when its receiver fails.</p>
    <${ErrorAlert} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} />` : hooks.length === 0 ? html`<p class="empty">No webhooks yet.</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Webhooks"><table>
      <thead><tr><th scope="col">Address</th><th scope="col">Event types</th><th scope="col">Status</th>
        <th scope="col">Failures</th><th scope="col">Created</th></tr></thead>
      <tbody>${hooks.map((h) => html`<tr>
        <td class="wrap"><a href=${`#/webhooks/${h.id}`}>${h.url}</a>${h.description && html`<div class="muted small">${h.description}</div>`}</td>
        <td class="wrap">${typesLabel(h.event_types)}</td><td><${Status} hook=${h} /></td>
        <td>${h.failure_count}</td><td>${dateTime(h.created_at)}</td></tr>`)}</tbody>
    </table></div>`}
    <${NewWebhookForm} onCreated=${(h) => { setCreated(h); list.reload(); }} />
    ${created && html`<${SecretDialog} title="Webhook created" secret=${created.secret}
      onClose=${() => { setCreated(null); toast("The webhook is ready."); navigate(`#/webhooks/${created.id}`); }} />`}
  </section>`;
}

function Deliveries({ id, refreshKey }) {
  const [cursor, setCursor] = useState("");
  const page = useAsync(() => get(`/v1/webhooks/${id}/deliveries?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`), [id, cursor, refreshKey]);
  const rows = page.data?.data || [];
  return html`<section aria-labelledby="deliv-h">
    <div class="row"><h2 id="deliv-h" class="grow">Deliveries</h2>
      <button type="button" onClick=${() => (cursor ? setCursor("") : page.reload())}>Refresh</button></div>
    <${ErrorAlert} error=${page.error} />
    ${page.loading && !page.data ? html`<${Loading} />` : rows.length === 0 ? html`<p class="empty">No deliveries yet.</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Delivery attempts"><table>
      <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Attempt</th><th scope="col">Result</th>
        <th scope="col">HTTP status</th><th scope="col">Duration</th><th scope="col">Delivery</th><th scope="col">Error</th></tr></thead>
      <tbody>${rows.map((a) => html`<tr>
        <td><time datetime=${a.at} title=${a.at}>${dateTime(a.at)}</time></td>
        <td>${a.event_type || ""} <span class="mono small">${a.event_id.slice(-8)}</span></td>
        <td>${a.attempt}</td>
        <td><span class=${`badge ${a.status === "succeeded" ? "cs-active" : "cs-disabled"}`}>${a.status === "succeeded" ? "Succeeded" : "Failed"}</span></td>
        <td>${a.response_status ?? "none"}</td><td>${a.duration_ms} ms</td><td>${a.delivery_status || ""}</td>
        <td class="wrap">${a.error || ""}${a.response_excerpt && html`<div class="mono small">${a.response_excerpt}</div>`}</td></tr>`)}</tbody>
    </table></div>`}
    <div class="foot"><span class="grow"></span>
      ${cursor && html`<button type="button" onClick=${() => setCursor("")}>First page</button>`}
      <button type="button" disabled=${!page.data?.has_more} onClick=${() => setCursor(page.data.next_cursor)}>Next page</button>
    </div>
  </section>`;
}

// Nothing is delivered while a webhook is off: once it is on again, this sends it the events it
// missed (POST /v1/webhooks/{id}/replay), from `since` (prefilled with when it was turned off).
function Replay({ id, since: initial, onDone }) {
  const [since, setSince] = useState(initial || "");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const res = await post(`/v1/webhooks/${id}/replay`, { since: since.trim() });
      toast(`${res.queued} missed event${res.queued === 1 ? "" : "s"} queued for delivery${res.next_since ? "; replay again for the rest" : ""}.`);
      if (res.next_since) setSince(res.next_since);
      onDone(res);
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return html`<form onSubmit=${submit} novalidate class="key-form" aria-labelledby="replay-h">
    <h2 id="replay-h">Replay missed events</h2>
    <p class="muted">Events are not sent while a webhook is off. Replay sends it every event of its types since a time
      or an event id (within the 30 days kept) that it has not received; events it received are not sent again.</p>
    <${ErrorAlert} error=${error} fieldsShown />
    <${Field} label="Since (time or event id)" required value=${since} onInput=${setSince} error=${fieldErrors(error).since}
      hint="An RFC 3339 time such as 2026-01-02T03:04:05Z, or an event id" />
    <div class="row"><button type="submit" class="primary" disabled=${busy}>Replay events</button></div>
  </form>`;
}

export function WebhookPage({ id }) {
  const res = useAsync(() => get(`/v1/webhooks/${id}`), [id]);
  const [error, setError] = useState(null);
  const [secret, setSecret] = useState(null);
  const [refreshKey, setRefreshKey] = useState(0);
  // Set when the webhook is turned on again here: since when it was off.
  const [offSince, setOffSince] = useState(null);
  const hook = res.data;
  const act = async (fn) => {
    setError(null);
    try { await fn(); } catch (err) { setError(err); }
  };
  const toggle = () => act(async () => {
    const updated = await api("PATCH", `/v1/webhooks/${id}`, { json: { enabled: !hook.enabled } });
    // The webhook's last change was its turning off: events from then on were not sent.
    setOffSince(updated.enabled ? hook.updated_at : null);
    res.setData(updated);
    toast(updated.enabled ? "Webhook enabled. Events made while it was off can be replayed below." : "Webhook disabled: no events are sent to it.");
  });
  const test = () => act(async () => {
    const queued = await post(`/v1/webhooks/${id}/test`);
    toast(`Test event ${queued.event_id.slice(-8)} queued; refresh the deliveries to see it arrive.`);
    setTimeout(() => setRefreshKey((k) => k + 1), 1500);
  });
  const rotate = () => act(async () => {
    if (!await ask({ title: "Rotate the signing secret?", confirm: "Rotate secret",
      body: html`<p>A new secret is made. For 24 hours deliveries carry signatures with both, so the receiver can switch over.</p>` })) return;
    const rotated = await post(`/v1/webhooks/${id}/rotate-secret`);
    setSecret(rotated.secret);
  });
  const remove = () => act(async () => {
    if (!await ask({ title: "Delete this webhook?", danger: true, confirm: "Delete webhook",
      body: html`<p>No more events are sent to ${hook.url}; its deliveries log goes too.</p>` })) return;
    await api("DELETE", `/v1/webhooks/${id}`);
    toast("Webhook deleted.");
    navigate("#/webhooks");
  });
  if (res.error) return html`<${PageHeading}>Webhook<//><${ErrorAlert} error=${res.error} /><p><a href="#/webhooks">Back to the webhooks</a></p>`;
  if (!hook) return html`<${Loading} />`;
  return html`<section class="page">
    <p><a href="#/webhooks">Webhooks</a></p>
    <div class="page-head"><${PageHeading} focusKey=${id}>${hook.url}<//></div>
    <${ErrorAlert} error=${error} />
    <dl class="details">
      <div><dt>Status</dt><dd><${Status} hook=${hook} /></dd></div>
      <div><dt>Event types</dt><dd>${typesLabel(hook.event_types)}</dd></div>
      <div><dt>Deliveries given up in a row</dt><dd>${hook.failure_count}</dd></div>
      ${hook.description && html`<div><dt>Description</dt><dd>${hook.description}</dd></div>`}
      <div><dt>Created</dt><dd>${dateTime(hook.created_at)}</dd></div>
    </dl>
    <div class="row">
      <button type="button" onClick=${test}>Send test event</button>
      <button type="button" onClick=${toggle}>${hook.enabled ? "Disable" : "Enable"}</button>
      <button type="button" onClick=${rotate}>Rotate secret</button>
      <button type="button" class="danger" onClick=${remove}>Delete webhook</button>
    </div>
    ${hook.enabled && offSince && html`<${Replay} id=${id} since=${offSince}
      onDone=${() => setTimeout(() => setRefreshKey((k) => k + 1), 1500)} />`}
    <${Deliveries} id=${id} refreshKey=${refreshKey} />
    ${secret && html`<${SecretDialog} title="New signing secret" secret=${secret} onClose=${() => setSecret(null)} />`}
  </section>`;
}
