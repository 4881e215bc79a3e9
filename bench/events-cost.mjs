// What a change pays for its event (issue 17): the same built worker in Miniflare, with the
// outbox's triggers dropped ("without") and as shipped with the webhooks queue bound and no
// webhook subscribed ("with"), timed on creates and on 10,000-row imports, the two runs
// interleaved so the shared machine's noise falls on both. Loopback only, bounded, stops by itself.
//   node bench/events-cost.mjs [creates=300] [imports=3]
import { startWorker } from "../tests/harness.mjs";

const CREATES = Number(process.argv[2] ?? 300);
const IMPORTS = Number(process.argv[3] ?? 3);
const ROUNDS = 3;

function csv(tag) {
  const lines = ["name,email,company"];
  for (let i = 0; i < 10000; i++) lines.push(`Bench ${tag} ${i},bench-${tag}-${i}@example.com,Company ${i % 100}`);
  return `${lines.join("\n")}\n`;
}

async function start(withEvents) {
  const w = await startWorker({ queues: withEvents });
  if (!withEvents) {
    await w.db.prepare("DROP TRIGGER events_from_audit").run();
    await w.db.prepare("DROP TRIGGER events_from_interactions").run();
  }
  for (let i = 0; i < 30; i++) await w.post("/v1/customers", { name: `Warm ${i}` });
  return w;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { without: { create: [], import: [] }, with: { create: [], import: [] } };
const workers = { without: await start(false), with: await start(true) };
let tag = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 ? ["with", "without"] : ["without", "with"]) {
    const w = workers[name];
    for (let i = 0; i < CREATES / ROUNDS; i++) {
      const t = performance.now();
      const res = await w.post("/v1/customers", { name: `Bench ${name} ${round} ${i}`, email: `c-${name}-${round}-${i}@example.com` });
      results[name].create.push(performance.now() - t);
      if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
    }
    for (let i = 0; i < Math.ceil(IMPORTS / ROUNDS); i++) {
      const body = csv(`${name}${++tag}`);
      const t = performance.now();
      const res = await w.importCsv(body, "?mode=create&atomic=true");
      results[name].import.push(performance.now() - t);
      if (res.status !== 200 || res.body.created !== 10000) throw new Error(`import: ${res.status} ${res.text.slice(0, 300)}`);
    }
  }
}
const events = (await workers.with.get("/v1/events?type=import.completed&limit=100")).body.data.length;
for (const w of Object.values(workers)) await w.dispose();
const fmt = (n) => n.toFixed(2);
const row = (what, a, b) => `| ${what} | ${fmt(a)} | ${fmt(b)} | ${((b / a - 1) * 100).toFixed(1)}% |`;
const c0 = median(results.without.create), c1 = median(results.with.create);
const i0 = median(results.without.import), i1 = median(results.with.import);
console.log(`| median ms | without events | with events | cost |\n| --- | ---: | ---: | ---: |`);
console.log(row(`create (${results.with.create.length} each)`, c0, c1));
console.log(row(`import of 10,000 rows (${results.with.import.length} each)`, i0, i1));
console.log(`(import.completed events written: ${events})`);
