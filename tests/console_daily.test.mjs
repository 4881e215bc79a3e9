// The console for an admin's whole day, in Chromium: the filter bar (one line per condition,
// chips, picks from lists of names), bulk actions that fit the tab, the audit log's lists, the
// export of the shown columns, and the dense list with its column chooser.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe } from "node:test";
import { ADMIN_TOKEN, uniqueEmail } from "./harness.mjs";
import { axe, hashOf, heading, openTab, shot, signInAs, startConsole, tag, task, until } from "./browser.mjs";

let env;
let w;
before(async () => { env = await startConsole(); w = env.worker; });
after(async () => { await env?.close(); });

const rowNames = (page) => page.getByRole("tabpanel").getByRole("link").allTextContents();

describe("the console's daily view", () => {
  task("filter bar: one line per condition, chips above the table, the panel opens when asked", async ({ pages }) => {
    const t = tag();
    await w.createCustomer({ name: `Chip ${t} A`, email: uniqueEmail("ca"), company: `Engines ${t}`, attributes: { plan: "pro" } });
    await w.createCustomer({ name: `Chip ${t} B`, email: uniqueEmail("cb"), company: `Engines ${t}`, attributes: { plan: "free" } });
    const page = await openTab(env, pages, { width: 1366 });
    await page.getByRole("button", { name: "Filters" }).click();
    await page.getByRole("button", { name: "Add condition" }).click();
    await page.getByLabel("Field of condition 1").selectOption("company");
    await page.getByLabel("Operator of condition 1").selectOption("contains");
    await page.getByLabel("Value of condition 1").fill(`engines ${t}`);
    await page.getByRole("button", { name: "Add condition" }).click();
    await page.getByLabel("Field of condition 2").selectOption("attribute");
    await page.getByLabel("Attribute name of condition 2").fill("plan");
    await page.getByLabel("Operator of condition 2").selectOption("eq");
    await page.getByLabel("Value of condition 2").fill("pro");
    // Field, operator, value and remove of a condition sit on one line.
    const tops = await Promise.all(["Field of condition 1", "Operator of condition 1", "Value of condition 1"]
      .map(async (l) => (await page.getByLabel(l).boundingBox()).y));
    tops.push((await page.getByRole("button", { name: "Remove condition 1" }).boundingBox()).y);
    assert.ok(Math.max(...tops) - Math.min(...tops) < 8, `one line: ${tops}`);
    const h1 = (await page.getByLabel("Field of condition 1").boundingBox());
    const h2 = (await page.getByLabel("Field of condition 2").boundingBox());
    assert.ok(h2.y - h1.y < 70, `conditions are about a line apart: ${h2.y - h1.y}px`);
    await page.getByRole("button", { name: "Apply" }).click();
    await until(async () => (await rowNames(page)).join() === `Chip ${t} A`, "only the match listed");
    // Reloaded: the panel stays shut, the conditions show as chips above the table.
    await page.reload();
    await page.getByRole("link", { name: `Chip ${t} A` }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Filters (2)" }).getAttribute("aria-expanded"), "false");
    assert.equal(await page.getByLabel("Field of condition 1").isVisible(), false);
    const chips = page.getByRole("list", { name: "Active filters" });
    await chips.getByText(`Company contains engines ${t}`).waitFor();
    await chips.getByText("plan is pro").waitFor();
    const chipBox = await chips.boundingBox();
    const tableBox = await page.getByRole("tabpanel").boundingBox();
    assert.ok(chipBox.y < tableBox.y, "the chips are above the table");
    await shot(page, "filter-bar-two-chips");
    await page.getByRole("button", { name: "Remove filter: plan is pro" }).click();
    await page.getByRole("link", { name: `Chip ${t} B` }).waitFor();
    assert.ok(!hashOf(page).includes("attributes.plan"));
    assert.deepEqual(await axe(page), []);
  });

  task("'is one of' for group, kind and source picks from lists of names", async ({ pages }) => {
    const t = tag();
    const vip = await w.createGroup({ name: `VIP ${t}` });
    const berlin = await w.createGroup({ name: `Berlin ${t}` });
    await w.createGroup({ name: `Other ${t}` });
    await w.createCustomer({ name: `Pick ${t} A`, email: uniqueEmail("pa"), group_ids: [vip.id] });
    await w.createCustomer({ name: `Pick ${t} B`, email: uniqueEmail("pb"), group_ids: [berlin.id] });
    await w.createCustomer({ name: `Pick ${t} C`, email: uniqueEmail("pc") });
    const page = await openTab(env, pages, { hash: `#/customers?q=pick ${t}` });
    await page.getByRole("link", { name: `Pick ${t} C` }).waitFor();
    await page.getByRole("button", { name: "Filters" }).click();
    await page.getByRole("button", { name: "Add condition" }).click();
    await page.getByLabel("Field of condition 1").selectOption("group_id");
    await page.getByLabel("Operator of condition 1").selectOption("in");
    const values = page.getByRole("group", { name: "Values of condition 1" });
    await values.getByLabel(`VIP ${t}`).check();
    await values.getByLabel(`Berlin ${t}`).check();
    await page.getByRole("button", { name: "Apply" }).click();
    await until(async () => (await rowNames(page)).sort().join() === `Pick ${t} A,Pick ${t} B`, "the two groups' members");
    await page.getByRole("list", { name: "Active filters" }).getByText(`Group is one of VIP ${t}, Berlin ${t}`).waitFor();
    // Kind and source pick the same way.
    await page.getByLabel("Field of condition 1").selectOption("source");
    await page.getByLabel("Operator of condition 1").selectOption("in");
    await page.getByRole("group", { name: "Values of condition 1" }).getByLabel("meeting link").waitFor();
    await page.getByLabel("Field of condition 1").selectOption("kind");
    await page.getByLabel("Operator of condition 1").selectOption("in");
    await page.getByRole("group", { name: "Values of condition 1" }).getByLabel("visitor").waitFor();
  });

  task("bulk actions fit the tab: Deleted offers Restore selected, not Add to group; bulk errors name the customers", async ({ pages }) => {
    const t = tag();
    const gone = await w.createCustomer({ name: `Gone ${t}`, email: uniqueEmail("g") });
    await w.delete(`/v1/customers/${gone.id}`);
    const group = await w.createGroup({ name: `Bulk ${t}` });
    const page = await openTab(env, pages, { hash: `#/customers?tab=deleted&q=${t}` });
    await page.getByRole("checkbox", { name: `Select Gone ${t}` }).check();
    const bulk = page.getByRole("region", { name: "Bulk actions" });
    await bulk.getByRole("button", { name: "Restore selected" }).waitFor();
    assert.equal(await bulk.getByRole("button", { name: "Add to group" }).count(), 0);
    assert.equal(await bulk.getByRole("button", { name: "Delete selected", exact: true }).count(), 0);
    await bulk.getByRole("button", { name: "Restore selected" }).click();
    await until(async () => (await w.get(`/v1/customers/${gone.id}`)).body.deleted_at === null, "restored");
    await until(async () => (await page.getByRole("tabpanel").getByRole("link").count()) === 0, "gone from Deleted");

    // Adding to a group a customer that was removed meanwhile: the error names that customer.
    const stays = await w.createCustomer({ name: `Stays ${t}`, email: uniqueEmail("s") });
    const leaves = await w.createCustomer({ name: `Leaves ${t}`, email: uniqueEmail("l") });
    await page.getByLabel("Search customers").fill(`${t}`);
    await page.getByRole("tab", { name: "Active" }).click();
    await page.getByRole("link", { name: `Leaves ${t}` }).waitFor();
    await page.getByRole("checkbox", { name: `Select Stays ${t}` }).check();
    await page.getByRole("checkbox", { name: `Select Leaves ${t}` }).check();
    await w.delete(`/v1/customers/${leaves.id}?permanent=true`);
    await bulk.getByLabel("Group").selectOption({ label: `Bulk ${t}` });
    await bulk.getByRole("button", { name: "Add to group" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.textContent(), new RegExp(`Leaves ${t}`));
    assert.equal((await w.get(`/v1/groups/${group.id}`)).body.member_count, 0, `${stays.id} not added alone by an atomic call`);
  });

  task("audit log: every action the API writes, targets by name with a link, the actor from a list", async ({ pages }) => {
    const t = tag();
    const target = await w.createCustomer({ name: `Merged Into ${t}`, email: uniqueEmail("mt") });
    const source = await w.createCustomer({ name: `Merged Away ${t}`, email: uniqueEmail("ms") });
    assert.equal((await w.post(`/v1/customers/${target.id}/merge`, { source_ids: [source.id] })).status, 200);
    const key = await w.createKey(["customers:read"], { name: `Reader ${t}` });
    await w.get("/v1/customers", { token: key.secret });
    const page = await openTab(env, pages, { hash: "#/audit" });
    await heading(page, "Audit log").waitFor();
    const action = page.getByLabel("Action");
    for (const a of ["customer.merge", "customer.own_company_set", "customer.own_company_unset", "contact.issue_activation_link", "contact.activate"]) {
      await action.getByRole("option", { name: a, exact: true }).waitFor({ state: "attached" });
    }
    await action.selectOption("customer.merge");
    await page.getByLabel("Actor").selectOption({ label: "Admin token" });
    await page.getByLabel("Actor").getByRole("option", { name: `API key Reader ${t}` }).waitFor({ state: "attached" });
    await page.getByRole("button", { name: "Apply" }).click();
    await until(() => hashOf(page).includes("action=customer.merge") && hashOf(page).includes("actor=admin-token"), "filters in the address");
    const table = page.getByRole("region", { name: "Audit entries" });
    await until(async () => (await table.getByRole("row").count()) === 3, "the merge's two entries");
    await table.getByRole("link", { name: `customer Merged Away ${t}`, exact: true }).waitFor();
    await table.getByRole("link", { name: `customer Merged Into ${t}`, exact: true }).click();
    await heading(page, `Merged Into ${t}`).waitFor();
  });

  task("exports the columns the table shows; the column chooser adds attributes and is kept in the address and the browser", async ({ pages }) => {
    const t = tag();
    await w.createCustomer({ name: `Cols ${t} A`, email: uniqueEmail("ca"), phone: "+44 20 7946 0000", attributes: { plan: "pro" } });
    const page = await openTab(env, pages, { hash: `#/customers?q=cols ${t}`, width: 1366 });
    await page.getByRole("link", { name: `Cols ${t} A` }).waitFor();
    await page.getByRole("button", { name: "Columns" }).click();
    const chooser = page.getByRole("form", { name: "Columns" });
    await chooser.getByLabel("Source").uncheck();
    await chooser.getByLabel("Groups").uncheck();
    await chooser.getByLabel("Attribute column").fill("plan");
    await chooser.getByRole("button", { name: "Add column" }).click();
    await page.getByRole("columnheader", { name: "plan" }).waitFor();
    assert.equal(await page.getByRole("columnheader", { name: "Source" }).count(), 0);
    await page.getByRole("cell", { name: "pro", exact: true }).waitFor();
    await until(() => hashOf(page).includes("cols="), "columns in the address");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    const lines = readFileSync(await download.path(), "utf8").trim().split(/\r?\n/);
    assert.equal(lines[0], "name,email,phone,company,kind,created_at,last_seen_at,attributes.plan");
    assert.match(lines[1], new RegExp(`^Cols ${t} A,.*,'\\+44 20 7946 0000,.*,pro$`));
    // A new tab of this browser (signed in by the open one) opens the list with the same columns.
    const again = await page.context().newPage();
    pages.push(again);
    await again.goto(`${w.url}/admin#/customers?q=cols ${t}`);
    await again.getByRole("columnheader", { name: "plan" }).waitFor();
  });
});

describe("the dashboard", () => {
  task("opens on figures and charts, each with its table for keyboards and screen readers, 30 or 90 days", async ({ pages }) => {
    const t = tag();
    const group = await w.createGroup({ name: `Largest ${t}` });
    for (let i = 0; i < 3; i++) await w.createCustomer({ name: `Dash ${t} ${i}`, email: uniqueEmail("d"), group_ids: [group.id] });
    assert.equal((await w.importCsv(`name\nDash import ${t}\n`)).status, 200);
    const email = uniqueEmail("dv");
    await w.post("/v1/public/interactions", { email, type: "form_submitted", resource_id: "form-1" }, { token: null });
    const stats = (await w.get("/v1/stats/daily")).body;
    const page = await openTab(env, pages, { hash: "", width: 1366 });
    await heading(page, "Dashboard").waitFor();
    assert.equal(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).getAttribute("aria-current"), "page");
    await page.getByText(`${stats.totals.created} in all`).first().waitFor();
    const created = page.getByRole("figure", { name: /Customers created per day/ });
    await created.getByRole("img", { name: /Customers created per day, by source: .* over 30 days/ }).waitFor();
    await page.getByRole("figure", { name: /Visitors who became registered/ }).waitFor();
    await page.getByRole("figure", { name: /Interactions per day/ }).getByRole("img").waitFor();
    await page.getByRole("figure", { name: "Largest groups" }).getByRole("link", { name: `Largest ${t}` }).waitFor();
    await page.getByRole("region", { name: "Recent imports" }).getByRole("cell", { name: "create" }).first().waitFor();
    await shot(page, "dashboard");
    // The chart's numbers, by keyboard.
    const show = created.getByRole("button", { name: "Show the table: Customers created per day, by source" });
    await show.focus();
    await page.keyboard.press("Enter");
    const table = page.getByRole("region", { name: "Customers created per day, by source, table" });
    const today = new Date().toISOString().slice(0, 10);
    const row = table.getByRole("row", { name: new RegExp(`^${today}`) });
    const cells = await row.getByRole("cell").allTextContents();
    assert.equal(Number(cells.at(-1)), stats.created.filter((p) => p.date === today).reduce((s, p) => s + p.count, 0));
    assert.equal(await table.getByRole("row").count(), 31);
    assert.deepEqual(await axe(page), []);
    await page.getByRole("button", { name: "Last 90 days" }).click();
    await until(() => hashOf(page).includes("days=90"), "the period in the address");
    await created.getByRole("img", { name: /over 90 days/ }).waitFor();
    // 375 px: nothing scrolls sideways.
    await page.setViewportSize({ width: 375, height: 800 });
    await heading(page, "Dashboard").waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 376), "no sideways scroll at 375 px");
    assert.deepEqual(page.errors, []);
  });
});

