// The admin console's customer users (a customer's contacts) in Chromium: each shows its status,
// "Create activation link" shows the link once with a copy button and its expiry, disable and
// enable. One test per admin task, found by role and label as a person would (tests/browser.mjs).
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { uniqueEmail } from "./harness.mjs";
import { axe, confirmDialog, openTab, startConsole, task, until } from "./browser.mjs";

const BASE = "https://portal.example/activate#token=";

let env;
let w;
before(async () => { env = await startConsole({ vars: { ACTIVATION_URL_BASE: BASE } }); w = env.worker; });
after(async () => { await env?.close(); });

const rowOf = (page, email) => page.getByRole("row").filter({ hasText: email });
const statusOf = (page, email, status) => rowOf(page, email).getByText(status, { exact: true });
// Activates a contact through the API as the person would, from a fresh link.
async function activateByApi(customerId, contactId) {
  const link = await w.post(`/v1/customers/${customerId}/contacts/${contactId}/activation-link`);
  assert.equal(link.status, 201, link.text);
  const res = await w.call("POST", "/v1/public/contacts/activate", { token: null, json: { token: link.body.url.slice(BASE.length) } });
  assert.equal(res.status, 200, res.text);
}
const statusByApi = async (customerId, contactId) =>
  (await w.get(`/v1/customers/${customerId}/contacts`)).body.data.find((c) => c.id === contactId).status;

describe("customer users in the admin console", () => {
  task("shows each customer user's status; creates an activation link shown once, with copy and expiry", async ({ pages }) => {
    const c = await w.createCustomer({ name: "Portal Org", email: uniqueEmail("portal") });
    const pending = await w.createContact(c.id, { email: uniqueEmail("pending"), first_name: "Penny" });
    const active = await w.createContact(c.id, { email: uniqueEmail("active"), first_name: "Ava" });
    await activateByApi(c.id, active.id);
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}/contacts` });
    await page.getByRole("heading", { name: "Contacts", level: 2 }).waitFor();
    await page.getByRole("columnheader", { name: "Status" }).waitFor();
    await statusOf(page, pending.email, "Pending").waitFor();
    await statusOf(page, active.email, "Active").waitFor();
    assert.equal(await page.getByRole("button", { name: `Create activation link for ${active.email}` }).count(), 0, "an active contact needs no link");

    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: w.url });
    await page.getByRole("button", { name: `Create activation link for ${pending.email}` }).click();
    const dialog = page.getByRole("dialog", { name: `Activation link for ${pending.email}` });
    await dialog.getByText("shown only this once").waitFor();
    const url = await dialog.getByLabel("Activation link").inputValue();
    assert.ok(url.startsWith(BASE), url);
    assert.match(url.slice(BASE.length), /^[A-Za-z0-9_-]{43}$/);
    const expiry = await dialog.getByText(/^Expires /).locator("time").getAttribute("datetime");
    const hours = (Date.parse(expiry) - Date.now()) / 3_600_000;
    assert.ok(hours > 71.9 && hours <= 72, `expires in ${hours} h`);
    await dialog.getByRole("button", { name: "Copy link" }).click();
    await dialog.getByRole("status").getByText("Copied to the clipboard.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    assert.deepEqual(await axe(page), [], "the link dialog passes axe");
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.ok(!(await page.content()).includes(url.slice(BASE.length)), "the link is not shown again");

    const res = await w.call("POST", "/v1/public/contacts/activate", { token: null, json: { token: url.slice(BASE.length) } });
    assert.equal(res.status, 200, res.text);
    await page.reload();
    await statusOf(page, pending.email, "Active").waitFor();
    assert.deepEqual(await axe(page), [], "the contacts with their statuses pass axe");
    assert.deepEqual(page.errors, []);
  }, { timeout: 90_000 });

  task("disables a customer user after confirmation and enables it back to what it was", async ({ pages }) => {
    const c = await w.createCustomer({ name: "Switch Org", email: uniqueEmail("switch") });
    const pending = await w.createContact(c.id, { email: uniqueEmail("never") });
    const active = await w.createContact(c.id, { email: uniqueEmail("was-active") });
    await activateByApi(c.id, active.id);
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}/contacts` });
    await statusOf(page, pending.email, "Pending").waitFor();

    await page.getByRole("button", { name: `Disable contact ${pending.email}` }).click();
    await confirmDialog(page, "Disable contact?", "Disable contact");
    await statusOf(page, pending.email, "Disabled").waitFor();
    assert.equal(await statusByApi(c.id, pending.id), "disabled");
    assert.equal(await page.getByRole("button", { name: `Create activation link for ${pending.email}` }).count(), 0);
    await page.getByRole("button", { name: `Enable contact ${pending.email}` }).click();
    await statusOf(page, pending.email, "Pending").waitFor();

    await page.getByRole("button", { name: `Disable contact ${active.email}` }).click();
    // Cancel leaves it as it was.
    await confirmDialog(page, "Disable contact?", "Cancel");
    assert.equal(await statusByApi(c.id, active.id), "active");
    await page.getByRole("button", { name: `Disable contact ${active.email}` }).click();
    await confirmDialog(page, "Disable contact?", "Disable contact");
    await statusOf(page, active.email, "Disabled").waitFor();
    await page.getByRole("button", { name: `Enable contact ${active.email}` }).click();
    await statusOf(page, active.email, "Active").waitFor();
    await until(async () => (await statusByApi(c.id, active.id)) === "active", "the API to agree");
    assert.deepEqual(page.errors, []);
  });
});
