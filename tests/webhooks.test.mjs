// Webhooks end to end in workerd: subscriptions (secrets shown once, rotation, the address
// rules), delivery through Miniflare's local queues to a local HTTP receiver, signatures checked
// with the `standardwebhooks` package as a real receiver would, retries with delays, the
// dead-letter path and the failure count, auto-disable, the cron's re-drive, and SSRF refusals
// (through Miniflare's outbound service, so no request leaves the machine).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A local receiver on 127.0.0.1: records every request; answers the statuses queued with
// `answer(...)` in order, then `fallback`.
async function startReceiver() {
  const hits = [];
  const plan = [];
  const r = { hits, fallback: 200, answer: (...statuses) => plan.push(...statuses) };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      hits.push({ method: req.method, path: req.url, headers: req.headers, body, at: Date.now() });
      const status = plan.length ? plan.shift() : r.fallback;
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status >= 300 ? `nope ${"x".repeat(5000)}` : "ok");
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  r.url = `http://127.0.0.1:${server.address().port}`;
  r.close = () => new Promise((ok) => server.close(ok));
  // The requests to `path`, once there are at least `n` (waits up to `ms`).
  r.waitFor = async (path, n = 1, ms = 8000) => {
    const end = Date.now() + ms;
    for (;;) {
      const got = hits.filter((h) => h.path === path);
      if (got.length >= n || Date.now() > end) return got;
      await sleep(25);
    }
  };
  return r;
}

let path = 0;
// A webhook to the receiver at a path of its own; expects 201, returns it with its secret and path.
async function subscribe(w, receiver, body = {}) {
  const p = `/hook-${++path}`;
  const res = await w.post("/v1/webhooks", { url: `${receiver.url}${p}`, ...body });
  assert.equal(res.status, 201, res.text);
  return { ...res.body, path: p };
}

// Waits until `check()` is truthy (up to `ms`), returning its last value.
async function until(check, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v || Date.now() > end) return v;
    await sleep(50);
  }
}

const verify = (secret, hit) => new Webhook(secret).verify(hit.body, hit.headers);

