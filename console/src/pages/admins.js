// Admins (#/admins, owners only): the people who sign in through Cloudflare Access and their
// roles. Add, change a role or disable (each confirmed), remove; the last owner is protected.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { api, get, post } from "../api.js";
import { dateTime, ROLES } from "../format.js";
import { ask, ErrorAlert, Field, fieldErrors, Loading, PageHeading, Select, toast, useAsync } from "../ui.js";

const roleName = (r) => r.charAt(0).toUpperCase() + r.slice(1);

export function AdminsPage({ me }) {
  const list = useAsync(() => get("/v1/admins"), []);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("viewer");
  const [formError, setFormError] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const admins = list.data?.data || [];

  const add = async (e) => {
    e.preventDefault();
    setBusy(true); setFormError(null);
    try {
      const a = await post("/v1/admins", { email, role });
      toast(`Added ${a.email} as ${a.role}.`);
      setEmail("");
      list.reload();
    } catch (err) {
      if (err.code === "admin_exists") err.fields = [{ field: "email", message: "this person is an admin already" }];
      setFormError(err);
    } finally { setBusy(false); }
  };
  const change = async (a, patch, question) => {
    setError(null);
    if (!await ask(question)) { list.reload(); return; }
    try { await api("PATCH", `/v1/admins/${a.id}`, { json: patch }); toast(`Saved ${a.email}.`); } catch (err) { setError(err); }
    list.reload();
  };
  const remove = async (a) => {
    setError(null);
    if (!await ask({ title: `Remove ${a.email}?`, danger: true, confirm: "Remove admin",
      body: html`<p>${a.email} can no longer sign in to the console. Their audit entries stay.</p>` })) return;
    try { await api("DELETE", `/v1/admins/${a.id}`); toast(`Removed ${a.email}.`); list.reload(); } catch (err) { setError(err); }
  };
  const errs = fieldErrors(formError);
  return html`<section class="page">
    <div class="page-head"><${PageHeading} focusKey="admins">Admins<//></div>
    <p class="muted">People who sign in through Cloudflare Access with their own email. Their role decides what they may do.</p>
    <${ErrorAlert} error=${list.error || error} />
    ${list.loading && !list.data ? html`<${Loading} />` : admins.length === 0 ? html`<p class="empty">No admins yet.</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Admins"><table>
      <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Added</th><th scope="col">Last seen</th>
        <th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${admins.map((a) => html`<tr class=${a.disabled ? "deleted" : ""}>
        <td>${a.email}${me?.who?.id === a.id ? html` <span class="badge">you</span>` : ""}</td>
        <td><label class="sr-only" for=${`role-${a.id}`}>Role of ${a.email}</label>
          <select id=${`role-${a.id}`} value=${a.role} onChange=${(e) => {
            const next = e.currentTarget.value;
            change(a, { role: next }, { title: `Make ${a.email} ${roleName(next).toLowerCase()}?`, confirm: "Change role",
              body: html`<p>${a.email} becomes ${ROLES.find((r) => r[0] === next)[1].toLowerCase()}.</p>` });
          }}>${ROLES.map(([r]) => html`<option value=${r}>${roleName(r)}</option>`)}</select></td>
        <td>${a.disabled ? "Disabled" : "Active"}</td><td>${dateTime(a.created_at)}</td><td>${dateTime(a.last_seen_at)}</td>
        <td class="actions">
          <button type="button" onClick=${() => change(a, { disabled: !a.disabled }, a.disabled
            ? { title: `Enable ${a.email}?`, confirm: "Enable", body: html`<p>${a.email} can sign in again.</p>` }
            : { title: `Disable ${a.email}?`, confirm: "Disable", danger: true, body: html`<p>${a.email} can no longer sign in until enabled again.</p>` })}
            aria-label=${`${a.disabled ? "Enable" : "Disable"} ${a.email}`}>${a.disabled ? "Enable" : "Disable"}</button>
          <button type="button" class="danger" aria-label=${`Remove ${a.email}`} onClick=${() => remove(a)}>Remove</button>
        </td></tr>`)}</tbody>
    </table></div>`}
    <h2>Add an admin</h2>
    <form onSubmit=${add} novalidate class="admin-form">
      <${ErrorAlert} error=${formError} fieldsShown />
      <div class="grid2">
        <${Field} label="Admin email" type="email" required value=${email} onInput=${setEmail} error=${errs.email}
          hint="The email they sign in with through Cloudflare Access" />
        <${Select} label="Role" value=${role} onChange=${setRole} options=${ROLES} error=${errs.role} />
      </div>
      <div class="row"><button type="submit" class="primary" disabled=${busy}>Add admin</button></div>
    </form>
  </section>`;
}
