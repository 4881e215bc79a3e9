// Customer users (contacts) and their activation links: issue, activate, reuse, revocation, expiry
// (the clock moved with the test-only X-Test-Now header), unknown and malformed tokens, CORS and the
// rate limit of the public endpoint, and a race of 20 activations with one token.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, UNKNOWN_ID, uniqueEmail } from "./harness.mjs";

const BASE = "https://portal.example/activate#token=";
const HOUR = 3600 * 1000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

let w;
before(async () => { w = await startWorker({ vars: { ACTIVATION_URL_BASE: BASE } }); });
after(async () => { await w?.dispose(); });

let ip = 0;
// POST /v1/public/contacts/activate without a token, each call from its own address unless `headers` names one.
function activate(w, body, headers = {}) {
  ip += 1;
  return w.call("POST", "/v1/public/contacts/activate", {
    json: typeof body === "string" ? { token: body } : body, token: null,
    headers: { "cf-connecting-ip": `203.0.113.${ip % 250}`, ...headers } });
}
const linkPath = (customerId, contactId) => `/v1/customers/${customerId}/contacts/${contactId}/activation-link`;
const issue = (w, customerId, contactId, opts) => w.post(linkPath(customerId, contactId), undefined, opts);
// A link for the contact; expects 201, returns {url, expires_at, token}.
async function link(w, customerId, contactId, opts) {
  const res = await issue(w, customerId, contactId, opts);
  assert.equal(res.status, 201, res.text);
  return { ...res.body, token: res.body.url.slice(BASE.length) };
}
// A customer with one pending contact.
async function pendingContact(w) {
  const customer = await w.createCustomer({ name: "Org", company: "Org Ltd" });
  return { customer, contact: await w.createContact(customer.id, { first_name: "Ada" }) };
}
const contactOf = async (w, customerId, contactId) =>
  (await w.get(`/v1/customers/${customerId}/contacts`)).body.data.find((c) => c.id === contactId);
const sha256 = (s) => createHash("sha256").update(s).digest("hex");

describe("contact status", () => {
  it("starts a new contact pending, not activated; status cannot be set on create", async () => {
    const { customer, contact } = await pendingContact(w);
    assert.equal(contact.status, "pending");
    assert.equal(contact.activated_at, null);
    const res = await w.post(`/v1/customers/${customer.id}/contacts`, { email: uniqueEmail(), status: "active" });
    assertError(assert, res, 422, "validation_failed");
    assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]), [["status", "read_only"]]);
  });

  it("disables and enables a contact back to what it was; PATCH never activates", async () => {
    const { customer, contact } = await pendingContact(w);
    const path = `/v1/customers/${customer.id}/contacts/${contact.id}`;
    const refused = await w.patch(path, { status: "active" });
    assertError(assert, refused, 422, "validation_failed");
    assert.equal(refused.body.error.fields[0].code, "activation_required");
    assertError(assert, await w.patch(path, { status: "enabled" }), 422, "validation_failed");
    const disabled = await w.patch(path, { status: "disabled" });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(disabled.body.status, "disabled");
    assertError(assert, await w.patch(path, { status: "active" }), 422, "validation_failed");
    assert.equal((await w.patch(path, { status: "pending" })).body.status, "pending");

    const { token } = await link(w, customer.id, contact.id);
    assert.equal((await activate(w, token)).status, 200);
    assert.equal((await w.patch(path, { status: "disabled" })).body.status, "disabled");
    const stillActivated = await contactOf(w, customer.id, contact.id);
    assert.ok(stillActivated.activated_at, "disabling keeps activated_at");
    const notPending = await w.patch(path, { status: "pending" });
    assertError(assert, notPending, 422, "validation_failed");
    assert.equal(notPending.body.error.fields[0].code, "already_activated");
    const enabled = await w.patch(path, { status: "active" });
    assert.equal(enabled.body.status, "active");
    assert.equal(enabled.body.activated_at, stillActivated.activated_at);
    const log = (await w.get(`/v1/audit-log?target_id=${contact.id}&action=contact.update&limit=100`)).body.data;
    assert.ok(log.every((e) => JSON.stringify(e.changed_fields) === '["status"]' && e.details.customer_id === customer.id), JSON.stringify(log));
    assert.equal(log.length, 4, "disable, enable, disable, enable");
  });

  it("asking for the status a contact has already writes nothing", async () => {
    const { customer, contact } = await pendingContact(w);
    const res = await w.patch(`/v1/customers/${customer.id}/contacts/${contact.id}`, { status: "pending" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.updated_at, contact.updated_at);
    assert.deepEqual((await w.auditOf(contact.id)).map((e) => e.action), ["contact.create"]);
  });
});

