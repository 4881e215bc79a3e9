// Bundles the admin console (console/src/) into console/dist/, which wrangler.toml's [assets]
// serves as Workers Static Assets: /admin (admin.html), /console/app.js and app.css, with the
// security and cache headers of console/_headers. Run by scripts/build.sh.
// The API's OpenAPI document (src/openapi.json) is copied there too and served the same way at
// /openapi.json: a static file costs the worker nothing and keeps 125 KB out of the wasm.
// The page names its files with their content hash in the query (app.js?v=<hash>): browsers may
// cache them for ever, and the file names stay the same, which a running `wrangler dev` needs
// (it re-reads changed files but does not learn of new ones).
// The customer portal (portal/src/, /portal) is bundled the same way beside it: portal.html and
// /portal-app/app.js and app.css (the console's stylesheet with the portal's few additions).
// `node console/build.mjs --watch` rebuilds on change (wrangler dev picks up the new files).
import { build, context } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, "dist");
const watch = process.argv.includes("--watch");

const PORTAL = join(HERE, "../portal");

const options = {
  entryPoints: { app: join(HERE, "src/main.js"), portal: join(PORTAL, "src/main.js") },
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: !watch,
  sourcemap: false,
  legalComments: "none",
  write: false,
  outdir: OUT,
  // Preact's debug checks are for development only.
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
};

const hash = (buf) => createHash("sha256").update(buf).digest("hex").slice(0, 12);

// The files first, the page that names them last; files of older builds are removed.
function emit(result) {
  mkdirSync(join(OUT, "console"), { recursive: true });
  const js = Buffer.from(result.outputFiles.find((f) => f.path.endsWith("app.js")).contents);
  const css = readFileSync(join(HERE, "src/style.css"));
  const jsName = "console/app.js";
  const cssName = "console/app.css";
  writeFileSync(join(OUT, jsName), js);
  writeFileSync(join(OUT, cssName), css);
  const html = readFileSync(join(HERE, "index.html"), "utf8")
    .replace("{{SCRIPT}}", `/${jsName}?v=${hash(js)}`)
    .replace("{{STYLE}}", `/${cssName}?v=${hash(css)}`);
  copyFileSync(join(HERE, "_headers"), join(OUT, "_headers"));
  copyFileSync(join(HERE, "../src/openapi.json"), join(OUT, "openapi.json"));
  writeFileSync(join(OUT, "admin.html"), html);
  for (const f of readdirSync(join(OUT, "console"))) if (![jsName, cssName].includes(`console/${f}`)) rmSync(join(OUT, "console", f));
  const portal = emitPortal(result, css);
  const sizes = [["admin.html", Buffer.from(html)], [jsName, js], [cssName, css], ...portal]
    .map(([n, b]) => ({ n, raw: b.length, gz: gzipSync(b, { level: 9 }).length }));
  const total = sizes.reduce((s, x) => s + x.gz, 0);
  console.log(`[console] ${sizes.map((s) => `${s.n} ${s.raw} B (${s.gz} B gz)`).join(", ")}; ${total} B gzipped in all`);
}

// The portal's page and files; answers their sizes for the build's line.
function emitPortal(result, consoleCss) {
  mkdirSync(join(OUT, "portal-app"), { recursive: true });
  const js = Buffer.from(result.outputFiles.find((f) => f.path.endsWith("portal.js")).contents);
  const css = Buffer.concat([consoleCss, readFileSync(join(PORTAL, "src/style.css"))]);
  writeFileSync(join(OUT, "portal-app/app.js"), js);
  writeFileSync(join(OUT, "portal-app/app.css"), css);
  const html = readFileSync(join(PORTAL, "index.html"), "utf8")
    .replace("{{SCRIPT}}", `/portal-app/app.js?v=${hash(js)}`)
    .replace("{{STYLE}}", `/portal-app/app.css?v=${hash(css)}`);
  writeFileSync(join(OUT, "portal.html"), html);
  return [["portal.html", Buffer.from(html)], ["portal-app/app.js", js], ["portal-app/app.css", css]];
}

if (watch) {
  const ctx = await context({
    ...options,
    plugins: [{ name: "emit", setup(b) { b.onEnd((r) => { if (!r.errors.length) emit(r); }); } }],
  });
  await ctx.watch();
} else {
  emit(await build(options));
}