describe("the list keeps its place and reads densely", () => {
  task("a dense table: one line per row at 1366 px, relative times with the exact time on hover, a card per row at 375 px", async ({ pages }) => {
    const t = tag();
    await w.createCustomer({ name: `Dense ${t} With A Rather Long Name`, email: `a.very.long.address.for.${t}@subdomain.example.com`,
      phone: "+44 20 7946 0000", company: "Analytical Engines and Difference Machines Ltd" });
    const page = await openTab(env, pages, { hash: `#/customers?q=dense ${t}`, width: 1366 });
    const link = page.getByRole("link", { name: new RegExp(`Dense ${t}`) });
    await link.waitFor();
    const row = page.getByRole("tabpanel").getByRole("row").nth(1);
    const heights = await row.evaluate((tr) => [...tr.cells].map((td) => `${td.className}:${td.getBoundingClientRect().height}:${td.scrollHeight}`));
    assert.ok((await row.boundingBox()).height < 48, `one line: ${(await row.boundingBox()).height}px ${heights}`);
    const created = row.getByText("just now");
    assert.match(await created.getAttribute("title"), /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    await page.setViewportSize({ width: 375, height: 800 });
    await until(async () => !(await page.getByRole("columnheader", { name: "Email" }).isVisible()), "headings give way to cards");
    const box = await row.boundingBox();
    assert.ok(box.width <= 375 && box.height > 60, `a card: ${JSON.stringify(box)}`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 376), "no sideways scroll at 375 px");
    await shot(page, "list-375");
  });

  task("reload on page 3 keeps the count and Previous", async ({ pages }) => {
    const t = tag();
    const names = Array.from({ length: 60 }, (_, i) => `Place ${t} ${String(i).padStart(2, "0")}`);
    assert.equal((await w.importCsv(`name\n${names.join("\n")}\n`)).status, 200);
    const page = await openTab(env, pages, { hash: `#/customers?q=place ${t}&sort=name`, width: 1366, height: 600 });
    const count = page.getByRole("status").filter({ hasText: /of 60/ });
    await page.getByText("1–25 of 60").waitFor();
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("26–50 of 60").waitFor();
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("51–60 of 60").waitFor();
    await page.reload();
    await page.getByText("51–60 of 60").waitFor();
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.getByText("26–50 of 60").waitFor();
    assert.ok(await count.count() >= 1);
    await shot(page, "list");
  });

  task("a toast does not follow you to the next page", async ({ pages }) => {
    const t = tag();
    const page = await openTab(env, pages);
    await page.getByRole("button", { name: "New customer" }).click();
    const dialog = page.getByRole("dialog", { name: "New customer" });
    await dialog.getByLabel("Name").fill(`Toasted ${t}`);
    await dialog.getByRole("button", { name: "Create customer" }).click();
    await heading(page, `Toasted ${t}`).waitFor();
    const toast = page.getByText(`Created Toasted ${t}.`);
    await toast.waitFor();
    await page.waitForTimeout(1100);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Groups" }).click();
    await heading(page, "Groups").waitFor();
    await until(async () => (await toast.count()) === 0, "the toast left with its page");
  });
});

