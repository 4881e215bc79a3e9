// Merging duplicates (POST /v1/customers/{id}/merge): the dialog that asks for the dry run first
// and says in words what will move, then merges; a customer page's "Possible duplicates"; and the
// "Merged into" notice of a customer merged away.
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { can, get, post } from "../api.js";
import { dateTime, displayName, plural } from "../format.js";
import { CustomerName, Dialog, ErrorAlert, Loading, useAsync } from "../ui.js";

// A merge soft-deletes its sources, so it takes both permissions (as the API does).
export const canMerge = () => can("customers:update") && can("customers:delete");

// Who a customer is in a sentence: duplicates often share a name, so the email or phone says which.
export function who(c) {
  const extra = c.email || c.phone;
  return extra && extra !== displayName(c) ? `${displayName(c)} (${extra})` : displayName(c);
}

export const listOf = (items) => (items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

// "3 interactions, 1 contact, 1 group membership and 0 sub-customers will move to Ada".
export function movedText(moved, to) {
  const parts = [plural(moved.interactions, "interaction"), plural(moved.contacts, "contact"),
    plural(moved.group_memberships, "group membership"), plural(moved.children, "sub-customer")];
  if (moved.visitors) parts.push(plural(moved.visitors, "website visitor id"));
  return `${listOf(parts)} will move to ${to}`;
}

// The customer a bulk merge keeps unless the admin picks another: one that can be kept at all
// (live; the own company can only be kept), registered before visitor, the oldest.
function defaultKeep(choices) {
  const own = choices.find((c) => c.own_company && !c.deleted_at);
  if (own) return own;
  const rank = (c) => (c.deleted_at ? 2 : 0) + (c.kind === "registered" ? 0 : 1);
  return [...choices].sort((a, b) => rank(a) - rank(b) || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))[0];
}

