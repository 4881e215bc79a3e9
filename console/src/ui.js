// Shared pieces: modal dialogs (native <dialog>: focus moves in, Escape closes, focus returns),
// the confirmation dialog, the toast with its action (Undo), labelled fields whose error is
// shown once next to the field, and error alerts quoting the request id.
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { displayName } from "./format.js";

let uid = 0;
export const useId = (prefix = "f") => useRef(`${prefix}-${++uid}`).current;

export function Dialog({ title, onClose, children, wide = false }) {
  const ref = useRef();
  const titleId = useId("dlg");
  useEffect(() => {
    const d = ref.current;
    const previous = document.activeElement;
    d.showModal();
    const first = d.querySelector("[autofocus], input:not([type=hidden]), select, textarea, button.primary");
    (first || d).focus();
    return () => { if (d.open) d.close(); previous?.focus?.(); };
  }, []);
  const cancel = (e) => { e.preventDefault(); onClose(); };
  return html`<dialog ref=${ref} class=${wide ? "wide" : ""} aria-labelledby=${titleId} onCancel=${cancel}>
    <div class="dialog-head"><h2 id=${titleId}>${title}</h2>
      <button type="button" class="ghost icon" aria-label="Close" onClick=${onClose}>×</button></div>
    ${children}
  </dialog>`;
}

// ask({title, body, confirm, danger}) -> Promise<boolean>, shown by <ConfirmHost/>.
let showConfirm = null;
export function ask(options) {
  return new Promise((resolve) => showConfirm({ ...options, resolve }));
}
// `gate` ({ok}): the question's body may close the way forward (e.g. nothing would change) and
// open it again; it calls gate.update() after changing gate.ok.
export function ConfirmHost() {
  const [req, setReq] = useState(null);
  const [, redraw] = useState(0);
  showConfirm = setReq;
  if (!req) return null;
  if (req.gate) req.gate.update = () => redraw((n) => n + 1);
  const done = (ok) => { setReq(null); req.resolve(ok); };
  // A destructive question starts on Cancel, so Enter alone never deletes.
  return html`<${Dialog} title=${req.title} onClose=${() => done(false)}>
    <div class="dialog-body">${req.body}</div>
    <div class="dialog-actions">
      <button type="button" autofocus=${req.danger} onClick=${() => done(false)}>${req.cancel || "Cancel"}</button>
      <button type="button" autofocus=${!req.danger} class=${req.danger ? "danger solid" : "primary"} disabled=${req.gate ? !req.gate.ok : undefined}
        onClick=${() => done(true)}>${req.confirm || "OK"}</button>
    </div>
  <//>`;
}

// toast(message, {action: {label, run}, kind})
let showToast = null;
export function toast(message, options = {}) { showToast?.({ message, ...options, at: Date.now() }); }
export function ToastHost() {
  const [t, setT] = useState(null);
  showToast = setT;
  // A toast belongs to the page it was raised on: it leaves when the address changes, except
  // right after it came (an action that opens another page, e.g. "Created Ada." on Ada's page).
  useEffect(() => {
    if (!t) return undefined;
    const leave = () => { if (Date.now() - t.at > 1000) setT(null); };
    addEventListener("hashchange", leave);
    addEventListener("popstate", leave);
    addEventListener("routechange", leave);
    return () => { removeEventListener("hashchange", leave); removeEventListener("popstate", leave); removeEventListener("routechange", leave); };
  }, [t]);
  useEffect(() => {
    if (!t) return undefined;
    const timer = setTimeout(() => setT(null), t.action ? 15000 : 6000);
    return () => clearTimeout(timer);
  }, [t]);
  return html`<div class="toast-region" role="status" aria-live="polite">${t && html`
    <div class=${`toast ${t.kind || "ok"}`}>
      <span>${t.message}</span>
      ${t.action && html`<button type="button" onClick=${async () => { setT(null); await t.action.run(); }}>${t.action.label}</button>`}
      <button type="button" class="ghost icon" aria-label="Dismiss" onClick=${() => setT(null)}>×</button>
    </div>`}</div>`;
}

