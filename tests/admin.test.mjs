// /admin: the admin console, served as Workers Static Assets (console/dist, built by
// console/build.mjs) before the worker runs, with the headers of console/_headers. The
// browser tests of the console itself are in console.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startWorker } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

function directives(csp) {
  return Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
}

describe("admin console", () => {
  it("serves the page without a token, as HTML, with a strict CSP", async () => {
    const res = await w.get("/admin", { token: null });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type"), /^text\/html; charset=utf-8$/i);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.equal(res.headers.get("cache-control"), "no-cache");

    const csp = res.headers.get("content-security-policy");
    assert.ok(csp, "Content-Security-Policy present");
    const d = directives(csp);
    assert.deepEqual(d["default-src"], ["'self'"]);
    assert.deepEqual(d["script-src"], ["'self'"], "scripts from this origin only: no inline script, no eval");
    assert.deepEqual(d["style-src"], ["'self'"]);
    assert.deepEqual(d["connect-src"], ["'self'"]);
    assert.deepEqual(d["frame-ancestors"], ["'none'"]);
    assert.deepEqual(d["object-src"], ["'none'"]);
  });

  it("is a shell that loads one script and one stylesheet of its own, nothing inline or external", async () => {
    const { text } = await w.get("/admin", { token: null });
    const scripts = [...text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0][1], /type="module" src="\/console\/app\.js\?v=[0-9a-f]{12}"/);
    assert.equal(scripts[0][2], "", "no inline script");
    assert.match(text, /<link rel="stylesheet" href="\/console\/app\.css\?v=[0-9a-f]{12}">/);
    assert.doesNotMatch(text, /(src|href)=["']?(https?:)?\/\//i);
    assert.doesNotMatch(text, /<style|\sstyle=|\son[a-z]+=/i);
  });

  it("serves the script and stylesheet as immutable, and the whole page is small", async () => {
    const { text } = await w.get("/admin", { token: null });
    let total = 0;
    for (const path of [/src="([^"]+\.js\?v=\w+)"/.exec(text)[1], /href="([^"]+\.css\?v=\w+)"/.exec(text)[1]]) {
      const res = await w.get(path, { token: null });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.match(res.headers.get("content-type"), path.includes(".js") ? /^text\/javascript/ : /^text\/css/);
      total += Buffer.byteLength(res.text);
    }
    // The gzipped size is held by scripts/check-size.mjs (the console budget); this bounds the
    // bytes a browser parses.
    assert.ok(total < 200 * 1024, `${total} bytes before compression`);
    const js = (await w.get(/src="([^"]+\.js\?v=\w+)"/.exec(text)[1], { token: null })).text;
    assert.match(js, /sessionStorage/);
    assert.doesNotMatch(js, /\beval\(|new Function\(|document\.write/);
    // The console's own code never writes HTML strings (Preact builds DOM nodes).
    for (const file of readdirSync(join(ROOT, "console/src"), { recursive: true }).filter((f) => f.endsWith(".js"))) {
      const src = readFileSync(join(ROOT, "console/src", file), "utf8");
      assert.doesNotMatch(src, /innerHTML|dangerouslySetInnerHTML|insertAdjacentHTML|\beval\(/, file);
    }
  });

  it("answers HEAD, refuses other methods, and serves /admin.html as /admin", async () => {
    const head = await w.call("HEAD", "/admin", { token: null });
    assert.equal(head.status, 200);
    const post = await w.call("POST", "/admin", { token: null });
    assert.equal(post.status, 405);
    const html = await w.call("GET", "/admin.html", { token: null, headers: {} });
    assert.equal(html.status, 200, "followed from the 307 to /admin");
    assert.match(html.text, /<title>Customers · admin console<\/title>/);
  });

  it("leaves the API to the worker: no asset shadows an API path, and _headers is not served", async () => {
    const res = await w.get("/_headers", { token: null });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "not_found");
    const api = await w.get("/v1/customers", { token: null });
    assert.equal(api.status, 401);
    assert.equal(api.headers.get("cache-control"), "no-store");
  });
});
