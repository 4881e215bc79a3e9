// The search planner (storage::customers::page): whichever plan runs (the trigram matches
// sorted, a bounded walk of the sort order, the walk falling back to the matches), a page holds
// the same customers in the same order with the same cursor. The test hooks X-Test-Probe-Cap and
// X-Test-Window shrink the planner's bounds so a few rows drive every branch.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker } from "./harness.mjs";
import { BLOCK, ORACLE, SORTS, assertEveryPlanIsTheOracle, pageWay, pages, seedPositions } from "./positions.mjs";

let w;
const tag = `srch${Date.now().toString(36)}`;
before(async () => {
  w = await startWorker();
  // 60 customers: every one matches `tag`; every 5th has company "Midway <tag>"; two are "Rare".
  const lines = ["name,email,company,notes"];
  for (let i = 0; i < 60; i++) {
    const name = i === 17 || i === 42 ? `Rare ${tag} ${i}` : `Person ${tag} ${String(i).padStart(2, "0")}`;
    const company = i % 5 === 0 ? `Midway ${tag}` : `Plain ${i % 3}`;
    lines.push(`${name},${tag}-${i}@example.com,${company},`);
  }
  const res = await w.importCsv(lines.join("\n") + "\n");
  assert.equal(res.status, 200, res.text);
  // A few soft-deleted and later-created rows, so status and ties are part of the walk.
  for (const i of [3, 4]) await w.delete(`/v1/customers/${res.body.rows[i].id}`);
  await w.createCustomer({ name: `Late ${tag}`, email: `${tag}-late@example.com` });
});
after(async () => { await w?.dispose(); });

// The plans, as the planner's bounds select them for these rows.
const PLANS = {
  "trigram matches sorted": { "x-test-probe-cap": "100000" },
  "the default planner": {},
  "bounded walk that fills the page": { "x-test-probe-cap": "2", "x-test-window": "1000" },
  "bounded walk too short, then the matches": { "x-test-probe-cap": "2", "x-test-window": "3" },
};

// Every page of a list, following the cursors: the ids and cursors in order.
async function walk(query, headers) {
  const seen = [];
  let cursor = null;
  for (let n = 0; n < 100; n++) {
    const sep = query.includes("?") ? "&" : "?";
    const res = await w.get(`${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ""}`, { headers });
    assert.equal(res.status, 200, res.text);
    seen.push({ ids: res.body.data.map((c) => c.id), next: res.body.next_cursor, total: res.body.total });
    cursor = res.body.next_cursor;
    if (!cursor) return seen;
  }
  throw new Error("more than 100 pages");
}

