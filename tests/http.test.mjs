// HTTP plumbing shared by every route: health, request ids, unknown routes and methods, the
// token check, and JSON 500s that leak nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker } from "./harness.mjs";

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

describe("resilience", () => {
  it("answers a panic with a JSON 500 and serves the very next request", async () => {
    const res = await w.get("/__test/panic", { token: null });
    assertError(assert, res, 500, "internal_error");
    assert.ok(!res.text.includes("test-only panic"), "no internals");
    await w.createCustomer({ name: "After the panic" });
    assert.equal((await w.get("/health", { token: null })).status, 200);
  });

  it("answers a database failure with a JSON 500 that leaks no SQL", async () => {
    const res = await w.get("/__test/database-error", { token: null });
    assertError(assert, res, 500, "internal_error");
    assert.ok(!/no_such_table|SELECT|SQLITE/i.test(res.text), res.text);
  });
});

describe("an overloaded D1", () => {
  const overloaded = { "x-test-d1-fail": "overloaded" };

  it("answers a read with 503 service_unavailable and Retry-After", async () => {
    const res = await w.get("/v1/customers", { headers: overloaded });
    assertError(assert, res, 503, "service_unavailable");
    assert.equal(res.headers.get("retry-after"), "1");
    assert.ok(!/overloaded|D1_ERROR|queued/i.test(res.text), res.text);
  });

  it("answers a write with 503 and writes nothing", async () => {
    const name = `Overloaded ${Date.now()}`;
    const res = await w.post("/v1/customers", { name }, { headers: overloaded });
    assertError(assert, res, 503, "service_unavailable");
    assert.equal(res.headers.get("retry-after"), "1");
    const list = await w.get(`/v1/customers?q=${encodeURIComponent(name)}`);
    assert.deepEqual(list.body.data, []);
  });

  it("is a test-only switch: without ENABLE_TEST_ROUTES the header changes nothing", async () => {
    const prod = await startWorker({ vars: { ENABLE_TEST_ROUTES: "false" } });
    try {
      assert.equal((await prod.get("/v1/customers", { headers: overloaded })).status, 200);
    } finally {
      await prod.dispose();
    }
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
