// A customer's own page (#/customers/<id>/<section>): details with edit (confirmed before
// saving, If-Match, recovery from a conflicting change), delete/undo/restore, permanent delete
// with its counts, redact; its parent and sub-customers, the own company mark; and the
// sub-resources: interactions, contacts (customer users, with their status, activation links and
// disable/enable), groups, activity; possible duplicates with merge, and where a merged customer went.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, can, get, joinable, loadGroups, post } from "../api.js";
import { dateTime, displayName, label, plural } from "../format.js";
import { listAddress, navigate } from "../router.js";
import { ask, CustomerName, Dialog, ErrorAlert, Field, fieldErrors, Loading, PageHeading, toast, useAsync, useId } from "../ui.js";
import { CustomerForm, FIELD_LABELS, patchBody, withConflictField } from "./customer-form.js";
import { useGroups } from "./customers.js";
import { SubCustomers } from "./sub-customers.js";
import { listOf, MergedNotice, PossibleDuplicates } from "./merge.js";
import { AuditTable } from "./audit.js";
import { Timeline } from "./timeline.js";

const SECTIONS = [["details", "Details"], ["timeline", "Timeline"], ["interactions", "Interactions"], ["contacts", "Contacts"], ["groups", "Groups"], ["activity", "Activity", "audit:read"],
  ["events", "Events", "events:read"]];

// Each changed field, before and after (attributes one by one), in the confirmation.
const shown = (v) => (v === null || v === undefined || v === "" ? "(empty)" : Array.isArray(v) ? v.join(", ") : String(v));
function BeforeAfter({ patch, base }) {
  const rows = Object.entries(patch).flatMap(([k, v]) => (k === "attributes" && v && typeof v === "object"
    ? Object.entries(v).map(([a, after]) => [`Attribute ${a}`, base.attributes?.[a], after])
    : [[FIELD_LABELS[k] || label(k), base[k], v]]));
  return html`<table class="before-after"><caption class="sr-only">Changes</caption>
    <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
    <tbody>${rows.map(([name, before, after]) => html`<tr><th scope="row">${name}</th><td>${shown(before)}</td><td>${shown(after)}</td></tr>`)}</tbody>
  </table>`;
}

// A visitor's browser id is a bearer secret the API never answers (SECURITY.md): the one part
// of it an admin sees is what an anonymous visitor's placeholder name shows, its first 8
// characters, enough to find the visitor in the page's own records.
function VisitorReference({ customer }) {
  const ref = customer.anonymous && /^Visitor ([A-Za-z0-9_-]{8})$/.exec(customer.name || "")?.[1];
  return html`${ref && html`<code>${ref}…</code>, `}<span class="muted">${ref ? "the first 8 characters of its browser id, which" : "Not shown: a browser id"} is kept secret: the API never shows it</span>`;
}