describe("subscriptions", () => {
  let w;
  before(async () => { w = await startWorker(); });
  after(async () => { await w?.dispose(); });

  it("shows the secret once, on create", async () => {
    const res = await w.post("/v1/webhooks", { url: "https://hooks.example.com/in", event_types: ["customer.deleted"], description: "CRM sync" });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(res.headers.get("location"), `/v1/webhooks/${res.body.id}`);
    const { secret, ...shown } = res.body;
    assert.deepEqual(Object.keys(shown).sort(),
      ["created_at", "description", "disabled_reason", "enabled", "event_types", "failure_count", "id", "updated_at", "url"]);
    assert.deepEqual([shown.enabled, shown.failure_count, shown.event_types], [true, 0, ["customer.deleted"]]);
    const got = await w.get(`/v1/webhooks/${res.body.id}`);
    assert.deepEqual(got.body, shown);
    const list = await w.get("/v1/webhooks");
    assert.ok(list.body.data.some((h) => h.id === res.body.id));
    assert.ok(!list.text.includes(secret) && !got.text.includes("whsec_"));
    const audit = await w.auditOf(res.body.id);
    assert.deepEqual(audit.map((a) => a.action), ["webhook.create"]);
    assert.ok(!JSON.stringify(audit).includes("whsec_"));
  });

  it("rotates the secret, showing the new one once", async () => {
    const h = (await w.post("/v1/webhooks", { url: "https://hooks.example.com/rot" })).body;
    const res = await w.post(`/v1/webhooks/${h.id}/rotate-secret`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.secret, /^whsec_/);
    assert.notEqual(res.body.secret, h.secret);
    assert.ok(Date.parse(res.body.previous_secret_expires_at) > Date.now() + 23 * 3600 * 1000);
  });

  it("updates, disables and deletes", async () => {
    const h = (await w.post("/v1/webhooks", { url: "https://hooks.example.com/upd" })).body;
    const res = await w.patch(`/v1/webhooks/${h.id}`, { enabled: false, event_types: ["customer.merged", "customer.redacted"], description: null });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([res.body.enabled, res.body.event_types, res.body.description], [false, ["customer.merged", "customer.redacted"], null]);
    assert.equal((await w.delete(`/v1/webhooks/${h.id}`)).status, 204);
    assertError(assert, await w.get(`/v1/webhooks/${h.id}`), 404, "not_found");
    assertError(assert, await w.delete(`/v1/webhooks/${h.id}`), 404, "not_found");
    assertError(assert, await w.get("/v1/webhooks/not-an-id"), 404, "not_found");
  });

  it("refuses loopback, private and link-local addresses, localhost and plain http", async () => {
    for (const url of ["http://127.0.0.1/hook", "https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://[::1]/hook",
      "https://192.168.0.10/", "https://169.254.169.254/latest", "https://localhost:8443/", "https://2130706433/",
      "http://hooks.example.com/", "https://user:pw@hooks.example.com/", "not a url"]) {
      const res = await w.post("/v1/webhooks", { url });
      assertError(assert, res, 422, "validation_failed");
      assert.equal(res.body.error.details?.[0]?.field ?? res.body.error.fields?.[0]?.field ?? "url", "url", res.text);
      assert.match(res.text, /invalid_url|invalid_type/);
    }
    const h = (await w.post("/v1/webhooks", { url: "https://hooks.example.com/p" })).body;
    assertError(assert, await w.patch(`/v1/webhooks/${h.id}`, { url: "https://[::1]/" }), 422, "validation_failed");
  });

  it("refuses every IANA special-purpose address, in every spelling, on create and on patch", async () => {
    const refused = [
      "https://[2002:7f00:1::]/h", "https://[2002:a9fe:a9fe::]/h", "https://[2002:C0A8:0101::]/h", // 6to4 of loopback, metadata, private
      "https://[2001::1]/h", "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h", // Teredo
      "https://[::ffff:0:7f00:1]/h", "https://[0:0:0:0:ffff:0:127.0.0.1]/h", // IPv4-translated
      "https://[::ffff:a9fe:a9fe]/h", "https://[::a9fe:a9fe]/h", // IPv4-mapped, IPv4-compatible
      "https://[100::1]/h", "https://[fec0::1]/h", "https://[64:ff9b::a00:1]/h", "https://[64:ff9b:1::1]/h",
      "https://[2001:db8::1]/h", "https://[3fff::1]/h", "https://[fd00::1]/h", "https://[fe80::1]/h", "https://[ff02::1]/h",
      "https://192.0.0.170/h", "https://198.18.0.1/h", "https://203.0.113.9/h", "https://224.0.0.1/h", "https://0x7f000001/h",
    ];
    const h = (await w.post("/v1/webhooks", { url: "https://hooks.example.com/special" })).body;
    for (const url of refused) {
      const res = await w.post("/v1/webhooks", { url });
      assertError(assert, res, 422, "validation_failed");
      assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]), [["url", "invalid_url"]], `${url}: ${res.text}`);
      assertError(assert, await w.patch(`/v1/webhooks/${h.id}`, { url }), 422, "validation_failed");
    }
    for (const url of ["https://[2606:4700::1111]/h", "https://[2001:4860:4860::8888]/h", "https://1.1.1.1/h"]) {
      assert.equal((await w.post("/v1/webhooks", { url })).status, 201, url);
    }
    assert.equal((await w.get(`/v1/webhooks/${h.id}`)).body.url, "https://hooks.example.com/special");
  });

  it("refuses control and bidi characters in a description, on create and on patch, naming the field", async () => {
    const h = (await w.post("/v1/webhooks", { url: "https://hooks.example.com/desc", description: "line one\n\tline two" })).body;
    assert.equal(h.description, "line one\n\tline two");
    for (const description of ["a\u0000b", "ring\u0007", "abc\u202Efdp.exe", "x\u2066y", "esc\u001b[31m", "del\u007f"]) {
      for (const res of [await w.post("/v1/webhooks", { url: "https://hooks.example.com/d2", description }),
                         await w.patch(`/v1/webhooks/${h.id}`, { description })]) {
        assertError(assert, res, 422, "validation_failed");
        assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]), [["description", "invalid"]], JSON.stringify(description));
      }
    }
    assert.equal((await w.get(`/v1/webhooks/${h.id}`)).body.description, "line one\n\tline two");
  });

  it("refuses unknown event types, fields and secrets in the body", async () => {
    const res = await w.post("/v1/webhooks", { url: "https://hooks.example.com/", event_types: ["customer.exploded"], secret: "whsec_x" });
    assertError(assert, res, 422, "validation_failed");
    assert.match(res.text, /unknown_event_type/);
    assert.match(res.text, /read_only/);
  });

  it("needs webhooks:manage", async () => {
    const key = await w.createKey(["customers:read", "events:read"]);
    assertError(assert, await w.get("/v1/webhooks", { token: key.secret }), 403, "forbidden");
    assertError(assert, await w.post("/v1/webhooks", { url: "https://hooks.example.com/" }, { token: key.secret }), 403, "forbidden");
  });
});

