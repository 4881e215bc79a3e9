// The search signature (migrations/0027, domain::search_signature): a walk of a sort order tests
// each customer's signature from the index before reading its row, so the database's signature
// and the query's must agree for every text a search or a filter can match, or a walk would pass
// over a match. Each query here is asked with the walk forced (a probe cap of 2, a window that
// holds every row) and held to the oracle (the plain walk, which tests no signature); the stored
// signatures are also held to a third computation of the same arithmetic, `expectedParts`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, splitSql, startWorker } from "./harness.mjs";
import { ORACLE, pages } from "./positions.mjs";

// The signing trigger as the migration creates it, to put back after a test removes it.
const RESTORE_SIGN_TRIGGER = splitSql(readFileSync(join(ROOT, "migrations/0027_search_signature.sql"), "utf8"))
  .find((s) => /CREATE TRIGGER customers_sign AFTER/.test(s));

const WALK = { "x-test-probe-cap": "2", "x-test-window": "1000" };

let w;
const tag = `sig${Date.now().toString(36)}`;
const people = [
  { name: `Zoë Ärger ${tag}`, email: `zoe.${tag}@Example.COM`, company: "Łódź Żółć Sp. z o.o.", phone: "+48 (22) 555-0101" },
  { name: `PIZZA 🍕 Place ${tag}`, email: `pizza-${tag}@slice.example`, company: "Crust & Co", phone: "555 0102" },
  { name: `Maria García ${tag}`, email: `maria-${tag}@garcia.example`, company: "ACME Corp", phone: null },
  { name: null, email: `nameless-${tag}@visitor.example`, company: null, phone: "(0) 555-0104" },
  { name: `Ada Lovelace ${tag}`, email: `ada-${tag}@engine.example`, company: "Analytical Engines", phone: "555-0105" },
];

before(async () => {
  w = await startWorker();
  for (const p of people) {
    const created = await w.createCustomer(Object.fromEntries(Object.entries(p).filter(([, v]) => v !== null)));
    p.id = created.id;
    p.handle = created.handle;
  }
  // Customers that match none of the searches below, before and after them in every order.
  for (let i = 0; i < 12; i++) {
    await w.createCustomer({ name: `${i % 2 ? "Aaron" : "Zed"} Other ${i}`, email: `other-${i}@elsewhere.test` });
  }
});
after(async () => { await w?.dispose(); });

// `want`: the ids the query selects; `null`: whatever the oracle finds, at least one.
async function assertWalkIsOracle(request, want) {
  const oracle = await pages(w, request, ORACLE);
  const ids = oracle.flatMap((p) => p.ids);
  if (want) assert.deepEqual(new Set(ids), new Set(want), JSON.stringify(request));
  else assert.ok(ids.length > 0, JSON.stringify(request));
  assert.deepEqual(await pages(w, request, WALK), oracle, JSON.stringify(request));
}

// A customer's signature as migrations/0027 computes it: each trigram of its fields (joined by
// char(1), ASCII letters folded) as code points base 31, modulo 252; class c is bit c % 63 of part
// c / 63. As decimal text, since the parts pass 2^53.
function expectedParts({ name, email_normalized, phone, company, handle }) {
  const text = [name, email_normalized, phone, company, handle].map((v) => v ?? "").join("\u0001")
    .replace(/[A-Z]/g, (c) => c.toLowerCase());
  const cps = [...text].map((c) => BigInt(c.codePointAt(0)));
  const parts = [0n, 0n, 0n, 0n];
  for (let i = 0; i + 2 < cps.length; i++) {
    const cls = (cps[i] * 961n + cps[i + 1] * 31n + cps[i + 2]) % 252n;
    parts[Number(cls / 63n)] |= 1n << (cls % 63n);
  }
  return parts.map(String);
}

async function assertStoredSignaturesAreExpected() {
  const { results } = await w.db.prepare(
    "SELECT name, email_normalized, phone, company, handle, CAST(search_sig_0 AS TEXT) AS p0, CAST(search_sig_1 AS TEXT) AS p1, " +
    "CAST(search_sig_2 AS TEXT) AS p2, CAST(search_sig_3 AS TEXT) AS p3 FROM customers",
  ).all();
  assert.ok(results.length > people.length);
  for (const r of results) assert.deepEqual([r.p0, r.p1, r.p2, r.p3], expectedParts(r), r.name ?? r.email_normalized);
}

