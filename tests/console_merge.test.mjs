// The console's visitors and merging in a real browser (Chromium through playwright-core), one
// test per admin task, found by role and label as a person finds them. See tests/browser.mjs;
// the API itself is covered by tests/merge.test.mjs.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { uniqueEmail } from "./harness.mjs";
import { axe, hashOf, heading, openTab, SCREENSHOTS, startConsole, task, until } from "./browser.mjs";

let env;
let w;
before(async () => { env = await startConsole(); w = env.worker; mkdirSync(SCREENSHOTS, { recursive: true }); });
after(async () => { await env?.close(); });

const tag = () => Math.random().toString(36).slice(2, 8).padEnd(6, "x");
const customer = (name, extra = {}) => w.createCustomer({ name, email: uniqueEmail("merge"), ...extra });
const fetched = async (id) => (await w.get(`/v1/customers/${id}`)).body;
const chat = (extra) => w.interact({ type: "chat_started", resource_id: "room-1", ...extra });
const dupList = (page) => page.getByRole("list", { name: /^Possible duplicates/ });
const linkNames = async (scope) => (await scope.getByRole("link").allTextContents()).map((s) => s.trim()).sort();
const spaced = (s) => s.replace(/\s+/g, " ").trim();
const mergeButton = (page, c) => page.getByRole("button", { name: `Merge into this customer: ${spaced(c.name)} (${c.email})` });
const fourDigits = () => String(1000 + Math.floor(Math.random() * 9000));

