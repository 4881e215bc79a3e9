// The customer list: tabs (active, registered, visitors, deleted, all), search, the filter builder, sort, paging,
// selection with bulk actions, create and export. All of the view's state is in the address.
import { html } from "htm/preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, can, get, joinable, loadGroups, onGroups, post, saveBlob } from "../api.js";
import { dateTime, displayName, label, plural, relativeTime } from "../format.js";
import { href, listAddress, navigate, restoreScroll } from "../router.js";
import { ask, Checkbox, CustomerName, Dialog, ErrorAlert, fieldErrors, PageHeading, toast, useAsync } from "../ui.js";
import { CustomerForm, createBody, withConflictField } from "./customer-form.js";
import { describe, FilterBuilder } from "./filter-builder.js";
import { canMerge, listOf, MergeDialog } from "./merge.js";

// Registered and Visitors are the live customers of each kind (BeDesk: registered customers, and
// the website visitors known from the live chat and other public pages).
const TABS = [["active", "Active"], ["registered", "Registered"], ["visitors", "Visitors"], ["deleted", "Deleted"], ["all", "All"]];
const TAB_KIND = { registered: "registered", visitors: "visitor" };
// The table's columns: [id, heading, sort key]. An id is also the export's column name, so the
// CSV holds what the table shows; `attributes.<key>` columns are added by the chooser.
const COLUMNS = [
  ["name", "Name", "name"], ["email", "Email", "email"], ["phone", "Phone"], ["company", "Company"], ["kind", "Kind"],
  ["source", "Source"], ["groups", "Groups"], ["created_at", "Created", "created_at"], ["last_seen_at", "Last seen", "last_seen_at"],
  ["notes", "Notes"], ["handle", "Handle"], ["updated_at", "Updated"],
];
const DEFAULT_COLUMNS = COLUMNS.slice(0, 9).map(([id]) => id);
const COLUMNS_KEY = "customers-admin-columns";
const columnOf = (id) => COLUMNS.find(([c]) => c === id) || (id.startsWith("attributes.") ? [id, id.slice(11)] : null);
// The shown columns: the address's, else the ones this browser chose last, else the default.
function readColumns(params) {
  const raw = params.get("cols") ?? localStorage.getItem(COLUMNS_KEY) ?? "";
  const cols = raw.split(",").map((c) => c.trim()).filter((c) => c && columnOf(c));
  return cols.length ? [...new Set(cols)] : DEFAULT_COLUMNS;
}

export function useGroups() {
  const [groups, setGroups] = useState([]);
  useEffect(() => { loadGroups().then(setGroups, () => {}); return onGroups(setGroups); }, []);
  return groups;
}

function readState(params) {
  let filter = null;
  try { filter = params.get("f") ? JSON.parse(params.get("f")) : null; } catch { filter = null; }
  return {
    q: params.get("q") || "", tab: TABS.some(([t]) => t === params.get("tab")) ? params.get("tab") : "active", sort: params.get("sort") || "-created_at",
    filter, cursor: params.get("cursor") || "", limit: Number(params.get("limit")) || 25,
    // "none": top-level customers only; a customer id: that customer's direct sub-customers.
    parent: params.get("parent") || "",
    cols: readColumns(params),
  };
}

function address(state) {
  return href("/customers", {
    q: state.q, tab: state.tab === "active" ? "" : state.tab, sort: state.sort === "-created_at" ? "" : state.sort,
    f: state.filter?.conditions?.length ? JSON.stringify(state.filter) : "", parent: state.parent,
    cursor: state.cursor, limit: state.limit === 25 ? "" : state.limit,
    cols: state.cols.join(",") === DEFAULT_COLUMNS.join(",") ? "" : state.cols.join(","),
  });
}

// The filter body has no top-level parent or kind key, so the parent filter and the kind of the
// Registered and Visitors tabs are more conditions; with "any" they would widen the list instead
// of narrowing it, so they are left out (scopeConflict) and the list says so.
const anyOfMany = (state) => state.filter?.match === "any" && (state.filter?.conditions?.length || 0) > 1;
export const parentConflict = (state) => Boolean(state.parent) && anyOfMany(state);
export const kindConflict = (state) => Boolean(TAB_KIND[state.tab]) && anyOfMany(state);
function parentCondition(parent) {
  return parent === "none" ? { field: "parent_id", op: "is_null" } : { field: "parent_id", op: "eq", value: parent };
}