describe("delivery through the queue", () => {
  let w;
  let receiver;
  before(async () => {
    receiver = await startReceiver();
    w = await startWorker({ queues: true, vars: { ALLOW_LOCAL_WEBHOOKS: "true", WEBHOOK_RETRY_DELAYS: "1" } });
  });
  after(async () => { await w?.dispose(); await receiver?.close(); });

  it("POSTs each event signed per Standard Webhooks, verified by the standardwebhooks package", async () => {
    const hook = await subscribe(w, receiver);
    const started = Date.now();
    const c = await w.createCustomer({ name: "Signed", email: uniqueEmail("signed") });
    const [hit] = await receiver.waitFor(hook.path);
    assert.ok(hit, "the receiver got the event");
    console.log(`# delivery latency (commit answered to receiver): ${hit.at - started} ms`);
    assert.equal(hit.method, "POST");
    assert.equal(hit.headers["content-type"], "application/json");
    const payload = verify(hook.secret, hit);
    const [event] = await w.eventsOf(c.id);
    assert.deepEqual(payload, event);
    assert.equal(hit.headers["webhook-id"], event.id);
    assert.ok(Math.abs(Number(hit.headers["webhook-timestamp"]) - Date.now() / 1000) < 30);
    assert.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).verify(hit.body, hit.headers));
    assert.throws(() => new Webhook(hook.secret).verify(hit.body.replace("customer.created", "customer.deleted"), hit.headers));
    const log = await until(async () => {
      const res = await w.get(`/v1/webhooks/${hook.id}/deliveries`);
      return res.body.data.length ? res.body : null;
    });
    assert.equal(log.data[0].event_id, event.id);
    assert.deepEqual([log.data[0].attempt, log.data[0].status, log.data[0].response_status, log.data[0].delivery_status, log.data[0].event_type],
      [1, "succeeded", 200, "succeeded", "customer.created"]);
    assert.equal(typeof log.data[0].duration_ms, "number");
    await w.delete(`/v1/webhooks/${hook.id}`);
  });

  it("sends only the subscribed types, and nothing while disabled", async () => {
    const hook = await subscribe(w, receiver, { event_types: ["customer.deleted"] });
    const c = await w.createCustomer({ name: "Typed" });
    await w.delete(`/v1/customers/${c.id}`);
    const hits = await receiver.waitFor(hook.path);
    await sleep(500);
    assert.deepEqual(receiver.hits.filter((h) => h.path === hook.path).map((h) => JSON.parse(h.body).type), ["customer.deleted"]);
    assert.equal(JSON.parse(hits[0].body).data.customer_id, c.id);
    await w.patch(`/v1/webhooks/${hook.id}`, { enabled: false });
    await w.post(`/v1/customers/${c.id}/restore`);
    await w.delete(`/v1/customers/${c.id}`);
    await sleep(1000);
    assert.equal(receiver.hits.filter((h) => h.path === hook.path).length, 1);
  });

  it("sends a webhook.test event on request", async () => {
    const hook = await subscribe(w, receiver);
    const res = await w.post(`/v1/webhooks/${hook.id}/test`);
    assert.equal(res.status, 202, res.text);
    const [hit] = await receiver.waitFor(hook.path);
    const payload = verify(hook.secret, hit);
    assert.deepEqual([payload.id, payload.type, payload.data.webhook_id], [res.body.event_id, "webhook.test", hook.id]);
    await w.delete(`/v1/webhooks/${hook.id}`);
  });

  it("signs with the old and the new secret for a day after a rotation", async () => {
    const hook = await subscribe(w, receiver);
    const rotated = (await w.post(`/v1/webhooks/${hook.id}/rotate-secret`)).body;
    await w.post(`/v1/webhooks/${hook.id}/test`);
    const [hit] = await receiver.waitFor(hook.path);
    assert.equal(hit.headers["webhook-signature"].split(" ").length, 2);
    assert.equal(verify(rotated.secret, hit).type, "webhook.test");
    assert.equal(verify(hook.secret, hit).type, "webhook.test");
    await w.delete(`/v1/webhooks/${hook.id}`);
  });

  it("retries a failing receiver with delays: 3 failures, then the event exactly once more", async () => {
    const hook = await subscribe(w, receiver);
    receiver.answer(500, 503, 404);
    const c = await w.createCustomer({ name: "Retried" });
    const hits = await receiver.waitFor(hook.path, 4, 15000);
    assert.equal(hits.length, 4);
    await sleep(2500);
    const all = receiver.hits.filter((h) => h.path === hook.path);
    assert.equal(all.length, 4, "nothing after the success");
    const ids = new Set(all.map((h) => h.headers["webhook-id"]));
    assert.equal(ids.size, 1, "one webhook-id for every attempt");
    for (let i = 1; i < all.length; i++) assert.ok(all[i].at - all[i - 1].at >= 900, `attempt ${i + 1} waited its delay`);
    assert.equal(JSON.parse(all[3].body).data.customer_id, c.id);
    const log = (await w.get(`/v1/webhooks/${hook.id}/deliveries`)).body.data;
    assert.deepEqual(log.map((a) => [a.attempt, a.status, a.response_status]),
      [[4, "succeeded", 200], [3, "failed", 404], [2, "failed", 503], [1, "failed", 500]]);
    assert.ok(log.every((a) => a.delivery_status === "succeeded"));
    assert.ok(log[1].response_excerpt.length <= 200 && log[1].response_excerpt.startsWith("nope"));
    assert.equal((await w.get(`/v1/webhooks/${hook.id}`)).body.failure_count, 0);
    await w.delete(`/v1/webhooks/${hook.id}`);
  });

  it("re-drives from the cron an event whose send never happened", async () => {
    const hook = await subscribe(w, receiver);
    // Any write's queue message dispatches every pending event: let the subscription's own settle first.
    await sleep(1000);
    const res = await w.post("/v1/customers", { name: "Crashed before the send" }, { headers: { "x-test-skip-dispatch": "1" } });
    assert.equal(res.status, 201, res.text);
    await sleep(1000);
    assert.equal(receiver.hits.filter((h) => h.path === hook.path).length, 0, "no dispatch without the queue message");
    await w.cron();
    const [hit] = await receiver.waitFor(hook.path);
    assert.equal(verify(hook.secret, hit).data.customer_id, res.body.id);
    await w.delete(`/v1/webhooks/${hook.id}`);
  });

  it("re-sends from the cron a delivery whose queue message never went out", async () => {
    const hook = await subscribe(w, receiver);
    const payload = JSON.stringify({ id: "0193aaaa-0000-7000-8000-000000000001", type: "customer.updated", created_at: "2026-01-01T00:00:00.000Z", data: { customer_id: "x" } });
    await w.db.prepare("INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, created_at, queued_at) VALUES (?1, ?2, 'customer.updated', ?3, ?4, ?4)")
      .bind(hook.id, "0193aaaa-0000-7000-8000-000000000001", payload, new Date(Date.now() - 3600 * 1000).toISOString()).run();
    await w.cron();
    const [hit] = await receiver.waitFor(hook.path);
    assert.equal(hit.body, payload);
    assert.equal(hit.headers["webhook-id"], "0193aaaa-0000-7000-8000-000000000001");
    await w.delete(`/v1/webhooks/${hook.id}`);
  });
});

