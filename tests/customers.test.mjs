import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";
import { ORACLE, pages, PLANS } from "./positions.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

// Walks every page and returns the ids in order.
async function walk(path, limit) {
  const ids = [];
  let cursor = null;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const res = await w.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.data.length <= limit);
    ids.push(...res.body.data.map((c) => c.id));
    if (!res.body.has_more) {
      assert.equal(res.body.next_cursor, null);
      return ids;
    }
    cursor = res.body.next_cursor;
  }
  throw new Error("too many pages");
}

describe("create and get", () => {
  it("creates a customer and reads it back", async () => {
    const email = uniqueEmail("ada");
    const res = await w.post("/v1/customers", { name: "Ada Lovelace", email, attributes: { plan: "pro" } });
    assert.equal(res.status, 201, res.text);
    const c = res.body;
    assert.match(c.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    assert.equal(res.headers.get("location"), `/v1/customers/${c.id}`);
    assert.equal(res.headers.get("etag"), '"1"');
    assert.equal(c.kind, "registered");
    assert.equal(c.source, "admin");
    assert.deepEqual(c.group_ids, []);
    assert.equal(c.deleted_at, null);
    assert.match(c.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const got = await w.get(`/v1/customers/${c.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, c);
    assert.equal(got.headers.get("etag"), '"1"');
  });

  it("refuses the same email in another case with 409 naming the existing customer", async () => {
    const email = uniqueEmail("dup");
    const first = await w.createCustomer({ email });
    const second = await w.post("/v1/customers", { email: email.toUpperCase(), name: "Other" });
    assertError(assert, second, 409, "customer_exists");
    assert.equal(second.body.error.existing_id, first.id);
  });

  it("rejects an invalid email naming the field", async () => {
    const res = await w.post("/v1/customers", { name: "X", email: "not-an-email" });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "email");
  });

  it("rejects unknown fields", async () => {
    const res = await w.post("/v1/customers", { name: "X", nickname: "x" });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "nickname");
  });

  it("rejects malformed JSON", async () => {
    const res = await w.call("POST", "/v1/customers", { body: "{\"name\": ", headers: { "content-type": "application/json" } });
    assertError(assert, res, 400, "invalid_json");
  });

  it("rejects a body that is not JSON by content type", async () => {
    const res = await w.call("POST", "/v1/customers", { body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assertError(assert, res, 415, "unsupported_media_type");
  });

  it("rejects a body over 1 MiB", async () => {
    const res = await w.post("/v1/customers", { name: "x", notes: "a".repeat(1024 * 1024 + 10) });
    assertError(assert, res, 413, "payload_too_large");
  });

  it("answers 404 for an unknown or malformed id", async () => {
    assertError(assert, await w.get("/v1/customers/0190b8a0-0000-7000-8000-000000000000"), 404, "not_found");
    assertError(assert, await w.get("/v1/customers/not-a-uuid"), 404, "not_found");
  });
});

describe("list", () => {
  const tag = `tag${Date.now()}`;
  const made = [];
  before(async () => {
    const names = ["delta", "Alpha", "charlie", "bravo", "echo", "foxtrot", "golf"];
    for (const [i, n] of names.entries()) {
      made.push(await w.createCustomer({ name: `${n} ${tag}`, email: i % 2 ? uniqueEmail(tag) : undefined, company: `Co ${tag}` }));
    }
  });

  it("walks all pages with limit 3 seeing each customer exactly once", async () => {
    const ids = await walk(`/v1/customers?q=${tag}`, 3);
    assert.equal(ids.length, made.length);
    assert.equal(new Set(ids).size, made.length);
    assert.deepEqual(ids, [...made].reverse().map((c) => c.id), "newest first by default");
  });

  it("keeps pages stable when customers are added while walking", async () => {
    const first = await w.get(`/v1/customers?q=${tag}&limit=3`);
    await w.createCustomer({ name: `late ${tag}` });
    const rest = await w.get(`/v1/customers?q=${tag}&limit=100&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    const seen = [...first.body.data, ...rest.body.data].map((c) => c.id);
    assert.equal(new Set(seen).size, seen.length, "no duplicates");
    for (const c of made) assert.ok(seen.includes(c.id), "no gaps");
  });

  for (const sort of ["name", "-name", "created_at", "-created_at", "email", "-email", "last_seen_at", "-last_seen_at"]) {
    it(`sorts by ${sort} across pages`, async () => {
      const ids = await walk(`/v1/customers?q=${tag}&sort=${sort}`, 2);
      const all = (await w.get(`/v1/customers?q=${tag}&sort=${sort}&limit=100`)).body.data;
      assert.deepEqual(ids, all.map((c) => c.id));
      const key = sort.replace("-", "");
      const vals = all.map((c) => (key === "name" ? (c.name ?? c.email ?? "").toLowerCase() : key === "email" ? (c.email ?? "").toLowerCase() : c[key] ?? ""));
      const sorted = [...vals].sort();
      if (sort.startsWith("-")) sorted.reverse();
      assert.deepEqual(vals, sorted);
    });
  }

  it("adds the total when asked", async () => {
    const res = await w.get(`/v1/customers?q=${tag}&include_total=true&limit=1`);
    assert.ok(res.body.total >= made.length);
    assert.equal(res.body.data.length, 1);
  });

  it("searches name, email, phone and company case-insensitively", async () => {
    const c = await w.createCustomer({ name: "Zed", phone: "+44 20 7946 0958", company: `Umbrella-${tag}` });
    assert.ok((await w.get(`/v1/customers?q=UMBRELLA-${tag}`)).body.data.some((x) => x.id === c.id));
    assert.ok((await w.get(`/v1/customers?q=${encodeURIComponent("7946 0958")}`)).body.data.some((x) => x.id === c.id));
  });

  it("treats % _ and quotes in q as literal text", async () => {
    const c = await w.createCustomer({ name: `100%_off 'quoted' ${tag}` });
    const hit = await w.get(`/v1/customers?q=${encodeURIComponent("100%_off 'quoted'")}`);
    assert.deepEqual(hit.body.data.map((x) => x.id), [c.id]);
    const miss = await w.get(`/v1/customers?q=${encodeURIComponent("100%%off")}`);
    assert.equal(miss.body.data.length, 0);
  });

  it("never fails on hostile or long search strings", async () => {
    for (const q of ["' OR 1=1 --", "\"; DROP TABLE customers; --", "%", "_", "\\", "x".repeat(200), "💥"]) {
      const res = await w.get(`/v1/customers?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
    }
    assertError(assert, await w.get(`/v1/customers?q=${"x".repeat(300)}`), 400, "invalid_parameter");
    // Control characters are refused, never passed on to the search index.
    assertError(assert, await w.get(`/v1/customers?q=${encodeURIComponent("\u0000")}`), 400, "invalid_parameter");
  });

  it("filters by exact email regardless of case", async () => {
    const email = uniqueEmail("exact");
    const c = await w.createCustomer({ email });
    const res = await w.get(`/v1/customers?email=${encodeURIComponent(email.toUpperCase())}`);
    assert.deepEqual(res.body.data.map((x) => x.id), [c.id]);
  });

  it("filters by kind, source and creation time", async () => {
    const c = await w.createCustomer({ name: `visitor ${tag}`, kind: "visitor", source: "form" });
    const res = await w.get(`/v1/customers?q=${tag}&kind=visitor&source=form&created_after=${encodeURIComponent(made[0].created_at)}`);
    assert.deepEqual(res.body.data.map((x) => x.id), [c.id]);
    const before = await w.get(`/v1/customers?q=${tag}&created_before=2000-01-01`);
    assert.equal(before.body.data.length, 0);
  });

  for (const [param, value] of [["limit", "0"], ["limit", "101"], ["sort", "password"], ["status", "x"], ["cursor", "garbage"],
                                ["kind", "vip"], ["created_after", "tomorrow"], ["include_total", "maybe"], ["colour", "red"]]) {
    it(`answers 400 naming the bad parameter ${param}=${value}`, async () => {
      const res = await w.get(`/v1/customers?${param}=${value}`);
      assertError(assert, res, 400, "invalid_parameter");
      assert.match(res.body.error.message, new RegExp(param));
    });
  }
});

describe("the name order", () => {
  // Customers without a name sit among the names by their email (migrations/0025), in every
  // plan, and the cursors walk across them both ways.
  const tag = `nm${Date.now().toString(36)}`;
  const want = [`alpha ${tag}`, `Bravo-${tag}@example.com`, `charlie ${tag}`, `Delta ${tag}`, `echo-${tag}@example.com`, `foxtrot ${tag}`, `golf-${tag}@example.com`];
  const ids = {};
  before(async () => {
    // Created out of order, so creation order is no help.
    for (const n of [want[4], want[0], want[6], want[2], want[1], want[5], want[3]]) {
      ids[n] = (await w.createCustomer(n.includes("@") ? { email: n } : { name: n })).id;
    }
  });
  const order = (names) => names.map((n) => ids[n]);

  for (const [sort, names] of [["name", want], ["-name", [...want].reverse()]]) {
    it(`sorts nameless customers by email among the names, sort=${sort}, across pages of 1, 2 and 3`, async () => {
      for (const limit of [1, 2, 3]) {
        assert.deepEqual(await walk(`/v1/customers?q=${tag}&sort=${sort}`, limit), order(names), `limit ${limit}`);
      }
      const body = { conditions: [{ field: "company", op: "is_null" }], q: tag, sort, limit: 2 };
      for (const [plan, headers] of Object.entries({ ...PLANS, "the plain walk": ORACLE })) {
        const seen = (await pages(w, { body }, headers)).flatMap((p) => p.ids);
        assert.deepEqual(seen, order(names), plan);
      }
    });
  }

  it("a page after a nameless customer's cursor starts after it, not at the first name", async () => {
    const first = await w.get(`/v1/customers?q=${tag}&sort=name&limit=2`);
    assert.deepEqual(first.body.data.map((c) => c.id), order(want.slice(0, 2)));
    const next = await w.get(`/v1/customers?q=${tag}&sort=name&limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    assert.deepEqual(next.body.data.map((c) => c.id), order(want.slice(2, 4)));
  });

  it("a name condition still leaves out customers without a name, whatever their email", async () => {
    for (const [op, value] of [["starts_with", "bravo"], ["eq", `bravo-${tag}@example.com`], ["in", [`bravo-${tag}@example.com`]]]) {
      for (const sort of ["name", "-created_at"]) {
        const res = await w.post("/v1/customers/filter", { conditions: [{ field: "name", op, value }], sort });
        assert.equal(res.status, 200, res.text);
        assert.ok(!res.body.data.some((c) => c.id === ids[want[1]]), `${op} ${sort}: ${res.text}`);
      }
    }
    const named = await w.post("/v1/customers/filter", { conditions: [{ field: "name", op: "starts_with", value: "delta" }], sort: "name", q: tag });
    assert.deepEqual(named.body.data.map((c) => c.id), [ids[want[3]]]);
  });
});

describe("filter", () => {
  const tag = `flt${Date.now()}`;
  let pro, free, none;
  before(async () => {
    pro = await w.createCustomer({ name: `Pro ${tag}`, attributes: { plan: "pro", seats: 10, trial: false } });
    free = await w.createCustomer({ name: `Free ${tag}`, email: uniqueEmail(tag), attributes: { plan: "free", seats: 1 } });
    none = await w.createCustomer({ name: `None ${tag}`, company: "Initech" });
  });

  const ids = (res) => res.body.data.map((c) => c.id).sort();

  it("matches attributes by value and number comparison", async () => {
    const res = await w.post("/v1/customers/filter", { conditions: [
      { field: "name", op: "contains", value: tag }, { field: "attributes.seats", op: "gte", value: 5 }] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(ids(res), [pro.id]);
  });

  it("combines with any", async () => {
    const res = await w.post("/v1/customers/filter", { match: "any", conditions: [
      { field: "attributes.plan", op: "eq", value: "free" }, { field: "company", op: "eq", value: "initech" }] });
    assert.deepEqual(ids(res).filter((id) => [pro.id, free.id, none.id].includes(id)), [free.id, none.id].sort());
  });

  it("supports in, starts_with, ends_with, is_null", async () => {
    const r1 = await w.post("/v1/customers/filter", { conditions: [{ field: "attributes.plan", op: "in", value: ["pro", "free"] }, { field: "name", op: "ends_with", value: tag }] });
    assert.deepEqual(ids(r1), [pro.id, free.id].sort());
    const r2 = await w.post("/v1/customers/filter", { conditions: [{ field: "name", op: "starts_with", value: "none" }, { field: "email", op: "is_null" }, { field: "name", op: "contains", value: tag }] });
    assert.deepEqual(ids(r2), [none.id]);
  });

  it("pages filter results with a cursor", async () => {
    const body = { conditions: [{ field: "name", op: "contains", value: tag }], limit: 2, sort: "name" };
    const first = await w.post("/v1/customers/filter", body);
    assert.equal(first.body.has_more, true);
    const second = await w.post("/v1/customers/filter", { ...body, cursor: first.body.next_cursor });
    assert.equal(second.body.has_more, false);
    assert.deepEqual([...first.body.data, ...second.body.data].map((c) => c.name), [`Free ${tag}`, `None ${tag}`, `Pro ${tag}`]);
  });

  it("refuses unknown fields and operators with 422 naming them", async () => {
    const res = await w.post("/v1/customers/filter", { conditions: [{ field: "password", op: "eq", value: "x" }] });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "conditions[0].field");
    const op = await w.post("/v1/customers/filter", { conditions: [{ field: "name", op: "like", value: "%" }] });
    assert.equal(op.body.error.fields[0].field, "conditions[0].op");
  });

  it("refuses a filter needing more than 100 parameters with 422, never 500", async () => {
    const conditions = [0, 1, 2].map((i) => ({ field: "name", op: "in", value: Array.from({ length: 40 }, (_, j) => `${i}-${j}`) }));
    const res = await w.post("/v1/customers/filter", { conditions });
    assertError(assert, res, 422, "validation_failed");
  });
});

describe("update", () => {
  it("applies a merge patch, bumps the version and sets updated_at", async () => {
    const c = await w.createCustomer({ name: "Patchy", attributes: { plan: "free", seats: 1 } });
    const res = await w.call("PATCH", `/v1/customers/${c.id}`, {
      body: JSON.stringify({ company: "ACME", attributes: { plan: "pro", seats: null } }),
      headers: { "content-type": "application/merge-patch+json", "if-match": '"1"' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.company, "ACME");
    assert.deepEqual(res.body.attributes, { plan: "pro" });
    assert.equal(res.body.version, 2);
    assert.equal(res.headers.get("etag"), '"2"');
    assert.ok(res.body.updated_at >= c.updated_at);
  });

  it("answers 412 on a stale If-Match and changes nothing", async () => {
    const c = await w.createCustomer({ name: "Stale" });
    await w.patch(`/v1/customers/${c.id}`, { name: "Fresh" });
    const res = await w.patch(`/v1/customers/${c.id}`, { name: "Lost" }, { headers: { "if-match": '"1"' } });
    assertError(assert, res, 412, "version_mismatch");
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.name, "Fresh");
  });

  it("keeps emails unique", async () => {
    const email = uniqueEmail("taken");
    const a = await w.createCustomer({ email });
    const b = await w.createCustomer({ name: "B" });
    const res = await w.patch(`/v1/customers/${b.id}`, { email: email.toUpperCase() });
    assertError(assert, res, 409, "customer_exists");
    assert.equal(res.body.error.existing_id, a.id);
  });

  it("refuses to leave a customer without name and email", async () => {
    const c = await w.createCustomer({ name: "Only name" });
    assertError(assert, await w.patch(`/v1/customers/${c.id}`, { name: null }), 422, "validation_failed");
  });

  it("refuses read-only and unknown fields", async () => {
    const c = await w.createCustomer({ name: "RO" });
    const res = await w.patch(`/v1/customers/${c.id}`, { id: "x", source: "form", nope: 1 });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields.length, 3);
  });

  it("answers 409 customer_deleted for a soft-deleted customer", async () => {
    const c = await w.createCustomer({ name: "Gone" });
    await w.delete(`/v1/customers/${c.id}`);
    assertError(assert, await w.patch(`/v1/customers/${c.id}`, { name: "Back" }), 409, "customer_deleted");
  });
});

describe("soft delete and restore", () => {
  it("soft-deletes, hides from the default list, shows under status=deleted, and is idempotent", async () => {
    const c = await w.createCustomer({ name: `Soft ${Date.now()}` });
    const del = await w.delete(`/v1/customers/${c.id}`);
    assert.equal(del.status, 200);
    assert.ok(del.body.deleted_at);
    const again = await w.delete(`/v1/customers/${c.id}`);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, del.body);
    assert.ok(!(await w.get(`/v1/customers?q=${encodeURIComponent(c.name)}`)).body.data.length);
    assert.deepEqual((await w.get(`/v1/customers?q=${encodeURIComponent(c.name)}&status=deleted`)).body.data.map((x) => x.id), [c.id]);
    assert.equal((await w.get(`/v1/customers?q=${encodeURIComponent(c.name)}&status=all`)).body.data.length, 1);
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.deleted_at, del.body.deleted_at);
  });

  it("frees the email, which then blocks the restore with 409", async () => {
    const email = uniqueEmail("reuse");
    const old = await w.createCustomer({ email, name: "Old" });
    await w.delete(`/v1/customers/${old.id}`);
    const fresh = await w.createCustomer({ email, name: "New" });
    const res = await w.post(`/v1/customers/${old.id}/restore`);
    assertError(assert, res, 409, "customer_exists");
    assert.equal(res.body.error.existing_id, fresh.id);
  });

  it("restores a soft-deleted customer", async () => {
    const c = await w.createCustomer({ name: "Comeback", email: uniqueEmail("back") });
    await w.delete(`/v1/customers/${c.id}`);
    const res = await w.post(`/v1/customers/${c.id}/restore`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.deleted_at, null);
  });
});

describe("force delete", () => {
  it("dry run counts and removes nothing; the real one removes", async () => {
    const c = await w.createCustomer({ name: "Doomed" });
    const dry = await w.delete(`/v1/customers/${c.id}?permanent=true&dry_run=true`);
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(dry.body.deleted, { customers: 1, interactions: 0, group_memberships: 0, contacts: 0 });
    assert.equal((await w.get(`/v1/customers/${c.id}`)).status, 200);
    const real = await w.delete(`/v1/customers/${c.id}?permanent=true`);
    assert.equal(real.status, 200);
    assert.equal(real.body.id, c.id);
    assert.equal(real.body.deleted.customers, 1);
    assertError(assert, await w.get(`/v1/customers/${c.id}`), 404, "not_found");
  });

  it("refuses dry_run on a soft delete and unknown parameters", async () => {
    const c = await w.createCustomer({ name: "Param" });
    assertError(assert, await w.delete(`/v1/customers/${c.id}?dry_run=true`), 400, "invalid_parameter");
    assertError(assert, await w.delete(`/v1/customers/${c.id}?permanently=true`), 400, "invalid_parameter");
  });
});

describe("bulk delete", () => {
  it("soft-deletes by ids and reports each", async () => {
    const a = await w.createCustomer({ name: "Bulk A" });
    const b = await w.createCustomer({ name: "Bulk B" });
    await w.delete(`/v1/customers/${b.id}`);
    const missing = "0190b8a0-0000-7000-8000-000000000000";
    const res = await w.post("/v1/customers/bulk-delete", { ids: [a.id, b.id, missing] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.matched, 2);
    assert.equal(res.body.deleted, 1);
    assert.deepEqual(res.body.results.map((r) => r.status), ["deleted", "already_deleted", "not_found"]);
  });

  it("deletes by filter, permanently, with a dry run first", async () => {
    const tag = `bulk${Date.now()}`;
    for (let i = 0; i < 3; i++) await w.createCustomer({ name: `${tag} ${i}` });
    const filter = { conditions: [{ field: "name", op: "starts_with", value: tag }] };
    const dry = await w.post("/v1/customers/bulk-delete", { filter, permanent: true, dry_run: true });
    assert.equal(dry.body.matched, 3);
    assert.equal(dry.body.deleted, 0);
    assert.equal(dry.body.counts.customers, 3);
    const real = await w.post("/v1/customers/bulk-delete", { filter, permanent: true });
    assert.equal(real.body.deleted, 3);
    assert.equal((await w.get(`/v1/customers?q=${tag}&status=all`)).body.data.length, 0);
  });

  it("refuses more than 100 ids and bodies with both or neither", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `id-${i}`);
    assertError(assert, await w.post("/v1/customers/bulk-delete", { ids }), 422, "validation_failed");
    assertError(assert, await w.post("/v1/customers/bulk-delete", {}), 422, "validation_failed");
    assertError(assert, await w.post("/v1/customers/bulk-delete", { ids: ["a"], filter: {} }), 422, "validation_failed");
  });
});

describe("redact", () => {
  it("replaces personal fields and keeps id and timestamps", async () => {
    const c = await w.createCustomer({ name: "Private Person", email: uniqueEmail("pii"), phone: "+1 555 0100", notes: "likes tea", attributes: { dob: "1990" } });
    const res = await w.post(`/v1/customers/${c.id}/redact`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, c.id);
    assert.equal(res.body.name, "[redacted]");
    assert.equal(res.body.email, null);
    assert.equal(res.body.phone, null);
    assert.equal(res.body.notes, null);
    assert.deepEqual(res.body.attributes, {});
    assert.equal(res.body.created_at, c.created_at);
  });

  it("redacts the customer's contacts and interaction details, keeping them attached", async () => {
    const email = uniqueEmail("pii2");
    const c = await w.createCustomer({ name: "Org", email });
    const contact = await w.createContact(c.id, { first_name: "Jane", last_name: "Doe", phone: "+1 555 0123" });
    await w.interact({ email, type: "form_submitted", resource_id: "f1", details: { message: "call Jane" } });
    assert.equal((await w.post(`/v1/customers/${c.id}/redact`)).status, 200);
    const contacts = (await w.get(`/v1/customers/${c.id}/contacts`)).body.data;
    assert.equal(contacts.length, 1);
    assert.equal(contacts[0].id, contact.id);
    assert.equal(contacts[0].first_name, "[redacted]");
    assert.equal(contacts[0].phone, null);
    assert.match(contacts[0].email, /@redacted\.invalid$/);
    const history = (await w.get(`/v1/customers/${c.id}/interactions`)).body.data;
    assert.equal(history.length, 1);
    assert.deepEqual(history[0].details, {});
    assert.equal(history[0].resource_id, "f1");
  });
});

describe("concurrent patches", () => {
  it("answer each patch with the row as that patch wrote it: its own value, a version of its own", async () => {
    const c = await w.createCustomer({ name: "Raced" });
    const n = 20;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) =>
      w.patch(`/v1/customers/${c.id}`, { notes: `writer ${i}`, attributes: { writer: i } })));
    for (const [i, res] of answers.entries()) {
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.notes, `writer ${i}`, `answer ${i} describes another request's write`);
      assert.equal(res.body.attributes.writer, i);
      assert.equal(res.headers.get("etag"), `"${res.body.version}"`);
    }
    const versions = answers.map((r) => r.body.version).sort((a, b) => a - b);
    assert.deepEqual(versions, Array.from({ length: n }, (_, i) => c.version + 1 + i), "each write has a version of its own");
    const last = answers.find((r) => r.body.version === versions.at(-1));
    assert.deepEqual((await w.get(`/v1/customers/${c.id}`)).body, last.body);
  });
});

