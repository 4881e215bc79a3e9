// Groups as ThingsBoard has them: the built-in All (every live customer), groups chosen when a
// customer is created, and the `groups` column of a CSV import (with create_groups).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail, UNKNOWN_ID } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

const tag = () => Math.random().toString(36).slice(2, 10);

// Every group, following next_cursor page by page with `limit`.
async function everyGroup(limit) {
  const seen = [];
  let cursor = null;
  for (let pages = 0; pages < 1000; pages++) {
    const res = await w.get(`/v1/groups?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.data.length <= limit);
    seen.push(...res.body.data);
    if (!res.body.has_more) {
      assert.equal(res.body.next_cursor, null);
      return seen;
    }
    cursor = res.body.next_cursor;
  }
  throw new Error("the group list never ended");
}

async function liveTotal() {
  const res = await w.get("/v1/customers?include_total=true&limit=1");
  assert.equal(res.status, 200, res.text);
  return res.body.total;
}

async function allGroup() {
  const res = await w.get("/v1/groups/all");
  assert.equal(res.status, 200, res.text);
  return res.body;
}

describe("the built-in group All", () => {
  it("lists first as {id: all, name: All, builtin: true}; stored groups are builtin: false", async () => {
    await w.createGroup();
    const res = await w.get("/v1/groups");
    assert.equal(res.status, 200, res.text);
    const [first, ...rest] = res.body.data;
    assert.deepEqual({ id: first.id, name: first.name, builtin: first.builtin }, { id: "all", name: "All", builtin: true });
    assert.equal(first.created_at, null);
    assert.ok(rest.length > 0 && rest.every((g) => g.builtin === false), JSON.stringify(rest));
    assert.deepEqual(Object.keys(res.body).sort(), ["data", "has_more", "next_cursor"]);
  });

  it("GET /v1/groups/all answers All with every live customer counted", async () => {
    await w.createCustomer();
    const all = await allGroup();
    assert.deepEqual({ id: all.id, name: all.name, builtin: all.builtin }, { id: "all", name: "All", builtin: true });
    assert.equal(all.member_count, await liveTotal());
    assert.ok(Number.isInteger(all.member_count));
  });

  it("counts creates, soft deletes, restores, force deletes and imports", async () => {
    const before = (await allGroup()).member_count;
    const a = await w.createCustomer();
    const b = await w.createCustomer();
    assert.equal((await allGroup()).member_count, before + 2);
    await w.delete(`/v1/customers/${a.id}`);
    assert.equal((await allGroup()).member_count, before + 1);
    await w.delete(`/v1/customers/${a.id}`);
    assert.equal((await allGroup()).member_count, before + 1, "a second soft delete changes nothing");
    await w.post(`/v1/customers/${a.id}/restore`);
    assert.equal((await allGroup()).member_count, before + 2);
    await w.delete(`/v1/customers/${b.id}?permanent=true`);
    assert.equal((await allGroup()).member_count, before + 1);
    await w.delete(`/v1/customers/${a.id}`);
    await w.delete(`/v1/customers/${a.id}?permanent=true`);
    assert.equal((await allGroup()).member_count, before, "force deleting a soft-deleted customer changes nothing");
    const imported = await w.importCsv(`name\nImported ${tag()}\nImported ${tag()}\n`);
    assert.equal(imported.status, 200, imported.text);
    assert.equal((await allGroup()).member_count, before + 2);
    await w.interact({ email: uniqueEmail("visitor"), type: "form_submitted", resource_id: "form-1" });
    assert.equal((await allGroup()).member_count, before + 3);
    assert.equal((await allGroup()).member_count, await liveTotal());
  });

  it("cannot be renamed, described or deleted: 409 group_builtin, before the body is read", async () => {
    assertError(assert, await w.patch("/v1/groups/all", { name: "Everyone" }), 409, "group_builtin");
    assertError(assert, await w.patch("/v1/groups/all", { description: "x" }), 409, "group_builtin");
    assertError(assert, await w.call("PATCH", "/v1/groups/all", { body: "{", headers: { "content-type": "application/json" } }), 409, "group_builtin");
    assertError(assert, await w.delete("/v1/groups/all"), 409, "group_builtin");
    assert.equal((await allGroup()).name, "All");
  });

  it("cannot be given members or lose them: 409 group_builtin", async () => {
    const c = await w.createCustomer();
    const add = await w.addMembers("all", [c.id]);
    assertError(assert, add, 409, "group_builtin");
    assert.match(add.body.error.message, /All/);
    assertError(assert, await w.removeMembers("all", [c.id]), 409, "group_builtin");
    assert.deepEqual((await w.get(`/v1/customers/${c.id}`)).body.group_ids, []);
  });

  it("keeps its name: no stored group may be called All, in any case", async () => {
    const res = await w.post("/v1/groups", { name: " all " });
    assertError(assert, res, 422, "validation_failed");
    assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]), [["name", "reserved"]]);
    const g = await w.createGroup();
    assertError(assert, await w.patch(`/v1/groups/${g.id}`, { name: "ALL" }), 422, "validation_failed");
    assert.equal((await w.post("/v1/groups", { name: `All ${tag()}` })).status, 201, "a longer name is fine");
  });

  it("is the only group with a non-uuid id; other odd ids stay 404", async () => {
    for (const id of ["ALL", "All", "all2"]) assertError(assert, await w.get(`/v1/groups/${id}`), 404, "not_found");
  });
});

describe("paging the group list with All first", () => {
  it("lists every group exactly once, All first, at every page size", async () => {
    for (let i = 0; i < 7; i++) await w.createGroup({ name: `paged ${tag()}` });
    const whole = (await w.get("/v1/groups?limit=100")).body.data;
    assert.equal(whole[0].id, "all");
    const stored = whole.slice(1).map((g) => g.name.toLowerCase());
    assert.deepEqual(stored, [...stored].sort(), "stored groups by name");
    for (const limit of [1, 2, 3, 5]) {
      const paged = await everyGroup(limit);
      assert.deepEqual(paged.map((g) => g.id), whole.map((g) => g.id), `limit ${limit}`);
    }
  });

  it("a first page of one row is All alone, and its cursor continues with the first stored group", async () => {
    const first = await w.get("/v1/groups?limit=1");
    assert.deepEqual(first.body.data.map((g) => g.id), ["all"]);
    assert.equal(first.body.has_more, true);
    const second = await w.get(`/v1/groups?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    const whole = (await w.get("/v1/groups?limit=2")).body.data;
    assert.deepEqual(second.body.data.map((g) => g.id), [whole[1].id]);
  });

  it("sees a group created between pages once, where its name sorts", async () => {
    const first = await w.get("/v1/groups?limit=2");
    const late = await w.createGroup({ name: `zzzz late ${tag()}` });
    const rest = [];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const page = await w.get(`/v1/groups?limit=2&cursor=${encodeURIComponent(cursor)}`);
      rest.push(...page.body.data);
      cursor = page.body.next_cursor;
    }
    const ids = [...first.body.data, ...rest].map((g) => g.id);
    assert.equal(ids.filter((id) => id === late.id).length, 1);
    assert.equal(ids.filter((id) => id === "all").length, 1);
  });

  it("refuses bad paging parameters with 400 invalid_parameter", async () => {
    for (const q of ["limit=0", "limit=101", "limit=x", "cursor=nope", "limit=1&limit=2", "sort=name", "cursor="]) {
      assertError(assert, await w.get(`/v1/groups?${q}`), 400, "invalid_parameter");
    }
    const customersCursor = (await w.get("/v1/customers?limit=1")).body.next_cursor;
    if (customersCursor) assertError(assert, await w.get(`/v1/groups?cursor=${customersCursor}`), 400, "invalid_parameter");
  });
});