describe("a retry lost with the queue", () => {
  let receiver;
  const dir = mkdtempSync(join(tmpdir(), "webhooks-restart-"));
  const workers = [];
  // The receiver may be slow to be tried again: the queue holds the retry for 10 minutes.
  const start = async () => {
    const w = await startWorker({ queues: true, persist: dir, vars: { ALLOW_LOCAL_WEBHOOKS: "true", WEBHOOK_RETRY_DELAYS: "600" } });
    workers.push(w);
    return w;
  };
  before(async () => { receiver = await startReceiver(); });
  after(async () => {
    for (const w of workers) await w.dispose().catch(() => {});
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is re-driven by the cron after a restart, once its retry time has long passed", async () => {
    const first = await start();
    const hook = await subscribe(first, receiver);
    receiver.answer(500);
    const c = await first.createCustomer({ name: "Retry lost" });
    await receiver.waitFor(hook.path, 1);
    const tried = await until(async () => (await first.db.prepare("SELECT attempts FROM webhook_deliveries WHERE webhook_id = ?1")
      .bind(hook.id).first())?.attempts === 1);
    assert.ok(tried, "the first attempt is recorded");
    // The worker dies with its retry waiting in the (in-memory) queue.
    await first.dispose();
    const second = await start();
    await second.cron();
    await sleep(500);
    assert.equal(receiver.hits.filter((h) => h.path === hook.path).length, 1, "not before its retry is overdue");
    // Time passes: the retry was due long ago and never came.
    await second.db.prepare("UPDATE webhook_deliveries SET queued_at = ?1 WHERE webhook_id = ?2")
      .bind(new Date(Date.now() - 3600 * 1000).toISOString(), hook.id).run();
    await second.cron();
    const hits = await receiver.waitFor(hook.path, 2);
    assert.equal(hits.length, 2, "the cron re-drove the delivery");
    assert.equal(verify(hook.secret, hits[1]).data.customer_id, c.id);
    assert.equal(hits[1].headers["webhook-id"], hits[0].headers["webhook-id"]);
    const row = await until(async () => {
      const r = await second.db.prepare("SELECT status, attempts FROM webhook_deliveries WHERE webhook_id = ?1").bind(hook.id).first();
      return r?.status === "succeeded" ? r : null;
    });
    assert.deepEqual(row, { status: "succeeded", attempts: 2 });
    await second.cron();
    await sleep(500);
    assert.equal(receiver.hits.filter((h) => h.path === hook.path).length, 2, "nothing more once received");
  });

  it("gives up, without sending, a re-driven delivery whose attempts are spent", async () => {
    const w = workers.at(-1);
    const hook = await subscribe(w, receiver);
    const id = "0193aaaa-0000-7000-8000-000000000002";
    await w.db.prepare("INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, attempts, created_at, queued_at) VALUES (?1, ?2, 'customer.updated', '{}', 8, ?3, ?3)")
      .bind(hook.id, id, new Date(Date.now() - 3600 * 1000).toISOString()).run();
    await w.cron();
    const counted = await until(async () => (await w.get(`/v1/webhooks/${hook.id}`)).body.failure_count === 1);
    assert.ok(counted, "the give-up is counted");
    assert.equal(receiver.hits.filter((h) => h.path === hook.path).length, 0);
  });
});

