// The customer form, for create (a dialog on the list) and edit (the customer page). Each
// server field error is shown once, under its field; attributes are edited as name/value rows.
// On create, the groups to put the customer in are ticked (later changes go through its Groups tab).
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { KINDS } from "../format.js";
import { ask, Checkbox, Field, Select, useId } from "../ui.js";
import { ParentPicker } from "./parent-picker.js";

export const TEXT_FIELDS = ["name", "email", "phone", "company", "notes"];

export function formFrom(c = {}) {
  return {
    name: c.name || "", email: c.email || "", phone: c.phone || "", company: c.company || "", notes: c.notes || "",
    kind: c.kind || "registered", handle: c.handle || "", parent_id: c.parent_id || null,
    group_ids: [],
    attributes: Object.entries(c.attributes || {}).map(([key, value]) => ({ key, value: String(value), original: value })),
  };
}

function attrValue(row) {
  const { value, original } = row;
  if (typeof original === "number" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  if (typeof original === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

export function attributesOf(form) {
  const out = {};
  for (const r of form.attributes) if (r.key.trim()) out[r.key.trim()] = attrValue(r);
  return out;
}

// The body of POST /v1/customers: only what was filled in.
export function createBody(form) {
  const body = {};
  for (const f of TEXT_FIELDS) if (form[f].trim()) body[f] = form[f];
  if (form.kind !== "registered") body.kind = form.kind;
  if (form.handle.trim()) body.handle = form.handle.trim();
  if (form.parent_id) body.parent_id = form.parent_id;
  const attrs = attributesOf(form);
  if (Object.keys(attrs).length) body.attributes = attrs;
  if (form.group_ids.length) body.group_ids = form.group_ids;
  return body;
}

// A JSON merge patch of what changed against the customer as loaded (null clears).
export function patchBody(form, customer) {
  const patch = {};
  for (const f of TEXT_FIELDS) {
    const before = customer[f] || "";
    if (form[f] !== before) patch[f] = form[f].trim() === "" ? null : form[f];
  }
  if (form.kind !== customer.kind) patch.kind = form.kind;
  // An emptied handle is null: the server derives it from the name again.
  if (form.handle.trim() !== (customer.handle || "")) patch.handle = form.handle.trim() || null;
  if (form.parent_id !== (customer.parent_id || null)) patch.parent_id = form.parent_id;
  const now = attributesOf(form);
  const was = customer.attributes || {};
  const attrs = {};
  for (const k of Object.keys(was)) if (!(k in now)) attrs[k] = null;
  for (const [k, v] of Object.entries(now)) if (was[k] !== v) attrs[k] = v;
  if (Object.keys(attrs).length) patch.attributes = attrs;
  return patch;
}

export const FIELD_LABELS = { name: "Name", email: "Email", phone: "Phone", company: "Company", notes: "Notes", kind: "Kind", attributes: "Attributes",
  group_ids: "Groups", handle: "Handle", parent_id: "Belongs to" };

// One checkbox per group; errors on `group_ids` (or one of its items) show under the list.
function GroupPicker({ groups, chosen, onChange, errors }) {
  const messages = Object.entries(errors).filter(([k]) => k === "group_ids" || k.startsWith("group_ids[")).map(([, m]) => m);
  const errId = useId("groups-err");
  const toggle = (id, on) => onChange(on ? [...chosen, id] : chosen.filter((g) => g !== id));
  return html`<fieldset class="groups-pick" aria-describedby=${messages.length ? errId : undefined}>
    <legend>Groups</legend>
    ${groups.length === 0 ? html`<p class="muted small">No groups yet: create them on the Groups screen.</p>`
      : groups.map((g) => html`<${Checkbox} label=${g.name} checked=${chosen.includes(g.id)} onChange=${(on) => toggle(g.id, on)} />`)}
    ${messages.length > 0 && html`<div id=${errId}>${messages.map((m) => html`<p class="field-error">${m}</p>`)}</div>`}
  </fieldset>`;
}

// Conflicts that concern one field are shown next to that field.
const CONFLICT_FIELDS = { customer_exists: ["email", "a customer with this email exists already"], handle_taken: ["handle", "another live customer has this handle"] };
export function withConflictField(err) {
  const f = CONFLICT_FIELDS[err?.code];
  if (f && !err.fields.length) err.fields = [{ field: f[0], message: f[1] }];
  return err;
}

// `parent`: the parent customer when known already (a sub-customer created from its parent's page).
// `groups`: the groups a new customer may join (the picker shows only when given).
// Leaving a form with changes asks first: its Cancel, Escape, a link to another screen, or
// closing the tab.
// The listeners are there from the form's first render and read whether it is dirty when a link
// is followed: an effect re-run on each change runs only after the browser paints, and a link
// clicked in that gap would leave without asking.
function useUnsavedGuard(dirty, ref) {
  const dirtyNow = useRef(dirty);
  dirtyNow.current = dirty;
  useEffect(() => {
    const unload = (e) => { if (dirtyNow.current) { e.preventDefault(); e.returnValue = ""; } };
    const click = async (e) => {
      const a = e.target.closest?.("a[href^='#']");
      if (!dirtyNow.current || !a || ref.current?.contains(a) || e.defaultPrevented || e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      if (await askDiscard()) { dirtyNow.current = false; location.hash = a.getAttribute("href"); }
    };
    addEventListener("beforeunload", unload);
    document.addEventListener("click", click, true);
    return () => { removeEventListener("beforeunload", unload); document.removeEventListener("click", click, true); };
  }, []);
}
const askDiscard = () => ask({ title: "Discard your changes?", body: "Your changes to this customer are not saved.", confirm: "Discard changes",
  cancel: "Keep editing", danger: true });

export function CustomerForm({ initial, errors = {}, onSubmit, onCancel, submitLabel, busy, formError, groups, parent }) {
  const [form, setForm] = useState(() => formFrom(initial));
  const ref = useRef();
  const dirty = JSON.stringify(form) !== JSON.stringify(formFrom(initial));
  useUnsavedGuard(dirty && !busy, ref);
  // The first field takes focus (a dialog does this itself).
  useEffect(() => { if (!ref.current?.closest("dialog")) ref.current?.querySelector("input, select, textarea")?.focus(); }, []);
  const cancel = async () => { if (!dirty || await askDiscard()) onCancel(); };
  const keydown = (e) => {
    if (e.key !== "Escape" || !onCancel || ref.current?.closest("dialog") || e.target.closest?.("[role=combobox], [role=listbox]")) return;
    e.preventDefault();
    cancel();
  };
  const set = (k) => (v) => setForm({ ...form, [k]: v });
  const setAttr = (i, patch) => setForm({ ...form, attributes: form.attributes.map((r, j) => (i === j ? { ...r, ...patch } : r)) });
  const attrError = (r) => errors[`attributes.${r.key.trim()}`];
  const otherAttrErrors = Object.entries(errors).filter(([k]) => k === "attributes" || (k.startsWith("attributes.") && !form.attributes.some((r) => `attributes.${r.key.trim()}` === k)));
  const submit = (e) => { e.preventDefault(); onSubmit(form); };
  return html`<form class="customer-form" ref=${ref} onSubmit=${submit} onKeyDown=${keydown} novalidate>
    ${formError}
    <p class="muted small">A customer needs a name or an email.</p>
    <div class="grid2">
      <${Field} label="Name" value=${form.name} onInput=${set("name")} error=${errors.name} maxlength="200" />
      <${Field} label="Email" type="email" value=${form.email} onInput=${set("email")} error=${errors.email} />
      <${Field} label="Phone" type="tel" value=${form.phone} onInput=${set("phone")} error=${errors.phone} />
      <${Field} label="Company" value=${form.company} onInput=${set("company")} error=${errors.company} />
      <${Select} label="Kind" value=${form.kind} onChange=${set("kind")} options=${KINDS} error=${errors.kind} />
      <${Field} label="Handle" value=${form.handle} onInput=${set("handle")} error=${errors.handle} maxlength="64" spellcheck="false"
        hint="Lowercase letters, digits and single hyphens. Left empty, it is made from the name." />
    </div>
    <${ParentPicker} value=${form.parent_id} onChange=${set("parent_id")} self=${initial?.id} known=${parent} error=${errors.parent_id} />
    <${Field} label="Notes" multiline value=${form.notes} onInput=${set("notes")} error=${errors.notes} />
    <fieldset class="attrs">
      <legend>Attributes</legend>
      ${form.attributes.map((r, i) => html`<div class="attr-row">
        <${Field} label=${`Attribute ${i + 1} name`} value=${r.key} onInput=${(v) => setAttr(i, { key: v })} />
        <${Field} label=${`Attribute ${i + 1} value`} value=${r.value} onInput=${(v) => setAttr(i, { value: v })} error=${attrError(r)} />
        <button type="button" class="ghost" aria-label=${`Remove attribute ${i + 1}`}
          onClick=${() => setForm({ ...form, attributes: form.attributes.filter((_, j) => j !== i) })}>Remove</button>
      </div>`)}
      ${otherAttrErrors.map(([k, m]) => html`<p class="field-error">${k}: ${m}</p>`)}
      <button type="button" onClick=${() => setForm({ ...form, attributes: [...form.attributes, { key: "", value: "" }] })}>Add attribute</button>
    </fieldset>
    ${groups && html`<${GroupPicker} groups=${groups} chosen=${form.group_ids} onChange=${set("group_ids")} errors=${errors} />`}
    <div class="dialog-actions">
      ${onCancel && html`<button type="button" onClick=${cancel}>Cancel</button>`}
      <button type="submit" class="primary" disabled=${busy}>${submitLabel}</button>
    </div>
  </form>`;
}
