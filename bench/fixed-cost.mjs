// The fixed cost of a request: what a request costs before and around its SQL. Starts, each in
// its own workerd (Miniflare, as the tests run the worker), the built worker (src/entry.mjs with
// build/, static assets as wrangler.toml has them, 2,000 customers) and two JavaScript workers
// answering a constant: a plain module worker (alone, behind the assets asked first for every
// path, and behind them with its path in `run_worker_first`), and one shaped as worker-build's
// shim is (a `WorkerEntrypoint` class behind the shim's Proxies), to tell the shim's cost from
// the wasm's.
// Each endpoint gets `wrk -t1 -c8 -d<s>` in turn, the order rotating round by round; prints each
// one's median req/s over the rounds, the µs of machine time a request takes (1e6 / req/s), and
// the CPU time its workerd process spent a request (all of it: HTTP, the assets router, the
// worker), which the machine's other load moves less.
// The tests' harness serves ours behind the static assets as wrangler.toml has them (js-routed
// is the constant worker so), with the request log for errors only, as `make dev` runs it.
// Usage (after `make build`): node bench/fixed-cost.mjs [rounds=3] [seconds=5]
// FIXED_ONLY=name,name runs only those endpoints (js, js-assets, js-routed, js-shim,
// health, get, list).
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { startWorker, ADMIN_TOKEN, ASSETS } from "../tests/harness.mjs";

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);

const CONSTANT = `{"status":"ok"}`;
const plainJs = `export default { fetch() { return new Response(${JSON.stringify(CONSTANT)}, { headers: { "content-type": "application/json; charset=utf-8" } }); } };`;
// worker-build 0.8.7's shim (worker-build/src/js/shim.js), its handler answering a constant.
const shimmedJs = `
import { WorkerEntrypoint } from "cloudflare:workers";
const initState = { criticalError: false, instanceId: 0 };
function checkReinitialize() { if (initState.criticalError) { initState.criticalError = false; initState.instanceId++; } }
function handleMaybeCritical(e) { if (e instanceof WebAssembly.RuntimeError) initState.criticalError = true; }
class Entrypoint extends WorkerEntrypoint {}
Entrypoint.prototype.fetch = function fetch(request) { return handler.call(this, request, this.env, this.ctx); };
async function handler(request, env, ctx) {
  return new Response(${JSON.stringify(CONSTANT)}, { headers: { "content-type": "application/json; charset=utf-8" } });
}
const instanceProxyHooks = {
  set: (t, p, v, r) => Reflect.set(t.instance, p, v, r), has: (t, p) => Reflect.has(t.instance, p),
  deleteProperty: (t, p) => Reflect.deleteProperty(t.instance, p), apply: (t, a, args) => Reflect.apply(t.instance, a, args),
  construct: (t, args, n) => Reflect.construct(t.instance, args, n), getPrototypeOf: (t) => Reflect.getPrototypeOf(t.instance),
  setPrototypeOf: (t, p) => Reflect.setPrototypeOf(t.instance, p), isExtensible: (t) => Reflect.isExtensible(t.instance),
  preventExtensions: (t) => Reflect.preventExtensions(t.instance),
  getOwnPropertyDescriptor: (t, p) => Reflect.getOwnPropertyDescriptor(t.instance, p),
  defineProperty: (t, p, d) => Reflect.defineProperty(t.instance, p, d), ownKeys: (t) => Reflect.ownKeys(t.instance),
};
const classProxyHooks = {
  construct(ctor, args, newTarget) {
    checkReinitialize();
    const instance = { instance: Reflect.construct(ctor, args, newTarget), instanceId: initState.instanceId, ctor, args, newTarget };
    return new Proxy(instance, { ...instanceProxyHooks, get(target, prop, receiver) {
      if (target.instanceId !== initState.instanceId) { target.instance = Reflect.construct(target.ctor, target.args, target.newTarget); target.instanceId = initState.instanceId; }
      const original = Reflect.get(target.instance, prop, receiver);
      if (typeof original !== "function") return original;
      if (original.constructor === Function) {
        return new Proxy(original, { apply(target, thisArg, argArray) { checkReinitialize(); try { return target.apply(thisArg, argArray); } catch (e) { handleMaybeCritical(e); throw e; } } });
      }
      return new Proxy(original, { async apply(target, thisArg, argArray) { checkReinitialize(); try { return await target.apply(thisArg, argArray); } catch (e) { handleMaybeCritical(e); throw e; } } });
    } });
  },
};
const Shimmed = new Proxy(Entrypoint, classProxyHooks);
// As src/entry.mjs does: a class extending the shim's export.
export default class extends Shimmed { async fetch(request) { return await super.fetch(request); } }
`;

// `assets`: the console's static assets in front, asked first for every path (as before
// wrangler.toml's `run_worker_first`); `routed`: as wrangler.toml has them now, the path served
// ("/") among those that go to the worker first.
async function jsWorker(script, assets = false, routed = false) {
  const mf = new Miniflare({
    host: "127.0.0.1", port: 0, modules: true, script, compatibilityDate: "2026-04-01",
    ...(assets ? { assets: { ...ASSETS, routerConfig: { has_user_worker: true, ...(routed ? { static_routing: { user_worker: ["/"] } } : {}) } } } : {}),
  });
  return { mf, url: (await mf.ready).href.replace(/\/$/, "") };
}

