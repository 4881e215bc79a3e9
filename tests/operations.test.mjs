// Operating the service: every request runs in a D1 session (read replication) whose bookmark
// travels in X-D1-Bookmark, and writes one JSON log line with no personal value in it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assertError, ROOT, startWorker, uniqueEmail, UNKNOWN_ID } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

describe("D1 sessions", () => {
  it("returns a bookmark on every admin answer, reads and writes", async () => {
    const list = await w.get("/v1/customers");
    assert.match(list.headers.get("x-d1-bookmark") ?? "", BOOKMARK);
    const made = await w.post("/v1/customers", { name: "Bookmarked" });
    assert.match(made.headers.get("x-d1-bookmark") ?? "", BOOKMARK);
    const missing = await w.get("/v1/customers/00000000-0000-7000-8000-000000000000");
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get("x-d1-bookmark") ?? "", BOOKMARK, "errors after a query carry it too");
  });

  it("reads its own write when the bookmark is echoed", async () => {
    const email = uniqueEmail("own-write");
    const made = await w.post("/v1/customers", { email });
    const bookmark = made.headers.get("x-d1-bookmark");
    const read = await w.get(`/v1/customers?email=${encodeURIComponent(email)}`, { headers: { "x-d1-bookmark": bookmark } });
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body.data.map((c) => c.id), [made.body.id]);
    assert.ok(read.headers.get("x-d1-bookmark") >= bookmark, "the bookmark never goes back");
  });

  it("answers 400 invalid_header to a garbage bookmark, never 500", async () => {
    for (const bad of ["not a bookmark", "abc", "'; DROP TABLE customers; --", "0".repeat(300)]) {
      const res = await w.get("/v1/customers", { headers: { "x-d1-bookmark": bad } });
      assertError(assert, res, 400, "invalid_header");
      assert.equal(res.body.error.header, "X-D1-Bookmark");
    }
  });

  it("lets the public pages read the bookmark across origins", async () => {
    const res = await w.call("POST", "/v1/public/interactions", { token: null,
      json: { email: uniqueEmail("cors"), type: "chat_started", resource_id: "r" },
      headers: { origin: "https://pages.example", "cf-connecting-ip": "198.51.100.200" } });
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.get("access-control-expose-headers"), /X-D1-Bookmark/);
    assert.match(res.headers.get("x-d1-bookmark") ?? "", BOOKMARK);
  });
});

describe("request logs", () => {
  it("writes one JSON line per request with its route pattern, status, time and actor kind", async () => {
    const made = await w.post("/v1/customers", { name: "Logged" });
    await new Promise((r) => setTimeout(r, 100));
    const id = made.headers.get("x-request-id");
    const lines = w.logs.filter((l) => l.includes(id));
    assert.equal(lines.length, 1, lines.join("\n"));
    const line = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(line).sort(), ["actor", "d1_statements", "method", "ms", "request_id", "route", "rows_read", "rows_written", "session", "status", "wasm_mib"]);
    assert.deepEqual([line.method, line.route, line.status, line.actor], ["POST", "/v1/customers", 201, "admin_token"]);
    assert.equal(typeof line.ms, "number");
    assert.ok(line.rows_written >= 2, `the customer and its audit row: ${lines[0]}`);
    const got = await w.get(`/v1/customers/${made.body.id}`);
    await new Promise((r) => setTimeout(r, 100));
    const getLine = JSON.parse(w.logs.find((l) => l.includes(got.headers.get("x-request-id"))));
    assert.equal(getLine.route, "/v1/customers/{id}", "the pattern, not the id");
    assert.ok(getLine.rows_read >= 1 && getLine.rows_written === 0, JSON.stringify(getLine));
    // Where each D1 session started: a write at the primary, a read at any replica, a read
    // after a bookmark the client echoed there; no session for a request without D1.
    const echoed = await w.get(`/v1/customers/${made.body.id}`, { headers: { "x-d1-bookmark": made.headers.get("x-d1-bookmark") } });
    const health = await w.get("/health", { token: null });
    await new Promise((r) => setTimeout(r, 100));
    const sessionOf = (res) => JSON.parse(w.logs.find((l) => l.includes(res.headers.get("x-request-id")))).session;
    assert.deepEqual([line.session, getLine.session, sessionOf(echoed), sessionOf(health)], ["primary", "any_replica", "bookmark", "none"]);
  });

  it("with REQUEST_LOG=errors, logs the answers of 400 and above and no other", async () => {
    const quiet = await startWorker({ vars: { REQUEST_LOG: "errors" } });
    try {
      const ok = await quiet.get("/v1/customers?limit=1");
      assert.equal(ok.status, 200, ok.text);
      const missing = await quiet.get(`/v1/customers/${UNKNOWN_ID}`);
      assertError(assert, missing, 404, "not_found");
      const refused = await quiet.get("/v1/customers", { token: "not-a-key" });
      assert.equal(refused.status, 401);
      await new Promise((r) => setTimeout(r, 100));
      const lineOf = (res) => quiet.logs.filter((l) => l.includes(res.headers.get("x-request-id")));
      assert.deepEqual(lineOf(ok), [], "a 200 writes no line");
      assert.equal(lineOf(missing).length, 1, quiet.logs.join("\n"));
      assert.deepEqual([JSON.parse(lineOf(missing)[0]).status, JSON.parse(lineOf(refused)[0]).status], [404, 401]);
    } finally {
      await quiet.dispose();
    }
  });

  it("never logs an email, a name, a phone or a search term", async () => {
    const email = uniqueEmail("secret-person");
    const name = "Zebulon Quixotic";
    await w.post("/v1/customers", { name, email, phone: "+1 555 0100 77" });
    await w.get(`/v1/customers?q=${encodeURIComponent("quixotic")}`);
    await w.call("POST", "/v1/public/interactions", { token: null,
      json: { email: `pub-${email}`, name: "Publicly Named", type: "form_submitted", resource_id: "form-x" },
      headers: { "cf-connecting-ip": "198.51.100.201" } });
    await w.get(`/v1/customers?email=${encodeURIComponent(email)}`);
    await new Promise((r) => setTimeout(r, 100));
    const text = w.logs.join("\n").toLowerCase();
    for (const personal of [email, "zebulon", "quixotic", "555 0100", "publicly named", "form-x"]) {
      assert.ok(!text.includes(personal.toLowerCase()), `the logs hold ${personal}`);
    }
  });
});