describe("the members of All", () => {
  it("are the live customers, paged with the customer list's cursors", async () => {
    const t = tag();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await w.createCustomer({ name: `All member ${t} ${i}`, email: uniqueEmail("allm") }));
    await w.delete(`/v1/customers/${made[2].id}`);
    const pages = async (base) => {
      const ids = [];
      let cursor = null;
      do {
        const res = await w.get(`${base}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        assert.equal(res.status, 200, res.text);
        ids.push(...res.body.data.map((c) => c.id));
        cursor = res.body.next_cursor;
      } while (cursor);
      return ids;
    };
    const q = `q=${encodeURIComponent(`all member ${t}`)}&sort=name`;
    const members = await pages(`/v1/customers?group_id=all&${q}`);
    assert.deepEqual(members, await pages(`/v1/customers?${q}`));
    assert.deepEqual(members, [0, 1, 3, 4].map((i) => made[i].id));
    const total = await w.get(`/v1/customers?group_id=all&include_total=true&limit=1`);
    assert.equal(total.body.total, (await allGroup()).member_count);
  });

  it("never include a deleted customer, whatever the status", async () => {
    const c = await w.createCustomer({ name: `Gone ${tag()}`, email: uniqueEmail("gone") });
    await w.delete(`/v1/customers/${c.id}`);
    const deleted = await w.get(`/v1/customers?group_id=all&status=deleted&email=${encodeURIComponent(c.email)}`);
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(deleted.body.data, []);
    const everyone = await w.get(`/v1/customers?group_id=all&status=all&email=${encodeURIComponent(c.email)}`);
    assert.deepEqual(everyone.body.data, []);
  });

  it("are filtered by the filter body too, alone or beside stored groups", async () => {
    const t = tag();
    const g = await w.createGroup();
    const live = await w.createCustomer({ name: `Filter all ${t} live`, email: uniqueEmail("fa") });
    const gone = await w.createCustomer({ name: `Filter all ${t} gone`, email: uniqueEmail("fg") });
    await w.addMembers(g.id, [gone.id]);
    await w.delete(`/v1/customers/${gone.id}`);
    const body = (conditions) => ({ status: "all", sort: "name", conditions: [{ field: "name", op: "contains", value: `filter all ${t}` }, ...conditions] });
    const names = async (conditions) => {
      const res = await w.post("/v1/customers/filter", body(conditions));
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((c) => c.id);
    };
    assert.deepEqual(await names([{ field: "group_id", op: "eq", value: "all" }]), [live.id]);
    assert.deepEqual(await names([{ field: "group_id", op: "neq", value: "all" }]), [gone.id]);
    assert.deepEqual(await names([{ field: "group_id", op: "in", value: ["all", g.id] }]), [gone.id, live.id]);
  });
});

describe("group_ids on create", () => {
  it("puts the new customer in existing groups, duplicates collapsed, in one write with its audit row", async () => {
    const g1 = await w.createGroup();
    const g2 = await w.createGroup();
    const res = await w.post("/v1/customers", { name: "Grouped", email: uniqueEmail("grouped"), group_ids: [g2.id, g1.id, g2.id] });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.group_ids, [g1.id, g2.id].sort());
    const got = await w.get(`/v1/customers/${res.body.id}`);
    assert.deepEqual(got.body.group_ids, res.body.group_ids);
    assert.equal((await w.get(`/v1/groups/${g1.id}`)).body.member_count, 1);
    const listed = await w.get(`/v1/customers?group_id=${g2.id}`);
    assert.deepEqual(listed.body.data.map((c) => c.id), [res.body.id]);
    const [entry] = (await w.auditOf(res.body.id)).filter((e) => e.action === "customer.create");
    assert.deepEqual(entry.changed_fields, ["name", "email", "group_ids"]);
    assert.deepEqual([...entry.details.group_ids].sort(), [g1.id, g2.id].sort());
    assert.equal(entry.request_id, res.headers.get("x-request-id"));
  });

  it("takes an empty list, and creates a customer in no group", async () => {
    const res = await w.post("/v1/customers", { name: "No groups", group_ids: [] });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.group_ids, []);
    const [entry] = await w.auditOf(res.body.id);
    assert.deepEqual(entry.changed_fields, ["name"]);
  });

  it("refuses an unknown group id with 422 naming group_ids and the id, writing nothing", async () => {
    const g = await w.createGroup();
    const email = uniqueEmail("unknown-group");
    const res = await w.post("/v1/customers", { name: "Nope", email, group_ids: [g.id, UNKNOWN_ID, "not-a-uuid"] });
    assertError(assert, res, 422, "validation_failed");
    assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]), [["group_ids", "not_found"], ["group_ids", "not_found"]]);
    const messages = res.body.error.fields.map((f) => f.message).join(" | ");
    assert.ok(messages.includes(UNKNOWN_ID) && messages.includes("not-a-uuid") && !messages.includes(g.id), messages);
    assert.deepEqual(await w.customersByEmail(email, "all"), []);
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 0);
  });

  it("refuses All, a non-list and non-string ids with 422", async () => {
    const all = await w.post("/v1/customers", { name: "Into All", group_ids: ["all"] });
    assertError(assert, all, 422, "validation_failed");
    assert.deepEqual(all.body.error.fields.map((f) => [f.field, f.code]), [["group_ids[0]", "group_builtin"]]);
    for (const group_ids of ["g1", { id: "g1" }, [1], null]) {
      assertError(assert, await w.post("/v1/customers", { name: "Bad groups", group_ids }), 422, "validation_failed");
    }
    const many = await w.post("/v1/customers", { name: "Too many", group_ids: Array.from({ length: 101 }, (_, i) => `g${i}`) });
    assertError(assert, many, 422, "validation_failed");
  });

  it("a patch still cannot set group_ids (memberships change through the group)", async () => {
    const g = await w.createGroup();
    const c = await w.createCustomer();
    const res = await w.patch(`/v1/customers/${c.id}`, { group_ids: [g.id] });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].code, "read_only");
  });

  it("replays the same answer, group_ids included, for the same Idempotency-Key", async () => {
    const g = await w.createGroup();
    const body = { name: "Idempotent grouped", email: uniqueEmail("idem"), group_ids: [g.id] };
    const headers = { "idempotency-key": `key-${tag()}` };
    const first = await w.post("/v1/customers", body, { headers });
    assert.equal(first.status, 201, first.text);
    const again = await w.post("/v1/customers", body, { headers });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(again.body, first.body);
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 1, "one customer, one membership");
    const unknown = { name: "Idempotent unknown", group_ids: [UNKNOWN_ID] };
    const key = { "idempotency-key": `key-${tag()}` };
    assertError(assert, await w.post("/v1/customers", unknown, { headers: key }), 422, "validation_failed");
    const replayed = await w.post("/v1/customers", unknown, { headers: key });
    assert.deepEqual([replayed.status, replayed.body.error.code, replayed.headers.get("idempotent-replayed")], [422, "validation_failed", "true"]);
  });

  it("a live email still answers 409 customer_exists and adds no membership", async () => {
    const g = await w.createGroup();
    const c = await w.createCustomer();
    const res = await w.post("/v1/customers", { email: c.email, group_ids: [g.id] });
    assertError(assert, res, 409, "customer_exists");
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 0);
  });
});

describe("the groups column of an import", () => {
  it("puts each row's customer in the groups it names (case-insensitively, ; separated, trimmed)", async () => {
    const t = tag();
    const vip = await w.createGroup({ name: `VIP ${t}` });
    const partners = await w.createGroup({ name: `Partners ${t}` });
    const [a, b, c] = ["a", "b", "c"].map((x) => uniqueEmail(`col-${x}`));
    const csv = `name,email,Groups\nA,${a}," vip ${t} ; PARTNERS ${t};;"\nB,${b},Partners ${t}\nC,${c},\n`;
    const res = await w.importCsv(csv);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.created, 3);
    assert.deepEqual(res.body.new_groups, []);
    const groupsOf = async (email) => (await w.customersByEmail(email))[0].group_ids;
    assert.deepEqual(await groupsOf(a), [vip.id, partners.id].sort());
    assert.deepEqual(await groupsOf(b), [partners.id]);
    assert.deepEqual(await groupsOf(c), []);
    assert.deepEqual((await w.customersByEmail(a))[0].attributes, {}, "groups is no attribute");
    const id = res.body.rows[0].id;
    const [entry] = (await w.auditOf(id)).filter((e) => e.action === "customer.create");
    assert.deepEqual(entry.changed_fields, ["name", "email", "group_ids"]);
    assert.deepEqual([...entry.details.group_ids].sort(), [vip.id, partners.id].sort());
  });

  it("fails a row naming an unknown group, naming the group, unless create_groups=true", async () => {
    const name = `Unknown ${tag()}`;
    const res = await w.importCsv(`name,groups\nRow,${name}\n`, "?atomic=false");
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.failed, 1);
    const [err] = res.body.rows[0].errors;
    assert.deepEqual([err.field, err.code], ["groups", "not_found"]);
    assert.ok(err.message.includes(name) && err.message.includes("create_groups=true"), err.message);
    const groups = (await w.get("/v1/groups?limit=100")).body.data.map((g) => g.name);
    assert.ok(!groups.includes(name));
  });

  it("with create_groups=true creates a missing group once for every row naming it, audited", async () => {
    const t = tag();
    const name = `Fresh ${t}`;
    const emails = [1, 2, 3].map((i) => uniqueEmail(`fresh${i}`));
    const csv = `name,email,groups\nOne,${emails[0]},${name}\nTwo,${emails[1]},"${name.toUpperCase()};${name}"\nThree,${emails[2]},${name.toLowerCase()}\n`;
    const res = await w.importCsv(csv, "?create_groups=true");
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.created, 3);
    assert.deepEqual(res.body.new_groups, [name]);
    const found = (await w.get("/v1/groups?limit=100")).body.data.filter((g) => g.name.toLowerCase() === name.toLowerCase());
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0].name, name, "the first spelling wins");
    assert.equal(found[0].member_count, 3);
    for (const email of emails) assert.deepEqual((await w.customersByEmail(email))[0].group_ids, [found[0].id]);
    const log = await w.auditOf(found[0].id);
    assert.deepEqual(log.map((e) => [e.action, e.request_id]), [["group.create", res.headers.get("x-request-id")]]);
    assert.ok(!JSON.stringify(log).includes(name), "no names in the audit log");
  });

  it("with create_groups=true and a dry run reports the groups it would create, creating none", async () => {
    const name = `Dry ${tag()}`;
    const res = await w.importCsv(`name,groups\nDry row,${name}\n`, "?create_groups=true&dry_run=true");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([res.body.dry_run, res.body.valid, res.body.created], [true, 1, 0]);
    assert.deepEqual(res.body.new_groups, [name]);
    const groups = (await w.get("/v1/groups?limit=100")).body.data.map((g) => g.name);
    assert.ok(!groups.includes(name));
    const without = await w.importCsv(`name,groups\nDry row,${name}\n`, "?dry_run=true");
    assert.equal(without.body.failed, 1);
    assert.equal(without.body.rows[0].errors[0].code, "not_found");
  });

  it("takes create_groups exactly true or false: create_groups=1, empty or bare is 400", async () => {
    for (const q of ["?create_groups=1", "?create_groups=", "?create_groups", "?create_groups=TRUE", "?create_groups=true&create_groups=true"]) {
      const res = await w.importCsv(`name,groups\nFlag row,Flag ${tag()}\n`, q);
      assertError(assert, res, 400, "invalid_parameter");
      assert.equal(res.body.error.parameter, "create_groups");
    }
    const no = await w.importCsv(`name\nFlag false ${tag()}\n`, "?create_groups=false");
    assert.equal(no.status, 200, no.text);
  });

  it("an atomic import with one bad groups cell writes nothing: no customer, no membership, no group", async () => {
    const t = tag();
    const known = await w.createGroup({ name: `Known ${t}` });
    const good = uniqueEmail("atomic-good");
    const csv = `name,email,groups\nGood,${good},Known ${t};New ${t}\nBad,${uniqueEmail("atomic-bad")},"${"x".repeat(101)}"\n`;
    const res = await w.importCsv(csv, "?create_groups=true");
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.code, "validation_failed");
    assert.deepEqual(res.body.rows.map((r) => r.status), ["valid", "failed"]);
    assert.deepEqual(res.body.rows[1].errors.map((e) => [e.field, e.code]), [["groups", "too_long"]]);
    assert.deepEqual(res.body.new_groups, [`New ${t}`], "what it would create");
    assert.deepEqual(await w.customersByEmail(good, "all"), []);
    assert.equal((await w.get(`/v1/groups/${known.id}`)).body.member_count, 0);
    const names = (await w.get("/v1/groups?limit=100")).body.data.map((g) => g.name);
    assert.ok(!names.includes(`New ${t}`));
  });

  it("a non-atomic import writes the good rows with their groups and fails the bad ones", async () => {
    const t = tag();
    const g = await w.createGroup({ name: `Half ${t}` });
    const good = uniqueEmail("half-good");
    const res = await w.importCsv(`name,email,groups\nGood,${good},Half ${t}\nBad,${uniqueEmail("half-bad")},Missing ${t}\n`, "?atomic=false");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.rows.map((r) => r.status), ["created", "failed"]);
    assert.deepEqual((await w.customersByEmail(good))[0].group_ids, [g.id]);
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 1);
  });

  it("fails a row that names All, which takes no members", async () => {
    const res = await w.importCsv(`name,groups\nAll row,all\n`, "?atomic=false&create_groups=true");
    assert.equal(res.body.failed, 1);
    assert.deepEqual(res.body.rows[0].errors.map((e) => [e.field, e.code]), [["groups", "group_builtin"]]);
    assert.deepEqual(res.body.new_groups, []);
  });

  it("upsert adds the named groups to an existing customer, keeping its others and its version", async () => {
    const t = tag();
    const old = await w.createGroup({ name: `Old ${t}` });
    const added = await w.createGroup({ name: `Added ${t}` });
    const c = await w.createCustomer({ name: "Upserted", email: uniqueEmail("ups"), group_ids: [old.id] });
    const res = await w.importCsv(`email,groups\n${c.email},Added ${t}\n`, "?mode=upsert");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.rows.map((r) => r.status), ["updated"]);
    const now = (await w.get(`/v1/customers/${c.id}`)).body;
    assert.deepEqual(now.group_ids, [old.id, added.id].sort());
    assert.deepEqual([now.version, now.updated_at], [c.version, c.updated_at], "only memberships changed");
    const entry = (await w.auditOf(c.id)).find((e) => e.action === "customer.update");
    assert.deepEqual(entry.changed_fields, ["group_ids"]);
    assert.deepEqual([...entry.details.group_ids].sort(), [old.id, added.id].sort());
    const again = await w.importCsv(`email,groups\n${c.email},Added ${t}\n`, "?mode=upsert");
    assert.equal(again.status, 200, again.text);
    assert.equal((await w.auditOf(c.id)).filter((e) => e.action === "customer.update").length, 1, "nothing to change, nothing audited");
  });

  it("skip mode leaves an existing customer's groups alone", async () => {
    const g = await w.createGroup();
    const c = await w.createCustomer();
    const res = await w.importCsv(`email,groups\n${c.email},${g.name}\n`, "?mode=skip");
    assert.deepEqual(res.body.rows.map((r) => r.status), ["skipped"]);
    assert.deepEqual((await w.get(`/v1/customers/${c.id}`)).body.group_ids, []);
  });

  it("create_groups=true needs groups:manage beside customers:import (403); naming existing groups does not", async () => {
    const key = await w.createKey(["customers:import", "customers:read"]);
    const g = await w.createGroup();
    const forbidden = await w.importCsv(`name,groups\nKeyed,New ${tag()}\n`, "?create_groups=true", { token: key.secret });
    assertError(assert, forbidden, 403, "forbidden");
    assert.match(forbidden.body.error.message, /groups:manage/);
    const ok = await w.importCsv(`name,groups\nKeyed ${tag()},${g.name}\n`, "", { token: key.secret });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await w.get(`/v1/groups/${g.id}`)).body.member_count, 1);
  });

  it("two imports creating the same new group at once both land in one group", async () => {
    const name = `Raced ${tag()}`;
    const csv = (n) => `name,email,groups\n${n},${uniqueEmail("race")},${name}\n`;
    const results = await Promise.all([1, 2, 3].map((i) => w.importCsv(csv(`Racer ${i}`), "?create_groups=true")));
    for (const r of results) assert.equal(r.status, 200, r.text);
    const found = (await w.get("/v1/groups?limit=100")).body.data.filter((g) => g.name === name);
    assert.equal(found.length, 1);
    assert.equal(found[0].member_count, 3);
    assert.equal(results.flatMap((r) => r.body.new_groups).length, 1, "exactly one import says it created the group");
  });

  it("a semicolon-delimited file takes a quoted groups cell", async () => {
    const t = tag();
    const a = await w.createGroup({ name: `Semi A ${t}` });
    const b = await w.createGroup({ name: `Semi B ${t}` });
    const email = uniqueEmail("semi-groups");
    const res = await w.importCsv(`name;email;groups\nSemi;${email};"Semi A ${t};Semi B ${t}"\n`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((await w.customersByEmail(email))[0].group_ids, [a.id, b.id].sort());
  });
});
