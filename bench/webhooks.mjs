// Webhook delivery lag against the dev server (`make dev`'s wrangler dev: local queues with
// wrangler.toml's consumer settings), for scripts/bench.sh. Local receivers on 127.0.0.1 (the
// server runs with ALLOW_LOCAL_WEBHOOKS=true): a healthy one answering 200 at once, one that
// hangs (never answers: the worker gives up after its 10 s timeout) and one answering 500.
// Customers are created at a steady rate; the lag of one event is the healthy receiver's arrival
// time minus the moment the create's answer came back (one clock: this process).
//   node bench/webhooks.mjs <base> <results.jsonl> [seconds=30]
// Appends `webhook_lag` lines: scenario, rate_per_min, sent, delivered, p50, p99, max (ms).
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

const [base, results, secondsArg] = process.argv.slice(2);
const SECONDS = Number(secondsArg ?? 30);
// After the last create, how long the deliveries may take to arrive before the rest count as lost.
const DRAIN_MS = 90_000;
const auth = { authorization: `Bearer ${process.env.BENCH_TOKEN ?? ""}`, "content-type": "application/json" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(method, path, body) {
  const res = await fetch(`${base}${path}`, { method, headers: auth, body: body && JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// One receiver; `behaviour`: "ok" (200), "fail" (500) or "hang" (never answers).
async function receiver(behaviour) {
  const arrivals = new Map(); // customer id -> first arrival (ms)
  const hanging = new Set();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      const at = Date.now();
      try {
        const id = JSON.parse(body).data?.customer_id;
        if (id && !arrivals.has(id)) arrivals.set(id, at);
      } catch { /* not an event */ }
      if (behaviour === "hang") { hanging.add(res); return; }
      res.writeHead(behaviour === "ok" ? 200 : 500);
      res.end();
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    arrivals,
    url: `http://127.0.0.1:${server.address().port}/hook`,
    close: () => { for (const r of hanging) r.destroy(); server.closeAllConnections?.(); return new Promise((ok) => server.close(ok)); },
  };
}

async function subscribe(r) {
  const res = await call("POST", "/v1/webhooks", { url: r.url, event_types: ["customer.created"] });
  if (res.status !== 201) throw new Error(`webhook create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);

async function scenario(name, ratePerMin, others) {
  const healthy = await receiver("ok");
  const extra = await Promise.all(others.map(receiver));
  const hooks = [await subscribe(healthy)];
  for (const r of extra) hooks.push(await subscribe(r));
  const committed = new Map();
  const every = 60_000 / ratePerMin;
  const started = Date.now();
  const inFlight = [];
  let errors = 0;
  for (let i = 0; Date.now() - started < SECONDS * 1000; i++) {
    const due = started + i * every;
    if (due > Date.now()) await sleep(due - Date.now());
    inFlight.push(call("POST", "/v1/customers", { name: `Hook bench ${name} ${i}` }).then((res) => {
      if (res.status === 201) committed.set(res.body.id, Date.now());
      else errors++;
    }, () => { errors++; }));
  }
  await Promise.all(inFlight);
  const end = Date.now() + DRAIN_MS;
  while (Date.now() < end && [...committed.keys()].some((id) => !healthy.arrivals.has(id))) await sleep(200);
  const lags = [...committed].filter(([id]) => healthy.arrivals.has(id)).map(([id, at]) => Math.max(0, healthy.arrivals.get(id) - at)).sort((a, b) => a - b);
  const line = { type: "webhook_lag", scenario: name, rate_per_min: ratePerMin, seconds: SECONDS, sent: committed.size, errors,
    delivered: lags.length, p50: pct(lags, 50), p99: pct(lags, 99), max: lags.at(-1) ?? null };
  appendFileSync(results, `${JSON.stringify(line)}\n`);
  process.stderr.write(`[bench] webhooks: ${name} at ${ratePerMin}/min: ${lags.length}/${committed.size} delivered, lag p50 ${line.p50} ms, p99 ${line.p99} ms, max ${line.max} ms\n`);
  for (const id of hooks) await call("DELETE", `/v1/webhooks/${id}`);
  await healthy.close();
  for (const r of extra) await r.close();
  // Messages of the deleted webhooks still on the queue are acknowledged unsent: let them go.
  await sleep(3000);
}

const runs = (process.env.BENCH_WEBHOOK_SCENARIOS ?? "alone:120,hang:120,fail:120,alone:1300,alone:2600").split(",");
for (const run of runs) {
  const [kind, rate] = run.split(":");
  const others = kind === "hang" ? ["hang"] : kind === "fail" ? ["fail"] : [];
  const name = kind === "hang" ? "with a hanging receiver" : kind === "fail" ? "with a receiver answering 500" : "healthy receiver alone";
  await scenario(name, Number(rate), others);
}
