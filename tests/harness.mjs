// Runs the compiled worker (build/) in workerd through Miniflare, with a fresh in-memory D1
// that has had every file of migrations/ applied, and calls it over HTTP (dispatchFetch).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ADMIN_TOKEN = "test-admin-token-0123456789";

// D1's exec() splits on newlines, so statements are run one by one. A statement ends with a
// `;` at the end of a line, except inside a trigger body (which ends with `END;`).
export function splitSql(text) {
  const statements = [];
  let current = [];
  let inTrigger = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/--.*$/, "").trimEnd();
    if (!line.trim()) continue;
    current.push(line);
    if (/^\s*CREATE\s+TRIGGER/i.test(line)) inTrigger = true;
    const ends = inTrigger ? /^\s*END;$/i.test(line) : line.endsWith(";");
    if (ends) {
      statements.push(current.join("\n"));
      current = [];
      inTrigger = false;
    }
  }
  if (current.length) statements.push(current.join("\n"));
  return statements;
}

export async function startWorker({ vars = {}, rateLimit = 10000 } = {}) {
  const mf = new Miniflare({
    scriptPath: join(ROOT, "src/entry.mjs"),
    modules: true,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true },
    ],
    compatibilityDate: "2026-04-01",
    d1Databases: ["DB"],
    bindings: {
      ADMIN_TOKEN,
      PUBLIC_ALLOWED_ORIGINS: "https://pages.example",
      IMPORT_MAX_ROWS: "10000",
      PUBLIC_RATE_LIMIT_RETRY_AFTER: "60",
      ENABLE_TEST_ROUTES: "true",
      ...vars,
    },
    ratelimits: { PUBLIC_RATE_LIMITER: { simple: { limit: rateLimit, period: 60 } } },
  });
  const db = await mf.getD1Database("DB");
  const dir = join(ROOT, "migrations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    for (const stmt of splitSql(readFileSync(join(dir, file), "utf8"))) {
      await db.prepare(stmt).run();
    }
  }
  return new Worker(mf, db);
}

class Worker {
  constructor(mf, db) {
    this.mf = mf;
    this.db = db;
  }

  // A request with the admin token unless `token` says otherwise (null: no header).
  async call(method, path, { body, json, token = ADMIN_TOKEN, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload = body;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      h["content-type"] ??= "application/json";
    }
    const res = await this.mf.dispatchFetch(`http://localhost${path}`, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  get(path, opts) { return this.call("GET", path, opts); }
  post(path, json, opts = {}) { return this.call("POST", path, { ...opts, json }); }
  patch(path, json, opts = {}) { return this.call("PATCH", path, { ...opts, json }); }
  delete(path, opts) { return this.call("DELETE", path, opts); }

  async dispose() {
    await this.mf.dispose();
  }
}

// Every error answer has the contract's shape and a request id matching the header.
export function assertError(assert, res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.equal(res.body?.error?.code, code, res.text);
  assert.equal(typeof res.body.error.message, "string");
  assert.equal(res.body.error.request_id, res.headers.get("x-request-id"));
}

export function uniqueEmail(tag = "c") {
  return `${tag}-${Math.random().toString(36).slice(2, 10)}@example.com`;
}