describe("search planner", () => {
  const searches = [
    ["every row matches", tag],
    ["a fifth of the rows match", `midway ${tag}`],
    ["two rows match", `rare ${tag}`],
    ["no row matches", `${tag}-nobody`],
    ["a two-letter search (no index)", "pe"],
  ];
  for (const [what, q] of searches) {
    for (const sort of ["-created_at", "name", "-name", "email", "-last_seen_at"]) {
      it(`gives the same pages whatever the plan: ${what}, sort ${sort}`, async () => {
        const query = `/v1/customers?q=${encodeURIComponent(q)}&sort=${sort}&limit=4&include_total=true`;
        const results = {};
        for (const [plan, headers] of Object.entries(PLANS)) results[plan] = await walk(query, headers);
        const [first, ...others] = Object.keys(results);
        for (const plan of others) assert.deepEqual(results[plan], results[first], `${plan} vs ${first}`);
        const ids = results[first].flatMap((p) => p.ids);
        assert.equal(new Set(ids).size, ids.length, "no customer twice");
        assert.equal(ids.length, results[first][0].total, "the pages hold exactly the total");
      });
    }
  }

  it("counts what each search should match", async () => {
    const total = async (q) => (await w.get(`/v1/customers?q=${encodeURIComponent(q)}&include_total=true`)).body.total;
    assert.equal(await total(tag), 59, "60 imported, 2 soft-deleted, 1 created");
    assert.equal(await total(`midway ${tag}`), 12);
    assert.equal(await total(`rare ${tag}`), 2);
  });

  it("filters, status and the search combine the same way in every plan", async () => {
    const body = { q: tag, status: "all", sort: "name", limit: 3,
                   conditions: [{ field: "company", op: "starts_with", value: "Plain" }] };
    const pages = {};
    for (const [plan, headers] of Object.entries(PLANS)) {
      const seen = [];
      let cursor = null;
      do {
        const res = await w.post("/v1/customers/filter", { ...body, cursor }, { headers });
        assert.equal(res.status, 200, res.text);
        seen.push(res.body.data.map((c) => c.id), res.body.next_cursor);
        cursor = res.body.next_cursor;
      } while (cursor);
      pages[plan] = seen;
    }
    const [first, ...others] = Object.keys(pages);
    for (const plan of others) assert.deepEqual(pages[plan], pages[first], plan);
  });

  it("exports the same file whatever the plan", async () => {
    const files = [];
    for (const headers of Object.values(PLANS)) {
      const res = await w.get(`/v1/customers/export?q=${encodeURIComponent(tag)}&sort=name`, { headers });
      assert.equal(res.status, 200, res.text);
      files.push(res.text.split("\r\n").slice(1).join("\n"));
    }
    for (const f of files.slice(1)) assert.equal(f, files[0]);
    assert.equal(files[0].trim().split("\n").length, 59);
  });

  it("takes %, _ and \\ in a search literally, in every plan", async () => {
    const odd = [`Odd ${tag} 50% off`, `Odd ${tag} 50_ off`, `Odd ${tag} 50\\ off`, `Odd ${tag} 5000 off`];
    for (const name of odd) await w.createCustomer({ name, email: `${tag}-odd-${odd.indexOf(name)}@example.com` });
    for (const [q, want] of [["50%", [odd[0]]], ["50_", [odd[1]]], ["50\\", [odd[2]]], [`odd ${tag} 50`, odd], ["0% O", [odd[0]]]]) {
      for (const [plan, headers] of Object.entries(PLANS)) {
        const res = await w.get(`/v1/customers?q=${encodeURIComponent(q)}&sort=name&limit=100`, { headers });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body.data.map((c) => c.name), [...want].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)), `${q}, ${plan}`);
      }
    }
    for (const id of (await w.get(`/v1/customers?q=${encodeURIComponent(`odd ${tag}`)}&limit=100`)).body.data.map((c) => c.id)) {
      assert.equal((await w.delete(`/v1/customers/${id}?permanent=true`)).status, 200);
    }
  });

  it("finds only rows holding the text, not rows holding its trigrams apart, in every plan", async () => {
    // The trigram index keeps no positions (migrations/0016): a name "gam amm mma", and a name
    // "gam amm" with the company "mma", hold every trigram of "gamma" but not the word.
    const word = `${tag}gamma`;
    const apart = [
      { name: `${tag}gam amm mma`, email: `${tag}-apart-1@example.com` },
      { name: `${tag}gam amm`, company: "mma", email: `${tag}-apart-2@example.com` },
    ];
    const ids = [];
    for (const c of apart) ids.push((await w.createCustomer(c)).id);
    const real = await w.createCustomer({ name: `Real ${word}`, email: `${tag}-apart-4@example.com` });
    ids.push(real.id);
    for (const [plan, headers] of Object.entries(PLANS)) {
      for (const q of [word, word.toUpperCase()]) {
        const res = await w.get(`/v1/customers?q=${encodeURIComponent(q)}&limit=100&include_total=true`, { headers });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body.data.map((c) => c.id), [real.id], `${q}, ${plan}`);
        assert.equal(res.body.total, 1, `${q}, ${plan}: the total counts the same rows`);
      }
    }
    for (const id of ids) assert.equal((await w.delete(`/v1/customers/${id}?permanent=true`)).status, 200);
  });

  it("finds by a search longer than a LIKE pattern may be, in every plan", async () => {
    // D1 takes LIKE patterns of at most 50 bytes: longer searches are tested with instr().
    const long = `Long ${tag} ${"é".repeat(30)} Ünïcode END`;
    const c = await w.createCustomer({ name: long, email: `${tag}-long@example.com` });
    const found = async (q, headers) => {
      const res = await w.get(`/v1/customers?q=${encodeURIComponent(q)}`, { headers });
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((x) => x.id);
    };
    for (const [plan, headers] of Object.entries(PLANS)) {
      assert.deepEqual(await found(long.slice(2), headers), [c.id], plan);
      assert.deepEqual(await found(long.replace("Long", "LONG").replace("END", "end"), headers), [c.id], `${plan}: ASCII letters fold`);
      assert.deepEqual(await found(long.replace("Ünïcode", "ünïcode"), headers), [], `${plan}: other letters compare exactly, as SQLite's lower() folds ASCII only`);
    }
    assert.equal((await w.delete(`/v1/customers/${c.id}?permanent=true`)).status, 200);
  });

  it("finds names and emails by equality and prefix through the index, exactly", async () => {
    const filter = (conditions) => w.post("/v1/customers/filter", { conditions, limit: 100 });
    const prefix = await filter([{ field: "name", op: "starts_with", value: `RARE ${tag.toUpperCase()}` }]);
    assert.deepEqual(prefix.body.data.map((c) => c.name).sort(), [`Rare ${tag} 17`, `Rare ${tag} 42`]);
    const eq = await filter([{ field: "email", op: "eq", value: `${tag.toUpperCase()}-17@EXAMPLE.COM` }]);
    assert.deepEqual(eq.body.data.map((c) => c.name), [`Rare ${tag} 17`]);
    const none = await filter([{ field: "name", op: "eq", value: "" }]);
    assert.equal(none.status, 200, none.text);
    assert.ok(none.body.data.every((c) => c.name === ""), "a missing name never equals the empty string");
  });
});

