// The README path itself: `make dev`'s script migrates a local D1 and serves with wrangler dev.
// Runs on another port with a throw-away database so a developer's own `make dev` is untouched.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { ROOT } from "./harness.mjs";

const PORT = 8799;
const persist = mkdtempSync(join(tmpdir(), "customers-smoke-"));
const dev = spawn("bash", ["scripts/dev.sh"], {
  cwd: ROOT,
  env: { ...process.env, PORT: String(PORT), PERSIST_TO: persist },
  detached: true,
  stdio: ["ignore", "pipe", "pipe"],
});
let output = "";
dev.stdout.on("data", (d) => (output += d));
dev.stderr.on("data", (d) => (output += d));

after(() => {
  try { process.kill(-dev.pid, "SIGTERM"); } catch {}
  rmSync(persist, { recursive: true, force: true });
});

async function waitForHealth(deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://127.0.0.1:${PORT}/health`);
      if (res.ok) return res;
    } catch {}
    if (dev.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`dev server did not come up:\n${output.slice(-3000)}`);
}

it("make dev's script serves /health and a migrated D1 on 127.0.0.1", { timeout: 240_000 }, async () => {
  const health = await waitForHealth(230_000);
  assert.deepEqual(await health.json(), { status: "ok" });

  const token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(ROOT, ".dev.vars"), "utf8"))[1].trim();
  const res = await fetch(`http://127.0.0.1:${PORT}/v1/customers`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Smoke Test" }),
  });
  assert.equal(res.status, 201, await res.text());
});

it("make dev serves the admin console as static assets, with its CSP, script and stylesheet", { timeout: 240_000 }, async () => {
  await waitForHealth(230_000);
  const page = await fetch(`http://127.0.0.1:${PORT}/admin`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  const csp = page.headers.get("content-security-policy") || "";
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  const html = await page.text();
  for (const path of [/src="([^"]+\.js\?v=\w+)"/.exec(html)[1], /href="([^"]+\.css\?v=\w+)"/.exec(html)[1]]) {
    const res = await fetch(`http://127.0.0.1:${PORT}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
  }
});
