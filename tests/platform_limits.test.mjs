// Cloudflare's per-request limits, which Miniflare does not enforce, modelled from what the worker
// reports in test mode: wasm memory after each request (the log line's `wasm_mib`; an isolate has
// 128 MB), D1 statements per request (`X-Test-D1-Statements`; 1,000 an invocation on Workers Paid)
// and an export's statements counted to the end of its stream.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker } from "./harness.mjs";

const MIB = 1024 * 1024;

// The JSON log line of the request with this id (the request's own, not an export stream's end).
function logLine(worker, requestId, route) {
  const line = worker.logs.map((l) => { try { return JSON.parse(l); } catch { return null; } })
    .find((l) => l?.request_id === requestId && (route === undefined || l.route === route));
  assert.ok(line, `no log line for ${requestId} ${route ?? ""}`);
  return line;
}

// Waits for the line an export writes when its stream ends (written after the last chunk).
async function streamEnd(worker, requestId) {
  for (let i = 0; i < 100; i++) {
    const line = worker.logs.find((l) => l.includes(requestId) && l.includes("export stream end"));
    if (line) return JSON.parse(line);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`no end-of-stream line for ${requestId}`);
}

describe("wasm memory of an upload", () => {
  // A worker of its own: wasm memory never shrinks, so another test's request would show here.
  let w;
  before(async () => { w = await startWorker(); });
  after(async () => { await w?.dispose(); });

  it("refuses 25 MiB of short rows (over IMPORT_MAX_ROWS) with the wasm memory under 48 MiB", async () => {
    const row = (i) => `Customer ${i},c${i}@example.com\n`;
    const parts = ["name,email\n"];
    let size = parts[0].length;
    for (let i = 0; size + 40 < 25 * MIB; i++) {
      parts.push(row(i));
      size += parts.at(-1).length;
    }
    const res = await w.importCsv(parts.join(""));
    assert.equal(res.status, 413, res.text);
    assert.equal(res.body.error.code, "too_many_rows");
    const line = logLine(w, res.headers.get("x-request-id"));
    assert.ok(line.wasm_mib < 48, `wasm memory ${line.wasm_mib} MiB after refusing ${parts.length - 1} rows`);
  });
});

// An accepted upload at the limits: 10,000 rows (IMPORT_MAX_ROWS) filling 25 MiB (the body
// limit) but for a few bytes. `row(i, bytes)` makes row i of `bytes` bytes.
function upload(header, row) {
  const rows = 10_000;
  const bytes = Math.floor((25 * MIB - header.length - 1) / rows) - 1;
  const lines = [header];
  for (let i = 0; i < rows; i++) lines.push(row(i, bytes));
  const text = lines.join("\n") + "\n";
  assert.ok(Buffer.byteLength(text) <= 25 * MIB && Buffer.byteLength(text) > 25 * MIB - 64 * 1024);
  return text;
}

const padded = (start, bytes, fill) => start + fill.repeat(Math.max(0, bytes - start.length));

// Few long cells (a notes cell of 2.5 KB), and many short ones: 48 attribute columns, each cell
// quoted with escaped quotes inside (what a spreadsheet writes for `say "hi"`).
const ATTRIBUTES = Array.from({ length: 48 }, (_, k) => `attr ${k}`);
const SHAPES = {
  "few long cells": () => upload("name,email,company,notes",
    (i, bytes) => padded(`Long ${i},long${i}@example.com,Company ${i % 97},`, bytes, "n")),
  "many short quoted cells": () => upload(`name,email,${ATTRIBUTES.join(",")}`, (i, bytes) => {
    const start = `Short ${i},short${i}@example.com`;
    const cell = Math.floor((bytes - start.length) / ATTRIBUTES.length) - 3;
    const row = start + ATTRIBUTES.map(() => `,"${padded('say ""hi"" ', cell, "v")}"`).join("");
    // The last cell takes what is left of the row's bytes.
    return row.slice(0, -1) + "v".repeat(bytes - row.length) + '"';
  }),
};

// The same file as a multipart form: in a file part, or as a plain text field (which the
// host hands over as a string).
async function importForm(w, text, query, { asFile }) {
  const form = new FormData();
  if (asFile) form.append("file", new Blob([text], { type: "text/csv" }), "customers.csv");
  else form.append("file", text);
  const req = new Request("http://x", { method: "POST", body: form });
  return w.call("POST", `/v1/customers/import${query}`, {
    body: Buffer.from(await req.arrayBuffer()), headers: { "content-type": req.headers.get("content-type") } });
}

// Rows of text that is not ASCII: names and notes of two-byte characters. A byte short of the
// others, for the `\r` a form field's line breaks gain.
const NOT_ASCII = () => upload("name,email,notes", (i, bytes) => {
  const start = `Zoë ${i},zoe${i}@example.com,`;
  return start + "é".repeat(Math.floor((bytes - 1 - Buffer.byteLength(start)) / 2));
});