describe("issuing an activation link", () => {
  it("answers 201 {url, expires_at, sent}: the base and a 43-character token, 72 hours, stored only hashed", async () => {
    const { customer, contact } = await pendingContact(w);
    const before = Date.now();
    const res = await issue(w, customer.id, contact.id);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ["expires_at", "sent", "url"]);
    assert.ok(res.body.url.startsWith(BASE), res.body.url);
    const token = res.body.url.slice(BASE.length);
    assert.match(token, TOKEN);
    const expires = Date.parse(res.body.expires_at);
    assert.ok(expires >= before + 72 * HOUR && expires <= Date.now() + 72 * HOUR, res.body.expires_at);
    assert.match(res.body.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const rows = (await w.db.prepare("SELECT * FROM contact_activation_links WHERE contact_id = ?").bind(contact.id).all()).results;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].token_hash, sha256(token));
    assert.ok(!JSON.stringify(rows).includes(token), "the token itself is not stored");
    const second = await link(w, customer.id, contact.id);
    assert.notEqual(second.token, token);
  });

  it("audits the issuing under the contact, naming the customer, without the token", async () => {
    const { customer, contact } = await pendingContact(w);
    const res = await issue(w, customer.id, contact.id);
    const [entry] = (await w.auditOf(contact.id)).filter((e) => e.action === "contact.issue_activation_link");
    assert.equal(entry.actor, "admin-token");
    assert.equal(entry.request_id, res.headers.get("x-request-id"));
    assert.equal(entry.details.customer_id, customer.id);
    assert.equal(entry.details.expires_at, res.body.expires_at);
    assert.ok(!JSON.stringify(entry).includes(res.body.url.slice(BASE.length)));
  });

  it("refuses an active or disabled contact with 409, and writes nothing", async () => {
    const { customer, contact } = await pendingContact(w);
    assert.equal((await activate(w, (await link(w, customer.id, contact.id)).token)).status, 200);
    assertError(assert, await issue(w, customer.id, contact.id), 409, "contact_already_active");
    const other = await w.createContact(customer.id);
    await w.patch(`/v1/customers/${customer.id}/contacts/${other.id}`, { status: "disabled" });
    assertError(assert, await issue(w, customer.id, other.id), 409, "contact_disabled");
    const rows = (await w.db.prepare("SELECT * FROM contact_activation_links WHERE contact_id = ?").bind(other.id).all()).results;
    assert.deepEqual(rows, []);
  });

  it("refuses a soft-deleted customer (409), an unknown contact or customer (404), a caller without customers:update (403)", async () => {
    const { customer, contact } = await pendingContact(w);
    assertError(assert, await issue(w, customer.id, UNKNOWN_ID), 404, "not_found");
    assertError(assert, await issue(w, UNKNOWN_ID, contact.id), 404, "not_found");
    const elsewhere = await w.createCustomer();
    assertError(assert, await issue(w, elsewhere.id, contact.id), 404, "not_found");
    const reader = await w.createKey(["customers:read"]);
    assertError(assert, await issue(w, customer.id, contact.id, { token: reader.secret }), 403, "forbidden");
    assertError(assert, await issue(w, customer.id, contact.id, { token: null }), 401, "unauthorized");
    await w.delete(`/v1/customers/${customer.id}`);
    assertError(assert, await issue(w, customer.id, contact.id), 409, "customer_deleted");
  });
});

