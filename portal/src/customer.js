// A customer in the portal: its details (a manager edits them), its sub-customers (search,
// paging, add, delete), its interactions and its users (a manager invites them, changes their
// role, disables them and sends a new activation link).
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { dateTime, displayName } from "../../console/src/format.js";
import { ask, Dialog, ErrorAlert, Field, fieldErrors, Loading, PageHeading, Select, toast, useAsync } from "../../console/src/ui.js";
import { ApiError, api, get, post } from "./api.js";

const ROLE_LABEL = { member: "Member", manager: "Manager" };
const STATUS_LABEL = { pending: "Pending", active: "Active", disabled: "Disabled" };
const ROLES = [["member", "Member: reads"], ["manager", "Manager: also edits and invites"]];

// The customer and the person's role where they reach it (the X-Portal-Role header).
async function loadCustomer(id) {
  const res = await fetch(`/v1/portal/customers/${id}`, { credentials: "same-origin", cache: "no-store" });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, body);
  return { customer: body, role: res.headers.get("x-portal-role") || "member" };
}

const FIELDS = [["name", "Name"], ["email", "Email"], ["phone", "Phone"], ["company", "Company"]];

function CustomerForm({ initial = {}, submitLabel, onSave, onCancel }) {
  const [f, setF] = useState(Object.fromEntries([...FIELDS, ["notes"]].map(([k]) => [k, initial[k] || ""])));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    const body = {};
    for (const [k] of [...FIELDS, ["notes"]]) {
      const v = f[k].trim() ? f[k] : null;
      if (v !== (initial[k] ?? null)) body[k] = v;
    }
    try { await onSave(body); } catch (err) {
      if (err.code === "customer_exists") err.fields = [{ field: "email", message: "another customer has this email" }];
      setError(err);
    } finally { setBusy(false); }
  };
  const errs = fieldErrors(error);
  return html`<form onSubmit=${submit} novalidate>
    <${ErrorAlert} error=${error} fieldsShown />
    <div class="grid2">${FIELDS.map(([k, label]) => html`<${Field} label=${label} type=${k === "email" ? "email" : "text"} value=${f[k]} onInput=${set(k)} error=${errs[k]} />`)}</div>
    <${Field} label="Notes" multiline value=${f.notes} onInput=${set("notes")} error=${errs.notes} />
    <div class="dialog-actions">${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
      <button type="submit" class="primary" disabled=${busy}>${submitLabel}</button></div>
  </form>`;
}

function Details({ customer }) {
  const rows = [...FIELDS, ["notes", "Notes"]].filter(([k]) => customer[k]);
  const attrs = Object.entries(customer.attributes || {});
  return html`<section aria-labelledby="details-h"><h2 id="details-h">Details</h2>
    ${rows.length + attrs.length === 0 ? html`<p class="empty">No details yet.</p>` : html`<dl class="details">
      ${rows.map(([k, label]) => html`<dt>${label}</dt><dd class=${k === "notes" ? "wrap" : ""}>${customer[k]}</dd>`)}
      ${attrs.map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}
    </dl>`}</section>`;
}

