// CSV export's chosen columns (`columns=`) and the round trip: a file exported and imported
// again with mode=upsert changes nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

const lines = (res) => res.text.trimEnd().split("\r\n");

describe("export columns", () => {
  const tag = `cols${Date.now()}`;
  let ada;
  let groupA;
  let groupB;
  before(async () => {
    groupA = await w.createGroup({ name: `VIP ${tag}` });
    groupB = await w.createGroup({ name: `Berlin ${tag}` });
    ada = await w.createCustomer({ name: `Ada ${tag}`, email: uniqueEmail(tag), phone: "+44 20 7946 0000", notes: "met in London",
      attributes: { plan: "pro", seats: 12 }, group_ids: [groupA.id, groupB.id] });
  });

  it("defaults to the list's columns followed by notes, handle, parent_id and groups", async () => {
    const res = await w.get(`/v1/customers/export?q=${tag}`);
    assert.equal(res.status, 200, res.text);
    const [header, row] = lines(res);
    assert.equal(header, "id,name,email,phone,company,kind,source,created_at,updated_at,last_seen_at,deleted_at,notes,handle,parent_id,groups");
    assert.ok(row.endsWith(`,met in London,${ada.handle},,Berlin ${tag};VIP ${tag}`), row);
  });

  it("writes the chosen columns in their order, groups by name and attributes by key", async () => {
    const res = await w.get(`/v1/customers/export?q=${tag}&columns=${encodeURIComponent("email,groups,attributes.plan,attributes.seats,phone")}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lines(res), ["email,groups,attributes.plan,attributes.seats,phone",
      `${ada.email},Berlin ${tag};VIP ${tag},pro,12,'+44 20 7946 0000`]);
    const post = await w.call("POST", `/v1/customers/export?columns=name,handle`, { json: { q: tag } });
    assert.equal(post.status, 200, post.text);
    assert.deepEqual(lines(post), ["name,handle", `Ada ${tag},${ada.handle}`]);
  });

  it("refuses an unknown or repeated column, naming it", async () => {
    const bad = await w.get("/v1/customers/export?columns=name,password");
    assertError(assert, bad, 400, "invalid_parameter");
    assert.match(bad.body.error.message, /password/);
    assertError(assert, await w.get("/v1/customers/export?columns=name,name"), 400, "invalid_parameter");
  });
});

describe("round trip", () => {
  it("an exported view imported again with mode=upsert changes nothing", async () => {
    const tag = `trip${Date.now()}`;
    const group = await w.createGroup({ name: `Trip ${tag}` });
    const parent = await w.createCustomer({ name: `Parent ${tag}`, email: uniqueEmail(tag), company: "=cmd|' /C calc'!A0" });
    const made = [parent];
    made.push(await w.createCustomer({ name: `-Dash ${tag}`, email: uniqueEmail(tag), phone: "+1 555 0100",
      notes: "@mention\nsecond line, with a comma", parent_id: parent.id, group_ids: [group.id], attributes: { plan: "pro" } }));
    made.push(await w.createCustomer({ name: `O'Brien "Quote" ${tag}`, email: uniqueEmail(tag), company: "'quoted'" }));
    const before = await Promise.all(made.map((c) => w.get(`/v1/customers/${c.id}`).then((r) => r.body)));

    for (const columns of ["", "&columns=name,email,phone,company,notes,groups,attributes.plan,id,kind,handle"]) {
      const exported = await w.get(`/v1/customers/export?q=${tag}${columns}`);
      assert.equal(exported.status, 200, exported.text);
      assert.ok(exported.text.includes("'+1 555 0100"), "the export guards the phone");
      const res = await w.importCsv(exported.text, "?mode=upsert");
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.created, 0, res.text);
      assert.equal(res.body.failed, 0, res.text);
      const afterwards = await Promise.all(made.map((c) => w.get(`/v1/customers/${c.id}`).then((r) => r.body)));
      assert.deepEqual(afterwards, before, `columns ${columns || "(default)"}`);
    }
    assert.equal(before[1].phone, "+1 555 0100");
    const updates = await w.get(`/v1/audit-log?action=customer.update&target_id=${made[1].id}`);
    assert.deepEqual(updates.body.data, []);
  });

  it("an import removes the export's guard before formula characters only", async () => {
    const email = uniqueEmail("guard");
    const res = await w.importCsv(`name,email,phone,company\r\n'=Ada,${email},'+44 20,'quoted'\r\n`);
    assert.equal(res.status, 200, res.text);
    const [c] = await w.customersByEmail(email);
    assert.deepEqual([c.name, c.phone, c.company], ["=Ada", "+44 20", "'quoted'"]);
  });
});
