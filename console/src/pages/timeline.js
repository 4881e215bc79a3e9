// One timeline per customer (#/customers/<id>/timeline): interactions, changes (the audit log)
// and change events in one list, newest first, each in words, filterable by kind. Changes and
// events appear for callers who may read them (audit:read, events:read).
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { can, get } from "../api.js";
import { dateTime, label, plural, relativeTime } from "../format.js";
import { ErrorAlert, Loading, Select, useAsync } from "../ui.js";

const DID = {
  meeting_booked: "Booked a meeting", form_submitted: "Submitted a form", chat_started: "Started a chat", conference_joined: "Joined a conference room",
};
const VERBS = {
  "customer.create": "created this customer", "customer.update": "changed", "customer.delete": "deleted this customer",
  "customer.restore": "restored this customer", "customer.redact": "redacted this customer", "customer.force_delete": "deleted this customer permanently",
  "customer.merge": "merged", "customer.own_company_set": "made this the own company", "customer.own_company_unset": "unmarked the own company",
  "customer.import": "imported", "contact.create": "added a contact", "contact.update": "changed a contact", "contact.delete": "removed a contact",
  "contact.issue_activation_link": "issued an activation link", "contact.activate": "activated a contact",
};

export function actorInWords(actor) {
  if (!actor) return "Someone";
  if (actor === "admin-token") return "The admin token";
  if (actor === "public") return "A public page";
  if (actor.startsWith("admin:")) return actor.slice(6);
  if (actor.startsWith("key:")) return `API key …${actor.slice(-8)}`;
  if (actor.startsWith("contact:")) return "A customer user (portal)";
  return actor;
}

function changeInWords(e) {
  const fields = (e.changed_fields || []).map(label);
  const verb = VERBS[e.action] || label(e.action);
  const what = e.action === "customer.update" || e.action === "customer.merge"
    ? `${verb} ${fields.length ? fields.join(", ") : "nothing"}` : verb;
  const via = e.details?.via === "import" ? " (through an import)" : "";
  return `${actorInWords(e.actor)} ${what}${via}${e.outcome && e.outcome !== "success" ? ` (${e.outcome})` : ""}.`;
}

function eventInWords(ev) {
  const d = ev.data || {};
  const changed = d.changed_fields?.length ? `: ${d.changed_fields.map(label).join(", ")}` : "";
  return `Webhooks were told ${ev.type}${changed}.`;
}

async function entriesOf(id) {
  const [interactions, changes, events] = await Promise.all([
    get(`/v1/customers/${id}/interactions?limit=100`).then((r) => r.data),
    can("audit:read") ? get(`/v1/audit-log?target_id=${id}&limit=100`).then((r) => r.data) : [],
    can("events:read") ? get(`/v1/events?customer_id=${id}&limit=100`).then((r) => r.data) : [],
  ]);
  return [
    ...interactions.map((i) => ({ kind: "interaction", at: i.occurred_at, id: i.id,
      words: `${DID[i.type] || label(i.type)}${i.resource_id ? ` (${i.resource_id})` : ""}.` })),
    ...changes.map((e) => ({ kind: "change", at: e.at, id: e.id, words: changeInWords(e) })),
    ...events.map((ev) => ({ kind: "event", at: ev.created_at, id: ev.id, words: eventInWords(ev) })),
  ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

const KINDS = [["", "Everything"], ["interaction", "Interactions"], ["change", "Changes"], ["event", "Events"]];
const KIND_LABEL = { interaction: "Interaction", change: "Change", event: "Event" };

export function Timeline({ id }) {
  const [kind, setKind] = useState("");
  const all = useAsync(() => entriesOf(id), [id]);
  const shown = (all.data || []).filter((e) => !kind || e.kind === kind);
  const kinds = KINDS.filter(([k]) => !k || k === "interaction" || (k === "change" ? can("audit:read") : can("events:read")));
  return html`<section aria-labelledby="tl-h"><div class="section-head"><h2 id="tl-h">Timeline</h2>
      <${Select} label="Show" value=${kind} onChange=${setKind} options=${kinds} /></div>
    <${ErrorAlert} error=${all.error} />
    ${all.loading ? html`<${Loading} />` : shown.length === 0 ? html`<p class="empty">Nothing yet.</p>` : html`
      <p class="muted small" role="status">${plural(shown.length, "entry", "entries")}, newest first.</p>
      <ol class="timeline" aria-label="Timeline entries">${shown.map((e) => html`<li class=${`tl-${e.kind}`}>
        <span class="badge">${KIND_LABEL[e.kind]}</span>
        <time datetime=${e.at} title=${dateTime(e.at)}>${relativeTime(e.at)}</time>
        <span class="words">${e.words}</span></li>`)}</ol>`}
  </section>`;
}
