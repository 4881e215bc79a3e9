// The search signature (migrations/0027, domain::search_signature): a walk of a sort order tests
// each customer's signature from the index before reading its row, so the database's signature
// and the query's must agree for every text a search or a filter can match, or a walk would pass
// over a match. Each query here is asked with the walk forced (a probe cap of 2, a window that
// holds every row) and held to the oracle (the plain walk, which tests no signature).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker } from "./harness.mjs";
import { ORACLE, pages } from "./positions.mjs";

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

const search = (q, sort = "name") => ({ path: `/v1/customers?limit=2&sort=${sort}&q=${encodeURIComponent(q)}` });
const filter = (conditions, sort = "name") => ({ body: { conditions, sort, limit: 2 } });

describe("search signatures", () => {
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
    const row = await w.db.prepare(
      "SELECT c.search_sig = s.signature AS same FROM customers c JOIN customer_search_signatures s ON s.seq = c.seq WHERE c.id = ?",
    ).bind(ada.id).first();
    assert.equal(row.same, 1);
  });

  it("a customer not signed yet is found by every walk, and the cron signs it", async () => {
    // As the customers already stored when migration 0027 ran.
    await w.db.prepare("UPDATE customers SET search_sig = NULL").run();
    const zoe = people[0];
    await assertWalkIsOracle(search("Żółć"), [zoe.id]);
    await assertWalkIsOracle(filter([{ field: "company", op: "starts_with", value: "Łódź" }]), [zoe.id]);
    await w.cron();
    const left = await w.db.prepare("SELECT count(*) AS n FROM customers WHERE search_sig IS NULL").first();
    assert.equal(left.n, 0);
    const wrong = await w.db.prepare(
      "SELECT count(*) AS n FROM customers c JOIN customer_search_signatures s ON s.seq = c.seq WHERE c.search_sig IS NOT s.signature",
    ).first();
    assert.equal(wrong.n, 0);
    await assertWalkIsOracle(search("Żółć"), [zoe.id]);
  });
});
