// The public endpoint POST /v1/public/interactions: visitors, fill-ins, history, CORS, rate limits.
// Its answer names no customer; tests find one the way an admin would, by email.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("public interactions", () => {
  it("creates a visitor with source and last_seen_at for a new email", async () => {
    const email = uniqueEmail("visitor");
    const res = await w.interact({ email, name: "Vera Visitor", type: "meeting_booked", resource_id: "event-42", details: { slot: "10:00" } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body), ["interaction_id"]);
    const c = (await w.get(`/v1/customers/${await w.customerIdByEmail(email)}`)).body;
    assert.equal(c.kind, "visitor");
    assert.equal(c.source, "meeting_link");
    assert.equal(c.name, "Vera Visitor");
    assert.ok(c.last_seen_at);
  });

  it("finds the same customer in another letter case and keeps the history", async () => {
    const email = uniqueEmail("again");
    const first = await w.interact({ email, type: "form_submitted", resource_id: "form-1" });
    const second = await w.interact({ email: email.toUpperCase(), type: "chat_started", resource_id: "room-9" });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    const history = await w.get(`/v1/customers/${await w.customerIdByEmail(email)}/interactions`);
    assert.equal(history.status, 200, history.text);
    assert.equal(history.body.data.length, 2);
    assert.equal(history.body.data[0].type, "chat_started", "newest first");
    assert.equal(history.body.data[1].resource_id, "form-1");
  });

  it("never overwrites a field an admin set, and fills empty ones", async () => {
    const email = uniqueEmail("admin-set");
    const c = await w.createCustomer({ email, name: "Admin Name" });
    const res = await w.interact({ email, name: "Visitor Name", phone: "+1 555 0101", type: "form_submitted", resource_id: "f" });
    assert.equal(res.status, 201, res.text);
    assert.equal(await w.customerIdByEmail(email), c.id);
    const after = (await w.get(`/v1/customers/${c.id}`)).body;
    assert.equal(after.name, "Admin Name");
    assert.equal(after.phone, "+1 555 0101");
    assert.equal(after.kind, "registered");
    assert.equal(after.source, "admin");
  });

  it("refuses extra fields and bad emails with 422", async () => {
    assertError(assert, await w.interact({ email: uniqueEmail(), type: "chat_started", resource_id: "r", kind: "registered" }), 422, "validation_failed");
    const bad = await w.interact({ email: "not-an-email", type: "chat_started", resource_id: "r" });
    assertError(assert, bad, 422, "validation_failed");
    assert.equal(bad.body.error.fields[0].field, "email");
  });

  it("starts a new customer when the email belongs to a soft-deleted one", async () => {
    const email = uniqueEmail("deleted");
    await w.interact({ email, type: "chat_started", resource_id: "r1" });
    const firstId = await w.customerIdByEmail(email);
    await w.delete(`/v1/customers/${firstId}`);
    await w.interact({ email, type: "chat_started", resource_id: "r2" });
    assert.notEqual(await w.customerIdByEmail(email), firstId);
    assert.equal((await w.get(`/v1/customers/${firstId}/interactions`)).body.data.length, 1);
  });

  it("creates exactly one customer for 24 simultaneous requests with one new email", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) =>
      w.interact({ email, type: "conference_joined", resource_id: `room-${i}` })));
    for (const r of results) assert.equal(r.status, 201, r.text);
    assert.equal(new Set(results.map((r) => r.body.interaction_id)).size, 24);
    const list = await w.customersByEmail(email, "all");
    assert.equal(list.length, 1);
    const history = await w.get(`/v1/customers/${list[0].id}/interactions?limit=100`);
    assert.equal(history.body.data.length, 24);
  });

  it("counts interactions in a force-delete dry run and removes them with the customer", async () => {
    const email = uniqueEmail("cascade");
    await w.interact({ email, type: "chat_started", resource_id: "r" });
    await w.interact({ email, type: "chat_started", resource_id: "r" });
    const id = await w.customerIdByEmail(email);
    const dry = await w.delete(`/v1/customers/${id}?permanent=true&dry_run=true`);
    assert.equal(dry.body.deleted.interactions, 2);
    const real = await w.delete(`/v1/customers/${id}?permanent=true`);
    assert.equal(real.body.deleted.interactions, 2);
    assertError(assert, await w.get(`/v1/customers/${id}/interactions`), 404, "not_found");
  });

  it("audits the customers public pages create, once, as the public actor and without personal values", async () => {
    const email = uniqueEmail("audited-visitor");
    const first = await w.interact({ email, name: "Vera Audit", phone: "+1 555 0177", type: "form_submitted", resource_id: "f" });
    await w.interact({ email, type: "chat_started", resource_id: "r" });
    const log = await w.auditOf(await w.customerIdByEmail(email));
    const text = JSON.stringify(log);
    assert.equal(log.length, 1, text);
    const [entry] = log;
    assert.equal(entry.action, "customer.create");
    assert.equal(entry.actor, "public");
    assert.equal(entry.request_id, first.headers.get("x-request-id"));
    assert.deepEqual(entry.changed_fields, ["email", "name", "phone"]);
    for (const personal of [email, "Vera", "555 0177"]) assert.ok(!text.includes(personal), `audit log leaks ${personal}`);
  });

  it("pages the history with a cursor", async () => {
    const email = uniqueEmail("pages");
    for (let i = 0; i < 5; i++) await w.interact({ email, type: "form_submitted", resource_id: `f${i}` });
    const id = await w.customerIdByEmail(email);
    const first = await w.get(`/v1/customers/${id}/interactions?limit=2`);
    assert.equal(first.body.has_more, true);
    const seen = [...first.body.data];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const page = await w.get(`/v1/customers/${id}/interactions?limit=2&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...page.body.data);
      cursor = page.body.next_cursor;
    }
    assert.deepEqual(seen.map((x) => x.resource_id), ["f4", "f3", "f2", "f1", "f0"]);
    assertError(assert, await w.get(`/v1/customers/${id}/interactions?cursor=bogus`), 400, "invalid_parameter");
  });

  it("needs no token but the history does", async () => {
    const email = uniqueEmail();
    const r = await w.interact({ email, type: "chat_started", resource_id: "r" });
    assert.equal(r.status, 201);
    assertError(assert, await w.get(`/v1/customers/${await w.customerIdByEmail(email)}/interactions`, { token: null }), 401, "unauthorized");
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin", async () => {
    const res = await w.call("OPTIONS", "/v1/public/interactions", { token: null, headers: {
      origin: "https://pages.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://pages.example");
    assert.match(res.headers.get("access-control-allow-methods"), /POST/);
    assert.match(res.headers.get("access-control-allow-headers").toLowerCase(), /content-type/);
  });

  it("gives no CORS headers to another origin", async () => {
    const pre = await w.call("OPTIONS", "/v1/public/interactions", { token: null, headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    assert.equal(pre.headers.get("access-control-allow-origin"), null);
    const res = await w.interact({ email: uniqueEmail(), type: "chat_started", resource_id: "r" }, { origin: "https://evil.example" });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });

  it("adds the origin to real answers for an allowed origin", async () => {
    const res = await w.interact({ email: uniqueEmail(), type: "chat_started", resource_id: "r" }, { origin: "https://pages.example" });
    assert.equal(res.headers.get("access-control-allow-origin"), "https://pages.example");
  });

  it("sends no permissive CORS headers on admin routes", async () => {
    const res = await w.get("/v1/customers", { headers: { origin: "https://pages.example" } });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });
});

describe("rate limiting", () => {
  let limited;
  before(async () => { limited = await startWorker({ rateLimit: 3 }); });
  after(async () => { await limited?.dispose(); });

  it("answers 429 with Retry-After once a client address passes the limit", async () => {
    const send = (addr) => limited.interact({ email: uniqueEmail("rl"), type: "chat_started", resource_id: "r" }, { "cf-connecting-ip": addr });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send("198.51.100.7")).status);
    assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
    const res = await send("198.51.100.7");
    assertError(assert, res, 429, "rate_limited");
    assert.equal(res.headers.get("retry-after"), "60");
    assert.equal((await send("198.51.100.8")).status, 201, "other addresses are unaffected");
  });
});
