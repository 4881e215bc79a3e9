// The filter builder: conditions (field, operator, value) joined by "all" or "any", applied to
// the list with Apply and removed with Clear. The draft is local until Apply puts it in the address.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { KINDS, SOURCES, label } from "../format.js";
import { Select, useId } from "../ui.js";

const TEXT_OPS = ["contains", "eq", "neq", "starts_with", "ends_with", "in", "is_null", "is_not_null"];
const ENUM_OPS = ["eq", "neq", "in", "is_null", "is_not_null"];
const TIME_OPS = ["gte", "gt", "lte", "lt", "is_null", "is_not_null"];
const ATTR_OPS = ["eq", "neq", "contains", "starts_with", "ends_with", "in", "gt", "gte", "lt", "lte", "is_null", "is_not_null"];
export const OP_LABELS = {
  eq: "is", neq: "is not", contains: "contains", starts_with: "starts with", ends_with: "ends with", in: "is one of",
  gt: "after", gte: "on or after", lt: "before", lte: "on or before", is_null: "is empty", is_not_null: "is not empty",
};
export const FIELDS = [
  ["name", "Name"], ["email", "Email"], ["phone", "Phone"], ["company", "Company"], ["kind", "Kind"], ["source", "Source"],
  ["group_id", "Group"], ["created_at", "Created"], ["updated_at", "Updated"], ["last_seen_at", "Last seen"], ["attribute", "Attribute…"],
];
const TIME = new Set(["created_at", "updated_at", "last_seen_at"]);

const fieldKind = (f) => (f === "kind" || f === "source" || f === "group_id" ? "enum" : TIME.has(f) ? "time" : f === "attribute" ? "attr" : "text");
const opsFor = (f) => ({ enum: ENUM_OPS, time: TIME_OPS, attr: ATTR_OPS, text: TEXT_OPS })[fieldKind(f)];
const noValue = (op) => op === "is_null" || op === "is_not_null";

// "Is one of" a kind, source or group is picked from the names, never typed.
const picked = (field, op) => op === "in" && fieldKind(field) === "enum";

// URL form {match, conditions:[{field, op, value}]} <-> editable rows {field, key, op, value}: the
// value is text, or the list of picked values.
export function toRows(filter) {
  return (filter?.conditions || []).map((c) => {
    const attr = c.field.startsWith("attributes.");
    const field = attr ? "attribute" : c.field;
    const value = picked(field, c.op) ? [].concat(c.value ?? [])
      : Array.isArray(c.value) ? c.value.join(", ") : c.value === undefined ? "" : String(c.value);
    return { field, key: attr ? c.field.slice(11) : "", op: c.op, value };
  });
}
export function fromRows(rows) {
  return rows.map((r) => {
    const field = r.field === "attribute" ? `attributes.${r.key.trim()}` : r.field;
    if (noValue(r.op)) return { field, op: r.op };
    if (Array.isArray(r.value)) return { field, op: r.op, value: r.value };
    if (r.op === "in") return { field, op: r.op, value: r.value.split(",").map((s) => s.trim()).filter(Boolean) };
    return { field, op: r.op, value: r.value };
  });
}

// The names a kind, source or group condition picks from: [value, label].
const choicesFor = (field, groups) => (field === "kind" ? KINDS.map((k) => [k, k])
  : field === "source" ? SOURCES.map((s) => [s, label(s)]) : groups.filter((g) => !g.builtin).map((g) => [g.id, g.name]));

// A condition in words, for its chip above the table: "Company contains acme".
export function describe(c, groups) {
  const attr = c.field.startsWith("attributes.");
  const field = attr ? c.field.slice(11) : (FIELDS.find(([f]) => f === c.field)?.[1] || c.field);
  if (noValue(c.op)) return `${field} ${OP_LABELS[c.op] || c.op}`;
  const names = Object.fromEntries(fieldKind(c.field) === "enum" ? choicesFor(c.field, groups) : []);
  const value = [].concat(c.value ?? []).map((v) => names[v] || String(v)).join(", ");
  return `${field} ${OP_LABELS[c.op] || c.op} ${value}`;
}

