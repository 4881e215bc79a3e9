// The audit log (#/audit): filters in the address (action, actor, target, time range), newest
// first, paged. Targets and actors are shown by name where the caller may read them.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { can, get, loadGroups, qs } from "../api.js";
import { dateTime, displayName } from "../format.js";
import { href, navigate } from "../router.js";
import { ErrorAlert, Field, fieldErrors, Loading, PageHeading, Select, useAsync } from "../ui.js";

// The actions are the API's own list (the OpenAPI document's AuditAction enum), so the filter
// offers every action the server writes.
let actionsPromise = null;
const auditActions = () => (actionsPromise ??= fetch("/openapi.json").then((r) => r.json())
  .then((d) => d.components.schemas.AuditAction.enum).catch((e) => { actionsPromise = null; throw e; }));

// Names by id of what the caller may list: customers (asked one by one, once), groups, keys,
// admins and webhooks.
const customerNames = new Map();
async function namesFor(entries) {
  const out = {};
  const ids = [...new Set(entries.flatMap((e) => [e.target_type === "customer" && e.target_id, e.details?.customer_id]).filter(Boolean))];
  await Promise.all(ids.filter((id) => !customerNames.has(id)).map((id) => get(`/v1/customers/${id}`)
    .then((c) => customerNames.set(id, displayName(c)), (err) => { if (err.status === 404) customerNames.set(id, "(removed customer)"); })));
  for (const id of ids) if (customerNames.has(id)) out[id] = customerNames.get(id);
  const lists = await Promise.all([
    loadGroups().then((g) => g.map((x) => [x.id, x.name]), () => []),
    can("keys:manage") ? get("/v1/api-keys").then((r) => r.data.map((k) => [k.id, k.name]), () => []) : [],
    can("admins:manage") ? get("/v1/admins").then((r) => r.data.map((a) => [a.id, a.email]), () => []) : [],
    can("webhooks:manage") ? get("/v1/webhooks").then((r) => r.data.map((h) => [h.id, h.url]), () => []) : [],
  ]);
  for (const l of lists) for (const [id, name] of l) out[id] = name;
  return out;
}

// The actors the filter offers: the admin token, the public pages, each admin and each key.
async function actorChoices() {
  const [admins, keys] = await Promise.all([
    can("admins:manage") ? get("/v1/admins").then((r) => r.data, () => []) : [],
    can("keys:manage") ? get("/v1/api-keys").then((r) => r.data, () => []) : [],
  ]);
  return [["admin-token", "Admin token"], ["public", "Public pages"],
    ...admins.map((a) => [`admin:${a.email}`, `Admin ${a.email}`]), ...keys.map((k) => [`key:${k.id}`, `API key ${k.name}`])];
}

const LINKS = { customer: (id) => `#/customers/${id}`, group: (id) => `#/groups/${id}`, webhook: (id) => `#/webhooks/${id}` };
function Target({ e, names }) {
  if (!e.target_id) return html`<span class="muted">${e.target_type || ""}</span>`;
  const name = names[e.target_id];
  const link = LINKS[e.target_type];
  const text = name ? `${e.target_type.replace("_", " ")} ${name}` : `${e.target_type.replace("_", " ")} ${e.target_id.slice(-8)}`;
  if (e.target_type === "contact" && e.details?.customer_id) {
    const of = names[e.details.customer_id];
    return html`<a href=${`#/customers/${e.details.customer_id}/contacts`}>contact of ${of || e.details.customer_id.slice(-8)}</a>`;
  }
  return link ? html`<a href=${link(e.target_id)}>${text}</a>` : text;
}

export function AuditTable({ entries }) {
  const [names, setNames] = useState({});
  useEffect(() => { let live = true; namesFor(entries).then((n) => { if (live) setNames(n); }, () => {}); return () => { live = false; }; }, [entries]);
  if (!entries.length) return html`<p class="empty">No entries.</p>`;
  return html`<div class="tablewrap" tabindex="0" role="region" aria-label="Audit entries"><table>
    <thead><tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th>
      <th scope="col">Changed fields</th><th scope="col">Outcome</th><th scope="col">Request id</th></tr></thead>
    <tbody>${entries.map((e) => html`<tr><td><time datetime=${e.at} title=${e.at}>${dateTime(e.at)}</time></td><td class="mono">${e.actor}</td>
      <td>${e.action}</td>
      <td><${Target} e=${e} names=${names} /></td>
      <td class="wrap">${(e.changed_fields || []).join(", ")}</td><td>${e.outcome}</td><td class="mono small">${e.request_id}</td></tr>`)}</tbody>
  </table></div>`;
}

export function AuditPage({ params }) {
  const state = { action: params.get("action") || "", actor: params.get("actor") || "", target_id: params.get("target_id") || "", after: params.get("after") || "",
    before: params.get("before") || "", cursor: params.get("cursor") || "" };
  const [draft, setDraft] = useState(state);
  const key = JSON.stringify(state);
  const page = useAsync(() => get(`/v1/audit-log${qs({ ...state, limit: 50 })}`), [key]);
  const apply = (e) => { e.preventDefault(); navigate(href("/audit", { ...draft, cursor: "" })); };
  const clear = () => { const empty = { action: "", actor: "", target_id: "", after: "", before: "", cursor: "" }; setDraft(empty); navigate(href("/audit")); };
  const set = (k) => (v) => setDraft({ ...draft, [k]: v });
  const actions = useAsync(auditActions, []);
  const actors = useAsync(actorChoices, []);
  const actorOptions = [["", "Any actor"], ...(actors.data || [])];
  if (draft.actor && !actorOptions.some(([v]) => v === draft.actor)) actorOptions.push([draft.actor, draft.actor]);
  const actionOptions = [["", "Any action"], ...(actions.data || (draft.action ? [draft.action] : [])).map((a) => [a, a])];
  const errs = page.error?.code === "invalid_parameter" ? { [page.error.body?.error?.parameter]: page.error.message } : fieldErrors(page.error);
  return html`<section class="page">
    <div class="page-head"><${PageHeading} focusKey="audit">Audit log<//></div>
    <form class="filters" aria-label="Audit filters" onSubmit=${apply}>
      <div class="grid4">
        <${Select} label="Action" value=${draft.action} onChange=${set("action")} options=${actionOptions} />
        <${Select} label="Actor" value=${draft.actor} onChange=${set("actor")} options=${actorOptions} error=${errs.actor} />
        <${Field} label="Target id" value=${draft.target_id} onInput=${set("target_id")} error=${errs.target_id} />
        <${Field} label="From (inclusive)" type="date" value=${draft.after} onInput=${set("after")} error=${errs.after} />
        <${Field} label="Until (exclusive)" type="date" value=${draft.before} onInput=${set("before")} error=${errs.before} />
      </div>
      <div class="row"><span class="grow"></span><button type="button" onClick=${clear}>Clear</button><button type="submit" class="primary">Apply</button></div>
    </form>
    <${ErrorAlert} error=${page.error} />
    ${page.loading && !page.data ? html`<${Loading} />` : page.data && html`<${AuditTable} entries=${page.data.data} />`}
    <div class="foot"><span class="grow"></span>
      ${state.cursor && html`<a class="button" href=${href("/audit", { ...state, cursor: "" })}>First page</a>`}
      <button type="button" disabled=${!page.data?.has_more} onClick=${() => navigate(href("/audit", { ...state, cursor: page.data.next_cursor }))}>Next page</button>
    </div>
  </section>`;
}
