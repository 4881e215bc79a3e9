// The admin console's Webhooks screen and a customer's event stream, in Chromium (see
// tests/browser.mjs), with the webhooks queue bound and a local receiver: create a webhook and
// see its secret once, send a test and see the delivery, disable and enable, rotate the secret,
// delete; a customer's page lists its events. One test per admin task, found by role and label.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe } from "node:test";
import { Webhook } from "standardwebhooks";
import { axe, heading, openTab, startConsole, tag, task, until as poll } from "./browser.mjs";

let env;
let w;
const received = [];
let receiver;
before(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => { received.push({ path: req.url, headers: req.headers, body }); res.writeHead(204); res.end(); });
  });
  await new Promise((ok) => receiver.listen(0, "127.0.0.1", ok));
  env = await startConsole({ queues: true, vars: { ALLOW_LOCAL_WEBHOOKS: "true", WEBHOOK_RETRY_DELAYS: "1" } });
  w = env.worker;
});
after(async () => { await env?.close(); await new Promise((ok) => receiver?.close(ok)); });

const receiverUrl = (path) => `http://127.0.0.1:${receiver.address().port}${path}`;
// Deliveries go through the queue: a longer wait, polled less often (a poll may click Refresh).
const until = (check, what, ms = 8000) => poll(check, what, ms, 100);

// Creates a webhook through the screen; returns its secret as the dialog showed it.
async function createThroughScreen(page, url) {
  await page.getByRole("link", { name: "Webhooks" }).click();
  await heading(page, "Webhooks").waitFor();
  await page.getByLabel("Address (URL)").fill(url);
  await page.getByRole("button", { name: "Create webhook" }).click();
  const dialog = page.getByRole("dialog", { name: "Webhook created" });
  await dialog.waitFor();
  const secret = await dialog.getByLabel("Signing secret").inputValue();
  await dialog.getByRole("button", { name: "I have copied it" }).click();
  await heading(page, url).waitFor();
  return secret;
}

