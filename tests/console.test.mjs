// The admin console in a real browser (Chromium through playwright-core), one test per admin
// task, against the built worker and its static assets with a fresh D1. See tests/browser.mjs.
import assert from "node:assert/strict";
import { createSign, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe } from "node:test";
import { ADMIN_TOKEN, uniqueEmail } from "./harness.mjs";
import { axe, confirmDialog, hashOf, heading, openTab, shot, startConsole, tag, task, until } from "./browser.mjs";

let env;
let w;
before(async () => { env = await startConsole(); w = env.worker; });
after(async () => { await env?.close(); });

const focusedText = (page) => page.evaluate(() => document.activeElement?.textContent?.trim());

describe("admin console in Chromium", () => {
  task("signs in with a pasted token, keeps it in the tab, opens a shared link after sign-in, signs out", async ({ pages }) => {
    const c = await w.createCustomer({ name: "Shared Link", email: uniqueEmail("shared") });
    const page = await openTab(env, pages, { signIn: false, hash: `#/customers/${c.id}` });
    await heading(page, "Sign in to the admin console").waitFor();
    await page.getByLabel("API token").fill("wrong-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    assert.equal(await page.getByLabel("API token").isVisible(), true);
    await page.getByLabel("API token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading(page, "Shared Link").waitFor();
    assert.equal(await page.evaluate(() => Object.values(sessionStorage).includes("test-admin-token-0123456789")), true);
    await page.reload();
    await heading(page, "Shared Link").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await heading(page, "Sign in to the admin console").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.deepEqual(page.errors, []);
  }, { timeout: 90_000 });

  task("keeps the latest D1 bookmark and sends it with every request, so it reads its own writes", async ({ pages }) => {
    const page = await openTab(env, pages);
    await heading(page, "Customers").waitFor();
    const sent = [];
    page.on("request", (r) => { if (new URL(r.url()).pathname.startsWith("/v1/")) sent.push(r.headers()["x-d1-bookmark"]); });
    await page.reload();
    await heading(page, "Customers").waitFor();
    await until(() => sent.length > 0, "a request after the reload");
    const kept = await page.evaluate(() => sessionStorage.getItem("customers-admin-d1-bookmark"));
    assert.match(kept ?? "", /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
    assert.ok(sent.every((b) => /^[0-9a-f]{8}-/.test(b ?? "")), `every request carried a bookmark: ${sent}`);
    assert.deepEqual(page.errors, []);
  }, { timeout: 90_000 });

  task("searches, and the search, tab and sort live in the address (reload and Back keep them)", async ({ pages }) => {
    const t = tag();
    await w.createCustomer({ name: `Searchable ${t} One`, email: uniqueEmail("s1"), company: "Analytical Engines" });
    await w.createCustomer({ name: `Searchable ${t} Two`, email: uniqueEmail("s2") });
    await w.createCustomer({ name: "Someone Else", email: uniqueEmail("x") });
    const page = await openTab(env, pages);
    await heading(page, "Customers").waitFor();
    await page.getByRole("searchbox", { name: "Search customers" }).fill(`searchable ${t}`);
    await until(() => hashOf(page).includes(`q=searchable ${t}`), "q in the address");
    await page.getByRole("link", { name: `Searchable ${t} Two` }).waitFor();
    await until(async () => (await page.getByRole("link", { name: "Someone Else" }).count()) === 0, "others filtered out");
    await page.getByRole("button", { name: "Name" }).click();
    await until(() => hashOf(page).includes("sort=name"), "sort in the address");
    const table = page.getByRole("tabpanel");
    await until(async () => (await table.getByRole("row").nth(1).textContent()).includes(`Searchable ${t} One`), "sorted by name");
    await shot(page, "console-list");
    await page.reload();
    await page.getByRole("link", { name: `Searchable ${t} One` }).waitFor();
    assert.equal(await page.getByRole("searchbox", { name: "Search customers" }).inputValue(), `searchable ${t}`);
    assert.equal(await page.getByRole("columnheader", { name: "Name" }).getAttribute("aria-sort"), "ascending");
    await page.getByRole("tab", { name: "Deleted" }).click();
    await until(() => hashOf(page).includes("tab=deleted"), "tab in the address");
    await page.getByText("No customers match this view.").waitFor();
    await page.goBack();
    await page.getByRole("link", { name: `Searchable ${t} One` }).waitFor();
    assert.equal(await page.getByRole("tab", { name: "Active" }).getAttribute("aria-selected"), "true");
    assert.deepEqual(page.errors, []);
  });

  task("filter builder: Apply narrows the list and goes in the address, Clear removes it", async ({ pages }) => {
    const t = tag();
    await w.createCustomer({ name: `Filter ${t} A`, email: uniqueEmail("fa"), company: `Engines ${t}`, attributes: { plan: "pro" } });
    await w.createCustomer({ name: `Filter ${t} B`, email: uniqueEmail("fb"), company: "Other", attributes: { plan: "free" } });
    const page = await openTab(env, pages);
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
    await page.getByRole("button", { name: "Apply" }).click();
    await until(() => hashOf(page).includes('"field":"attributes.plan"'), "filter in the address");
    await until(async () => (await page.getByRole("tabpanel").getByRole("link").allTextContents()).join() === `Filter ${t} A`, "only the match listed");
    await page.reload();
    await page.getByRole("link", { name: `Filter ${t} A` }).waitFor();
    await page.getByRole("button", { name: "Filters (2)" }).click();
    assert.equal(await page.getByLabel("Value of condition 1").inputValue(), `engines ${t}`);
    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByRole("link", { name: `Filter ${t} B` }).waitFor();
    assert.ok(!hashOf(page).includes("f="));
    // A condition the API refuses shows its error next to that condition.
    await page.getByRole("button", { name: "Add condition" }).click();
    await page.getByLabel("Field of condition 1").selectOption("created_at");
    await page.getByLabel("Operator of condition 1").selectOption("gte");
    await page.getByRole("button", { name: "Apply" }).click();
    const value = page.getByLabel("Value of condition 1");
    await until(async () => (await value.getAttribute("aria-invalid")) === "true", "the value marked invalid");
  });

  task("opens a customer by keyboard alone; focus moves into the page and into dialogs, Escape closes them", async ({ pages }) => {
    const t = tag();
    await w.createCustomer({ name: `Keyboard ${t}`, email: uniqueEmail("kb") });
    const page = await openTab(env, pages, { hash: `#/customers?q=keyboard ${t}` });
    await page.getByRole("link", { name: `Keyboard ${t}` }).waitFor();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = (await focusedText(page)) === `Keyboard ${t}`;
    }
    assert.ok(reached, "the customer's link is reachable with Tab");
    // The focus ring is visible: at least 2 px and 3:1 against the page behind it (WCAG 1.4.11).
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return { width: parseFloat(s.outlineWidth), style: s.outlineStyle, color: s.outlineColor, bg: getComputedStyle(document.body).backgroundColor };
    });
    const lum = (rgb) => {
      const [r, g, b] = rgb.match(/\d+/g).slice(0, 3).map((v) => { const c = Number(v) / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [hi, lo] = [lum(ring.color), lum(ring.bg)].sort((a, b) => b - a);
    assert.ok(ring.style !== "none" && ring.width >= 2, JSON.stringify(ring));
    assert.ok((hi + 0.05) / (lo + 0.05) >= 3, `focus ring contrast ${((hi + 0.05) / (lo + 0.05)).toFixed(2)}:1`);
    await page.keyboard.press("Enter");
    await heading(page, `Keyboard ${t}`).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.tagName), "H1", "focus is on the customer page's heading");
    // Delete opens a confirmation dialog with focus inside; Escape closes it and nothing changes.
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      if ((await focusedText(page)) === "Delete") break;
    }
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: `Delete Keyboard ${t}?` });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => Boolean(document.activeElement.closest("dialog"))), true);
    assert.equal(await focusedText(page), "Cancel", "a destructive question starts on Cancel");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await until(async () => (await focusedText(page)) === "Delete", "focus back on the Delete button");
    assert.equal(await page.getByText("Deleted on").count(), 0);
    // "/" jumps to the list's search box.
    await page.goto(`${w.url}/admin#/customers`);
    await heading(page, "Customers").waitFor();
    await page.keyboard.press("/");
    await until(() => page.evaluate(() => document.activeElement.id === "q"), "focus in the search box");
  });

  task("creates a customer: each field error shows once, next to its field", async ({ pages }) => {
    const t = tag();
    const page = await openTab(env, pages);
    await page.getByRole("button", { name: "New customer" }).click();
    const dialog = page.getByRole("dialog", { name: "New customer" });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => Boolean(document.activeElement.closest("dialog"))), true);
    await dialog.getByLabel("Name").fill(`Created ${t}`);
    await dialog.getByLabel("Email").fill("not-an-email");
    await dialog.getByLabel("Phone").fill("x");
    await dialog.getByRole("button", { name: "Create customer" }).click();
    const email = dialog.getByLabel("Email");
    await until(async () => (await email.getAttribute("aria-invalid")) === "true", "email marked invalid");
    const describedBy = await email.getAttribute("aria-describedby");
    const message = await page.locator(`[id="${describedBy}"]`).textContent();
    assert.match(message, /valid email/i);
    assert.equal(await page.getByText(message).count(), 1, "the email error is shown once");
    assert.equal(await dialog.getByLabel("Phone").getAttribute("aria-invalid"), "true");
    await dialog.getByRole("alert").waitFor();
    await email.fill(`created-${t}@example.com`);
    await dialog.getByLabel("Phone").fill("+44 20 7946 0001");
    await dialog.getByRole("button", { name: "Create customer" }).click();
    await heading(page, `Created ${t}`).waitFor();
    assert.match(hashOf(page), /^#\/customers\/[0-9a-f-]{36}$/);
  });

  task("edits with a confirmation, and recovers from a change made in another tab (412)", async ({ pages }) => {
    const t = tag();
    const c = await w.createCustomer({ name: `Edited ${t}`, email: uniqueEmail("ed") });
    const a = await openTab(env, pages, { hash: `#/customers/${c.id}` });
    const b = await openTab(env, pages, { hash: `#/customers/${c.id}` });
    await heading(a, `Edited ${t}`).waitFor();
    await heading(b, `Edited ${t}`).waitFor();
    await a.getByRole("button", { name: "Edit" }).click();
    await a.getByLabel("Phone").fill("+1 202 555 0100");
    await b.getByRole("button", { name: "Edit" }).click();
    await b.getByLabel("Company").fill("Tab B Ltd");
    await b.getByRole("button", { name: "Save changes" }).click();
    const confirmB = b.getByRole("dialog", { name: "Save changes?" });
    await confirmB.getByText("Company").waitFor();
    await confirmDialog(b, "Save changes?", "Save changes");
    await b.getByText("Tab B Ltd").waitFor();
    // Tab A still holds version 1: its save is refused and it offers to recover.
    await a.getByRole("button", { name: "Save changes" }).click();
    await confirmDialog(a, "Save changes?", "Save changes");
    const alert = a.getByRole("alert").filter({ hasText: "Someone else changed this customer" });
    await alert.waitFor();
    await alert.getByText("They changed: Company").waitFor();
    await alert.getByRole("button", { name: "Save my changes over theirs" }).click();
    await confirmDialog(a, "Save changes?", "Save changes");
    await a.getByRole("heading", { name: "Details" }).waitFor();
    const now = (await w.get(`/v1/customers/${c.id}`)).body;
    assert.equal(now.phone, "+1 202 555 0100");
    assert.equal(now.company, "Tab B Ltd", "the other tab's change is kept");
    assert.equal(now.version, 3);
    // Cancelling the confirmation saves nothing.
    await a.getByRole("button", { name: "Edit" }).click();
    await a.getByLabel("Name").fill(`Not saved ${t}`);
    await a.getByRole("button", { name: "Save changes" }).click();
    await confirmDialog(a, "Save changes?", "Cancel");
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.version, 3);
  });

  task("deletes with confirmation, undoes, deletes again and restores", async ({ pages }) => {
    const t = tag();
    const c = await w.createCustomer({ name: `Deleted ${t}`, email: uniqueEmail("del") });
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}` });
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await confirmDialog(page, `Delete Deleted ${t}?`, "Delete");
    await page.getByText("Deleted on").waitFor();
    await page.getByRole("status").getByRole("button", { name: "Undo" }).click();
    await until(async () => (await page.getByText("Deleted on").count()) === 0, "undone");
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.deleted_at, null);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await confirmDialog(page, `Delete Deleted ${t}?`, "Delete");
    await page.getByRole("button", { name: "Restore" }).click();
    await until(async () => (await page.getByText("Deleted on").count()) === 0, "restored");
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.deleted_at, null);
  });

  task("permanent delete shows the counts it will remove", async ({ pages }) => {
    const email = uniqueEmail("perm");
    const c = await w.createCustomer({ name: "Permanent Person", email });
    await w.interact({ email, type: "form_submitted", resource_id: "form-1" });
    await w.interact({ email, type: "chat_started", resource_id: "room-1" });
    await w.createContact(c.id);
    const g = await w.createGroup();
    await w.addMembers(g.id, [c.id]);
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}` });
    await page.getByRole("button", { name: "Delete permanently" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete Permanent Person permanently?" });
    await dialog.waitFor();
    for (const text of ["1 customer", "2 interactions", "1 group membership", "1 contact"]) await dialog.getByText(text, { exact: true }).waitFor();
    await confirmDialog(page, "Delete Permanent Person permanently?", "Delete permanently");
    await heading(page, "Customers").waitFor();
    assert.equal((await w.get(`/v1/customers/${c.id}`)).status, 404);
  });

  task("bulk deletes the selected customers, with undo", async ({ pages }) => {
    const t = tag();
    const ids = [];
    for (const n of ["One", "Two", "Three"]) ids.push((await w.createCustomer({ name: `Bulk ${t} ${n}`, email: uniqueEmail("b") })).id);
    const page = await openTab(env, pages, { hash: `#/customers?q=bulk ${t}` });
    await page.getByRole("link", { name: `Bulk ${t} One` }).waitFor();
    await page.getByRole("checkbox", { name: `Select Bulk ${t} One` }).check();
    await page.getByRole("checkbox", { name: `Select Bulk ${t} Two` }).check();
    await page.getByRole("button", { name: "Delete selected", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Delete the selected customers?" });
    await dialog.getByText("2 customers will move to Deleted").waitFor();
    await confirmDialog(page, "Delete the selected customers?", "Delete");
    await until(async () => (await page.getByRole("tabpanel").getByRole("link").count()) === 1, "two rows gone");
    await page.getByRole("tab", { name: "Deleted" }).click();
    await page.getByRole("link", { name: `Bulk ${t} Two` }).waitFor();
    await page.getByRole("status").getByRole("button", { name: "Undo" }).click();
    await until(async () => (await w.get(`/v1/customers/${ids[1]}`)).body.deleted_at === null, "undo restored them");
  });

  task("redacts a customer after confirmation", async ({ pages }) => {
    const c = await w.createCustomer({ name: "Redact Me", email: uniqueEmail("red"), phone: "+44 20 7946 0000" });
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}` });
    await page.getByRole("button", { name: "Redact" }).click();
    const dialog = page.getByRole("dialog", { name: "Redact Redact Me?" });
    await dialog.getByText("cannot be undone").waitFor();
    await confirmDialog(page, "Redact Redact Me?", "Redact");
    await heading(page, "[redacted]").waitFor();
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.email, null);
  });

  task("groups: create one, add members by name, see names (not ids) everywhere", async ({ pages }) => {
    const t = tag();
    const c = await w.createCustomer({ name: `Member ${t}`, email: uniqueEmail("m") });
    const page = await openTab(env, pages);
    await page.getByRole("link", { name: "Groups" }).click();
    await heading(page, "Groups").waitFor();
    await page.getByLabel("Group name").fill(`VIP ${t}`);
    await page.getByLabel("Description").fill("Big accounts");
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("link", { name: `VIP ${t}` }).click();
    await heading(page, `VIP ${t}`).waitFor();
    await page.getByLabel("Find customers to add").fill(`member ${t}`);
    await page.getByRole("button", { name: `Add Member ${t}` }).click();
    await page.getByRole("region", { name: "Members" }).getByRole("link", { name: `Member ${t}` }).waitFor();
    await page.getByRole("heading", { name: "Members (1)" }).waitFor();
    await page.goto(`${w.url}/admin#/customers?q=member ${t}`);
    const row = page.getByRole("row").filter({ hasText: `Member ${t}` });
    await row.getByText(`VIP ${t}`).waitFor();
    assert.ok(!(await row.textContent()).includes((await w.get("/v1/groups")).body.data.find((g) => g.name === `VIP ${t}`).id));
    await page.goto(`${w.url}/admin#/customers/${c.id}/groups`);
    await page.getByRole("link", { name: `VIP ${t}` }).waitFor();
    await page.getByRole("button", { name: `Remove from VIP ${t}` }).click();
    await page.getByText("Not in any group.").waitFor();
  });

  task("contacts: add with a field error, edit with confirmation, remove", async ({ pages }) => {
    const c = await w.createCustomer({ name: "Org With Contacts", email: uniqueEmail("org") });
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}` });
    await page.getByRole("link", { name: "Contacts" }).click();
    await page.getByRole("heading", { name: "Contacts", level: 2 }).waitFor();
    await page.getByLabel("Contact email").fill("nope");
    await page.getByLabel("First name").fill("Charles");
    await page.getByRole("button", { name: "Add contact" }).click();
    await until(async () => (await page.getByLabel("Contact email").getAttribute("aria-invalid")) === "true", "email invalid");
    await page.getByLabel("Contact email").fill("charles@example.com");
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.getByRole("cell", { name: "charles@example.com", exact: true }).waitFor();
    await page.getByRole("button", { name: "Edit contact charles@example.com" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit contact charles@example.com" });
    await dialog.getByLabel("Last name").fill("Babbage");
    await dialog.getByRole("button", { name: "Save contact" }).click();
    await confirmDialog(page, "Save contact?", "Save changes");
    await page.getByRole("cell", { name: "Charles Babbage" }).waitFor();
    await page.getByRole("button", { name: "Remove contact charles@example.com" }).click();
    await confirmDialog(page, "Remove contact?", "Remove contact");
    await page.getByText("No contacts yet.").waitFor();
  });

  task("imports a CSV and shows the per-row report", async ({ pages }) => {
    const t = tag();
    const page = await openTab(env, pages);
    await page.getByRole("link", { name: "Import" }).click();
    await heading(page, "Import customers").waitFor();
    const csv = `name,email,phone,plan\nImported ${t} A,imp-a-${t}@example.com,+44 20 7946 0958,pro\nImported ${t} B,not-an-email,,free\n"Imported ${t}, C",imp-c-${t}@example.com,,free\n`;
    await page.getByLabel("CSV file").setInputFiles({ name: "customers.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByLabel("All or nothing: write no row if any row fails").uncheck();
    await page.getByRole("button", { name: "Import" }).click();
    const report = page.getByRole("region", { name: "Rows of the import" });
    await report.waitFor();
    await page.getByText("Created 2, updated 0, skipped 0, failed 1.").waitFor();
    const failed = report.getByRole("row").filter({ hasText: "failed" });
    assert.equal(await failed.count(), 1);
    assert.match(await failed.textContent(), /^3failed.*email/);
    assert.equal(await report.getByRole("link", { name: /^Open the customer of line/ }).count(), 2);
    await report.getByRole("link", { name: "Open the customer of line 2" }).waitFor();
    await shot(page, "console-import-report", { fullPage: true });
    // All or nothing (the default) writes no row when one fails, and says so.
    await page.getByLabel("All or nothing: write no row if any row fails").check();
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByRole("alert").getByText(/Nothing was written/).waitFor();
  });

  task("exports the current view as a CSV download", async ({ pages }) => {
    const t = tag();
    await w.createCustomer({ name: `Export ${t} A`, email: uniqueEmail("ea") });
    await w.createCustomer({ name: `Export ${t} B`, email: uniqueEmail("eb") });
    await w.createCustomer({ name: "Not Exported", email: uniqueEmail("ne") });
    const page = await openTab(env, pages, { hash: `#/customers?q=export ${t}` });
    await page.getByRole("link", { name: `Export ${t} A` }).waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    assert.match(download.suggestedFilename(), /^customers-.*\.csv$/);
    const text = readFileSync(await download.path(), "utf8");
    const lines = text.trim().split(/\r?\n/);
    // The columns the table shows.
    assert.equal(lines[0], "name,email,phone,company,kind,source,groups,created_at,last_seen_at");
    assert.equal(lines.length, 3, text);
    assert.ok(!text.includes("Not Exported"));
  });

  task("API keys: create (secret shown once), list without the secret, revoke", async ({ pages }) => {
    const t = tag();
    const page = await openTab(env, pages);
    await page.getByRole("link", { name: "API keys" }).click();
    await heading(page, "API keys").waitFor();
    await page.getByLabel("Key name").fill(`CRM sync ${t}`);
    await page.getByRole("checkbox", { name: "customers:export" }).check();
    await page.getByRole("button", { name: "Create key" }).click();
    const dialog = page.getByRole("dialog", { name: `Key “CRM sync ${t}” created` });
    await dialog.getByText("shown only this once").waitFor();
    const secret = await dialog.getByLabel("Secret").inputValue();
    assert.match(secret, /^cmk_[0-9a-f]{64}$/);
    assert.equal((await w.get("/v1/customers?limit=1", { token: secret })).status, 200);
    await dialog.getByRole("button", { name: "I have copied it" }).click();
    const row = page.getByRole("row").filter({ hasText: `CRM sync ${t}` });
    await row.getByText("customers:read, customers:export").waitFor();
    await row.getByRole("cell", { name: "admin-token" }).waitFor();
    assert.ok(!(await page.content()).includes(secret), "the secret is not shown again");
    await row.getByRole("button", { name: `Revoke CRM sync ${t}` }).click();
    await confirmDialog(page, `Revoke key CRM sync ${t}?`, "Revoke key");
    await row.getByText(/^Revoked/).waitFor();
    assert.equal((await w.get("/v1/customers?limit=1", { token: secret })).status, 401);
  });

  task("audit log: filter by action, entries link to their customer", async ({ pages }) => {
    const c = await w.createCustomer({ name: "Audited Person", email: uniqueEmail("aud") });
    await w.patch(`/v1/customers/${c.id}`, { company: "Audit Co" });
    const page = await openTab(env, pages);
    await page.getByRole("link", { name: "Audit log" }).click();
    await heading(page, "Audit log").waitFor();
    await page.getByLabel("Action").selectOption("customer.update");
    await page.getByLabel("Target id").fill(c.id);
    await page.getByRole("button", { name: "Apply" }).click();
    await until(() => hashOf(page).includes("action=customer.update"), "filters in the address");
    const table = page.getByRole("region", { name: "Audit entries" });
    await until(async () => (await table.getByRole("row").count()) === 2, "one entry left");
    await table.getByRole("cell", { name: "company", exact: true }).waitFor();
    await page.reload();
    await table.getByRole("cell", { name: "company", exact: true }).waitFor();
    assert.equal(await page.getByLabel("Action").inputValue(), "customer.update");
    await table.getByRole("link", { name: /customer/ }).click();
    await heading(page, "Audited Person").waitFor();
    await page.getByRole("link", { name: "Activity" }).click();
    await page.getByRole("cell", { name: "customer.create" }).waitFor();
  });

  task("admins: add with a role, change the role and disable (each confirmed), the last owner is protected, remove", async ({ pages }) => {
    const t = tag();
    const page = await openTab(env, pages);
    await page.getByRole("link", { name: "Admins" }).click();
    await heading(page, "Admins").waitFor();
    await page.getByLabel("Admin email").fill("not-an-email");
    await page.getByRole("button", { name: "Add admin" }).click();
    await until(async () => (await page.getByLabel("Admin email").getAttribute("aria-invalid")) === "true", "email marked invalid");
    await page.getByLabel("Admin email").fill(`grace-${t}@example.com`);
    await page.getByLabel("Role", { exact: true }).selectOption("editor");
    await page.getByRole("button", { name: "Add admin" }).click();
    const row = page.getByRole("row").filter({ hasText: `grace-${t}@example.com` });
    await row.waitFor();
    assert.equal(await row.getByLabel(`Role of grace-${t}@example.com`).inputValue(), "editor");
    await row.getByLabel(`Role of grace-${t}@example.com`).selectOption("owner");
    await confirmDialog(page, `Make grace-${t}@example.com owner?`, "Change role");
    await until(async () => (await w.get("/v1/admins")).body.data.find((a) => a.email === `grace-${t}@example.com`)?.role === "owner", "role saved");
    // Grace is the only owner: disabling her is refused, and the console says why.
    await row.getByRole("button", { name: `Disable grace-${t}@example.com` }).click();
    await confirmDialog(page, `Disable grace-${t}@example.com?`, "Disable");
    await page.getByRole("alert").getByText(/last enabled owner/).waitFor();
    await page.getByLabel("Admin email").fill(`ada-${t}@example.com`);
    await page.getByLabel("Role", { exact: true }).selectOption("owner");
    await page.getByRole("button", { name: "Add admin" }).click();
    await page.getByRole("row").filter({ hasText: `ada-${t}@example.com` }).waitFor();
    await row.getByRole("button", { name: `Disable grace-${t}@example.com` }).click();
    await confirmDialog(page, `Disable grace-${t}@example.com?`, "Disable");
    await row.getByRole("cell", { name: "Disabled", exact: true }).waitFor();
    await row.getByRole("button", { name: `Remove grace-${t}@example.com` }).click();
    await confirmDialog(page, `Remove grace-${t}@example.com?`, "Remove admin");
    await until(async () => (await page.getByRole("row").filter({ hasText: `grace-${t}@example.com` }).count()) === 0, "removed");
  });

  task("signs in with an API key: the navigation offers only what the key may do", async ({ pages }) => {
    const key = await w.createKey(["customers:read", "customers:export"], { name: "viewer key" });
    const page = await openTab(env, pages, { signIn: false });
    await page.getByLabel("API token").fill(key.secret);
    await page.getByRole("button", { name: "Sign in" }).click();
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Customers" }).waitFor();
    assert.deepEqual(await nav.getByRole("link").allTextContents(), ["Dashboard", "Customers", "Groups"]);
    await page.getByText(/Signed in as API key/).waitFor();
    // A viewer is offered what it may do: reading and exporting, no changes.
    await page.getByRole("button", { name: "Export CSV" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "New customer" }).count(), 0);
    const c = await w.createCustomer({ name: "Seen By Viewer", email: uniqueEmail("viewer") });
    await page.goto(`${w.url}/admin#/customers/${c.id}`);
    await heading(page, "Seen By Viewer").waitFor();
    await page.getByRole("heading", { name: "Details" }).waitFor();
    for (const name of ["Edit", "Delete", "Redact", "Delete permanently"]) {
      assert.equal(await page.getByRole("button", { name, exact: true }).count(), 0, name);
    }
  });

  task("signed in through Cloudflare Access: no token asked, the role decides the screens, sign-out goes through Access", async ({ pages }) => {
    const TEAM = "https://team.example";
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" };
    const access = await startConsole({
      vars: { ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: "console-aud", ADMIN_OWNERS: "owner@example.com" },
      outbound: (req) => (new URL(req.url).href === `${TEAM}/cdn-cgi/access/certs`
        ? new Response(JSON.stringify({ keys: [jwk] }), { headers: { "content-type": "application/json" } })
        : new Response("no such host here", { status: 502 })),
    });
    try {
      assert.equal((await access.worker.post("/v1/admins", { email: "editor@example.com", role: "editor" })).status, 201);
      const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      const head = `${b64({ alg: "RS256", kid: "k1", typ: "JWT" })}.${b64({ iss: TEAM, aud: ["console-aud"], exp: now + 600, nbf: now - 5, iat: now, email: "editor@example.com", sub: "e" })}`;
      const jwt = `${head}.${createSign("RSA-SHA256").update(head).sign(privateKey).toString("base64url")}`;
      const context = await access.browser.newContext();
      await context.addCookies([{ name: "CF_Authorization", value: jwt, url: access.worker.url }]);
      const page = await context.newPage();
      pages.push(page);
      await page.goto(`${access.worker.url}/admin`);
      await heading(page, "Dashboard").waitFor();
      await page.getByText("Signed in as editor@example.com (editor)").waitFor();
      const nav = page.getByRole("navigation", { name: "Main" });
      assert.deepEqual(await nav.getByRole("link").allTextContents(), ["Dashboard", "Customers", "Groups", "Import"]);
      assert.equal(await page.getByLabel("API token").count(), 0);
      assert.equal(await page.getByRole("link", { name: "Sign out" }).getAttribute("href"), "/cdn-cgi/access/logout");
      await nav.getByRole("link", { name: "Customers" }).click();
      await page.getByRole("button", { name: "New customer" }).click();
      const dialog = page.getByRole("dialog", { name: "New customer" });
      await dialog.getByLabel("Name").fill("Made By Editor");
      await dialog.getByRole("button", { name: "Create customer" }).click();
      await heading(page, "Made By Editor").waitFor();
      const audit = await access.worker.get("/v1/audit-log?action=customer.create");
      assert.equal(audit.body.data[0].actor, "admin:editor@example.com");
    } finally {
      await access.close();
    }
  }, { timeout: 90_000 });

  task("has no serious or critical axe-core violations on each screen", async ({ pages }) => {
    const c = await w.createCustomer({ name: "Axe Checked", email: uniqueEmail("axe"), company: "A11y Ltd" });
    const deleted = await w.createCustomer({ name: "Axe Deleted", email: uniqueEmail("axd") });
    await w.delete(`/v1/customers/${deleted.id}`);
    const signIn = await openTab(env, pages, { signIn: false });
    await heading(signIn, "Sign in to the admin console").waitFor();
    const found = { signin: await axe(signIn) };
    const page = await openTab(env, pages, { hash: "#/customers?tab=all" });
    await page.getByRole("link", { name: "Axe Deleted" }).waitFor();
    found.list = await axe(page);
    await page.getByRole("button", { name: "Filters" }).click();
    await page.getByRole("button", { name: "Add condition" }).click();
    await page.getByRole("checkbox", { name: "Select Axe Checked" }).check();
    found.filtersAndBulk = await axe(page);
    await page.getByRole("button", { name: "New customer" }).click();
    await page.getByRole("dialog", { name: "New customer" }).waitFor();
    found.createDialog = await axe(page);
    await page.keyboard.press("Escape");
    for (const [name, hash, ready] of [
      ["customer", `#/customers/${c.id}`, "Axe Checked"], ["contacts", `#/customers/${c.id}/contacts`, "Axe Checked"],
      ["groups", "#/groups", "Groups"], ["import", "#/import", "Import customers"], ["keys", "#/keys", "API keys"], ["audit", "#/audit", "Audit log"],
      ["admins", "#/admins", "Admins"],
    ]) {
      await page.goto(`${w.url}/admin${hash}`);
      await heading(page, ready).waitFor();
      await page.waitForLoadState("networkidle");
      found[name] = await axe(page);
    }
    await page.goto(`${w.url}/admin#/customers/${c.id}`);
    await heading(page, "Axe Checked").waitFor();
    await shot(page, "console-customer", { fullPage: true });
    const bad = Object.entries(found).flatMap(([screen, vs]) => vs.map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join("; ")}`));
    assert.deepEqual(bad, []);
  }, { timeout: 120_000 });

  task("works at 375 px wide: no sideways scrolling of the page, a customer opens and edits", async ({ pages }) => {
    const c = await w.createCustomer({ name: "Narrow Screen", email: uniqueEmail("narrow"), company: "Mobile Ltd" });
    const page = await openTab(env, pages, { width: 375, height: 740, hash: "#/customers?q=narrow screen" });
    await page.getByRole("link", { name: "Narrow Screen" }).waitFor();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok((await overflow()) <= 0, `the list page scrolls sideways by ${await overflow()} px`);
    await page.getByRole("link", { name: "Narrow Screen" }).click();
    await heading(page, "Narrow Screen").waitFor();
    assert.ok((await overflow()) <= 0, "the customer page scrolls sideways");
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Company").fill("Mobile Two Ltd");
    await page.getByRole("button", { name: "Save changes" }).click();
    await confirmDialog(page, "Save changes?", "Save changes");
    await page.getByText("Mobile Two Ltd").waitFor();
    const small = await page.evaluate(() => [...document.querySelectorAll("button, a, input, select")]
      .filter((e) => e.offsetParent && !e.closest(".sr-only"))
      .map((e) => { const r = e.getBoundingClientRect(); return { t: e.textContent.trim() || e.getAttribute("aria-label") || e.id, w: r.width, h: r.height, inline: e.tagName === "A" && getComputedStyle(e).display === "inline" }; })
      .filter((r) => !r.inline && (r.w < 24 || r.h < 24)));
    assert.deepEqual(small, [], "every control is at least 24 px");
    await shot(page, "console-customer-375", { fullPage: true });
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.company, "Mobile Two Ltd");
  });

  task("the list marks when it is interactive (a fresh tab, nothing cached)", async ({ pages }) => {
    for (let i = 0; i < 30; i++) await w.createCustomer({ name: `Speed ${i}`, email: uniqueEmail("speed") });
    const times = [];
    for (let i = 0; i < 5; i++) {
      const context = await env.browser.newContext();
      const page = await context.newPage();
      pages.push(page);
      await page.addInitScript((token) => sessionStorage.setItem("customers-admin-token", token), ADMIN_TOKEN);
      await page.goto(`${w.url}/admin#/customers`, { waitUntil: "commit" });
      await page.getByRole("tabpanel").getByRole("link").first().waitFor();
      // The console marks the moment its first rows are painted with their handlers attached.
      times.push(await page.evaluate(() => performance.getEntriesByName("list-interactive")[0].startTime));
    }
    const median = [...times].sort((a, b) => a - b)[2];
    console.log(`[console] list interactive after ${times.map((x) => x.toFixed(0)).join(", ")} ms (median ${median.toFixed(0)} ms, Miniflare)`);
    // The mark is there for every fresh tab; how soon it comes is measured by
    // `node scripts/console-metrics.mjs` against the dev server (docs/console.md), not asserted
    // here, where the machine's load decides it.
    assert.ok(times.every((t) => Number.isFinite(t) && t > 0), times.join(", "));
  });
});