describe("idempotency", () => {
  it("replays the first answer for the same key and body", async () => {
    const key = `k-${Date.now()}`;
    const body = { name: "Idem", email: uniqueEmail("idem") };
    const first = await w.post("/v1/customers", body, { headers: { "idempotency-key": key } });
    const second = await w.post("/v1/customers", body, { headers: { "idempotency-key": key } });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers.get("location"), first.headers.get("location"));
    assert.equal(second.headers.get("idempotent-replayed"), "true");
  });

  it("refuses the same key with another body", async () => {
    const key = `k2-${Date.now()}`;
    await w.post("/v1/customers", { name: "One" }, { headers: { "idempotency-key": key } });
    const res = await w.post("/v1/customers", { name: "Two" }, { headers: { "idempotency-key": key } });
    assertError(assert, res, 422, "idempotency_key_reused");
  });

  // A request that died between claiming its key and answering leaves a claim with no answer:
  // the row is written as that claim would be, at the time it was made.
  async function deadClaim(key, body, agoMs) {
    await w.db.prepare("INSERT INTO idempotency_keys (scope, body_hash, created_at) VALUES (?1, ?2, ?3)")
      .bind(`admin-token|/v1/customers|${key}`, createHash("sha256").update(JSON.stringify(body)).digest("hex"),
        new Date(Date.now() - agoMs).toISOString()).run();
  }

  it("runs a retry once the claim of a request that died is older than its 60 s lease", async () => {
    const key = `k4-${Date.now()}`;
    const body = { name: "After a crash", email: uniqueEmail("crash") };
    await deadClaim(key, body, 61_000);
    const retry = await w.post("/v1/customers", body, { headers: { "idempotency-key": key } });
    assert.equal(retry.status, 201, retry.text);
    const again = await w.post("/v1/customers", body, { headers: { "idempotency-key": key } });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.body.id, retry.body.id);
  });

  it("still refuses a key whose claim is within its lease", async () => {
    const key = `k5-${Date.now()}`;
    const body = { name: "Too soon" };
    await deadClaim(key, body, 5_000);
    assertError(assert, await w.post("/v1/customers", body, { headers: { "idempotency-key": key } }), 409, "idempotency_key_in_use");
  });

  it("creates one customer for simultaneous requests with one key", async () => {
    const key = `k3-${Date.now()}`;
    const name = `Simul ${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 8 }, () =>
      w.post("/v1/customers", { name }, { headers: { "idempotency-key": key } })));
    for (const r of results) assert.ok([201, 409].includes(r.status), r.text);
    const list = await w.get(`/v1/customers?q=${encodeURIComponent(name)}`);
    assert.equal(list.body.data.length, 1);
  });
});
