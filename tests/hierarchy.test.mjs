// Sub-customers (parent_id), handles and the own company: ThingsBoard's customer owners and the
// MSP portal's handles and protected own company, over HTTP against the built worker.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, UNKNOWN_ID, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

const named = (name, extra = {}) => w.createCustomer({ name, email: uniqueEmail("h"), ...extra });

// A chain of `n` customers, each the parent of the next; returns them top first.
async function chain(n, tag = "level") {
  const out = [];
  for (let i = 1; i <= n; i++) {
    out.push(await named(`${tag} ${i}`, i > 1 ? { parent_id: out[i - 2].id } : {}));
  }
  return out;
}

describe("sub-customers", () => {
  it("creates a customer under a parent, lists the children and counts them on the parent", async () => {
    const parent = await named("Parent Co");
    assert.equal(parent.parent_id, null);
    assert.equal(parent.children_count, 0);
    const a = await named("Child A", { parent_id: parent.id });
    const b = await named("Child B", { parent_id: parent.id });
    assert.equal(a.parent_id, parent.id);
    const got = await w.get(`/v1/customers/${parent.id}`);
    assert.equal(got.body.children_count, 2);
    const children = await w.get(`/v1/customers?parent_id=${parent.id}&sort=name`);
    assert.equal(children.status, 200, children.text);
    assert.deepEqual(children.body.data.map((c) => c.id), [a.id, b.id]);
    const top = await w.get(`/v1/customers?parent_id=none&limit=100&q=Child`);
    assert.deepEqual(top.body.data.map((c) => c.id), [], "children are not at the top level");
    const filtered = await w.post("/v1/customers/filter", { conditions: [{ field: "parent_id", op: "eq", value: parent.id }] });
    assert.equal(filtered.body.data.length, 2, filtered.text);
    // A parent scope in the body is AND-ed with the conditions even when they are OR-ed.
    const scoped = await w.post("/v1/customers/filter", {
      parent_id: parent.id, match: "any",
      conditions: [{ field: "name", op: "eq", value: "Child A" }, { field: "name", op: "eq", value: "Parent Co" }] });
    assert.deepEqual(scoped.body.data.map((c) => c.id), [a.id], scoped.text);
    const kinds = await w.post("/v1/customers/filter", { parent_id: parent.id, kind: "visitor" });
    assert.deepEqual(kinds.body.data, [], "kind is a scope too");
  });

  it("refuses an unknown, deleted or malformed parent with 422 invalid_parent", async () => {
    assertError(assert, await w.post("/v1/customers", { name: "x", parent_id: UNKNOWN_ID }), 422, "invalid_parent");
    const gone = await named("Gone parent");
    assert.equal((await w.delete(`/v1/customers/${gone.id}`)).status, 200);
    const res = await w.post("/v1/customers", { name: "x", parent_id: gone.id });
    assertError(assert, res, 422, "invalid_parent");
    assert.equal(res.body.error.fields[0].field, "parent_id");
    const bad = await w.post("/v1/customers", { name: "x", parent_id: "not-an-id" });
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.body.error.fields[0].field, "parent_id");
    assertError(assert, await w.get("/v1/customers?parent_id=nope"), 400, "invalid_parameter");
  });

  it("allows five levels and refuses the sixth, on create and on a move", async () => {
    const levels = await chain(5, "deep");
    assertError(assert, await w.post("/v1/customers", { name: "sixth", parent_id: levels[4].id }), 422, "invalid_parent");
    // A two-level subtree may not move under level 4 (it would reach level 6).
    const [top, child] = await chain(2, "pair");
    assert.equal(child.parent_id, top.id);
    const moved = await w.patch(`/v1/customers/${top.id}`, { parent_id: levels[3].id });
    assertError(assert, moved, 422, "invalid_parent");
    assert.match(moved.body.error.message, /level 6/);
    const ok = await w.patch(`/v1/customers/${top.id}`, { parent_id: levels[2].id });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.parent_id, levels[2].id);
  });

  it("refuses a circle: a customer under itself or under its own descendant", async () => {
    const [a, b, c] = await chain(3, "circle");
    assertError(assert, await w.patch(`/v1/customers/${a.id}`, { parent_id: a.id }), 422, "invalid_parent");
    const res = await w.patch(`/v1/customers/${a.id}`, { parent_id: c.id });
    assertError(assert, res, 422, "invalid_parent");
    assert.match(res.body.error.message, /circle/);
    assert.equal((await w.get(`/v1/customers/${a.id}`)).body.parent_id, null);
    // Two customers moved under each other at the same moment: at most one move lands.
    const x = await named("swap x");
    const y = await named("swap y");
    const [rx, ry] = await Promise.all([
      w.patch(`/v1/customers/${x.id}`, { parent_id: y.id }),
      w.patch(`/v1/customers/${y.id}`, { parent_id: x.id }),
    ]);
    assert.ok([rx.status, ry.status].filter((s) => s === 200).length <= 1, `${rx.text} ${ry.text}`);
    const [gx, gy] = [(await w.get(`/v1/customers/${x.id}`)).body, (await w.get(`/v1/customers/${y.id}`)).body];
    assert.ok(!(gx.parent_id === y.id && gy.parent_id === x.id), "no circle was stored");
    // And b moves back to the top level with null.
    const topAgain = await w.patch(`/v1/customers/${b.id}`, { parent_id: null });
    assert.equal(topAgain.body.parent_id, null);
  });

  it("refuses to soft-delete a customer with live children unless cascade=true, which takes the subtree", async () => {
    const [top, mid, leaf] = await chain(3, "cascade");
    const res = await w.delete(`/v1/customers/${top.id}`);
    assertError(assert, res, 409, "has_children");
    assert.equal((await w.get(`/v1/customers/${top.id}`)).body.deleted_at, null);
    assertError(assert, await w.delete(`/v1/customers/${top.id}?cascade=yes`), 400, "invalid_parameter");
    const del = await w.delete(`/v1/customers/${top.id}?cascade=true`);
    assert.equal(del.status, 200, del.text);
    for (const c of [top, mid, leaf]) {
      const got = (await w.get(`/v1/customers/${c.id}`)).body;
      assert.ok(got.deleted_at, `${c.name} deleted`);
      assert.ok((await w.auditOf(c.id)).some((e) => e.action === "customer.delete"), `${c.name} audited`);
    }
    // A child cannot come back under a deleted parent; restoring the top brings the subtree back.
    assertError(assert, await w.post(`/v1/customers/${leaf.id}/restore`), 409, "parent_deleted");
    const restored = await w.post(`/v1/customers/${top.id}/restore`);
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.body.children_count, 1);
    for (const c of [top, mid, leaf]) {
      assert.equal((await w.get(`/v1/customers/${c.id}`)).body.deleted_at, null, `${c.name} restored`);
      assert.ok((await w.auditOf(c.id)).some((e) => e.action === "customer.restore"));
    }
    // A deleted leaf alone is deleted without cascade.
    assert.equal((await w.delete(`/v1/customers/${leaf.id}`)).status, 200);
  });

  it("never leaves a live sub-customer under a deleted parent, whatever is created during a delete", async () => {
    // A cascade (or bulk) delete reads the subtree, then deletes it: sub-customers created in
    // between must not stay live under the deleted parent. Each request either lands or is
    // refused; afterwards the tree is whole.
    for (let round = 0; round < 6; round++) {
      const parent = await named(`Racing parent ${round}`);
      await named(`Racing child ${round}`, { parent_id: parent.id });
      const creates = Array.from({ length: 8 }, (_, i) =>
        w.post("/v1/customers", { name: `Late child ${round}.${i}`, parent_id: parent.id }));
      const removal = round % 2
        ? w.post("/v1/customers/bulk-delete", { ids: [parent.id], cascade: true })
        : w.delete(`/v1/customers/${parent.id}?cascade=true`);
      const answers = await Promise.all([removal, ...creates]);
      for (const res of answers) assert.ok([200, 201, 409, 422].includes(res.status), `${res.status} ${res.text}`);
      const after = (await w.get(`/v1/customers/${parent.id}`)).body;
      const children = (await w.get(`/v1/customers?parent_id=${parent.id}&status=all&limit=100`)).body.data;
      if (after.deleted_at) {
        assert.deepEqual(children.filter((c) => !c.deleted_at).map((c) => c.name), [], `round ${round}`);
      }
    }
  });

  it("force-deletes a whole subtree and its dry run counts it exactly", async () => {
    const [top, mid] = await chain(2, "force");
    const leaves = [];
    for (let i = 0; i < 3; i++) leaves.push(await named(`force leaf ${i}`, { parent_id: mid.id }));
    await w.post(`/v1/customers/${leaves[0].id}/contacts`, { email: uniqueEmail("ct"), first_name: "C" });
    const dry = await w.delete(`/v1/customers/${top.id}?permanent=true&dry_run=true`);
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.deleted.customers, 5);
    assert.equal(dry.body.deleted.contacts, 1);
    assert.doesNotMatch(dry.text, /\d\.0\b/);
    const real = await w.delete(`/v1/customers/${top.id}?permanent=true`);
    assert.deepEqual(real.body.deleted, dry.body.deleted);
    for (const c of [top, mid, ...leaves]) assert.equal((await w.get(`/v1/customers/${c.id}`)).status, 404);
    for (const c of [mid, ...leaves]) {
      assert.ok((await w.auditOf(c.id)).some((e) => e.action === "customer.force_delete"), "each removed customer audited");
    }
  });

  it("bulk delete leaves a parent whose children are not selected, or cascades when asked", async () => {
    const [p1, c1] = await chain(2, "bulk one");
    const [p2, c2] = await chain(2, "bulk two");
    const plain = await w.post("/v1/customers/bulk-delete", { ids: [p1.id, p2.id, c2.id] });
    assert.equal(plain.status, 200, plain.text);
    const status = Object.fromEntries(plain.body.results.map((r) => [r.id, r.status]));
    assert.deepEqual(status, { [p1.id]: "has_children", [p2.id]: "deleted", [c2.id]: "deleted" });
    assert.equal((await w.get(`/v1/customers/${p1.id}`)).body.deleted_at, null);
    const cascaded = await w.post("/v1/customers/bulk-delete", { ids: [p1.id], cascade: true });
    assert.equal(cascaded.body.deleted, 2, cascaded.text);
    assert.ok((await w.get(`/v1/customers/${c1.id}`)).body.deleted_at);
    // Permanent bulk delete counts the subtrees in its dry run.
    const [p3] = await chain(3, "bulk three");
    const dry = await w.post("/v1/customers/bulk-delete", { ids: [p3.id], permanent: true, dry_run: true });
    assert.equal(dry.body.counts.customers, 3, dry.text);
  });

  it("a subtree of 300 customers is soft-deleted, restored and force-deleted in one request each", async () => {
    const top = await named("Wide top");
    const csv = ["name"].concat(Array.from({ length: 300 }, (_, i) => `Wide child ${i}`)).join("\n");
    const imported = await w.importCsv(csv);
    assert.equal(imported.status, 200, imported.text);
    const ids = imported.body.rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 100) {
      const batch = ids.slice(i, i + 100);
      await Promise.all(batch.map((id) => w.patch(`/v1/customers/${id}`, { parent_id: top.id })));
    }
    assert.equal((await w.get(`/v1/customers/${top.id}`)).body.children_count, 300);
    assert.equal((await w.delete(`/v1/customers/${top.id}?cascade=true`)).status, 200);
    assert.equal((await w.get(`/v1/customers?parent_id=${top.id}&limit=100`)).body.data.length, 0);
    assert.equal((await w.post(`/v1/customers/${top.id}/restore`)).body.children_count, 300);
    const dry = await w.delete(`/v1/customers/${top.id}?permanent=true&dry_run=true`);
    assert.equal(dry.body.deleted.customers, 301);
    assert.equal((await w.delete(`/v1/customers/${top.id}?permanent=true`)).body.deleted.customers, 301);
  });
});

