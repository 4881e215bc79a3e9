// The parent of a customer, chosen in its form: a combobox (WAI-ARIA 1.2 pattern: arrow keys
// move through the matches, Enter picks, Escape closes) that searches customers by name, email
// or handle, or takes a pasted customer id; "Make top level" clears the parent.
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { get } from "../api.js";
import { displayName, plural } from "../format.js";
import { useId } from "../ui.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The customers a text finds: the one with that id, or those whose name, email, phone, company
// or handle holds it.
async function find(text) {
  const t = text.trim();
  if (UUID.test(t)) {
    try { return [await get(`/v1/customers/${t.toLowerCase()}`)]; } catch (err) { if (err.status === 404) return []; throw err; }
  }
  return (await get(`/v1/customers?q=${encodeURIComponent(t)}&limit=8&sort=name`)).data;
}

// A customer's id -> the customer, so the form names the parent it was opened with.
function useCustomer(id, known) {
  const [c, setC] = useState(known?.id === id ? known : null);
  useEffect(() => {
    if (!id) { setC(null); return undefined; }
    if (c?.id === id) return undefined;
    let live = true;
    get(`/v1/customers/${id}`).then((x) => { if (live) setC(x); }, () => { if (live) setC({ id, name: null, email: null }); });
    return () => { live = false; };
  }, [id]);
  return c?.id === id ? c : null;
}

export function ParentPicker({ value, onChange, self, known, error }) {
  const id = useId("parent");
  const parent = useCustomer(value, known);
  const [text, setText] = useState("");
  const [results, setResults] = useState(null);
  const [failed, setFailed] = useState(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef();
  useEffect(() => {
    if (!text.trim()) { setResults(null); setOpen(false); return undefined; }
    let live = true;
    const t = setTimeout(() => find(text).then(
      (found) => { if (!live) return; setFailed(null); setResults(found.filter((c) => c.id !== self)); setActive(-1); setOpen(true); },
      (err) => { if (live) { setFailed(err); setResults([]); } },
    ), 200);
    return () => { live = false; clearTimeout(t); };
  }, [text]);
  const choose = (c) => { onChange(c.id, c); setText(""); setResults(null); setOpen(false); input.current?.focus(); };
  const options = open && results ? results : [];
  const onKeyDown = (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!open && results?.length) { setOpen(true); setActive(0); return; }
      if (!options.length) return;
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a < 0 ? (step > 0 ? 0 : options.length - 1) : (a + step + options.length) % options.length));
    } else if (e.key === "Enter") {
      // Enter in the search never submits the form: it picks the highlighted (or only) match.
      e.preventDefault();
      const pick = options[active] || (options.length === 1 ? options[0] : null);
      if (pick) choose(pick);
    } else if (e.key === "Escape" && open) {
      e.preventDefault(); e.stopPropagation();
      setOpen(false);
    }
  };
  const describedBy = [`${id}-now`, `${id}-hint`, error && `${id}-err`].filter(Boolean).join(" ");
  const current = value
    ? html`A sub-customer of <strong>${parent ? displayName(parent) : "…"}</strong>${parent?.handle && html` <code>${parent.handle}</code>`}.`
    : "Top level: no parent customer.";
  return html`<fieldset class=${`parent-picker${error ? " has-error" : ""}`}>
    <legend>Belongs to</legend>
    <div class="row picked"><span id=${`${id}-now`}>${current}</span>
      ${value && html`<button type="button" onClick=${() => { onChange(null, null); input.current?.focus(); }}>Make top level</button>`}</div>
    <div class="field combo">
      <label for=${id}>${value ? "Move under another customer" : "Find a parent customer"}</label>
      <input ref=${input} id=${id} type="text" role="combobox" autocomplete="off" value=${text} placeholder="Name, email, handle or id"
        aria-autocomplete="list" aria-expanded=${open && results ? "true" : "false"} aria-controls=${`${id}-list`}
        aria-activedescendant=${options[active] ? `${id}-o${active}` : undefined}
        aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy}
        onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${onKeyDown}
        onBlur=${() => setTimeout(() => setOpen(false), 150)} onFocus=${() => { if (results?.length) setOpen(true); }} />
      <span class="hint" id=${`${id}-hint`}>Up to 5 levels; a customer cannot belong to itself or to one of its own sub-customers.</span>
      <ul role="listbox" id=${`${id}-list`} class="options" aria-label="Matching customers" hidden=${!options.length}>
        ${options.map((c, i) => html`<li role="option" id=${`${id}-o${i}`} aria-selected=${i === active ? "true" : "false"}
          onMouseDown=${(e) => e.preventDefault()} onClick=${() => choose(c)}>
          <span>${displayName(c)}</span>${c.handle && html` <code>${c.handle}</code>`}${c.deleted_at && html` <span class="badge del">Deleted</span>`}
          ${c.email && c.name && html` <span class="muted small">${c.email}</span>`}</li>`)}
      </ul>
      <span class="sr-only" role="status">${text.trim() && results ? (results.length ? `${plural(results.length, "customer")} found` : "No customer matches") : ""}</span>
      ${failed && html`<span class="field-error">${failed.message}</span>`}
      ${text.trim() && results?.length === 0 && !failed && html`<span class="hint">No customer matches “${text.trim()}”.</span>`}
    </div>
    ${error && html`<span class="field-error" id=${`${id}-err`}>${error}</span>`}
  </fieldset>`;
}