describe("settings", () => {
  it("a malformed setting is named by /health (503 not_configured) and keeps its default elsewhere", async () => {
    const bad = await startWorker({ vars: { IMPORT_MAX_ROWS: "ten thousand" } });
    try {
      const health = await bad.get("/health", { token: null });
      assertError(assert, health, 503, "not_configured");
      assert.match(health.body.error.message, /IMPORT_MAX_ROWS/);
      const rows = Array.from({ length: 3 }, (_, i) => `Row ${i},row-${i}@example.com`).join("\n");
      const imported = await bad.importCsv(`name,email\n${rows}\n`, "?dry_run=true");
      assert.equal(imported.status, 200, imported.text);
    } finally {
      await bad.dispose();
    }
    assert.equal((await w.get("/health", { token: null })).status, 200, "well-formed settings: healthy");
  });

  it("IMPORT_MAX_ROWS is read once, as a whole number, and bounds every import", async () => {
    const small = await startWorker({ vars: { IMPORT_MAX_ROWS: "2" } });
    try {
      const rows = Array.from({ length: 3 }, (_, i) => `Row ${i},row-${i}@example.com`).join("\n");
      const res = await small.importCsv(`name,email\n${rows}\n`, "?dry_run=true");
      assertError(assert, res, 413, "too_many_rows");
      assert.equal((await small.get("/health", { token: null })).status, 200);
    } finally {
      await small.dispose();
    }
  });
});

describe("deployed settings", () => {
  // wrangler.toml's [vars] are what a deploy gets: a development address there would hand out
  // activation links to localhost and let a local page call the public API.
  it("leave the origins and the activation address unset, with no local address anywhere", () => {
    const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    const vars = /^\[vars\]\n([\s\S]*?)(?=^\[)/m.exec(toml)[1];
    const settings = vars.split("\n").filter((l) => /^\s*[A-Z_]+\s*=/.test(l));
    for (const name of ["PUBLIC_ALLOWED_ORIGINS", "ACTIVATION_URL_BASE"]) {
      assert.ok(!settings.some((l) => l.trim().startsWith(name)), `${name} has a deployed default`);
    }
    assert.ok(!settings.some((l) => /localhost|127\.0\.0\.1/.test(l)), settings.join("\n"));
    const dev = readFileSync(join(ROOT, ".dev.vars.example"), "utf8");
    for (const name of ["PUBLIC_ALLOWED_ORIGINS", "ACTIVATION_URL_BASE"]) assert.match(dev, new RegExp(`^${name}=`, "m"));
  });
});
