// Runs the compiled worker (build/) in workerd through Miniflare, with a fresh in-memory D1
// that has had every file of migrations/ applied, and calls it over HTTP (dispatchFetch).
// The Worker's helper methods (createCustomer, createKey, ...) are the one shared way tests set
// up data; the ones that create something assert the 201 themselves.
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";

// Miniflare's log, keeping what the simulated Email Service binding reports: each message it
// would have sent (the `EMAIL` binding writes the parts to files and logs their paths). Other
// lines at warning level or worse still reach the terminal.
class MailLog extends Log {
  constructor() {
    super(LogLevel.INFO);
    this.mail = [];
  }

  logWithLevel(level, message) {
    const text = String(message).replace(/\x1b\[[0-9;]*m/g, "");
    if (text.includes("send_email binding called")) {
      const field = (name) => text.match(new RegExp(`^${name}: (.*)$`, "m"))?.[1]?.trim();
      const file = (name) => { const path = field(name); return path ? readFileSync(path, "utf8") : undefined; };
      this.mail.push({ from: field("From"), to: field("To"), subject: field("Subject"), text: file("Text"), html: file("HTML") });
    } else if (level <= LogLevel.WARN) {
      super.logWithLevel(level, message);
    }
  }
}

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ADMIN_TOKEN = "test-admin-token-0123456789";
// A well-formed uuid v7 that no row has.
export const UNKNOWN_ID = "01936f8e-1c2b-7a3d-9e4f-5a6b7c8d9e0f";

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

// The console's static assets as `make build` writes them (console/build.mjs), served before
// the worker as Workers Static Assets are, with console/_headers applied by Miniflare.
export const ASSETS_DIR = join(ROOT, "console/dist");
// The paths that reach the worker without an asset lookup: wrangler.toml's `run_worker_first`,
// as wrangler hands them to the assets router (`static_routing`).
const RUN_WORKER_FIRST = JSON.parse(/^run_worker_first\s*=\s*(\[.*\])\s*$/m.exec(readFileSync(join(ROOT, "wrangler.toml"), "utf8"))[1]);
export const ASSETS = {
  directory: ASSETS_DIR,
  routerConfig: { has_user_worker: true, static_routing: { user_worker: RUN_WORKER_FIRST } },
  assetConfig: { html_handling: "auto-trailing-slash", not_found_handling: "none" },
};

// `listen: true` also serves over a real loopback port (for the browser tests): `worker.url`.
// `outbound`: a function answering the worker's own fetches (e.g. Access's certs), as
// Miniflare's `outboundService`. `queues: true` binds the webhooks queue, its slow queue and
// its dead-letter queue as wrangler.toml does (with `maxRetries` as given), consumed at once
// rather than in batches a second apart. `persist`: a directory keeping the D1 database across instances (a
// restart: the second instance finds the schema and rows the first left; queues start empty).
// Miniflare's proxy reads some properties through a synchronous fetch to a helper thread; on a
// loaded machine that read has once come back empty (its internal assertion `message?.id === id`
// in SynchronousFetcher), failing a suite's set-up before any test ran. A start that fails there
// is retried on a fresh instance; any other failure is not.
export async function startWorker(options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !String(err?.stack ?? "").includes("SynchronousFetcher")) throw err;
      console.error(`startWorker: Miniflare's synchronous fetch failed (attempt ${attempt}); starting again`);
    }
  }
}

