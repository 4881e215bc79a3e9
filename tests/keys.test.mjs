// API keys: secrets shown once, what each permission lets a key do (customers, groups, contacts), revocation.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, UNKNOWN_ID, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("API keys", () => {
  it("shows the secret once, with a recognisable prefix, and never in the list", async () => {
    const k = await w.createKey(["customers:read"]);
    assert.match(k.secret, /^cmk_[0-9a-f]{64}$/);
    assert.equal(k.prefix, k.secret.slice(0, 12));
    const list = await w.get("/v1/api-keys");
    assert.equal(list.status, 200);
    const listed = list.body.data.find((x) => x.id === k.id);
    assert.deepEqual(listed.permissions, ["customers:read"]);
    assert.ok(!list.text.includes(k.secret.slice(12)), "the list leaks no secret");
    assert.equal(listed.secret, undefined);
  });

  it("records a key's last use, at most once a minute", async () => {
    const k = await w.createKey(["customers:read"]);
    const listed = async () => (await w.get("/v1/api-keys")).body.data.find((x) => x.id === k.id).last_used_at;
    assert.equal(await listed(), null, "never used");
    assert.equal((await w.get("/v1/customers?limit=1", { token: k.secret })).status, 200);
    const first = await listed();
    assert.match(first ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, "the first use is recorded");
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 3; i++) assert.equal((await w.get("/v1/customers?limit=1", { token: k.secret })).status, 200);
    assert.equal(await listed(), first, "uses within the minute leave it as it was");
  });

  it("lets a read-only key list and get, and names the missing permission otherwise", async () => {
    const k = await w.createKey(["customers:read"]);
    const c = await w.createCustomer({ name: "Keyed" });
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
    const k = await w.createKey(["customers:delete", "customers:read"]);
    const c = await w.createCustomer({ name: "Force" });
    const res = await w.delete(`/v1/customers/${c.id}?permanent=true`, { token: k.secret });
    assertError(assert, res, 403, "forbidden");
    assert.match(res.body.error.message, /customers:force_delete/);
    assert.equal((await w.delete(`/v1/customers/${c.id}`, { token: k.secret })).status, 200, "a soft delete is allowed");
    const bulk = await w.post("/v1/customers/bulk-delete", { ids: [c.id], permanent: true }, { token: k.secret });
    assertError(assert, bulk, 403, "forbidden");
  });

  it("refuses a key without read on the list", async () => {
    const k = await w.createKey(["customers:create"]);
    const res = await w.get("/v1/customers", { token: k.secret });
    assertError(assert, res, 403, "forbidden");
    assert.match(res.body.error.message, /customers:read/);
  });

  it("stops a revoked key at once with 401", async () => {
    const k = await w.createKey(["customers:read"]);
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
    const k = await w.createKey(["customers:read"]);
    assertError(assert, await w.get("/v1/api-keys", { token: k.secret }), 403, "forbidden");
  });
});

// What a key may do on groups and contacts (moved from the old groups_contacts file).
describe("group and contact permissions", () => {
  it("lets customers:read list and get groups and contacts but not change them, naming the permission", async () => {
    const g = await w.createGroup();
    const c = await w.createCustomer();
    const k = await w.createContact(c.id);
    const token = (await w.createKey(["customers:read"])).secret;
    assert.equal((await w.get("/v1/groups", { token })).status, 200);
    assert.equal((await w.get(`/v1/groups/${g.id}`, { token })).status, 200);
    assert.equal((await w.get(`/v1/customers/${c.id}/contacts`, { token })).status, 200);
    const denied = [
      [await w.post("/v1/groups", { name: "nope" }, { token }), "groups:manage"],
      [await w.patch(`/v1/groups/${g.id}`, { name: "nope" }, { token }), "groups:manage"],
      [await w.delete(`/v1/groups/${g.id}`, { token }), "groups:manage"],
      [await w.addMembers(g.id, [c.id], { token }), "groups:manage"],
      [await w.removeMembers(g.id, [c.id], { token }), "groups:manage"],
      [await w.post(`/v1/customers/${c.id}/contacts`, { email: uniqueEmail() }, { token }), "customers:update"],
      [await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { first_name: "x" }, { token }), "customers:update"],
      [await w.delete(`/v1/customers/${c.id}/contacts/${k.id}`, { token }), "customers:update"],
    ];
    for (const [res, permission] of denied) {
      assertError(assert, res, 403, "forbidden");
      assert.ok(res.body.error.message.includes(permission), res.body.error.message);
    }
  });

  it("lets groups:manage manage groups and customers:update manage contacts", async () => {
    const c = await w.createCustomer();
    const groupsToken = (await w.createKey(["groups:manage"])).secret;
    const made = await w.post("/v1/groups", { name: `by key ${Date.now()}` }, { token: groupsToken });
    assert.equal(made.status, 201, made.text);
    const added = await w.addMembers(made.body.id, [c.id], { token: groupsToken });
    assert.equal(added.status, 200, added.text);
    const contactsToken = (await w.createKey(["customers:update"])).secret;
    assert.equal((await w.post(`/v1/customers/${c.id}/contacts`, { email: uniqueEmail() }, { token: contactsToken })).status, 201);
  });

  it("answers 401 without a token", async () => {
    assertError(assert, await w.get("/v1/groups", { token: null }), 401, "unauthorized");
    assertError(assert, await w.get(`/v1/customers/${UNKNOWN_ID}/contacts`, { token: null }), 401, "unauthorized");
  });
});