function Details({ customer, setCustomer }) {
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState(null);
  const groups = useGroups();

  const save = async (patch, base) => {
    const ok = await ask({ title: "Save changes?", confirm: "Save changes",
      body: html`<p>Save these changes to ${displayName(base)}?</p><${BeforeAfter} patch=${patch} base=${base} />` });
    if (!ok) return;
    setBusy(true); setError(null);
    try {
      const updated = await api("PATCH", `/v1/customers/${customer.id}`, { json: patch,
        headers: { "content-type": "application/merge-patch+json", "if-match": `"${base.version}"` } });
      setConflict(null); setEditing(false); setCustomer(updated);
      toast(`Saved ${displayName(updated)}.`);
    } catch (err) {
      if (err.code === "version_mismatch") {
        const latest = await get(`/v1/customers/${customer.id}`);
        const theirs = Object.keys(FIELD_LABELS).filter((k) => JSON.stringify(latest[k] ?? null) !== JSON.stringify(base[k] ?? null));
        setConflict({ latest, patch, theirs });
      } else setError(withConflictField(err));
    } finally { setBusy(false); }
  };
  const submit = (form) => {
    const patch = patchBody(form, customer);
    if (!Object.keys(patch).length) { setEditing(false); toast("Nothing changed."); return; }
    save(patch, customer);
  };

  const deleted = Boolean(customer.deleted_at);
  if (editing) {
    return html`<section aria-labelledby="edit-h">
      <h2 id="edit-h">Edit customer</h2>
      ${conflict && html`<div class="alert warn" role="alert">
        <div><strong>Someone else changed this customer while you were editing</strong> (it is now version ${conflict.latest.version}).
        Your changes are not saved yet.${conflict.theirs.length ? ` They changed: ${conflict.theirs.map((k) => FIELD_LABELS[k]).join(", ")}.` : ""}
        <div class="row">
          <button type="button" class="primary" onClick=${() => save(conflict.patch, conflict.latest)}>Save my changes over theirs</button>
          <button type="button" onClick=${() => { setCustomer(conflict.latest); setConflict(null); setEditing(false); }}>Discard mine, show theirs</button>
        </div></div></div>`}
      <${CustomerForm} key=${customer.version} initial=${customer} errors=${fieldErrors(error)} busy=${busy} submitLabel="Save changes"
        onCancel=${() => { setEditing(false); setError(null); setConflict(null); }} onSubmit=${submit}
        formError=${html`<${ErrorAlert} error=${error} fieldsShown />`} />
    </section>`;
  }
  const groupName = Object.fromEntries(groups.map((g) => [g.id, g.name]));
  const row = (name, value) => html`<div><dt>${name}</dt><dd>${value || html`<span class="muted">—</span>`}</dd></div>`;
  return html`<section aria-labelledby="details-h">
    <div class="section-head"><h2 id="details-h">Details</h2>
      ${!deleted && can("customers:update") && html`<button type="button" class="primary" onClick=${() => setEditing(true)}>Edit</button>`}</div>
    <dl class="details">
      ${row("Name", customer.anonymous ? html`<${CustomerName} customer=${customer} /> <span class="muted small">(a placeholder: this visitor has not given a name yet)</span>` : customer.name)}${row("Handle", customer.handle && html`<code>${customer.handle}</code>`)}${row("Email", customer.email)}${row("Phone", customer.phone)}${row("Company", customer.company)}
      ${row("Kind", customer.kind)}${customer.kind === "visitor" && row("Visitor reference", html`<${VisitorReference} customer=${customer} />`)}${row("Source", label(customer.source))}
      ${row("Groups", (customer.group_ids || []).map((g) => groupName[g] || "…").join(", "))}
      ${row("Created", dateTime(customer.created_at))}${row("Updated", dateTime(customer.updated_at))}
      ${row("Last seen", dateTime(customer.last_seen_at))}${row("Version", String(customer.version))}
      ${row("Notes", customer.notes && html`<span class="pre">${customer.notes}</span>`)}
      ${row("Attributes", Object.keys(customer.attributes || {}).length > 0 && html`<ul class="plain">${Object.entries(customer.attributes).map(([k, v]) => html`<li><strong>${k}</strong>: ${String(v)}</li>`)}</ul>`)}
    </dl>
  </section>`;
}

function Interactions({ id }) {
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const page = useAsync(async () => {
    const r = await get(`/v1/customers/${id}/interactions?limit=25`);
    setItems(r.data); setCursor(r.has_more ? r.next_cursor : null);
    return r;
  }, [id]);
  const more = async () => {
    const r = await get(`/v1/customers/${id}/interactions?limit=25&cursor=${encodeURIComponent(cursor)}`);
    setItems([...items, ...r.data]); setCursor(r.has_more ? r.next_cursor : null);
  };
  return html`<section aria-labelledby="int-h"><h2 id="int-h">Interactions</h2>
    <${ErrorAlert} error=${page.error} />
    ${page.loading ? html`<${Loading} />` : items.length === 0 ? html`<p class="empty">No interactions yet.</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Interactions"><table>
      <thead><tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">Resource</th><th scope="col">Details</th></tr></thead>
      <tbody>${items.map((i) => html`<tr><td><time datetime=${i.occurred_at}>${dateTime(i.occurred_at)}</time></td><td>${label(i.type)}</td>
        <td class="mono">${i.resource_id}</td><td class="mono wrap">${Object.keys(i.details || {}).length ? JSON.stringify(i.details) : ""}</td></tr>`)}</tbody>
    </table></div>`}
    ${cursor && html`<button type="button" onClick=${more}>Load more interactions</button>`}
  </section>`;
}

