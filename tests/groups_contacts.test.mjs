import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

const UNKNOWN_ID = "01936f8e-1c2b-7a3d-9e4f-5a6b7c8d9e0f";

async function customer(body = {}) {
  const res = await w.post("/v1/customers", { name: "Org", ...body });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function group(body = {}) {
  const res = await w.post("/v1/groups", { name: `group ${Math.random().toString(36).slice(2, 10)}`, ...body });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function contact(customerId, body = {}) {
  const res = await w.post(`/v1/customers/${customerId}/contacts`, { email: uniqueEmail("contact"), ...body });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function members(method, groupId, ids) {
  return w.call(method, `/v1/groups/${groupId}/members`, { json: { customer_ids: ids } });
}

async function key(permissions) {
  const res = await w.post("/v1/api-keys", { name: "groups test", permissions });
  assert.equal(res.status, 201, res.text);
  return res.body.secret;
}

async function auditEntries(targetId) {
  const res = await w.get(`/v1/audit-log?target_id=${targetId}&limit=100`);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}

describe("groups", () => {
  it("creates a group with a uuid v7 id, a Location and no members", async () => {
    const res = await w.post("/v1/groups", { name: "  Key accounts ", description: "the big ones" });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(res.headers.get("location"), `/v1/groups/${res.body.id}`);
    assert.deepEqual(
      { name: res.body.name, description: res.body.description, member_count: res.body.member_count },
      { name: "Key accounts", description: "the big ones", member_count: 0 },
    );
    assert.match(res.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(res.body.updated_at, res.body.created_at);
    const got = await w.get(`/v1/groups/${res.body.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, res.body);
  });

  it("refuses a name another group has in any case with 409 group_exists", async () => {
    const g = await group({ name: "Partners" });
    assertError(assert, await w.post("/v1/groups", { name: "PARTNERS" }), 409, "group_exists");
    const other = await group({ name: "Resellers" });
    assertError(assert, await w.patch(`/v1/groups/${other.id}`, { name: "partners" }), 409, "group_exists");
    assert.equal((await w.get(`/v1/groups/${other.id}`)).body.name, "Resellers");
    const renamed = await w.patch(`/v1/groups/${g.id}`, { name: "partners" });
    assert.equal(renamed.status, 200, "a group may change the case of its own name");
    assert.equal(renamed.body.name, "partners");
  });

  it("validates names, descriptions and unknown fields with 422", async () => {
    for (const body of [{}, { name: "" }, { name: null }, { name: "x".repeat(101) }, { name: 5 },
                        { name: "ok", description: "x".repeat(1001) }, { name: "ok", colour: "red" }, { name: "ok", member_count: 3 }]) {
      assertError(assert, await w.post("/v1/groups", body), 422, "validation_failed");
    }
    const res = await w.post("/v1/groups", { name: "ok", colour: "red" });
    assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]), [["colour", "unknown_field"]]);
    assert.equal((await w.post("/v1/groups", { name: "y".repeat(100) })).status, 201);
  });

  it("answers 400, 415 for malformed JSON and the wrong content type", async () => {
    assertError(assert, await w.call("POST", "/v1/groups", { body: "{", headers: { "content-type": "application/json" } }), 400, "invalid_json");
    assertError(assert, await w.call("POST", "/v1/groups", { body: "name=x", headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
  });

  it("lists every group by name in {data}", async () => {
    const b = await group({ name: "zz-list-b" });
    const a = await group({ name: "ZZ-list-a" });
    const res = await w.get("/v1/groups");
    assert.equal(res.status, 200);
    const names = res.body.data.map((g) => g.name);
    assert.ok(names.indexOf(a.name) < names.indexOf(b.name), names.join(", "));
    const sorted = [...names].sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : x.toLowerCase() > y.toLowerCase() ? 1 : 0));
    assert.deepEqual(names, sorted);
  });

  it("patches only the given fields, clears a description with null and bumps updated_at", async () => {
    const g = await group({ description: "old" });
    await new Promise((r) => setTimeout(r, 5));
    const res = await w.patch(`/v1/groups/${g.id}`, { description: null });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.description, null);
    assert.equal(res.body.name, g.name);
    assert.ok(res.body.updated_at > g.updated_at);
    const same = await w.patch(`/v1/groups/${g.id}`, { name: g.name }, { headers: { "content-type": "application/merge-patch+json" } });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.body.updated_at, res.body.updated_at, "a patch that changes nothing leaves updated_at");
    assertError(assert, await w.patch(`/v1/groups/${g.id}`, { name: null }), 422, "validation_failed");
    assertError(assert, await w.patch(`/v1/groups/${g.id}`, { id: "x" }), 422, "validation_failed");
  });

  it("answers 404 for an unknown group on every route", async () => {
    for (const id of [UNKNOWN_ID, "not-a-uuid"]) {
      assertError(assert, await w.get(`/v1/groups/${id}`), 404, "not_found");
      assertError(assert, await w.patch(`/v1/groups/${id}`, { name: "x" }), 404, "not_found");
      assertError(assert, await w.delete(`/v1/groups/${id}`), 404, "not_found");
      assertError(assert, await members("POST", id, [UNKNOWN_ID]), 404, "not_found");
      assertError(assert, await members("DELETE", id, [UNKNOWN_ID]), 404, "not_found");
    }
  });

  it("deletes a group with 204, keeping its customers", async () => {
    const g = await group();
    const c = await customer();
    assert.equal((await members("POST", g.id, [c.id])).status, 200);
    const res = await w.delete(`/v1/groups/${g.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, "");
    assert.ok(res.headers.get("x-request-id"));
    assertError(assert, await w.get(`/v1/groups/${g.id}`), 404, "not_found");
    assertError(assert, await w.delete(`/v1/groups/${g.id}`), 404, "not_found");
    const kept = await w.get(`/v1/customers/${c.id}`);
    assert.equal(kept.status, 200);
    assert.deepEqual(kept.body.group_ids, [], "the membership went with the group");
    const again = await w.post("/v1/groups", { name: g.name });
    assert.equal(again.status, 201, "the name is free again");
  });
});

describe("group members", () => {
  it("adds customers, harmlessly twice, and shows them in group_ids, member_count and the group_id filter", async () => {
    const g = await group();
    const a = await customer({ name: "Member A" });
    const b = await customer({ name: "Member B" });
    const outsider = await customer({ name: "Outsider" });
    const res = await members("POST", g.id, [a.id, b.id, a.id]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { group_id: g.id, added: 2 });
    const again = await members("POST", g.id, [a.id, b.id]);
    assert.deepEqual(again.body, { group_id: g.id, added: 0 });
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 2);
    assert.deepEqual((await w.get(`/v1/customers/${a.id}`)).body.group_ids, [g.id]);
    const listed = await w.get(`/v1/customers?group_id=${g.id}&limit=100`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.body.data.map((c) => c.id).sort(), [a.id, b.id].sort());
    assert.ok(!listed.body.data.some((c) => c.id === outsider.id));
    assert.ok(listed.body.data.every((c) => c.group_ids.includes(g.id)));
    const filtered = await w.post("/v1/customers/filter", { conditions: [{ field: "group_id", op: "eq", value: g.id }] });
    assert.equal(filtered.status, 200, filtered.text);
    assert.equal(filtered.body.data.length, 2);
  });

  it("lists a customer in each of its groups", async () => {
    const g1 = await group();
    const g2 = await group();
    const c = await customer();
    await members("POST", g1.id, [c.id]);
    await members("POST", g2.id, [c.id]);
    assert.deepEqual((await w.get(`/v1/customers/${c.id}`)).body.group_ids, [g1.id, g2.id].sort());
  });

  it("removes members, counting only those that were members, and keeps the customers", async () => {
    const g = await group();
    const a = await customer();
    const b = await customer();
    await members("POST", g.id, [a.id]);
    const res = await members("DELETE", g.id, [a.id, b.id]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { group_id: g.id, removed: 1 });
    assert.deepEqual((await members("DELETE", g.id, [a.id])).body, { group_id: g.id, removed: 0 });
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 0);
    assert.deepEqual((await w.get(`/v1/customers/${a.id}`)).body.group_ids, []);
    assert.equal((await w.get(`/v1/customers?group_id=${g.id}`)).body.data.length, 0);
  });

  it("refuses unknown customer ids with 422 naming each, adding none", async () => {
    const g = await group();
    const c = await customer();
    const res = await members("POST", g.id, [c.id, UNKNOWN_ID, "nope"]);
    assertError(assert, res, 422, "validation_failed");
    const messages = res.body.error.fields.map((f) => f.message).join(" | ");
    assert.ok(messages.includes(UNKNOWN_ID) && messages.includes("nope"), messages);
    assert.ok(!messages.includes(c.id), messages);
    assert.ok(res.body.error.fields.every((f) => f.field === "customer_ids" && f.code === "not_found"));
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 0, "nothing was added");
    assertError(assert, await members("DELETE", g.id, [UNKNOWN_ID]), 422, "validation_failed");
  });

  it("refuses adding a soft-deleted customer but lets it be removed; member_count skips it", async () => {
    const g = await group();
    const c = await customer();
    await members("POST", g.id, [c.id]);
    await w.delete(`/v1/customers/${c.id}`);
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 0);
    const add = await members("POST", g.id, [c.id]);
    assertError(assert, add, 422, "validation_failed");
    assert.equal(add.body.error.fields[0].code, "customer_deleted");
    const restored = await w.post(`/v1/customers/${c.id}/restore`);
    assert.deepEqual(restored.body.group_ids, [g.id], "a restore brings the membership back");
    await w.delete(`/v1/customers/${c.id}`);
    assert.deepEqual((await members("DELETE", g.id, [c.id])).body, { group_id: g.id, removed: 1 });
  });

  it("takes 1 to 100 ids and nothing else", async () => {
    const g = await group();
    const cs = [];
    for (let i = 0; i < 100; i++) cs.push((await customer({ name: `bulk member ${i}` })).id);
    const ok = await members("POST", g.id, cs);
    assert.deepEqual(ok.body, { group_id: g.id, added: 100 });
    assertError(assert, await members("POST", g.id, [...cs, UNKNOWN_ID]), 422, "validation_failed");
    assertError(assert, await members("POST", g.id, []), 422, "validation_failed");
    assertError(assert, await w.post(`/v1/groups/${g.id}/members`, { ids: [cs[0]] }), 422, "validation_failed");
    assertError(assert, await w.post(`/v1/groups/${g.id}/members`, { customer_ids: cs[0] }), 422, "validation_failed");
    assertError(assert, await w.post(`/v1/groups/${g.id}/members`, { customer_ids: [1] }), 422, "validation_failed");
  });
});

describe("contacts", () => {
  it("adds a contact with a Location and lists it under its customer", async () => {
    const c = await customer({ company: "ACME" });
    const res = await w.post(`/v1/customers/${c.id}/contacts`, { email: " Grace@Example.com ", first_name: "Grace", last_name: "Hopper", phone: "+1 555 0100" });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    assert.equal(res.headers.get("location"), `/v1/customers/${c.id}/contacts/${res.body.id}`);
    assert.deepEqual(
      { ...res.body, id: undefined, created_at: undefined, updated_at: undefined },
      { id: undefined, customer_id: c.id, email: "Grace@Example.com", first_name: "Grace", last_name: "Hopper", phone: "+1 555 0100", created_at: undefined, updated_at: undefined },
    );
    const second = await contact(c.id);
    const list = await w.get(`/v1/customers/${c.id}/contacts`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { data: [res.body, second] });
    const other = await customer();
    assert.deepEqual((await w.get(`/v1/customers/${other.id}/contacts`)).body, { data: [] });
  });

  it("refuses a second contact with the same email in any case with 409 contact_exists", async () => {
    const c = await customer();
    const email = uniqueEmail("dup");
    await contact(c.id, { email });
    assertError(assert, await w.post(`/v1/customers/${c.id}/contacts`, { email: email.toUpperCase() }), 409, "contact_exists");
    const other = await customer();
    assert.equal((await w.post(`/v1/customers/${other.id}/contacts`, { email })).status, 201, "another customer may have it");
    const k = await contact(c.id);
    assertError(assert, await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { email }), 409, "contact_exists");
  });

  it("validates fields and refuses unknown ones with 422", async () => {
    const c = await customer();
    for (const body of [{}, { email: "" }, { email: null }, { email: "not-an-email" }, { email: 7 },
                        { email: uniqueEmail(), title: "CTO" }, { email: uniqueEmail(), id: UNKNOWN_ID },
                        { email: uniqueEmail(), phone: "call me" }, { email: uniqueEmail(), first_name: "x".repeat(201) }]) {
      assertError(assert, await w.post(`/v1/customers/${c.id}/contacts`, body), 422, "validation_failed");
    }
    const res = await w.post(`/v1/customers/${c.id}/contacts`, { email: uniqueEmail(), title: "CTO" });
    assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]), [["title", "unknown_field"]]);
    assert.deepEqual((await w.get(`/v1/customers/${c.id}/contacts`)).body.data, []);
  });

  it("patches given fields only, null clears, the email cannot be removed", async () => {
    const c = await customer();
    const k = await contact(c.id, { first_name: "Ada", last_name: "King" });
    await new Promise((r) => setTimeout(r, 5));
    const res = await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { last_name: null, phone: "555 0101" },
                              { headers: { "content-type": "application/merge-patch+json" } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([res.body.first_name, res.body.last_name, res.body.phone, res.body.email], ["Ada", null, "555 0101", k.email]);
    assert.ok(res.body.updated_at > k.updated_at);
    assert.equal(res.body.created_at, k.created_at);
    const email = uniqueEmail("new");
    assert.equal((await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { email })).body.email, email);
    assertError(assert, await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { email: null }), 422, "validation_failed");
    assertError(assert, await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { nickname: "A" }), 422, "validation_failed");
    const same = await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { first_name: "Ada" });
    assert.equal(same.status, 200);
    assert.equal(same.body.updated_at, (await w.get(`/v1/customers/${c.id}/contacts`)).body.data[0].updated_at);
  });

  it("deletes a contact with 204", async () => {
    const c = await customer();
    const k = await contact(c.id);
    const res = await w.delete(`/v1/customers/${c.id}/contacts/${k.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, "");
    assert.deepEqual((await w.get(`/v1/customers/${c.id}/contacts`)).body.data, []);
    assertError(assert, await w.delete(`/v1/customers/${c.id}/contacts/${k.id}`), 404, "not_found");
  });

  it("answers 404 for an unknown customer or contact, and for a contact of another customer", async () => {
    const c = await customer();
    const k = await contact(c.id);
    const other = await customer();
    for (const id of [UNKNOWN_ID, "nope"]) {
      assertError(assert, await w.get(`/v1/customers/${id}/contacts`), 404, "not_found");
      assertError(assert, await w.post(`/v1/customers/${id}/contacts`, { email: uniqueEmail() }), 404, "not_found");
      assertError(assert, await w.patch(`/v1/customers/${c.id}/contacts/${id}`, { first_name: "x" }), 404, "not_found");
      assertError(assert, await w.delete(`/v1/customers/${c.id}/contacts/${id}`), 404, "not_found");
    }
    assertError(assert, await w.patch(`/v1/customers/${other.id}/contacts/${k.id}`, { first_name: "x" }), 404, "not_found");
    assertError(assert, await w.delete(`/v1/customers/${other.id}/contacts/${k.id}`), 404, "not_found");
    assert.equal((await w.get(`/v1/customers/${c.id}/contacts`)).body.data.length, 1);
  });

  it("refuses adding or changing contacts of a soft-deleted customer with 409 customer_deleted", async () => {
    const c = await customer();
    const k = await contact(c.id);
    await w.delete(`/v1/customers/${c.id}`);
    assertError(assert, await w.post(`/v1/customers/${c.id}/contacts`, { email: uniqueEmail() }), 409, "customer_deleted");
    assertError(assert, await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { first_name: "x" }), 409, "customer_deleted");
    assert.deepEqual((await w.get(`/v1/customers/${c.id}/contacts`)).body.data, [k], "still readable");
    assert.equal((await w.delete(`/v1/customers/${c.id}/contacts/${k.id}`)).status, 204, "still removable");
  });

  it("goes with the customer on a force delete, counted by the dry run", async () => {
    const c = await customer();
    await contact(c.id);
    await contact(c.id);
    const g1 = await group();
    const g2 = await group();
    await members("POST", g1.id, [c.id]);
    await members("POST", g2.id, [c.id]);
    const dry = await w.delete(`/v1/customers/${c.id}?permanent=true&dry_run=true`);
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(dry.body.deleted, { customers: 1, interactions: 0, group_memberships: 2, contacts: 2 });
    assert.equal((await w.get(`/v1/customers/${c.id}/contacts`)).body.data.length, 2, "the dry run removed nothing");
    const real = await w.delete(`/v1/customers/${c.id}?permanent=true`);
    assert.equal(real.status, 200, real.text);
    assert.equal(real.body.deleted.contacts, 2);
    assert.equal(real.body.deleted.group_memberships, 2);
    assertError(assert, await w.get(`/v1/customers/${c.id}/contacts`), 404, "not_found");
    const left = await w.db.prepare("SELECT count(*) AS n FROM contacts WHERE customer_id = ?").bind(c.id).first();
    assert.equal(left.n, 0);
    const g = await w.get(`/v1/groups/${g1.id}`);
    assert.equal(g.status, 200, "the groups stay");
    assert.equal(g.body.member_count, 0);
  });
});

describe("permissions", () => {
  it("lets customers:read list and get groups and contacts but not change them, naming the permission", async () => {
    const g = await group();
    const c = await customer();
    const k = await contact(c.id);
    const token = await key(["customers:read"]);
    assert.equal((await w.get("/v1/groups", { token })).status, 200);
    assert.equal((await w.get(`/v1/groups/${g.id}`, { token })).status, 200);
    assert.equal((await w.get(`/v1/customers/${c.id}/contacts`, { token })).status, 200);
    const denied = [
      [await w.post("/v1/groups", { name: "nope" }, { token }), "groups:manage"],
      [await w.patch(`/v1/groups/${g.id}`, { name: "nope" }, { token }), "groups:manage"],
      [await w.delete(`/v1/groups/${g.id}`, { token }), "groups:manage"],
      [await w.call("POST", `/v1/groups/${g.id}/members`, { json: { customer_ids: [c.id] }, token }), "groups:manage"],
      [await w.call("DELETE", `/v1/groups/${g.id}/members`, { json: { customer_ids: [c.id] }, token }), "groups:manage"],
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
    const c = await customer();
    const groupsToken = await key(["groups:manage"]);
    const made = await w.post("/v1/groups", { name: `by key ${Date.now()}` }, { token: groupsToken });
    assert.equal(made.status, 201, made.text);
    const added = await w.call("POST", `/v1/groups/${made.body.id}/members`, { json: { customer_ids: [c.id] }, token: groupsToken });
    assert.equal(added.status, 200, added.text);
    const contactsToken = await key(["customers:update"]);
    assert.equal((await w.post(`/v1/customers/${c.id}/contacts`, { email: uniqueEmail() }, { token: contactsToken })).status, 201);
  });

  it("answers 401 without a token", async () => {
    assertError(assert, await w.get("/v1/groups", { token: null }), 401, "unauthorized");
    assertError(assert, await w.get(`/v1/customers/${UNKNOWN_ID}/contacts`, { token: null }), 401, "unauthorized");
  });
});

describe("audit", () => {
  it("records every group action with field names only", async () => {
    const c = await customer();
    const made = await w.post("/v1/groups", { name: `Audited ${Date.now()}`, description: "secret plans" });
    const id = made.body.id;
    const steps = [
      ["group.create", made, ["name", "description"]],
      ["group.update", await w.patch(`/v1/groups/${id}`, { description: "other plans" }), ["description"]],
      ["group.members_add", await members("POST", id, [c.id]), ["members"]],
      ["group.members_remove", await members("DELETE", id, [c.id]), ["members"]],
      ["group.delete", await w.delete(`/v1/groups/${id}`), []],
    ];
    const log = await auditEntries(id);
    for (const [action, res, fields] of steps) {
      assert.ok(res.status < 300, `${action}: ${res.text}`);
      const entry = log.find((e) => e.action === action);
      assert.ok(entry, `no audit entry for ${action}`);
      assert.equal(entry.request_id, res.headers.get("x-request-id"));
      assert.equal(entry.target_id, id);
      assert.deepEqual(entry.changed_fields, fields, action);
    }
    assert.ok(!JSON.stringify(log).includes("plans") && !JSON.stringify(log).includes("Audited"), "no values");
  });

  it("records every contact action with field names only, and nothing for a no-op", async () => {
    const c = await customer();
    const email = uniqueEmail("audited-contact");
    const made = await w.post(`/v1/customers/${c.id}/contacts`, { email, first_name: "Grace" });
    const id = made.body.id;
    const steps = [
      ["contact.create", made, ["email", "first_name"]],
      ["contact.update", await w.patch(`/v1/customers/${c.id}/contacts/${id}`, { phone: "+1 555 0142", first_name: "Grace" }), ["phone"]],
    ];
    assert.equal((await w.patch(`/v1/customers/${c.id}/contacts/${id}`, { first_name: "Grace" })).status, 200);
    steps.push(["contact.delete", await w.delete(`/v1/customers/${c.id}/contacts/${id}`), []]);
    const log = await auditEntries(id);
    assert.equal(log.length, steps.length, JSON.stringify(log));
    for (const [action, res, fields] of steps) {
      assert.ok(res.status < 300, `${action}: ${res.text}`);
      const entry = log.find((e) => e.action === action);
      assert.ok(entry, `no audit entry for ${action}`);
      assert.equal(entry.request_id, res.headers.get("x-request-id"));
      assert.deepEqual(entry.changed_fields, fields, action);
    }
    const text = JSON.stringify(log);
    // The whole phone number: a bare "555" also turns up inside random hex ids.
    for (const personal of [email, "Grace", "555 0142", "5550142"]) {
      assert.ok(!text.includes(personal), `audit log leaks ${personal}`);
    }
  });
});