describe("first run", () => {
  let fresh;
  before(async () => { fresh = await startConsole(); });
  after(async () => { await fresh?.close(); });

  task("an empty database shows what to do first, not 'No customers match this view'", async ({ pages }) => {
    const page = await openTab(fresh, pages, { hash: "#/customers" });
    const start = page.getByRole("region", { name: "Getting started" });
    await start.getByRole("heading", { name: "No customers yet" }).waitFor();
    await start.getByRole("link", { name: "Import a CSV file" }).waitFor();
    await start.getByText("/v1/public/interactions").waitFor();
    assert.equal(await page.getByText("No customers match this view").count(), 0);
    assert.deepEqual(await axe(page), []);
    await start.getByRole("button", { name: "Create a customer" }).click();
    await page.getByRole("dialog", { name: "New customer" }).waitFor();
  });
});

describe("select all matching", () => {
  task("after selecting a page, 'select all N matching' runs the bulk action by filter; selecting does not move the rows", async ({ pages }) => {
    const t = tag();
    const names = Array.from({ length: 30 }, (_, i) => `Every ${t} ${String(i).padStart(2, "0")}`);
    assert.equal((await w.importCsv(`name\n${names.join("\n")}\n`)).status, 200);
    const page = await openTab(env, pages, { hash: `#/customers?q=every ${t}` });
    await page.getByText("1–25 of 30").waitFor();
    const firstRow = page.getByRole("link", { name: names[29] });
    const y0 = (await firstRow.boundingBox()).y;
    await page.getByRole("checkbox", { name: "Select all customers on this page" }).check();
    const bulk = page.getByRole("region", { name: "Bulk actions" });
    await bulk.getByText("25 selected customers").waitFor();
    assert.equal((await firstRow.boundingBox()).y, y0, "the rows stay where they were");
    await bulk.getByRole("button", { name: "Select all 30 matching" }).click();
    await bulk.getByText("All 30 matching customers selected").waitFor();
    await bulk.getByRole("button", { name: "Delete selected", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Delete the selected customers?" });
    await dialog.getByText("30 customers will move to Deleted").waitFor();
    await dialog.getByRole("button", { name: "Delete", exact: true }).click();
    await until(async () => (await w.get(`/v1/customers?q=every%20${t}&include_total=true`)).body.total === 0, "all 30 deleted");
  });
});

describe("one timeline per customer", () => {
  task("interactions, changes and events in one list, newest first, in words, filterable by kind", async ({ pages }) => {
    const t = tag();
    const email = uniqueEmail("tl");
    const c = await w.createCustomer({ name: `Timeline ${t}`, email });
    assert.equal((await w.patch(`/v1/customers/${c.id}`, { company: "Timeline Co" })).status, 200);
    assert.equal((await w.post("/v1/public/interactions", { email, type: "form_submitted", resource_id: `form-${t}` }, { token: null })).status, 201);
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}`, width: 1366 });
    await heading(page, `Timeline ${t}`).waitFor();
    await page.getByRole("navigation", { name: "Customer sections" }).getByRole("link", { name: "Timeline" }).click();
    const list = page.getByRole("list", { name: "Timeline entries" });
    await list.getByText(`Submitted a form (form-${t}).`).waitFor();
    const words = await list.getByRole("listitem").allTextContents();
    assert.match(words[0], /Interaction.*Submitted a form/);
    assert.ok(words.some((w) => /Change.*The admin token changed company\./.test(w)), words.join("\n"));
    assert.ok(words.some((w) => /Change.*The admin token created this customer\./.test(w)), words.join("\n"));
    assert.ok(words.some((w) => /Event.*Webhooks were told customer\.created/.test(w)), words.join("\n"));
    assert.ok(!words.join().includes("{"), "no raw JSON");
    await shot(page, "timeline");
    assert.deepEqual(await axe(page), []);
    await page.getByLabel("Show").selectOption("change");
    await until(async () => (await list.getByRole("listitem").allTextContents()).every((x) => x.startsWith("Change")), "only changes");
    assert.ok(hashOf(page).endsWith("/timeline"));
  });
});

describe("editing", () => {
  task("the confirmation shows each change before and after; leaving with unsaved changes asks; Escape cancels; focus goes to the first field", async ({ pages }) => {
    const t = tag();
    const c = await w.createCustomer({ name: `Editable ${t}`, email: uniqueEmail("ed"), company: "Old Co", attributes: { plan: "free" } });
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}`, width: 1366 });
    await heading(page, `Editable ${t}`).waitFor();
    await page.getByRole("button", { name: "Edit" }).click();
    await until(() => page.evaluate(() => document.activeElement?.labels?.[0]?.textContent === "Name"), "focus on the first field");
    // A link followed in the same moment as the typing asks too: the guard does not wait for a paint.
    const discard = page.getByRole("dialog", { name: "Discard your changes?" });
    await page.evaluate(async () => {
      const company = [...document.querySelectorAll("label")].find((l) => l.textContent === "Company").control;
      company.value = "Newer Co";
      company.dispatchEvent(new Event("input", { bubbles: true }));
      await Promise.resolve();
      document.querySelector("nav[aria-label=Main] a[href='#/groups']").click();
    });
    await discard.getByRole("button", { name: "Keep editing" }).click();
    // The page behind a modal dialog takes no typing until it has gone.
    await discard.waitFor({ state: "detached" });
    await page.getByLabel("Company").fill("New Co");
    // A link elsewhere asks first; keeping on editing stays.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Groups" }).click();
    await discard.getByRole("button", { name: "Keep editing" }).click();
    await discard.waitFor({ state: "detached" });
    assert.equal(await page.getByLabel("Company").inputValue(), "New Co");
    // Escape cancels (after asking, since there are changes).
    await page.getByLabel("Company").press("Escape");
    await discard.getByRole("button", { name: "Discard changes" }).click();
    await page.getByRole("heading", { name: "Details" }).waitFor();
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.company, "Old Co");
    // The confirmation lists each field before and after.
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Company").fill("New Co");
    await page.getByLabel("Attribute 1 value").fill("pro");
    await page.getByRole("button", { name: "Save changes" }).click();
    const confirm = page.getByRole("dialog", { name: "Save changes?" });
    await confirm.getByRole("row", { name: "Company Old Co New Co" }).waitFor();
    await confirm.getByRole("row", { name: "Attribute plan free pro" }).waitFor();
    await confirm.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: "Details" }).waitFor();
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.company, "New Co");
    // Nothing changed: Escape leaves without asking.
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Name", { exact: true }).press("Escape");
    await page.getByRole("heading", { name: "Details" }).waitFor();
  });
});

