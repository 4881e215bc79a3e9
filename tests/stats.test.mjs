// GET /v1/stats/daily: the dashboard's figures from the daily rollup (migration 0023).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

const today = () => new Date().toISOString().slice(0, 10);
const stats = async (q = "") => { const r = await w.get(`/v1/stats/daily${q}`); assert.equal(r.status, 200, r.text); return r.body; };
const on = (series, date, key, name) => series.filter((p) => p.date === date && (!name || p[name] === key)).reduce((s, p) => s + p.count, 0);

describe("daily stats", () => {
  it("counts customers created by source, interactions by type and visitors who registered, per day", async () => {
    const before = await stats();
    await w.createCustomer({ name: "Stat Admin", email: uniqueEmail("st") });
    assert.equal((await w.importCsv("name\nStat Imported 1\nStat Imported 2\n")).status, 200);
    const email = uniqueEmail("visitor");
    const pub = await w.post("/v1/public/interactions", { email, type: "chat_started", resource_id: "room-1" }, { token: null });
    assert.equal(pub.status, 201, pub.text);
    const visitor = await w.customerIdByEmail(email);
    assert.equal((await w.patch(`/v1/customers/${visitor}`, { kind: "registered" })).status, 200);

    const now = await stats();
    const d = today();
    assert.equal(now.to, d);
    assert.equal(on(now.created, d, "admin", "source") - on(before.created, d, "admin", "source"), 1);
    assert.equal(on(now.created, d, "import", "source") - on(before.created, d, "import", "source"), 2);
    assert.equal(on(now.created, d, "chat", "source") - on(before.created, d, "chat", "source"), 1);
    assert.equal(on(now.interactions, d, "chat_started", "type") - on(before.interactions, d, "chat_started", "type"), 1);
    assert.equal(on(now.registered, d) - on(before.registered, d), 1);
    assert.equal(now.totals.created - before.totals.created, 4);
    assert.equal(now.totals.live_customers - before.totals.live_customers, 4);
    assert.equal(now.recent_imports[0].created, 2);
    assert.ok(Number.isInteger(now.totals.created));
  });

  it("takes days from 1 to 366 and refuses anything else", async () => {
    const week = await stats("?days=7");
    const from = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
    assert.equal(week.from, from);
    for (const bad of ["0", "367", "x", "1.5"]) assertError(assert, await w.get(`/v1/stats/daily?days=${bad}`), 400, "invalid_parameter");
    assertError(assert, await w.get("/v1/stats/daily?day=3"), 400, "invalid_parameter");
  });

  it("needs customers:read", async () => {
    const key = await w.createKey(["customers:import"]);
    assertError(assert, await w.get("/v1/stats/daily", { token: key.secret }), 403, "forbidden");
  });
});
