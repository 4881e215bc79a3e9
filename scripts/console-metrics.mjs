// What the admin console costs a browser: bytes transferred (as the server compressed them) and
// the time until the customer list is interactive (the console's `list-interactive` mark), over
// fresh tabs with nothing cached. Against a running server, e.g. `make dev`:
//   node scripts/console-metrics.mjs [http://127.0.0.1:8787] [runs=8]   (token from .dev.vars)
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.argv[2] || "http://127.0.0.1:8787";
const runs = Number(process.argv[3] || 8);
const token = process.env.TOKEN || /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(new URL("../.dev.vars", import.meta.url), "utf8"))[1].trim();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const times = [];
let transfer;
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const urls = {};
  const sizes = [];
  cdp.on("Network.responseReceived", (e) => { urls[e.requestId] = new URL(e.response.url).pathname; });
  cdp.on("Network.loadingFinished", (e) => { sizes.push([urls[e.requestId], e.encodedDataLength]); });
  await page.addInitScript((t) => sessionStorage.setItem("customers-admin-token", t), token);
  await page.goto(`${base}/admin#/customers`, { waitUntil: "commit" });
  await page.getByRole("tabpanel").getByRole("link").first().waitFor();
  times.push(await page.evaluate(() => performance.getEntriesByName("list-interactive")[0].startTime));
  await page.waitForLoadState("networkidle");
  transfer = sizes;
  await context.close();
}
await browser.close();
const page = transfer.filter(([p]) => p === "/admin" || p.startsWith("/console/"));
const sum = (xs) => xs.reduce((s, [, n]) => s + n, 0);
for (const [p, n] of transfer) console.log(`${String(n).padStart(7)} B  ${p}`);
console.log(`console files: ${sum(page)} B transferred (headers included); API answers: ${sum(transfer) - sum(page)} B`);
const sorted = [...times].sort((a, b) => a - b);
console.log(`list interactive (ms): ${times.map((t) => t.toFixed(0)).join(", ")}; median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)}`);
