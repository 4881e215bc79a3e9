// The console's sub-customers, handles and own company in a real browser (Chromium through
// playwright-core), one test per admin task, found by role and label as a person finds them.
// See tests/browser.mjs; the API itself is covered by tests/hierarchy.test.mjs.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { uniqueEmail } from "./harness.mjs";
import { axe, confirmDialog, hashOf, heading, openTab, SCREENSHOTS, signInAs, startConsole, tag, task, until } from "./browser.mjs";

let env;
let w;
before(async () => { env = await startConsole(); w = env.worker; mkdirSync(SCREENSHOTS, { recursive: true }); });
after(async () => { await env?.close(); });

const customer = (name, extra = {}) => w.createCustomer({ name, email: uniqueEmail("tree"), ...extra });
const fetched = async (id) => (await w.get(`/v1/customers/${id}`)).body;
const subList = (page) => page.getByRole("list", { name: /^Sub-customers/ });

describe("sub-customers, handles and the own company in the console", () => {
  task("adds a sub-customer from the parent's page and sees it listed there, and the parent named on its page", async ({ pages }) => {
    const t = tag();
    const parent = await customer(`Parent ${t}`);
    const page = await openTab(env, pages, { hash: `#/customers/${parent.id}` });
    await heading(page, `Parent ${t}`).waitFor();
    await page.getByText("No sub-customers.").waitFor();
    await page.getByRole("button", { name: "Add sub-customer" }).click();
    const dialog = page.getByRole("dialog", { name: `New sub-customer of Parent ${t}` });
    await dialog.waitFor();
    await dialog.getByRole("group", { name: "Belongs to" }).getByText(`A sub-customer of Parent ${t}`).waitFor();
    await dialog.getByLabel("Name").fill(`Child ${t}`);
    await dialog.getByRole("button", { name: "Create customer" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("heading", { name: "Sub-customers (1)" }).waitFor();
    const link = subList(page).getByRole("link", { name: `Child ${t}` });
    await link.waitFor();
    await subList(page).getByText(`child-${t}`).waitFor();
    const kids = (await w.get(`/v1/customers?parent_id=${parent.id}`)).body.data;
    assert.deepEqual(kids.map((k) => k.name), [`Child ${t}`]);
    await link.click();
    await heading(page, `Child ${t}`).waitFor();
    await page.getByText(`Handle child-${t}`).waitFor();
    await page.getByText("Belongs to").getByRole("link", { name: `Parent ${t}` }).click();
    await heading(page, `Parent ${t}`).waitFor();
    // The list shows the children with the parent's link to them.
    await page.getByRole("link", { name: "Open them in the customer list" }).click();
    await page.getByRole("tabpanel").getByRole("link", { name: `Child ${t}` }).waitFor();
    assert.ok(hashOf(page).includes(`parent=${parent.id}`));
    await page.getByText(`Showing the sub-customers of Parent ${t}`).waitFor();
    assert.deepEqual(page.errors, []);
  });

  task("moves a customer under another in the edit form; a circle and a taken handle are refused next to their fields", async ({ pages }) => {
    const t = tag();
    const top = await customer(`Top ${t}`);
    const middle = await customer(`Middle ${t}`, { parent_id: top.id });
    const mover = await customer(`Mover ${t}`);
    await customer(`Holder ${t}`, { handle: `taken-${t}` });
    const page = await openTab(env, pages, { hash: `#/customers/${mover.id}` });
    await heading(page, `Mover ${t}`).waitFor();
    await page.getByRole("button", { name: "Edit" }).click();
    const picker = page.getByRole("combobox", { name: "Find a parent customer" });
    await picker.fill(`middle ${t}`);
    // By keyboard: the first match is highlighted with the arrow key and picked with Enter.
    await page.getByRole("option", { name: new RegExp(`Middle ${t}`) }).waitFor();
    await picker.press("ArrowDown");
    await picker.press("Enter");
    await page.getByText(`A sub-customer of Middle ${t}`).waitFor();
    await page.getByRole("button", { name: "Save changes" }).click();
    const confirm = page.getByRole("dialog", { name: "Save changes?" });
    await confirm.getByText("Belongs to").waitFor();
    await confirmDialog(page, "Save changes?", "Save changes");
    await page.getByText("Belongs to").getByRole("link", { name: `Middle ${t}` }).waitFor();
    assert.equal((await fetched(mover.id)).parent_id, middle.id);

    // Top under its own grandchild would be a circle: refused, and said next to the picker.
    await page.goto(`${w.url}/admin#/customers/${top.id}`);
    await heading(page, `Top ${t}`).waitFor();
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByRole("combobox", { name: "Find a parent customer" }).fill(`mover ${t}`);
    await page.getByRole("option", { name: new RegExp(`Mover ${t}`) }).click();
    await page.getByRole("button", { name: "Save changes" }).click();
    await confirmDialog(page, "Save changes?", "Save changes");
    const field = page.getByRole("combobox", { name: "Move under another customer" });
    await until(async () => (await field.getAttribute("aria-invalid")) === "true", "the parent marked invalid");
    const described = (await field.getAttribute("aria-describedby")).split(" ");
    const message = await page.locator(`[id="${described.at(-1)}"]`).textContent();
    assert.match(message, /circle/);
    assert.equal(await page.getByText(message).count(), 1, "the error is shown once, next to the field");
    assert.equal((await fetched(top.id)).parent_id, null);

    // Back to the top level, and a handle another customer has is refused next to the Handle field.
    await page.getByRole("button", { name: "Make top level" }).click();
    await page.getByLabel("Handle").fill(`taken-${t}`);
    await page.getByRole("button", { name: "Save changes" }).click();
    await confirmDialog(page, "Save changes?", "Save changes");
    const handle = page.getByLabel("Handle");
    await until(async () => (await handle.getAttribute("aria-invalid")) === "true", "the handle marked invalid");
    await page.getByText("another live customer has this handle").waitFor();
    await handle.fill(`top-${t}-renamed`);
    await page.getByRole("button", { name: "Save changes" }).click();
    await confirmDialog(page, "Save changes?", "Save changes");
    await page.getByText(`Handle top-${t}-renamed`).waitFor();
    assert.equal((await fetched(top.id)).handle, `top-${t}-renamed`);
    assert.deepEqual(page.errors, []);
  });

  task("deletes a parent with its sub-customers after the confirmation names them; a child's restore says to restore the parent", async ({ pages }) => {
    const t = tag();
    const parent = await customer(`Cascade ${t}`);
    const a = await customer(`Cascade ${t} Kid A`, { parent_id: parent.id });
    await customer(`Cascade ${t} Kid B`, { parent_id: parent.id });
    const grandchild = await customer(`Cascade ${t} Grandkid`, { parent_id: a.id });
    const page = await openTab(env, pages, { hash: `#/customers/${parent.id}` });
    await page.getByRole("heading", { name: "Sub-customers (2)" }).waitFor();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Delete Cascade ${t}?` });
    await dialog.getByText("It has 2 sub-customers").waitFor();
    await dialog.getByText(`Cascade ${t} Kid A, Cascade ${t} Kid B`).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Cancel", "the question starts on Cancel");
    await confirmDialog(page, `Delete Cascade ${t}?`, "Delete with sub-customers");
    await page.getByText("Deleted on").waitFor();
    for (const id of [parent.id, a.id, grandchild.id]) assert.ok((await fetched(id)).deleted_at, "the whole subtree is deleted");

    await page.goto(`${w.url}/admin#/customers/${grandchild.id}`);
    await heading(page, `Cascade ${t} Grandkid`).waitFor();
    await page.getByRole("button", { name: "Restore" }).click();
    await page.getByRole("alert").getByText(/parent is deleted; restore the parent first/).waitFor();
    await page.getByRole("link", { name: `Open Cascade ${t} Kid A to restore it` }).click();
    await heading(page, `Cascade ${t} Kid A`).waitFor();
    await page.getByRole("link", { name: `Cascade ${t}`, exact: true }).click();
    await heading(page, `Cascade ${t}`).waitFor();
    await page.getByRole("button", { name: "Restore" }).click();
    await until(async () => (await page.getByText("Deleted on").count()) === 0, "restored");
    await page.getByRole("heading", { name: "Sub-customers (2)" }).waitFor();
    assert.equal((await fetched(grandchild.id)).deleted_at, null, "the restore brought the subtree back");
    assert.deepEqual(page.errors, []);
  });

  task("permanent delete shows the subtree's count before confirming", async ({ pages }) => {
    const t = tag();
    const parent = await customer(`Forever ${t}`);
    const kid = await customer(`Forever ${t} Kid`, { parent_id: parent.id });
    const leaves = [await customer(`Forever ${t} Leaf 1`, { parent_id: kid.id }), await customer(`Forever ${t} Leaf 2`, { parent_id: kid.id })];
    await w.post(`/v1/customers/${kid.id}/contacts`, { email: uniqueEmail("ct") });
    const page = await openTab(env, pages, { hash: `#/customers/${parent.id}` });
    await heading(page, `Forever ${t}`).waitFor();
    await page.getByRole("button", { name: "Delete permanently" }).click();
    const title = `Delete Forever ${t} permanently?`;
    const dialog = page.getByRole("dialog", { name: title });
    await dialog.getByText("4 customers: this one and 3 sub-customers below it").waitFor();
    await dialog.getByText("1 contact", { exact: true }).waitFor();
    await confirmDialog(page, title, "Delete permanently");
    await heading(page, "Customers").waitFor();
    for (const c of [parent, kid, ...leaves]) assert.equal((await w.get(`/v1/customers/${c.id}`)).status, 404);
  });

  task("marks the own company (owners only): its badge shows, delete and redact are not offered, and it can be unmarked", async ({ pages }) => {
    const t = tag();
    const ours = await customer(`Our MSP ${t}`);
    // A key without admins:manage is not offered the mark.
    const editor = await w.createKey(["customers:read", "customers:update", "customers:delete"]);
    const viewer = await openTab(env, pages, { signIn: false, hash: `#/customers/${ours.id}` });
    await signInAs(viewer, editor.secret);
    await heading(viewer, `Our MSP ${t}`).waitFor();
    await viewer.getByRole("button", { name: "Delete", exact: true }).waitFor();
    assert.equal(await viewer.getByRole("button", { name: "Make this our own company" }).count(), 0);

    const page = await openTab(env, pages, { hash: `#/customers/${ours.id}` });
    await heading(page, `Our MSP ${t}`).waitFor();
    await page.getByRole("button", { name: "Make this our own company" }).click();
    await confirmDialog(page, `Make Our MSP ${t} your own company?`, "Make it our own company");
    await page.getByText("Own company", { exact: true }).waitFor();
    await page.getByText(/This is your own company: it cannot be deleted or redacted/).waitFor();
    for (const name of ["Delete", "Redact", "Delete permanently"]) {
      assert.equal(await page.getByRole("button", { name, exact: true }).count(), 0, `${name} is not offered`);
    }
    assert.equal((await w.get("/v1/own-company")).body.id, ours.id);
    // The list shows the badge too.
    await page.goto(`${w.url}/admin#/customers?q=our msp ${t}`);
    await page.getByRole("row").filter({ hasText: `Our MSP ${t}` }).getByText("Own company").waitFor();
    // A customer above it cannot be deleted with it, and the console says which customer is in the way.
    const holder = await customer(`Holder MSP ${t}`);
    assert.equal((await w.patch(`/v1/customers/${ours.id}`, { parent_id: holder.id })).status, 200);
    await page.goto(`${w.url}/admin#/customers/${holder.id}`);
    await page.getByRole("heading", { name: "Sub-customers (1)" }).waitFor();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await confirmDialog(page, `Delete Holder MSP ${t}?`, "Delete with sub-customers");
    await page.getByRole("alert").getByText(/one of its sub-customers is your own company/).waitFor();
    assert.equal((await fetched(holder.id)).deleted_at, null);
    // Unmarked, it is an ordinary customer again.
    await subList(page).getByRole("link", { name: `Our MSP ${t}` }).click();
    await page.getByRole("button", { name: "Unmark own company" }).click();
    await confirmDialog(page, `Unmark Our MSP ${t}?`, "Unmark");
    await page.getByRole("button", { name: "Delete", exact: true }).waitFor();
    assert.equal(await page.getByText("Own company", { exact: true }).count(), 0);
    assert.equal((await w.get("/v1/own-company")).status, 404);
    assert.deepEqual(page.errors, []);
  });

  task("finds a customer by handle in the list search, with the handle under the name", async ({ pages }) => {
    const t = tag();
    const c = await customer(`Handled ${t}`, { handle: `hx-${t}-crew` });
    await customer(`Unrelated ${t}`);
    const page = await openTab(env, pages);
    await heading(page, "Customers").waitFor();
    await page.getByRole("searchbox", { name: "Search customers" }).fill(`hx-${t}`);
    await until(() => hashOf(page).includes(`q=hx-${t}`), "q in the address");
    const row = page.getByRole("row").filter({ hasText: `Handled ${t}` });
    await row.getByText(`hx-${t}-crew`).waitFor();
    await until(async () => (await page.getByRole("tabpanel").getByRole("link").allTextContents()).join() === `Handled ${t}`, "only the match listed");
    await row.getByRole("link", { name: `Handled ${t}` }).click();
    await heading(page, `Handled ${t}`).waitFor();
    assert.ok(hashOf(page).endsWith(c.id));
  });

  task("lists the top level only, from a toggle kept in the address", async ({ pages }) => {
    const t = tag();
    const parent = await customer(`Level ${t} Parent`);
    await customer(`Level ${t} Child`, { parent_id: parent.id });
    const page = await openTab(env, pages, { hash: `#/customers?q=level ${t}` });
    const table = page.getByRole("tabpanel");
    await table.getByRole("link", { name: `Level ${t} Child` }).waitFor();
    await page.getByRole("checkbox", { name: "Top level only" }).check();
    await until(() => hashOf(page).includes("parent=none"), "the toggle in the address");
    await until(async () => (await table.getByRole("link").allTextContents()).join() === `Level ${t} Parent`, "only the top level listed");
    await page.reload();
    await table.getByRole("link", { name: `Level ${t} Parent` }).waitFor();
    assert.equal(await page.getByRole("checkbox", { name: "Top level only" }).isChecked(), true);
    await page.getByRole("checkbox", { name: "Top level only" }).uncheck();
    await table.getByRole("link", { name: `Level ${t} Child` }).waitFor();
  });

  task("bulk delete explains a parent kept for its sub-customers, and takes them with “Include sub-customers”", async ({ pages }) => {
    const t = tag();
    const p1 = await customer(`Bulky ${t} One`);
    const kid = await customer(`Bulky ${t} Kid`, { parent_id: p1.id });
    const p2 = await customer(`Bulky ${t} Two`);
    const page = await openTab(env, pages, { hash: `#/customers?q=bulky ${t}&parent=none` });
    await page.getByRole("link", { name: `Bulky ${t} One` }).waitFor();
    await page.getByRole("checkbox", { name: `Select Bulky ${t} One` }).check();
    await page.getByRole("checkbox", { name: `Select Bulky ${t} Two` }).check();
    await page.getByRole("button", { name: "Delete selected", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Delete the selected customers?" });
    await dialog.getByText("1 customer will move to Deleted").waitFor();
    await dialog.getByText(`Bulky ${t} One: 1 sub-customer`).waitFor();
    await dialog.getByRole("checkbox", { name: "Include sub-customers (delete them too)" }).waitFor();
    await confirmDialog(page, "Delete the selected customers?", "Delete");
    const notice = page.getByRole("status").filter({ hasText: "One customer was not deleted" });
    await notice.getByText(/sub-customers that were not selected/).waitFor();
    await notice.getByRole("link", { name: `Bulky ${t} One` }).waitFor();
    assert.ok((await fetched(p2.id)).deleted_at);
    assert.equal((await fetched(p1.id)).deleted_at, null);

    // The customer kept stays selected, for a second try that includes its sub-customers.
    assert.equal(await page.getByRole("checkbox", { name: `Select Bulky ${t} One` }).isChecked(), true);
    await page.getByRole("button", { name: "Delete selected", exact: true }).click();
    await dialog.getByRole("checkbox", { name: "Include sub-customers (delete them too)" }).check();
    await dialog.getByText("1 customer, with their sub-customers, will move to Deleted").waitFor();
    await confirmDialog(page, "Delete the selected customers?", "Delete");
    await until(async () => Boolean((await fetched(kid.id)).deleted_at), "the sub-customer deleted too");
    assert.ok((await fetched(p1.id)).deleted_at);
    await page.getByText("No customers match this view.").waitFor();
    // Undo brings the parent back with its sub-customer.
    await page.getByRole("status").getByRole("button", { name: "Undo" }).click();
    await until(async () => (await fetched(kid.id)).deleted_at === null, "undo restored the subtree");
  });

  task("has no serious or critical axe-core violations on the new screens, and fits 375 px", async ({ pages }) => {
    const t = tag();
    const parent = await customer(`Axe Tree ${t}`, { company: "A11y Ltd" });
    await customer(`Axe Tree ${t} Kid`, { parent_id: parent.id });
    const found = {};
    const page = await openTab(env, pages, { hash: `#/customers/${parent.id}` });
    await page.getByRole("heading", { name: "Sub-customers (1)" }).waitFor();
    await page.waitForLoadState("networkidle");
    found.customer = await axe(page);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("dialog", { name: `Delete Axe Tree ${t}?` }).getByText("It has 1 sub-customer").waitFor();
    found.cascadeConfirm = await axe(page);
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Add sub-customer" }).click();
    await page.getByRole("dialog", { name: `New sub-customer of Axe Tree ${t}` }).waitFor();
    found.createSub = await axe(page);
    await page.keyboard.press("Escape");
    await page.goto(`${w.url}/admin#/customers/${parent.id}`);
    await heading(page, `Axe Tree ${t}`).waitFor();
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByRole("combobox", { name: "Find a parent customer" }).fill("axe");
    await page.getByRole("listbox", { name: "Matching customers" }).getByRole("option").first().waitFor();
    found.editWithPicker = await axe(page);
    await page.goto(`${w.url}/admin#/customers?q=axe tree ${t}&parent=none`);
    await page.getByRole("link", { name: `Axe Tree ${t}` }).waitFor();
    found.listTopLevel = await axe(page);
    await page.goto(`${w.url}/admin#/customers?parent=${parent.id}`);
    await page.getByText(`Showing the sub-customers of Axe Tree ${t}`).waitFor();
    found.listOfChildren = await axe(page);
    const bad = Object.entries(found).flatMap(([screen, vs]) => vs.map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join("; ")}`));
    assert.deepEqual(bad, []);

    const narrow = await openTab(env, pages, { width: 375, height: 740, hash: `#/customers/${parent.id}` });
    await narrow.getByRole("heading", { name: "Sub-customers (1)" }).waitFor();
    const overflow = () => narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok((await overflow()) <= 0, `the customer page scrolls sideways by ${await overflow()} px`);
    await narrow.getByRole("button", { name: "Edit" }).click();
    await narrow.getByRole("combobox", { name: "Find a parent customer" }).fill("axe");
    await narrow.getByRole("listbox", { name: "Matching customers" }).getByRole("option").first().waitFor();
    assert.ok((await overflow()) <= 0, `the edit form scrolls sideways by ${await overflow()} px`);
    await narrow.screenshot({ path: join(SCREENSHOTS, "console-tree-edit-375.png"), fullPage: true });
  }, { timeout: 120_000 });
});
