// Pages sorted by name, email or last seen read that order's own trigram index bucket by bucket
// (migrations/0028, storage::customer_sql `PagePlan::Bucketed`), and the cron keeps the buckets
// (storage::bucket_sql). Buckets of 4 customers here (the test route's), so the few rows of the
// position blocks span many. Whatever the buckets, a page is the oracle's (the plain walk of the
// sort order): at every position, after writes that move customers between buckets, after splits
// racing those writes, and while the indexes are being built (the walk answers meanwhile).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker } from "./harness.mjs";
import { BLOCK, ORACLE, assertEveryPlanIsTheOracle, keepBuckets, pageWay, pages, seedPositions } from "./positions.mjs";

const BUCKETED = ["name", "-name", "email", "-email", "last_seen_at", "-last_seen_at"];
// Past the probe (a cap of 2), so the page is read from the buckets.
const BROAD = { "x-test-probe-cap": "2" };

let w;
let at;
const tag = `bkt${Date.now().toString(36)}`;

// What the cron left (`keepBuckets` with these options first): each order's buckets in sort
// order, the customers in the indexes (a seq below the mark) and past the mark, whether every
// customer is in, and for each order how many customers are not exactly once in the bucket
// their key falls in, or, past the mark, not out of the index (must be 0): the postings of the
// customer's seq for the first trigram of its email (an index without content lists no more).
async function keep(options = {}) {
  if (options.rounds !== 0) await keepBuckets(w, options);
  const all = async (sql) => (await w.db.prepare(sql).all()).results;
  const buckets = await all("SELECT sort_order AS 'order', key, id, bucket, size FROM sort_buckets ORDER BY sort_order, key, id");
  const misplaced = {};
  for (const [order, key] of [
    ["name", "lower(coalesce(c.name, c.email_normalized, ''))"],
    ["email", "coalesce(c.email_normalized, '')"],
    ["last_seen", "coalesce(c.last_seen_at, '')"],
  ]) {
    const table = `customers_by_${order}`;
    const bucket = `(SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = '${order}' AND (b.key, b.id) <= (${key}, c.id) ORDER BY b.key DESC, b.id DESC LIMIT 1)`;
    // In last-seen order, where a visit left them when it moved the customer (migrations/0032).
    const at = order === "last_seen"
      ? `coalesce((SELECT m.posted >> 32 FROM last_seen_moved m WHERE m.seq = c.seq), ${bucket})`
      : bucket;
    misplaced[order] = (await all(
      `SELECT count(*) AS n FROM customers c WHERE length(c.email) >= 3 AND (SELECT group_concat(s.rowid) FROM ${table} s ` +
      `WHERE ${table} MATCH '"' || replace(substr(c.email, 1, 3), '"', '""') || '"' AND s.rowid & 4294967295 = c.seq) ` +
      `IS NOT CASE WHEN c.seq < (SELECT indexed_below FROM sorted_search) THEN CAST(${at} << 32 | c.seq AS TEXT) END`,
    ))[0].n;
  }
  const [{ customers, waiting, moved, below }] = await all(
    "SELECT (SELECT count(*) FROM customers WHERE seq < indexed_below) AS customers, " +
    "(SELECT count(*) FROM customers WHERE seq >= indexed_below) AS waiting, " +
    "(SELECT count(*) FROM last_seen_moved) AS moved, indexed_below AS below FROM sorted_search",
  );
  return { buckets, misplaced, customers, waiting, moved, below, built: below >= 0 && waiting === 0 && moved === 0 };
}

// Every customer in the indexes exactly once, in the bucket its key falls in, in every order,
// the rest in none; every bucket counted right.
async function assertEveryCustomerInItsBucket(kept) {
  assert.deepEqual(kept.misplaced, { name: 0, email: 0, last_seen: 0 }, JSON.stringify(kept.misplaced));
  for (const order of ["name", "email", "last_seen"]) {
    const buckets = kept.buckets.filter((b) => b.order === order);
    assert.equal(buckets.reduce((n, b) => n + b.size, 0), kept.customers, `${order}: the sizes add up to the customers in`);
    const numbers = buckets.map((b) => b.bucket);
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), `${order}: numbered in sort order`);
    assert.equal(buckets[0].key, "", `${order}: the first bucket is below every customer`);
  }
}