describe("replay", () => {
  let w;
  let receiver;
  before(async () => {
    receiver = await startReceiver();
    w = await startWorker({ queues: true, vars: { ALLOW_LOCAL_WEBHOOKS: "true", WEBHOOK_RETRY_DELAYS: "1" } });
  });
  after(async () => { await w?.dispose(); await receiver?.close(); });

  const customerIds = (hits) => hits.map((h) => JSON.parse(h.body).data.customer_id).sort();
  const deliveries = async (hook) => (await w.get(`/v1/webhooks/${hook.id}/deliveries`)).body;

  it("sends a webhook the events it missed while off, each exactly once", async () => {
    const hook = await subscribe(w, receiver);
    await sleep(20);
    const since = new Date().toISOString();
    await sleep(20);
    await w.patch(`/v1/webhooks/${hook.id}`, { enabled: false });
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push(await w.createCustomer({ name: `Missed ${i}` }));
    await w.patch(`/v1/webhooks/${hook.id}`, { enabled: true });
    const seen = [];
    for (let i = 0; i < 2; i++) seen.push(await w.createCustomer({ name: `Seen ${i}` }));
    await receiver.waitFor(hook.path, 2);
    await sleep(1000);
    const before = receiver.hits.filter((h) => h.path === hook.path);
    assert.deepEqual(customerIds(before), seen.map((c) => c.id).sort(), "only the changes made while on");

    const res = await w.post(`/v1/webhooks/${hook.id}/replay`, { since });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { webhook_id: hook.id, since, queued: 3, next_since: null });
    await receiver.waitFor(hook.path, 5);
    await sleep(1500);
    const all = receiver.hits.filter((h) => h.path === hook.path);
    assert.equal(all.length, 5, "the 3 missed and the 2 received, each once");
    assert.deepEqual(customerIds(all), [...missed, ...seen].map((c) => c.id).sort());
    assert.equal(new Set(all.map((h) => h.headers["webhook-id"])).size, 5);
    for (const hit of all) verify(hook.secret, hit);

    const again = await w.post(`/v1/webhooks/${hook.id}/replay`, { since: JSON.parse(all[0].body).id });
    assert.equal(again.status, 202, again.text);
    assert.equal(again.body.queued, 0, "nothing it received is sent again");
    await sleep(1000);
    assert.equal(receiver.hits.filter((h) => h.path === hook.path).length, 5);
    const audit = await w.auditOf(hook.id);
    assert.equal(audit.filter((a) => a.action === "webhook.replay").length, 2);
    assert.deepEqual((await deliveries(hook)).counts, { pending: 0, succeeded: 5, failed: 0, skipped: 0 });
  });

  it("counts skipped deliveries and sends them on a replay", async () => {
    const hook = await subscribe(w, receiver, { event_types: ["customer.deleted"] });
    const c = await w.createCustomer({ name: "Skipped" });
    const since = new Date().toISOString();
    await w.delete(`/v1/customers/${c.id}`);
    await receiver.waitFor(hook.path, 1);
    const [event] = (await w.eventsOf(c.id)).filter((e) => e.type === "customer.deleted");
    // Its turn came while the webhook was off: the consumer marked it skipped, never sent.
    await until(async () => (await deliveries(hook)).counts.succeeded === 1);
    await w.db.prepare("UPDATE webhook_deliveries SET status = 'skipped', attempts = 0 WHERE webhook_id = ?1 AND event_id = ?2")
      .bind(hook.id, event.id).run();
    assert.deepEqual((await deliveries(hook)).counts, { pending: 0, succeeded: 0, failed: 0, skipped: 1 });
    const res = await w.post(`/v1/webhooks/${hook.id}/replay`, { since });
    assert.equal(res.body.queued, 1, res.text);
    assert.equal((await receiver.waitFor(hook.path, 2)).length, 2);
    assert.ok(await until(async () => (await deliveries(hook)).counts.succeeded === 1));
  });

  it("refuses a disabled webhook, a bad or too old since, and more than 5 replays an hour", async () => {
    const hook = await subscribe(w, receiver);
    const path = `/v1/webhooks/${hook.id}/replay`;
    const now = new Date().toISOString();
    assertError(assert, await w.post(path, { since: "last week" }), 422, "validation_failed");
    assertError(assert, await w.post(path, { since: new Date(Date.now() - 31 * 86400000).toISOString() }), 422, "validation_failed");
    assertError(assert, await w.post(path, { since: "0193aaaa-0000-7000-8000-00000000ffff" }), 422, "validation_failed");
    assertError(assert, await w.post(path, { since: now, until: now }), 422, "validation_failed");
    await w.patch(`/v1/webhooks/${hook.id}`, { enabled: false });
    assertError(assert, await w.post(path, { since: now }), 409, "webhook_disabled");
    await w.patch(`/v1/webhooks/${hook.id}`, { enabled: true });
    for (let i = 0; i < 5; i++) assert.equal((await w.post(path, { since: now })).status, 202);
    const limited = await w.post(path, { since: now });
    assertError(assert, limited, 429, "rate_limited");
    const wait = Number(limited.headers.get("retry-after"));
    assert.ok(wait > 3500 && wait <= 3600, `Retry-After ${wait}`);
    const key = await w.createKey(["customers:read", "events:read"]);
    assertError(assert, await w.post(path, { since: now }, { token: key.secret }), 403, "forbidden");
  });
});

