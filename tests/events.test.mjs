// Change events (the outbox, migration 0014): each event type is produced by its change, in the
// same batch, and only by a committed one; events carry ids and field names, never values; and
// GET /v1/events pages through them oldest first (after, type, customer_id, limit).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, UNKNOWN_ID, uniqueEmail } from "./harness.mjs";

const ACTIVATION_BASE = "https://portal.example/activate#token=";
let w;
before(async () => { w = await startWorker({ vars: { ACTIVATION_URL_BASE: ACTIVATION_BASE } }); });
after(async () => { await w?.dispose(); });

const types = (events) => events.map((e) => e.type);

// Every event since `mark` (an event id, or null for all), oldest first.
async function eventsSince(mark, query = "") {
  const out = [];
  let cursor = mark;
  for (;;) {
    const res = await w.get(`/v1/events?limit=100${cursor ? `&after=${cursor}` : ""}${query}`);
    assert.equal(res.status, 200, res.text);
    out.push(...res.body.data);
    if (!res.body.has_more) return out;
    cursor = res.body.next_cursor;
  }
}

// The id of the newest event, to read what a step adds after it.
async function mark() {
  const all = await eventsSince(null);
  return all.length ? all[all.length - 1].id : null;
}

function assertShape(e) {
  assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.match(e.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(typeof e.data, "object");
  assert.deepEqual(Object.keys(e).sort(), ["created_at", "data", "id", "type"]);
}

describe("every change produces its event", () => {
  it("customer.created, with the given field names and no values", async () => {
    const email = uniqueEmail("evt");
    const c = await w.createCustomer({ name: "Event Ada", email, phone: "+1 555 0100" });
    const events = await w.eventsOf(c.id);
    assert.deepEqual(types(events), ["customer.created"]);
    assertShape(events[0]);
    assert.equal(events[0].data.customer_id, c.id);
    assert.deepEqual([...events[0].data.changed_fields].sort(), ["email", "name", "phone"]);
    const text = JSON.stringify(events);
    for (const value of ["Event Ada", email, "555"]) assert.ok(!text.includes(value), `${value} leaked into ${text}`);
    // The event is the audit row's twin: same id, same time.
    const audit = (await w.auditOf(c.id)).find((a) => a.action === "customer.create");
    assert.equal(audit.id, events[0].id);
    assert.equal(audit.at, events[0].created_at);
  });

  it("customer.updated names the changed fields; a patch that changes nothing makes no event", async () => {
    const c = await w.createCustomer({ name: "Upd" });
    assert.equal((await w.patch(`/v1/customers/${c.id}`, { notes: "secret note" })).status, 200);
    assert.equal((await w.patch(`/v1/customers/${c.id}`, { notes: "secret note" })).status, 200);
    const events = await w.eventsOf(c.id);
    assert.deepEqual(types(events), ["customer.created", "customer.updated"]);
    assert.deepEqual(events[1].data, { customer_id: c.id, changed_fields: ["notes"] });
  });

  it("customer.deleted and customer.restored", async () => {
    const c = await w.createCustomer({ name: "Del" });
    assert.equal((await w.delete(`/v1/customers/${c.id}`)).status, 200);
    assert.equal((await w.delete(`/v1/customers/${c.id}`)).status, 200, "deleting again changes nothing");
    assert.equal((await w.post(`/v1/customers/${c.id}/restore`)).status, 200);
    const events = await w.eventsOf(c.id);
    assert.deepEqual(types(events), ["customer.created", "customer.deleted", "customer.restored"]);
    assert.deepEqual(events[1].data.changed_fields, ["deleted_at"]);
  });

  it("customer.deleted for each customer of a cascade, naming where it started", async () => {
    const parent = await w.createCustomer({ name: "Parent" });
    const child = await w.createCustomer({ name: "Child", parent_id: parent.id });
    assert.equal((await w.delete(`/v1/customers/${parent.id}?cascade=true`)).status, 200);
    const childEvents = await w.eventsOf(child.id);
    assert.deepEqual(types(childEvents), ["customer.created", "customer.deleted"]);
    assert.equal(childEvents[1].data.cascade_from, parent.id);
  });

  it("customer.redacted", async () => {
    const c = await w.createCustomer({ name: "Red Acted", email: uniqueEmail("red") });
    assert.equal((await w.post(`/v1/customers/${c.id}/redact`)).status, 200);
    const events = await w.eventsOf(c.id);
    assert.deepEqual(types(events), ["customer.created", "customer.redacted"]);
    assert.ok(events[1].data.changed_fields.includes("email"));
  });

  it("customer.force_deleted with the counts removed, for the customer and its sub-customers", async () => {
    const c = await w.createCustomer({ name: "Gone" });
    const sub = await w.createCustomer({ name: "Gone too", parent_id: c.id });
    await w.createContact(c.id);
    const res = await w.delete(`/v1/customers/${c.id}?permanent=true`);
    assert.equal(res.status, 200, res.text);
    const events = await w.eventsOf(c.id);
    assert.deepEqual(types(events), ["customer.created", "customer.updated", "customer.force_deleted"]);
    assert.equal(events[2].data.deleted.contacts, 1);
    const subEvents = await w.eventsOf(sub.id);
    assert.deepEqual(types(subEvents), ["customer.created", "customer.force_deleted"]);
    assert.equal(subEvents[1].data.cascade_from, c.id);
  });

  it("customer.merged for the source (merged_into) and the target (merged_ids)", async () => {
    const target = await w.createCustomer({ name: "Target" });
    const source = await w.createCustomer({ name: "Source", phone: "+1 555 0101" });
    const res = await w.post(`/v1/customers/${target.id}/merge`, { source_ids: [source.id] });
    assert.equal(res.status, 200, res.text);
    const s = await w.eventsOf(source.id);
    assert.deepEqual(types(s), ["customer.created", "customer.merged"]);
    assert.equal(s[1].data.merged_into, target.id);
    const t = await w.eventsOf(target.id);
    assert.deepEqual(types(t), ["customer.created", "customer.merged"]);
    assert.deepEqual(t[1].data.merged_ids, [source.id]);
    assert.deepEqual(t[1].data.changed_fields, ["phone"]);
  });

  it("interaction.recorded, after customer.created for a first-time visitor", async () => {
    const email = uniqueEmail("visitor");
    const res = await w.interact({ email, name: "Vera", type: "meeting_booked", resource_id: "event-1" });
    assert.ok(res.status < 300, res.text);
    const id = await w.customerIdByEmail(email);
    const events = await w.eventsOf(id);
    assert.deepEqual(types(events), ["customer.created", "interaction.recorded"]);
    assert.equal(events[1].data.interaction_type, "meeting_booked");
    assert.equal(typeof events[1].data.interaction_id, "string");
    assert.ok(!JSON.stringify(events).includes("event-1"), "the resource id is no field name");
  });

  it("customer.updated (contacts) for a contact's changes, contact.activated for its activation", async () => {
    const c = await w.createCustomer({ name: "Org" });
    const contact = await w.createContact(c.id, { first_name: "Ada" });
    const link = await w.post(`/v1/customers/${c.id}/contacts/${contact.id}/activation-link`);
    assert.equal(link.status, 201, link.text);
    const token = link.body.url.slice(ACTIVATION_BASE.length);
    const res = await w.call("POST", "/v1/public/contacts/activate", { json: { token }, token: null, headers: { "cf-connecting-ip": "203.0.113.7" } });
    assert.equal(res.status, 200, res.text);
    const events = await w.eventsOf(c.id);
    assert.deepEqual(types(events), ["customer.created", "customer.updated", "contact.activated"]);
    assert.deepEqual(events[1].data, { customer_id: c.id, contact_id: contact.id, changed_fields: ["contacts"] });
    assert.deepEqual(events[2].data, { customer_id: c.id, contact_id: contact.id });
  });

  it("customer.updated (own_company) for marking the own company, for the one marked and the one unmarked", async () => {
    const a = await w.createCustomer({ name: "Own A" });
    const b = await w.createCustomer({ name: "Own B" });
    assert.equal((await w.call("PUT", "/v1/own-company", { json: { customer_id: a.id } })).status, 200);
    assert.equal((await w.call("PUT", "/v1/own-company", { json: { customer_id: b.id } })).status, 200);
    assert.deepEqual((await w.eventsOf(a.id)).map((e) => [e.type, e.data.changed_fields]),
      [["customer.created", ["name"]], ["customer.updated", ["own_company"]], ["customer.updated", ["own_company"]]]);
    assert.deepEqual((await w.eventsOf(b.id)).map((e) => e.type), ["customer.created", "customer.updated"]);
    assert.equal((await w.delete("/v1/own-company")).status, 200);
  });

  it("import.completed once per import, with its counts and no event per row", async () => {
    const before = await mark();
    const tag = Math.random().toString(36).slice(2, 8);
    const res = await w.importCsv(`name,email\nImp A ${tag},a-${tag}@example.com\nImp B ${tag},b-${tag}@example.com\n`);
    assert.equal(res.status, 200, res.text);
    const events = await eventsSince(before);
    assert.deepEqual(types(events), ["import.completed"]);
    assert.deepEqual(events[0].data, { rows: 2, created: 2, updated: 0, skipped: 0, failed: 0, mode: "create" });
  });
});

describe("only committed changes produce events", () => {
  it("a failing atomic import produces none", async () => {
    const before = await mark();
    const res = await w.importCsv("name,email\nGood Row,good@example.com\nBad Row,not-an-email\n", "?atomic=true");
    assert.equal(res.status, 422, res.text);
    assert.deepEqual(await eventsSince(before), []);
  });

  it("a refused create (email taken) and a dry run produce none", async () => {
    const email = uniqueEmail("dup");
    await w.createCustomer({ name: "First", email });
    const before = await mark();
    assertError(assert, await w.post("/v1/customers", { name: "Second", email }), 409, "customer_exists");
    const dry = await w.importCsv(`name\nDry ${Math.random()}\n`, "?dry_run=true");
    assert.equal(dry.status, 200, dry.text);
    const c = await w.createCustomer({ name: "Dry force" });
    const since = await eventsSince(before);
    assert.deepEqual(types(since), ["customer.created"]);
    assert.equal((await w.delete(`/v1/customers/${c.id}?permanent=true&dry_run=true`)).status, 200);
    assert.deepEqual(types(await eventsSince(since[0].id)), []);
  });

  it("changes that are not to customers (groups, keys) produce none", async () => {
    const before = await mark();
    await w.createGroup();
    await w.createKey(["customers:read"]);
    assert.deepEqual(await eventsSince(before), []);
  });
});

describe("retention", () => {
  it("the cron purges events older than 30 days, keeping the newest whatever its age", async () => {
    const old = new Date(Date.now() - 31 * 86400 * 1000).toISOString();
    const c = await w.createCustomer({ name: "Old news" });
    const last = await w.createCustomer({ name: "Last news" });
    await w.db.prepare("UPDATE events SET created_at = ?1").bind(old).run();
    const newest = (await eventsSince(null)).at(-1);
    assert.equal(newest.data.customer_id, last.id);
    await w.cron();
    const left = await eventsSince(null);
    assert.deepEqual(left.map((e) => e.id), [newest.id]);
    assert.deepEqual(await w.eventsOf(c.id), []);
    const next = await w.createCustomer({ name: "Fresh news" });
    assert.deepEqual(types(await eventsSince(newest.id)), ["customer.created"]);
    assert.equal((await w.eventsOf(next.id)).length, 1);
  });
});

describe("GET /v1/events", () => {
  it("pages oldest first from `after`, filtered by type", async () => {
    const before = await mark();
    const a = await w.createCustomer({ name: "Page A" });
    const b = await w.createCustomer({ name: "Page B" });
    await w.delete(`/v1/customers/${a.id}`);
    const first = await w.get(`/v1/events?after=${before}&limit=2`);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body.data.map((e) => e.data.customer_id), [a.id, b.id]);
    assert.equal(first.body.has_more, true);
    assert.equal(first.body.next_cursor, first.body.data[1].id);
    const rest = await w.get(`/v1/events?after=${first.body.next_cursor}`);
    assert.deepEqual(types(rest.body.data), ["customer.deleted"]);
    assert.equal(rest.body.has_more, false);
    const deletes = await w.get(`/v1/events?after=${before}&type=customer.deleted,customer.restored`);
    assert.deepEqual(deletes.body.data.map((e) => e.data.customer_id), [a.id]);
  });

  it("refuses an unknown type, an unknown `after`, a bad limit and unknown parameters", async () => {
    assertError(assert, await w.get("/v1/events?type=customer.exploded"), 400, "invalid_parameter");
    assertError(assert, await w.get(`/v1/events?after=${UNKNOWN_ID}`), 400, "invalid_parameter");
    assertError(assert, await w.get("/v1/events?after=nope"), 400, "invalid_parameter");
    assertError(assert, await w.get("/v1/events?limit=0"), 400, "invalid_parameter");
    assertError(assert, await w.get("/v1/events?customer_id=x"), 400, "invalid_parameter");
    assertError(assert, await w.get("/v1/events?since=2020-01-01"), 400, "invalid_parameter");
  });

  it("needs events:read", async () => {
    const reader = await w.createKey(["customers:read"]);
    assertError(assert, await w.get("/v1/events", { token: reader.secret }), 403, "forbidden");
    const events = await w.createKey(["events:read"]);
    assert.equal((await w.get("/v1/events", { token: events.secret })).status, 200);
  });
});