function SubCustomers({ customer, manager }) {
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const [pages, setPages] = useState([]);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState(null);
  const list = useAsync(async () => {
    const r = await get(`/v1/portal/customers?under=${customer.id}&limit=20${search ? `&q=${encodeURIComponent(search)}` : ""}`);
    setPages([]);
    return r;
  }, [customer.id, search]);
  const all = [list.data, ...pages].filter(Boolean);
  const rows = all.flatMap((p) => p.data).filter((c) => c.id !== customer.id);
  const last = all[all.length - 1];
  const more = async () => {
    try { const r = await get(`/v1/portal/customers?under=${customer.id}&limit=20${search ? `&q=${encodeURIComponent(search)}` : ""}&cursor=${encodeURIComponent(last.next_cursor)}`); setPages([...pages, r]); } catch (err) { setError(err); }
  };
  const create = async (body) => {
    const c = await post("/v1/portal/customers", { ...body, parent_id: customer.id });
    toast(`Created ${displayName(c)}.`);
    setAdding(false);
    list.reload();
  };
  const remove = async (c) => {
    if (!await ask({ title: "Delete customer?", danger: true, confirm: "Delete customer", body: html`<p>Delete ${displayName(c)}? An admin can restore it.</p>` })) return;
    try { await api("DELETE", `/v1/portal/customers/${c.id}`); toast(`Deleted ${displayName(c)}.`); list.reload(); } catch (err) { setError(err); }
  };
  return html`<section aria-labelledby="subs-h"><h2 id="subs-h">Sub-customers</h2>
    <form class="row" role="search" onSubmit=${(e) => { e.preventDefault(); setSearch(q.trim()); }}>
      <${Field} label="Search sub-customers" type="search" value=${q} onInput=${setQ} />
      <button type="submit">Search</button>
    </form>
    <${ErrorAlert} error=${list.error || error} />
    ${list.loading ? html`<${Loading} />` : rows.length === 0 ? html`<p class="empty">${search ? "No sub-customer matches." : "No sub-customers yet."}</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Sub-customers"><table>
      <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Sub-customers</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${rows.map((c) => html`<tr><td><a href=${`#/customers/${c.id}`}>${displayName(c)}</a></td><td>${c.email}</td><td>${c.children_count ?? ""}</td>
        <td class="actions">${manager && html`<button type="button" class="danger" aria-label=${`Delete ${displayName(c)}`} onClick=${() => remove(c)}>Delete</button>`}</td></tr>`)}</tbody>
    </table></div>`}
    ${last?.has_more && html`<button type="button" onClick=${more}>Load more sub-customers</button>`}
    ${manager && html`<button type="button" class="primary" onClick=${() => setAdding(true)}>Add sub-customer</button>`}
    ${adding && html`<${Dialog} title="Add a sub-customer" onClose=${() => setAdding(false)}>
      <div class="dialog-body"><${CustomerForm} submitLabel="Create sub-customer" onSave=${create} onCancel=${() => setAdding(false)} /></div><//>`}
  </section>`;
}

function Interactions({ id }) {
  const page = useAsync(() => get(`/v1/portal/customers/${id}/interactions?limit=20`), [id]);
  const items = page.data?.data || [];
  return html`<section aria-labelledby="int-h"><h2 id="int-h">Interactions</h2>
    <${ErrorAlert} error=${page.error} />
    ${page.loading ? html`<${Loading} />` : items.length === 0 ? html`<p class="empty">No interactions yet.</p>` : html`<ul>
      ${items.map((i) => html`<li><time datetime=${i.occurred_at}>${dateTime(i.occurred_at)}</time> ${i.type.replace(/_/g, " ")} <span class="mono">${i.resource_id}</span></li>`)}</ul>`}
  </section>`;
}

function Users({ customer, manager, me }) {
  const id = customer.id;
  const list = useAsync(() => get(`/v1/portal/customers/${id}/contacts`), [id]);
  const [f, setF] = useState({ email: "", first_name: "", last_name: "", role: "member" });
  const [error, setError] = useState(null);
  const [formError, setFormError] = useState(null);
  const users = list.data?.data || [];
  const act = async (fn) => { setError(null); try { await fn(); list.reload(); } catch (err) { setError(err); } };
  const invite = async (e) => {
    e.preventDefault();
    setFormError(null);
    const body = Object.fromEntries(Object.entries(f).filter(([, v]) => v.trim()));
    try {
      const c = await post(`/v1/portal/customers/${id}/contacts`, body);
      toast(c.activation.sent ? `Invited ${c.email}: an activation email is on its way.` : `Added ${c.email}; the activation email could not be sent.`);
      setF({ email: "", first_name: "", last_name: "", role: "member" });
      list.reload();
    } catch (err) {
      if (err.code === "contact_exists") err.fields = [{ field: "email", message: "this customer has a user with this email already" }];
      setFormError(err);
    }
  };
  const setRole = (c, role) => act(async () => { await api("PATCH", `/v1/portal/customers/${id}/contacts/${c.id}`, { role }); toast(`${c.email} is now a ${ROLE_LABEL[role].toLowerCase()}.`); });
  const disable = async (c) => {
    if (!await ask({ title: "Disable user?", danger: true, confirm: "Disable user", body: html`<p>${c.email} can no longer sign in for ${displayName(customer)}. You can enable them again.</p>` })) return;
    act(async () => { await api("PATCH", `/v1/portal/customers/${id}/contacts/${c.id}`, { status: "disabled" }); toast(`Disabled ${c.email}.`); });
  };
  const enable = (c) => act(async () => { await api("PATCH", `/v1/portal/customers/${id}/contacts/${c.id}`, { status: c.activated_at ? "active" : "pending" }); toast(`Enabled ${c.email}.`); });
  const resend = (c) => act(async () => { const r = await post(`/v1/portal/customers/${id}/contacts/${c.id}/activation-link`); toast(r.sent ? `Sent a new activation link to ${c.email}.` : "The email could not be sent."); });
  const remove = async (c) => {
    if (!await ask({ title: "Remove user?", danger: true, confirm: "Remove user", body: html`<p>Remove ${c.email} from ${displayName(customer)}?</p>` })) return;
    act(async () => { await api("DELETE", `/v1/portal/customers/${id}/contacts/${c.id}`); toast(`Removed ${c.email}.`); });
  };
  const errs = fieldErrors(formError);
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const mine = (c) => c.email.toLowerCase() === me.email.toLowerCase();
  return html`<section aria-labelledby="users-h"><h2 id="users-h">Users</h2>
    <${ErrorAlert} error=${list.error || error} />
    ${list.loading ? html`<${Loading} />` : users.length === 0 ? html`<p class="empty">No users yet.</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Users"><table>
      <thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Role</th><th scope="col">Last sign-in</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${users.map((c) => html`<tr><td>${c.email}</td><td>${[c.first_name, c.last_name].filter(Boolean).join(" ")}</td>
        <td>${STATUS_LABEL[c.status] || c.status}</td>
        <td>${manager && !mine(c)
          ? html`<${Select} label=${`Role of ${c.email}`} hideLabel value=${c.role} options=${ROLES} onChange=${(r) => setRole(c, r)} />`
          : ROLE_LABEL[c.role] || c.role}</td>
        <td>${c.last_signed_in_at ? html`<time datetime=${c.last_signed_in_at}>${dateTime(c.last_signed_in_at)}</time>` : "Never"}</td>
        <td class="actions">${manager && !mine(c) && html`
          ${c.status === "pending" && html`<button type="button" aria-label=${`Resend activation link to ${c.email}`} onClick=${() => resend(c)}>Resend link</button>`}
          ${c.status === "disabled"
            ? html`<button type="button" aria-label=${`Enable ${c.email}`} onClick=${() => enable(c)}>Enable</button>`
            : html`<button type="button" aria-label=${`Disable ${c.email}`} onClick=${() => disable(c)}>Disable</button>`}
          <button type="button" class="danger" aria-label=${`Remove ${c.email}`} onClick=${() => remove(c)}>Remove</button>`}</td></tr>`)}</tbody>
    </table></div>`}
    ${manager && html`<h3>Invite a user</h3><form onSubmit=${invite} novalidate>
      <${ErrorAlert} error=${formError} fieldsShown />
      <div class="grid2">
        <${Field} label="User email" type="email" required value=${f.email} onInput=${set("email")} error=${errs.email} />
        <${Field} label="First name" value=${f.first_name} onInput=${set("first_name")} error=${errs.first_name} />
        <${Field} label="Last name" value=${f.last_name} onInput=${set("last_name")} error=${errs.last_name} />
        <${Select} label="Role" value=${f.role} options=${ROLES} onChange=${set("role")} />
      </div>
      <button type="submit" class="primary">Invite user</button></form>`}
  </section>`;
}

export function CustomerPage({ id, me }) {
  const state = useAsync(() => loadCustomer(id), [id]);
  const [editing, setEditing] = useState(false);
  if (state.loading && !state.data) return html`<${Loading} />`;
  if (state.error) {
    return html`<${PageHeading}>${state.error.status === 404 ? "Not found" : "Something went wrong"}<//>
      <${ErrorAlert} error=${state.error} /><p><a href="#/">Back to your organisations</a></p>`;
  }
  const { customer, role } = state.data;
  const manager = role === "manager";
  const isOrganisation = me.organisations.some((o) => o.customer_id === customer.id);
  const save = async (body) => {
    if (Object.keys(body).length) await api("PATCH", `/v1/portal/customers/${id}`, body);
    toast("Saved.");
    setEditing(false);
    state.reload();
  };
  return html`
    ${me.organisations.length > 1 || !isOrganisation ? html`<p><a href=${customer.parent_id && !isOrganisation ? `#/customers/${customer.parent_id}` : "#/"}>Back</a></p>` : ""}
    <${PageHeading} focusKey=${id}>${displayName(customer)}<//>
    <p class="muted">${isOrganisation ? "Your organisation" : "Sub-customer"} · you are a ${ROLE_LABEL[role].toLowerCase()} here</p>
    ${manager && html`<button type="button" onClick=${() => setEditing(true)}>Edit details</button>`}
    <${Details} customer=${customer} />
    <${SubCustomers} customer=${customer} manager=${manager} />
    <${Users} customer=${customer} manager=${manager} me=${me} />
    <${Interactions} id=${id} />
    ${editing && html`<${Dialog} title=${`Edit ${displayName(customer)}`} onClose=${() => setEditing(false)}>
      <div class="dialog-body"><${CustomerForm} initial=${customer} submitLabel="Save details" onSave=${save} onCancel=${() => setEditing(false)} /></div><//>`}`;
}