describe("search planner, the matches at every position of every sort order", () => {
  let at;
  before(async () => { at = await seedPositions(w, `${tag}p`); });

  for (const position of ["newest", "oldest", "middle"]) {
    for (const sort of SORTS) {
      it(`gives the oracle's pages and cursors in every plan: matches ${position} only, sort ${sort}`, async () => {
        const path = `/v1/customers?q=${encodeURIComponent(at[position].word)}&sort=${sort}&limit=4`;
        await assertEveryPlanIsTheOracle(w, { path }, BLOCK);
      });
    }
  }

  it("a page in creation order reads the trigram index in rowid order and sorts only the page", async () => {
    for (const sort of ["-created_at", "created_at"]) {
      const res = await w.post("/__test/query-plan?plan=stream", { q: at.middle.word, sort, limit: 4 });
      assert.equal(res.status, 200, res.text);
      const plan = res.body.steps.join("\n");
      assert.match(plan, /SCAN s VIRTUAL TABLE INDEX/, plan);
      assert.equal(plan.match(/TEMP B-TREE/g)?.length, 1, `only the page and the out-of-order customers are sorted: ${plan}`);
      assert.doesNotMatch(plan, /SCAN c\b/, `no walk of the customers: ${plan}`);
    }
  });

  it("puts a customer inserted after newer ones (two creates racing) in its place in creation order, in every plan", async () => {
    // Three customers holding the newest block's word, inserted after it but created with the
    // middle band (the same created_at, ids on either side of the band's): the trigram index
    // lists them after the newest block, creation order among the middle band.
    const band = (await w.get(`/v1/customers/${at.middle.ids[0]}`)).body.created_at;
    const word = at.newest.word;
    const late = ["00000000-0000-7000-8000-000000000001", "00000000-0000-7000-8000-000000000002", "ffffffff-ffff-7fff-bfff-ffffffffffff"];
    for (const [n, id] of late.entries()) {
      await w.db.prepare(
        "INSERT INTO customers (id, name, email, email_normalized, kind, source, created_at, updated_at) VALUES (?1, ?2, ?3, ?3, 'registered', 'admin', ?4, ?4)",
      ).bind(id, `Late ${word} ${n}`, `late-${n}@${word}.test`, band).run();
    }
    const listed = (await w.db.prepare(
      "SELECT c.id FROM customers_out_of_order o JOIN customers c ON c.seq = o.seq",
    ).all()).results.map((r) => r.id);
    assert.deepEqual(listed.filter((id) => late.includes(id)).sort(), [...late].sort(), "the trigger lists them");
    for (const sort of ["-created_at", "created_at"]) {
      const path = `/v1/customers?q=${encodeURIComponent(word)}&sort=${sort}&limit=4`;
      await assertEveryPlanIsTheOracle(w, { path }, BLOCK + late.length);
      const ids = (await pages(w, { path }, ORACLE)).flatMap((p) => p.ids);
      const newestFirst = sort === "-created_at" ? ids : [...ids].reverse();
      assert.deepEqual(newestFirst.slice(BLOCK), [late[2], late[1], late[0]], "after the newest block, by id among the band's time");
    }
    const count = async () => (await w.db.prepare("SELECT count(*) AS n FROM customers_out_of_order").first()).n;
    const before = await count();
    for (const id of late) assert.equal((await w.delete(`/v1/customers/${id}?permanent=true`)).status, 200);
    assert.equal(await count(), before - late.length, "a customer removed leaves the list");
  });
});

