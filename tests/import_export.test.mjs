// CSV import (modes, atomicity, encodings, limits) and CSV export.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertError, startWorker, uniqueEmail } from "./harness.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

describe("import", () => {
  it("takes a Name-only file with a BOM", async () => {
    const tag = `bom${Date.now()}`;
    const res = await w.importCsv(`\uFEFFName\r\nAda ${tag}\r\nGrace ${tag}\r\n`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.created, 2);
    assert.deepEqual(res.body.rows.map((r) => [r.row, r.status]), [[2, "created"], [3, "created"]]);
    const list = await w.get(`/v1/customers?q=${tag}&sort=name`);
    assert.deepEqual(list.body.data.map((c) => [c.name, c.source]), [[`Ada ${tag}`, "import"], [`Grace ${tag}`, "import"]]);
  });

  it("gives the rows of a file ids in file order, so they list oldest-first in that order", async () => {
    const tag = `order${Date.now()}`;
    const names = ["Zed", "Amy", "Max", "Bea", "Kit"].map((n) => `${n} ${tag}`);
    const res = await w.importCsv(`name\n${names.join("\n")}\n`);
    assert.equal(res.status, 200, res.text);
    const ids = res.body.rows.map((r) => r.id);
    assert.deepEqual([...ids].sort(), ids);
    const list = await w.get(`/v1/customers?q=${tag}&sort=created_at`);
    assert.deepEqual(list.body.data.map((c) => c.name), names);
  });

  it("reads a semicolon file with quoted fields and puts extra columns in attributes", async () => {
    const email = uniqueEmail("semi");
    // Names and companies are one line; notes may break lines (the contract's text rules).
    const csv = `name;email;company;notes;Plan\n"Lovelace; Ada";${email};"ACME ""Labs""";"Met in\nLondon";pro\n`;
    const res = await w.importCsv(csv);
    assert.equal(res.status, 200, res.text);
    const [c] = await w.customersByEmail(email);
    assert.equal(c.name, "Lovelace; Ada");
    assert.equal(c.company, 'ACME "Labs"');
    assert.equal(c.notes, "Met in\nLondon");
    assert.deepEqual(c.attributes, { Plan: "pro" });
  });

  it("refuses a line break in a name, as a create body would", async () => {
    const res = await w.importCsv(`name,email\n"Ada\nLovelace",${uniqueEmail()}\n`);
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.rows[0].errors[0].field, "name");
  });

  it("numbers rows by file line even after multi-line fields", async () => {
    const res = await w.importCsv(`name,email,notes\nMulti,${uniqueEmail()},"Multi\nLine"\nBad,not-an-email,\n`, "?atomic=false");
    assert.deepEqual(res.body.rows.map((r) => [r.row, r.status]), [[2, "created"], [4, "failed"]]);
    assert.equal(res.body.rows[1].errors[0].field, "email");
  });

  it("writes nothing for an atomic file with a duplicate email and reports the line", async () => {
    const email = uniqueEmail("dupfile");
    const first = uniqueEmail("dupfirst");
    const res = await w.importCsv(`name,email\nA,${first}\nB,${email}\nC,${email.toUpperCase()}\n`);
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.code, "validation_failed");
    assert.equal(res.body.error.request_id, res.headers.get("x-request-id"));
    assert.equal(res.body.failed, 1);
    const bad = res.body.rows.find((r) => r.status === "failed");
    assert.equal(bad.row, 4);
    assert.equal(bad.errors[0].code, "duplicate_in_file");
    assert.equal((await w.customersByEmail(first)).length, 0, "nothing written");
  });

  it("writes the good rows of a non-atomic file and reports the rest", async () => {
    const email = uniqueEmail("nonatomic");
    const good = uniqueEmail("good");
    const res = await w.importCsv(`name,email\nA,${good}\nB,${email}\nC,${email}\n`, "?atomic=false");
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.created, 2);
    assert.equal(res.body.failed, 1);
    assert.equal((await w.customersByEmail(good)).length, 1);
  });

  it("writes nothing on a dry run", async () => {
    const email = uniqueEmail("dry");
    const res = await w.importCsv(`email\n${email}\n`, "?dry_run=true");
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.dry_run, true);
    assert.deepEqual(res.body.rows.map((r) => r.status), ["valid"]);
    assert.equal((await w.customersByEmail(email)).length, 0);
  });

  it("updates by email in upsert mode, keeping what empty cells do not mention", async () => {
    const email = uniqueEmail("upsert");
    const c = await w.createCustomer({ name: "Before", email, phone: "+1 555 0111", attributes: { a: "1" } });
    const res = await w.importCsv(`email,name,phone,b\n${email.toUpperCase()},After,,2\n`, "?mode=upsert");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.rows[0], { row: 2, status: "updated", id: c.id });
    const after = (await w.get(`/v1/customers/${c.id}`)).body;
    assert.equal(after.name, "After");
    assert.equal(after.phone, "+1 555 0111");
    assert.deepEqual(after.attributes, { a: "1", b: "2" });
    assert.equal(after.version, 2);
  });

  it("leaves existing customers alone in skip mode", async () => {
    const email = uniqueEmail("skip");
    const c = await w.createCustomer({ name: "Keep", email });
    const res = await w.importCsv(`email,name\n${email},Changed\n`, "?mode=skip");
    assert.deepEqual(res.body.rows[0], { row: 2, status: "skipped", id: c.id });
    assert.equal((await w.get(`/v1/customers/${c.id}`)).body.name, "Keep");
  });

  it("fails existing emails in create mode", async () => {
    const email = uniqueEmail("exists");
    await w.createCustomer({ email });
    const res = await w.importCsv(`email\n${email}\n`, "?atomic=false");
    assert.equal(res.body.rows[0].errors[0].code, "customer_exists");
  });

  it("refuses a file that is not UTF-8, naming the line", async () => {
    const bytes = Buffer.concat([Buffer.from("name\nok\n"), Buffer.from([0x66, 0xff, 0xfe, 0x0a])]);
    const res = await w.importCsv(bytes);
    assertError(assert, res, 400, "invalid_encoding");
    assert.match(res.body.error.message, /line 3/);
  });

  it("refuses a file without a header or without name/email columns", async () => {
    assertError(assert, await w.importCsv(""), 400, "invalid_csv");
    assertError(assert, await w.importCsv("phone,company\n1,2\n"), 400, "invalid_csv");
  });

  it("refuses 10,001 rows with 413 before writing anything", async () => {
    const tag = `big${Date.now()}`;
    const rows = Array.from({ length: 10001 }, (_, i) => `${tag} ${i}`).join("\n");
    const res = await w.importCsv(`name\n${rows}\n`);
    assertError(assert, res, 413, "too_many_rows");
    assert.equal((await w.get(`/v1/customers?q=${tag}&limit=1`)).body.data.length, 0);
  });

  it("accepts a multipart upload in the file field", async () => {
    const email = uniqueEmail("multi");
    const form = new FormData();
    form.append("file", new Blob([`name,email\nMulti Part,${email}\n`], { type: "text/csv" }), "customers.csv");
    const req = new Request("http://x", { method: "POST", body: form });
    const res = await w.call("POST", "/v1/customers/import", {
      body: Buffer.from(await req.arrayBuffer()), headers: { "content-type": req.headers.get("content-type") } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await w.customersByEmail(email))[0].name, "Multi Part");
  });

  it("accepts a multipart upload whose file is a plain field of text that is not ASCII", async () => {
    const email = uniqueEmail("field");
    const form = new FormData();
    form.append("file", `name,email\nJosé Ñúñez,${email}\n`);
    const req = new Request("http://x", { method: "POST", body: form });
    const res = await w.call("POST", "/v1/customers/import", {
      body: Buffer.from(await req.arrayBuffer()), headers: { "content-type": req.headers.get("content-type") } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await w.customersByEmail(email))[0].name, "José Ñúñez");
  });

  it("refuses other content types and unknown parameters", async () => {
    assertError(assert, await w.importCsv("name\nx\n", "", { headers: { "content-type": "application/json" } }), 415, "unsupported_media_type");
    assertError(assert, await w.importCsv("name\nx\n", "?mode=merge"), 400, "invalid_parameter");
  });

  // Rows are staged in import_chunks a chunk (1.5 MB of JSON) at a time while they are planned,
  // and the import's one batch reads them from there.
  const staged = async () => (await w.db.prepare("SELECT count(*) AS n FROM import_chunks").first()).n;

  it("writes nothing, and leaves nothing staged, for an atomic file whose last row fails after chunks were staged", async () => {
    const tag = `stg${Date.now()}`;
    const rows = Array.from({ length: 4000 }, (_, i) => `${tag} ${i},${tag}-${i}@example.com,${"n".repeat(900)}`);
    rows.push(`${tag} last,${tag}-0@example.com,duplicate`);
    const res = await w.importCsv(`name,email,notes\n${rows.join("\n")}\n`);
    assert.equal(res.status, 422, res.text.slice(0, 300));
    assert.equal(res.body.failed, 1);
    assert.equal(res.body.rows.at(-1).errors[0].code, "duplicate_in_file");
    assert.equal((await w.get(`/v1/customers?q=${tag}&limit=1`)).body.data.length, 0);
    assert.equal(await staged(), 0);
  });

  it("creates and updates across several chunks in one batch, with groups and an audit row each", async () => {
    const tag = `chk${Date.now()}`;
    const notes = "n".repeat(700);
    const email = (i) => `${tag}-${i}@example.com`;
    const first = Array.from({ length: 3000 }, (_, i) => `${tag} ${i},${email(i)},Old`);
    assert.equal((await w.importCsv(`name,email,company\n${first.join("\n")}\n`)).status, 200);
    // 3,000 stored customers updated and 3,000 new ones, each kind more than one chunk.
    const rows = Array.from({ length: 6000 }, (_, i) => `${tag} ${i},${email(i)},New ${i},${notes},${tag}-group`);
    const res = await w.importCsv(`name,email,company,notes,groups\n${rows.join("\n")}\n`, "?mode=upsert&create_groups=true");
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.deepEqual([res.body.created, res.body.updated, res.body.failed], [3000, 3000, 0]);
    assert.deepEqual(res.body.new_groups, [`${tag}-group`]);
    for (const i of [0, 2999, 3000, 5999]) {
      const [c] = await w.customersByEmail(email(i));
      assert.equal(c.company, `New ${i}`);
      assert.equal(c.notes, notes);
      assert.equal(c.group_ids.length, 1);
      const audit = await w.auditOf(c.id);
      assert.equal(audit[0].action, i < 3000 ? "customer.update" : "customer.create");
    }
    const group = (await w.get(`/v1/groups?limit=100`)).body.data.find((g) => g.name === `${tag}-group`);
    assert.equal(group.member_count, 6000);
    assert.equal(await staged(), 0);
  });

  it("refuses a file naming more than 1,000 groups, or a header of more than 1,000 columns", async () => {
    const groups = Array.from({ length: 1001 }, (_, i) => `A,G${i}`).join("\n");
    const many = await w.importCsv(`name,groups\n${groups}\n`, "?dry_run=true");
    assertError(assert, many, 400, "invalid_csv");
    assert.match(many.body.error.message, /more than 1000 different groups/);
    const columns = Array.from({ length: 1000 }, (_, i) => `c${i}`).join(",");
    const wide = await w.importCsv(`name,${columns}\nA\n`, "?dry_run=true");
    assertError(assert, wide, 400, "invalid_csv");
    assert.match(wide.body.error.message, /more than 1000 columns/);
  });

  it("lists at most ten errors for a row", async () => {
    const columns = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const res = await w.importCsv(`name,${columns.join(",")}\nA,${columns.map(() => "x\u0001").join(",")}\n`, "?dry_run=true");
    assert.equal(res.status, 200, res.text);
    const errors = res.body.rows[0].errors;
    assert.equal(errors.length, 10);
    assert.deepEqual([errors[9].field, errors[9].code], ["row", "too_many_errors"]);
  });

  it("imports a 5,000-row file", async () => {
    const tag = `k5${Date.now()}`;
    const rows = Array.from({ length: 5000 }, (_, i) => `Person ${i},${tag}-${i}@example.com,Co ${i % 7},${i % 2 ? "pro" : "free"}`);
    const res = await w.importCsv(`name,email,company,plan\n${rows.join("\n")}\n`);
    assert.equal(res.status, 200, res.text.slice(0, 500));
    assert.equal(res.body.created, 5000);
    assert.equal((await w.get(`/v1/customers?q=${tag}&include_total=true&limit=1`)).body.total, 5000);
  });
});