// `email: false` leaves the Email Service binding out (then nothing can be sent); otherwise every
// message the worker sends is kept in `worker.mailLog.mail` (see `worker.mailTo`).
// `inspectorPort`: workerd's inspector (DevTools protocol) on that port (bench/profile.mjs);
// `entry`: another entry module (with its own build beside it), for bench/fixed-cost.mjs's A/B.
async function startOnce({ vars = {}, rateLimit = 10000, portalRateLimit = 10000, listen = false, outbound, queues = false, maxRetries = 7, persist, email = true, inspectorPort, entry } = {}) {
  // The worker's stdout (one log line per request) is kept for the tests that read it rather
  // than printed; stderr (errors) still reaches the terminal.
  const logs = [];
  const mailLog = new MailLog();
  const mf = new Miniflare({
    log: mailLog,
    ...(email ? { email: { send_email: [{ name: "EMAIL" }] } } : {}),
    handleRuntimeStdio(stdout, stderr) {
      stdout.setEncoding("utf8").on("data", (chunk) => logs.push(...chunk.split("\n").filter(Boolean)));
      stderr.pipe(process.stderr);
    },
    ...(listen ? { host: "127.0.0.1", port: 0 } : {}),
    ...(inspectorPort ? { inspectorPort } : {}),
    ...(outbound ? { outboundService: outbound } : {}),
    assets: ASSETS,
    scriptPath: entry ?? join(ROOT, "src/entry.mjs"),
    modules: true,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true },
    ],
    compatibilityDate: "2026-04-01",
    d1Databases: ["DB"],
    ...(persist ? { d1Persist: persist } : {}),
    bindings: {
      ADMIN_TOKEN,
      PUBLIC_ALLOWED_ORIGINS: "https://pages.example",
      IMPORT_MAX_ROWS: "10000",
      PUBLIC_RATE_LIMIT_RETRY_AFTER: "60",
      ENABLE_TEST_ROUTES: "true",
      EMAIL_FROM: "portal@example.com",
      PORTAL_URL_BASE: "http://localhost/portal",
      ...vars,
    },
    ratelimits: {
      PUBLIC_RATE_LIMITER: { simple: { limit: rateLimit, period: 60 } },
      PORTAL_RATE_LIMITER: { simple: { limit: portalRateLimit, period: 60 } },
    },
    ...(queues ? {
      queueProducers: { WEBHOOKS: { queueName: "customers-webhooks" }, WEBHOOKS_SLOW: { queueName: "customers-webhooks-slow" } },
      queueConsumers: {
        "customers-webhooks": { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries, deadLetterQueue: "customers-webhooks-dlq" },
        "customers-webhooks-slow": { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries, deadLetterQueue: "customers-webhooks-dlq" },
        "customers-webhooks-dlq": { maxBatchSize: 10, maxBatchTimeout: 0 },
      },
    } : {}),
  });
  try {
    const db = await mf.getD1Database("DB");
    const dir = join(ROOT, "migrations");
    const migrated = persist && await db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'customers'").first();
    for (const file of migrated ? [] : readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
      for (const stmt of splitSql(readFileSync(join(dir, file), "utf8"))) {
        await db.prepare(stmt).run();
      }
    }
    const worker = new Worker(mf, db);
    worker.logs = logs;
    worker.mailLog = mailLog;
    if (listen) worker.url = (await mf.ready).href.replace(/\/$/, "");
    return worker;
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw err;
  }
}

// Every request is held to its route's budget of D1 statements (the figure beside each route in
// src/lib.rs), which the worker reports in test mode. D1_STATEMENTS_OUT=<file> also appends each
// request's count there, to see what each route spends across the suite.
export function checkStatementBudget(method, path, headers) {
  const used = headers.get("x-test-d1-statements"), budget = headers.get("x-test-d1-budget");
  if (process.env.D1_STATEMENTS_OUT && used !== null) {
    appendFileSync(process.env.D1_STATEMENTS_OUT, `${method} ${path.split("?")[0]} ${used} ${budget}\n`);
  }
  if (budget !== null) {
    assert.ok(Number(used) <= Number(budget), `${method} ${path} sent ${used} D1 statements, over its route's budget of ${budget}`);
  }
}

