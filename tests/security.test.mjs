// The contract's "Rules that hold everywhere", each tried the way an attacker would, against the
// built worker. One `describe` per class of hole found when the API was attacked from outside;
// SECURITY.md lists what each one guards.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("1. keys grant only what they hold", () => {
  it("refuses a keys:manage key minting a force_delete key, naming the permission", async () => {
    const manager = (await w.createKey(["keys:manage"])).secret;
    const res = await w.post("/v1/api-keys", { name: "escalated", permissions: ["keys:manage", "customers:force_delete"] }, { token: manager });
    assertError(assert, res, 403, "forbidden");
    assert.match(res.body.error.message, /customers:force_delete/);
    const list = (await w.get("/v1/api-keys")).body.data;
    assert.ok(!list.some((k) => k.name === "escalated"), "no key was created");
  });

  it("lets a key create a key with a subset of its own permissions", async () => {
    const manager = (await w.createKey(["keys:manage", "customers:read"])).secret;
    const res = await w.post("/v1/api-keys", { name: "reader", permissions: ["customers:read"] }, { token: manager });
    assert.equal(res.status, 201, res.text);
  });
});

describe("2. boolean flags and repeated parameters", () => {
  for (const query of ["permanent=", "permanent", "permanent=1", "permanent=yes", "permanent=TRUE"]) {
    it(`answers 400 to DELETE ?${query} and deletes nothing`, async () => {
      const c = await w.createCustomer();
      assertError(assert, await w.delete(`/v1/customers/${c.id}?${query}`), 400, "invalid_parameter");
      const after = await w.get(`/v1/customers/${c.id}`);
      assert.equal(after.status, 200);
      assert.equal(after.body.deleted_at, null);
    });
  }

  it("answers 400 to a repeated parameter on every route that reads the query", async () => {
    const c = await w.createCustomer();
    const tries = [
      ["GET", "/v1/customers?limit=5&limit=6"],
      ["DELETE", `/v1/customers/${c.id}?permanent=false&permanent=true`],
      ["GET", `/v1/customers/${c.id}?x=1&x=1`],
      ["GET", `/v1/customers/${c.id}/interactions?limit=1&limit=2`],
      ["GET", "/v1/customers/export?q=a&q=b"],
      ["GET", "/v1/audit-log?action=a&action=b"],
      ["GET", "/v1/groups?limit=1&limit=1"],
      ["GET", "/v1/api-keys?a=1&a=2"],
    ];
    for (const [method, path] of tries) {
      const res = await w.call(method, path);
      assertError(assert, res, 400, "invalid_parameter");
      assert.ok(res.body.error.parameter, `${method} ${path} names the parameter`);
    }
    assertError(assert, await w.importCsv("name\nA\n", "?mode=create&mode=upsert"), 400, "invalid_parameter");
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.deleted_at, null);
  });

  it("reads dry_run, atomic and include_total as exactly true or false", async () => {
    assertError(assert, await w.importCsv("name\nA\n", "?dry_run="), 400, "invalid_parameter");
    assertError(assert, await w.importCsv("name\nA\n", "?atomic=0"), 400, "invalid_parameter");
    assertError(assert, await w.get("/v1/customers?include_total=1"), 400, "invalid_parameter");
    assert.equal((await w.get("/v1/customers?include_total=true")).status, 200);
  });
});

describe("3. malformed CSV", () => {
  it("answers 400 invalid_csv naming the line where an unclosed quote began, writing nothing", async () => {
    const tag = `unclosed${Date.now()}`;
    const res = await w.importCsv(`name,email\n"${tag},a@example.com\nBob ${tag},bob@example.com\n`);
    assertError(assert, res, 400, "invalid_csv");
    assert.match(res.body.error.message, /line 2/);
    assert.equal((await w.get(`/v1/customers?q=${tag}`)).body.data.length, 0);
  });
});