function ContactForm({ initial = {}, onSave, onCancel, submitLabel }) {
  const blank = { email: "", first_name: "", last_name: "", phone: "", role: "member" };
  const [f, setF] = useState({ ...blank, email: initial.email || "", first_name: initial.first_name || "", last_name: initial.last_name || "", phone: initial.phone || "", role: initial.role || "member" });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    try { await onSave(f); setF(blank); } catch (err) {
      if (err.code === "contact_exists") err.fields = [{ field: "email", message: "this customer has a contact with this email already" }];
      setError(err);
    } finally { setBusy(false); }
  };
  const errs = fieldErrors(error);
  const roleId = useId("role");
  return html`<form onSubmit=${submit} novalidate class="contact-form">
    <${ErrorAlert} error=${error} fieldsShown />
    <div class="grid2">
      <${Field} label="Contact email" type="email" required value=${f.email} onInput=${set("email")} error=${errs.email} />
      <${Field} label="First name" value=${f.first_name} onInput=${set("first_name")} error=${errs.first_name} />
      <${Field} label="Last name" value=${f.last_name} onInput=${set("last_name")} error=${errs.last_name} />
      <${Field} label="Contact phone" type="tel" value=${f.phone} onInput=${set("phone")} error=${errs.phone} />
      <div class="field"><label for=${roleId}>Portal role</label>
        <select id=${roleId} value=${f.role} onChange=${(e) => set("role")(e.currentTarget.value)}>
          <option value="member">Member: reads the organisation</option>
          <option value="manager">Manager: also edits sub-customers and users</option></select></div>
    </div>
    <div class="dialog-actions">${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
      <button type="submit" class="primary" disabled=${busy}>${submitLabel}</button></div>
  </form>`;
}

const CONTACT_STATUS = { pending: "Pending", active: "Active", disabled: "Disabled" };
const CONTACT_ROLE = { member: "Member", manager: "Manager" };

// The link is in this dialog's state only: once closed it cannot be shown again (the API keeps
// only its hash), so the admin copies it here.
function ActivationLinkDialog({ contact, link, onClose, unsent }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try { await navigator.clipboard.writeText(link.url); setCopied(true); } catch { setCopied(false); }
  };
  return html`<${Dialog} title=${`Activation link for ${contact.email}`} onClose=${onClose}>
    <div class="dialog-body">
      ${unsent && html`<p role="alert">The email could not be sent (this deployment has no email sender); send the link yourself.</p>`}
      <p><strong>Copy the link now: it is shown only this once.</strong> Send it to ${contact.email}: opening it activates
        the contact, once. Any earlier link for this contact no longer works.</p>
      <div class="field"><label for="activation-link">Activation link</label>
        <input id="activation-link" class="mono" readonly value=${link.url} onFocus=${(e) => e.currentTarget.select()} /></div>
      <p>Expires <time datetime=${link.expires_at}>${dateTime(link.expires_at)}</time>.</p>
      <p role="status">${copied ? "Copied to the clipboard." : ""}</p>
    </div>
    <div class="dialog-actions"><button type="button" onClick=${copy}>Copy link</button>
      <button type="button" class="primary" onClick=${onClose}>Done</button></div>
  <//>`;
}

