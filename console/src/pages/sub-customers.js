// A customer's sub-customers on its page: its direct children as links, "Add sub-customer" (the
// create form with this customer as the parent) and the way to all of them in the list.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { can, get } from "../api.js";
import { displayName } from "../format.js";
import { href, navigate } from "../router.js";
import { ErrorAlert, Loading, toast, useAsync } from "../ui.js";
import { CreateDialog } from "./customers.js";

const SHOWN = 25;

export function SubCustomers({ customer, onChanged }) {
  const [adding, setAdding] = useState(false);
  const [tick, setTick] = useState(0);
  const deleted = Boolean(customer.deleted_at);
  // A deleted customer's sub-customers were (mostly) deleted with it: show those too.
  const list = useAsync(() => get(`/v1/customers?parent_id=${customer.id}&sort=name&limit=${SHOWN}&include_total=true${deleted ? "&status=all" : ""}`),
    [customer.id, customer.children_count, customer.deleted_at, tick]);
  const rows = list.data?.data || [];
  const total = list.data?.total ?? customer.children_count;
  const created = (c) => {
    toast(`Created ${displayName(c)} under ${displayName(customer)}.`, { action: { label: "Open", run: () => navigate(`#/customers/${c.id}`) } });
    setTick(tick + 1);
    onChanged();
  };
  return html`<section aria-labelledby="subs-h">
    <div class="section-head"><h2 id="subs-h">Sub-customers${total ? ` (${total})` : ""}</h2>
      ${!deleted && can("customers:create") && html`<button type="button" onClick=${() => setAdding(true)}>Add sub-customer</button>`}</div>
    <${ErrorAlert} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="Loading the sub-customers" />` : rows.length === 0 ? html`<p class="empty">No sub-customers.</p>` : html`
    <ul class="results" aria-labelledby="subs-h">
      ${rows.map((c) => html`<li><span><a href=${`#/customers/${c.id}`}>${displayName(c)}</a>${c.handle && html` <code class="handle">${c.handle}</code>`}
        ${c.own_company && html` <span class="badge own">Own company</span>`}${c.deleted_at && html` <span class="badge del">Deleted</span>`}</span>
        ${c.email && c.name && html`<span class="muted small">${c.email}</span>`}</li>`)}
    </ul>`}
    ${rows.length > 0 && html`<p><a href=${href("/customers", { parent: customer.id, tab: deleted ? "all" : "" })}>${list.data?.has_more
      ? `See all ${total} sub-customers in the customer list` : "Open them in the customer list"}</a></p>`}
    ${adding && html`<${CreateDialog} parent=${customer} onClose=${() => setAdding(false)} onCreated=${created} />`}
  </section>`;
}
