// Clients generated from the served /openapi.json, as an integrator makes them (README, "Generate a
// client"): openapi-python-client, and openapi-typescript for openapi-fetch. Both must generate
// without a single warning; every generated Python module must import; a TypeScript program
// using the types must pass `tsc --strict`; and a smoke script per client (tests/clients/smoke.py,
// smoke.ts) runs the first tasks of an integration against the worker. Run by scripts/clients.sh,
// which installs the pinned Python generator first (`make e2e` calls it); generated code goes to
// build/clients/ (git-ignored).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import ts from "typescript";
import { ADMIN_TOKEN, ROOT, startWorker } from "../harness.mjs";

const OUT = join(ROOT, "build/clients");
const DOC = join(OUT, "openapi.json");
const PY_OUT = join(OUT, "python");
const PY_PACKAGE = join(PY_OUT, "customers_client");
const TS_OUT = join(OUT, "ts");
const VENV_BIN = join(process.env.CLIENTS_VENV ?? join(ROOT, ".venv-clients"), "bin");
const BIN = join(ROOT, "node_modules/.bin");

function run(command, args, options = {}) {
  const res = spawnSync(command, args, { encoding: "utf8", timeout: 300_000, ...options });
  assert.ifError(res.error);
  const output = `${res.stdout}${res.stderr}`;
  assert.equal(res.status, 0, `${command} ${args.join(" ")} exited ${res.status}:\n${output}`);
  return output;
}

/** The lines of a generator's output that are not its own progress lines. */
function unexpectedLines(output, expected) {
  return output.split("\n").map((l) => l.trim()).filter((l) => l && !expected.some((re) => re.test(l)));
}

let w;
before(async () => {
  w = await startWorker({ listen: true });
  // Through the worker's own dispatch: a pooled connection of this process's fetch would sit idle
  // while the Python client works, and the worker closes idle connections.
  const res = await w.get("/openapi.json", { token: null });
  assert.equal(res.status, 200);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(DOC, res.text);
});
after(async () => { await w?.dispose(); });

describe("openapi-python-client", () => {
  it("generates the client from the served document without a warning", () => {
    const output = run(join(VENV_BIN, "openapi-python-client"), [
      "generate", "--path", DOC, "--output-path", PY_PACKAGE, "--meta", "none", "--overwrite",
    ], { env: { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH}` } });
    // Anything but its progress line is a warning (unsupported content types, skipped
    // operations, a missing formatter, ...).
    assert.deepEqual(unexpectedLines(output, [/^Generating /]), []);
  });

  it("imports every generated module", () => {
    const modules = [];
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== "__pycache__") walk(path);
        else if (entry.name.endsWith(".py")) modules.push(relative(PY_OUT, path).replace(/\.py$/, "").replace(/\/__init__$/, "").replaceAll("/", "."));
      }
    };
    walk(PY_PACKAGE);
    assert.ok(modules.length > 100, `only ${modules.length} modules`);
    const script = `import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\nprint(len(sys.argv) - 1)`;
    const output = run(join(VENV_BIN, "python"), ["-W", "error", "-c", script, ...modules], { env: { ...process.env, PYTHONPATH: PY_OUT } });
    assert.equal(output.trim(), String(modules.length));
  });

  it("runs the smoke script against the worker", () => {
    const output = run(join(VENV_BIN, "python"), [join(ROOT, "tests/clients/smoke.py"), w.url, ADMIN_TOKEN], {
      env: { ...process.env, PYTHONPATH: PY_OUT },
    });
    assert.match(output, /ok - export as text/);
  });
});

describe("openapi-typescript with openapi-fetch", () => {
  it("generates the types from the served document without a warning", () => {
    mkdirSync(TS_OUT, { recursive: true });
    const output = run(join(BIN, "openapi-typescript"), [DOC, "--output", join(TS_OUT, "schema.d.ts")], { env: { ...process.env, FORCE_COLOR: "0" } });
    assert.deepEqual(unexpectedLines(output, [/^✨ openapi-typescript /, /^🚀 .* → .*schema\.d\.ts/]), []);
  });

  it("typechecks a program using them with --strict", () => {
    copyFileSync(join(ROOT, "tests/clients/smoke.ts"), join(TS_OUT, "smoke.ts"));
    run(join(BIN, "tsc"), [
      "--strict", "--noEmit", "--target", "es2022", "--lib", "es2022,dom", "--module", "esnext", "--moduleResolution", "bundler",
      "--skipLibCheck", "false", join(TS_OUT, "smoke.ts"),
    ]);
  });

  it("runs the smoke program against the worker", async () => {
    const source = ts.transpileModule(ts.sys.readFile(join(TS_OUT, "smoke.ts")), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const file = join(TS_OUT, "smoke.mjs");
    writeFileSync(file, source);
    const { smoke } = await import(pathToFileURL(file).href);
    const done = await smoke(w.url, ADMIN_TOKEN).catch((e) => { throw new Error(`${e.message}: ${e.cause?.message ?? ""}`, { cause: e }); });
    assert.ok(done.includes("export as text"), done.join(", "));
  });
});