// A refused merge in words: the API names sources by position (source_ids[1]) or by id; these
// name them as the admin knows them.
function Refusal({ error, target, sources, choosing, onLeave }) {
  if (!error) return null;
  const named = (text) => [target, ...sources].reduce((t, c) => t.split(c.id).join(displayName(c)), text || "");
  const own = sources.find((s) => s.own_company);
  let body;
  if (error.code === "customer_protected") {
    body = html`<p class="tight"><strong>${own ? displayName(own) : "One of them"} is your own company</strong>, and a merge deletes the customers merged
      into another: your own company can only be the one kept.</p>
      <p class="tight">${choosing ? html`Choose ${own ? displayName(own) : "it"} as the customer to keep instead.`
        : html`Merge the other way round: ${own ? html`<a href=${`#/customers/${own.id}`} onClick=${onLeave}>open ${displayName(own)}</a>` : "open your own company"}
          and merge ${displayName(target)} into it.`}</p>`;
  } else if (error.code === "customer_deleted") {
    body = html`<p class="tight"><strong>${displayName(target)} is deleted</strong> (since this page opened): restore it first to merge into it.</p>`;
  } else if (error.status === 422 && error.fields?.length) {
    const line = (f) => {
      const m = /^source_ids\[(\d+)\]$/.exec(f.field);
      const source = m && sources[Number(m[1])];
      return source ? `${who(source)}: ${f.message}` : named(f.message);
    };
    body = html`<p class="tight"><strong>The merge cannot go ahead:</strong></p>
      <ul class="tight">${error.fields.map((f) => html`<li>${line(f)}</li>`)}</ul>`;
  } else {
    return html`<${ErrorAlert} error=${error} />`;
  }
  return html`<div class="alert error" role="alert">${body}
    ${error.requestId && html`<span class="rid">Request id ${error.requestId}</span>`}</div>`;
}

// With `choices` (two or more customers) the admin first picks the one to keep and the others
// are merged into it; otherwise `sources` are merged into `target` (the page open: "here").
export function MergeDialog({ target: fixedTarget, sources: fixedSources, choices, onClose, onMerged }) {
  // The one kept by default comes first, so the dialog opens on it.
  const [list] = useState(() => choices && (() => { const k = defaultKeep(choices); return [k, ...choices.filter((c) => c !== k)]; })());
  const [keep, setKeep] = useState(() => (choices ? list[0].id : fixedTarget.id));
  const target = choices ? list.find((c) => c.id === keep) : fixedTarget;
  const sources = choices ? list.filter((c) => c.id !== keep) : fixedSources;
  const [dry, setDry] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const seq = useRef(0);
  const body = (dryRun) => ({ source_ids: sources.map((s) => s.id), ...(dryRun ? { dry_run: true } : {}) });
  // The dry run answers what a merge would move (or why it would be refused), before any change.
  useEffect(() => {
    const n = ++seq.current;
    setDry(null); setError(null);
    post(`/v1/customers/${target.id}/merge`, body(true))
      .then((r) => { if (n === seq.current) setDry(r); }, (err) => { if (n === seq.current) setError(err); });
  }, [keep]);
  const merge = async () => {
    setBusy(true); setError(null);
    try {
      const done = await post(`/v1/customers/${target.id}/merge`, body(false));
      onClose();
      onMerged(done, target, sources);
    } catch (err) { setError(err); setBusy(false); }
  };
  const title = choices ? `Merge ${plural(list.length, "customer")}` : `Merge into ${displayName(target)}`;
  const goes = listOf(sources.map(who));
  return html`<${Dialog} title=${title} onClose=${onClose} wide>
    <div class="dialog-body merge">
      ${choices && html`<fieldset class="keep">
        <legend>Keep which customer?</legend>
        <p class="hint tight">The others are merged into it: their history moves there and they are deleted.</p>
        ${list.map((c) => html`<label class="check keep-choice"><input type="radio" name="keep" value=${c.id} checked=${keep === c.id}
          onChange=${() => setKeep(c.id)} /><span><${CustomerName} customer=${c} />${(c.email || c.phone) && html` <span class="muted small">${c.email || c.phone}</span>`}${" "}
          <span class=${`badge ${c.kind}`}>${c.kind}</span>${c.own_company && html` <span class="badge own">Own company</span>`}${c.deleted_at && html` <span class="badge del">Deleted</span>`}</span></label>`)}
      </fieldset>`}
      <div role="status" class="merge-summary">
        ${!dry && !error && html`<p class="muted">Checking what the merge would move…</p>`}
        ${dry && html`<p><strong>${movedText(dry.moved, displayName(target))}</strong>; ${goes} will be deleted and point ${choices ? `to ${displayName(target)}` : "here"}.</p>
          <p class="muted tight">Where ${displayName(target)} has no name, email, phone, company, notes or handle, it takes the first merged customer's;
            its own values win, and attributes are combined. A merge cannot be undone.</p>`}
      </div>
      <${Refusal} error=${error} target=${target} sources=${sources} choosing=${Boolean(choices)} onLeave=${onClose} />
    </div>
    <div class="dialog-actions">
      <button type="button" autofocus onClick=${onClose}>Cancel</button>
      <button type="button" class="primary" disabled=${!dry || Boolean(error) || busy} onClick=${merge}>${busy ? "Merging…" : "Merge"}</button>
    </div>
  <//>`;
}

// The rule "Possible duplicates" states: the same name with case, accents and spaces folded
// (María and Maria: NFD splits the accent off its letter, then marks are dropped), the same phone
// digits, or the same email before the @ (emails are stored lower-cased).
const fold = (s) => (s || "").normalize("NFD").replace(/\p{Mn}/gu, "").trim().replace(/\s+/g, " ").toLowerCase();
const digits = (s) => (s || "").replace(/\D/g, "");
const localPart = (e) => (e || "").split("@")[0].toLowerCase();

// Why `o` may be the same person as `c`; empty when it is not. A visitor's placeholder name is
// no name, so it matches nothing.
export function sameBy(c, o) {
  const why = [];
  if (!c.anonymous && !o.anonymous && fold(c.name) && fold(c.name) === fold(o.name)) why.push("same name");
  if (digits(c.phone) && digits(c.phone) === digits(o.phone)) why.push("same phone");
  if (localPart(c.email) && localPart(c.email) === localPart(o.email)) why.push("same email before the @");
  return why;
}

const search = (q) => get(`/v1/customers?q=${encodeURIComponent(q.slice(0, 200))}&limit=100&sort=name`);

// The list's search is a substring search over the text as stored, so each rule asks for a text
// every match contains: the name's longest word as written (a name spaced differently still
// holds it), the phone's last four digits (kept together in the usual ways of writing a number),
// the email's local part; the exact rule is applied here. The search does not fold accents, so
// the word's first run of three or more letters without one, cut to four (García: "garc"), also
// finds it written with other accents or none, as long as those letters carry none there
// either. A word so common that it
// fills a page is followed by the whole name, so the usual duplicate is not lost past the first page.
async function findDuplicates(c) {
  const name = c.anonymous ? "" : (c.name || "").trim().replace(/\s+/g, " ").toLowerCase();
  const word = name.split(" ").reduce((a, b) => (b.length > a.length ? b : a), "");
  const stem = (word.split(/[^\p{L}\p{N}]|[^\x00-\x7f]/u).find((run) => run.length >= 3) || "").slice(0, 4);
  const texts = [word, digits(c.phone).slice(-4), localPart(c.email), stem !== word && stem].filter(Boolean);
  const pages = await Promise.all(texts.map(search));
  if (word && word !== name && pages[0].has_more) pages.push(await search(name));
  const found = new Map();
  for (const o of pages.flatMap((p) => p.data)) {
    if (o.id === c.id || o.deleted_at || found.has(o.id)) continue;
    const why = sameBy(c, o);
    if (why.length) found.set(o.id, { customer: o, why });
  }
  return [...found.values()].sort((a, b) => b.why.length - a.why.length);
}

const SHOWN = 10;

export function PossibleDuplicates({ customer, onMerged }) {
  const found = useAsync(() => findDuplicates(customer), [customer.id, customer.version]);
  const [selected, setSelected] = useState(() => new Set());
  const [merging, setMerging] = useState(null);
  useEffect(() => { setSelected(new Set()); }, [found.data]);
  const items = (found.data || []).slice(0, SHOWN);
  const more = (found.data?.length || 0) - items.length;
  const mergeable = canMerge();
  const toggle = (id, on) => { const s = new Set(selected); on ? s.add(id) : s.delete(id); setSelected(s); };
  return html`<section aria-labelledby="dups-h">
    <div class="section-head"><h2 id="dups-h">Possible duplicates${found.data?.length ? ` (${found.data.length})` : ""}</h2>
      ${mergeable && selected.size > 0 && html`<button type="button" onClick=${() => setMerging(items.filter((i) => selected.has(i.customer.id)).map((i) => i.customer))}>
        Merge ${plural(selected.size, "selected customer")} into this customer</button>`}</div>
    <p class="muted small tight" id="dups-rule">Live customers with the same name (ignoring case, accents and spaces), the same phone number (digits only) or the same email before the @.</p>
    <${ErrorAlert} error=${found.error} />
    ${found.loading && !found.data ? html`<${Loading} what="Looking for possible duplicates" />` : !found.error && items.length === 0
      ? html`<p class="empty">No possible duplicates found.</p>` : items.length > 0 && html`
    <ul class="results dups" aria-labelledby="dups-h" aria-describedby="dups-rule">
      ${items.map(({ customer: o, why }) => html`<li>
        <span class="dup">
          ${mergeable && html`<input type="checkbox" checked=${selected.has(o.id)} aria-label=${`Select ${who(o)}`} onChange=${(e) => toggle(o.id, e.currentTarget.checked)} />`}
          <span><a href=${`#/customers/${o.id}`}><${CustomerName} customer=${o} /></a>${o.own_company && html` <span class="badge own">Own company</span>`}
            <span class=${`badge ${o.kind}`}>${o.kind}</span>
            <span class="muted small dup-info">${[o.email, o.phone].filter(Boolean).join(" · ")}${o.email || o.phone ? " — " : ""}${why.join(", ")}</span></span>
        </span>
        ${mergeable && html`<button type="button" aria-label=${`Merge into this customer: ${who(o)}`} onClick=${() => setMerging([o])}>Merge into this customer</button>`}
      </li>`)}
    </ul>`}
    ${more > 0 && html`<p class="muted small">and ${plural(more, "more possible duplicate")}: merge these first, or search the customer list.</p>`}
    ${merging && html`<${MergeDialog} target=${customer} sources=${merging} onClose=${() => setMerging(null)} onMerged=${onMerged} />`}
  </section>`;
}

// On a merged customer's page: where its history went, with the way there.
export function MergedNotice({ customer }) {
  const into = useAsync(() => get(`/v1/customers/${customer.merged_into}`).catch((err) => {
    if (err.status === 404) return null;
    throw err;
  }), [customer.merged_into]);
  const t = into.data;
  return html`<div class="alert info" role="status">
    <strong>Merged into ${t ? html`<a href=${`#/customers/${t.id}`}><${CustomerName} customer=${t} /></a>` : into.data === null ? "a customer deleted permanently since" : "another customer"}</strong>
    ${t?.deleted_at && html` <span class="badge del">Deleted</span>`} on ${dateTime(customer.deleted_at)}.
    Its interactions, contacts, groups and sub-customers are there now; it is kept deleted, pointing there, so old links still lead to them.
  </div>`;
}
