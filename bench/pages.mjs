// What each page of the bench's position matrix costs at a scale, one request at a time: the
// median of sequential requests to the compiled worker in workerd (the tests' harness) over a
// local D1 seeded straight into its SQLite file (bench/seeded.mjs). Sequential requests measure
// each page's own latency, not throughput under load (`make bench` does that with wrk).
// Usage: node bench/pages.mjs <scale, e.g. 1000000> [requests per page = 7] [out.md]
// The rows are bench/seed.mjs's: SCALE bench rows between two blocks of SCALE/10 that match none
// of the bench rows' searches and filters (the oldest and the newest).
import { writeFileSync } from "node:fs";
import { ADMIN_TOKEN } from "../tests/harness.mjs";
import { seededWorker } from "./seeded.mjs";

const scale = Number(process.argv[2] ?? 100000);
const perPage = Number(process.argv[3] ?? 7);
const out = process.argv[4];
const { worker, rows } = await seededWorker(scale, "pages");
const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
async function timed(path, body) {
  const started = performance.now();
  const res = await fetch(worker.url + path, body ? { method: "POST", headers: auth, body } : { headers: auth });
  const data = await res.json();
  if (!res.ok) throw new Error(`${path} ${body ?? ""}: ${res.status} ${JSON.stringify(data)}`);
  return [performance.now() - started, data.data.length];
}
const middle = (times) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
// A page's median and the list page's, their requests alternating: the list page is the
// yardstick, and the machine's speed moves within a run (at 100,000, one run's pages all took
// half as long again as the run before it, the list page measured at its start only a fifth):
// paired request by request, a change of speed moves both sides of a ratio alike.
async function paired(path, body) {
  await timed(path, body);
  await timed(LIST);
  const times = [];
  const lists = [];
  let n = 0;
  for (let i = 0; i < perPage; i++) {
    const [ms, got] = await timed(path, body);
    times.push(ms);
    n = got;
    lists.push((await timed(LIST))[0]);
  }
  return [middle(times), middle(lists), n];
}

const SORTS = ["-created_at", "created_at", "-name", "name", "-email", "email", "-last_seen_at", "last_seen_at"];
const LIST = "/v1/customers?limit=50";
const pages = [["list, first page", LIST]];
for (const s of SORTS) {
  pages.push([`search newest only (q=import.test), sort=${s}`, `/v1/customers?q=import.test&sort=${s}&limit=50`]);
  pages.push([`search oldest only (q=archive.test), sort=${s}`, `/v1/customers?q=archive.test&sort=${s}&limit=50`]);
  pages.push([`search middle band (q=example.com), sort=${s}`, `/v1/customers?q=example.com&sort=${s}&limit=50`]);
  pages.push([`search spread 1.1% (q=company 42), sort=${s}`, `/v1/customers?q=company%2042&sort=${s}&limit=50`]);
}
const cond = (op, value, s) => JSON.stringify({ conditions: [{ field: "company", op, value }], sort: s, limit: 50 });
for (const s of SORTS) {
  pages.push([`filter newest only (company prefix acme), sort=${s}`, "/v1/customers/filter", cond("starts_with", "acme", s)]);
  pages.push([`filter oldest only (company prefix zeta), sort=${s}`, "/v1/customers/filter", cond("starts_with", "zeta", s)]);
  pages.push([`filter middle band (company prefix company), sort=${s}`, "/v1/customers/filter", cond("starts_with", "company", s)]);
  pages.push([`filter spread 0.1% (company eq Company 7), sort=${s}`, "/v1/customers/filter", cond("eq", "Company 7", s)]);
  // Fifty companies of a block (a list holds at most 50): half its customers, at least the
  // probe's cap (5,000).
  const fifty = (word) => Array.from({ length: 50 }, (_, i) => `${word} ${i}`);
  pages.push([`filter newest only (company in Acme 0 to 49), sort=${s}`, "/v1/customers/filter", cond("in", fifty("Acme"), s)]);
  pages.push([`filter oldest only (company in Zeta 0 to 49), sort=${s}`, "/v1/customers/filter", cond("in", fifty("Zeta"), s)]);
}
await timed(LIST); // warms the caches a fresh database starts without
const measured = [];
for (const [name, path, body] of pages) {
  try {
    const [ms, list, n] = await paired(path, body);
    measured.push([name, ms, list, n]);
    console.log(`| ${name} | ${ms.toFixed(1)} | ${list.toFixed(1)} | ${(ms / list).toFixed(2)} | ${n} |`);
  } catch (err) {
    measured.push([name, null, null, String(err.cause?.code ?? err.message).slice(0, 60)]);
  }
}
const lists = middle(measured.filter(([, ms]) => ms !== null).map(([, , list]) => list));
const lines = [
  `List page: median ${lists.toFixed(1)} ms over the run (each page's ratio is to the list page timed beside it).`,
  "",
  `| page (${rows} customers) | median ms | list page ms beside it | × list page | rows |`,
  "| --- | ---: | ---: | ---: | ---: |",
];
for (const [name, ms, list, n] of measured) {
  lines.push(ms === null ? `| ${name} | failed: ${n} | | | |` : `| ${name} | ${ms.toFixed(1)} | ${list.toFixed(1)} | ${(ms / list).toFixed(2)} | ${n} |`);
}
console.log(lines.join("\n"));
if (out) writeFileSync(out, lines.join("\n") + "\n");
await worker.dispose();
process.exit(0);
