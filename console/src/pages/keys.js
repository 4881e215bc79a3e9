// API keys (#/keys): create with a name and permissions (the secret is shown once), list, revoke.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { api, get, post } from "../api.js";
import { dateTime, PERMISSIONS } from "../format.js";
import { ask, Checkbox, Dialog, ErrorAlert, Field, fieldErrors, Loading, PageHeading, toast, useAsync } from "../ui.js";

function SecretDialog({ created, onClose }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try { await navigator.clipboard.writeText(created.secret); setCopied(true); } catch { setCopied(false); }
  };
  return html`<${Dialog} title=${`Key “${created.name}” created`} onClose=${onClose}>
    <div class="dialog-body">
      <p><strong>Copy the secret now: it is shown only this once.</strong> Anyone holding it can act with this key's permissions.</p>
      <div class="field"><label for="secret">Secret</label>
        <input id="secret" class="mono" readonly value=${created.secret} onFocus=${(e) => e.currentTarget.select()} /></div>
      <p role="status">${copied ? "Copied to the clipboard." : ""}</p>
    </div>
    <div class="dialog-actions"><button type="button" onClick=${copy}>Copy secret</button>
      <button type="button" class="primary" onClick=${onClose}>I have copied it</button></div>
  <//>`;
}

export function KeysPage() {
  const list = useAsync(() => get("/v1/api-keys"), []);
  const [name, setName] = useState("");
  const [perms, setPerms] = useState(new Set(["customers:read"]));
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null);
  const [busy, setBusy] = useState(false);
  const keys = list.data?.data || [];
  const create = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const k = await post("/v1/api-keys", { name, permissions: PERMISSIONS.filter((p) => perms.has(p)) });
      setCreated(k); setName(""); list.reload();
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  const revoke = async (k) => {
    if (!await ask({ title: `Revoke key ${k.name}?`, danger: true, confirm: "Revoke key",
      body: html`<p>Requests with this key stop working at once. This cannot be undone.</p>` })) return;
    try { await api("DELETE", `/v1/api-keys/${k.id}`); toast(`Revoked ${k.name}.`); list.reload(); } catch (err) { setError(err); }
  };
  const errs = fieldErrors(error);
  const permError = Object.entries(errs).find(([k]) => k.startsWith("permissions"))?.[1];
  return html`<section class="page">
    <div class="page-head"><${PageHeading} focusKey="keys">API keys<//></div>
    <${ErrorAlert} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} />` : keys.length === 0 ? html`<p class="empty">No API keys yet.</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="API keys"><table>
      <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Permissions</th><th scope="col">Created</th>
        <th scope="col">Created by</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${keys.map((k) => html`<tr class=${k.revoked_at ? "deleted" : ""}><td>${k.name}</td><td class="mono">${k.prefix}</td>
        <td class="wrap">${k.permissions.join(", ")}</td><td>${dateTime(k.created_at)}</td>
        <td class="wrap">${k.created_by ?? "unknown"}</td><td>${dateTime(k.last_used_at)}</td>
        <td>${k.revoked_at ? `Revoked ${dateTime(k.revoked_at)}` : "Active"}</td>
        <td class="actions">${!k.revoked_at && html`<button type="button" class="danger" aria-label=${`Revoke ${k.name}`} onClick=${() => revoke(k)}>Revoke</button>`}</td></tr>`)}</tbody>
    </table></div>`}
    <h2>New API key</h2>
    <form onSubmit=${create} novalidate class="key-form">
      <${ErrorAlert} error=${error} fieldsShown />
      <${Field} label="Key name" required value=${name} onInput=${setName} error=${errs.name} maxlength="100" />
      <fieldset class="perms" aria-describedby=${permError ? "perm-err" : undefined}><legend>Permissions</legend>
        ${PERMISSIONS.map((p) => html`<${Checkbox} label=${p} checked=${perms.has(p)} onChange=${(on) => {
          const s = new Set(perms); on ? s.add(p) : s.delete(p); setPerms(s); }} />`)}
        ${permError && html`<span class="field-error" id="perm-err">${permError}</span>`}
      </fieldset>
      <div class="row"><button type="submit" class="primary" disabled=${busy}>Create key</button></div>
    </form>
    ${created && html`<${SecretDialog} created=${created} onClose=${() => { setCreated(null); toast(`Key ${created.name} is ready.`); }} />`}
  </section>`;
}
