// Fails the test run when the shipped wasm outgrows its budget (see docs/development.md, "Size budget").
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

// Just above the 840.7 KiB raw / 343.7 KiB gzipped measured with everything merged on 2026-12-06
// (the customer portal added about 64 KiB raw and 24 KiB gzipped; the webhook recovery and slow
// queue, the dashboard's stats and the config module the rest). The goal was near 300 KiB
// gzipped, for short cold starts; Cloudflare's own limit (64 MiB) is far above. Growth is a
// decision, not a drift: the next size pass starts from here. Raised to 856 KiB raw for 853.5
// measured (gzipped unchanged, 348.7): the import's in-place reader and chunk staging, the
// search walks that seek within ties and the far step. Raised to 860 / 352 KiB for 859.2 / 351.1
// measured: search signatures and the walk on to the page (about 3 KiB), the per-request work
// cut from the fixed cost of a request (0.7 KiB). Raised to 862 KiB raw for 861.4 measured
// (gzipped 351.8): filters that stream in creation order or walk by their signature (1.8 KiB),
// column names made once per isolate (0.4 KiB). Raised to 865 / 353 KiB for 864.1 / 352.7
// measured: lists of values (`in`) walked by the bits their values share (2.7 KiB raw). Raised
// to 882 / 360 KiB for 881.5 / 359.8 measured: the per-order trigram indexes read bucket by
// bucket, and the cron that numbers, builds and splits their buckets (16 KiB raw, 7 gzipped:
// the statements are long text, and their builders format it). Raised to 883 / 361 KiB for
// 882.3 / 360.2 measured: a company's equality read as one seek of its index in every order
// (0.5 KiB raw, 0.2 gzipped). Raised to 886 / 362 KiB for 885.1 / 361.6 measured: a list of
// companies read as a merge of one seek per company (2.0 KiB raw, 0.9 gzipped), and the route
// table saying which requests only read. Raised to 887 / 363 KiB for 886.2 / 362.0 measured:
// pages that read the newest customers beside the buckets, and the cron that adds them (0.6 KiB
// raw, 0.3 gzipped). Raised to 889 KiB raw for 888.9 measured (gzipped 362.8): the moves of
// last-seen order made 64 at a time, read beside the buckets and by the cron (2.7 KiB raw).
const BUDGET_RAW = 889 * 1024;
const BUDGET_GZIP = 363 * 1024;
const wasm = readFileSync(new URL("../build/index_bg.wasm", import.meta.url));
const gz = gzipSync(wasm, { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`wasm size: ${kib(wasm.length)} raw, ${kib(gz)} gzipped (budget ${kib(BUDGET_RAW)} / ${kib(BUDGET_GZIP)})`);
if (wasm.length > BUDGET_RAW || gz > BUDGET_GZIP) {
  console.error("wasm size budget exceeded");
  process.exit(1);
}

// The console's budget: the page, its script and its stylesheet as console/build.mjs writes them,
// gzipped (level 9). 46.1 KiB measured with the dashboard, the timeline, the column chooser and the
// filter chips (38.9 KiB before them).
const CONSOLE_BUDGET_GZIP = 48 * 1024;
const consoleGz = ["admin.html", "console/app.js", "console/app.css"]
  .map((f) => gzipSync(readFileSync(new URL(`../console/dist/${f}`, import.meta.url)), { level: 9 }).length)
  .reduce((a, b) => a + b, 0);
console.log(`console size: ${kib(consoleGz)} gzipped (budget ${kib(CONSOLE_BUDGET_GZIP)})`);
if (consoleGz > CONSOLE_BUDGET_GZIP) {
  console.error("console size budget exceeded");
  process.exit(1);
}
