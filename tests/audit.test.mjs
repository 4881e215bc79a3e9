// The audit log: one entry per change, under the request id of its answer, with field names
// and never personal values; paging and filters.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("audit log", () => {
  it("records each mutation with the request id of its response and no personal values", async () => {
    const email = uniqueEmail("audited");
    const created = await w.post("/v1/customers", { name: "Audrey Audit", email, phone: "+1 555 0199" });
    const id = created.body.id;
    const steps = [
      ["customer.create", created],
      ["customer.update", await w.patch(`/v1/customers/${id}`, { company: "Audit Co" })],
      ["customer.delete", await w.delete(`/v1/customers/${id}`)],
      ["customer.restore", await w.post(`/v1/customers/${id}/restore`)],
      ["customer.redact", await w.post(`/v1/customers/${id}/redact`)],
      ["customer.force_delete", await w.delete(`/v1/customers/${id}?permanent=true`)],
    ];
    const log = await w.auditOf(id);
    for (const [action, res] of steps) {
      assert.ok(res.status < 300, `${action}: ${res.text}`);
      const entry = log.find((e) => e.action === action);
      assert.ok(entry, `no audit entry for ${action}`);
      assert.equal(entry.request_id, res.headers.get("x-request-id"));
      assert.equal(entry.actor, "admin-token");
      assert.equal(entry.target_id, id);
    }
    assert.deepEqual(log.find((e) => e.action === "customer.update").changed_fields, ["company"]);
    const text = JSON.stringify(log);
    // Match the whole phone number: a bare "555" also turns up inside random hex ids and request ids.
    for (const personal of [email, "Audrey", "Audit Co", "555 0199", "5550199"]) {
      assert.ok(!text.includes(personal), `audit log leaks ${personal}`);
    }
  });

  it("records key creation and revocation and bulk deletes, by the acting key", async () => {
    const k = await w.createKey(["customers:delete", "customers:create"]);
    const c = await w.post("/v1/customers", { name: "By key" }, { token: k.secret });
    const bulk = await w.post("/v1/customers/bulk-delete", { ids: [c.body.id] }, { token: k.secret });
    await w.delete(`/v1/api-keys/${k.id}`);
    const byKey = await w.get(`/v1/audit-log?action=customer.bulk_delete&limit=100`);
    const entry = byKey.body.data.find((e) => e.request_id === bulk.headers.get("x-request-id"));
    assert.equal(entry.actor, `key:${k.id}`);
    const keyLog = await w.auditOf(k.id);
    assert.deepEqual(keyLog.map((e) => e.action), ["api_key.revoke", "api_key.create"]);
    assert.ok(!JSON.stringify(keyLog).includes(k.secret));
  });

  it("pages with a cursor and filters by time", async () => {
    for (let i = 0; i < 3; i++) await w.createCustomer({ name: `Paged ${i}` });
    const first = await w.get("/v1/audit-log?limit=2");
    assert.equal(first.body.data.length, 2);
    assert.equal(first.body.has_more, true);
    const second = await w.get(`/v1/audit-log?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    assert.ok(second.body.data.every((e) => !first.body.data.some((f) => f.id === e.id)));
    assert.equal((await w.get("/v1/audit-log?before=2000-01-01")).body.data.length, 0);
    assertError(assert, await w.get("/v1/audit-log?after=whenever"), 400, "invalid_parameter");
  });

  it("leaves no trace of a change that did not happen", async () => {
    const c = await w.createCustomer({ name: "Twice" });
    await w.delete(`/v1/customers/${c.id}`);
    await w.delete(`/v1/customers/${c.id}`);
    const log = await w.get(`/v1/audit-log?target_id=${c.id}&action=customer.delete`);
    assert.equal(log.body.data.length, 1);
  });
});
