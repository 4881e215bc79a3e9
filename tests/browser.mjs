// Browser tests of the admin console: playwright-core driving Debian's Chromium (/usr/bin/chromium,
// installed by scripts/setup.sh) against the built worker and its static assets, served by
// Miniflare on a loopback port with a fresh D1. Tests find things as a person does: by role and
// label. A failing task leaves a screenshot in tests/screenshots/ (git-ignored).
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { it } from "node:test";
import { chromium } from "playwright-core";
import { ADMIN_TOKEN, ROOT, startWorker } from "./harness.mjs";

export const SCREENSHOTS = join(ROOT, "tests/screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export async function startConsole(options = {}) {
  const worker = await startWorker({ ...options, listen: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  return { worker, browser, async close() { await browser.close(); await worker.dispose(); } };
}

// A new tab (its own sessionStorage) at /admin<hash> (the customer list unless `hash` says otherwise;
// the console itself opens on the dashboard), signed in unless `signIn` is false.
export async function openConsole(env, { hash = "#/customers", signIn = true, width = 1280, height = 900 } = {}) {
  const context = await env.browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error" && !/the server responded with a status of 4\d\d/.test(m.text())) page.errors.push(m.text()); });
  await page.goto(`${env.worker.url}/admin${hash}`);
  if (signIn) await signInAs(page, ADMIN_TOKEN);
  return page;
}

// openConsole, with the tab kept in a task's `pages` (screenshotted if the task fails, then closed).
export async function openTab(env, pages, options) {
  const page = await openConsole(env, options);
  pages.push(page);
  return page;
}

// A screenshot kept as tests/screenshots/<name>.png (the viewport unless `options` say otherwise).
export async function shot(page, name, options = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), ...options });
}

export async function signInAs(page, token) {
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

// it() that keeps a screenshot of every open page when the task fails.
export function task(name, fn, options = {}) {
  it(name, { timeout: 60_000, ...options }, async (t) => {
    const pages = [];
    try {
      await fn({ pages, t });
    } catch (err) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase().slice(0, 60);
      for (const [i, p] of pages.entries()) {
        await p.screenshot({ path: join(SCREENSHOTS, `${slug}-${i}.png`), fullPage: true }).catch(() => {});
      }
      throw err;
    } finally {
      for (const p of pages) await p.context().close().catch(() => {});
    }
  });
}

const require = createRequire(import.meta.url);
export const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// axe-core run in the page (evaluated through the DevTools protocol: the page's CSP rightly
// refuses an injected inline script); returns the serious and critical violations.
export async function axe(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return { violations: r.violations, rules: r.passes.length + r.violations.length + r.incomplete.length };
  });
  if (result.rules < 10) throw new Error(`axe-core ran only ${result.rules} rules`);
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

// Helpers every console test file uses.
export const tag = () => Math.random().toString(36).slice(2, 8);

// Polls `check` every `poll` ms until it gives something truthy, or fails naming `what` after `ms`.
export async function until(check, what, ms = 5000, poll = 50) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, poll));
  }
}

export const heading = (page, name) => page.getByRole("heading", { level: 1, name });
export const hashOf = (page) => decodeURIComponent(new URL(page.url()).hash.replace(/\+/g, " "));

// Presses `button` in the dialog titled `title` and waits for the dialog to close.
export async function confirmDialog(page, title, button) {
  const dialog = page.getByRole("dialog", { name: title });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: button, exact: true }).click();
  await dialog.waitFor({ state: "detached" });
  return dialog;
}
