// Groups: create, list, patch, delete, members, and their audit entries.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, UNKNOWN_ID } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

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
    const g = await w.createGroup({ name: "Partners" });
    assertError(assert, await w.post("/v1/groups", { name: "PARTNERS" }), 409, "group_exists");
    const other = await w.createGroup({ name: "Resellers" });
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
    const b = await w.createGroup({ name: "zz-list-b" });
    const a = await w.createGroup({ name: "ZZ-list-a" });
    const res = await w.get("/v1/groups");
    assert.equal(res.status, 200);
    const names = res.body.data.map((g) => g.name);
    assert.ok(names.indexOf(a.name) < names.indexOf(b.name), names.join(", "));
    const sorted = [...names].sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : x.toLowerCase() > y.toLowerCase() ? 1 : 0));
    assert.deepEqual(names, sorted);
  });

  it("patches only the given fields, clears a description with null and bumps updated_at", async () => {
    const g = await w.createGroup({ description: "old" });
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
      assertError(assert, await w.addMembers(id, [UNKNOWN_ID]), 404, "not_found");
      assertError(assert, await w.removeMembers(id, [UNKNOWN_ID]), 404, "not_found");
    }
  });

  it("deletes a group with 204, keeping its customers", async () => {
    const g = await w.createGroup();
    const c = await w.createCustomer();
    assert.equal((await w.addMembers(g.id, [c.id])).status, 200);
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
    const g = await w.createGroup();
    const a = await w.createCustomer({ name: "Member A" });
    const b = await w.createCustomer({ name: "Member B" });
    const outsider = await w.createCustomer({ name: "Outsider" });
    const res = await w.addMembers(g.id, [a.id, b.id, a.id]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { group_id: g.id, added: 2 });
    const again = await w.addMembers(g.id, [a.id, b.id]);
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
    const g1 = await w.createGroup();
    const g2 = await w.createGroup();
    const c = await w.createCustomer();
    await w.addMembers(g1.id, [c.id]);
    await w.addMembers(g2.id, [c.id]);
    assert.deepEqual((await w.get(`/v1/customers/${c.id}`)).body.group_ids, [g1.id, g2.id].sort());
  });

  it("removes members, counting only those that were members, and keeps the customers", async () => {
    const g = await w.createGroup();
    const a = await w.createCustomer();
    const b = await w.createCustomer();
    await w.addMembers(g.id, [a.id]);
    const res = await w.removeMembers(g.id, [a.id, b.id]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { group_id: g.id, removed: 1 });
    assert.deepEqual((await w.removeMembers(g.id, [a.id])).body, { group_id: g.id, removed: 0 });
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 0);
    assert.deepEqual((await w.get(`/v1/customers/${a.id}`)).body.group_ids, []);
    assert.equal((await w.get(`/v1/customers?group_id=${g.id}`)).body.data.length, 0);
  });

  it("refuses unknown customer ids with 422 naming each, adding none", async () => {
    const g = await w.createGroup();
    const c = await w.createCustomer();
    const res = await w.addMembers(g.id, [c.id, UNKNOWN_ID, "nope"]);
    assertError(assert, res, 422, "validation_failed");
    const messages = res.body.error.fields.map((f) => f.message).join(" | ");
    assert.ok(messages.includes(UNKNOWN_ID) && messages.includes("nope"), messages);
    assert.ok(!messages.includes(c.id), messages);
    assert.ok(res.body.error.fields.every((f) => f.field === "customer_ids" && f.code === "not_found"));
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 0, "nothing was added");
    assertError(assert, await w.removeMembers(g.id, [UNKNOWN_ID]), 422, "validation_failed");
  });

  it("refuses adding a soft-deleted customer but lets it be removed; member_count skips it", async () => {
    const g = await w.createGroup();
    const c = await w.createCustomer();
    await w.addMembers(g.id, [c.id]);
    await w.delete(`/v1/customers/${c.id}`);
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 0);
    const add = await w.addMembers(g.id, [c.id]);
    assertError(assert, add, 422, "validation_failed");
    assert.equal(add.body.error.fields[0].code, "customer_deleted");
    const restored = await w.post(`/v1/customers/${c.id}/restore`);
    assert.deepEqual(restored.body.group_ids, [g.id], "a restore brings the membership back");
    await w.delete(`/v1/customers/${c.id}`);
    assert.deepEqual((await w.removeMembers(g.id, [c.id])).body, { group_id: g.id, removed: 1 });
  });

  it("takes 1 to 100 ids and nothing else", async () => {
    const g = await w.createGroup();
    const cs = [];
    for (let i = 0; i < 100; i++) cs.push((await w.createCustomer({ name: `bulk member ${i}` })).id);
    const ok = await w.addMembers(g.id, cs);
    assert.deepEqual(ok.body, { group_id: g.id, added: 100 });
    assertError(assert, await w.addMembers(g.id, [...cs, UNKNOWN_ID]), 422, "validation_failed");
    assertError(assert, await w.addMembers(g.id, []), 422, "validation_failed");
    assertError(assert, await w.post(`/v1/groups/${g.id}/members`, { ids: [cs[0]] }), 422, "validation_failed");
    assertError(assert, await w.post(`/v1/groups/${g.id}/members`, { customer_ids: cs[0] }), 422, "validation_failed");
    assertError(assert, await w.post(`/v1/groups/${g.id}/members`, { customer_ids: [1] }), 422, "validation_failed");
  });
});

describe("audit", () => {
  it("records every group action with field names only", async () => {
    const c = await w.createCustomer();
    const made = await w.post("/v1/groups", { name: `Audited ${Date.now()}`, description: "secret plans" });
    const id = made.body.id;
    const steps = [
      ["group.create", made, ["name", "description"]],
      ["group.update", await w.patch(`/v1/groups/${id}`, { description: "other plans" }), ["description"]],
      ["group.members_add", await w.addMembers(id, [c.id]), ["members"]],
      ["group.members_remove", await w.removeMembers(id, [c.id]), ["members"]],
      ["group.delete", await w.delete(`/v1/groups/${id}`), []],
    ];
    const log = await w.auditOf(id);
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
});