describe("visitors and merging in the console", () => {
  task("lists registered customers and visitors under their own tabs, kept in the address; an anonymous visitor's placeholder is set apart", async ({ pages }) => {
    const t = tag();
    const vid = `${t}anon01`;
    assert.equal((await chat({ visitor_id: vid })).status, 201);
    assert.equal((await chat({ visitor_id: `${t}named1`, name: `Tabbed ${t} Chatter` })).status, 201);
    await customer(`Tabbed ${t} Registered`);
    const placeholder = `Visitor ${vid.slice(0, 8)}`;
    const page = await openTab(env, pages, { hash: `#/customers?q=${t}` });
    const table = page.getByRole("tabpanel");
    await until(async () => (await linkNames(table)).length === 3, "all three listed under Active");

    await page.getByRole("tab", { name: "Visitors" }).click();
    await until(() => hashOf(page).includes("tab=visitors"), "the tab in the address");
    await until(async () => (await linkNames(table)).join() === [`${placeholder} (anonymous)`, `Tabbed ${t} Chatter`].sort().join(), "only the visitors");
    // The placeholder is no real name: set apart on screen, and said to be anonymous.
    const anon = table.getByRole("link", { name: `${placeholder} (anonymous)` });
    assert.equal(await anon.locator(".anon").textContent(), placeholder);
    assert.equal(await page.getByRole("tab", { name: "Visitors" }).getAttribute("aria-selected"), "true");

    // By keyboard: the arrow key moves to the Registered tab and selects it.
    await page.getByRole("tab", { name: "Visitors" }).focus();
    await page.keyboard.press("ArrowLeft");
    await until(() => hashOf(page).includes("tab=registered"), "Registered in the address");
    await until(async () => (await linkNames(table)).join() === `Tabbed ${t} Registered`, "only the registered customer");
    await page.reload();
    await table.getByRole("link", { name: `Tabbed ${t} Registered` }).waitFor();
    assert.equal(await page.getByRole("tab", { name: "Registered" }).getAttribute("aria-selected"), "true");
    assert.equal((await linkNames(table)).length, 1);
    await page.goBack();
    await until(async () => (await page.getByRole("tab", { name: "Visitors" }).getAttribute("aria-selected")) === "true", "Back returns to Visitors");
    await table.getByRole("link", { name: `Tabbed ${t} Chatter` }).waitFor();

    // The visitor's own page names the placeholder as such too.
    await anon.click();
    await heading(page, `${placeholder} (anonymous)`).waitFor();
    await page.getByText("(a placeholder: this visitor has not given a name yet)").waitFor();
    assert.deepEqual(page.errors, []);
  });

  task("shows possible duplicates by name, phone digits and email before the @, and says the rule", async ({ pages }) => {
    const t = tag();
    const digits = fourDigits();
    const me = await customer(`Dup ${t} Person`, { phone: `+1 555 ${digits}`, email: `dup${t}@example.com` });
    const sameName = await customer(`  DUP ${t}   PERSON`);
    const samePhone = await customer(`Phone ${t} Twin`, { phone: `(+1) 555-${digits}` });
    const sameLocal = await customer(`Mail ${t} Twin`, { email: `Dup${t}@other.example` });
    await customer(`Dup ${t} Persona`, { phone: `+1 555 ${digits}9` });
    const gone = await customer(`Dup ${t} Person`);
    await w.delete(`/v1/customers/${gone.id}`);

    const page = await openTab(env, pages, { hash: `#/customers/${me.id}` });
    await heading(page, `Dup ${t} Person`).waitFor();
    await page.getByRole("heading", { name: "Possible duplicates (3)" }).waitFor();
    await page.getByText("Live customers with the same name (ignoring case, accents and spaces), the same phone number (digits only) or the same email before the @.").waitFor();
    const list = dupList(page);
    assert.deepEqual(await linkNames(list), [sameName.name, samePhone.name, sameLocal.name].map((n) => n.trim()).sort());
    assert.match(sameName.name, new RegExp(`DUP ${t} {3}PERSON`), "stored spaced differently");
    const item = (c) => list.getByRole("listitem").filter({ has: page.getByRole("link", { name: spaced(c.name), exact: true }) });
    await item(sameName).getByText("same name").waitFor();
    await item(samePhone).getByText("same phone").waitFor();
    await item(sameLocal).getByText("same email before the @").waitFor();
    await mergeButton(page, sameName).waitFor();
    await list.getByRole("checkbox", { name: `Select ${sameLocal.name} (${sameLocal.email})` }).waitFor();
    assert.deepEqual(page.errors, []);
  });

  task("merges a duplicate from the customer page after the dry run's counts, and the merged customer's page says where it went", async ({ pages }) => {
    const t = tag();
    const email = uniqueEmail("src");
    await w.interact({ type: "form_submitted", resource_id: `form-${t}`, email, name: `Merge ${t} Person` });
    await w.interact({ type: "meeting_booked", resource_id: `meet-${t}`, email });
    const sourceId = await w.customerIdByEmail(email);
    await w.createContact(sourceId);
    const group = await w.createGroup();
    assert.equal((await w.addMembers(group.id, [sourceId])).status, 200);
    const target = await customer(`Merge ${t} Person`, { company: "Kept Ltd" });
    const source = await fetched(sourceId);

    const page = await openTab(env, pages, { hash: `#/customers/${target.id}` });
    await page.getByRole("heading", { name: "Possible duplicates (1)" }).waitFor();
    await mergeButton(page, source).click();
    const dialog = page.getByRole("dialog", { name: `Merge into Merge ${t} Person` });
    await dialog.getByText(`2 interactions, 1 contact, 1 group membership and 0 sub-customers will move to Merge ${t} Person`).waitFor();
    await dialog.getByText(`Merge ${t} Person (${email}) will be deleted and point here.`).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Cancel", "the question starts on Cancel");
    assert.equal((await fetched(sourceId)).deleted_at, null, "the dry run changed nothing");
    await dialog.getByRole("button", { name: "Merge", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("status").getByText(`Merged Merge ${t} Person into Merge ${t} Person.`).waitFor();
    // The page shows the merged customer: the group the source was in, and no duplicate left.
    await page.getByText("No possible duplicates found.").waitFor();
    await page.locator(".details").getByText(group.name).waitFor();
    const src = await fetched(sourceId);
    assert.equal(src.merged_into, target.id);
    assert.ok(src.deleted_at);
    assert.equal((await w.get(`/v1/customers/${target.id}/interactions`)).body.data.length, 2);
    await page.getByRole("link", { name: "Interactions" }).click();
    await page.getByRole("region", { name: "Interactions" }).getByRole("row").nth(2).waitFor();

    await page.goto(`${w.url}/admin#/customers/${sourceId}`);
    await heading(page, `Merge ${t} Person`).waitFor();
    const notice = page.getByRole("status").filter({ hasText: "Merged into" });
    await notice.getByText("Its interactions, contacts, groups and sub-customers are there now").waitFor();
    assert.equal(await page.getByRole("button", { name: "Restore" }).count(), 0, "an empty record is not offered back");
    await notice.getByRole("link", { name: `Merge ${t} Person` }).click();
    await heading(page, `Merge ${t} Person`).waitFor();
    assert.ok(hashOf(page).endsWith(target.id));
    await page.getByText("Kept Ltd").waitFor();
    assert.deepEqual(page.errors, []);
  });

  task("a merge refused for the own company explains itself and leads the other way round", async ({ pages }) => {
    const t = tag();
    const own = await customer(`Own ${t} Co`);
    const other = await customer(`Own ${t} Co`);
    assert.equal((await w.call("PUT", "/v1/own-company", { json: { customer_id: own.id } })).status, 200);
    try {
      const page = await openTab(env, pages, { hash: `#/customers/${other.id}` });
      await page.getByRole("heading", { name: "Possible duplicates (1)" }).waitFor();
      await dupList(page).getByText("Own company").waitFor();
      await mergeButton(page, own).click();
      const dialog = page.getByRole("dialog", { name: `Merge into Own ${t} Co` });
      const alert = dialog.getByRole("alert");
      await alert.getByText(`Own ${t} Co is your own company`).waitFor();
      await alert.getByText(/your own company can only be the one kept/).waitFor();
      assert.equal(await dialog.getByRole("button", { name: "Merge", exact: true }).isDisabled(), true);
      await alert.getByRole("link", { name: `open Own ${t} Co` }).click();
      await dialog.waitFor({ state: "detached" });
      await until(() => hashOf(page).endsWith(own.id), "the own company's page");
      // The other way round works: the duplicate merges into the own company.
      await page.getByRole("heading", { name: "Possible duplicates (1)" }).waitFor();
      await mergeButton(page, other).click();
      const back = page.getByRole("dialog", { name: `Merge into Own ${t} Co` });
      await back.getByText(/will move to Own .* Co/).waitFor();
      await back.getByRole("button", { name: "Merge", exact: true }).click();
      await back.waitFor({ state: "detached" });
      await page.getByText("No possible duplicates found.").waitFor();
      assert.equal((await fetched(other.id)).merged_into, own.id);
      assert.equal((await fetched(own.id)).deleted_at, null);
      assert.deepEqual(page.errors, []);
    } finally {
      await w.call("DELETE", "/v1/own-company");
    }
  });

  task("merges customers selected in the list, keeping the one chosen; a deleted one is refused by name", async ({ pages }) => {
    const t = tag();
    const alpha = await customer(`Bulk ${t} Alpha`);
    const beta = await customer(`Bulk ${t} Beta`);
    const gamma = await customer(`Bulk ${t} Gamma`);
    const gone = await customer(`Bulk ${t} Gone`);
    await w.delete(`/v1/customers/${gone.id}`);
    const page = await openTab(env, pages, { hash: `#/customers?q=bulk ${t}` });
    const table = page.getByRole("tabpanel");
    await table.getByRole("link", { name: `Bulk ${t} Gamma` }).waitFor();
    await page.getByRole("checkbox", { name: `Select Bulk ${t} Alpha` }).check();
    const bar = page.getByRole("region", { name: "Bulk actions" });
    await bar.waitFor();
    assert.equal(await bar.getByRole("button", { name: "Merge…" }).count(), 0, "one customer is nothing to merge");
    await page.getByRole("checkbox", { name: `Select Bulk ${t} Beta` }).check();
    await bar.getByRole("button", { name: "Merge…" }).click();
    const dialog = page.getByRole("dialog", { name: "Merge 2 customers" });
    const keep = dialog.getByRole("group", { name: "Keep which customer?" });
    assert.equal(await keep.getByRole("radio", { name: new RegExp(`Bulk ${t} Alpha`) }).isChecked(), true, "the oldest is kept by default");
    await dialog.getByText(`will move to Bulk ${t} Alpha; Bulk ${t} Beta (${beta.email}) will be deleted and point to Bulk ${t} Alpha.`).waitFor();
    await keep.getByRole("radio", { name: new RegExp(`Bulk ${t} Beta`) }).check();
    await dialog.getByText(`will move to Bulk ${t} Beta; Bulk ${t} Alpha (${alpha.email}) will be deleted and point to Bulk ${t} Beta.`).waitFor();
    await dialog.getByRole("button", { name: "Merge", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("status").getByText(`Merged Bulk ${t} Alpha into Bulk ${t} Beta.`).waitFor();
    await until(async () => (await linkNames(table)).join() === [`Bulk ${t} Beta`, `Bulk ${t} Gamma`].join(), "the merged customer gone from the list");
    assert.equal((await fetched(alpha.id)).merged_into, beta.id);
    await page.getByRole("tab", { name: "Deleted" }).click();
    await table.getByRole("row").filter({ hasText: `Bulk ${t} Alpha` }).getByText("Merged", { exact: true }).waitFor();

    // Under All, a deleted customer can be selected; the merge names it and says why not.
    await page.getByRole("tab", { name: "All" }).click();
    await table.getByRole("link", { name: `Bulk ${t} Gone` }).waitFor();
    await page.getByRole("checkbox", { name: `Select Bulk ${t} Gone` }).check();
    await page.getByRole("checkbox", { name: `Select Bulk ${t} Gamma` }).check();
    await bar.getByRole("button", { name: "Merge…" }).click();
    await dialog.getByRole("radio", { name: new RegExp(`Bulk ${t} Gamma`) }).waitFor();
    assert.equal(await dialog.getByRole("radio", { name: new RegExp(`Bulk ${t} Gamma`) }).isChecked(), true, "a live one is kept by default");
    await dialog.getByRole("alert").getByText(`Bulk ${t} Gone (${gone.email}): a deleted customer cannot be merged; restore it first`).waitFor();
    assert.equal(await dialog.getByRole("button", { name: "Merge", exact: true }).isDisabled(), true);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    assert.equal((await fetched(gamma.id)).deleted_at, null);
    assert.deepEqual(page.errors, []);
  });

  task("has no serious or critical axe-core violations on the new screens, and fits 375 px", async ({ pages }) => {
    const t = tag();
    await chat({ visitor_id: `${t}axe001` });
    const a = await customer(`Axe ${t} Merge`, { phone: "+44 20 7946 0999" });
    const b = await customer(`Axe ${t} Merge`, { phone: "+44 (20) 7946-0999" });
    const merged = await customer(`Axe ${t} Gone`);
    assert.equal((await w.post(`/v1/customers/${a.id}/merge`, { source_ids: [merged.id] })).status, 200);
    const found = {};
    const page = await openTab(env, pages, { hash: `#/customers?tab=visitors&q=${t}` });
    await page.getByRole("tabpanel").getByRole("link", { name: /anonymous/ }).waitFor();
    found.visitorsTab = await axe(page);
    await page.goto(`${w.url}/admin#/customers/${a.id}`);
    await page.getByRole("heading", { name: "Possible duplicates (1)" }).waitFor();
    await page.waitForLoadState("networkidle");
    found.duplicates = await axe(page);
    await page.screenshot({ path: join(SCREENSHOTS, "console-merge-duplicates.png"), fullPage: true });
    await mergeButton(page, b).click();
    await page.getByRole("dialog").getByText(/will move to/).waitFor();
    found.mergeDialog = await axe(page);
    await page.keyboard.press("Escape");
    await page.goto(`${w.url}/admin#/customers/${merged.id}`);
    await page.getByRole("status").filter({ hasText: "Merged into" }).getByRole("link").waitFor();
    found.mergedPage = await axe(page);
    await page.goto(`${w.url}/admin#/customers?q=axe ${t} merge`);
    await page.getByRole("checkbox", { name: `Select Axe ${t} Merge` }).first().check();
    await page.getByRole("checkbox", { name: `Select Axe ${t} Merge` }).nth(1).check();
    await page.getByRole("button", { name: "Merge…" }).click();
    await page.getByRole("dialog", { name: "Merge 2 customers" }).getByText(/will move to/).waitFor();
    found.bulkMerge = await axe(page);
    await page.screenshot({ path: join(SCREENSHOTS, "console-merge-bulk.png") });
    const bad = Object.entries(found).flatMap(([screen, vs]) => vs.map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join("; ")}`));
    assert.deepEqual(bad, []);

    const narrow = await openTab(env, pages, { width: 375, height: 740, hash: `#/customers?tab=visitors&q=${t}` });
    const overflow = () => narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await narrow.getByRole("tabpanel").getByRole("link", { name: /anonymous/ }).waitFor();
    assert.ok((await overflow()) <= 0, `the list with its five tabs scrolls sideways by ${await overflow()} px`);
    await narrow.goto(`${w.url}/admin#/customers/${a.id}`);
    await narrow.getByRole("heading", { name: "Possible duplicates (1)" }).waitFor();
    assert.ok((await overflow()) <= 0, `the customer page scrolls sideways by ${await overflow()} px`);
    await mergeButton(narrow, b).click();
    await narrow.getByRole("dialog").getByText(/will move to/).waitFor();
    assert.ok((await overflow()) <= 0, `the merge dialog scrolls sideways by ${await overflow()} px`);
    await narrow.screenshot({ path: join(SCREENSHOTS, "console-merge-375.png"), fullPage: true });
    assert.deepEqual([...page.errors, ...narrow.errors], []);
  }, { timeout: 120_000 });
});
