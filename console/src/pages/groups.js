// Groups (#/groups) and a group's page (#/groups/<id>): create, rename (confirmed), delete,
// and members shown by name, added by searching customers, removed one by one. The built-in
// All (every live customer) lists first and offers none of those changes.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, can, get, loadGroups, post } from "../api.js";
import { dateTime, displayName, plural } from "../format.js";
import { navigate } from "../router.js";
import { ask, ErrorAlert, Field, fieldErrors, Loading, PageHeading, toast, useAsync } from "../ui.js";

function GroupForm({ initial = {}, submitLabel, onSave, onCancel, confirmFirst }) {
  const [name, setName] = useState(initial.name || "");
  const [description, setDescription] = useState(initial.description || "");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (confirmFirst && !await confirmFirst({ name, description })) return;
    setBusy(true); setError(null);
    try {
      await onSave({ name, description });
      if (!initial.name) { setName(""); setDescription(""); }
    } catch (err) {
      if (err.code === "group_exists") err.fields = [{ field: "name", message: "a group with this name exists already" }];
      setError(err);
    } finally { setBusy(false); }
  };
  const errs = fieldErrors(error);
  return html`<form onSubmit=${submit} novalidate class="group-form">
    <${ErrorAlert} error=${error} fieldsShown />
    <div class="grid2">
      <${Field} label="Group name" required value=${name} onInput=${setName} error=${errs.name} maxlength="100" />
      <${Field} label="Description" value=${description} onInput=${setDescription} error=${errs.description} />
    </div>
    <div class="dialog-actions">${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
      <button type="submit" class="primary" disabled=${busy}>${submitLabel}</button></div>
  </form>`;
}

const BuiltIn = () => html`<span class="badge builtin">Built-in</span>`;