describe("wasm memory of an accepted 25 MiB import", () => {
  const cases = [];
  for (const [shape, file] of Object.entries(SHAPES)) {
    for (const dryRun of [true, false]) cases.push({ name: `${shape}, ${dryRun ? "dry run" : "written"}`, file, dryRun });
  }
  cases.push({ name: "not ASCII, in a multipart file part, written", file: NOT_ASCII, dryRun: false, form: { asFile: true } });
  cases.push({ name: "not ASCII, in a multipart text field, dry run", file: NOT_ASCII, dryRun: true, form: { asFile: false } });
  // Each on a worker of its own: wasm memory never shrinks, so it shows that request's peak.
  for (const { name, file, dryRun, form } of cases) {
    it(`${name}: 10,000 rows under 48 MiB`, async () => {
      const w = await startWorker();
      try {
        const query = dryRun ? "?dry_run=true" : "";
        const res = form ? await importForm(w, file(), query, form) : await w.importCsv(file(), query);
        assert.equal(res.status, 200, res.text.slice(0, 500));
        assert.equal(res.body.failed, 0);
        assert.equal(dryRun ? res.body.valid : res.body.created, 10_000);
        const line = logLine(w, res.headers.get("x-request-id"));
        assert.ok(line.wasm_mib < 48, `wasm memory ${line.wasm_mib} MiB after a 25 MiB import`);
        // The rows went through the staging table a chunk at a time, and none stayed there.
        const staged = await w.db.prepare("SELECT count(*) AS n FROM import_chunks").first();
        assert.equal(staged.n, 0);
        if (!dryRun) {
          const stored = await w.db.prepare("SELECT count(*) AS n FROM customers WHERE source = 'import'").first();
          assert.equal(stored.n, 10_000);
        }
      } finally {
        await w.dispose();
      }
    });
  }
});

describe("D1 statements of an export", () => {
  let w;
  before(async () => {
    w = await startWorker();
    const rows = Array.from({ length: 25 }, (_, i) => `Counted ${i}`).join("\n");
    assert.equal((await w.importCsv(`name\n${rows}\n`)).status, 200);
  });
  after(async () => { await w?.dispose(); });

  it("sends the audit entry and one statement a page: 1 + ceil(rows / page)", async () => {
    // 25 customers at 10 a page: pages of 10, 10 and 5 (api::import_export::export_statements).
    const res = await w.get("/v1/customers/export?status=all", { headers: { "x-test-export-page": "10" } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text.trimEnd().split("\r\n").length, 26);
    // At the answer: the first page and the audit entry; the end of the stream counts the rest.
    assert.equal(res.headers.get("x-test-d1-statements"), "2");
    const end = await streamEnd(w, res.headers.get("x-request-id"));
    assert.equal(end.d1_statements, 1 + 3);
    assert.ok(end.d1_statements <= Number(res.headers.get("x-test-d1-budget")));
  });

  it("needs no read after a last full page, and an API key's lookup and last use count too", async () => {
    const key = await w.createKey(["customers:export"]);
    const res = await w.get("/v1/customers/export?status=all", { token: key.secret, headers: { "x-test-export-page": "5" } });
    assert.equal(res.status, 200, res.text);
    const end = await streamEnd(w, res.headers.get("x-request-id"));
    // The key's lookup and its last use, the audit entry, and 25 / 5 = 5 pages.
    assert.equal(end.d1_statements, 2 + 1 + 5);
  });

  it("the request log line carries the statements and the wasm memory of every request", async () => {
    const res = await w.get("/v1/customers?limit=1");
    const line = logLine(w, res.headers.get("x-request-id"));
    assert.equal(line.d1_statements, Number(res.headers.get("x-test-d1-statements")));
    assert.ok(line.d1_statements >= 1);
    assert.ok(line.wasm_mib >= 1 && line.wasm_mib < 128, String(line.wasm_mib));
  });
});

describe("an export while customers are renamed", () => {
  let w;
  const N = 2_100;
  let ids;
  before(async () => {
    w = await startWorker();
    const rows = Array.from({ length: N }, (_, i) => `M ${String(i).padStart(4, "0")}`).join("\n");
    const res = await w.importCsv(`name\n${rows}\n`);
    assert.equal(res.status, 200, res.text);
    ids = res.body.rows.map((r) => r.id);
  });
  after(async () => { await w?.dispose(); });

  it("holds every customer exactly once although sorted by a name that changes between pages", async () => {
    const exporting = w.get("/v1/customers/export?status=all&sort=name", {
      // More customers than one page of any size the export ever had, in pages of 100, with
      // a pause between pages so the renames below land in the middle of the export.
      headers: { "x-test-export-page": "100", "x-test-export-pause-ms": "40" },
    });
    let done = false;
    const finished = exporting.finally(() => { done = true; });
    // Customers move to either end of the name order while the export runs: one already written
    // to the end (a walk in name order writes it again), one not reached yet to the start (the
    // walk never reaches it).
    let round = 0;
    while (!done) {
      round += 1;
      const pick = () => ids[Math.floor(Math.random() * ids.length)];
      const renames = [w.patch(`/v1/customers/${pick()}`, { name: `A ${round}` }), w.patch(`/v1/customers/${pick()}`, { name: `Z ${round}` })];
      for (const r of await Promise.all(renames)) assert.equal(r.status, 200, r.text);
    }
    const res = await finished;
    assert.equal(res.status, 200, res.text);
    assert.ok(round >= 5, `only ${round} rounds of renames ran during the export`);
    const exported = res.text.trimEnd().split("\r\n").slice(1).map((l) => l.split(",")[0]);
    const counts = new Map();
    for (const id of exported) counts.set(id, (counts.get(id) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    const missing = ids.filter((id) => !counts.has(id));
    assert.deepEqual({ repeated: repeated.length, missing: missing.length }, { repeated: 0, missing: 0 });
    assert.equal(exported.length, N);
  });
});