describe("handles", () => {
  it("derives a handle from the name, numbering clashes", async () => {
    const a = await named("TEST CUSTOMER");
    assert.equal(a.handle, "test-customer");
    const b = await named("Test  Customer!");
    assert.equal(b.handle, "test-customer-2");
    const c = await named("test_customer");
    assert.equal(c.handle, "test-customer-3");
    assert.equal((await named("Café Zoë & Co.")).handle, "cafe-zoe-co");
    const emailOnly = await w.createCustomer({ email: uniqueEmail("nohandle") });
    assert.equal(emailOnly.handle, null, "no name, no handle");
    const named_later = await w.patch(`/v1/customers/${emailOnly.id}`, { name: "Later Name" });
    assert.equal(named_later.body.handle, "later-name");
    const renamed = await w.patch(`/v1/customers/${a.id}`, { name: "Something Else" });
    assert.equal(renamed.body.handle, "test-customer", "a handle stays when the name changes");
  });

  it("finds a customer by handle and by searching it", async () => {
    const c = await named("Handle Lookup Ltd");
    const byHandle = await w.get("/v1/customers?handle=handle-lookup-ltd");
    assert.deepEqual(byHandle.body.data.map((x) => x.id), [c.id]);
    const searched = await w.get("/v1/customers?q=handle-lookup");
    assert.ok(searched.body.data.some((x) => x.id === c.id), searched.text);
  });

  it("takes an explicit handle, refusing a taken one with 409 handle_taken and a malformed one with 422", async () => {
    const a = await named("Explicit", { handle: "my-handle" });
    assert.equal(a.handle, "my-handle");
    assertError(assert, await w.post("/v1/customers", { name: "Other", handle: "my-handle" }), 409, "handle_taken");
    const b = await named("Other Explicit");
    assertError(assert, await w.patch(`/v1/customers/${b.id}`, { handle: "my-handle" }), 409, "handle_taken");
    for (const handle of ["My-Handle", "-x", "x-", "a--b", "a b", "é", "x".repeat(65), ""]) {
      const res = await w.post("/v1/customers", { name: "Bad", handle });
      assert.equal(res.status, 422, `${handle}: ${res.text}`);
      assert.equal(res.body.error.fields[0].field, "handle");
    }
    // null derives it again from the name.
    const again = await w.patch(`/v1/customers/${a.id}`, { handle: null });
    assert.equal(again.body.handle, "explicit");
  });

  it("gives 20 customers created at once with one name 20 different handles", async () => {
    const made = await Promise.all(Array.from({ length: 20 }, () => w.post("/v1/customers", { name: "Same Time Inc" })));
    assert.ok(made.every((r) => r.status === 201), made.map((r) => r.text).join("\n"));
    const handles = made.map((r) => r.body.handle);
    assert.equal(new Set(handles).size, 20);
    assert.ok(handles.includes("same-time-inc"));
  });

  it("creates handles from a CSV with only a Name column, numbering repeats in the file", async () => {
    const res = await w.importCsv("Name\nCSV Handle Co\nCSV Handle Co\nOther CSV Co\n");
    assert.equal(res.status, 200, res.text);
    const got = await Promise.all(res.body.rows.map((r) => w.get(`/v1/customers/${r.id}`)));
    assert.deepEqual(got.map((g) => g.body.handle), ["csv-handle-co", "csv-handle-co-2", "other-csv-co"]);
  });

  it("a restored customer whose handle was taken meanwhile gets the next number; redaction clears it", async () => {
    const a = await named("Restore Handle");
    await w.delete(`/v1/customers/${a.id}`);
    const b = await named("Restore Handle");
    assert.equal(b.handle, "restore-handle", "a deleted customer's handle is free again");
    const back = await w.post(`/v1/customers/${a.id}/restore`);
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.handle, "restore-handle-2");
    const redacted = await w.post(`/v1/customers/${b.id}/redact`);
    assert.equal(redacted.body.handle, null);
  });

  it("gives a named visitor from a public page a handle", async () => {
    const email = uniqueEmail("pub");
    const res = await w.interact({ type: "form_submitted", resource_id: "form-1", email, name: "Public Visitor Handle" });
    assert.equal(res.status, 201, res.text);
    const [c] = await w.customersByEmail(email);
    assert.equal(c.handle, "public-visitor-handle");
  });
});