function Contacts({ customer }) {
  const id = customer.id;
  const list = useAsync(() => get(`/v1/customers/${id}/contacts`), [id]);
  const [editing, setEditing] = useState(null);
  const [error, setError] = useState(null);
  const [issued, setIssued] = useState(null);
  const contacts = list.data?.data || [];
  const add = async (f) => {
    const body = Object.fromEntries(Object.entries(f).filter(([, v]) => v.trim()));
    if (body.role === "member") delete body.role;
    const c = await post(`/v1/customers/${id}/contacts`, body);
    toast(`Added contact ${c.email}.`);
    list.reload();
  };
  const update = async (f) => {
    const ok = await ask({ title: "Save contact?", body: html`<p>Save the changes to ${editing.email}?</p>`, confirm: "Save changes" });
    if (!ok) return;
    const patch = {};
    for (const k of ["email", "first_name", "last_name", "phone"]) if (f[k] !== (editing[k] || "")) patch[k] = f[k].trim() ? f[k] : null;
    if (f.role !== editing.role) patch.role = f.role;
    await api("PATCH", `/v1/customers/${id}/contacts/${editing.id}`, { json: patch });
    toast("Contact saved.");
    setEditing(null);
    list.reload();
  };
  const remove = async (c) => {
    if (!await ask({ title: "Remove contact?", body: html`<p>Remove ${c.email} from ${displayName(customer)}?</p>`, confirm: "Remove contact", danger: true })) return;
    try { await api("DELETE", `/v1/customers/${id}/contacts/${c.id}`); toast(`Removed ${c.email}.`); list.reload(); } catch (err) { setError(err); }
  };
  const createLink = async (c) => {
    setError(null);
    try { setIssued({ contact: c, link: await post(`/v1/customers/${id}/contacts/${c.id}/activation-link`) }); } catch (err) { setError(err); }
  };
  const sendLink = async (c) => {
    setError(null);
    try {
      const link = await post(`/v1/customers/${id}/contacts/${c.id}/activation-link`, { send: true });
      if (link.sent) toast(`Activation email sent to ${c.email}.`);
      else setIssued({ contact: c, link, unsent: true });
    } catch (err) { setError(err); }
  };
  const setStatus = async (c, status, done) => {
    setError(null);
    try { await api("PATCH", `/v1/customers/${id}/contacts/${c.id}`, { json: { status } }); toast(done); list.reload(); } catch (err) { setError(err); }
  };
  const disable = async (c) => {
    if (!await ask({ title: "Disable contact?", danger: true, confirm: "Disable contact",
      body: html`<p>${c.email} can no longer act for ${displayName(customer)}, and an unused activation link stops working. You can enable the contact again.</p>` })) return;
    await setStatus(c, "disabled", `Disabled ${c.email}.`);
  };
  // Enabling returns a contact to what it was: active once it has activated, else pending.
  const enable = (c) => setStatus(c, c.activated_at ? "active" : "pending", `Enabled ${c.email}.`);
  const who = (c) => [c.first_name, c.last_name].filter(Boolean).join(" ");
  const writable = !customer.deleted_at && can("customers:update");
  return html`<section aria-labelledby="contacts-h"><h2 id="contacts-h">Contacts</h2>
    <p class="muted">People who act for this customer (customer users).</p>
    <${ErrorAlert} error=${list.error || error} />
    ${list.loading ? html`<${Loading} />` : contacts.length === 0 ? html`<p class="empty">No contacts yet.</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Contacts"><table class="contacts">
      <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Status</th><th scope="col">Role</th><th scope="col">Last sign-in</th><th scope="col">Added</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${contacts.map((c) => html`<tr><td data-label="Name">${who(c)}</td><td data-label="Email">${c.email}</td><td data-label="Phone">${c.phone}</td>
        <td data-label="Status"><span class=${`badge cs-${c.status}`}>${CONTACT_STATUS[c.status] || c.status}</span>${c.status === "active" && c.activated_at
          && html` <span class="muted">since <time datetime=${c.activated_at}>${dateTime(c.activated_at)}</time></span>`}</td>
        <td data-label="Role">${CONTACT_ROLE[c.role] || c.role}</td>
        <td data-label="Last sign-in">${c.last_signed_in_at ? html`<time datetime=${c.last_signed_in_at}>${dateTime(c.last_signed_in_at)}</time>` : html`<span class="muted">Never</span>`}</td>
        <td data-label="Added">${dateTime(c.created_at)}</td>
        <td><div class="row-actions">${writable && html`${c.status === "pending" && html`<button type="button" aria-label=${`Send activation email to ${c.email}`} onClick=${() => sendLink(c)}>Send activation email</button>
          <button type="button" aria-label=${`Create activation link for ${c.email}`} onClick=${() => createLink(c)}>Create activation link</button>`}
          ${c.status === "disabled"
            ? html`<button type="button" aria-label=${`Enable contact ${c.email}`} onClick=${() => enable(c)}>Enable</button>`
            : html`<button type="button" aria-label=${`Disable contact ${c.email}`} onClick=${() => disable(c)}>Disable</button>`}
          <button type="button" aria-label=${`Edit contact ${c.email}`} onClick=${() => setEditing(c)}>Edit</button>`}
          ${can("customers:update") && html`<button type="button" class="danger" aria-label=${`Remove contact ${c.email}`} onClick=${() => remove(c)}>Remove</button>`}</div></td></tr>`)}</tbody>
    </table></div>`}
    ${!customer.deleted_at && can("customers:update") && html`<h3>Add a contact</h3><${ContactForm} submitLabel="Add contact" onSave=${add} />`}
    ${editing && html`<${Dialog} title=${`Edit contact ${editing.email}`} onClose=${() => setEditing(null)}>
      <${ContactForm} initial=${editing} submitLabel="Save contact" onSave=${update} onCancel=${() => setEditing(null)} />
    <//>`}
    ${issued && html`<${ActivationLinkDialog} contact=${issued.contact} link=${issued.link} unsent=${issued.unsent} onClose=${() => { setIssued(null); toast(`The link for ${issued.contact.email} is ready to send.`); }} />`}
  </section>`;
}

function Groups({ customer, reload }) {
  const groups = useGroups();
  const [choice, setChoice] = useState("");
  const [error, setError] = useState(null);
  const mine = groups.filter((g) => (customer.group_ids || []).includes(g.id));
  const others = joinable(groups).filter((g) => !(customer.group_ids || []).includes(g.id));
  const change = async (groupId, add) => {
    setError(null);
    try {
      await api(add ? "POST" : "DELETE", `/v1/groups/${groupId}/members`, { json: { customer_ids: [customer.id] } });
      const name = groups.find((g) => g.id === groupId)?.name;
      toast(add ? `Added to ${name}.` : `Removed from ${name}.`);
      setChoice("");
      await loadGroups(true);
      reload();
    } catch (err) { setError(err); }
  };
  return html`<section aria-labelledby="groups-h"><h2 id="groups-h">Groups</h2>
    <${ErrorAlert} error=${error} />
    ${mine.length === 0 ? html`<p class="empty">Not in any group.</p>` : html`<ul class="chips">
      ${mine.map((g) => html`<li><a href=${`#/groups/${g.id}`}>${g.name}</a>
        ${can("groups:manage") && html`<button type="button" class="ghost" aria-label=${`Remove from ${g.name}`} onClick=${() => change(g.id, false)}>Remove</button>`}</li>`)}</ul>`}
    ${!customer.deleted_at && can("groups:manage") && html`<form class="row" onSubmit=${(e) => { e.preventDefault(); if (choice) change(choice, true); }}>
      <span class="inline-field"><label for="add-group">Add to group</label>
      <select id="add-group" value=${choice} onChange=${(e) => setChoice(e.currentTarget.value)}>
        <option value="">Choose a group…</option>${others.map((g) => html`<option value=${g.id}>${g.name}</option>`)}</select></span>
      <button type="submit" disabled=${!choice}>Add</button>
    </form>`}
  </section>`;
}

function Activity({ id }) {
  const page = useAsync(() => get(`/v1/audit-log?target_id=${id}&limit=50`), [id]);
  return html`<section aria-labelledby="act-h"><h2 id="act-h">Activity</h2>
    <${ErrorAlert} error=${page.error} />
    ${page.loading ? html`<${Loading} />` : page.data && html`<${AuditTable} entries=${page.data.data} />`}</section>`;
}

// The change events about this customer, oldest first (what webhooks received), a page at a time.
const EVENT_DETAIL_KEYS = ["changed_fields", "contact_id", "cascade_from", "merged_into", "merged_ids", "interaction_type", "interaction_id"];
function Events({ id }) {
  const [after, setAfter] = useState("");
  const page = useAsync(() => get(`/v1/events?customer_id=${id}&limit=50${after ? `&after=${after}` : ""}`), [id, after]);
  const rows = page.data?.data || [];
  const detail = (d) => EVENT_DETAIL_KEYS.filter((k) => d[k] !== undefined)
    .map((k) => `${label(k)}: ${Array.isArray(d[k]) ? d[k].join(", ") : d[k]}`).join("; ");
  return html`<section aria-labelledby="ev-h"><h2 id="ev-h">Events</h2>
    <p class="muted">Each committed change, as webhooks and <code>GET /v1/events</code> see it: ids and field names, no values.</p>
    <${ErrorAlert} error=${page.error} />
    ${page.loading && !page.data ? html`<${Loading} />` : rows.length === 0 ? html`<p class="empty">No events.</p>` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Change events"><table>
      <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Details</th><th scope="col">Event id</th></tr></thead>
      <tbody>${rows.map((e) => html`<tr><td><time datetime=${e.created_at} title=${e.created_at}>${dateTime(e.created_at)}</time></td>
        <td>${e.type}</td><td class="wrap">${detail(e.data)}</td><td class="mono small">${e.id}</td></tr>`)}</tbody>
    </table></div>`}
    <div class="foot"><span class="grow"></span>
      ${after && html`<button type="button" onClick=${() => setAfter("")}>First page</button>`}
      <button type="button" disabled=${!page.data?.has_more} onClick=${() => setAfter(page.data.next_cursor)}>Next page</button>
    </div></section>`;
}

// Deleting under the own company is refused for the own company's sake: say whose.
function protectedBelow(err) {
  if (err.code === "customer_protected") err.message = "one of its sub-customers is your own company, which cannot be deleted; move it out first";
  return err;
}

export function CustomerPage({ id, section }) {
  const res = useAsync(() => get(`/v1/customers/${id}`), [id]);
  const [error, setError] = useState(null);
  const customer = res.data;
  const setCustomer = (c) => res.setData(c);
  const parentId = customer?.id === id ? customer.parent_id : null;
  const parent = useAsync(() => (parentId ? get(`/v1/customers/${parentId}`) : Promise.resolve(null)), [parentId, customer?.deleted_at]);
  useEffect(() => setError(null), [id]);

  const act = async (fn) => { setError(null); try { await fn(); } catch (err) { setError(err); } };
  const undoDelete = (c) => act(async () => { setCustomer(await post(`/v1/customers/${id}/restore`)); toast(`Restored ${displayName(c)}.`); });
  const softDelete = () => act(async () => {
    const n = customer.children_count || 0;
    const kids = n ? (await get(`/v1/customers?parent_id=${id}&limit=5&sort=name`)).data : [];
    if (!await ask({ title: `Delete ${displayName(customer)}?`, danger: true, confirm: n ? "Delete with sub-customers" : "Delete",
      body: n ? html`<p><strong>It has ${plural(n, "sub-customer")}</strong>: ${kids.map(displayName).join(", ")}${n > kids.length ? ", …" : ""}.</p>
        <p>They move to Deleted with it, and so do their own sub-customers. Undo, or restoring ${displayName(customer)} later, brings them all back.</p>
        <p class="muted">To keep them, move them to another customer first (Edit, on their pages).</p>`
        : html`<p>The customer moves to Deleted. You can undo this or restore them later.</p>` })) return;
    let c;
    try {
      c = await api("DELETE", `/v1/customers/${id}${n ? "?cascade=true" : ""}`);
    } catch (err) {
      if (err.code === "has_children") {
        res.reload();
        err.message = "it has sub-customers now that were added after this page opened; press Delete again to see them";
      }
      throw protectedBelow(err);
    }
    setCustomer(c);
    toast(n ? `Deleted ${displayName(c)} and its sub-customers.` : `Deleted ${displayName(c)}.`, { action: { label: "Undo", run: () => undoDelete(c) } });
  });
  const restore = () => act(async () => { const c = await post(`/v1/customers/${id}/restore`); setCustomer(c); toast(`Restored ${displayName(c)}.`); });
  const forceDelete = () => act(async () => {
    const dry = await api("DELETE", `/v1/customers/${id}?permanent=true&dry_run=true`).catch((err) => { throw protectedBelow(err); });
    const d = dry.deleted;
    if (!await ask({ title: `Delete ${displayName(customer)} permanently?`, danger: true, confirm: "Delete permanently",
      body: html`<p>This removes for ever:</p><ul><li>${plural(d.customers, "customer")}${d.customers > 1
        ? html`: this one and <strong>${plural(d.customers - 1, "sub-customer")}</strong> below it` : ""}</li><li>${plural(d.interactions, "interaction")}</li>
        <li>${plural(d.group_memberships, "group membership")}</li><li>${plural(d.contacts, "contact")}</li></ul><p><strong>This cannot be undone.</strong></p>` })) return;
    try { await api("DELETE", `/v1/customers/${id}?permanent=true`); } catch (err) { throw protectedBelow(err); }
    toast(`Deleted ${displayName(customer)} permanently.`);
    loadGroups(true);
    navigate(listAddress.get());
  });
  const redact = () => act(async () => {
    if (!await ask({ title: `Redact ${displayName(customer)}?`, danger: true, confirm: "Redact",
      body: html`<p>The name becomes [redacted]; email, phone, company, notes and attributes are cleared; contacts' names are redacted and interaction details emptied.
        The record, its history and group memberships stay.</p><p><strong>This cannot be undone.</strong></p>` })) return;
    setCustomer(await post(`/v1/customers/${id}/redact`));
    toast("Customer redacted.");
  });
  const markOwn = () => act(async () => {
    const now = await get("/v1/own-company").catch((err) => { if (err.status === 404) return null; throw err; });
    if (!await ask({ title: `Make ${displayName(customer)} your own company?`, confirm: "Make it our own company",
      body: html`<p>The own company is the company that runs this service. It stays listed like any customer, but it cannot be deleted or redacted.</p>
        ${now && html`<p><strong>${displayName(now)}</strong> is your own company now and stops being it.</p>`}` })) return;
    setCustomer(await api("PUT", "/v1/own-company", { json: { customer_id: id } }));
    toast(`${displayName(customer)} is now your own company.`);
  });
  const unmarkOwn = () => act(async () => {
    if (!await ask({ title: `Unmark ${displayName(customer)}?`, confirm: "Unmark",
      body: html`<p>${displayName(customer)} stops being your own company: it can then be deleted and redacted like any customer. No customer is the own company until you mark one.</p>` })) return;
    // The mark may have moved since this page opened; unmark only this customer.
    const now = await get("/v1/own-company").catch((err) => { if (err.status === 404) return null; throw err; });
    if (now?.id === id) await api("DELETE", "/v1/own-company");
    setCustomer(await get(`/v1/customers/${id}`));
    toast(`${displayName(customer)} is no longer your own company.`);
  });

  if (res.loading && !customer) return html`<${Loading} what="Loading the customer" />`;
  if (res.error) return html`<p><a href=${listAddress.get()}>← Customers</a></p><${PageHeading}>Customer<//><${ErrorAlert} error=${res.error} />`;
  const existing = error?.code === "customer_exists" ? error.body?.error?.existing_id : null;
  const p = parent.data;
  const own = customer.own_company;
  // A merged customer's history is on the customer it was merged into: restoring it would bring
  // back an empty record, so its page leads there instead.
  const merged = Boolean(customer.deleted_at && customer.merged_into);
  const afterMerge = (done, target, sources) => {
    toast(`Merged ${listOf(sources.map(displayName))} into ${displayName(target)}.`);
    setCustomer(done.customer);
    loadGroups(true);
    res.reload();
  };
  return html`<article class="page customer">
    <p class="crumbs"><a href=${listAddress.get()}>← Customers</a></p>
    <div class="page-head">
      <${PageHeading} focusKey=${id}><${CustomerName} customer=${customer} /><//>
      <span class=${`badge ${customer.kind}`}>${customer.kind}</span>
      ${own && html`<span class="badge own">Own company</span>`}
      ${customer.deleted_at && html`<span class="badge del">Deleted</span>`}
    </div>
    ${(customer.handle || customer.parent_id) && html`<p class="subline">
      ${customer.handle && html`<span>Handle <code>${customer.handle}</code></span>`}
      ${customer.parent_id && html`<span>Belongs to <a href=${`#/customers/${customer.parent_id}`}>${p ? displayName(p) : "its parent customer"}</a>${p?.deleted_at && html` <span class="badge del">Deleted</span>`}</span>`}
    </p>`}
    <${ErrorAlert} error=${error} />
    ${existing && html`<p><a href=${`#/customers/${existing}`}>Open the customer who has this email now</a></p>`}
    ${error?.code === "parent_deleted" && html`<p><a href=${`#/customers/${customer.parent_id}`}>Open ${p ? displayName(p) : "the parent customer"} to restore it</a></p>`}
    ${merged ? html`<${MergedNotice} customer=${customer} />`
      : customer.deleted_at && html`<div class="alert info" role="status">Deleted on ${dateTime(customer.deleted_at)}. Restore the customer to edit them.</div>`}
    <div class="actions-bar" role="group" aria-label="Customer actions">
      ${customer.deleted_at
        ? can("customers:delete") && !merged && html`<button type="button" class="primary" onClick=${restore}>Restore</button>`
        : !own && html`${can("customers:delete") && html`<button type="button" class="danger" onClick=${softDelete}>Delete</button>`}
               ${can("customers:update") && html`<button type="button" onClick=${redact}>Redact</button>`}`}
      ${!own && can("customers:force_delete") && html`<button type="button" class="danger" onClick=${forceDelete}>Delete permanently</button>`}
      ${can("admins:manage") && !customer.deleted_at && (own
        ? html`<button type="button" onClick=${unmarkOwn}>Unmark own company</button>`
        : html`<button type="button" onClick=${markOwn}>Make this our own company</button>`)}
    </div>
    ${own && html`<p class="muted protected" id="own-note">This is your own company: it cannot be deleted or redacted, so those actions are not offered${
      can("admins:manage") ? ". Unmark it first to delete it" : ""}.</p>`}
    <nav aria-label="Customer sections" class="subnav"><ul>
      ${SECTIONS.filter(([, , perm]) => !perm || can(perm)).map(([s, name]) => html`<li><a href=${`#/customers/${id}${s === "details" ? "" : `/${s}`}`} aria-current=${section === s ? "page" : undefined}>${name}</a></li>`)}
    </ul></nav>
    ${section === "details" && html`<${Details} customer=${customer} setCustomer=${setCustomer} />
      <${SubCustomers} customer=${customer} onChanged=${res.reload} />
      ${!customer.deleted_at && html`<${PossibleDuplicates} customer=${customer} onMerged=${afterMerge} />`}`}
    ${section === "timeline" && html`<${Timeline} id=${id} />`}
    ${section === "interactions" && html`<${Interactions} id=${id} />`}
    ${section === "contacts" && html`<${Contacts} customer=${customer} />`}
    ${section === "groups" && html`<${Groups} customer=${customer} reload=${res.reload} />`}
    ${section === "activity" && html`<${Activity} id=${id} />`}
    ${section === "events" && html`<${Events} id=${id} />`}
  </article>`;
}