describe("smaller things", () => {
  task("'0 customers will move' disables its button until sub-customers are included", async ({ pages }) => {
    const t = tag();
    const parent = await w.createCustomer({ name: `Zero Parent ${t}`, email: uniqueEmail("zp") });
    await w.createCustomer({ name: `Zero Child ${t}`, email: uniqueEmail("zc"), parent_id: parent.id });
    const page = await openTab(env, pages, { hash: `#/customers?q=zero parent ${t}` });
    await page.getByRole("checkbox", { name: `Select Zero Parent ${t}` }).check();
    await page.getByRole("region", { name: "Bulk actions" }).getByRole("button", { name: "Delete selected", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Delete the selected customers?" });
    await dialog.getByText("0 customers will move to Deleted").waitFor();
    assert.equal(await dialog.getByRole("button", { name: "Delete", exact: true }).isDisabled(), true);
    await dialog.getByLabel("Include sub-customers (delete them too)").check();
    await dialog.getByText("1 customer, with their sub-customers, will move to Deleted").waitFor();
    assert.equal(await dialog.getByRole("button", { name: "Delete", exact: true }).isDisabled(), false);
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });
});

describe("the place kept", () => {
  task("Back from a customer restores the list's page and scroll position, at 1366 and at 375 px", async ({ pages }) => {
    const t = tag();
    const names = Array.from({ length: 60 }, (_, i) => `Scroll ${t} ${String(i).padStart(2, "0")}`);
    assert.equal((await w.importCsv(`name\n${names.join("\n")}\n`)).status, 200);
    for (const [width, height] of [[1366, 600], [375, 700]]) {
      const page = await openTab(env, pages, { hash: `#/customers?q=scroll ${t}&sort=name`, width, height });
      await page.getByText("1–25 of 60").waitFor();
      await page.getByRole("button", { name: "Next page" }).click();
      await page.getByText("26–50 of 60").waitFor();
      const link = page.getByRole("link", { name: names[45] });
      await link.scrollIntoViewIfNeeded();
      const y = await page.evaluate(() => window.scrollY);
      assert.ok(y > 200, `${width} px: the list is scrolled down (${y} px)`);
      await link.click();
      await heading(page, names[45]).waitFor();
      await page.goBack();
      await page.getByText("26–50 of 60").waitFor();
      await until(async () => Math.abs((await page.evaluate(() => window.scrollY)) - y) < 30, `${width} px: back at ${y} px`);
      await page.waitForTimeout(300);
      assert.ok(Math.abs((await page.evaluate(() => window.scrollY)) - y) < 30, `${width} px: stays at ${y} px`);
      const box = await page.getByRole("link", { name: names[45] }).boundingBox();
      assert.ok(box.y >= 0 && box.y + box.height <= height, `${width} px: the customer opened is in view: ${JSON.stringify(box)}`);
      // The page is in the address: a reload keeps it, and Previous goes to page 1.
      await page.reload();
      await page.getByText("26–50 of 60").waitFor();
      await page.getByRole("button", { name: "Previous page" }).click();
      await page.getByText("1–25 of 60").waitFor();
      assert.deepEqual(page.errors, []);
    }
  }, { timeout: 120_000 });

  task("a customer opened in a new tab keeps a pasted token's sign-in, which lives only in this origin's open tabs", async ({ pages }) => {
    const t = tag();
    const c = await w.createCustomer({ name: `New Tab ${t}`, email: uniqueEmail("nt") });
    const page = await openTab(env, pages, { hash: `#/customers?q=new tab ${t}`, width: 1366 });
    const context = page.context();
    // Ctrl+click on a customer's name, and an address typed into another new tab.
    const [second] = await Promise.all([context.waitForEvent("page"), page.getByRole("link", { name: `New Tab ${t}` }).click({ modifiers: ["Control"] })]);
    pages.push(second);
    await heading(second, `New Tab ${t}`).waitFor();
    const third = await context.newPage();
    pages.push(third);
    await third.goto(`${w.url}/admin#/customers/${c.id}/timeline`);
    await heading(third, `New Tab ${t}`).waitFor();
    // Written nowhere that outlives the tabs or that another origin shares: no cookie, no localStorage.
    for (const p of [page, second, third]) {
      const stored = await p.evaluate((token) => [...Object.values(localStorage), document.cookie].some((v) => v.includes(token)), ADMIN_TOKEN);
      assert.equal(stored, false);
    }
    assert.ok(!(await context.cookies()).some((k) => k.value.includes(ADMIN_TOKEN)));
    // Another origin (the same server by another name) is not signed in by these tabs.
    const other = await context.newPage();
    pages.push(other);
    await other.goto(`${w.url.replace("127.0.0.1", "localhost")}/admin#/customers/${c.id}`);
    await heading(other, "Sign in to the admin console").waitFor();
    // Signing out in one tab signs out the others: none would hand the token on.
    await third.getByRole("button", { name: "Sign out" }).click();
    await heading(page, "Sign in to the admin console").waitFor();
    await heading(second, "Sign in to the admin console").waitFor();
    assert.equal(await second.evaluate(() => sessionStorage.length), 0);
    // With every tab closed the token is gone: a new tab asks for it.
    await signInAs(page, ADMIN_TOKEN);
    for (const p of [page, second, third]) await p.close();
    const fresh = await context.newPage();
    pages.push(fresh);
    await fresh.goto(`${w.url}/admin#/customers/${c.id}`);
    await heading(fresh, "Sign in to the admin console").waitFor();
    assert.deepEqual(await axe(fresh), []);
  });
});

describe("contacts at 1366 px", () => {
  task("every contact action is in view without scrolling sideways, at 1366 px and at 375 px", async ({ pages }) => {
    const t = tag();
    const c = await w.createCustomer({ name: `Contacts ${t}`, email: uniqueEmail("ct") });
    const long = `augusta.ada.king.countess.of.lovelace.${t}@analytical-engines.example.co.uk`;
    await w.createContact(c.id, { email: long, first_name: "Augusta Ada", last_name: "King-Noel", phone: "+44 20 7946 0000", role: "manager" });
    const off = await w.createContact(c.id, { email: uniqueEmail("off"), first_name: "Charles", last_name: "Babbage" });
    assert.equal((await w.patch(`/v1/customers/${c.id}/contacts/${off.id}`, { status: "disabled" })).status, 200);
    for (const [width, height] of [[1366, 768], [375, 800]]) {
      const page = await openTab(env, pages, { hash: `#/customers/${c.id}/contacts`, width, height });
      const region = page.getByRole("region", { name: "Contacts" });
      await region.getByText(long).waitFor();
      const sideways = await page.evaluate(() => {
        const wrap = document.querySelector("[role=region][aria-label=Contacts]");
        return { page: document.documentElement.scrollWidth - document.documentElement.clientWidth, region: wrap.scrollWidth - wrap.clientWidth };
      });
      assert.deepEqual(sideways, { page: 0, region: 0 }, `${width} px: nothing scrolls sideways`);
      const buttons = region.getByRole("button");
      const names = [];
      for (let i = 0; i < await buttons.count(); i++) {
        const b = buttons.nth(i);
        const box = await b.boundingBox();
        const name = await b.getAttribute("aria-label");
        names.push(name);
        assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${width} px: ${name} in view: ${JSON.stringify(box)}`);
      }
      for (const want of [`Send activation email to ${long}`, `Create activation link for ${long}`, `Disable contact ${long}`, `Edit contact ${long}`,
        `Remove contact ${long}`, `Enable contact ${off.email}`]) assert.ok(names.includes(want), `${want} among ${names}`);
      assert.deepEqual(await axe(page), []);
      if (width === 1366) await shot(page, "contacts-1366");
    }
  });
});

describe("duplicates, names and visitors", () => {
  task("possible duplicates fold accents: Maria Garcia, Maria García and María García", async ({ pages }) => {
    const plain = await w.createCustomer({ name: "Maria Garcia", email: uniqueEmail("mg1") });
    const one = await w.createCustomer({ name: "Maria García", email: uniqueEmail("mg2") });
    const both = await w.createCustomer({ name: "María  García", email: uniqueEmail("mg3") });
    for (const [c, others] of [[plain, [one, both]], [both, [plain, one]]]) {
      const page = await openTab(env, pages, { hash: `#/customers/${c.id}`, width: 1366 });
      const dups = page.getByRole("list", { name: /^Possible duplicates/ });
      for (const o of others) {
        const item = dups.getByRole("listitem").filter({ has: page.getByRole("link", { name: o.name.replace(/\s+/g, " ") }) });
        await item.getByText(/same name/).waitFor();
      }
      await page.getByText("the same name (ignoring case, accents and spaces)").waitFor();
    }
    // At 375 px too.
    const narrow = await openTab(env, pages, { hash: `#/customers/${one.id}`, width: 375, height: 800 });
    await narrow.getByRole("list", { name: /^Possible duplicates/ }).getByRole("link", { name: "Maria Garcia", exact: true }).waitFor();
    assert.ok(await narrow.evaluate(() => document.documentElement.scrollWidth <= 376), "no sideways scroll at 375 px");
  });

  task("sorted by name, customers without a name sit by their email among the names", async ({ pages }) => {
    const t = tag();
    await w.createCustomer({ name: `Alpha ${t}` });
    await w.createCustomer({ email: `bravo-${t}@example.com` });
    await w.createCustomer({ name: `Charlie ${t}` });
    await w.createCustomer({ email: `delta-${t}@example.com` });
    for (const width of [1366, 375]) {
      const page = await openTab(env, pages, { hash: `#/customers?q=${t}&sort=name`, width, height: 800 });
      await page.getByRole("link", { name: `Charlie ${t}` }).waitFor();
      assert.deepEqual(await rowNames(page), [`Alpha ${t}`, `bravo-${t}@example.com`, `Charlie ${t}`, `delta-${t}@example.com`]);
      // The sort buttons head the table's columns; the cards at 375 px take the order from the address.
      if (width === 1366) await page.getByRole("button", { name: "Name" }).click();
      else await page.goto(`${w.url}/admin#/customers?q=${t}&sort=-name`);
      await until(async () => (await rowNames(page))[0] === `delta-${t}@example.com`, "descending");
      assert.deepEqual(await rowNames(page), [`delta-${t}@example.com`, `Charlie ${t}`, `bravo-${t}@example.com`, `Alpha ${t}`]);
    }
  });

  task("a visitor's page shows its visitor reference (the placeholder's 8 characters), never the secret id", async ({ pages }) => {
    const t = tag();
    const visitorId = `${t}Zq9${"x".repeat(14)}`;
    assert.equal((await w.interact({ visitor_id: visitorId, type: "chat_started", resource_id: `room-${t}` })).status, 201);
    const list = (await w.get(`/v1/customers?q=${encodeURIComponent(`Visitor ${visitorId.slice(0, 8)}`)}`)).body.data;
    assert.equal(list.length, 1);
    const v = list[0];
    for (const width of [1366, 375]) {
      const page = await openTab(env, pages, { hash: `#/customers/${v.id}`, width, height: 800 });
      const details = page.getByRole("region", { name: "Details" });
      await details.getByText("Visitor reference").waitFor();
      const ref = details.getByRole("definition").filter({ hasText: visitorId.slice(0, 8) });
      await ref.getByText("the first 8 characters of its browser id").waitFor();
      assert.equal(await page.evaluate((id) => document.body.innerText.includes(id), visitorId), false, "the whole visitor id is never shown");
      assert.deepEqual(await axe(page), []);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), `${width} px: no sideways scroll`);
    }
    // A visitor who gave a name keeps no reference the API would show: the page says why.
    assert.equal((await w.interact({ visitor_id: visitorId, name: `Named Visitor ${t}`, type: "chat_started", resource_id: `room-${t}` })).status, 201);
    const page = await openTab(env, pages, { hash: `#/customers/${v.id}` });
    await heading(page, `Named Visitor ${t}`).waitFor();
    await page.getByRole("region", { name: "Details" }).getByText("kept secret: the API never shows it").waitFor();
  });
});
