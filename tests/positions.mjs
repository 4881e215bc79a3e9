// Matches placed at every position of every sort order, for the planner's oracle tests
// (tests/search.test.mjs, tests/filters.test.mjs): three imports, one after the other, so in
// creation order an oldest block, a middle band and a newest block, named so that in name and
// email order either way a block comes before the band too. Each block is found by its own search
// word and its own company, so one query puts its matches at the newest end, the oldest end or in
// the middle of the sort order, behind a block of rows that do not match.
import assert from "node:assert/strict";

export const SORTS = ["-created_at", "created_at", "name", "-name", "email", "-email", "last_seen_at", "-last_seen_at"];

// The plain walk of the sort order, every page: the oracle every plan is held to.
export const ORACLE = { "x-test-plan": "scan" };

// Every branch of the planner for these rows (a block is 30 rows, a page 4): the matches sorted;
// the default; a window that fills at once; past a window too short, a query with a search
// signature walks on to the page, while one without (a prefix of two letters) walks the wider window
// (8 times as long), which fills, or, both too short, counts its matches to the far bound and
// sorts them (fewer) or walks that far (as many: that walk holds too few here, so they are
// sorted after all).
export const PLANS = {
  "matches sorted": { "x-test-probe-cap": "100000" },
  "the default planner": {},
  "a window that fills": { "x-test-probe-cap": "2", "x-test-window": "1000" },
  "a window too short, then the walk on or the wider one": { "x-test-probe-cap": "2", "x-test-window": "6" },
  "both windows too short, the far count sorts": { "x-test-probe-cap": "2", "x-test-window": "2", "x-test-far": "1000" },
  "every walk too short, then the matches": { "x-test-probe-cap": "2", "x-test-window": "2", "x-test-far": "20" },
  // Sorted by name, email or last seen, a query with a substring of three characters reads that
  // order's buckets past its probe; this is the walk it takes until the cron has built them.
  "the walk on, without buckets": { "x-test-probe-cap": "2", "x-test-window": "6", "x-test-plan": "walk" },
};

export const BLOCK = 30;

// Imports the three blocks; returns the word and the company of each position.
export async function seedPositions(w, tag) {
  const blocks = [
    ["oldest", "Zz", "zz"],
    ["middle", "Mm", "mm"],
    ["newest", "Aa", "aa"],
  ];
  const positions = {};
  for (const [position, name, mail] of blocks) {
    const word = `${tag}${position}`;
    const lines = ["name,email,company"];
    for (let i = 0; i < BLOCK; i++) {
      lines.push(`${name} ${word} ${String(i).padStart(2, "0")},${mail}-${i}@${word}.test,${name}${tag} ${i % 3}`);
    }
    const res = await w.importCsv(lines.join("\n") + "\n");
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.created, BLOCK, res.text);
    positions[position] = { word, company: `${name}${tag}`, ids: res.body.rows.map((r) => r.id) };
  }
  // Buckets of 4 in the orders that have them (migrations/0028), so a page reads many.
  await keepBuckets(w);
  return positions;
}

// Every page of a list (GET `path`) or a filter (POST /v1/customers/filter with `body`),
// following the cursors: each page's ids and next cursor.
export async function pages(w, { path, body }, headers) {
  const seen = [];
  let cursor = null;
  for (let n = 0; n < 200; n++) {
    const res = path
      ? await w.get(`${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers })
      : await w.post("/v1/customers/filter", { ...body, cursor }, { headers });
    assert.equal(res.status, 200, res.text);
    seen.push({ ids: res.body.data.map((c) => c.id), next: res.body.next_cursor });
    cursor = res.body.next_cursor;
    if (!cursor) return seen;
  }
  throw new Error("more than 200 pages");
}

// Every plan's pages equal the oracle's, which hold `want` customers, none twice.
export async function assertEveryPlanIsTheOracle(w, request, want) {
  const oracle = await pages(w, request, ORACLE);
  const ids = oracle.flatMap((p) => p.ids);
  assert.equal(new Set(ids).size, ids.length, "no customer twice");
  assert.equal(ids.length, want, "the oracle holds every match");
  for (const [plan, headers] of Object.entries(PLANS)) {
    assert.deepEqual(await pages(w, request, headers), oracle, plan);
  }
}

// The `page_way` of the request that answered `res`, from its log line (the worker's output
// reaches the test a moment after the answer).
export async function pageWay(w, res) {
  const id = res.headers.get("x-request-id");
  for (let tries = 0; tries < 50; tries++) {
    const line = w.logs.map((l) => { try { return JSON.parse(l); } catch { return null; } }).find((l) => l?.request_id === id);
    if (line) return line.page_way;
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`no log line for ${id}`);
}

// The cron's work on the per-order indexes (migrations/0028) with buckets of `bucket`, run until
// it has nothing left to do (at most `rounds` runs of the cron): every customer in them, and no
// bucket past twice the size. With `rebuild`, from the start.
export async function keepBuckets(w, { bucket = 4, rebuild = false, rounds = 60 } = {}) {
  await w.db.prepare("UPDATE sorted_search SET bucket = ?1").bind(bucket).run();
  if (rebuild) await w.db.prepare("UPDATE sorted_search SET indexed_below = -1").run();
  const settled = async () => (await w.db.prepare(
    "SELECT (SELECT indexed_below FROM sorted_search) >= 0 " +
    "AND NOT EXISTS (SELECT 1 FROM customers WHERE seq >= (SELECT indexed_below FROM sorted_search)) " +
    "AND NOT EXISTS (SELECT 1 FROM last_seen_moved) " +
    "AND NOT EXISTS (SELECT 1 FROM sort_buckets WHERE size > 2 * (SELECT bucket FROM sorted_search)) AS done",
  ).first()).done === 1;
  for (let i = 0; i < rounds && !(await settled()); i++) await w.cron();
}