describe("4. every write path obeys the create and update rules", () => {
  const fifty = (prefix) => Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${prefix}${i}`, "x"]));

  it("fails an upsert row that would take a customer past 50 attributes, and the customer stays patchable", async () => {
    const c = await w.createCustomer({ name: "Target", email: uniqueEmail("t"), attributes: fifty("old") });
    const header = Object.keys(fifty("new")).join(",");
    const csv = `email,${header}\n${c.email},${Array(50).fill("y").join(",")}\n`;
    const atomic = await w.importCsv(csv, "?mode=upsert");
    assert.equal(atomic.status, 422, atomic.text);
    assert.equal(atomic.body.rows[0].status, "failed");
    assert.equal(atomic.body.rows[0].errors[0].code, "too_many");
    const lenient = await w.importCsv(csv, "?mode=upsert&atomic=false");
    assert.equal(lenient.status, 200, lenient.text);
    assert.equal(lenient.body.failed, 1);
    const after = (await w.get(`/v1/customers/${c.id}`)).body;
    assert.equal(Object.keys(after.attributes).length, 50);
    const patch = await w.patch(`/v1/customers/${c.id}`, { notes: "still editable" });
    assert.equal(patch.status, 200, patch.text);
  });

  it("holds the attribute limit in the database itself", async () => {
    const c = await w.createCustomer({ name: "Target", email: uniqueEmail("t"), attributes: fifty("k") });
    await assert.rejects(
      w.db.prepare("UPDATE customers SET attributes = json_set(attributes, '$.one_more', 1) WHERE id = ?").bind(c.id).run(),
      /customer_attributes_limit/,
    );
  });

  it("refuses a merge patch that would make 51 attributes", async () => {
    const c = await w.createCustomer({ name: "Target", email: uniqueEmail("t"), attributes: fifty("k") });
    const res = await w.patch(`/v1/customers/${c.id}`, { attributes: { extra: 1 } });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "attributes");
  });

  it("validates a public fill-in by the create rules", async () => {
    const email = uniqueEmail("fill");
    await w.createCustomer({ email, name: "Admin Set" });
    const res = await w.interact({ email, phone: "call me \u0000 maybe", type: "form_submitted", resource_id: "f" });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields[0].field, "phone");
  });
});

describe("5. control characters never reach a 5xx", () => {
  const nul = encodeURIComponent("a\u0000b");

  it("answers 400 to a NUL in q on the list and the export", async () => {
    for (const path of [`/v1/customers?q=${nul}`, `/v1/customers/export?q=${nul}`, `/v1/customers?email=${nul}`]) {
      const res = await w.get(path);
      assertError(assert, res, 400, "invalid_parameter");
      assert.equal(res.body.error.parameter, path.includes("email=") ? "email" : "q");
    }
  });

  it("answers 422 to a NUL in a filter body, an export body and a bulk delete by filter", async () => {
    const q = { q: "a\u0000b" };
    const cond = { conditions: [{ field: "name", op: "contains", value: "\u0000" }] };
    for (const [path, body] of [["/v1/customers/filter", q], ["/v1/customers/filter", cond], ["/v1/customers/export", q],
                                ["/v1/customers/bulk-delete", { filter: q }], ["/v1/customers/bulk-delete", { filter: cond }]]) {
      const res = await w.post(path, body);
      assertError(assert, res, 422, "validation_failed");
    }
  });

  it("refuses control characters in names, attribute values, key names and resource ids with 422", async () => {
    assertError(assert, await w.post("/v1/customers", { name: "A\u0000" }), 422, "validation_failed");
    assertError(assert, await w.post("/v1/customers", { name: "A", attributes: { plan: "p\u0007" } }), 422, "validation_failed");
    for (const name of ["k\u0000", "k\r\nX-Admin: yes", "k\u202egnp.exe"]) {
      const res = await w.post("/v1/api-keys", { name, permissions: ["customers:read"] });
      assertError(assert, res, 422, "validation_failed");
      assert.equal(res.body.error.fields[0].field, "name");
    }
    for (const resource_id of ["r\u0000", "r\r\nx", "r\u202e"]) {
      const res = await w.interact({ email: uniqueEmail(), type: "chat_started", resource_id });
      assertError(assert, res, 422, "validation_failed");
      assert.equal(res.body.error.fields[0].field, "resource_id");
    }
  });

  it("keeps tab and newline in notes", async () => {
    const c = await w.createCustomer({ name: "Target", email: uniqueEmail("t"), notes: "line one\n\tline two" });
    assert.equal(c.notes, "line one\n\tline two");
  });
});

describe("6. merge patches under contention", () => {
  it("applies all 10 simultaneous patches without If-Match, losing none", async () => {
    const c = await w.createCustomer();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      w.patch(`/v1/customers/${c.id}`, { attributes: { [`p${i}`]: i } })));
    for (const r of results) assert.equal(r.status, 200, r.text);
    const after = (await w.get(`/v1/customers/${c.id}`)).body;
    assert.deepEqual(Object.keys(after.attributes).sort(), Array.from({ length: 10 }, (_, i) => `p${i}`).sort());
    assert.equal(after.version, 11);
    assert.equal((await w.auditOf(c.id)).filter((e) => e.action === "customer.update").length, 10);
  });

  it("still answers 412 when If-Match is stale", async () => {
    const c = await w.createCustomer();
    await w.patch(`/v1/customers/${c.id}`, { notes: "moved on" });
    const res = await w.patch(`/v1/customers/${c.id}`, { notes: "late" }, { headers: { "if-match": `"${c.version}"` } });
    assertError(assert, res, 412, "version_mismatch");
  });
});

describe("7. every change to a customer is audited under its id", () => {
  it("audits a public page filling an admin-created customer's empty phone", async () => {
    const email = uniqueEmail("fill-audit");
    const c = await w.createCustomer({ email, name: "Admin Name" });
    const res = await w.interact({ email, name: "Other", phone: "+1 555 0142", type: "form_submitted", resource_id: "f" });
    assert.equal(res.status, 201, res.text);
    const entries = await w.auditOf(c.id);
    const fill = entries.find((e) => e.action === "customer.update");
    assert.ok(fill, JSON.stringify(entries));
    assert.equal(fill.actor, "public");
    assert.deepEqual(fill.changed_fields, ["phone"]);
    assert.equal(fill.request_id, res.headers.get("x-request-id"));
    await w.interact({ email, phone: "+1 555 0999", type: "chat_started", resource_id: "r" });
    assert.equal((await w.auditOf(c.id)).filter((e) => e.action === "customer.update").length, 1, "nothing filled, nothing audited");
  });

  it("audits each imported and each upserted customer", async () => {
    const a = uniqueEmail("imp"), b = uniqueEmail("imp");
    const created = await w.importCsv(`name,email\nImp A,${a}\nImp B,${b}\n`);
    assert.equal(created.status, 200, created.text);
    for (const row of created.body.rows) {
      const [entry] = await w.auditOf(row.id);
      assert.equal(entry.action, "customer.create");
      assert.equal(entry.request_id, created.headers.get("x-request-id"));
      assert.deepEqual(entry.changed_fields, ["name", "email"]);
    }
    const upserted = await w.importCsv(`email,company\n${a},ACME\n`, "?mode=upsert");
    const entries = await w.auditOf(upserted.body.rows[0].id);
    assert.equal(entries[0].action, "customer.update");
    assert.deepEqual(entries[0].changed_fields, ["company"]);
  });

  it("audits each customer of a bulk delete and of a bulk force delete", async () => {
    const soft = [await w.createCustomer(), await w.createCustomer()];
    const res = await w.post("/v1/customers/bulk-delete", { ids: soft.map((c) => c.id) });
    assert.equal(res.status, 200, res.text);
    for (const c of soft) assert.ok((await w.auditOf(c.id)).some((e) => e.action === "customer.delete"));
    const hard = [await w.createCustomer(), await w.createCustomer()];
    await w.post("/v1/customers/bulk-delete", { ids: hard.map((c) => c.id), permanent: true });
    for (const c of hard) assert.ok((await w.auditOf(c.id)).some((e) => e.action === "customer.force_delete"));
  });
});

describe("8. counts are integers", () => {
  it("writes force-delete and bulk-delete counts without a decimal point", async () => {
    const c = await w.createCustomer();
    const dry = await w.delete(`/v1/customers/${c.id}?permanent=true&dry_run=true`);
    assert.match(dry.text, /"customers":1[,}]/);
    const real = await w.delete(`/v1/customers/${c.id}?permanent=true`);
    assert.match(real.text, /"customers":1[,}]/);
    const bulk = await w.post("/v1/customers/bulk-delete", { ids: [(await w.createCustomer()).id], permanent: true, dry_run: true });
    assert.doesNotMatch(bulk.text, /\d\.0[,}\]]/, bulk.text);
  });
});

describe("9. lookalike emails", () => {
  it("refuses invisible characters in an email", async () => {
    for (const email of ["x\u200b@example.com", "x\u202e@example.com", "x\ufeff@example.com"]) {
      const res = await w.post("/v1/customers", { email });
      assertError(assert, res, 422, "validation_failed");
      assert.equal(res.body.error.fields[0].field, "email");
    }
  });

  it("treats NFC and NFD spellings as one address, on create, import and public pages", async () => {
    const local = `jos${Date.now()}`;
    const nfc = `${local}\u00e9@example.com`;
    const nfd = `${local}e\u0301@example.com`;
    const c = await w.createCustomer({ name: "Target", email: nfd });
    assert.equal(c.email, nfc, "stored composed");
    const again = await w.post("/v1/customers", { email: nfc });
    assertError(assert, again, 409, "customer_exists");
    assert.equal(again.body.error.existing_id, c.id);
    const imported = await w.importCsv(`email\n${nfc}\n`);
    assert.equal(imported.body.rows[0].errors[0].code, "customer_exists");
    await w.interact({ email: nfc, type: "chat_started", resource_id: "r" });
    const all = await w.customersByEmail(nfc, "all");
    assert.equal(all.length, 1);
  });
});

describe("10. the public answer tells nothing about who exists", () => {
  it("answers a new and a known email with the same shape", async () => {
    const known = uniqueEmail("known");
    await w.createCustomer({ name: "Target", email: known });
    const a = await w.interact({ email: known, type: "chat_started", resource_id: "r" });
    const b = await w.interact({ email: uniqueEmail("new"), type: "chat_started", resource_id: "r" });
    for (const res of [a, b]) {
      assert.equal(res.status, 201);
      assert.deepEqual(Object.keys(res.body), ["interaction_id"]);
    }
  });
});

describe("11. an error is never much larger than its request", () => {
  it("lists at most 100 field errors for 1 MiB of unknown fields and counts the rest", async () => {
    const body = {};
    for (let i = 0; i < 80_000; i++) body[`k${i}`] = 1;
    const text = JSON.stringify(body);
    const res = await w.call("POST", "/v1/public/interactions", { body: text, token: null,
      headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.251" } });
    assertError(assert, res, 422, "validation_failed");
    assert.equal(res.body.error.fields.length, 100);
    assert.match(res.body.error.message, /more/);
    assert.ok(res.text.length < text.length / 10, `${res.text.length} bytes answered ${text.length}`);
  });

  it("cuts a very long field name in the answer", async () => {
    const long = "k".repeat(500_000);
    const text = JSON.stringify({ name: "A", [long]: 1 });
    const res = await w.call("POST", "/v1/customers", { body: text, headers: { "content-type": "application/json" } });
    assertError(assert, res, 422, "validation_failed");
    assert.ok(res.text.length < 5_000, `${res.text.length} bytes`);
  });
});

describe("12. a 403 names the permission the request needed", () => {
  it("names customers:force_delete for a permanent delete and customers:delete for a soft one", async () => {
    const reader = (await w.createKey(["customers:read"])).secret;
    const c = await w.createCustomer();
    const hard = await w.delete(`/v1/customers/${c.id}?permanent=true`, { token: reader });
    assertError(assert, hard, 403, "forbidden");
    assert.match(hard.body.error.message, /customers:force_delete/);
    const soft = await w.delete(`/v1/customers/${c.id}`, { token: reader });
    assertError(assert, soft, 403, "forbidden");
    assert.match(soft.body.error.message, /`customers:delete`/);
    const bulk = await w.post("/v1/customers/bulk-delete", { ids: [c.id], permanent: true }, { token: reader });
    assertError(assert, bulk, 403, "forbidden");
    assert.match(bulk.body.error.message, /customers:force_delete/);
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.deleted_at, null);
  });
});

describe("13. an import-only key reads no customer ids", () => {
  it("gets reports without ids in dry runs, skip mode and create-mode conflicts", async () => {
    const c = await w.createCustomer();
    const importer = (await w.createKey(["customers:import"])).secret;
    for (const query of ["?mode=skip&dry_run=true", "?mode=skip", "?mode=create&atomic=false", "?mode=upsert&dry_run=true"]) {
      const res = await w.importCsv(`email\n${c.email}\n${uniqueEmail("new")}\n`, query, { token: importer });
      assert.ok([200, 422].includes(res.status), res.text);
      assert.ok(!res.text.includes(c.id), `${query} leaks the existing id`);
      for (const row of res.body.rows) assert.equal(row.id, undefined, `${query}: ${JSON.stringify(row)}`);
    }
    const reader = (await w.createKey(["customers:import", "customers:read"])).secret;
    const res = await w.importCsv(`email\n${c.email}\n`, "?mode=skip&dry_run=true", { token: reader });
    assert.equal(res.body.rows[0].id, c.id);
  });
});

describe("14. smaller holes", () => {
  it("marks admin answers, errors and public answers Cache-Control: no-store", async () => {
    const c = await w.createCustomer();
    for (const res of [await w.get("/v1/customers"), await w.get(`/v1/customers/${c.id}`), await w.get("/v1/customers/00000000-0000-0000-0000-000000000000"),
                       await w.get("/v1/customers", { token: null }), await w.interact({ email: uniqueEmail(), type: "chat_started", resource_id: "r" })]) {
      assert.equal(res.headers.get("cache-control"), "no-store", `${res.status} ${res.text.slice(0, 80)}`);
    }
  });

  it("calls a bad If-Match a header, not a query parameter", async () => {
    const c = await w.createCustomer();
    const res = await w.patch(`/v1/customers/${c.id}`, { notes: "x" }, { headers: { "if-match": "yesterday" } });
    assertError(assert, res, 400, "invalid_header");
    assert.match(res.body.error.message, /^header `If-Match`/);
    assert.equal(res.body.error.header, "If-Match");
  });
});

// The second round of hostile input (issue 25): each describe below names its item.
describe("round 2, item 7: control and bidi characters in a public interaction's details", () => {
  const body = (details) => ({ email: uniqueEmail("details"), type: "form_submitted", resource_id: "form-1", details });

  it("refuses NUL, BEL, ESC, DEL, C1 and bidi overrides in keys and string values, nested too, naming the path", async () => {
    for (const [details, field] of [
      [{ note: "a\u0000b" }, "details.note"], [{ note: "ring\u0007" }, "details.note"], [{ note: "abc\u202Efdp.exe" }, "details.note"],
      [{ note: "x\u2066y" }, "details.note"], [{ note: "del\u007f" }, "details.note"], [{ note: "c1\u0085" }, "details.note"],
      [{ form: { answers: ["fine", "\u001b[2J"] } }, "details.form.answers[1]"],
      [{ "k\u0000": 1 }, "details"], [{ "two\nlines": "v" }, "details"], [{ form: { "\u202Dkey": true } }, "details.form"],
    ]) {
      const res = await w.interact(body(details));
      assertError(assert, res, 422, "validation_failed");
      assert.deepEqual(res.body.error.fields.map((f) => [f.field, f.code]), [[field, "invalid"]], JSON.stringify(details));
    }
  });

  it("keeps tabs and line breaks in values", async () => {
    const res = await w.interact(body({ message: "line one\n\tline two\r\n", nested: { list: ["a\tb", 2, null] } }));
    assert.equal(res.status, 201, res.text);
  });
});

describe("round 2, item 11: keys:manage reaches only keys within its own permissions", () => {
  it("lists and revokes only keys whose permissions are a subset of the caller's", async () => {
    const manager = await w.createKey(["keys:manage", "customers:read"], { name: "manager" });
    const weaker = await w.createKey(["customers:read"], { name: "weaker" });
    const stronger = await w.createKey(["customers:read", "customers:force_delete"], { name: "stronger" });
    const listed = (await w.get("/v1/api-keys", { token: manager.secret })).body.data.map((k) => k.id);
    assert.ok(listed.includes(weaker.id) && listed.includes(manager.id), "its own and weaker keys are listed");
    assert.ok(!listed.includes(stronger.id), "a stronger key is not listed");
    assertError(assert, await w.delete(`/v1/api-keys/${stronger.id}`, { token: manager.secret }), 404, "not_found");
    assert.equal((await w.get("/v1/customers?limit=1", { token: stronger.secret })).status, 200, "the stronger key still works");
    assert.equal((await w.delete(`/v1/api-keys/${weaker.id}`, { token: manager.secret })).status, 204);
    assertError(assert, await w.get("/v1/customers?limit=1", { token: weaker.secret }), 401, "unauthorized");
    // The admin token holds every permission: it sees and revokes every key.
    const all = (await w.get("/v1/api-keys")).body.data.map((k) => k.id);
    assert.ok(all.includes(stronger.id));
    assert.equal((await w.delete(`/v1/api-keys/${stronger.id}`)).status, 204);
  });
});

describe("round 2, item 12: an import-only key is not told who is a customer", () => {
  it("reads a known and a new email the same in dry runs and real upserts, and gets no customer_exists", async () => {
    const known = await w.createCustomer({ name: "Known", email: uniqueEmail("known") });
    const importer = (await w.createKey(["customers:import"])).secret;
    const statuses = (res) => res.body.rows.map((r) => r.status);
    // Known row first, then a new one, then one the file alone makes fail.
    const file = () => `email,name\n${known.email},Known\n${uniqueEmail("new")},New\nnot-an-email,Bad\n`;
    for (const query of ["?mode=upsert&dry_run=true", "?mode=upsert&atomic=false"]) {
      const res = await w.importCsv(file(), query, { token: importer });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(statuses(res), ["valid", "valid", "failed"], `${query}: ${res.text}`);
      assert.deepEqual([res.body.created, res.body.updated, res.body.valid, res.body.failed], [0, 0, 2, 1], query);
      assert.equal(res.body.rows[2].errors[0].code, "invalid");
    }
    for (const query of ["?mode=create&atomic=false", "?mode=create&dry_run=true", "?mode=create"]) {
      const res = await w.importCsv(file(), query, { token: importer });
      assert.ok(!res.text.includes("customer_exists") && !res.text.includes(known.id), `${query}: ${res.text}`);
      assert.ok(!statuses(res).includes("created") && !statuses(res).includes("updated"), `${query}: ${res.text}`);
    }
    // A caller who may read customers is told, as before.
    const reader = (await w.createKey(["customers:import", "customers:read"])).secret;
    const told = await w.importCsv(`email\n${known.email}\n`, "?mode=upsert&dry_run=true", { token: reader });
    assert.deepEqual(statuses(told), ["updated"]);
    const exists = await w.importCsv(`email\n${known.email}\n`, "?mode=create&dry_run=true", { token: reader });
    assert.equal(exists.body.rows[0].errors[0].code, "customer_exists");
  });
});

describe("round 2, item 13: integers in a query are digits only", () => {
  const routes = ["/v1/customers", "/v1/audit-log", "/v1/events", "/v1/groups"];
  for (const spelling of ["%205", "+5", "%2B5", "5%20", "-5", "5.0", "0x5", "%D9%A5"]) {
    it(`answers 400 invalid_parameter naming limit to limit=${spelling} on every paged route`, async () => {
      for (const route of routes) {
        const res = await w.get(`${route}?limit=${spelling}`);
        assertError(assert, res, 400, "invalid_parameter");
        assert.match(res.body.error.message, /limit/, `${route}: ${res.text}`);
      }
      const c = await w.createCustomer();
      routes.push(`/v1/customers/${c.id}/interactions`);
      const hook = await w.post("/v1/webhooks", { url: "https://hooks.example.com/limits" });
      routes.push(`/v1/webhooks/${hook.body.id}/deliveries`);
      for (const route of routes.slice(4)) {
        assertError(assert, await w.get(`${route}?limit=${spelling}`), 400, "invalid_parameter");
      }
      routes.length = 4;
    });
  }

  it("still reads limit=5 and limit=05", async () => {
    for (const v of ["5", "05"]) assert.equal((await w.get(`/v1/customers?limit=${v}`)).status, 200);
  });
});
