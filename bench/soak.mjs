// A long-running server's drift: the same mix of requests in rounds against one worker instance,
// printing each round's throughput and the wasm memory the worker's log lines report. A server
// whose memory only grows, or whose per-request work grows with its age, shows it here.
// Usage: [SOAK_MIX=mixed|health|get|list] node bench/soak.mjs [rounds=10] [requests per round=2000]
import { execSync } from "node:child_process";
import { startWorker, ADMIN_TOKEN } from "../tests/harness.mjs";

const rounds = Number(process.argv[2] ?? 10);
const perRound = Number(process.argv[3] ?? 2000);
const worker = await startWorker({ listen: true });
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const csv = ["name,email,company"]
  .concat(Array.from({ length: 5000 }, (_, i) => `Soak ${i} ${["alpha", "beta", "gamma"][i % 3]},soak-${i}@load.example,Co ${i % 50}`))
  .join("\n");
const imported = await fetch(`${worker.url}/v1/customers/import`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv });
if (!imported.ok) throw new Error(`import ${imported.status}: ${await imported.text()}`);
const one = (await (await fetch(`${worker.url}/v1/customers?limit=1`, { headers: auth })).json()).data[0].id;
const mixes = {
  mixed: ["/health", "/v1/customers", `/v1/customers/${one}`, "/v1/customers?q=gamma", "/v1/customers?q=soak-42", "/v1/customers?sort=name&q=beta"],
  health: ["/health"],
  get: [`/v1/customers/${one}`],
  list: ["/v1/customers"],
};
const paths = mixes[process.env.SOAK_MIX ?? "mixed"];
const mib = () => {
  for (let i = worker.logs.length - 1; i >= 0; i--) {
    const m = /"wasm_mib":(\d+)/.exec(worker.logs[i]);
    if (m) return Number(m[1]);
  }
  return null;
};
// The resident memory of this run's workerd (a child of this process), in MiB.
const workerdMib = () => {
  const pid = execSync(`pgrep -n -P ${process.pid} workerd || true`).toString().trim();
  return pid ? (Number(execSync(`ps -o rss= -p ${pid}`).toString()) / 1024).toFixed(0) : "?";
};
console.log("round\treq/s\twasm_mib\tworkerd_rss_mib");
for (let r = 1; r <= rounds; r++) {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < perRound) {
      const path = paths[next++ % paths.length];
      const res = await fetch(worker.url + path, { headers: auth });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${path}: ${res.status}`);
    }
  }));
  const rate = perRound / ((performance.now() - started) / 1000);
  worker.logs.splice(0, Math.max(0, worker.logs.length - 50));
  console.log(`${r}\t${rate.toFixed(0)}\t${mib()}\t${workerdMib()}`);
}
await worker.dispose?.();
process.exit(0);
