import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

async function key(permissions, name = "test key") {
  const res = await w.post("/v1/api-keys", { name, permissions });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

describe("API keys", () => {
  it("shows the secret once, with a recognisable prefix, and never in the list", async () => {
    const k = await key(["customers:read"]);
    assert.match(k.secret, /^cmk_[0-9a-f]{64}$/);
    assert.equal(k.prefix, k.secret.slice(0, 12));
    const list = await w.get("/v1/api-keys");
    assert.equal(list.status, 200);
    const listed = list.body.data.find((x) => x.id === k.id);
    assert.deepEqual(listed.permissions, ["customers:read"]);
    assert.ok(!list.text.includes(k.secret.slice(12)), "the list leaks no secret");
    assert.equal(listed.secret, undefined);
  });

  it("lets a read-only key list and get, and names the missing permission otherwise", async () => {
    const k = await key(["customers:read"]);
    const c = (await w.post("/v1/customers", { name: "Keyed" })).body;
    assert.equal((await w.get("/v1/customers", { token: k.secret })).status, 200);
    assert.equal((await w.get(`/v1/customers/${c.id}`, { token: k.secret })).status, 200);
    const create = await w.post("/v1/customers", { name: "Nope" }, { token: k.secret });
    assertError(assert, create, 403, "forbidden");
    assert.match(create.body.error.message, /customers:create/);
    const force = await w.delete(`/v1/customers/${c.id}?permanent=true`, { token: k.secret });
    assertError(assert, force, 403, "forbidden");
    assert.match(force.body.error.message, /customers:delete|customers:force_delete/);
  });

  it("needs force_delete, not just delete, for a permanent delete", async () => {
    const k = await key(["customers:delete", "customers:read"]);
    const c = (await w.post("/v1/customers", { name: "Force" })).body;
    const res = await w.delete(`/v1/customers/${c.id}?permanent=true`, { token: k.secret });
    assertError(assert, res, 403, "forbidden");
    assert.match(res.body.error.message, /customers:force_delete/);
    assert.equal((await w.delete(`/v1/customers/${c.id}`, { token: k.secret })).status, 200, "a soft delete is allowed");
    const bulk = await w.post("/v1/customers/bulk-delete", { ids: [c.id], permanent: true }, { token: k.secret });
    assertError(assert, bulk, 403, "forbidden");
  });

  it("refuses a key without read on the list", async () => {
    const k = await key(["customers:create"]);
    const res = await w.get("/v1/customers", { token: k.secret });
    assertError(assert, res, 403, "forbidden");
    assert.match(res.body.error.message, /customers:read/);
  });

  it("stops a revoked key at once with 401", async () => {
    const k = await key(["customers:read"]);
    assert.equal((await w.get("/v1/customers", { token: k.secret })).status, 200);
    assert.equal((await w.delete(`/v1/api-keys/${k.id}`)).status, 204);
    const res = await w.get("/v1/customers", { token: k.secret });
    assertError(assert, res, 401, "unauthorized");
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
    assert.ok((await w.get("/v1/api-keys")).body.data.find((x) => x.id === k.id).revoked_at);
  });

  it("refuses unknown permission names with 422", async () => {
    const res = await w.post("/v1/api-keys", { name: "bad", permissions: ["customers:read", "customers:everything"] });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "permissions[1]");
  });

  it("keeps key management to keys:manage", async () => {
    const k = await key(["customers:read"]);
    assertError(assert, await w.get("/v1/api-keys", { token: k.secret }), 403, "forbidden");
  });
});

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
    const log = await w.get(`/v1/audit-log?target_id=${id}&limit=100`);
    assert.equal(log.status, 200, log.text);
    for (const [action, res] of steps) {
      assert.ok(res.status < 300, `${action}: ${res.text}`);
      const entry = log.body.data.find((e) => e.action === action);
      assert.ok(entry, `no audit entry for ${action}`);
      assert.equal(entry.request_id, res.headers.get("x-request-id"));
      assert.equal(entry.actor, "admin-token");
      assert.equal(entry.target_id, id);
    }
    assert.deepEqual(log.body.data.find((e) => e.action === "customer.update").changed_fields, ["company"]);
    // Match the whole phone number: a bare "555" also turns up inside random hex ids and request ids.
    for (const personal of [email, "Audrey", "Audit Co", "555 0199", "5550199"]) {
      assert.ok(!log.text.includes(personal), `audit log leaks ${personal}`);
    }
  });

  it("records key creation and revocation and bulk deletes, by the acting key", async () => {
    const k = await key(["customers:delete", "customers:create"]);
    const c = await w.post("/v1/customers", { name: "By key" }, { token: k.secret });
    const bulk = await w.post("/v1/customers/bulk-delete", { ids: [c.body.id] }, { token: k.secret });
    await w.delete(`/v1/api-keys/${k.id}`);
    const byKey = await w.get(`/v1/audit-log?action=customer.bulk_delete&limit=100`);
    const entry = byKey.body.data.find((e) => e.request_id === bulk.headers.get("x-request-id"));
    assert.equal(entry.actor, k.id);
    const keyLog = await w.get(`/v1/audit-log?target_id=${k.id}`);
    assert.deepEqual(keyLog.body.data.map((e) => e.action), ["api_key.revoke", "api_key.create"]);
    assert.ok(!keyLog.text.includes(k.secret));
  });

  it("pages with a cursor and filters by time", async () => {
    for (let i = 0; i < 3; i++) await w.post("/v1/customers", { name: `Paged ${i}` });
    const first = await w.get("/v1/audit-log?limit=2");
    assert.equal(first.body.data.length, 2);
    assert.equal(first.body.has_more, true);
    const second = await w.get(`/v1/audit-log?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    assert.ok(second.body.data.every((e) => !first.body.data.some((f) => f.id === e.id)));
    assert.equal((await w.get("/v1/audit-log?before=2000-01-01")).body.data.length, 0);
    assertError(assert, await w.get("/v1/audit-log?after=whenever"), 400, "invalid_parameter");
  });

  it("leaves no trace of a change that did not happen", async () => {
    const c = (await w.post("/v1/customers", { name: "Twice" })).body;
    await w.delete(`/v1/customers/${c.id}`);
    await w.delete(`/v1/customers/${c.id}`);
    const log = await w.get(`/v1/audit-log?target_id=${c.id}&action=customer.delete`);
    assert.equal(log.body.data.length, 1);
  });
});