export function criteria(state) {
  const kind = TAB_KIND[state.tab];
  const body = { status: kind ? "active" : state.tab, sort: state.sort };
  if (state.q) body.q = state.q;
  const conditions = [...(state.filter?.conditions || [])];
  const scoped = (Boolean(state.parent) || Boolean(kind)) && !anyOfMany(state);
  if (scoped && state.parent) conditions.push(parentCondition(state.parent));
  if (scoped && kind) conditions.push({ field: "kind", op: "eq", value: kind });
  if (conditions.length) { body.match = scoped ? "all" : state.filter?.match || "all"; body.conditions = conditions; }
  return body;
}

// The first list request starts as the script loads (main.js), not after the first paint.
let prefetched = null;
const listBody = (state) => ({ ...criteria(state), limit: state.limit, include_total: true, ...(state.cursor ? { cursor: state.cursor } : {}) });
export function prefetchList(params) {
  const body = listBody(readState(params));
  const entry = { key: JSON.stringify(body), promise: post("/v1/customers/filter", body), value: undefined };
  entry.promise.then((v) => { entry.value = v; }, () => {});
  prefetched = entry;
}
// The prefetched answer when it has arrived already, so the first render shows the rows.
function takeArrived(state) {
  if (!prefetched || prefetched.value === undefined || prefetched.key !== JSON.stringify(listBody(state))) return undefined;
  const { value } = prefetched;
  prefetched = null;
  return value;
}
function fetchList(state) {
  const body = listBody(state);
  const key = JSON.stringify(body);
  if (prefetched?.key === key) { const { promise } = prefetched; prefetched = null; return promise; }
  prefetched = null;
  return post("/v1/customers/filter", body);
}

function Tabs({ tab, onSelect }) {
  const refs = useRef([]);
  const key = (e, i) => {
    const n = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : e.key === "Home" ? 0 : e.key === "End" ? TABS.length - 1 : null;
    if (n === null) return;
    e.preventDefault();
    const j = (n + TABS.length) % TABS.length;
    refs.current[j]?.focus();
    onSelect(TABS[j][0]);
  };
  return html`<div role="tablist" aria-label="Which customers" class="tabs">
    ${TABS.map(([id, name], i) => html`<button type="button" role="tab" id=${`tab-${id}`} aria-controls="customer-table"
      aria-selected=${tab === id ? "true" : "false"} tabindex=${tab === id ? 0 : -1} ref=${(el) => { refs.current[i] = el; }}
      onKeyDown=${(e) => key(e, i)} onClick=${() => onSelect(id)}>${name}</button>`)}
  </div>`;
}