// The workerd processes this script started (Miniflare runs one for each instance), so each
// endpoint's run also reads the CPU time its workerd spent: a figure the machine's other load
// moves far less than req/s.
const workerds = () => new Set(execFileSync("pgrep", ["-P", String(process.pid), "workerd"], { encoding: "utf8" }).split("\n").filter(Boolean));
let known = new Set();
function newWorkerd() {
  const now = workerds();
  const fresh = [...now].filter((pid) => !known.has(pid));
  known = now;
  if (fresh.length !== 1) throw new Error(`expected one new workerd, found ${fresh.length}`);
  return fresh[0];
}
// utime + stime of a process, in µs.
const cpuMicros = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
};

const only = process.env.FIXED_ONLY?.split(",");
const want = (name) => !only || only.includes(name.replace(/-base$/, ""));
const servers = [];
const endpoints = [];
if (want("js")) {
  const w = await jsWorker(plainJs);
  servers.push(w.mf);
  endpoints.push({ pid: newWorkerd(), name: "js", label: "JS module worker, constant", url: `${w.url}/` });
}
if (want("js-assets")) {
  const w = await jsWorker(plainJs, true);
  servers.push(w.mf);
  endpoints.push({ pid: newWorkerd(), name: "js-assets", label: "JS module worker, constant, behind static assets", url: `${w.url}/` });
}
if (want("js-routed")) {
  const w = await jsWorker(plainJs, true, true);
  servers.push(w.mf);
  endpoints.push({ pid: newWorkerd(), name: "js-routed", label: "JS module worker, constant, static assets, run_worker_first", url: `${w.url}/` });
}
if (want("js-shim")) {
  const w = await jsWorker(shimmedJs);
  servers.push(w.mf);
  endpoints.push({ pid: newWorkerd(), name: "js-shim", label: "JS, worker-build's shim and Proxies, constant", url: `${w.url}/` });
}
// FIXED_BASELINE=<dir>: also the worker of <dir>/src/entry.mjs with <dir>/build (a copy of an
// earlier state), its endpoints suffixed "-base", interleaved with the current one's.
const sides = [["", undefined]];
if (process.env.FIXED_BASELINE) sides.push(["-base", `${process.env.FIXED_BASELINE}/src/entry.mjs`]);
for (const [suffix, entry] of ["health", "get", "list"].some(want) ? sides : []) {
  // As `make dev` runs it: the request log for errors only (wrangler dev prints its own line).
  const ours = await startWorker({ entry, listen: true, vars: { REQUEST_LOG: "errors", ENABLE_TEST_ROUTES: "false" } });
  servers.push(ours.mf);
  const pid = newWorkerd();
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const csv = ["name,email,company"]
    .concat(Array.from({ length: 2000 }, (_, i) => `Fixed ${i},fixed-${i}@load.example,Co ${i % 50}`))
    .join("\n");
  const imported = await fetch(`${ours.url}/v1/customers/import`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv });
  if (!imported.ok) throw new Error(`import ${imported.status}: ${await imported.text()}`);
  const one = (await (await fetch(`${ours.url}/v1/customers?limit=1`, { headers: auth })).json()).data[0].id;
  const header = `Authorization: Bearer ${ADMIN_TOKEN}`;
  const base = suffix ? ` (${process.env.FIXED_BASELINE})` : "";
  endpoints.push({ pid, name: `health${suffix}`, label: `ours${base}, GET /health`, url: `${ours.url}/health` });
  endpoints.push({ pid, name: `get${suffix}`, label: `ours${base}, GET /v1/customers/:id`, url: `${ours.url}/v1/customers/${one}`, header });
  endpoints.push({ pid, name: `list${suffix}`, label: `ours${base}, GET /v1/customers?limit=20`, url: `${ours.url}/v1/customers?limit=20`, header });
}
const run = endpoints.filter((e) => want(e.name));

// wrk runs asynchronously: Miniflare's workerd calls back into this process (its loopback
// server), which a blocked event loop leaves unanswered until the workers' requests time out.
async function wrk(e, secs) {
  const args = ["-t1", "-c8", `-d${secs}s`, "--timeout", "10s"];
  if (e.header) args.push("-H", e.header);
  const cpuBefore = cpuMicros(e.pid);
  const { stdout: out } = await promisify(execFile)("wrk", [...args, e.url], { encoding: "utf8" });
  const cpu = cpuMicros(e.pid) - cpuBefore;
  if (/Non-2xx/.test(out)) throw new Error(`${e.name}: non-2xx answers\n${out}`);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), cpu: cpu / requests };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (const e of run) await wrk(e, 1); // warm-up
const results = new Map(run.map((e) => [e.name, []]));
for (let r = 0; r < rounds; r++) {
  const order = run.map((_, i) => run[(i + r) % run.length]);
  for (const e of order) results.get(e.name).push(await wrk(e, seconds));
  console.error(`round ${r + 1}: ${order.map((e) => `${e.name} ${results.get(e.name).at(-1).rps.toFixed(0)}/s ${results.get(e.name).at(-1).cpu.toFixed(0)} µs`).join(", ")}`);
}
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`| endpoint | req/s | µs a request (1e6 / req/s) | workerd CPU µs a request | req/s, round by round |`);
console.log("| --- | ---: | ---: | ---: | --- |");
for (const e of run) {
  const xs = results.get(e.name);
  const rps = median(xs.map((x) => x.rps));
  const cpu = median(xs.map((x) => x.cpu));
  console.log(`| ${e.label} | ${rps.toFixed(0)} | ${(1e6 / rps).toFixed(0)} | ${cpu.toFixed(0)} | ${xs.map((x) => x.rps.toFixed(0)).join(", ")} |`);
}
console.log(`\nwrk -t1 -c8 -d${seconds}s, medians of ${rounds} rounds, load average after: ${load}`);

await Promise.all(servers.map((s) => s.dispose()));
process.exit(0);
