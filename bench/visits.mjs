// What the per-order indexes (migrations/0028) cost a burst of visits: public interactions of
// customers never seen before, each of which moves its customer into the newest bucket of
// last-seen order (the most a visit costs there: FTS5 deletes the old postings and writes the
// new), against the same visits with those indexes' triggers idle (`indexed_below` -1, as
// before the cron has built them). Rounds alternate between the two, each `visits` requests
// `concurrency` at a time to the compiled worker in workerd over a local D1 (one writer, as D1
// is); every visit is of another customer, so no round meets a row an earlier one moved.
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
const INDEXED_ALL = 2n ** 62n;

let next = 0; // the next bench customer to visit (bench/seed.mjs: user-<n>@example.com)
let ip = 0;
async function visit() {
  const n = next++;
  ip += 1;
  const started = performance.now();
  const res = await fetch(`${worker.url}/v1/public/interactions`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": `198.51.${(ip >> 8) & 255}.${ip & 255}` },
    body: JSON.stringify({ email: `user-${n}@example.com`, type: "chat_started", resource_id: "bench" }),
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`visit ${n}: ${res.status} ${text}`);
  return performance.now() - started;
}
async function round() {
  const times = [];
  const started = performance.now();
  let left = visits;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) times.push(await visit());
  }));
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { perSecond: visits / seconds, p50: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)] };
}
const setIndexed = (on) => worker.db.prepare(`UPDATE sorted_search SET indexed_below = ${on ? INDEXED_ALL : -1}`).run();

await round(); // warm-up, with the indexes: the wasm compiled, the caches filled
const sides = { indexed: [], idle: [] };
for (let r = 0; r < rounds; r++) {
  for (const side of r % 2 ? ["idle", "indexed"] : ["indexed", "idle"]) {
    await setIndexed(side === "indexed");
    const got = await round();
    sides[side].push(got);
    console.error(`[visits] round ${r + 1} ${side}: ${got.perSecond.toFixed(0)}/s, p50 ${got.p50.toFixed(1)} ms, p95 ${got.p95.toFixed(1)} ms`);
  }
}
await setIndexed(true);
const middle = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = [
  `${rows} customers; ${rounds} rounds each way of ${visits} visits, ${concurrency} at a time; medians over the rounds.`,
  "",
  "| per-order indexes | visits/s | p50 ms | p95 ms | visits/s, round by round |",
  "| --- | ---: | ---: | ---: | --- |",
];
for (const [side, got] of Object.entries(sides)) {
  lines.push(`| ${side} | ${middle(got.map((g) => g.perSecond)).toFixed(0)} | ${middle(got.map((g) => g.p50)).toFixed(1)} | ` +
    `${middle(got.map((g) => g.p95)).toFixed(1)} | ${got.map((g) => g.perSecond.toFixed(0)).join(", ")} |`);
}
console.log(lines.join("\n"));
if (out) writeFileSync(out, lines.join("\n") + "\n");
await worker.dispose();
process.exit(0);