class Worker {
  constructor(mf, db) {
    this.mf = mf;
    this.db = db;
    this.ip = 0;
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
    checkStatementBudget(method, path, res.headers);
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

  // POST /v1/customers with `body` exactly (left out: a named customer with a unique email); expects 201, returns the customer.
  async createCustomer(body = { name: "Customer", email: uniqueEmail("customer") }) {
    const res = await this.post("/v1/customers", body);
    assert.equal(res.status, 201, res.text);
    return res.body;
  }

  // POST /v1/api-keys (as `token`, default the admin token); expects 201, returns the key with its `secret`.
  async createKey(permissions, { name = "test key", token } = {}) {
    const res = await this.post("/v1/api-keys", { name, permissions }, { token });
    assert.equal(res.status, 201, res.text);
    return res.body;
  }

  // POST /v1/groups with a unique name unless `body` gives one; expects 201, returns the group.
  async createGroup(body = {}) {
    const res = await this.post("/v1/groups", { name: `group ${Math.random().toString(36).slice(2, 10)}`, ...body });
    assert.equal(res.status, 201, res.text);
    return res.body;
  }

  // POST /v1/customers/{id}/contacts with a unique email unless `body` gives one; expects 201, returns the contact.
  async createContact(customerId, body = {}) {
    const res = await this.post(`/v1/customers/${customerId}/contacts`, { email: uniqueEmail("contact"), ...body });
    assert.equal(res.status, 201, res.text);
    return res.body;
  }

  // POST /v1/groups/{id}/members {customer_ids}; returns the raw answer.
  addMembers(groupId, ids, opts = {}) { return this.call("POST", `/v1/groups/${groupId}/members`, { ...opts, json: { customer_ids: ids } }); }

  // DELETE /v1/groups/{id}/members {customer_ids}; returns the raw answer.
  removeMembers(groupId, ids, opts = {}) { return this.call("DELETE", `/v1/groups/${groupId}/members`, { ...opts, json: { customer_ids: ids } }); }

  // POST /v1/customers/import{query} with a text/csv body (as `token`, `headers` added or overriding); returns the raw answer.
  importCsv(csv, query = "", { token, headers = {} } = {}) {
    return this.call("POST", `/v1/customers/import${query}`, { body: csv, token, headers: { "content-type": "text/csv", ...headers } });
  }

  // The customers listed for ?email= (live ones unless `status` says otherwise), as an array.
  async customersByEmail(email, status) {
    const res = await this.get(`/v1/customers?email=${encodeURIComponent(email)}${status ? `&status=${status}` : ""}`);
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  }

  // The id of the one live customer with this email (public answers name none), asserting there is exactly one.
  async customerIdByEmail(email) {
    const found = await this.customersByEmail(email);
    assert.equal(found.length, 1, JSON.stringify(found));
    return found[0].id;
  }

  // POST /v1/public/interactions without a token, each call from its own cf-connecting-ip so rate limits stay out of the way.
  interact(body, headers = {}) {
    this.ip += 1;
    return this.call("POST", "/v1/public/interactions", {
      json: body, token: null, headers: { "cf-connecting-ip": `192.0.2.${this.ip % 250}`, ...headers } });
  }

  // The audit entries for one target id (up to 100, newest first); expects 200.
  async auditOf(targetId) {
    const res = await this.get(`/v1/audit-log?target_id=${targetId}&limit=100`);
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  }

  // Runs the worker's cron trigger once, as Cloudflare does every minute.
  async cron() {
    const worker = await this.mf.getWorker();
    return worker.scheduled({ cron: "* * * * *" });
  }

  // The change events of one customer (oldest first, up to 100); expects 200.
  async eventsOf(customerId) {
    const res = await this.get(`/v1/events?customer_id=${customerId}&limit=100`);
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  }

  // The messages sent to `to` (compared case-insensitively) so far, oldest first; waits (up to 5 s) until there are at least
  // `count` (the simulated binding reports a message just after the request that sent it).
  async mailTo(to, count = 1) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = this.mailLog.mail.filter((m) => m.to?.toLowerCase() === to.toLowerCase());
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

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