// `parent`: create a sub-customer of it (the form starts with that parent); `onCreated` replaces
// opening the new customer's page; `groups`: what the new customer may join.
export function CreateDialog({ onClose, groups, parent, onCreated }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const idem = useRef(crypto.randomUUID());
  const submit = async (form) => {
    setBusy(true);
    try {
      const body = createBody(form);
      const created = await api("POST", "/v1/customers", { json: body, headers: { "idempotency-key": idem.current } });
      onClose();
      if (onCreated) onCreated(created);
      else { toast(`Created ${displayName(created)}.`); navigate(`#/customers/${created.id}`); }
    } catch (err) {
      idem.current = crypto.randomUUID();
      setError(withConflictField(err));
    } finally { setBusy(false); }
  };
  const errors = fieldErrors(error);
  const existing = error?.code === "customer_exists" ? error.body?.error?.existing_id : null;
  return html`<${Dialog} title=${parent ? `New sub-customer of ${displayName(parent)}` : "New customer"} onClose=${onClose} wide>
    <${CustomerForm} initial=${parent ? { parent_id: parent.id } : undefined} parent=${parent} groups=${groups && joinable(groups)}
      errors=${errors} busy=${busy} submitLabel="Create customer" onCancel=${onClose} onSubmit=${submit}
      formError=${error && html`<${ErrorAlert} error=${error} fieldsShown />
        ${existing && html`<p><a href=${`#/customers/${existing}`} onClick=${onClose}>Open the existing customer</a></p>`}`} />
  <//>`;
}

const subsOf = (c) => plural(c.children_count || 0, "sub-customer");

// The soft delete's question: how many go, and, when some selected customers have sub-customers
// that are not selected, the choice to delete those too (read from `choice` on confirming).
function SoftDeleteBody({ count, blockedCount, blocked, choice }) {
  const [cascade, setCascade] = useState(false);
  const toggle = (v) => { setCascade(v); choice.cascade = v; choice.ok = count + (v ? blockedCount : 0) > 0; choice.update?.(); };
  const one = blockedCount === 1;
  return html`<p>${plural(cascade ? count + blockedCount : count, "customer")}${cascade ? ", with their sub-customers," : ""} will move to Deleted. You can undo this.</p>
    ${blockedCount > 0 && html`<div class="alert warn">
      <p class="tight">${one ? "One selected customer has" : `${blockedCount} selected customers have`} sub-customers that are not selected.
        ${cascade ? `${one ? "It goes" : "They go"} with them:` : `${one ? "It stays" : "They stay"} unless you include them:`}</p>
      <ul class="tight">${blocked.map((c) => html`<li>${displayName(c)}: ${subsOf(c)}</li>`)}${blockedCount > blocked.length && html`<li>and ${blockedCount - blocked.length} more</li>`}</ul>
      <${Checkbox} label="Include sub-customers (delete them too)" checked=${cascade} onChange=${toggle} />
    </div>`}`;
}

// Asks, deletes, offers Undo; answers the bulk delete's results (null when not confirmed).
// `target`: {ids} or {filter} (every customer the view matches).
async function deleteIds(target, permanent, refresh) {
  const dry = await post("/v1/customers/bulk-delete", { ...target, permanent, dry_run: true });
  const c = dry.counts;
  // The dialog's Delete is open only while something would move (`ok`, kept by SoftDeleteBody).
  const choice = { cascade: false, ok: true };
  let body;
  if (permanent) {
    const all = c.customers ?? dry.matched;
    body = html`<p>This removes for ever ${plural(all, "customer")}${all > dry.matched ? html` (the ${plural(dry.matched, "selected customer")} and <strong>${plural(all - dry.matched, "sub-customer")}</strong> below them)` : ""}, and with them:</p>
      <ul><li>${plural(c.interactions, "interaction")}</li><li>${plural(c.group_memberships, "group membership")}</li><li>${plural(c.contacts, "contact")}</li></ul>
      <p><strong>This cannot be undone.</strong></p>`;
  } else {
    const blockedIds = dry.results.filter((r) => r.status === "has_children").map((r) => r.id);
    const blocked = await Promise.all(blockedIds.slice(0, 10).map((id) => get(`/v1/customers/${id}`)));
    choice.ok = dry.results.some((r) => r.status === "would_delete");
    body = html`<${SoftDeleteBody} count=${dry.results.filter((r) => r.status === "would_delete").length}
      blockedCount=${blockedIds.length} blocked=${blocked} choice=${choice} />`;
  }
  const ok = await ask({ title: permanent ? "Delete permanently?" : "Delete the selected customers?", body, danger: true, gate: permanent ? undefined : choice,
    confirm: permanent ? "Delete permanently" : "Delete" });
  if (!ok) return null;
  const done = await post("/v1/customers/bulk-delete", { ...target, permanent, ...(choice.cascade ? { cascade: true } : {}) });
  const removed = done.results.filter((r) => r.status === "deleted").map((r) => r.id);
  toast(`${plural(done.deleted, "customer")} ${permanent ? "deleted permanently" : "deleted"}.`, permanent ? {} : {
    action: { label: "Undo", run: async () => {
      // A restore brings back what its cascade took; a sub-customer tried before its parent is
      // refused (parent_deleted) and is back once the parent is.
      const failed = [];
      for (const id of removed) await post(`/v1/customers/${id}/restore`).catch(() => failed.push(id));
      for (const id of failed) await post(`/v1/customers/${id}/restore`).catch(() => {});
      toast(`Restored ${plural(removed.length, "customer")}.`);
      refresh();
    } },
  });
  return done;
}

// Why some selected customers were not deleted: they have sub-customers that were not selected.
function KeptNotice({ kept, onClose }) {
  return html`<div class="alert warn" role="status">
    <p class="tight"><strong>${kept.length === 1 ? "One customer was not deleted" : `${kept.length} customers were not deleted`}</strong> because
      ${kept.length === 1 ? "it has" : "they have"} sub-customers that were not selected: ${kept.map((k, i) => html`${i ? ", " : ""}<a href=${`#/customers/${k.id}`}>${k.name}</a>`)}.
      ${kept.length === 1 ? "It stays" : "They stay"} selected: to delete ${kept.length === 1 ? "it" : "them"} too, choose Delete selected again and
      “Include sub-customers”, or move the sub-customers first.</p>
    <button type="button" class="ghost" onClick=${onClose}>Dismiss</button>
  </div>`;
}

const When = ({ at }) => at && html`<time datetime=${at} title=${dateTime(at)}>${relativeTime(at)}</time>`;

// One cell of a customer's row, by column id; `data-label` heads it as a card at 375 px.
function Cell({ c, col, cols, groupName }) {
  const td = (body, cls = `c-${col.replace(/\W/g, "-")}`) => html`<td class=${cls} data-label=${columnOf(col)?.[1]}>${body}</td>`;
  if (col === "name") {
    return td(html`<a href=${`#/customers/${c.id}`}><${CustomerName} customer=${c} /></a>${c.own_company && html` <span class="badge own">Own company</span>`}${c.deleted_at && html` <span class="badge del">${c.merged_into ? "Merged" : "Deleted"}</span>`}${c.handle && !cols.includes("handle") && html` <span class="handle" title="Handle">${c.handle}</span>`}`);
  }
  if (col === "kind") return td(html`<span class=${`badge ${c.kind}`}>${c.kind}</span>`);
  if (col === "source") return td(label(c.source));
  if (col === "groups") return td((c.group_ids || []).map((g) => groupName[g] || "…").join(", "));
  if (col === "created_at" || col === "last_seen_at" || col === "updated_at") return td(html`<${When} at=${c[col]} />`);
  if (col.startsWith("attributes.")) { const v = c.attributes?.[col.slice(11)]; return td(v === undefined || v === null ? "" : String(v)); }
  return td(c[col] ?? "");
}

// The column chooser: which columns the table (and the export) shows, attributes included.
function ColumnChooser({ cols, onChange }) {
  const [key, setKey] = useState("");
  const extra = cols.filter((c) => c.startsWith("attributes."));
  const flip = (id, on) => onChange(on ? [...cols, id] : cols.filter((c) => c !== id));
  const addAttr = (e) => { e.preventDefault(); const k = key.trim(); if (k && !cols.includes(`attributes.${k}`)) onChange([...cols, `attributes.${k}`]); setKey(""); };
  return html`<form class="filters" aria-label="Columns" onSubmit=${addAttr}><fieldset>
    <legend>Shown columns</legend>
    <div class="colchooser">
      ${[...COLUMNS, ...extra.map(columnOf)].map(([id, name]) => html`<${Checkbox} label=${name} checked=${cols.includes(id)}
        disabled=${id === "name"} onChange=${(on) => flip(id, on)} />`)}
    </div>
    <div class="row"><label for="attr-col">Attribute column</label>
      <input id="attr-col" value=${key} placeholder="e.g. plan" maxlength="64" onInput=${(e) => setKey(e.currentTarget.value)} />
      <button type="submit">Add column</button>
      <span class="grow"></span><button type="button" onClick=${() => onChange(DEFAULT_COLUMNS)}>Default columns</button></div>
  </fieldset></form>`;
}

// A bulk action's error, naming the customers it failed for: the API names them by index
// (`customer_ids[2]`) or quotes their ids in its message.
export function namedBulkError(err, ids, nameOf) {
  const name = (text) => ids.reduce((t, id) => (nameOf[id] ? t.split(id).join(`“${nameOf[id]}”`) : t), text);
  const parts = (err?.fields || []).map((f) => {
    const i = /\[(\d+)\]/.exec(f.field)?.[1];
    return i !== undefined && nameOf[ids[Number(i)]] ? `“${nameOf[ids[Number(i)]]}”: ${f.message}` : name(f.message);
  });
  const e = Object.assign(Object.create(Object.getPrototypeOf(err)), err);
  e.message = parts.length ? [...new Set(parts)].join("; ") : name(err.message);
  e.fields = [];
  return e;
}

// What a public page sends to capture its visitors (POST /v1/public/interactions).
const SNIPPET = `fetch("${location.origin}/v1/public/interactions", {
  method: "POST", headers: { "content-type": "application/json" },
  body: JSON.stringify({ email, type: "form_submitted", resource_id: "contact-form" }),
});`;

function FirstRun({ onCreate }) {
  return html`<div class="first-run" role="region" aria-label="Getting started">
    <h2>No customers yet</h2>
    <p>Three ways to start:</p>
    <ol>
      <li>${can("customers:import") ? html`<a href="#/import">Import a CSV file</a>` : "Import a CSV file"} with a <code>name</code> or <code>email</code> column (and any others: they become attributes).</li>
      <li>${can("customers:create") ? html`<button type="button" class="primary" onClick=${onCreate}>Create a customer</button>` : "Create a customer"} by hand.</li>
      <li>Capture visitors from a public page (booking, form, chat): it sends, with no token,
        <pre class="snippet"><code>${SNIPPET}</code></pre></li>
    </ol>
  </div>`;
}

// The way back through the pages (a page's cursor -> the previous page's), kept in the tab so a
// reload on page 3 still counts "51–75" and Previous still goes to page 2.
const TRAIL = "customers-admin-pages";
const pageTrail = (() => {
  let m;
  try { m = new Map(JSON.parse(sessionStorage.getItem(TRAIL) || "[]")); } catch { m = new Map(); }
  return { has: (k) => m.has(k), get: (k) => m.get(k),
    set: (k, v) => { m.set(k, v); sessionStorage.setItem(TRAIL, JSON.stringify([...m].slice(-200))); } };
})();

export function CustomersPage({ params }) {
  const state = readState(params);
  const here = address(state);
  listAddress.set(here);
  const groups = useGroups();
  const groupName = useMemo(() => Object.fromEntries(groups.map((g) => [g.id, g.name])), [groups]);
  const [text, setText] = useState(state.q);
  // The builder opens when asked; the active conditions show as chips above the table.
  const [showFilters, setShowFilters] = useState(false);
  const [showColumns, setShowColumns] = useState(false);
  const setColumns = (cols) => { localStorage.setItem(COLUMNS_KEY, cols.join(",")); go({ cols }, { replace: true }); };
  const removeCondition = (i) => {
    const conditions = state.filter.conditions.filter((_, j) => j !== i);
    go({ filter: conditions.length ? { ...state.filter, conditions } : null });
  };
  const [creating, setCreating] = useState(false);
  const [selected, setSelectedIds] = useState(new Set());
  // Every customer the view matches, not only this page's: bulk actions then go by filter.
  const [allMatching, setAllMatching] = useState(false);
  const setSelected = (s) => { setSelectedIds(s); setAllMatching(false); };
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState(null);
  const stack = pageTrail;
  const [addTo, setAddTo] = useState("");
  const [kept, setKept] = useState([]);
  const [merging, setMerging] = useState(null);
  const go = (patch, opts) => navigate(address({ ...state, cursor: "", ...patch }), opts);
  const under = state.parent && state.parent !== "none" ? state.parent : "";
  const parentOf = useAsync(() => (under ? get(`/v1/customers/${under}`) : Promise.resolve(null)), [under]);

  useEffect(() => { if (text !== state.q) setText(state.q); }, [state.q]);
  // "/" jumps to the search box, as in most admin panels (not while typing elsewhere).
  useEffect(() => {
    const onKey = (e) => {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.("input, textarea, select, [contenteditable], dialog")) return;
      e.preventDefault();
      document.getElementById("q")?.focus();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  useEffect(() => {
    if (text === state.q) return undefined;
    const t = setTimeout(() => go({ q: text.trim() ? text : "" }, { replace: true }), 300);
    return () => clearTimeout(t);
  }, [text]);

  const key = JSON.stringify(criteria(state)) + state.cursor + state.limit;
  const list = useAsync(() => fetchList(state), [key], takeArrived(state));
  useEffect(() => { setSelected(new Set()); }, [key]);
  // Back to this list (or a reload): where it was scrolled, once its rows are on screen.
  useEffect(() => { if (list.data) restoreScroll(); }, [list.data]);
  // Marks when the first rows are on screen and their handlers attached (docs/console.md).
  useEffect(() => { if (list.data && !performance.getEntriesByName("list-interactive").length) performance.mark("list-interactive"); }, [list.data]);

  const rows = list.data?.data || [];
  // No customer at all yet (the whole list, unfiltered, is empty): say what to do first.
  const firstRun = list.data?.total === 0 && !state.q && !state.filter?.conditions?.length && !state.parent && ["active", "all"].includes(state.tab);
  const filterErrors = list.error?.code === "validation_failed" ? fieldErrors(list.error) : {};
  const allChecked = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const toggle = (id, on) => { const s = new Set(selected); on ? s.add(id) : s.delete(id); setSelected(s); };
  const sortBy = (col) => go({ sort: state.sort === col ? `-${col}` : state.sort === `-${col}` ? col : col === "created_at" || col === "last_seen_at" ? `-${col}` : col });
  const ariaSort = (col) => (state.sort === col ? "ascending" : state.sort === `-${col}` ? "descending" : undefined);

  const run = async (fn) => {
    setBusy(true); setActionError(null);
    try { await fn(); } catch (err) { setActionError(err); } finally { setBusy(false); }
  };
  const bulkDelete = (permanent) => run(async () => {
    setKept([]);
    const own = rows.find((r) => selected.has(r.id) && r.own_company);
    if (own) throw { message: `${displayName(own)} is your own company, which cannot be deleted: unselect it first` };
    const target = allMatching ? { filter: criteria(state) } : { ids: [...selected] };
    const done = await deleteIds(target, permanent, list.reload).catch((err) => {
      // The own company is not on this page but below a selected customer.
      if (err.code === "customer_protected") err.message = "your own company is a sub-customer of one of the selected customers and cannot be deleted; move it out first, or leave that customer out";
      throw err;
    });
    if (!done) return;
    const nameOf = Object.fromEntries(rows.map((r) => [r.id, displayName(r)]));
    const left = done.results.filter((r) => r.status === "has_children");
    setKept(left.map((r) => ({ id: r.id, name: nameOf[r.id] || "a customer" })));
    await list.reload();
    setSelected(new Set(left.map((r) => r.id)));
    setAllMatching(false);
  });
  const nameOf = Object.fromEntries(rows.map((r) => [r.id, displayName(r)]));
  const bulkRestore = () => run(async () => {
    const failed = [];
    let restored = 0;
    for (const id of selected) {
      try { await post(`/v1/customers/${id}/restore`); restored += 1; } catch (err) { failed.push(`${nameOf[id] || id}: ${err.message}`); }
    }
    if (restored) toast(`Restored ${plural(restored, "customer")}.`);
    await list.reload();
    if (failed.length) throw { message: `${plural(failed.length, "customer")} could not be restored: ${failed.join("; ")}` };
  });
  const bulkAddToGroup = () => run(async () => {
    if (!addTo) return;
    const ids = [...selected];
    const r = await post(`/v1/groups/${addTo}/members`, { customer_ids: ids }).catch((err) => { throw namedBulkError(err, ids, nameOf); });
    toast(`Added ${plural(r.added, "customer")} to ${groupName[addTo]}.`);
    await loadGroups(true);
    list.reload();
  });
  const merged = (done, target, sources) => {
    toast(`Merged ${listOf(sources.map(displayName))} into ${displayName(target)}.`, { action: { label: "Open", run: () => navigate(`#/customers/${target.id}`) } });
    setSelected(new Set());
    loadGroups(true);
    list.reload();
  };
  const exportView = () => run(async () => {
    const res = await api("POST", `/v1/customers/export?columns=${encodeURIComponent(state.cols.join(","))}`, { json: criteria(state), raw: true });
    const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") || "")?.[1] || "customers.csv";
    saveBlob(await res.blob(), name);
    toast(`Exported the current view to ${name}.`);
  });

  const total = list.data?.total;
  let pages = 0;
  let back = state.cursor;
  while (back && stack.has(back)) { pages += 1; back = stack.get(back); }
  const first = back ? null : pages * state.limit;
  return html`<section class="page">
    <div class="page-head">
      <${PageHeading} focusKey="customers">Customers<//>
      <span class="grow"></span>
      ${can("customers:export") && html`<button type="button" onClick=${exportView} disabled=${busy}>Export CSV</button>`}
      ${can("customers:create") && html`<button type="button" class="primary" onClick=${() => setCreating(true)}>New customer</button>`}
    </div>
    <div class="toolbar">
      <${Tabs} tab=${state.tab} onSelect=${(tab) => go({ tab })} />
      <form role="search" class="search" onSubmit=${(e) => { e.preventDefault(); go({ q: text }); }}>
        <label for="q" class="sr-only">Search customers</label>
        <input id="q" type="search" placeholder="Search name, email, phone, company, handle" value=${text} maxlength="200"
          onInput=${(e) => setText(e.currentTarget.value)} />
      </form>
      <${Checkbox} label="Top level only" checked=${state.parent === "none"} onChange=${(on) => go({ parent: on ? "none" : "" })} />
      <button type="button" aria-expanded=${showFilters ? "true" : "false"} aria-controls="filter-panel" onClick=${() => setShowFilters(!showFilters)}>
        Filters${state.filter?.conditions?.length ? ` (${state.filter.conditions.length})` : ""}</button>
      <button type="button" aria-expanded=${showColumns ? "true" : "false"} aria-controls="column-panel" onClick=${() => setShowColumns(!showColumns)}>Columns</button>
    </div>
    <div id="column-panel" hidden=${!showColumns}>${showColumns && html`<${ColumnChooser} cols=${state.cols} onChange=${setColumns} />`}</div>
    <div id="filter-panel" hidden=${!showFilters}>
      ${showFilters && html`<${FilterBuilder} filter=${state.filter} groups=${groups} errors=${filterErrors}
        onApply=${(filter) => go({ filter })} onClear=${() => go({ filter: null })} />`}
    </div>
    ${state.filter?.conditions?.length > 0 && html`<ul class="filterchips" aria-label="Active filters">
      ${state.filter.conditions.length > 1 && html`<li class="match">Match ${state.filter.match === "any" ? "any" : "all"}</li>`}
      ${state.filter.conditions.map((c, i) => { const words = describe(c, groups); return html`<li><span>${words}</span>
        <button type="button" aria-label=${`Remove filter: ${words}`} onClick=${() => removeCondition(i)}>×</button></li>`; })}
    </ul>`}
    ${under && html`<div class="alert info scope" role="status"><span>Showing the sub-customers of ${parentOf.data ? html`<a href=${`#/customers/${under}`}>${displayName(parentOf.data)}</a>` : "a customer"}.</span>
      <button type="button" onClick=${() => go({ parent: "" })}>Show all customers</button></div>`}
    ${parentConflict(state) && html`<div class="alert warn" role="status">The ${under ? "sub-customer" : "top level"} filter is not applied:
      it cannot be combined with conditions joined by “any”. Join them by “all”, or clear it.</div>`}
    ${kindConflict(state) && html`<div class="alert warn" role="status">This list is not limited to ${state.tab === "visitors" ? "visitors" : "registered customers"}:
      the tab cannot be combined with conditions joined by “any”. Join them by “all”, or add a Kind condition instead.</div>`}
    <${ErrorAlert} error=${actionError} />
    ${kept.length > 0 && html`<${KeptNotice} kept=${kept} onClose=${() => setKept([])} />`}
    <${ErrorAlert} error=${list.error} fieldsShown=${Object.keys(filterErrors).length > 0 && showFilters} />
    <div class="tablewrap" id="customer-table" role="tabpanel" aria-labelledby=${`tab-${state.tab}`} tabindex="0">
      <table>
        <caption class="sr-only">Customers, ${TABS.find((t) => t[0] === state.tab)?.[1] || ""}</caption>
        <thead><tr>
          <th class="chk" scope="col"><label class="hit"><input type="checkbox" checked=${allChecked} disabled=${!rows.length}
            aria-label="Select all customers on this page" onChange=${(e) => setSelected(e.currentTarget.checked ? new Set(rows.map((r) => r.id)) : new Set())} /></label></th>
          ${state.cols.map(columnOf).map(([id, name, sortKey]) => html`<th scope="col" class=${`c-${id}`} aria-sort=${sortKey ? ariaSort(sortKey) : undefined}>
            ${sortKey ? html`<button type="button" class="sort" onClick=${() => sortBy(sortKey)}>${name}<span aria-hidden="true" class="arrow">${
              ariaSort(sortKey) === "ascending" ? "▲" : ariaSort(sortKey) === "descending" ? "▼" : ""}</span></button>` : name}</th>`)}
        </tr></thead>
        <tbody aria-busy=${list.loading ? "true" : "false"}>
          ${rows.map((c) => html`<tr class=${c.deleted_at ? "deleted" : ""} onClick=${(e) => {
            if (!e.target.closest("a, button, input, label")) navigate(`#/customers/${c.id}`);
          }}>
            <td class="chk"><label class="hit"><input type="checkbox" checked=${selected.has(c.id)} aria-label=${`Select ${displayName(c)}`}
              onChange=${(e) => toggle(c.id, e.currentTarget.checked)} /></label></td>
            ${state.cols.map((col) => html`<${Cell} c=${c} col=${col} cols=${state.cols} groupName=${groupName} />`)}
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.error && rows.length === 0 && (firstRun ? html`<${FirstRun} onCreate=${() => setCreating(true)} />`
        : html`<p class="empty">No customers match this view.</p>`)}
    </div>
    ${selected.size > 0 && html`<div class="bulk" role="region" aria-label="Bulk actions">
      <strong>${allMatching ? `All ${plural(total, "matching customer")} selected` : plural(selected.size, "selected customer")}</strong>
      ${!allMatching && allChecked && total > rows.length && html`<button type="button" onClick=${() => setAllMatching(true)}>Select all ${total} matching</button>`}
      ${!allMatching && state.tab !== "deleted" && selected.size >= 2 && canMerge() && html`<button type="button" disabled=${busy}
        onClick=${() => setMerging(rows.filter((r) => selected.has(r.id)))}>Merge…</button>`}
      ${state.tab !== "deleted" && can("customers:delete") && html`<button type="button" class="danger" disabled=${busy} onClick=${() => bulkDelete(false)}>Delete selected</button>`}
      ${can("customers:force_delete") && html`<button type="button" class="danger" disabled=${busy} onClick=${() => bulkDelete(true)}>Delete selected permanently</button>`}
      ${!allMatching && state.tab === "deleted" && can("customers:delete") && html`<button type="button" disabled=${busy} onClick=${bulkRestore}>Restore selected</button>`}
      ${!allMatching && state.tab !== "deleted" && can("groups:manage") && html`<span class="inline-field"><label for="bulk-group">Group</label>
        <select id="bulk-group" value=${addTo} onChange=${(e) => setAddTo(e.currentTarget.value)}>
          <option value="">Choose a group…</option>${joinable(groups).map((g) => html`<option value=${g.id}>${g.name}</option>`)}
        </select></span>
      <button type="button" disabled=${busy || !addTo} onClick=${bulkAddToGroup}>Add to group</button>`}
      <button type="button" class="ghost" onClick=${() => setSelected(new Set())}>Clear selection</button>
    </div>`}
    <div class="foot">
      <span role="status" class="count">${list.loading ? "Loading…" : total !== undefined
        ? (first !== null && rows.length ? `${first + 1}–${first + rows.length} of ${total}` : plural(total, "customer")) : ""}</span>
      <span class="grow"></span>
      <label for="page-size">Rows per page</label>
      <select id="page-size" value=${state.limit} onChange=${(e) => go({ limit: Number(e.currentTarget.value) })}>
        ${[25, 50, 100].map((n) => html`<option value=${n}>${n}</option>`)}</select>
      <button type="button" disabled=${!state.cursor} onClick=${() => navigate(address({ ...state, cursor: stack.get(state.cursor) || "" }))}>
        Previous page</button>
      <button type="button" disabled=${!list.data?.has_more} onClick=${() => {
        stack.set(list.data.next_cursor, state.cursor);
        navigate(address({ ...state, cursor: list.data.next_cursor }));
      }}>Next page</button>
    </div>
    ${creating && html`<${CreateDialog} groups=${groups} onClose=${() => setCreating(false)} />`}
    ${merging && html`<${MergeDialog} choices=${merging} onClose=${() => setMerging(null)} onMerged=${merged} />`}
  </section>`;
}
