// Anonymous visitors and merging duplicates: one person, one customer (BeDesk's visitors,
// MeetBit's one customer per external user), over HTTP against the built worker.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, UNKNOWN_ID, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

let n = 0;
const visitorId = () => `v${Date.now().toString(36)}${(n++).toString(36).padStart(4, "0")}x`;
const chat = (extra) => w.interact({ type: "chat_started", resource_id: "room-1", ...extra });
const merge = (targetId, body) => w.post(`/v1/customers/${targetId}/merge`, body);

// Every interaction id of a customer's history, oldest first.
async function historyIds(customerId) {
  const ids = [];
  let cursor = "";
  for (;;) {
    const res = await w.get(`/v1/customers/${customerId}/interactions?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    assert.equal(res.status, 200, res.text);
    ids.push(...res.body.data.map((i) => i.id));
    if (!res.body.next_cursor) return ids;
    cursor = res.body.next_cursor;
  }
}

async function visitorCustomers(vid) {
  const res = await w.get(`/v1/customers?kind=visitor&q=${vid.slice(0, 8)}&limit=100`);
  return res.body.data;
}

describe("anonymous visitors", () => {
  it("records a visitor_id without an email as one anonymous visitor customer, found again next time", async () => {
    const vid = visitorId();
    const first = await chat({ visitor_id: vid });
    assert.equal(first.status, 201, first.text);
    assert.deepEqual(Object.keys(first.body), ["interaction_id"]);
    const second = await chat({ visitor_id: vid, name: "Vera Visitor", phone: "+1 555 0199" });
    assert.equal(second.status, 201, second.text);
    const list = await w.get("/v1/customers?kind=visitor&q=Vera%20Visitor");
    assert.equal(list.body.data.length, 1, list.text);
    const c = list.body.data[0];
    assert.equal(c.kind, "visitor");
    assert.equal(c.email, null);
    assert.equal(c.anonymous, false, "a name given replaces the placeholder");
    assert.equal(c.phone, "+1 555 0199");
    assert.equal(c.handle, "vera-visitor");
    assert.equal((await historyIds(c.id)).length, 2);
    const audit = await w.auditOf(c.id);
    assert.ok(audit.some((e) => e.action === "customer.create" && e.actor === "public"));
    assert.ok(audit.some((e) => e.action === "customer.update" && e.changed_fields.includes("name")));
  });

  it("names an anonymous visitor by a placeholder until they give a name", async () => {
    const vid = visitorId();
    await chat({ visitor_id: vid });
    const [c] = (await w.get(`/v1/customers?q=${encodeURIComponent(`Visitor ${vid.slice(0, 8)}`)}`)).body.data;
    assert.equal(c.name, `Visitor ${vid.slice(0, 8)}`);
    assert.equal(c.anonymous, true);
    assert.equal(c.handle, null);
  });

  it("refuses a malformed visitor_id and a body naming no one with 422", async () => {
    for (const visitor_id of ["short", "x".repeat(65), "has space1", "<script>1", 12345678]) {
      const res = await chat({ visitor_id });
      assertError(assert, res, 422, "validation_failed");
      assert.equal(res.body.error.fields[0].field, "visitor_id");
    }
    const none = await chat({ name: "Nobody" });
    assertError(assert, none, 422, "validation_failed");
    assert.equal(none.body.error.fields[0].field, "email");
  });

  it("creates one customer for 30 simultaneous first requests of one visitor", async () => {
    const vid = visitorId();
    const results = await Promise.all(Array.from({ length: 30 }, () => chat({ visitor_id: vid })));
    assert.ok(results.every((r) => r.status === 201), results.map((r) => r.text).join(" "));
    const found = await visitorCustomers(vid);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal((await historyIds(found[0].id)).length, 30);
  });

  it("lists visitors and registered customers apart (the console's tabs)", async () => {
    const vid = visitorId();
    await chat({ visitor_id: vid });
    const visitors = await w.get(`/v1/customers?kind=visitor&q=${vid.slice(0, 8)}`);
    const registered = await w.get(`/v1/customers?kind=registered&q=${vid.slice(0, 8)}`);
    assert.equal(visitors.body.data.length, 1);
    assert.equal(registered.body.data.length, 0);
  });
});

describe("a visitor who gives an email", () => {
  it("merges the visitor's customer into the email's customer, the whole history kept", async () => {
    const vid = visitorId();
    await chat({ visitor_id: vid });
    await chat({ visitor_id: vid, phone: "+1 555 0100" });
    const [visitor] = await visitorCustomers(vid);
    const email = uniqueEmail("merged");
    const known = await w.createCustomer({ name: "Known Person", email });
    const res = await chat({ visitor_id: vid, email });
    assert.equal(res.status, 201, res.text);
    const history = await historyIds(known.id);
    assert.equal(history.length, 3, "two visitor interactions and this one");
    const source = (await w.get(`/v1/customers/${visitor.id}`)).body;
    assert.equal(source.merged_into, known.id);
    assert.ok(source.deleted_at);
    const target = (await w.get(`/v1/customers/${known.id}`)).body;
    assert.equal(target.name, "Known Person", "the placeholder never replaces a name");
    assert.equal(target.phone, "+1 555 0100", "empty fields filled from the visitor");
    const audit = await w.auditOf(visitor.id);
    assert.ok(audit.some((e) => e.action === "customer.merge" && e.actor === "public"));
    // The browser now leads to the email's customer.
    await chat({ visitor_id: vid });
    assert.equal((await historyIds(known.id)).length, 4);
  });

  it("links the browser to a new email's customer when the visitor was never seen", async () => {
    const vid = visitorId();
    const email = uniqueEmail("fresh");
    assert.equal((await chat({ visitor_id: vid, email })).status, 201);
    const id = await w.customerIdByEmail(email);
    assert.equal((await chat({ visitor_id: vid })).status, 201);
    assert.equal((await historyIds(id)).length, 2);
    assert.equal((await visitorCustomers(vid)).length, 0, "no anonymous customer was made");
  });

  it("30 simultaneous requests with one visitor and one email end as one customer, no interaction lost", async () => {
    const vid = visitorId();
    await chat({ visitor_id: vid });
    const email = uniqueEmail("race");
    const results = await Promise.all(Array.from({ length: 30 }, () => chat({ visitor_id: vid, email })));
    assert.ok(results.every((r) => r.status === 201), results.map((r) => r.text).join(" "));
    const live = await w.customersByEmail(email);
    assert.equal(live.length, 1);
    assert.equal((await historyIds(live[0].id)).length, 31);
    assert.equal((await visitorCustomers(vid)).length, 0);
  });

  it("never pulls a visitor into a customer that already has a browser of its own (a visitor_id is a bearer secret)", async () => {
    // The victim's browser, anonymous; the attacker's own customer, known from their own browser.
    const victim = visitorId();
    await chat({ visitor_id: victim });
    const [victimCustomer] = await visitorCustomers(victim);
    await chat({ visitor_id: victim, name: "Victim Visitor" });
    const attackerEmail = uniqueEmail("attacker");
    await chat({ visitor_id: visitorId(), email: attackerEmail });
    const attacker = await w.customerIdByEmail(attackerEmail);
    // The attacker learned the victim's visitor_id and sends it with their own email.
    assert.equal((await chat({ visitor_id: victim, email: attackerEmail, name: "Someone Else", phone: "+1 555 0666" })).status, 201);
    const after = (await w.get(`/v1/customers/${victimCustomer.id}`)).body;
    assert.equal(after.deleted_at, null, "the victim's customer is not merged away");
    assert.equal(after.merged_into, null);
    assert.equal(after.name, "Victim Visitor", "a name the visitor gave stays");
    assert.equal(after.phone, null, "nothing from the attacker's request lands on the victim");
    assert.equal((await historyIds(victimCustomer.id)).length, 2);
    assert.equal((await historyIds(attacker)).length, 2, "the attacker's customer got only its own interactions");
  });

  it("keeps the fields a visitor or an admin set when the visitor id comes again with others", async () => {
    const vid = visitorId();
    await chat({ visitor_id: vid });
    const [c] = await visitorCustomers(vid);
    await chat({ visitor_id: vid, name: "First Name Given", phone: "+1 555 0101" });
    await w.patch(`/v1/customers/${c.id}`, { company: "Set By Admin" });
    await chat({ visitor_id: vid, name: "Replaced Name", phone: "+1 555 0999" });
    const now = (await w.get(`/v1/customers/${c.id}`)).body;
    assert.deepEqual([now.name, now.phone, now.company], ["First Name Given", "+1 555 0101", "Set By Admin"]);
  });

  it("never merges a browser's customer that has an email of its own", async () => {
    const vid = visitorId();
    const first = uniqueEmail("first");
    await chat({ visitor_id: vid, email: first });
    const second = uniqueEmail("second");
    await chat({ visitor_id: vid, email: second });
    const a = await w.customerIdByEmail(first);
    const b = await w.customerIdByEmail(second);
    assert.notEqual(a, b);
    assert.equal((await w.get(`/v1/customers/${a}`)).body.deleted_at, null);
  });
});

describe("POST /v1/customers/{id}/merge", () => {
  // A customer with interactions (via its email on a public page), a contact and a group.
  async function rich(tag, group) {
    const email = uniqueEmail(tag);
    await w.interact({ type: "form_submitted", resource_id: `form-${tag}`, email, name: `${tag} person` });
    await w.interact({ type: "meeting_booked", resource_id: `meet-${tag}`, email });
    const id = await w.customerIdByEmail(email);
    await w.createContact(id, { first_name: tag });
    if (group) assert.equal((await w.addMembers(group.id, [id])).status, 200);
    return id;
  }

  it("moves interactions, contacts, groups and sub-customers of 3 sources; the dry run's counts are the real ones", async () => {
    const group = await w.createGroup();
    const target = await w.createCustomer({ email: uniqueEmail("target") });
    const sources = [await rich("s1", group), await rich("s2", group), await rich("s3")];
    const child = await w.createCustomer({ name: "Child of s1", parent_id: sources[0] });
    await w.patch(`/v1/customers/${sources[1]}`, { company: "S2 Ltd", attributes: { plan: "pro" } });
    const dry = await merge(target.id, { source_ids: sources, dry_run: true });
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(dry.body.moved, { interactions: 6, contacts: 3, group_memberships: 1, children: 1, visitors: 0 });
    assert.equal((await w.get(`/v1/customers/${sources[0]}`)).body.deleted_at, null, "a dry run changes nothing");
    const real = await merge(target.id, { source_ids: sources });
    assert.equal(real.status, 200, real.text);
    assert.deepEqual(real.body.moved, dry.body.moved);
    assert.doesNotMatch(real.text, /\d\.0\b/);
    const merged = real.body.customer;
    assert.equal(merged.name, "s1 person", "empty fields from the first source that has them");
    assert.equal(merged.company, "S2 Ltd");
    assert.deepEqual(merged.attributes, { plan: "pro" });
    assert.deepEqual(merged.group_ids, [group.id]);
    assert.equal((await historyIds(target.id)).length, 6);
    assert.equal((await w.get(`/v1/customers/${target.id}/contacts`)).body.data.length, 3);
    assert.equal((await w.get(`/v1/customers/${child.id}`)).body.parent_id, target.id);
    for (const id of sources) {
      const s = (await w.get(`/v1/customers/${id}`)).body;
      assert.equal(s.merged_into, target.id, "a merged source still answers GET");
      assert.ok(s.deleted_at);
      assert.ok((await w.auditOf(id)).some((e) => e.action === "customer.merge"));
    }
    assertError(assert, await w.post(`/v1/customers/${sources[0]}/restore`), 409, "customer_merged");
    assert.deepEqual(dry.body.filled, ["name", "company", "handle", "attributes"], "the dry run names the fields the target takes");
    const targetAudit = (await w.auditOf(target.id)).find((e) => e.action === "customer.merge");
    assert.ok(targetAudit.changed_fields.includes("name"));
  });

  it("audits and announces every sub-customer and contact the merge moves, each by its own row", async () => {
    const target = await w.createCustomer({ name: "Adopter", email: uniqueEmail("adopter") });
    const source = await w.createCustomer({ name: "Parent Leaving", email: uniqueEmail("leaving") });
    const children = [
      await w.createCustomer({ name: "Kid One", parent_id: source.id }),
      await w.createCustomer({ name: "Kid Two", parent_id: source.id }),
    ];
    const shared = uniqueEmail("shared");
    await w.createContact(target.id, { email: shared });
    const stays = await w.createContact(source.id, { email: shared });
    const moves = await w.createContact(source.id);
    const res = await merge(target.id, { source_ids: [source.id] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.moved.children, 2);
    assert.equal(res.body.moved.contacts, 1);
    const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const child of children) {
      const moved = (await w.auditOf(child.id)).filter((e) => e.action === "customer.update");
      assert.equal(moved.length, 1, JSON.stringify(moved));
      assert.deepEqual(moved[0].changed_fields, ["parent_id"]);
      assert.deepEqual(moved[0].details, { via: "merge", merged_into: target.id, moved_from: source.id });
      assert.match(moved[0].id, v7);
      const events = (await w.eventsOf(child.id)).filter((e) => e.type === "customer.updated");
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].data.changed_fields, ["parent_id"]);
      assert.equal((await w.get(`/v1/customers/${child.id}`)).body.parent_id, target.id);
    }
    const contactRows = await w.auditOf(moves.id);
    const movedContact = contactRows.filter((e) => e.action === "contact.update");
    assert.equal(movedContact.length, 1, JSON.stringify(contactRows));
    assert.deepEqual(movedContact[0].details, { customer_id: target.id, via: "merge", moved_from: source.id });
    assert.match(movedContact[0].id, v7);
    assert.equal((await w.auditOf(stays.id)).filter((e) => e.action === "contact.update").length, 0, "the contact that stays is not audited as moved");
    const targetEvents = await w.eventsOf(target.id);
    assert.ok(targetEvents.some((e) => e.type === "customer.updated" && e.data.contact_id === moves.id), JSON.stringify(targetEvents));
  });

  it("a second merge of the same sources changes nothing (422) and writes no audit row", async () => {
    const target = await w.createCustomer({ name: "Twice Target", email: uniqueEmail("twice") });
    const source = await w.createCustomer({ name: "Twice Source", email: uniqueEmail("twice-s") });
    assert.equal((await merge(target.id, { source_ids: [source.id] })).status, 200);
    assertError(assert, await merge(target.id, { source_ids: [source.id] }), 422, "validation_failed");
    const rows = (await w.auditOf(target.id)).filter((e) => e.action === "customer.merge");
    assert.equal(rows.length, 1);
  });

  it("takes a source's email when the target has none", async () => {
    const target = await w.createCustomer({ name: "No Email Yet" });
    const email = uniqueEmail("donor");
    const source = await w.createCustomer({ name: "Donor", email });
    const res = await merge(target.id, { source_ids: [source.id] });
    assert.equal(res.body.customer.email, email);
    assert.equal(await w.customerIdByEmail(email), target.id);
  });

  it("refuses the own company (409), deleted, unknown and self sources (422), a deleted target (409)", async () => {
    const target = await w.createCustomer({ name: "Merge Target" });
    const own = await w.createCustomer({ name: "Own Company For Merge" });
    assert.equal((await w.call("PUT", "/v1/own-company", { json: { customer_id: own.id } })).status, 200);
    assertError(assert, await merge(target.id, { source_ids: [own.id] }), 409, "customer_protected");
    const gone = await w.createCustomer({ name: "Gone" });
    await w.delete(`/v1/customers/${gone.id}`);
    const res = await merge(target.id, { source_ids: [gone.id, UNKNOWN_ID, target.id] });
    assertError(assert, res, 422, "validation_failed");
    assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]),
      [["source_ids[0]", "deleted"], ["source_ids[1]", "not_found"], ["source_ids[2]", "invalid"]]);
    for (const body of [{}, { source_ids: [] }, { source_ids: "x" }, { source_ids: [target.id], dry_run: "yes" }, { source_ids: [gone.id], extra: 1 }]) {
      assert.equal((await merge(target.id, body)).status, 422, JSON.stringify(body));
    }
    const deletedTarget = await w.createCustomer({ name: "Deleted Target" });
    await w.delete(`/v1/customers/${deletedTarget.id}`);
    const other = await w.createCustomer({ name: "Other" });
    assertError(assert, await merge(deletedTarget.id, { source_ids: [other.id] }), 409, "customer_deleted");
    await w.call("DELETE", "/v1/own-company");
  });

  it("refuses a merge into a sub-customer of a source, and one past 50 attributes, changing nothing", async () => {
    const parent = await w.createCustomer({ name: "Merge Parent" });
    const child = await w.createCustomer({ name: "Merge Child", parent_id: parent.id });
    assertError(assert, await merge(child.id, { source_ids: [parent.id] }), 422, "invalid_parent");
    const a = await w.createCustomer({ name: "Many A", attributes: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`a${i}`, i])) });
    const b = await w.createCustomer({ name: "Many B", attributes: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`b${i}`, i])) });
    const res = await merge(a.id, { source_ids: [b.id] });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "attributes");
    assert.equal((await w.get(`/v1/customers/${b.id}`)).body.deleted_at, null);
  });

  it("needs customers:update and customers:delete", async () => {
    const target = await w.createCustomer({ name: "Perm Target" });
    const source = await w.createCustomer({ name: "Perm Source" });
    const updater = await w.createKey(["customers:read", "customers:update"]);
    assertError(assert, await w.post(`/v1/customers/${target.id}/merge`, { source_ids: [source.id] }, { token: updater.secret }), 403, "forbidden");
  });

  it("never loses or duplicates an interaction over a random sequence of merges", async () => {
    // A fixed-seed walk: 8 customers with 1 to 3 interactions each, 12 merges of random live
    // pairs (some refused: the same customer, a deleted one); the set of interaction ids over
    // the live customers is the same after every step, each id exactly once.
    let seed = 20261125;
    const rand = (k) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % k; };
    const people = [];
    for (let i = 0; i < 8; i++) {
      const email = uniqueEmail(`walk${i}`);
      for (let j = 0; j <= rand(3); j++) await w.interact({ type: "chat_started", resource_id: `walk-${i}-${j}`, email });
      people.push(await w.customerIdByEmail(email));
    }
    const all = async (ids) => (await Promise.all(ids.map(historyIds))).flat();
    const before = (await all(people)).sort();
    for (let step = 0; step < 12; step++) {
      const target = people[rand(people.length)];
      const source = people[rand(people.length)];
      const res = await merge(target, { source_ids: [source] });
      assert.ok([200, 409, 422].includes(res.status), res.text);
      const live = [];
      for (const id of people) if (!(await w.get(`/v1/customers/${id}`)).body.deleted_at) live.push(id);
      const now = (await all(live)).sort();
      assert.deepEqual(now, before, `step ${step}: ${target} <- ${source} (${res.status})`);
    }
  });
});