function ValueInput({ row, index, groups, onChange, error }) {
  const id = useId("v");
  const common = { id, "aria-invalid": error ? "true" : undefined, "aria-describedby": error ? `${id}-err` : undefined };
  let input;
  if (noValue(row.op)) return html`<div class="field novalue"></div>`;
  const kind = fieldKind(row.field);
  if (picked(row.field, row.op)) {
    const chosen = Array.isArray(row.value) ? row.value : [];
    const flip = (v, on) => onChange({ value: on ? [...chosen, v] : chosen.filter((x) => x !== v) });
    const opts = choicesFor(row.field, groups);
    return html`<fieldset class="field picks" aria-invalid=${error ? "true" : undefined} aria-describedby=${error ? `${id}-err` : undefined}>
      <legend class="sr-only">Values of condition ${index + 1}</legend>
      ${opts.length ? opts.map(([v, t]) => html`<label class="check"><input type="checkbox" checked=${chosen.includes(v)}
        onChange=${(e) => flip(v, e.currentTarget.checked)} /><span>${t}</span></label>`) : html`<span class="muted small">No groups yet.</span>`}
      ${error && html`<span class="field-error" id=${`${id}-err`}>${error}</span>`}</fieldset>`;
  }
  if (kind === "enum") {
    const opts = choicesFor(row.field, groups);
    input = html`<select ...${common} value=${row.value} onChange=${(e) => onChange({ value: e.currentTarget.value })}>
      <option value="">Choose…</option>${opts.map(([v, t]) => html`<option value=${v}>${t}</option>`)}</select>`;
  } else if (kind === "time") {
    input = html`<input ...${common} type="date" value=${row.value} onInput=${(e) => onChange({ value: e.currentTarget.value })} />`;
  } else {
    input = html`<input ...${common} type="text" value=${row.value} placeholder=${row.op === "in" ? "a, b, c" : ""}
      onInput=${(e) => onChange({ value: e.currentTarget.value })} />`;
  }
  return html`<div class="field"><label for=${id} class="sr-only">Value of condition ${index + 1}</label>${input}
    ${error && html`<span class="field-error" id=${`${id}-err`}>${error}</span>`}</div>`;
}

export function FilterBuilder({ filter, groups, errors = {}, onApply, onClear }) {
  const [rows, setRows] = useState(() => toRows(filter));
  const [match, setMatch] = useState(filter?.match || "all");
  useEffect(() => { setRows(toRows(filter)); setMatch(filter?.match || "all"); }, [JSON.stringify(filter)]);
  const update = (i, patch) => setRows(rows.map((r, j) => {
    if (j !== i) return r;
    const next = { ...r, ...patch };
    if (patch.field && !opsFor(next.field).includes(next.op)) next.op = opsFor(next.field)[0];
    if (patch.field || (patch.op && picked(next.field, next.op) !== Array.isArray(next.value))) next.value = picked(next.field, next.op) ? [] : "";
    return next;
  }));
  const add = () => setRows([...rows, { field: "name", key: "", op: "contains", value: "" }]);
  const err = (i, part) => errors[`conditions[${i}].${part}`] || (part === "value" ? errors[`conditions[${i}]`] : undefined);
  const submit = (e) => { e.preventDefault(); onApply({ match, conditions: fromRows(rows) }); };
  return html`<form class="filters" aria-label="Filter builder" onSubmit=${submit}>
    <fieldset>
      <legend>Filters</legend>
      ${rows.length > 1 && html`<${Select} label="Match" value=${match} onChange=${setMatch}
        options=${[["all", "all conditions"], ["any", "any condition"]]} />`}
      ${rows.length === 0 && html`<p class="muted small">No conditions. Add one to narrow the list.</p>`}
      <ol class="conditions">
        ${rows.map((r, i) => html`<li class="condition">
          <${Select} label=${`Field of condition ${i + 1}`} hideLabel value=${r.field} onChange=${(v) => update(i, { field: v })} options=${FIELDS}
            error=${r.field !== "attribute" ? err(i, "field") : undefined} />
          ${r.field === "attribute" && html`<div class="field"><label for=${`attr-${i}`} class="sr-only">Attribute name of condition ${i + 1}</label>
            <input id=${`attr-${i}`} value=${r.key} placeholder="attribute name" onInput=${(e) => update(i, { key: e.currentTarget.value })}
              aria-invalid=${err(i, "field") ? "true" : undefined} aria-describedby=${err(i, "field") ? `attr-${i}-err` : undefined} />
            ${err(i, "field") && html`<span class="field-error" id=${`attr-${i}-err`}>${err(i, "field")}</span>`}</div>`}
          <${Select} label=${`Operator of condition ${i + 1}`} hideLabel value=${r.op} onChange=${(v) => update(i, { op: v })}
            options=${opsFor(r.field).map((o) => [o, OP_LABELS[o]])} error=${err(i, "op")} />
          <${ValueInput} row=${r} index=${i} groups=${groups} error=${err(i, "value")} onChange=${(p) => update(i, p)} />
          <button type="button" class="ghost" aria-label=${`Remove condition ${i + 1}`} onClick=${() => setRows(rows.filter((_, j) => j !== i))}>Remove</button>
        </li>`)}
      </ol>
      <div class="row">
        <button type="button" onClick=${add}>Add condition</button>
        <span class="grow"></span>
        <button type="button" onClick=${() => { setRows([]); setMatch("all"); onClear(); }}>Clear</button>
        <button type="submit" class="primary">Apply</button>
      </div>
    </fieldset>
  </form>`;
}
