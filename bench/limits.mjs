// The two heaviest requests against Cloudflare's per-request limits: a 25 MiB import of 10,000
// rows and the export of every customer (LIMITS_SCALE of them, default 100,000; 1,000,000 is
// heavy: a few minutes of seeding). For each: the wasm memory after it (`wasm_mib` of its log
// line; a fresh worker, so it is that request's peak), the D1 statements it sent, and the CPU
// time workerd's process used while it ran (/proc, all threads; the isolate runs nothing else).
//   node bench/limits.mjs            (make bench runs it after its own figures)
import { readFileSync } from "node:fs";
import { ADMIN_TOKEN, startWorker } from "../tests/harness.mjs";

const SCALE = Number(process.env.LIMITS_SCALE ?? 100_000);
const TICK_MS = 10; // USER_HZ is 100 on Linux

// Every process below this one whose name is workerd: Miniflare's runtime.
function workerdPids() {
  const children = (pid) => {
    try { return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; }
  };
  const found = [], queue = [process.pid];
  while (queue.length) {
    const pid = queue.shift();
    for (const c of children(pid)) {
      queue.push(c);
      try { if (readFileSync(`/proc/${c}/comm`, "utf8").trim() === "workerd") found.push(c); } catch { /* gone */ }
    }
  }
  return found;
}

function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch { /* gone */ }
  }
  return ticks * TICK_MS;
}

async function lineOf(w, requestId, route) {
  for (let i = 0; i < 200; i++) {
    const line = w.logs.map((l) => { try { return JSON.parse(l); } catch { return null; } })
      .find((l) => l?.request_id === requestId && (route === undefined || l.route === route));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 25));
  }
  return {};
}

// One request, measured: CPU of workerd from the call to the last byte of the answer.
async function measured(w, pids, method, path, body, headers = {}) {
  const before = cpuMs(pids), started = performance.now();
  const res = await w.mf.dispatchFetch(`http://localhost${path}`, {
    method, body, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } });
  let bytes = 0;
  for await (const chunk of res.body) bytes += chunk.length;
  const ms = performance.now() - started, cpu = cpuMs(pids) - before;
  return { res, ms, cpu, bytes, requestId: res.headers.get("x-request-id") };
}

function csvOf(rows, start, pad) {
  const lines = ["name,email,company,notes"];
  for (let i = start; i < start + rows; i++) lines.push(`Bench ${i},bench${i}@example.com,Company ${i % 97},${pad}`);
  return lines.join("\n") + "\n";
}

const w = await startWorker();
const pids = workerdPids();
const out = [];
try {
  // The 25 MiB file: 10,000 rows of about 2.6 KB (a long notes cell), on a fresh worker.
  const big = csvOf(10_000, 0, "n".repeat(2_560));
  const imp = await measured(w, pids, "POST", "/v1/customers/import", big, { "content-type": "text/csv" });
  if (imp.res.status !== 200) throw new Error(`25 MiB import answered ${imp.res.status}`);
  const impLine = await lineOf(w, imp.requestId);
  out.push({ request: `import of ${(big.length / 1048576).toFixed(1)} MiB, 10,000 rows`, wasm_mib: impLine.wasm_mib,
    d1_statements: impLine.d1_statements, cpu_ms: imp.cpu, wall_ms: Math.round(imp.ms) });

  // Seed the rest in 10,000-row files of ordinary size; the last of them is the 10,000-row import.
  let seeded = 10_000, small = null;
  while (seeded < SCALE) {
    const rows = Math.min(10_000, SCALE - seeded);
    small = await measured(w, pids, "POST", "/v1/customers/import", csvOf(rows, seeded, "x"), { "content-type": "text/csv" });
    if (small.res.status !== 200) throw new Error(`seed import answered ${small.res.status}`);
    seeded += rows;
  }
  if (small) {
    const line = await lineOf(w, small.requestId);
    out.push({ request: "import of 10,000 short rows", wasm_mib: line.wasm_mib, d1_statements: line.d1_statements,
      cpu_ms: small.cpu, wall_ms: Math.round(small.ms) });
  }

  const exp = await measured(w, pids, "GET", "/v1/customers/export?status=all");
  const end = await lineOf(w, exp.requestId, "export stream end");
  out.push({ request: `export of ${seeded.toLocaleString("en")} customers (${(exp.bytes / 1048576).toFixed(1)} MiB)`,
    wasm_mib: end.wasm_mib, d1_statements: end.d1_statements, cpu_ms: exp.cpu, wall_ms: Math.round(exp.ms) });
} finally {
  await w.dispose();
}
console.log("\nPer-request limits (Miniflare; wasm memory after the request, D1 statements, workerd CPU):");
console.log("| request | wasm MiB | D1 statements | CPU ms | wall ms |\n| --- | --- | --- | --- | --- |");
for (const r of out) console.log(`| ${r.request} | ${r.wasm_mib} | ${r.d1_statements} | ${r.cpu_ms} | ${r.wall_ms} |`);