const search = (q, sort = "name") => ({ path: `/v1/customers?limit=2&sort=${sort}&q=${encodeURIComponent(q)}` });
const filter = (conditions, sort = "name") => ({ body: { conditions, sort, limit: 2 } });

describe("search signatures", () => {
  it("stores every customer's signature as its text's trigrams give it", async () => {
    await assertStoredSignaturesAreExpected();
  });

  it("a walk finds every customer whose field holds the search, whatever its letters and case", async () => {
    const [zoe, pizza, maria, nameless, ada] = people;
    const cases = [
      ["ÄRGER", null], // non-ASCII case: whatever the search's own rule finds
      ["Ärger", [zoe]],
      ["EXAMPLE.com", [zoe]],
      ["Żółć", [zoe]],
      ["🍕 pl", [pizza]],
      ["pizza", [pizza]],
      ["garcía", [maria]],
      ["acme corp", [maria]],
      ["555-01", [zoe, nameless, ada]],
      ["(0) 555", [nameless]],
      [`nameless-${tag}`, [nameless]],
      [tag, people],
      ["lovelace ada", []],
    ];
    for (const [q, want] of cases) {
      for (const sort of ["name", "-email", "last_seen_at", "-created_at"]) {
        await assertWalkIsOracle(search(q, sort), want?.map((p) => p.id));
      }
    }
    // A handle is searched too.
    await assertWalkIsOracle(search(ada.handle.toUpperCase()), [ada.id]);
  });

  it("a walk finds every customer an equality, prefix, suffix or substring filter selects", async () => {
    const [zoe, pizza, maria, nameless, ada] = people;
    const cases = [
      [[{ field: "company", op: "starts_with", value: "Łódź" }], [zoe]],
      [[{ field: "company", op: "eq", value: "acme CORP" }], [maria]],
      [[{ field: "name", op: "ends_with", value: `place ${tag}` }], [pizza]],
      [[{ field: "email", op: "contains", value: "VISITOR.example" }], [nameless]],
      [[{ field: "phone", op: "starts_with", value: "555" }], [pizza, ada]],
      [[{ field: "handle", op: "eq", value: ada.handle }], [ada]],
      [[{ field: "name", op: "contains", value: tag }, { field: "company", op: "contains", value: "engines" }], [ada]],
    ];
    for (const [conditions, want] of cases) {
      for (const sort of ["name", "-email", "created_at"]) {
        await assertWalkIsOracle(filter(conditions, sort), want.map((p) => p.id));
      }
    }
  });

  it("a changed field is signed again", async () => {
    const ada = people[4];
    const res = await w.patch(`/v1/customers/${ada.id}`, { name: `Augusta King ${tag}`, company: "Difference Works" });
    assert.equal(res.status, 200, res.text);
    await assertWalkIsOracle(search("augusta"), [ada.id]);
    await assertWalkIsOracle(search("analytical"), []);
    await assertWalkIsOracle(filter([{ field: "company", op: "starts_with", value: "differ" }]), [ada.id]);
    await assertStoredSignaturesAreExpected();
  });

  it("a customer not signed yet is found by every walk, and the cron signs it", async () => {
    // As the customers already stored when migration 0027 ran: unsigned. (Writing NULL to the
    // first part is what signs a customer, so the signing trigger is taken away meanwhile.)
    await w.db.prepare("DROP TRIGGER customers_sign").run();
    await w.db.prepare("UPDATE customers SET search_sig_0 = NULL, search_sig_1 = NULL, search_sig_2 = NULL, search_sig_3 = NULL").run();
    await w.db.prepare(RESTORE_SIGN_TRIGGER).run();
    const zoe = people[0];
    await assertWalkIsOracle(search("Żółć"), [zoe.id]);
    await assertWalkIsOracle(filter([{ field: "company", op: "starts_with", value: "Łódź" }]), [zoe.id]);
    await w.cron();
    const left = await w.db.prepare("SELECT count(*) AS n FROM customers WHERE search_sig_0 IS NULL").first();
    assert.equal(left.n, 0);
    await assertStoredSignaturesAreExpected();
    await assertWalkIsOracle(search("Żółć"), [zoe.id]);
  });
});
