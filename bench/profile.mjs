// Where a request's time goes inside the worker: a CPU profile of the worker's isolate (the
// DevTools protocol's Profiler.start/stop over workerd's inspector) while wrk loads one endpoint,
// summarised as self time by function, heaviest first, and as µs per request.
// Usage (after `make build`): node bench/profile.mjs [health|get|list] [seconds=5] [top=40]
// PROFILE_OUT=<file.cpuprofile> also writes the whole profile (Chrome DevTools opens it).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import WebSocket from "ws";
import { startWorker, ADMIN_TOKEN } from "../tests/harness.mjs";

const which = process.argv[2] ?? "health";
const seconds = Number(process.argv[3] ?? 5);
const top = Number(process.argv[4] ?? 40);
const inspectorPort = 9300 + Math.floor(Math.random() * 500);
const worker = await startWorker({ listen: true, inspectorPort, vars: { REQUEST_LOG: "errors", ENABLE_TEST_ROUTES: "false" } });
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const csv = ["name,email,company"].concat(Array.from({ length: 2000 }, (_, i) => `Fixed ${i},fixed-${i}@load.example,Co ${i % 50}`)).join("\n");
const imported = await fetch(`${worker.url}/v1/customers/import`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv });
if (!imported.ok) throw new Error(`import ${imported.status}`);
const one = (await (await fetch(`${worker.url}/v1/customers?limit=1`, { headers: auth })).json()).data[0].id;
const path = { health: "/health", get: `/v1/customers/${one}`, list: "/v1/customers?limit=20" }[which];

const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { headers: { origin: "http://localhost" } });
await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
let nextId = 1;
const pending = new Map();
ws.on("message", (data) => {
  const msg = JSON.parse(data);
  if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
});
const send = (method, params = {}) => new Promise((resolve) => {
  const id = nextId++;
  pending.set(id, resolve);
  ws.send(JSON.stringify({ id, method, params }));
});

// Asynchronously: Miniflare's workerd calls back into this process, whose event loop must run.
const wrk = async (secs) => (await promisify(execFile)("wrk", ["-t1", "-c8", `-d${secs}s`, "-H", `Authorization: Bearer ${ADMIN_TOKEN}`, worker.url + path], { encoding: "utf8" })).stdout;
await wrk(1);
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: Number(process.env.PROFILE_INTERVAL_US ?? 250) });
await send("Profiler.start");
const out = await wrk(seconds);
const { result } = await send("Profiler.stop");
const requests = Number(/(\d+) requests in/.exec(out)[1]);
if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(result.profile));

// Self time by function: each sample's node, time deltas in µs.
const { nodes, samples, timeDeltas } = result.profile;
const byId = new Map(nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
samples.forEach((id, i) => {
  const n = byId.get(id);
  const f = n.callFrame;
  const key = `${f.functionName || "(anonymous)"} ${f.url ? f.url.split("/").pop() : ""}:${f.lineNumber}:${f.columnNumber}`;
  const dt = timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const idle = [...self].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, v]) => a + v, 0);
console.log(`${which}: ${requests} requests in ${seconds} s; profile ${(total / 1e3).toFixed(0)} ms, idle ${(idle / 1e3).toFixed(0)} ms`);
console.log(`busy µs a request in the isolate: ${((total - idle) / requests).toFixed(1)}`);
console.log("self µs/request  share  function");
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${(v / requests).toFixed(2).padStart(8)}  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}
ws.close();
await worker.mf.dispose();
process.exit(0);