describe("webhooks in the admin console", () => {
  task("creates a webhook and shows its signing secret once", async ({ pages }) => {
    const path = `/console-${tag()}`;
    const page = await openTab(env, pages);
    const secret = await createThroughScreen(page, receiverUrl(path));
    assert.match(secret, /^whsec_/);
    assert.ok(!(await page.content()).includes(secret), "the secret is gone once the dialog closes");
    await page.getByRole("link", { name: "Webhooks", exact: true }).first().click();
    const table = page.getByRole("region", { name: "Webhooks" });
    await table.getByRole("link", { name: receiverUrl(path) }).waitFor();
    assert.match(await table.textContent(), /All event types/);
    assert.match(await table.textContent(), /Enabled/);
    assert.ok(!(await page.content()).includes(secret));
    // The secret the screen showed is the one deliveries are signed with.
    await w.createCustomer({ name: `Console hook ${tag()}` });
    const hit = await until(() => received.find((r) => r.path === path), "a delivery");
    assert.equal(new Webhook(secret).verify(hit.body, hit.headers).type, "customer.created");
    assert.deepEqual(await axe(page), []);
  });

  task("sends a test event and shows its delivery in the log", async ({ pages }) => {
    const path = `/test-${tag()}`;
    const page = await openTab(env, pages);
    await createThroughScreen(page, receiverUrl(path));
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText(/Test event .* queued/).waitFor();
    await until(() => received.find((r) => r.path === path && JSON.parse(r.body).type === "webhook.test"), "the test event");
    const log = page.getByRole("region", { name: "Delivery attempts" });
    await until(async () => {
      await page.getByRole("button", { name: "Refresh" }).click();
      return (await log.count()) > 0 && /webhook\.test/.test(await log.textContent());
    }, "the delivery in the log");
    const row = log.getByRole("row").nth(1);
    assert.match(await row.textContent(), /Succeeded/);
    assert.match(await row.textContent(), /204/);
    assert.deepEqual(await axe(page), []);
  });

  task("disables and enables a webhook", async ({ pages }) => {
    const path = `/toggle-${tag()}`;
    const page = await openTab(env, pages);
    await createThroughScreen(page, receiverUrl(path));
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByText("Webhook disabled: no events are sent to it.").waitFor();
    await page.getByText("Disabled", { exact: true }).waitFor();
    const id = page.url().split("/").pop();
    assert.equal((await w.get(`/v1/webhooks/${id}`)).body.enabled, false);
    await page.getByRole("button", { name: "Enable" }).click();
    await page.getByText("Enabled", { exact: true }).waitFor();
    assert.equal((await w.get(`/v1/webhooks/${id}`)).body.enabled, true);
  });

  task("offers a replay after a re-enable, which sends the events made while off", async ({ pages }) => {
    const path = `/replay-${tag()}`;
    const page = await openTab(env, pages);
    await createThroughScreen(page, receiverUrl(path));
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByText("Disabled", { exact: true }).waitFor();
    const missed = [await w.createCustomer({ name: `Missed ${tag()}` }), await w.createCustomer({ name: `Missed ${tag()}` })];
    await page.getByRole("button", { name: "Enable" }).click();
    await page.getByText("Enabled", { exact: true }).waitFor();
    const form = page.getByRole("form", { name: "Replay missed events" });
    await form.waitFor();
    assert.match(await form.getByLabel("Since (time or event id)").inputValue(), /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(await axe(page), []);
    await form.getByRole("button", { name: "Replay events" }).click();
    await page.getByText("2 missed events queued for delivery.").waitFor();
    const got = await until(() => {
      const ids = received.filter((r) => r.path === path).map((r) => JSON.parse(r.body).data.customer_id);
      return ids.length >= 2 ? ids : null;
    }, "the replayed events");
    assert.deepEqual(got.sort(), missed.map((c) => c.id).sort());
  });

  task("rotates the secret (shown once) and deletes the webhook", async ({ pages }) => {
    const path = `/rotate-${tag()}`;
    const page = await openTab(env, pages);
    const first = await createThroughScreen(page, receiverUrl(path));
    await page.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("dialog", { name: "Rotate the signing secret?" }).getByRole("button", { name: "Rotate secret" }).click();
    const dialog = page.getByRole("dialog", { name: "New signing secret" });
    const second = await dialog.getByLabel("Signing secret").inputValue();
    assert.match(second, /^whsec_/);
    assert.notEqual(second, first);
    await dialog.getByRole("button", { name: "I have copied it" }).click();
    const id = page.url().split("/").pop();
    await page.getByRole("button", { name: "Delete webhook" }).click();
    await page.getByRole("dialog", { name: "Delete this webhook?" }).getByRole("button", { name: "Delete webhook" }).click();
    await heading(page, "Webhooks").waitFor();
    assert.equal((await w.get(`/v1/webhooks/${id}`)).status, 404);
  });

  task("shows a customer's change events on its page", async ({ pages }) => {
    const c = await w.createCustomer({ name: `Streamed ${tag()}` });
    await w.patch(`/v1/customers/${c.id}`, { notes: "a private note" });
    const page = await openTab(env, pages, { hash: `#/customers/${c.id}` });
    await page.getByRole("link", { name: "Events" }).click();
    const table = page.getByRole("region", { name: "Change events" });
    await table.waitFor();
    const rows = table.getByRole("row");
    assert.equal(await rows.count(), 3);
    assert.match(await rows.nth(1).textContent(), /customer\.created/);
    assert.match(await rows.nth(2).textContent(), /customer\.updated.*changed fields: notes/);
    assert.ok(!(await table.textContent()).includes("a private note"), "no values, only field names");
    assert.deepEqual(await axe(page), []);
  });

  task("works at 375 px wide", async ({ pages }) => {
    const page = await openTab(env, pages, { width: 375, height: 800, hash: "#/webhooks" });
    await heading(page, "Webhooks").waitFor();
    await page.getByLabel("Address (URL)").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
  });
});