describe("activating", () => {
  it("makes the contact active with activated_at and answers only {status: active}", async () => {
    const { customer, contact } = await pendingContact(w);
    const { token } = await link(w, customer.id, contact.id);
    const before = new Date().toISOString();
    const res = await activate(w, token);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { status: "active" });
    for (const secret of [contact.id, customer.id, contact.email]) assert.ok(!res.text.includes(secret));
    const after = await contactOf(w, customer.id, contact.id);
    assert.equal(after.status, "active");
    assert.ok(after.activated_at >= before, after.activated_at);
    assert.equal(after.updated_at, after.activated_at);
  });

  it("audits the activation as the public actor, naming the customer", async () => {
    const { customer, contact } = await pendingContact(w);
    const res = await activate(w, (await link(w, customer.id, contact.id)).token);
    const entries = (await w.auditOf(contact.id)).filter((e) => e.action === "contact.activate");
    assert.equal(entries.length, 1);
    assert.equal(entries[0].actor, "public");
    assert.equal(entries[0].request_id, res.headers.get("x-request-id"));
    assert.deepEqual(entries[0].changed_fields, ["status", "activated_at"]);
    assert.equal(entries[0].details.customer_id, customer.id);
  });

  it("refuses a used link with 410 link_expired", async () => {
    const { customer, contact } = await pendingContact(w);
    const { token } = await link(w, customer.id, contact.id);
    assert.equal((await activate(w, token)).status, 200);
    const again = await activate(w, token);
    assertError(assert, again, 410, "link_expired");
    assert.ok(!again.text.includes(contact.id) && !again.text.includes(customer.id));
  });

  it("refuses a link revoked by a newer one with 410; the newer one works", async () => {
    const { customer, contact } = await pendingContact(w);
    const first = await link(w, customer.id, contact.id);
    const second = await link(w, customer.id, contact.id);
    assertError(assert, await activate(w, first.token), 410, "link_expired");
    assert.equal((await contactOf(w, customer.id, contact.id)).status, "pending");
    assert.equal((await activate(w, second.token)).status, 200);
  });

  it("refuses a link from its expiry on: 72 hours later it is 410, a millisecond before it works", async () => {
    const { customer, contact } = await pendingContact(w);
    const { token, expires_at } = await link(w, customer.id, contact.id);
    assertError(assert, await activate(w, token, { "x-test-now": expires_at }), 410, "link_expired");
    const later = new Date(Date.parse(expires_at) + 24 * HOUR).toISOString();
    assertError(assert, await activate(w, token, { "x-test-now": later }), 410, "link_expired");
    assert.equal((await contactOf(w, customer.id, contact.id)).status, "pending");
    const justBefore = new Date(Date.parse(expires_at) - 1).toISOString();
    assert.equal((await activate(w, token, { "x-test-now": justBefore })).status, 200);
  });

  it("refuses a link issued more than 72 hours ago", async () => {
    const { customer, contact } = await pendingContact(w);
    const issuedAt = new Date(Date.now() - 72 * HOUR - 60_000).toISOString();
    const { token, expires_at } = await link(w, customer.id, contact.id, { headers: { "x-test-now": issuedAt } });
    assert.ok(Date.parse(expires_at) < Date.now());
    assertError(assert, await activate(w, token), 410, "link_expired");
  });

  it("answers 404 for a well-formed token no link ever had", async () => {
    const res = await activate(w, "A".repeat(43));
    assertError(assert, res, 404, "not_found");
  });

  it("refuses malformed input: 422 for a bad body, 400 for bad JSON, 415 for another content type", async () => {
    for (const body of [{}, { token: "short" }, { token: 42 }, { token: null }, { token: `${"a".repeat(42)}=` },
                        { token: "A".repeat(43), email: "x@example.com" }, ["A".repeat(43)], "A".repeat(44)]) {
      const res = await activate(w, body);
      assertError(assert, res, 422, "validation_failed");
      assert.ok(res.body.error.fields.length >= 1, res.text);
    }
    const tokenless = await activate(w, { token: "A".repeat(43), email: "x@example.com" });
    assert.deepEqual(tokenless.body.error.fields.map((f) => [f.field, f.code]), [["email", "unknown_field"]]);
    const badJson = await w.call("POST", "/v1/public/contacts/activate", { token: null, body: "{", headers: { "content-type": "application/json" } });
    assertError(assert, badJson, 400, "invalid_json");
    const form = await w.call("POST", "/v1/public/contacts/activate", { token: null, body: "token=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assertError(assert, form, 415, "unsupported_media_type");
    assertError(assert, await w.get("/v1/public/contacts/activate", { token: null }), 405, "method_not_allowed");
  });

  it("refuses a link once the contact is disabled, even after it is enabled again", async () => {
    const { customer, contact } = await pendingContact(w);
    const { token } = await link(w, customer.id, contact.id);
    const path = `/v1/customers/${customer.id}/contacts/${contact.id}`;
    await w.patch(path, { status: "disabled" });
    assertError(assert, await activate(w, token), 410, "link_expired");
    await w.patch(path, { status: "pending" });
    assertError(assert, await activate(w, token), 410, "link_expired");
    assert.equal((await activate(w, (await link(w, customer.id, contact.id)).token)).status, 200);
  });

  it("refuses a link once the contact's email changed; other changes keep it", async () => {
    const { customer, contact } = await pendingContact(w);
    const path = `/v1/customers/${customer.id}/contacts/${contact.id}`;
    const kept = await link(w, customer.id, contact.id);
    await w.patch(path, { last_name: "Lovelace", phone: "+44 20 7946 0958" });
    assert.equal((await activate(w, kept.token)).status, 200);
    const other = await w.createContact(customer.id);
    const otherPath = `/v1/customers/${customer.id}/contacts/${other.id}`;
    const stale = await link(w, customer.id, other.id);
    await w.patch(otherPath, { email: uniqueEmail("moved") });
    assertError(assert, await activate(w, stale.token), 410, "link_expired");
  });

  it("refuses a link while its customer is soft-deleted; a removed contact's link is unknown", async () => {
    const { customer, contact } = await pendingContact(w);
    const { token } = await link(w, customer.id, contact.id);
    await w.delete(`/v1/customers/${customer.id}`);
    assertError(assert, await activate(w, token), 410, "link_expired");
    await w.post(`/v1/customers/${customer.id}/restore`);
    const other = await w.createContact(customer.id);
    const removed = await link(w, customer.id, other.id);
    await w.delete(`/v1/customers/${customer.id}/contacts/${other.id}`);
    assertError(assert, await activate(w, removed.token), 404, "not_found");
    await w.delete(`/v1/customers/${customer.id}?permanent=true`);
    assertError(assert, await activate(w, token), 404, "not_found");
  });

  it("refuses a link once its customer was redacted", async () => {
    const { customer, contact } = await pendingContact(w);
    const { token } = await link(w, customer.id, contact.id);
    assert.equal((await w.post(`/v1/customers/${customer.id}/redact`)).status, 200);
    assertError(assert, await activate(w, token), 410, "link_expired");
    assert.equal((await contactOf(w, customer.id, contact.id)).status, "pending");
  });

  it("activates exactly once for 20 simultaneous requests with one token", async () => {
    const { customer, contact } = await pendingContact(w);
    const { token } = await link(w, customer.id, contact.id);
    const results = await Promise.all(Array.from({ length: 20 }, () => activate(w, token)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, ...Array(19).fill(410)], results.map((r) => r.text).join("\n"));
    for (const r of results.filter((r) => r.status === 410)) assertError(assert, r, 410, "link_expired");
    const activations = (await w.auditOf(contact.id)).filter((e) => e.action === "contact.activate");
    assert.equal(activations.length, 1);
    const row = (await w.db.prepare("SELECT used_at FROM contact_activation_links WHERE contact_id = ?").bind(contact.id).first());
    assert.equal((await contactOf(w, customer.id, contact.id)).activated_at, row.used_at);
  });
});

describe("activation CORS", () => {
  it("answers a preflight from an allowed origin like the public interactions endpoint", async () => {
    const res = await w.call("OPTIONS", "/v1/public/contacts/activate", { token: null, headers: {
      origin: "https://pages.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://pages.example");
    assert.equal(res.headers.get("access-control-allow-methods"), "POST, OPTIONS");
    assert.match(res.headers.get("access-control-allow-headers").toLowerCase(), /content-type/);
    const interactions = await w.call("OPTIONS", "/v1/public/interactions", { token: null, headers: {
      origin: "https://pages.example", "access-control-request-method": "POST" } });
    for (const h of ["access-control-allow-headers", "access-control-max-age", "vary"]) {
      assert.equal(res.headers.get(h), interactions.headers.get(h), h);
    }
  });

  it("adds the origin to answers, errors included, for an allowed origin only", async () => {
    const { customer, contact } = await pendingContact(w);
    const ok = await activate(w, (await link(w, customer.id, contact.id)).token, { origin: "https://pages.example" });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://pages.example");
    assert.match(ok.headers.get("access-control-expose-headers"), /X-Request-Id/);
    const missing = await activate(w, "B".repeat(43), { origin: "https://pages.example" });
    assert.equal(missing.headers.get("access-control-allow-origin"), "https://pages.example");
    const evil = await activate(w, "B".repeat(43), { origin: "https://evil.example" });
    assert.equal(evil.headers.get("access-control-allow-origin"), null);
    const pre = await w.call("OPTIONS", "/v1/public/contacts/activate", { token: null, headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    assert.equal(pre.headers.get("access-control-allow-origin"), null);
  });

  it("keeps CORS off the admin route that issues links", async () => {
    const { customer, contact } = await pendingContact(w);
    const res = await issue(w, customer.id, contact.id, { headers: { origin: "https://pages.example" } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });
});

describe("a deployment without test mode and with a low rate limit", () => {
  let prod;
  before(async () => { prod = await startWorker({ rateLimit: 3, vars: { ACTIVATION_URL_BASE: BASE, ENABLE_TEST_ROUTES: "false" } }); });
  after(async () => { await prod?.dispose(); });

  it("rate-limits activation per client address with 429 and Retry-After, sharing the public budget", async () => {
    const send = (addr) => activate(prod, "C".repeat(43), { "cf-connecting-ip": addr });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send("198.51.100.9")).status);
    assert.deepEqual(statuses, [404, 404, 404, 429, 429]);
    const res = await send("198.51.100.9");
    assertError(assert, res, 429, "rate_limited");
    assert.equal(res.headers.get("retry-after"), "60");
    const interaction = await prod.call("POST", "/v1/public/interactions", { token: null,
      json: { email: uniqueEmail(), type: "chat_started", resource_id: "r" }, headers: { "cf-connecting-ip": "198.51.100.9" } });
    assert.equal(interaction.status, 429, "one budget for the address across public endpoints");
    assert.equal((await send("198.51.100.10")).status, 404, "other addresses are unaffected");
  });

  it("ignores X-Test-Now: the clock cannot be moved outside test mode", async () => {
    const { customer, contact } = await pendingContact(prod);
    const before = Date.now();
    const res = await issue(prod, customer.id, contact.id, { headers: { "x-test-now": "2000-01-01T00:00:00.000Z" } });
    assert.equal(res.status, 201, res.text);
    assert.ok(Date.parse(res.body.expires_at) >= before + 72 * HOUR, res.body.expires_at);
    const late = new Date(Date.now() + 100 * HOUR).toISOString();
    const ok = await activate(prod, res.body.url.slice(BASE.length), { "x-test-now": late, "cf-connecting-ip": "198.51.100.20" });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe("a deployment without ACTIVATION_URL_BASE", () => {
  let bare;
  before(async () => { bare = await startWorker(); });
  after(async () => { await bare?.dispose(); });

  it("answers 503 not_configured naming the variable, and writes nothing", async () => {
    const { customer, contact } = await pendingContact(bare);
    const res = await issue(bare, customer.id, contact.id);
    assertError(assert, res, 503, "not_configured");
    assert.match(res.body.error.message, /ACTIVATION_URL_BASE/);
    assert.equal(res.headers.get("retry-after"), null);
    assert.deepEqual((await bare.db.prepare("SELECT * FROM contact_activation_links").all()).results, []);
    assert.deepEqual((await bare.auditOf(contact.id)).map((e) => e.action), ["contact.create"]);
  });
});