describe("the own company", () => {
  it("marks one customer, protects it from every delete and redaction, and moves the mark", async () => {
    const own = await named("Our Own MSP");
    const set = await w.call("PUT", "/v1/own-company", { json: { customer_id: own.id } });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.own_company, true);
    assert.equal((await w.get("/v1/own-company")).body.id, own.id);
    assert.ok((await w.auditOf(own.id)).some((e) => e.action === "customer.own_company_set"));

    assertError(assert, await w.delete(`/v1/customers/${own.id}`), 409, "customer_protected");
    assertError(assert, await w.delete(`/v1/customers/${own.id}?permanent=true`), 409, "customer_protected");
    assertError(assert, await w.delete(`/v1/customers/${own.id}?permanent=true&dry_run=true`), 409, "customer_protected");
    assertError(assert, await w.post(`/v1/customers/${own.id}/redact`), 409, "customer_protected");
    const other = await named("Deletable");
    for (const body of [{ ids: [own.id, other.id] }, { ids: [own.id], permanent: true }, { filter: { q: "Our Own MSP" } }]) {
      assertError(assert, await w.post("/v1/customers/bulk-delete", body), 409, "customer_protected");
    }
    assert.equal((await w.get(`/v1/customers/${other.id}`)).body.deleted_at, null, "nothing of a refused bulk delete happened");
    // A parent whose subtree holds the own company cannot be deleted with it.
    const holder = await named("Holder");
    assert.equal((await w.patch(`/v1/customers/${own.id}`, { parent_id: holder.id })).status, 200);
    const blocked = await w.delete(`/v1/customers/${holder.id}?cascade=true`);
    assertError(assert, blocked, 409, "customer_protected");
    assert.match(blocked.body.error.message, /sub-customer/, "the message says the own company is below, not the target itself");
    assertError(assert, await w.delete(`/v1/customers/${holder.id}?permanent=true`), 409, "customer_protected");
    assert.equal((await w.get(`/v1/customers/${own.id}`)).status, 200);
    // Editing is allowed.
    assert.equal((await w.patch(`/v1/customers/${own.id}`, { notes: "us", parent_id: null })).status, 200);

    const next = await named("Next Own");
    const moved = await w.call("PUT", "/v1/own-company", { json: { customer_id: next.id } });
    assert.equal(moved.body.own_company, true);
    assert.equal((await w.get(`/v1/customers/${own.id}`)).body.own_company, false, "only one own company");
    assert.equal((await w.delete(`/v1/customers/${own.id}`)).status, 200, "the former own company can be deleted");
    const unset = await w.call("DELETE", "/v1/own-company");
    assert.equal(unset.status, 200, unset.text);
    assertError(assert, await w.get("/v1/own-company"), 404, "not_found");
  });

  it("only owners (or the admin token) mark it; bad bodies are 422; a deleted customer cannot be it", async () => {
    const c = await named("Candidate");
    const editor = await w.createKey(["customers:read", "customers:update", "customers:delete"]);
    assertError(assert, await w.call("PUT", "/v1/own-company", { json: { customer_id: c.id }, token: editor.secret }), 403, "forbidden");
    for (const json of [{}, { customer_id: "x" }, { customer_id: c.id, extra: 1 }, { customer_id: 5 }]) {
      assert.equal((await w.call("PUT", "/v1/own-company", { json })).status, 422, JSON.stringify(json));
    }
    assertError(assert, await w.call("PUT", "/v1/own-company", { json: { customer_id: UNKNOWN_ID } }), 404, "not_found");
    await w.delete(`/v1/customers/${c.id}`);
    assertError(assert, await w.call("PUT", "/v1/own-company", { json: { customer_id: c.id } }), 409, "customer_deleted");
  });
});
