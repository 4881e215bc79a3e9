// What the per-order indexes (migrations/0028) cost a burst of visits, 8 at a time to the compiled
// worker in workerd over a local D1 (one writer, as D1 is), in rounds that alternate between the
// ways the indexes can be kept:
// - `seen`: the first visit of customers already there (an import's contacts): each moves its
//   customer into the newest bucket of last-seen order (FTS5 deletes the old postings and writes
//   the new), against the same visits with the indexes' triggers idle (`indexed_below` -1, as
//   before the cron has built them);
// - `new`: visits of people never seen, each creating a customer: `together`, as they are kept
//   (migrations/0031: the newest wait, and go in 64 at a time), against `one at a time` (the
//   mark past every seq: each customer into the three indexes in its own visit, as before 0031)
//   and idle.
// Each round's p99 and the slowest visit of all its rounds show what the visit that moves or
// adds 64 at once waits in a burst; new visitors one visit at a time then time that visit alone.
// Every visit is of another person. The rounds that leave the indexes idle leave them short of
// those customers: the database is the bench's own, thrown away after.
// Usage: node bench/visits.mjs [scale=100000] [rounds=4] [visits=400] [concurrency=8] [out.md]
import { writeFileSync } from "node:fs";
import { seededWorker } from "./seeded.mjs";

const scale = Number(process.argv[2] ?? 100000);
const rounds = Number(process.argv[3] ?? 4);
const visits = Number(process.argv[4] ?? 400);
const concurrency = Number(process.argv[5] ?? 8);
const out = process.argv[6];
if (rounds * 2 * visits > scale) throw new Error("more visits than bench customers to visit");
const { worker, rows } = await seededWorker(scale, "visits");

let next = 0; // the next bench customer to visit (bench/seed.mjs: user-<n>@example.com)
let stranger = 0; // the next person never seen
let ip = 0;
async function visit(kind) {
  // A bench customer already has a name, so a seen visit sends none; a stranger gives one.
  const person = kind === "seen"
    ? { email: `user-${next++}@example.com` }
    : { email: `stranger-${stranger}@visits.example`, name: `Stranger ${stranger++}` };
  ip += 1;
  const started = performance.now();
  const res = await fetch(`${worker.url}/v1/public/interactions`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": `198.51.${(ip >> 8) & 255}.${ip & 255}` },
    body: JSON.stringify({ ...person, type: "chat_started", resource_id: "bench" }),
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`visit ${person.email}: ${res.status} ${text}`);
  return performance.now() - started;
}
// The value at quantile `q` of times sorted ascending.
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
// The ways in the order round `r` takes them: each goes first in turn.
const rotated = (ways, r) => ways.map((_, i) => ways[(i + r) % ways.length]);
async function round(kind) {
  const times = [];
  const started = performance.now();
  let left = visits;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) times.push(await visit(kind));
  }));
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const at = (q) => quantile(times, q);
  return { perSecond: visits / seconds, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: times[times.length - 1] };
}
// The mark: past the newest customer (as kept), past every seq (each customer in at once), or idle.
const MARKS = {
  together: "(SELECT coalesce(max(seq), -1) + 1 FROM customers)",
  "one at a time": String(2n ** 62n),
  idle: "-1",
};
const setMark = (way) => worker.db.prepare(`UPDATE sorted_search SET indexed_below = ${MARKS[way]}`).run();

await round("seen"); // warm-up, with the indexes: the wasm compiled, the caches filled
const WAYS = { seen: ["together", "idle"], new: ["together", "one at a time", "idle"] };
const results = {};
for (const [kind, ways] of Object.entries(WAYS)) {
  for (let r = 0; r < rounds; r++) {
    for (const way of rotated(ways, r)) {
      await setMark(way);
      const got = await round(kind);
      (results[`${kind}: ${way}`] ??= []).push(got);
      console.error(`[visits] ${kind} round ${r + 1} ${way}: ${got.perSecond.toFixed(0)}/s, p50 ${got.p50.toFixed(1)} ms, ` +
        `p95 ${got.p95.toFixed(1)} ms, p99 ${got.p99.toFixed(1)} ms, max ${got.max.toFixed(1)} ms`);
    }
  }
}
// One visit at a time, of people never seen: the visit during which the mark moves is the one that
// adds the 64 waiting to the indexes; the others only wait. Beside them, the same visits with each
// customer added in its own visit (as before 0031) and with the indexes idle.
// A round starts with none waiting; the 65th visit adds the 64 before it, the 129th the next 64.
const SINGLE = 3 * 64;
const single = { "adds the 64 waiting": [], "waits": [], "one at a time": [], idle: [] };
const markNow = async () => String((await worker.db.prepare("SELECT indexed_below AS m FROM sorted_search").first()).m);
for (let r = 0; r < rounds; r++) {
  for (const way of rotated(WAYS.new, r)) {
    await setMark(way);
    for (let i = 0; i < SINGLE; i++) {
      // The mark is read around every way's visits alike, so what reading it costs the worker
      // (a D1 call from outside) falls on all of them.
      const before = await markNow();
      const ms = await visit("new");
      const moved = (await markNow()) !== before;
      if (way !== "together") single[way].push(ms);
      else single[moved ? "adds the 64 waiting" : "waits"].push(ms);
    }
  }
}
console.error(`[visits] one at a time: ${Object.entries(single).map(([k, v]) => `${k} ${v.length}`).join(", ")}`);
await setMark("together");
const middle = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = [
  `${rows} customers; ${rounds} rounds each way of ${visits} visits, ${concurrency} at a time; medians over the rounds.`,
  "",
  "| visits, per-order indexes | visits/s | p50 ms | p95 ms | p99 ms | max ms | visits/s, round by round |",
  "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
];
for (const [side, got] of Object.entries(results)) {
  lines.push(`| ${side} | ${middle(got.map((g) => g.perSecond)).toFixed(0)} | ${middle(got.map((g) => g.p50)).toFixed(1)} | ` +
    `${middle(got.map((g) => g.p95)).toFixed(1)} | ${middle(got.map((g) => g.p99)).toFixed(1)} | ` +
    `${Math.max(...got.map((g) => g.max)).toFixed(1)} | ${got.map((g) => g.perSecond.toFixed(0)).join(", ")} |`);
}
lines.push("", `New visitors one visit at a time (${rounds} rounds of ${SINGLE} visits each way):`, "",
  "| visit | visits | p50 ms | p95 ms | max ms |", "| --- | ---: | ---: | ---: | ---: |");
for (const [side, times] of Object.entries(single)) {
  const sorted = [...times].sort((a, b) => a - b);
  lines.push(`| ${side} | ${sorted.length} | ${quantile(sorted, 0.5).toFixed(1)} | ${quantile(sorted, 0.95).toFixed(1)} | ` +
    `${sorted[sorted.length - 1].toFixed(1)} |`);
}
console.log(lines.join("\n"));
if (out) writeFileSync(out, lines.join("\n") + "\n");
await worker.dispose();
process.exit(0);