describe("export", () => {
  const tag = `exp${Date.now()}`;
  before(async () => {
    await w.createCustomer({ name: `=HYPERLINK("x") ${tag}`, email: uniqueEmail(tag), company: "Comma, Inc" });
    await w.createCustomer({ name: `Plain ${tag}`, kind: "visitor", source: "chat" });
    for (let i = 0; i < 3; i++) await w.createCustomer({ name: `More ${tag} ${i}` });
  });

  it("exports the header, quoted cells and neutralised formulas", async () => {
    const res = await w.get(`/v1/customers/export?q=${tag}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.match(res.headers.get("content-disposition"), /^attachment; filename="customers-\d{4}-\d\d-\d\d\.csv"$/);
    const lines = res.text.trimEnd().split("\r\n");
    assert.equal(lines[0], "id,name,email,phone,company,kind,source,created_at,updated_at,last_seen_at,deleted_at,notes,handle,parent_id,groups");
    assert.equal(lines.length, 6);
    const formula = lines.find((l) => l.includes("HYPERLINK"));
    assert.ok(formula.includes(`"'=HYPERLINK(""x"") ${tag}"`), formula);
    assert.ok(formula.includes('"Comma, Inc"'));
  });

  it("exports the filtered view from a filter body", async () => {
    const res = await w.call("POST", "/v1/customers/export", { json: { conditions: [
      { field: "name", op: "contains", value: tag }, { field: "kind", op: "eq", value: "visitor" }] } });
    assert.equal(res.status, 200, res.text);
    const lines = res.text.trimEnd().split("\r\n");
    assert.equal(lines.length, 2);
    assert.ok(lines[1].includes(`Plain ${tag}`));
  });

  it("exports every row across pages", async () => {
    const big = `all${Date.now()}`;
    const rows = Array.from({ length: 2500 }, (_, i) => `${big} ${i}`).join("\n");
    assert.equal((await w.importCsv(`name\n${rows}\n`)).status, 200);
    const res = await w.get(`/v1/customers/export?q=${big}`);
    const lines = res.text.trimEnd().split("\r\n");
    assert.equal(lines.length, 2501);
    assert.equal(new Set(lines.slice(1).map((l) => l.split(",")[0])).size, 2500);
  });

  it("refuses paging parameters and bad filters", async () => {
    assertError(assert, await w.get("/v1/customers/export?limit=5"), 400, "invalid_parameter");
    assertError(assert, await w.call("POST", "/v1/customers/export", { json: { conditions: [{ field: "x", op: "eq", value: 1 }] } }), 422, "validation_failed");
  });
});