export function ErrorAlert({ error, fieldsShown = false }) {
  if (!error) return null;
  // Field errors are shown once, next to their fields; the alert only says that there are some.
  const n = error.fields?.length || 0;
  const message = fieldsShown && n ? `${n === 1 ? "One field needs" : `${n} fields need`} attention: see the message${n === 1 ? "" : "s"} below` : error.message;
  return html`<div class="alert error" role="alert">
    <div>${error.status === 403 ? html`<strong>Not allowed: </strong>` : ""}${message}.
    ${error.requestId && html`<span class="rid">Request id ${error.requestId}</span>`}</div>
  </div>`;
}

export const Loading = ({ what = "Loading" }) => html`<p class="muted" role="status">${what}…</p>`;

// Field errors from an ApiError, by field path ("email", "attributes.plan", "conditions[1].op").
export function fieldErrors(error) {
  const out = {};
  for (const f of error?.fields || []) if (!(f.field in out)) out[f.field] = f.message;
  return out;
}

export function Field({ label, value, onInput, error, type = "text", multiline = false, hint, required = false, name, autocomplete = "off", ...rest }) {
  const id = useId();
  const described = [error && `${id}-err`, hint && `${id}-hint`].filter(Boolean).join(" ") || undefined;
  const props = { id, name, value: value ?? "", "aria-invalid": error ? "true" : undefined, "aria-describedby": described,
    required, autocomplete, onInput: (e) => onInput(e.currentTarget.value), ...rest };
  return html`<div class=${`field${error ? " has-error" : ""}`}>
    <label for=${id}>${label}${required && html`<span aria-hidden="true"> *</span>`}</label>
    ${multiline ? html`<textarea rows="4" ...${props}></textarea>` : html`<input type=${type} ...${props} />`}
    ${hint && html`<span class="hint" id=${`${id}-hint`}>${hint}</span>`}
    ${error && html`<span class="field-error" id=${`${id}-err`}>${error}</span>`}
  </div>`;
}

export function Select({ label, value, onChange, options, error, hideLabel = false, ...rest }) {
  const id = useId();
  return html`<div class=${`field${error ? " has-error" : ""}`}>
    <label for=${id} class=${hideLabel ? "sr-only" : ""}>${label}</label>
    <select id=${id} value=${value} aria-invalid=${error ? "true" : undefined} aria-describedby=${error ? `${id}-err` : undefined}
      onChange=${(e) => onChange(e.currentTarget.value)} ...${rest}>
      ${options.map((o) => (Array.isArray(o) ? html`<option value=${o[0]}>${o[1]}</option>` : html`<option value=${o}>${o}</option>`))}
    </select>
    ${error && html`<span class="field-error" id=${`${id}-err`}>${error}</span>`}
  </div>`;
}

export function Checkbox({ label, checked, onChange, ...rest }) {
  return html`<label class="check"><input type="checkbox" checked=${checked} onChange=${(e) => onChange(e.currentTarget.checked)} ...${rest} /><span>${label}</span></label>`;
}

// A page's heading takes focus when the page opens, so screen readers announce it.
export function PageHeading({ children, focusKey }) {
  const ref = useRef();
  useEffect(() => { ref.current?.focus({ preventScroll: false }); }, [focusKey]);
  return html`<h1 ref=${ref} tabindex="-1">${children}</h1>`;
}

// `initial`: data already at hand (a request started before the first render); no first fetch then.
export function useAsync(fn, deps, initial) {
  const [state, setState] = useState(() => (initial === undefined
    ? { loading: true, data: undefined, error: undefined } : { loading: false, data: initial, error: undefined }));
  const seq = useRef(0);
  const skip = useRef(initial !== undefined);
  const run = async () => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    try {
      const data = await fn();
      if (n === seq.current) setState({ loading: false, data, error: undefined });
    } catch (error) {
      if (n === seq.current) setState({ loading: false, data: undefined, error });
    }
  };
  useEffect(() => { if (skip.current) { skip.current = false; return; } run(); }, deps);
  return { ...state, reload: run, setData: (data) => setState((s) => ({ ...s, data })) };
}

// A customer's name as shown: an anonymous visitor's placeholder ("Visitor 3f2a9c1e") is no real
// name, so it is set apart (muted, and "anonymous" for screen readers).
export function CustomerName({ customer }) {
  if (!customer?.anonymous) return displayName(customer);
  return html`<span class="anon">${displayName(customer)}</span><span class="sr-only"> (anonymous)</span>`;
}