describe("search planner, a cluster of matches beyond both walks", () => {
  // 20 customers that do not match sort first by name, 40 that do right after them: past a
  // window of 2.
  const word = `${tag}far`;
  before(async () => {
    const lines = ["name,email"];
    for (let i = 0; i < 20; i++) lines.push(`000 ${tag} before ${String(i).padStart(2, "0")},before-${i}@${tag}-far.test`);
    for (let i = 0; i < 40; i++) lines.push(`001 ${word} ${String(i).padStart(2, "0")},m-${i}@${word}.test`);
    const res = await w.importCsv(lines.join("\n") + "\n");
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.created, 60, res.text);
  });

  const wayOf = (res) => pageWay(w, res);
  const headers = (far) => ({ "x-test-probe-cap": "2", "x-test-window": "2", "x-test-far": String(far) });
  const path = `/v1/customers?q=${encodeURIComponent(word)}&sort=name&limit=4`;

  it("reads the buckets of the sort order past the probe, or walks a signed query on to the page without them", async () => {
    for (const far of [20, 1000]) {
      const res = await w.get(path, { headers: headers(far) });
      assert.equal(await wayOf(res), "buckets");
      assert.deepEqual((await pages(w, { path }, headers(far))), await pages(w, { path }, ORACLE));
      const walk = { ...headers(far), "x-test-plan": "walk" };
      assert.equal(await wayOf(await w.get(path, { headers: walk })), "walked_to_page");
      assert.deepEqual((await pages(w, { path }, walk)), await pages(w, { path }, ORACLE));
    }
  });

  // A prefix of two characters has no trigram, so its walks read every row: in email order, 30
  // customers of another test (aa-…) come before the 60 whose names start with 00, past a window
  // of 2 and the wider one of 16.
  const unsigned = { conditions: [{ field: "name", op: "starts_with", value: "00" }], sort: "email", limit: 4 };
  it("walks the far bound for a query with no signature when the far count finds as many", async () => {
    const res = await w.post("/v1/customers/filter", unsigned, { headers: headers(60) });
    assert.equal(res.status, 200, res.text);
    assert.equal(await wayOf(res), "far_window");
    assert.deepEqual((await pages(w, { body: unsigned }, headers(60))), await pages(w, { body: unsigned }, ORACLE));
  });

  it("sorts the matches of a query with no signature when the far count finds fewer", async () => {
    const res = await w.post("/v1/customers/filter", unsigned, { headers: headers(1000) });
    assert.equal(await wayOf(res), "far_sorted");
    assert.deepEqual((await pages(w, { body: unsigned }, headers(1000))), await pages(w, { body: unsigned }, ORACLE));
  });

  it("sorts the matches after all when the far walk of a query with no signature holds too few", async () => {
    const res = await w.post("/v1/customers/filter", unsigned, { headers: headers(20) });
    assert.equal(await wayOf(res), "sorted_after_walks");
    assert.deepEqual((await pages(w, { body: unsigned }, headers(20))), await pages(w, { body: unsigned }, ORACLE));
  });

  it("names the way of every customer page in its log line, and of no other request", async () => {
    assert.equal(await wayOf(await w.get(`/v1/customers?q=${encodeURIComponent(word)}&limit=4`)), "stream");
    assert.equal(await wayOf(await w.get("/v1/customers?limit=4")), "scan");
    assert.equal(await wayOf(await w.get("/health")), undefined);
  });
});