// Every plan gives the oracle's pages, however many customers match.
async function assertOracle(request) {
  const matches = (await pages(w, request, ORACLE)).flatMap((p) => p.ids).length;
  assert.ok(matches > 0);
  await assertEveryPlanIsTheOracle(w, request, matches);
  assert.deepEqual(await pages(w, request, BROAD), await pages(w, request, ORACLE));
}

// The searches and filters whose matches sit at each position, every order with buckets.
function requests(position) {
  const { word, company } = at[position];
  const out = [];
  for (const sort of BUCKETED) {
    out.push([`search ${position}, ${sort}`, { path: `/v1/customers?q=${encodeURIComponent(word)}&sort=${sort}&limit=4` }]);
    out.push([`company substring ${position}, ${sort}`, {
      body: { conditions: [{ field: "company", op: "contains", value: company.slice(1) }], sort, limit: 4 },
    }]);
  }
  return out;
}

before(async () => {
  w = await startWorker();
  at = await seedPositions(w, tag);
  // Visits: the middle band seen most recently, the oldest block before it, so in last-seen
  // order the blocks sit apart too (the newest never seen: first, by id, ascending).
  for (const position of ["oldest", "middle"]) {
    for (let i = 0; i < BLOCK; i += 3) {
      const res = await w.interact({ email: `${position === "oldest" ? "zz" : "mm"}-${i}@${at[position].word}.test`, type: "form_submitted", resource_id: "f" });
      assert.equal(res.status, 201, res.text);
    }
  }
});
after(async () => { await w?.dispose(); });

