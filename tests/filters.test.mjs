// Filters through their indexes (storage::customer_sql, migrations/0009): an equality, list or prefix
// condition on name, email, phone or company narrows a page like a search. Whichever plan runs
// (the condition's matches sorted, a bounded walk of the sort order, the walk falling back to the
// matches), a page holds the same customers in the same order with the same cursor, and exactly
// the customers the condition means (ASCII letters compared case-insensitively, a missing value
// matching nothing). EXPLAIN QUERY PLAN (through the test route) shows each plan walks the index
// it means.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorker } from "./harness.mjs";
import { BLOCK, SORTS, assertEveryPlanIsTheOracle, pageWay, seedPositions } from "./positions.mjs";

let w;
const tag = `flt${Date.now().toString(36)}`;
let everyone = [];
before(async () => {
  w = await startWorker();
  // 80 customers: companies in mixed case (a few "ACME Corp", many "Globex n", the odd ones
  // "Initech", every 7th none), phones "+1 555 01nn" but every 9th none, two "Rare" names.
  const lines = ["name,email,phone,company,notes"];
  const acme = ["ACME Corp", "acme corp", "Acme Corp", "AcMe CoRp"];
  for (let i = 0; i < 80; i++) {
    const name = i === 13 || i === 66 ? `Rare ${tag} ${i}` : `Person ${tag} ${String(i).padStart(2, "0")}`;
    const company = i % 7 === 0 ? "" : i % 20 === 1 ? acme[(i - 1) / 20] : i % 2 ? "Initech" : `Globex ${i % 3}`;
    const phone = i % 9 === 0 ? "" : `+1 555 01${String(i).padStart(2, "0")}`;
    lines.push(`${name},${tag}-${i}@Example.com,${phone},${company},`);
  }
  const res = await w.importCsv(lines.join("\n") + "\n");
  assert.equal(res.status, 200, res.text);
  // Soft-deleted rows (status decides whether they count) and later-created ones.
  for (const i of [2, 41, 61]) assert.equal((await w.delete(`/v1/customers/${res.body.rows[i].id}`)).status, 200);
  await w.createCustomer({ name: `Late ${tag}`, email: `${tag}-late@example.com`, company: "ACME CORP", phone: "+1 555 0199" });
  await w.createCustomer({ name: `Later ${tag}`, email: `${tag}-later@example.com`, company: "globex 1" });
  // Everyone, as the oracle's input.
  let cursor = null;
  do {
    const page = await w.get(`/v1/customers?status=all&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(page.status, 200, page.text);
    everyone.push(...page.body.data);
    cursor = page.body.next_cursor;
  } while (cursor);
  everyone = everyone.filter((c) => c.email?.includes(tag));
  assert.equal(everyone.length, 82);
});
after(async () => { await w?.dispose(); });

async function until(check) {
  for (let i = 0; i < 50 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
}

// The plans, as the planner's bounds select them for these rows.
const PLANS = {
  "matches sorted": { "x-test-probe-cap": "100000" },
  "the default planner": {},
  "bounded walk that fills the page": { "x-test-probe-cap": "2", "x-test-window": "1000" },
  "bounded walk too short, then the matches": { "x-test-probe-cap": "2", "x-test-window": "3" },
};

// Every page of a filter, following the cursors: the ids and cursors in order.
async function walk(body, headers) {
  const seen = [];
  let cursor = null;
  for (let n = 0; n < 100; n++) {
    const res = await w.post("/v1/customers/filter", { ...body, cursor, include_total: true }, { headers });
    assert.equal(res.status, 200, res.text);
    seen.push({ ids: res.body.data.map((c) => c.id), next: res.body.next_cursor, total: res.body.total });
    cursor = res.body.next_cursor;
    if (!cursor) return seen;
  }
  throw new Error("more than 100 pages");
}

// What a condition means, on the API's fields (SQLite's lower() folds ASCII only).
const fold = (s) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
const value = (c, field) => (field === "email" ? c.email?.toLowerCase() : c[field]) ?? null;
function meets(c, { field, op, value: v }) {
  const x = value(c, field);
  if (x === null) return false;
  if (op === "eq") return fold(x) === fold(v);
  if (op === "in") return v.some((one) => fold(x) === fold(one));
  if (op === "starts_with") return fold(x).startsWith(fold(v));
  if (op === "contains") return fold(x).includes(fold(v));
  throw new Error(op);
}
function expected({ conditions, match = "all", status = "active", q }) {
  return everyone
    .filter((c) => status === "all" || (status === "deleted") === (c.deleted_at !== null))
    .filter((c) => (match === "all" ? conditions.every((k) => meets(c, k)) : conditions.some((k) => meets(c, k))))
    .filter((c) => !q || ["name", "email", "phone", "company"].some((f) => value(c, f) !== null && fold(value(c, f)).includes(fold(q))))
    .map((c) => c.id)
    .sort();
}

const eq = (field, v) => ({ field, op: "eq", value: v });
const prefix = (field, v) => ({ field, op: "starts_with", value: v });
const FILTERS = [
  ["a company equal in any case (2 live rows)", { conditions: [eq("company", "acme CORP")] }],
  ["a company no one has", { conditions: [eq("company", "Umbrella")] }],
  ["a company equal to the empty string: a missing company is not one", { conditions: [eq("company", "")] }],
  ["a company prefix most rows meet", { conditions: [prefix("company", "GLOBEX")] }],
  ["a list of companies", { conditions: [{ field: "company", op: "in", value: ["Initech", "ACME corp"] }] }],
  ["a phone prefix (7 live rows)", { conditions: [prefix("phone", "+1 555 010")] }],
  ["a phone prefix every phone meets", { conditions: [prefix("phone", "+1 555")] }],
  ["an email, exactly", { conditions: [eq("email", `${tag.toUpperCase()}-40@EXAMPLE.COM`)] }],
  ["a name prefix and a company, both indexed", { conditions: [prefix("name", `rare ${tag}`), eq("company", "globex 0")] }],
  ["a company and a test no index serves", { conditions: [eq("company", "initech"), { field: "name", op: "contains", value: "7" }] }],
  ["either of two indexed conditions", { match: "any", conditions: [eq("company", "acme corp"), prefix("phone", "+1 555 015")] }],
  ["deleted customers of a company", { status: "deleted", conditions: [prefix("company", "acme")] }],
  ["every status, a company prefix", { status: "all", conditions: [prefix("company", "acme")] }],
  ["a company and a search too short for trigrams", { q: "3", conditions: [prefix("company", "globex")] }],
  ["a company and a search (the search narrows)", { q: `${tag}-1`, conditions: [prefix("company", "initech")] }],
  ["a phone equal to the empty string", { conditions: [eq("phone", "")] }],
  ["a list of companies, one of them empty", { conditions: [{ field: "company", op: "in", value: ["", "Initech"] }] }],
];

describe("filters through their indexes", () => {
  for (const [what, body] of FILTERS) {
    for (const sort of ["-created_at", "name", "-email", "last_seen_at"]) {
      it(`gives the same pages whatever the plan, exactly the matches: ${what}, sort ${sort}`, async () => {
        const results = {};
        for (const [plan, headers] of Object.entries(PLANS)) results[plan] = await walk({ ...body, sort, limit: 4 }, headers);
        const [first, ...others] = Object.keys(results);
        for (const plan of others) assert.deepEqual(results[plan], results[first], `${plan} vs ${first}`);
        const ids = results[first].flatMap((p) => p.ids);
        assert.equal(new Set(ids).size, ids.length, "no customer twice");
        assert.deepEqual([...ids].sort(), expected(body), "exactly the customers the filter means");
        assert.equal(ids.length, results[first][0].total, "the pages hold exactly the total");
      });
    }
  }

  it("the oracle's sets are what the cases say", () => {
    assert.equal(expected(FILTERS[0][1]).length, 2, "row 1 and the late one (21 has no company, 41 and 61 are deleted)");
    assert.equal(expected(FILTERS[1][1]).length, 0);
    assert.ok(expected(FILTERS[3][1]).length > 25);
    assert.equal(expected(FILTERS[5][1]).length, 7, "0101 to 0108, less 0102 (deleted)");
    assert.equal(expected(FILTERS[7][1]).length, 1);
    assert.equal(expected(FILTERS[11][1]).length, 2);
  });

  it("a list page of a filter says the same with the list's own parameters", async () => {
    const res = await w.get(`/v1/customers?email=${encodeURIComponent(`${tag}-40@example.com`)}`);
    assert.deepEqual(res.body.data.map((c) => c.id), expected(FILTERS[7][1]));
  });
});

describe("each plan walks the index it means", () => {
  const steps = async (plan, body, headers = {}) => {
    const res = await w.post(`/__test/query-plan?plan=${plan}`, body, { headers });
    assert.equal(res.status, 200, res.text);
    return res.body.steps.join("\n");
  };
  const company = { conditions: [eq("company", "acme corp")], limit: 50 };

  it("a company's matches come from its index, counted from the index alone", async () => {
    const plan = await steps("planned", company);
    // The probe, then the few matches: both through an index that begins with the company (the
    // probe reads the index alone where the SQLite build covers an expression index, as 3.51
    // does; Miniflare's reads each row too).
    const uses = plan.match(/SEARCH c USING (COVERING )?INDEX customers_company_\w+ \(<expr>=\?\)/g) ?? [];
    assert.equal(uses.length, 2, plan);
    const sorted = await steps("candidates", company);
    assert.match(sorted, /SEARCH c USING INDEX customers_company_filter \(<expr>=\?\)/);
  });

  it("a company's customers by creation, either way, are the first rows of its index range: nothing sorted", async () => {
    for (const sort of ["-created_at", "created_at"]) {
      const plan = await steps("candidates", { ...company, sort });
      assert.match(plan, /SEARCH c USING INDEX customers_company_filter \(<expr>=\?\)/, `${sort}: ${plan}`);
      assert.doesNotMatch(plan, /TEMP B-TREE/, `${sort}: ${plan}`);
    }
  });

  it("the walk of a broad filter follows the sort order and sorts at most a page", async () => {
    for (const [sort, index] of [["-created_at", "customers_created"], ["name", "customers_name_sort"], ["-email", "customers_email_sort"], ["last_seen_at", "customers_last_seen_sort"]]) {
      const plan = await steps("window", { ...company, sort });
      assert.match(plan, new RegExp(`SEARCH c USING INDEX ${index}`), `${sort}: ${plan}`);
      assert.doesNotMatch(plan, /customers_company_/, `${sort}: ${plan}`);
      // Keys that tie (name, email, last seen) are walked as ranges each cut at the page
      // (storage::customer_sql, walk_sql): only those few rows are sorted, never a walk.
      const lines = plan.split("\n");
      lines.forEach((line, i) => {
        if (/TEMP B-TREE/.test(line)) assert.match(lines[i - 1], /^SCAN \(subquery-\d+\)$/, `${sort}: ${plan}`);
      });
      if (sort === "-created_at") assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
    }
  });

  it("a page after a cursor in a tie of the sort key seeks past the cursor by id", async () => {
    const cursorOf = async (sort) => (await w.post("/v1/customers/filter", { sort, limit: 1 })).body.next_cursor;
    for (const sort of ["last_seen_at", "-last_seen_at"]) {
      const plan = await steps("scan", { sort, limit: 5, cursor: await cursorOf(sort) });
      assert.match(plan, /SEARCH c USING INDEX customers_last_seen_sort \(<expr>=\? AND id[<>]\?\)/, `${sort}: ${plan}`);
    }
  });

  it("a phone prefix is a range of the phone index", async () => {
    const plan = await steps("candidates", { conditions: [prefix("phone", "+1 555 01")] });
    assert.match(plan, /SEARCH c USING INDEX customers_phone_filter \(<expr>>\? AND <expr><\?\)/);
  });

  it("a name prefix sorted by name walks the name index within its range, unplanned", async () => {
    const body = { conditions: [prefix("name", "rare")], sort: "-name" };
    const res = await w.post("/__test/query-plan?plan=planned", body);
    assert.equal(res.status, 404, "a condition on the sort key needs no plan");
    const plan = await steps("scan", body);
    assert.match(plan, /SEARCH c USING INDEX customers_name_sort \(<expr>>\? AND <expr><\?\)/);
    assert.doesNotMatch(plan, /TEMP B-TREE/);
  });

  it("a name prefix sorted otherwise is planned like a company", async () => {
    const body = { conditions: [prefix("name", "rare")] };
    assert.match(await steps("candidates", body), /SEARCH c USING INDEX customers_name_sort \(<expr>>\? AND <expr><\?\)/);
    const walked = await steps("window", body);
    assert.match(walked, /SEARCH c USING INDEX customers_created/);
    assert.doesNotMatch(walked, /customers_name_sort|TEMP B-TREE/);
  });

  it("a company's customers in any order are one range of its index for that order, with no sort; a list's, one range of each, merged", async () => {
    for (const [sort, index] of [
      ["name", "customers_company_name"],
      ["-email", "customers_company_email"],
      ["last_seen_at", "customers_company_last_seen"],
    ]) {
      const plan = await steps("candidates", { ...company, sort });
      assert.match(plan, new RegExp(`SEARCH c USING INDEX ${index} \\(<expr>=\\?`), `${sort}: ${plan}`);
      assert.doesNotMatch(plan, /TEMP B-TREE/, `${sort}: ${plan}`);
      // A list of companies: that range of each company, merged in sort order.
      const listed = await steps("candidates", { conditions: [{ field: "company", op: "in", value: ["acme corp", "globex 0", "Globex 0"] }], sort });
      assert.match(listed, /MERGE \(UNION ALL\)/, `${sort}: ${listed}`);
      const seeks = listed.match(new RegExp(`SEARCH c USING INDEX ${index} \\(<expr>=\\?\\)`, "g")) ?? [];
      assert.equal(seeks.length, 2, `${sort}, one seek for Globex 0 in either case: ${listed}`);
      // What is sorted is the page, once merged: the rows it reads whole.
      const lines = listed.split("\n");
      assert.deepEqual(lines.filter((l) => l.includes("TEMP B-TREE")), ["USE TEMP B-TREE FOR ORDER BY"], `${sort}: ${listed}`);
      assert.ok(lines.indexOf("SCAN p") < lines.indexOf("USE TEMP B-TREE FOR ORDER BY"), `${sort}: ${listed}`);
    }
    // A prefix of the sort key bounds the same range.
    const named = await steps("candidates", { conditions: [eq("company", "acme corp"), prefix("name", "person")], sort: "-name" });
    assert.match(named, /SEARCH c USING INDEX customers_company_name \(<expr>=\? AND <expr>>\? AND <expr><\?\)/, named);
    assert.doesNotMatch(named, /TEMP B-TREE/, named);
  });

  it("an equality to an empty email, phone or company reads no customer, since none holds a blank one", async () => {
    const bare = Array.from({ length: 40 }, (_, i) => `Bare ${tag} ${i}`);
    assert.equal((await w.importCsv(`name\n${bare.join("\n")}\n`)).status, 200);
    for (const column of ["company", "phone", "email"]) {
      const { n } = await w.db.prepare(`SELECT count(*) AS n FROM customers WHERE ${column} IS NULL`).first();
      assert.ok(n >= 40, `${n} customers without a ${column}: a walk of them would show`);
    }
    for (const [field, op, value] of [["company", "eq", ""], ["phone", "eq", ""], ["email", "eq", ""], ["company", "in", ["", " "]]]) {
      const res = await w.post("/v1/customers/filter", { conditions: [{ field, op, value }], limit: 50 });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data, []);
      await until(() => w.logs.some((l) => l.includes(res.headers.get("x-request-id"))));
      const line = JSON.parse(w.logs.find((l) => l.includes(res.headers.get("x-request-id"))));
      // Read through the index, '' is the key of every customer without the field.
      assert.ok(line.rows_read <= 8, `${field} ${op} ${JSON.stringify(value)}: ${line.rows_read} rows read`);
    }
    // Whatever writes it: the database refuses a blank one (migrations/0030).
    for (const column of ["company", "phone", "email", "email_normalized"]) {
      await assert.rejects(w.db.prepare(`UPDATE customers SET ${column} = '' WHERE id = ?`).bind(everyone[1].id).run(), /customer_blank_text/);
    }
  });

  it("a count of a filter uses its index", async () => {
    assert.match(await steps("count", company), /customers_company_\w+ \(<expr>=\?\)/);
  });
});

describe("filters through their indexes, the matches at every position of every sort order", () => {
  let at;
  before(async () => { at = await seedPositions(w, `${tag}p`); });

  for (const position of ["newest", "oldest", "middle"]) {
    for (const sort of SORTS) {
      for (const [what, op, value, want = BLOCK] of [
        ["a company", "eq", (p) => `${p.company} 0`, BLOCK / 3],
        ["a company prefix", "starts_with", (p) => p.company],
        ["a list of companies", "in", (p) => [0, 1, 2].map((i) => `${p.company} ${i}`)],
        // Two letters hold no trigram: no signature and no stream, so the windows, the far count
        // and the sort after them.
        ["a two-letter company prefix", "starts_with", (p) => p.company.slice(0, 2)],
        // No index finds a substring: it streams in creation order and walks by its signature
        // in the others.
        ["a company substring", "contains", (p) => p.company.slice(1)],
      ]) {
        it(`gives the oracle's pages and cursors in every plan: ${what}, matches ${position} only, sort ${sort}`, async () => {
          const body = { conditions: [{ field: "company", op, value: value(at[position]) }], sort, limit: 4 };
          await assertEveryPlanIsTheOracle(w, { body }, want);
        });
      }
    }
  }

  for (const position of ["newest", "oldest", "middle"]) {
    for (const sort of ["-created_at", "name", "-last_seen_at"]) {
      it(`gives the oracle's pages and cursors in every plan: a list of companies naming one twice, in two cases, matches ${position} only, sort ${sort}`, async () => {
        const { company } = at[position];
        const body = { conditions: [{ field: "company", op: "in", value: [`${company} 0`, `${company.toUpperCase()} 0`, `${company} 1`] }], sort, limit: 4 };
        await assertEveryPlanIsTheOracle(w, { body }, (2 * BLOCK) / 3);
      });
      it(`gives the oracle's pages and cursors in every plan: a list of fifty companies, matches ${position} only, sort ${sort}`, async () => {
        const { company } = at[position];
        const value = Array.from({ length: 50 }, (_, i) => `${company} ${i}`);
        await assertEveryPlanIsTheOracle(w, { body: { conditions: [{ field: "company", op: "in", value }], sort, limit: 4 } }, BLOCK);
      });
    }
  }

  for (const position of ["newest", "oldest", "middle"]) {
    for (const sort of ["-created_at", "created_at", "-name"]) {
      it(`gives the oracle's pages and cursors in every plan: a search and a company substring, matches ${position} only, sort ${sort}`, async () => {
        // The stream asks the trigram index for both texts' trigrams at once.
        const body = { q: at[position].word, conditions: [{ field: "company", op: "contains", value: at[position].company.slice(1) }], sort, limit: 4 };
        await assertEveryPlanIsTheOracle(w, { body }, BLOCK);
      });
    }
  }

  it("reads a filter's matches in creation order from the trigram index past its probe, from the buckets in other orders, a list by the trigrams its values share", async () => {
    // A two-letter prefix is the one that walks windows: nothing of it is a trigram.
    const probed = { "x-test-probe-cap": "2" };
    const MAIL = { newest: "aa", oldest: "zz" };
    const way = async (op, value, sort, headers = {}, field = "company") => {
      const body = { conditions: [{ field, op, value }], sort, limit: 4 };
      return pageWay(w, await w.post("/v1/customers/filter", body, { headers }));
    };
    for (const position of ["newest", "oldest"]) {
      const { company } = at[position];
      // A list of emails: a list of companies is a seek of each (below).
      const emails = [0, 1].map((i) => `${MAIL[position]}-${i}@${at[position].word}.test`);
      for (const sort of ["-created_at", "created_at"]) {
        assert.equal(await way("starts_with", company, sort, probed), "stream", `${position} ${sort}: a prefix past its probe`);
        assert.equal(await way("starts_with", company, sort), "sorted", `${position} ${sort}: a prefix's few matches`);
        assert.equal(await way("contains", company.slice(1), sort), "stream", `${position} ${sort}: a substring`);
        assert.equal(await way("in", emails, sort, probed, "email"), "stream", `${position} ${sort}: a list past its probe, by the trigrams its values share`);
        const apart = await way("in", [...emails, "qq@qq.invalid"], sort, probed, "email");
        assert.ok(["walked_to_page", "window", "wider_window", "far_sorted", "far_window", "sorted_after_walks"].includes(apart), `${position} ${sort}: a list whose values share no trigram walks, ${apart}`);
        const unsigned = await way("starts_with", company.slice(0, 2), sort, probed);
        assert.ok(["window", "wider_window", "far_sorted", "far_window", "sorted_after_walks"].includes(unsigned), `${position} ${sort}: two letters, ${unsigned}`);
      }
      assert.equal(await way("contains", company.slice(1), "name"), "buckets", `${position}: a substring by name`);
      assert.equal(await way("contains", company.slice(1), "name", { "x-test-plan": "walk" }), "walked_to_page", `${position}: a substring by name, without buckets`);
      assert.equal(await way("in", emails, "name", probed, "email"), "buckets", `${position}: a list by name, by the trigrams its values share`);
      assert.equal(await way("contains", company.slice(1, 3), "-created_at"), "scan", `${position}: two characters`);
      for (const sort of SORTS) {
        assert.equal(await way("eq", `${company} 0`, sort, probed), "seek", `${position} ${sort}: a company, past its probe or not`);
        assert.equal(await way("in", [`${company} 0`, `${company} 1`], sort, probed), "seek", `${position} ${sort}: a list of companies`);
      }
    }
  });
});
