import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("skeleton", () => {
  it("answers /health without a token", async () => {
    const res = await w.get("/health", { token: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: "ok" });
    assert.ok(res.headers.get("x-request-id"));
  });

  it("uses the incoming cf-ray as the request id", async () => {
    const res = await w.get("/nope", { headers: { "cf-ray": "abc123-AMS" } });
    assert.equal(res.headers.get("x-request-id"), "abc123-AMS");
    assert.equal(res.body.error.request_id, "abc123-AMS");
  });

  it("answers unknown routes with a JSON 404", async () => {
    assertError(assert, await w.get("/v1/nothing-here"), 404, "not_found");
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const res = await w.call("PUT", "/v1/customers");
    assertError(assert, res, 405, "method_not_allowed");
    assert.match(res.headers.get("allow"), /POST/);
  });

  it("refuses admin routes without a token", async () => {
    const res = await w.get("/v1/customers/0190b8a0-0000-7000-8000-000000000000", { token: null });
    assertError(assert, res, 401, "unauthorized");
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
  });

  it("refuses a wrong token the same way", async () => {
    const res = await w.get("/v1/customers/0190b8a0-0000-7000-8000-000000000000", { token: "wrong" });
    assertError(assert, res, 401, "unauthorized");
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
  });
});

describe("create and get", () => {
  it("creates a customer and reads it back", async () => {
    const email = uniqueEmail("ada");
    const res = await w.post("/v1/customers", { name: "Ada Lovelace", email, attributes: { plan: "pro" } });
    assert.equal(res.status, 201, res.text);
    const c = res.body;
    assert.match(c.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    assert.equal(res.headers.get("location"), `/v1/customers/${c.id}`);
    assert.equal(res.headers.get("etag"), '"1"');
    assert.equal(c.kind, "registered");
    assert.equal(c.source, "admin");
    assert.deepEqual(c.group_ids, []);
    assert.equal(c.deleted_at, null);
    assert.match(c.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const got = await w.get(`/v1/customers/${c.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, c);
    assert.equal(got.headers.get("etag"), '"1"');
  });

  it("refuses the same email in another case with 409 naming the existing customer", async () => {
    const email = uniqueEmail("dup");
    const first = await w.post("/v1/customers", { email });
    const second = await w.post("/v1/customers", { email: email.toUpperCase(), name: "Other" });
    assertError(assert, second, 409, "customer_exists");
    assert.equal(second.body.error.existing_id, first.body.id);
  });

  it("rejects an invalid email naming the field", async () => {
    const res = await w.post("/v1/customers", { name: "X", email: "not-an-email" });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "email");
  });

  it("rejects unknown fields", async () => {
    const res = await w.post("/v1/customers", { name: "X", nickname: "x" });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "nickname");
  });

  it("rejects malformed JSON", async () => {
    const res = await w.call("POST", "/v1/customers", { body: "{\"name\": ", headers: { "content-type": "application/json" } });
    assertError(assert, res, 400, "invalid_json");
  });

  it("rejects a body that is not JSON by content type", async () => {
    const res = await w.call("POST", "/v1/customers", { body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assertError(assert, res, 415, "unsupported_media_type");
  });

  it("rejects a body over 1 MiB", async () => {
    const res = await w.post("/v1/customers", { name: "x", notes: "a".repeat(1024 * 1024 + 10) });
    assertError(assert, res, 413, "payload_too_large");
  });

  it("answers 404 for an unknown or malformed id", async () => {
    assertError(assert, await w.get("/v1/customers/0190b8a0-0000-7000-8000-000000000000"), 404, "not_found");
    assertError(assert, await w.get("/v1/customers/not-a-uuid"), 404, "not_found");
  });
});

describe("resilience", () => {
  it("answers a panic with a JSON 500 and serves the very next request", async () => {
    const res = await w.get("/__test/panic", { token: null });
    assertError(assert, res, 500, "internal_error");
    assert.ok(!res.text.includes("test-only panic"), "no internals");
    const next = await w.post("/v1/customers", { name: "After the panic" });
    assert.equal(next.status, 201, next.text);
    assert.equal((await w.get("/health", { token: null })).status, 200);
  });

  it("answers a database failure with a JSON 500 that leaks no SQL", async () => {
    const res = await w.get("/__test/database-error", { token: null });
    assertError(assert, res, 500, "internal_error");
    assert.ok(!/no_such_table|SELECT|SQLITE/i.test(res.text), res.text);
  });
});

describe("methods", () => {
  it("answers a method the router does not know with 405, never as GET", async () => {
    const res = await w.call("QUERY", "/v1/customers?limit=1");
    assertError(assert, res, 405, "method_not_allowed");
    assert.equal(res.headers.get("allow"), "GET, POST");
  });

  it("keeps literal paths from being read as a customer id", async () => {
    const res = await w.delete("/v1/customers/export");
    assertError(assert, res, 405, "method_not_allowed");
    assert.equal(res.headers.get("allow"), "GET, POST");
    const filter = await w.get("/v1/customers/filter");
    assertError(assert, filter, 405, "method_not_allowed");
    assert.equal(filter.headers.get("allow"), "POST");
  });
});
