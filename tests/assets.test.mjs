// What Workers Static Assets answer in place of the worker: the OpenAPI document, copied from
// src/openapi.json by console/build.mjs, with the headers of console/_headers. And what the
// worker leaves to the runtime to keep its wasm small, checked in the runtime itself (the unit
// tests run the native stand-ins): the URL's query, case folding of emails, times with offsets.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertError, ROOT, startWorker, uniqueEmail } from "./harness.mjs";

const DOCUMENT = readFileSync(join(ROOT, "src/openapi.json"));

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("GET /openapi.json", () => {
  it("answers src/openapi.json byte for byte without a token", async () => {
    const res = await w.get("/openapi.json", { token: null });
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(res.text).equals(DOCUMENT), "the body is src/openapi.json as built");
    assert.equal(res.body.openapi, "3.1.0");
  });

  it("is JSON that shared caches may keep for five minutes", async () => {
    const res = await w.get("/openapi.json", { token: null });
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "public, max-age=300");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  });

  it("answers the same with the admin token", async () => {
    const res = await w.get("/openapi.json");
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(res.text).equals(DOCUMENT));
  });

  it("answers a revalidation with its ETag by 304", async () => {
    const first = await w.get("/openapi.json", { token: null });
    const etag = first.headers.get("etag");
    assert.ok(etag, "an ETag to revalidate with");
    const again = await w.get("/openapi.json", { token: null, headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await w.call("HEAD", "/openapi.json", { token: null });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(res.text, "");
  });

  // The platform's asset router answers other methods on an asset's path itself (as for
  // /admin), without the worker's JSON error body.
  it("answers other methods with 405", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await w.call(method, "/openapi.json", { token: null, json: {} });
      assert.equal(res.status, 405, method);
    }
  });
});

describe("the wasm", () => {
  it("does not carry the OpenAPI document", () => {
    const wasm = readFileSync(join(ROOT, "build/index_bg.wasm"));
    const marker = DOCUMENT.toString("utf8").match(/"description":\s*"([^"]{40,})"/)[1];
    assert.equal(wasm.includes(Buffer.from(marker)), false, `the wasm holds "${marker}"`);
  });
});

describe("the runtime's parsing in the worker", () => {
  const tag = `rt${Math.random().toString(36).slice(2, 8)}`;

  it("decodes the query string: + is a space, %2B a plus", async () => {
    const c = await w.createCustomer({ name: `${tag} a+b c`, email: uniqueEmail("plus") });
    const found = await w.get(`/v1/customers?q=${tag}+a%2Bb+c`);
    assert.deepEqual(found.body.data.map((x) => x.id), [c.id]);
    const spaced = await w.get(`/v1/customers?q=${tag}+a+b+c`);
    assert.deepEqual(spaced.body.data, []);
  });

  it("still refuses a parameter given twice and one it does not know", async () => {
    assertError(assert, await w.get(`/v1/customers?q=a&q=b`), 400, "invalid_parameter");
    assertError(assert, await w.get(`/v1/customers?q=a&colour=red`), 400, "invalid_parameter");
  });

  it("folds the case of non-ASCII emails: ÄDA and äda are one address", async () => {
    const local = `äda.${tag}`;
    const first = await w.createCustomer({ name: "Äda", email: `${local.toUpperCase()}@example.com` });
    const second = await w.post("/v1/customers", { name: "äda", email: `${local}@example.com` });
    assertError(assert, second, 409, "customer_exists");
    assert.equal(second.body.error.existing_id, first.id);
  });

  it("folds a word-final capital sigma to ς, as stored addresses were", async () => {
    const first = await w.createCustomer({ name: "Odysseus", email: `ΟΔΥΣΣΕΥΣ@${tag}.example.gr` });
    const second = await w.post("/v1/customers", { name: "odysseus", email: `οδυσσευς@${tag}.example.gr` });
    assertError(assert, second, 409, "customer_exists");
    assert.equal(second.body.error.existing_id, first.id);
  });

  it("reads a time with an offset as the same instant in UTC", async () => {
    const c = await w.createCustomer({ name: `${tag} timed`, email: uniqueEmail("timed") });
    const at = new Date(c.created_at).getTime();
    // The creation instant minus and plus one millisecond, written in India's +05:30.
    const ist = (ms) => new Date(ms + 330 * 60_000).toISOString().replace("Z", "+05:30");
    const list = async (q) => (await w.get(`/v1/customers?q=${tag}+timed&${q}`)).body.data.map((x) => x.id);
    assert.deepEqual(await list(`created_after=${encodeURIComponent(ist(at - 1))}`), [c.id]);
    assert.deepEqual(await list(`created_after=${encodeURIComponent(ist(at))}`), []);
    assert.deepEqual(await list(`created_before=${encodeURIComponent(ist(at + 1))}`), [c.id]);
  });

  it("reads a bare date as its midnight UTC and refuses one not written YYYY-MM-DD", async () => {
    const ok = await w.get(`/v1/customers?q=${tag}&created_after=2000-01-01`);
    assert.equal(ok.status, 200);
    assert.ok(ok.body.data.length > 0);
    assertError(assert, await w.get(`/v1/customers?q=${tag}&created_after=2000-1-1`), 400, "invalid_parameter");
  });
});