describe("giving up", () => {
  let w;
  let receiver;
  before(async () => {
    receiver = await startReceiver();
    receiver.fallback = 500;
    // wrangler.toml's max_retries (7): 8 attempts, a second apart here instead of about 27 hours.
    w = await startWorker({ queues: true, vars: { ALLOW_LOCAL_WEBHOOKS: "true", WEBHOOK_RETRY_DELAYS: "1" } });
  });
  after(async () => { await w?.dispose(); await receiver?.close(); });

  it("a receiver that never succeeds ends in the dead-letter path and the failure count", async () => {
    const hook = await subscribe(w, receiver);
    await w.createCustomer({ name: "Never received" });
    const hits = await receiver.waitFor(hook.path, 8, 30000);
    assert.equal(hits.length, 8, "the first attempt and the queue's 7 retries");
    const counted = await until(async () => {
      const h = (await w.get(`/v1/webhooks/${hook.id}`)).body;
      return h.failure_count === 1 ? h : null;
    });
    assert.ok(counted, "the give-up is counted");
    assert.equal(counted.enabled, true);
    const log = (await w.get(`/v1/webhooks/${hook.id}/deliveries`)).body.data;
    assert.deepEqual(log.map((a) => a.attempt), [8, 7, 6, 5, 4, 3, 2, 1]);
    assert.ok(log.every((a) => a.status === "failed" && a.delivery_status === "failed"));
    await sleep(1500);
    assert.equal(receiver.hits.filter((h) => h.path === hook.path).length, 8, "no attempt after the give-up");
    await w.delete(`/v1/webhooks/${hook.id}`);
  });

  it("turns a webhook off at the 50th delivery given up in a row", async () => {
    const hook = await subscribe(w, receiver);
    await w.db.prepare("UPDATE webhooks SET failure_count = 48 WHERE id = ?1").bind(hook.id).run();
    await w.createCustomer({ name: "Failure 49" });
    await until(async () => (await w.get(`/v1/webhooks/${hook.id}`)).body.failure_count === 49, 30000);
    await w.createCustomer({ name: "Failure 50" });
    const off = await until(async () => {
      const h = (await w.get(`/v1/webhooks/${hook.id}`)).body;
      return h.enabled === false ? h : null;
    }, 30000);
    assert.ok(off, "turned off");
    assert.deepEqual([off.failure_count, off.disabled_reason], [50, "failures"]);
    const before = receiver.hits.filter((h) => h.path === hook.path).length;
    await w.createCustomer({ name: "After the switch-off" });
    await sleep(1500);
    assert.equal(receiver.hits.filter((h) => h.path === hook.path).length, before, "nothing is sent to a disabled webhook");
    const on = await w.patch(`/v1/webhooks/${hook.id}`, { enabled: true });
    assert.deepEqual([on.body.enabled, on.body.failure_count, on.body.disabled_reason], [true, 0, null]);
  });
});

