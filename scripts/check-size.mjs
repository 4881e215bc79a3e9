// Fails the test run when the shipped wasm outgrows its budget (see README, "Size budget").
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

// Just above the 725.5 KiB raw / 298.5 KiB gzipped measured when set (issue 13 asks for at most
// 300 KB gzipped): growth is a decision, not a drift.
const BUDGET_RAW = 728 * 1024;
const BUDGET_GZIP = 299 * 1024;
const wasm = readFileSync(new URL("../build/index_bg.wasm", import.meta.url));
const gz = gzipSync(wasm, { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`wasm size: ${kib(wasm.length)} raw, ${kib(gz)} gzipped (budget ${kib(BUDGET_RAW)} / ${kib(BUDGET_GZIP)})`);
if (wasm.length > BUDGET_RAW || gz > BUDGET_GZIP) {
  console.error("wasm size budget exceeded");
  process.exit(1);
}
