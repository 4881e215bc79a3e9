// Contacts of a customer: add, list, patch, delete, what a force delete takes with it, and their audit entries.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, UNKNOWN_ID, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("contacts", () => {
  it("adds a contact with a Location and lists it under its customer", async () => {
    const c = await w.createCustomer({ name: "Org", company: "ACME" });
    const res = await w.post(`/v1/customers/${c.id}/contacts`, { email: " Grace@Example.com ", first_name: "Grace", last_name: "Hopper", phone: "+1 555 0100" });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    assert.equal(res.headers.get("location"), `/v1/customers/${c.id}/contacts/${res.body.id}`);
    assert.deepEqual(
      { ...res.body, id: undefined, created_at: undefined, updated_at: undefined },
      { id: undefined, customer_id: c.id, email: "Grace@Example.com", first_name: "Grace", last_name: "Hopper", phone: "+1 555 0100", status: "pending", role: "member", activated_at: null, last_signed_in_at: null, created_at: undefined, updated_at: undefined },
    );
    const second = await w.createContact(c.id);
    const list = await w.get(`/v1/customers/${c.id}/contacts`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { data: [res.body, second] });
    const other = await w.createCustomer();
    assert.deepEqual((await w.get(`/v1/customers/${other.id}/contacts`)).body, { data: [] });
  });

  it("refuses a second contact with the same email in any case with 409 contact_exists", async () => {
    const c = await w.createCustomer();
    const email = uniqueEmail("dup");
    await w.createContact(c.id, { email });
    assertError(assert, await w.post(`/v1/customers/${c.id}/contacts`, { email: email.toUpperCase() }), 409, "contact_exists");
    const other = await w.createCustomer();
    assert.equal((await w.post(`/v1/customers/${other.id}/contacts`, { email })).status, 201, "another customer may have it");
    const k = await w.createContact(c.id);
    assertError(assert, await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { email }), 409, "contact_exists");
  });

  it("validates fields and refuses unknown ones with 422", async () => {
    const c = await w.createCustomer();
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
    const c = await w.createCustomer();
    const k = await w.createContact(c.id, { first_name: "Ada", last_name: "King" });
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
    const c = await w.createCustomer();
    const k = await w.createContact(c.id);
    const res = await w.delete(`/v1/customers/${c.id}/contacts/${k.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, "");
    assert.deepEqual((await w.get(`/v1/customers/${c.id}/contacts`)).body.data, []);
    assertError(assert, await w.delete(`/v1/customers/${c.id}/contacts/${k.id}`), 404, "not_found");
  });

  it("answers 404 for an unknown customer or contact, and for a contact of another customer", async () => {
    const c = await w.createCustomer();
    const k = await w.createContact(c.id);
    const other = await w.createCustomer();
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
    const c = await w.createCustomer();
    const k = await w.createContact(c.id);
    await w.delete(`/v1/customers/${c.id}`);
    assertError(assert, await w.post(`/v1/customers/${c.id}/contacts`, { email: uniqueEmail() }), 409, "customer_deleted");
    assertError(assert, await w.patch(`/v1/customers/${c.id}/contacts/${k.id}`, { first_name: "x" }), 409, "customer_deleted");
    assert.deepEqual((await w.get(`/v1/customers/${c.id}/contacts`)).body.data, [k], "still readable");
    assert.equal((await w.delete(`/v1/customers/${c.id}/contacts/${k.id}`)).status, 204, "still removable");
  });

  it("goes with the customer on a force delete, counted by the dry run", async () => {
    const c = await w.createCustomer();
    await w.createContact(c.id);
    await w.createContact(c.id);
    const g1 = await w.createGroup();
    const g2 = await w.createGroup();
    await w.addMembers(g1.id, [c.id]);
    await w.addMembers(g2.id, [c.id]);
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

describe("audit", () => {
  it("records every contact action with field names only, and nothing for a no-op", async () => {
    const c = await w.createCustomer();
    const email = uniqueEmail("audited-contact");
    const made = await w.post(`/v1/customers/${c.id}/contacts`, { email, first_name: "Grace" });
    const id = made.body.id;
    const steps = [
      ["contact.create", made, ["email", "first_name"]],
      ["contact.update", await w.patch(`/v1/customers/${c.id}/contacts/${id}`, { phone: "+1 555 0142", first_name: "Grace" }), ["phone"]],
    ];
    assert.equal((await w.patch(`/v1/customers/${c.id}/contacts/${id}`, { first_name: "Grace" })).status, 200);
    steps.push(["contact.delete", await w.delete(`/v1/customers/${c.id}/contacts/${id}`), []]);
    const log = await w.auditOf(id);
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
