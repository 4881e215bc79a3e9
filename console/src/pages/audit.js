// The audit log (#/audit): filters in the address (action, target, time range), newest first, paged.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { get, qs } from "../api.js";
import { dateTime } from "../format.js";
import { href, navigate } from "../router.js";
import { ErrorAlert, Field, fieldErrors, Loading, PageHeading, Select, useAsync } from "../ui.js";

const ACTIONS = [
  "customer.create", "customer.update", "customer.delete", "customer.restore", "customer.redact", "customer.force_delete",
  "customer.bulk_delete", "customer.bulk_force_delete", "customer.import", "customer.export",
  "contact.create", "contact.update", "contact.delete",
  "group.create", "group.update", "group.delete", "group.members_add", "group.members_remove",
  "api_key.create", "api_key.revoke", "admin.create", "admin.update", "admin.delete",
  "webhook.create", "webhook.update", "webhook.delete", "webhook.rotate_secret", "webhook.replay",
];

export function AuditTable({ entries }) {
  if (!entries.length) return html`<p class="empty">No entries.</p>`;
  return html`<div class="tablewrap" tabindex="0" role="region" aria-label="Audit entries"><table>
    <thead><tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th>
      <th scope="col">Changed fields</th><th scope="col">Outcome</th><th scope="col">Request id</th></tr></thead>
    <tbody>${entries.map((e) => html`<tr><td><time datetime=${e.at} title=${e.at}>${dateTime(e.at)}</time></td><td class="mono">${e.actor}</td>
      <td>${e.action}</td>
      <td>${e.target_type === "customer" && e.target_id ? html`<a href=${`#/customers/${e.target_id}`}>customer ${e.target_id.slice(-8)}</a>`
        : e.target_type === "group" && e.target_id ? html`<a href=${`#/groups/${e.target_id}`}>group ${e.target_id.slice(-8)}</a>`
        : html`${e.target_type || ""} <span class="mono">${e.target_id ? e.target_id.slice(-8) : ""}</span>`}</td>
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
  const errs = page.error?.code === "invalid_parameter" ? { [page.error.body?.error?.parameter]: page.error.message } : fieldErrors(page.error);
  return html`<section class="page">
    <div class="page-head"><${PageHeading} focusKey="audit">Audit log<//></div>
    <form class="filters" aria-label="Audit filters" onSubmit=${apply}>
      <div class="grid4">
        <${Select} label="Action" value=${draft.action} onChange=${set("action")} options=${[["", "Any action"], ...ACTIONS.map((a) => [a, a])]} />
        <${Field} label="Actor" value=${draft.actor} onInput=${set("actor")} error=${errs.actor} hint="admin:<email>, key:<id> or admin-token" />
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