export function GroupsPage() {
  const list = useAsync(() => loadGroups(true), []);
  const groups = list.data || [];
  const own = groups.filter((g) => !g.builtin);
  const create = async ({ name, description }) => {
    const g = await post("/v1/groups", description.trim() ? { name, description } : { name });
    toast(`Created group ${g.name}.`);
    list.reload();
  };
  return html`<section class="page">
    <div class="page-head"><${PageHeading} focusKey="groups">Groups<//></div>
    <${ErrorAlert} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} />` : html`
    <div class="tablewrap" tabindex="0" role="region" aria-label="Groups"><table>
      <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Members</th><th scope="col">Created</th></tr></thead>
      <tbody>${groups.map((g) => html`<tr class=${g.builtin ? "builtin" : ""}><td><a href=${`#/groups/${g.id}`}>${g.name}</a>${g.builtin && html` <${BuiltIn} />`}</td>
        <td>${g.description}</td><td>${g.member_count}</td><td>${dateTime(g.created_at)}</td></tr>`)}</tbody>
    </table></div>
    ${own.length === 0 && html`<p class="empty">No groups of your own yet.</p>`}`}
    ${can("groups:manage") && html`<section aria-labelledby="new-group-h"><h2 id="new-group-h">New group</h2>
    <${GroupForm} submitLabel="Create group" onSave=${create} /></section>`}
  </section>`;
}

function AddMembers({ group, onAdded }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!q.trim()) { setResults(null); return undefined; }
    const t = setTimeout(() => get(`/v1/customers?q=${encodeURIComponent(q.trim())}&limit=10`).then((r) => setResults(r.data), setError), 250);
    return () => clearTimeout(t);
  }, [q]);
  const add = async (c) => {
    setError(null);
    try { await post(`/v1/groups/${group.id}/members`, { customer_ids: [c.id] }); toast(`Added ${displayName(c)} to ${group.name}.`); onAdded(); } catch (err) { setError(err); }
  };
  return html`<section aria-labelledby="add-h"><h2 id="add-h">Add members</h2>
    <${ErrorAlert} error=${error} />
    <${Field} label="Find customers to add" type="search" value=${q} onInput=${setQ} hint="Search by name, email, phone or company" />
    ${results && (results.length === 0 ? html`<p class="muted" role="status">No customers match.</p>` : html`<ul class="results" aria-label="Matching customers">
      ${results.map((c) => html`<li><span>${displayName(c)} <span class="muted">${c.email || ""}</span></span>
        ${(c.group_ids || []).includes(group.id) ? html`<span class="muted">Member</span>`
          : html`<button type="button" aria-label=${`Add ${displayName(c)}`} onClick=${() => add(c)}>Add</button>`}</li>`)}</ul>`)}
  </section>`;
}

export function GroupPage({ id }) {
  const group = useAsync(() => get(`/v1/groups/${encodeURIComponent(id)}`), [id]);
  const members = useAsync(() => get(`/v1/customers?group_id=${encodeURIComponent(id)}&limit=100&sort=name`), [id]);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState(null);
  const g = group.data;
  const refresh = () => { group.reload(); members.reload(); loadGroups(true); };
  const rename = async ({ name, description }) => {
    const patch = {};
    if (name !== g.name) patch.name = name;
    if (description !== (g.description || "")) patch.description = description.trim() ? description : null;
    if (Object.keys(patch).length) { group.setData(await api("PATCH", `/v1/groups/${id}`, { json: patch })); toast("Group saved."); loadGroups(true); }
    setEditing(false);
  };
  const remove = async () => {
    if (!await ask({ title: `Delete group ${g.name}?`, danger: true, confirm: "Delete group",
      body: html`<p>The group goes; its ${plural(g.member_count, "customer")} stay.</p>` })) return;
    try { await api("DELETE", `/v1/groups/${id}`); toast(`Deleted group ${g.name}.`); await loadGroups(true); navigate("#/groups"); } catch (err) { setError(err); }
  };
  const removeMember = async (c) => {
    if (!await ask({ title: "Remove member?", body: html`<p>Remove ${displayName(c)} from ${g.name}? The customer stays.</p>`, confirm: "Remove", danger: true })) return;
    try { await api("DELETE", `/v1/groups/${id}/members`, { json: { customer_ids: [c.id] } }); toast(`Removed ${displayName(c)}.`); refresh(); } catch (err) { setError(err); }
  };
  if (group.loading && !g) return html`<${Loading} what="Loading the group" />`;
  if (group.error) return html`<p><a href="#/groups">← Groups</a></p><${PageHeading}>Group<//><${ErrorAlert} error=${group.error} />`;
  const rows = members.data?.data || [];
  // All's members are every live customer: nothing here changes them, or its name.
  const manage = can("groups:manage") && !g.builtin;
  const everyMember = g.builtin ? "#/customers"
    : `#/customers?f=${encodeURIComponent(JSON.stringify({ match: "all", conditions: [{ field: "group_id", op: "eq", value: id }] }))}`;
  return html`<article class="page">
    <p class="crumbs"><a href="#/groups">← Groups</a></p>
    <div class="page-head"><${PageHeading} focusKey=${id}>${g.name}<//>${g.builtin && html`<${BuiltIn} />`}<span class="grow"></span>
      ${manage && html`<button type="button" onClick=${() => setEditing(!editing)} aria-expanded=${editing ? "true" : "false"}>Rename or describe</button>
      <button type="button" class="danger" onClick=${remove}>Delete group</button>`}</div>
    ${g.description && html`<p>${g.description}</p>`}
    ${g.builtin && html`<p class="muted">Every customer that is not deleted is in ${g.name}, and leaves it only by being deleted. It cannot be renamed or deleted, and takes no members by hand.</p>`}
    <${ErrorAlert} error=${error} />
    ${editing && html`<${GroupForm} initial=${g} submitLabel="Save group" onSave=${rename} onCancel=${() => setEditing(false)}
      confirmFirst=${() => ask({ title: "Save group?", body: html`<p>Save the changes to ${g.name}?</p>`, confirm: "Save changes" })} />`}
    <section aria-labelledby="members-h"><h2 id="members-h">Members (${g.member_count})</h2>
      <${ErrorAlert} error=${members.error} />
      ${rows.length === 0 ? html`<p class="empty">No members yet.</p>` : html`<div class="tablewrap" tabindex="0" role="region" aria-label="Members"><table>
        <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Company</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${rows.map((c) => html`<tr><td><a href=${`#/customers/${c.id}`}>${displayName(c)}</a></td><td>${c.email}</td><td>${c.company}</td>
          <td class="actions">${manage && html`<button type="button" class="danger" aria-label=${`Remove ${displayName(c)} from the group`} onClick=${() => removeMember(c)}>Remove</button>`}</td></tr>`)}</tbody>
      </table></div>`}
      ${members.data?.has_more && html`<p><a href=${everyMember}>See every member in the customer list</a></p>`}
    </section>
    ${manage && html`<${AddMembers} group=${g} onAdded=${refresh} />`}
  </article>`;
}
