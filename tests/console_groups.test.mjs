// The admin console's groups as ThingsBoard has them, in Chromium (see tests/browser.mjs): the
// built-in All, groups picked when a customer is created, and an import that creates the
// groups its file names. One test per admin task, found by role and label.
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { uniqueEmail } from "./harness.mjs";
import { axe, heading, openTab, startConsole, tag, task, until } from "./browser.mjs";

let env;
let w;
before(async () => { env = await startConsole(); w = env.worker; });
after(async () => { await env?.close(); });


describe("groups in the admin console", () => {
  task("the groups screen lists All first, marked built-in, and its page offers no rename, delete or member controls", async ({ pages }) => {
    const t = tag();
    const live = await w.createCustomer({ name: `Everyone ${t}`, email: uniqueEmail("everyone") });
    const own = await w.createGroup({ name: `Own group ${t}` });
    const page = await openTab(env, pages);
    await page.getByRole("link", { name: "Groups" }).click();
    await heading(page, "Groups").waitFor();
    const table = page.getByRole("region", { name: "Groups" });
    const firstRow = table.getByRole("row").nth(1);
    await firstRow.getByRole("link", { name: "All", exact: true }).waitFor();
    assert.match(await firstRow.textContent(), /Built-in/);
    assert.equal(await table.getByText("Built-in", { exact: true }).count(), 1, "only All is built-in");
    const total = (await w.get("/v1/groups/all")).body.member_count;
    assert.equal(await firstRow.getByRole("cell").nth(2).textContent(), String(total));

    await firstRow.getByRole("link", { name: "All", exact: true }).click();
    await heading(page, "All").waitFor();
    await page.getByRole("region", { name: "Members" }).getByRole("link", { name: `Everyone ${t}` }).waitFor();
    await page.getByText(/Every customer that is not deleted is in All/).waitFor();
    for (const name of ["Rename or describe", "Delete group"]) assert.equal(await page.getByRole("button", { name }).count(), 0, name);
    assert.equal(await page.getByRole("button", { name: /from the group$/ }).count(), 0, "no remove-member buttons");
    assert.equal(await page.getByLabel("Find customers to add").count(), 0, "no add-member search");
    assert.equal(page.url().endsWith("#/groups/all"), true);

    // A stored group keeps its controls.
    await page.goto(`${w.url}/admin#/groups/${own.id}`);
    await heading(page, own.name).waitFor();
    await page.getByRole("button", { name: "Rename or describe" }).waitFor();
    await page.getByLabel("Find customers to add").waitFor();

    // Nowhere does the console offer to put a customer in All.
    await page.goto(`${w.url}/admin#/customers/${live.id}/groups`);
    const addTo = page.getByLabel("Add to group");
    await addTo.waitFor();
    await until(async () => (await addTo.locator("option").allTextContents()).includes(own.name), "the stored group offered");
    assert.ok(!(await addTo.locator("option").allTextContents()).includes("All"));
    assert.deepEqual(page.errors, []);
  });

  task("creates a customer in the groups ticked in the form", async ({ pages }) => {
    const t = tag();
    const vip = await w.createGroup({ name: `VIP ${t}` });
    const partners = await w.createGroup({ name: `Partners ${t}` });
    await w.createGroup({ name: `Unticked ${t}` });
    const page = await openTab(env, pages);
    await page.getByRole("button", { name: "New customer" }).click();
    const dialog = page.getByRole("dialog", { name: "New customer" });
    await dialog.waitFor();
    const picker = dialog.getByRole("group", { name: "Groups" });
    await picker.getByLabel(`VIP ${t}`).waitFor();
    assert.equal(await picker.getByLabel("All", { exact: true }).count(), 0, "All is not offered");
    await dialog.getByLabel("Name").fill(`Grouped ${t}`);
    await picker.getByLabel(`VIP ${t}`).check();
    await picker.getByLabel(`Partners ${t}`).check();
    await dialog.getByRole("button", { name: "Create customer" }).click();
    await heading(page, `Grouped ${t}`).waitFor();
    const id = new URL(page.url()).hash.split("/")[2];
    const created = (await w.get(`/v1/customers/${id}`)).body;
    assert.deepEqual(created.group_ids, [vip.id, partners.id].sort());
    await page.goto(`${w.url}/admin#/customers/${id}/groups`);
    await page.getByRole("heading", { name: "Groups", level: 2 }).waitFor();
    await page.getByRole("link", { name: `VIP ${t}` }).waitFor();
    await page.getByRole("link", { name: `Partners ${t}` }).waitFor();
    assert.deepEqual(page.errors, []);
  });

  task("shows a group the API no longer has as an error under the group list", async ({ pages }) => {
    const t = tag();
    const doomed = await w.createGroup({ name: `Doomed ${t}` });
    const page = await openTab(env, pages);
    await page.getByRole("button", { name: "New customer" }).click();
    const dialog = page.getByRole("dialog", { name: "New customer" });
    const picker = dialog.getByRole("group", { name: "Groups" });
    await picker.getByLabel(`Doomed ${t}`).check();
    await w.delete(`/v1/groups/${doomed.id}`);
    await dialog.getByLabel("Name").fill(`Orphan ${t}`);
    await dialog.getByRole("button", { name: "Create customer" }).click();
    await picker.getByText(/no group has the id/).waitFor();
    assert.ok((await picker.getAttribute("aria-describedby"))?.length > 0, "the message describes the group list");
    assert.deepEqual((await w.get(`/v1/customers?q=${encodeURIComponent(`orphan ${t}`)}`)).body.data, [], "nothing was created");
  });

  task("imports a file naming a new group: the row fails until Create missing groups is ticked", async ({ pages }) => {
    const t = tag();
    const email = uniqueEmail("imp-group");
    const page = await openTab(env, pages);
    await page.getByRole("link", { name: "Import" }).click();
    await heading(page, "Import customers").waitFor();
    const csv = `name,email,groups\nImported ${t},${email},New group ${t}\n`;
    await page.getByLabel("CSV file").setInputFiles({ name: "grouped.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    const create = page.getByLabel("Create missing groups");
    assert.equal(await create.isChecked(), false);
    await page.getByRole("button", { name: "Import" }).click();
    const report = page.getByRole("region", { name: "Rows of the import" });
    await report.waitFor();
    await page.getByRole("alert").getByText(/Nothing was written/).waitFor();
    assert.match(await report.getByRole("row").filter({ hasText: "failed" }).textContent(), /groups.*New group/);

    await create.check();
    await page.getByLabel("Dry run: check the file, write nothing").check();
    await page.getByRole("button", { name: "Check file" }).click();
    await page.getByText(`Groups it would create: New group ${t}.`).waitFor();
    assert.equal((await w.get("/v1/groups?limit=100")).body.data.some((g) => g.name === `New group ${t}`), false);

    await page.getByLabel("Dry run: check the file, write nothing").uncheck();
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("Created 1, updated 0, skipped 0, failed 0.").waitFor();
    await page.getByText(`Groups created: New group ${t}.`).waitFor();
    const group = (await w.get("/v1/groups?limit=100")).body.data.find((g) => g.name === `New group ${t}`);
    assert.ok(group, "the group exists");
    assert.deepEqual((await w.customersByEmail(email))[0].group_ids, [group.id]);
    await page.getByRole("link", { name: "Groups" }).click();
    await page.getByRole("link", { name: `New group ${t}` }).waitFor();
    assert.deepEqual(page.errors, []);
  });

  task("an editor without groups:manage is not offered Create missing groups", async ({ pages }) => {
    const key = await w.createKey(["customers:read", "customers:import"]);
    const page = await openTab(env, pages, { signIn: false, hash: "#/import" });
    await page.getByLabel("API token").fill(key.secret);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading(page, "Import customers").waitFor();
    await page.getByLabel("All or nothing: write no row if any row fails").waitFor();
    assert.equal(await page.getByLabel("Create missing groups").count(), 0);
  });

  task("the groups screens and the create form with groups have no serious axe-core violations", async ({ pages }) => {
    await w.createGroup({ name: `Axe group ${tag()}` });
    await w.createCustomer({ name: "Axe member", email: uniqueEmail("axe-member") });
    const page = await openTab(env, pages, { hash: "#/groups" });
    await heading(page, "Groups").waitFor();
    await page.getByRole("link", { name: "All", exact: true }).waitFor();
    const found = { groups: await axe(page) };
    await page.goto(`${w.url}/admin#/groups/all`);
    await heading(page, "All").waitFor();
    await page.waitForLoadState("networkidle");
    found.all = await axe(page);
    await page.goto(`${w.url}/admin#/customers`);
    await page.getByRole("button", { name: "New customer" }).click();
    await page.getByRole("dialog", { name: "New customer" }).getByRole("group", { name: "Groups" }).waitFor();
    found.createDialog = await axe(page);
    await page.keyboard.press("Escape");
    await page.goto(`${w.url}/admin#/import`);
    await page.getByLabel("Create missing groups").waitFor();
    found.import = await axe(page);
    const bad = Object.entries(found).flatMap(([screen, vs]) => vs.map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help}`));
    assert.deepEqual(bad, []);
  }, { timeout: 90_000 });
});