describe("pages read bucket by bucket", () => {
  it("splits each order's buckets down to the bucket size, every customer in its bucket", async () => {
    const kept = await keep();
    assert.ok(kept.built);
    await assertEveryCustomerInItsBucket(kept);
    for (const order of ["name", "email", "last_seen"]) {
      const sizes = kept.buckets.filter((b) => b.order === order).map((b) => b.size);
      assert.ok(sizes.length >= kept.customers / 8, `${order}: ${sizes.length} buckets for ${kept.customers}`);
      assert.ok(sizes.every((n) => n <= 8), `${order}: no bucket past twice the size: ${sizes}`);
    }
  });

  for (const position of ["newest", "oldest", "middle"]) {
    it(`gives the oracle's pages and cursors from the buckets and in every plan: matches ${position} only`, async () => {
      for (const [what, request] of requests(position)) {
        await assertEveryPlanIsTheOracle(w, request, BLOCK);
        const bucketed = await pages(w, request, BROAD);
        assert.deepEqual(bucketed, await pages(w, request, ORACLE), what);
      }
    });
  }

  it("says it read the buckets, and the walk without them", async () => {
    const path = `/v1/customers?q=${encodeURIComponent(at.middle.word)}&sort=-name&limit=4`;
    assert.equal(await pageWay(w, await w.get(path, { headers: BROAD })), "buckets");
    assert.equal(await pageWay(w, await w.get(path, { headers: { ...BROAD, "x-test-plan": "walk" } })), "walked_to_page");
    const filter = { conditions: [{ field: "email", op: "ends_with", value: `@${at.oldest.word}.test` }], sort: "last_seen_at", limit: 4 };
    assert.equal(await pageWay(w, await w.post("/v1/customers/filter", filter)), "buckets", "a filter no index narrows");
  });

  it("reads the order's index in rowid order and the customers by seq, sorting only what it read", async () => {
    for (const sort of ["name", "-email", "last_seen_at"]) {
      const res = await w.post("/__test/query-plan?plan=bucketed", { q: at.middle.word, sort, limit: 4 });
      assert.equal(res.status, 200, res.text);
      const plan = res.body.steps.join("\n");
      assert.match(plan, /SCAN s VIRTUAL TABLE INDEX/, plan);
      assert.match(plan, /SEARCH c USING INTEGER PRIMARY KEY/, plan);
    }
  });

  it("moves a customer between buckets as its name, email, text or last visit changes, and out as it is deleted", async () => {
    await keep();
    const rename = at.oldest.ids.slice(0, 6);
    for (const [n, id] of rename.entries()) {
      const res = await w.patch(`/v1/customers/${id}`, n % 2
        ? { name: `Aa ${at.oldest.word} moved ${n}` }
        : { email: `aa-moved-${n}@${at.oldest.word}.test`, company: `Moved ${n}` });
      assert.equal(res.status, 200, res.text);
    }
    for (let i = 1; i < BLOCK; i += 5) {
      assert.equal((await w.interact({ email: `aa-${i}@${at.newest.word}.test`, type: "chat_started", resource_id: "r" })).status, 201);
    }
    assert.equal((await w.delete(`/v1/customers/${at.middle.ids[3]}?permanent=true`)).status, 200);
    assert.equal((await w.delete(`/v1/customers/${at.middle.ids[4]}`)).status, 200);
    const kept = await keep({ rounds: 0 });
    await assertEveryCustomerInItsBucket(kept);
    for (const position of ["oldest", "middle", "newest"]) {
      for (const [, request] of requests(position)) await assertOracle(request);
    }
  });

  it("keeps every customer in its bucket when splits race writes that move customers", async () => {
    for (let round = 0; round < 5; round++) {
      const writes = at.newest.ids.slice(round * 5, round * 5 + 5).map((id, n) =>
        w.patch(`/v1/customers/${id}`, { name: `${"Mm Aa Zz".split(" ")[n % 3]} ${at.newest.word} r${round} ${n}` }));
      const visits = Array.from({ length: 4 }, (_, i) =>
        w.interact({ email: `zz-${(round * 4 + i) % BLOCK}@${at.oldest.word}.test`, type: "chat_started", resource_id: `r${round}` }));
      const creates = Array.from({ length: 3 }, (_, i) =>
        w.createCustomer({ name: `Mm ${at.middle.word} new ${round} ${i}`, email: `new-${round}-${i}@${tag}.test` }));
      await Promise.all([keepBuckets(w, { bucket: 2, rounds: 3 }), ...writes, ...visits, ...creates]);
      assert.deepEqual((await keep({ rounds: 0 })).misplaced, { name: 0, email: 0, last_seen: 0 });
    }
    const kept = await keep({ bucket: 2 });
    await assertEveryCustomerInItsBucket(kept);
    for (const position of ["oldest", "middle", "newest"]) {
      for (const [, request] of requests(position)) await assertOracle(request);
    }
  });

  it("keeps the newest customers out of the indexes until 64 wait, reads them meanwhile, then adds them together", async () => {
    const start = await keep();
    assert.ok(start.built);
    const word = `${tag}tail`;
    const request = (sort) => ({ path: `/v1/customers?q=${encodeURIComponent(word)}&sort=${sort}&limit=4` });
    const visit = (i) => w.interact({
      email: `${"amz"[i % 3]}t-${i}@${word}.test`, name: `${["Aa", "Mm", "Zz"][i % 3]} ${word} ${i}`, type: "form_submitted", resource_id: "f",
    });
    for (let i = 0; i < 70; i++) {
      assert.equal((await visit(i)).status, 201);
      if (![0, 2, 63, 64, 69].includes(i)) continue;
      const kept = await keep({ rounds: 0 });
      // The 65th adds the 64 before it and waits itself.
      assert.equal(kept.waiting, i < 64 ? i + 1 : i - 63, `after ${i + 1} visits`);
      assert.equal(kept.below, i < 64 ? start.below : start.below + 64);
      await assertEveryCustomerInItsBucket(kept);
      for (const sort of BUCKETED) {
        const oracle = await pages(w, request(sort), ORACLE);
        assert.equal(oracle.flatMap((p) => p.ids).length, i + 1);
        assert.deepEqual(await pages(w, request(sort), BROAD), oracle, `${sort} after ${i + 1}`);
      }
      assert.equal(await pageWay(w, await w.get(request("-name").path, { headers: BROAD })), "buckets");
    }
    // A search of a block already in, past the newest that wait.
    for (const [, req] of requests("middle")) await assertOracle(req);
    const kept = await keep({ rounds: 1 });
    assert.ok(kept.built, "the cron adds the few that wait");
    await assertEveryCustomerInItsBucket(kept);
  });

  it("leaves the postings of customers a visit moved in last-seen order where they were until 64 wait, and finds them meanwhile", async () => {
    const word = `${tag}seen`;
    const lines = ["name,email"];
    for (let i = 0; i < 70; i++) lines.push(`${["Aa", "Mm", "Zz"][i % 3]} ${word} ${i},s-${i}@${word}.test`);
    assert.equal((await w.importCsv(lines.join("\n") + "\n")).status, 200);
    assert.ok((await keep()).built);
    const visit = (i) => w.interact({ email: `s-${i}@${word}.test`, type: "chat_started", resource_id: "r" });
    const check = async (moved, what) => {
      const kept = await keep({ rounds: 0 });
      assert.equal(kept.moved, moved, what);
      await assertEveryCustomerInItsBucket(kept);
      for (const sort of ["last_seen_at", "-last_seen_at"]) {
        const request = { path: `/v1/customers?q=${encodeURIComponent(word)}&sort=${sort}&limit=4` };
        const oracle = await pages(w, request, ORACLE);
        assert.ok(oracle.flatMap((p) => p.ids).length >= 60);
        assert.deepEqual(await pages(w, request, BROAD), oracle, `${sort}: ${what}`);
      }
    };
    for (let i = 0; i < 40; i++) assert.equal((await visit(i)).status, 201);
    await check(40, "40 first visits, none moved yet");
    // A second visit keeps the customer where its postings are; a change of text moves them at
    // once; a delete takes them from where they are.
    assert.equal((await visit(3)).status, 201);
    assert.equal((await w.patch(`/v1/customers/${await w.customerIdByEmail(`s-4@${word}.test`)}`, { name: `Zz ${word} renamed` })).status, 200);
    assert.equal((await w.delete(`/v1/customers/${await w.customerIdByEmail(`s-5@${word}.test`)}?permanent=true`)).status, 200);
    await check(38, "a second visit, a rename, a delete");
    for (let i = 40; i < 66; i++) assert.equal((await visit(i)).status, 201);
    // The 64th recorded moved all 64.
    await check(0, "64 moved together");
    assert.equal((await visit(66)).status, 201);
    await check(1, "the next waits again");
    const kept = await keep({ rounds: 1 });
    assert.equal(kept.moved, 0, "the cron moves the few that wait");
    await assertEveryCustomerInItsBucket(kept);
    for (const position of ["oldest", "middle"]) {
      for (const [, request] of requests(position)) await assertOracle(request);
    }
  });

  it("rewrites no index for a visit that changes no text, and moves nothing at once for a visit that changes the bucket", async () => {
    await keep();
    // FTS5 keeps the list of an index's segments in row 10 of its data table: any write of
    // postings changes it.
    const tables = ["customers_search", "customers_by_name", "customers_by_email", "customers_by_last_seen"];
    const structure = async () => Object.fromEntries(await Promise.all(tables.map(async (t) =>
      [t, (await w.db.prepare(`SELECT hex(block) AS b FROM ${t}_data WHERE id = 10`).first()).b])));
    const email = `zz-9@${at.oldest.word}.test`; // named, seen in before() and since
    const before = await structure();
    assert.equal((await w.interact({ email, name: "Another Name", type: "chat_started", resource_id: "again" })).status, 201);
    assert.deepEqual(await structure(), before, "a returning visit");
    const unseen = `mm-1@${at.middle.word}.test`; // never seen: its first visit moves it in last-seen order
    assert.equal((await w.interact({ email: unseen, type: "chat_started", resource_id: "first" })).status, 201);
    assert.deepEqual(await structure(), before, "a first visit: recorded as moved, postings untouched");
    assert.ok((await keep({ rounds: 0 })).moved >= 1);
    await assertEveryCustomerInItsBucket(await keep({ rounds: 0 }));
    const id = await w.customerIdByEmail(unseen);
    assert.equal((await w.patch(`/v1/customers/${id}`, { phone: "+15550001111" })).status, 200);
    const after = await structure();
    for (const t of tables) assert.notEqual(after[t], before[t], `${t}: a change of text rewrites it`);
    await assertEveryCustomerInItsBucket(await keep({ rounds: 0 }));
  });

  it("keeps every customer in its bucket or out of the indexes when inserts that add the newest race splits and writes", async () => {
    const word = `${tag}race`;
    let waiting = [];
    for (let round = 0; round < 5; round++) {
      // 40 new customers a round, so the trigger adds the newest during most rounds.
      const creates = Array.from({ length: 40 }, (_, i) =>
        w.interact({ email: `${"amz"[i % 3]}r-${round}-${i}@${word}.test`, type: "chat_started", resource_id: `r${round}` }));
      // Writes to customers of the round before, some of them still waiting.
      const writes = waiting.slice(0, 6).map((id, n) => n % 3 === 2
        ? w.delete(`/v1/customers/${id}?permanent=true`)
        : w.patch(`/v1/customers/${id}`, { name: `${["Zz", "Aa"][n % 2]} ${word} edited ${round} ${n}` }));
      const results = await Promise.all([keepBuckets(w, { bucket: 2, rounds: 2 }), ...creates, ...writes]);
      for (const res of results.slice(1)) assert.ok([200, 201].includes(res.status), res.text);
      const kept = await keep({ rounds: 0 });
      assert.deepEqual(kept.misplaced, { name: 0, email: 0, last_seen: 0 }, `round ${round}`);
      const newest = await w.db.prepare(
        "SELECT id FROM customers WHERE email LIKE ?1 ORDER BY seq DESC LIMIT 20",
      ).bind(`%-${round}-%@${word}.test`).all();
      waiting = newest.results.map((r) => r.id);
    }
    const kept = await keep({ bucket: 2 });
    await assertEveryCustomerInItsBucket(kept);
    const all = { path: `/v1/customers?q=${encodeURIComponent(word)}&sort=-name&limit=4` };
    await assertOracle(all);
    for (const position of ["oldest", "middle", "newest"]) {
      for (const [, request] of requests(position)) await assertOracle(request);
    }
  });

  it("walks while the cron builds the indexes from the start, and reads the buckets once they hold everyone", async () => {
    // More customers than pages read beside the indexes (`UNINDEXED_MAX`), so the build is the cron's.
    const lines = ["name,email"];
    for (let i = 0; i < 1000; i++) lines.push(`Walk ${tag} ${i},walk-${i}@${tag}.test`);
    assert.equal((await w.importCsv(lines.join("\n") + "\n")).status, 200);
    const numbered = await keep({ rebuild: true, rounds: 1 });
    assert.equal(numbered.below, 0, "numbered, nothing built yet");
    const path = `/v1/customers?q=${encodeURIComponent(at.oldest.word)}&sort=email&limit=4`;
    assert.equal(await pageWay(w, await w.get(path, { headers: BROAD })), "walked_to_page");
    await assertOracle({ path });
    // Written while the indexes are built: added by the build, not by a trigger.
    const late = await w.createCustomer({ name: `Zz ${at.oldest.word} late`, email: `late@${at.oldest.word}.test` });
    const built = await keep({ rounds: 1 });
    assert.ok(built.built, "one chunk holds them all");
    await assertEveryCustomerInItsBucket(built);
    assert.equal(await pageWay(w, await w.get(path, { headers: BROAD })), "buckets");
    await assertOracle({ path });
    assert.equal((await w.delete(`/v1/customers/${late.id}?permanent=true`)).status, 200);
    await assertEveryCustomerInItsBucket(await keep({ rounds: 0 }));
  });

  it("builds the indexes again from the start when one bucket holds far more than it should", async () => {
    // Every customer in one bucket, as a bulk load into an empty database leaves them: more
    // than 256 buckets' worth (of 1).
    const lines = ["name,email"];
    for (let i = 0; i < 300; i++) lines.push(`Bulk ${tag} ${i},bulk-${i}@${tag}.test`);
    assert.equal((await w.importCsv(lines.join("\n") + "\n")).status, 200);
    await w.db.prepare("UPDATE sorted_search SET indexed_below = -1").run();
    await keep({ bucket: 100000, rebuild: true, rounds: 2 });
    assert.equal((await keep({ rounds: 0 })).buckets.filter((b) => b.order === "name").length, 1, "all in one bucket");
    const one = await keep({ bucket: 1, rounds: 1 });
    assert.equal(one.below, -1, "set to be built again");
    const rebuilt = await keep();
    assert.ok(rebuilt.built);
    await assertEveryCustomerInItsBucket(rebuilt);
  });
});
