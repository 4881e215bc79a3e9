// What Workers Static Assets answer in place of the worker: the OpenAPI document, copied from
// src/openapi.json by console/build.mjs, with the headers of console/_headers.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertError, ROOT, startWorker } from "./harness.mjs";

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
