// GET /admin: the admin console page, served by the worker without a token.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startWorker } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("admin console", () => {
  it("serves the page without a token, as HTML, with a strict CSP", async () => {
    const res = await w.get("/admin", { token: null });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type"), /^text\/html; charset=utf-8$/i);
    assert.ok(res.headers.get("x-request-id"));
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("cache-control"), "no-store");

    const csp = res.headers.get("content-security-policy");
    assert.ok(csp, "Content-Security-Policy present");
    const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    assert.deepEqual(directives["default-src"], ["'self'"]);
    assert.deepEqual(directives["connect-src"], ["'self'"]);
    assert.deepEqual(directives["frame-ancestors"], ["'none'"]);
    assert.deepEqual(directives["style-src"], ["'unsafe-inline'"]);
    assert.equal(directives["script-src"].length, 1);

    // The one inline script is allowed by its hash, so the page actually runs under the policy.
    const scripts = [...res.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1);
    const hash = createHash("sha256").update(scripts[0], "utf8").digest("base64");
    assert.deepEqual(directives["script-src"], [`'sha256-${hash}'`]);
  });

  it("asks for a token and talks to the API with it", async () => {
    const { text } = await w.get("/admin", { token: null });
    assert.match(text, /<form id="token-form"/);
    assert.match(text, /<input id="token-input" type="password"/);
    assert.match(text, /API token/);
    assert.match(text, /sessionStorage/);
    assert.match(text, /Authorization: 'Bearer ' \+ S\.token/);
  });

  it("is self-contained: no external resources, small", async () => {
    const { text } = await w.get("/admin", { token: null });
    assert.ok(Buffer.byteLength(text) < 40 * 1024, `${Buffer.byteLength(text)} bytes`);
    assert.doesNotMatch(text, /(src|href)=["']?(https?:)?\/\//i);
    assert.doesNotMatch(text, /<link|@import|innerHTML/);
  });

  it("answers HEAD and refuses other methods", async () => {
    const head = await w.call("HEAD", "/admin", { token: null });
    assert.equal(head.status, 200);
    const post = await w.call("POST", "/admin", { token: null });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET");
  });
});