describe("outbound safety (no request leaves the machine)", () => {
  let w;
  const outbound = [];
  before(async () => {
    w = await startWorker({
      queues: true,
      maxRetries: 0,
      vars: { WEBHOOK_RETRY_DELAYS: "1" },
      outbound: async (req) => {
        outbound.push(req.url);
        const url = new URL(req.url);
        if (url.pathname === "/to-private") return new Response(null, { status: 302, headers: { location: "https://10.0.0.1/internal" } });
        if (url.pathname === "/to-loopback") return new Response(null, { status: 307, headers: { location: "https://[::1]/" } });
        if (url.pathname === "/to-localhost") return new Response(null, { status: 308, headers: { location: "http://localhost/" } });
        if (url.pathname === "/to-public") return new Response(null, { status: 307, headers: { location: "https://other.example.net/landing" } });
        if (url.pathname === "/slow") return new Promise(() => {});
        return new Response("ok", { status: 200 });
      },
    });
  });
  after(async () => { await w?.dispose(); });

  async function attemptsOf(hookId, n = 1, ms = 15000) {
    return until(async () => {
      const data = (await w.get(`/v1/webhooks/${hookId}/deliveries`)).body.data;
      return data.length >= n ? data : null;
    }, ms);
  }

  it("refuses a redirect to a private, loopback or localhost address", async () => {
    for (const p of ["/to-private", "/to-loopback", "/to-localhost"]) {
      const hook = (await w.post("/v1/webhooks", { url: `https://hooks.example.com${p}` })).body;
      await w.post(`/v1/webhooks/${hook.id}/test`);
      const [a] = await attemptsOf(hook.id);
      assert.equal(a.status, "failed");
      assert.match(a.error, /redirect refused/);
      await w.delete(`/v1/webhooks/${hook.id}`);
    }
    assert.deepEqual([...new Set(outbound.map((u) => new URL(u).hostname))], ["hooks.example.com"], "only the first hop was requested");
  });

  it("follows a redirect to a public https address", async () => {
    const hook = (await w.post("/v1/webhooks", { url: "https://hooks.example.com/to-public" })).body;
    await w.post(`/v1/webhooks/${hook.id}/test`);
    const [a] = await attemptsOf(hook.id);
    assert.deepEqual([a.status, a.response_status], ["succeeded", 200]);
    assert.ok(outbound.includes("https://other.example.net/landing"));
  });

  it("gives a receiver 10 seconds", async () => {
    const hook = (await w.post("/v1/webhooks", { url: "https://hooks.example.com/slow" })).body;
    await w.post(`/v1/webhooks/${hook.id}/test`);
    const [a] = await attemptsOf(hook.id, 1, 20000);
    assert.equal(a.status, "failed");
    assert.match(a.error, /no answer within 10 s/);
    assert.ok(a.duration_ms >= 9900 && a.duration_ms < 12000, `${a.duration_ms}`);
  });
});
