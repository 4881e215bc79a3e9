// The JSON and HTTP half of scripts/bench.sh (bash has no JSON; no jq here). Subcommands:
//   import <base> <csv-dir>        POST each part-*.csv to the import endpoint, print a JSON summary
//   walk <base> <rows>             page the list with limit=100 until <rows> rows are behind us
//   count <base>                   live customers (include_total=true)
//   get <json-file> <key>          print one top-level value of a JSON file (empty if absent)
//   wrk <file> <results> k=v ...   parse a `wrk --latency` report, append it to <results>
//   rec <results> <type> k=v ...   append one result line (JSON) to <results>
//   report <results> <out.md>      print the final table and write it to <out.md>
// The admin token comes from BENCH_TOKEN. Every request is bounded by a timeout.
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const token = process.env.BENCH_TOKEN ?? "";
const auth = { authorization: `Bearer ${token}` };

async function request(url, init = {}, timeoutMs = 120_000) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

async function bodyOf(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text.slice(0, 300) };
  }
}

function errorText(status, body) {
  const e = body?.error;
  return e ? `HTTP ${status} ${e.code}: ${e.message}` : `HTTP ${status} ${body?.raw ?? ""}`.trim();
}

async function importAll(base, dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".csv")).sort();
  const out = { status: "ok", files: [], imported_files: 0, rows: 0, ms: 0 };
  const deadline = performance.now() + Number(process.env.BENCH_IMPORT_DEADLINE_MS ?? 240_000);
  // Warm-up, not counted: a dry run of the first file, so the figures below are of a worker whose
  // wasm is compiled and optimised like one that has served for a while. Its time is shown apart.
  if (files.length) {
    try {
      const t0 = performance.now();
      const res = await request(`${base}/v1/customers/import?mode=create&dry_run=true`, {
        method: "POST",
        headers: { ...auth, "content-type": "text/csv" },
        body: readFileSync(join(dir, files[0])),
      });
      await bodyOf(res);
      if (res.ok) out.warmup_ms = Math.round(performance.now() - t0);
    } catch {
      // the counted run below reports what is wrong
    }
  }
  for (const f of files) {
    if (performance.now() > deadline) {
      out.status = "failed";
      out.message = `too slow: stopped before ${f} at the import deadline`;
      break;
    }
    const csv = readFileSync(join(dir, f));
    const rows = csv.toString("utf8").trimEnd().split("\n").length - 1;
    const t0 = performance.now();
    let res;
    try {
      res = await request(`${base}/v1/customers/import?mode=create&atomic=true`, {
        method: "POST",
        headers: { ...auth, "content-type": "text/csv" },
        body: csv,
      });
    } catch (e) {
      out.status = "failed";
      out.message = `${f}: ${e.message}`;
      break;
    }
    const body = await bodyOf(res);
    const ms = performance.now() - t0;
    // 404: no such route; 405: only the /v1/customers/{id} pattern matched. Either way: absent.
    if (out.imported_files === 0 && (res.status === 404 || res.status === 405)) {
      out.status = "missing";
      out.message = errorText(res.status, body);
      break;
    }
    if (!res.ok || body.created !== rows) {
      out.status = "failed";
      const failed = (body.rows ?? []).filter((r) => r.status === "failed").slice(0, 2);
      out.message = `${f}: ${errorText(res.status, body)} created=${body.created} failed=${body.failed}` +
        (failed.length ? ` e.g. ${JSON.stringify(failed)}` : "");
      break;
    }
    out.files.push({ file: f, rows, ms: Math.round(ms), rows_per_s: Math.round((rows / ms) * 1000) });
    out.imported_files += 1;
    out.rows += rows;
    out.ms += ms;
  }
  out.ms = Math.round(out.ms);
  out.rows_per_s = out.rows ? Math.round((out.rows / out.ms) * 1000) : null;
  const rates = out.files.map((f) => f.rows_per_s).sort((a, b) => a - b);
  out.median_file_rows_per_s = rates.length ? rates[rates.length >> 1] : null;
  console.log(JSON.stringify(out));
}

async function waitHealthy(base, maxMs) {
  const until = performance.now() + maxMs;
  while (performance.now() < until) {
    try {
      const res = await request(`${base}/health`, {}, 2_000);
      if (res.ok) return true;
    } catch {
      // not answering yet
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

// Pages through the list until `target` rows are behind; prints the cursor there and the last
// id seen. A page that fails (wrangler dev reloading after someone edited src/) is retried once
// the server answers /health again; the walk gives up after `deadlineMs` and prints what it has.
async function walk(base, target, deadlineMs = 220_000) {
  let cursor = null;
  let seen = 0;
  let pages = 0;
  let lastId = null;
  let error = null;
  const t0 = performance.now();
  walking: while (seen < target) {
    const url = `${base}/v1/customers?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    let body;
    for (let attempt = 1; ; attempt++) {
      let problem;
      try {
        const res = await request(url, { headers: auth }, 30_000);
        body = await bodyOf(res);
        if (res.ok) break;
        problem = errorText(res.status, body);
      } catch (e) {
        problem = e.message;
      }
      const left = t0 + deadlineMs - performance.now();
      if (attempt >= 4 || left < 5_000) {
        error = `page ${pages + 1}: ${problem}`;
        break walking;
      }
      console.error(`[bench] walk page ${pages + 1} failed (${problem}); retrying when /health answers`);
      await waitHealthy(base, Math.min(120_000, left));
    }
    pages += 1;
    seen += body.data.length;
    if (body.data.length) lastId = body.data[body.data.length - 1].id;
    cursor = body.next_cursor;
    if (!body.has_more || !cursor) break;
    if (performance.now() - t0 > deadlineMs) {
      error = `stopped after ${pages} pages at the ${deadlineMs / 1000} s limit`;
      break;
    }
  }
  const ms = Math.round(performance.now() - t0);
  if (error) console.error(`[bench] walk: ${error}`);
  console.log(JSON.stringify({ seen, pages, ms, cursor: seen >= target ? cursor : null, id: lastId, error }));
}

async function count(base) {
  const res = await request(`${base}/v1/customers?limit=1&include_total=true`, { headers: auth }, 60_000);
  const body = await bodyOf(res);
  if (!res.ok) throw new Error(`count: ${errorText(res.status, body)}`);
  console.log(body.total ?? "");
}

// wrk prints latencies as 812.00us, 1.23ms, 2.01s, 1.02m.
function toMs(v) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  return { us: n / 1000, ms: n, s: n * 1000, m: n * 60_000 }[m[2]];
}

function parseWrk(file) {
  const t = readFileSync(file, "utf8");
  const pct = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, "m").exec(t);
    return m ? toMs(m[1]) : null;
  };
  const num = (re) => {
    const m = re.exec(t);
    return m ? Number(m[1]) : 0;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(t);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50: pct(50),
    p99: pct(99),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socket_errors: sock ? sock.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0,
    timeouts: sock ? Number(sock[4]) : 0,
  };
}

function rec(file, type, pairs) {
  const o = { type };
  for (const p of pairs) {
    const i = p.indexOf("=");
    const k = p.slice(0, i);
    const v = p.slice(i + 1);
    o[k] = v !== "" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  appendFileSync(file, JSON.stringify(o) + "\n");
}

const fmt = (v, d = 1) => (v === null || v === undefined || v === "" ? "n/a" : Number(v).toFixed(d));

// Two runs at two scales side by side: each endpoint's req/s and p50 at both, the growth ratio
// (small-scale p50 over large-scale p50 inverted: large p50 / small p50), and each figure's
// ratio to a plain list page in its own run.
function compare(smallFile, largeFile, outFile) {
  const load = (f) => readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const [small, large] = [load(smallFile), load(largeFile)];
  const scale = (lines) => lines.find((l) => l.type === "machine")?.scale ?? "?";
  const eps = (lines) => new Map(lines.filter((l) => l.type === "endpoint" && !l.na).map((e) => [e.name, e]));
  const [a, b] = [eps(small), eps(large)];
  const list = (m) => m.get("list, first page");
  // The two scales run minutes apart on a machine that may be shared: a figure's growth is also
  // shown over /health's, which has no D1 work and so grows only with the machine's load.
  const ha = a.get("/health"), hb = b.get("/health");
  const machineGrowth = ha && hb ? hb.p50 / ha.p50 : null;
  const rows = [["endpoint", `req/s ${scale(small)}`, `req/s ${scale(large)}`, `p50 ms ${scale(small)}`, `p50 ms ${scale(large)}`,
    "growth (p50)", "growth over /health's", `x list p50 ${scale(small)}`, `x list p50 ${scale(large)}`]];
  for (const [name, e] of a) {
    const f = b.get(name);
    const la = list(a), lb = list(b);
    rows.push([name, fmt(e.rps), f ? fmt(f.rps) : "n/a", fmt(e.p50, 2), f ? fmt(f.p50, 2) : "n/a",
      f ? fmt(f.p50 / e.p50, 2) : "n/a", f && machineGrowth ? fmt(f.p50 / e.p50 / machineGrowth, 2) : "n/a",
      la ? fmt(e.p50 / la.p50, 2) : "n/a", f && lb ? fmt(f.p50 / lb.p50, 2) : "n/a"]);
  }
  const imp = (lines) => lines.find((l) => l.type === "import") ?? {};
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => "| " + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(" | ") + " |";
  const out = [`# make bench-scales: ${scale(small)} and ${scale(large)} customers`, "", line(rows[0]),
    "| " + widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ") + " |", ...rows.slice(1).map(line), "",
    `Import: ${imp(small).rows_per_s ?? "n/a"} rows/s overall at ${scale(small)} (last file ${String(imp(small).per_file ?? "").split(", ").at(-1)} rows/s); ` +
    `${imp(large).rows_per_s ?? "n/a"} rows/s overall at ${scale(large)} (last file, into a table of ${Number(scale(large)) - 10000}: ` +
    `${String(imp(large).per_file ?? "").split(", ").at(-1)} rows/s)`, ""];
  writeFileSync(outFile, out.join("\n"));
  process.stdout.write(out.join("\n"));
}

function report(resultsFile, outFile) {
  const lines = readFileSync(resultsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const of = (type) => lines.filter((l) => l.type === type);
  const one = (type) => of(type)[0] ?? {};
  const out = [];
  const machine = one("machine");
  out.push(`# make bench: ${machine.date ?? ""}`, "");
  out.push(`Machine: ${machine.nproc} CPU(s), ${machine.model}, ${machine.mem_gb} GB RAM; ` +
    `wrk -t${machine.threads} -c${machine.conns} -d${machine.duration} per endpoint; ` +
    `${one("seeded").rows ?? "?"} customers in the local D1 (git ${machine.commit}).`, "");

  const eps = of("endpoint");
  const health = eps.find((e) => e.name === "/health");
  const ceiling = health && !health.na ? health.rps : null;
  // Throughputs that are not requests, as a ratio to /health: how many rows go through in the
  // time the same server answers one /health request under load.
  const perHealth = (perSecond, unit) =>
    ceiling && perSecond ? `; ratio to /health: ${fmt(perSecond / ceiling, 1)} ${unit} per /health request` : "";
  // Each figure also as a multiple of a plain list page's p50 (the goal for searches and
  // filters: at most 2).
  const list = eps.find((e) => e.name === "list, first page" && !e.na);
  const rowsOut = [["endpoint", "req/s", "p50 ms", "p99 ms", "ratio to /health", "p50 x list"]];
  const notes = [];
  for (const e of eps) {
    if (e.na) {
      rowsOut.push([e.name, "n/a", "n/a", "n/a", "n/a", "n/a"]);
      notes.push(`${e.name}: n/a (${e.na})`);
      continue;
    }
    rowsOut.push([e.name, fmt(e.rps), fmt(e.p50, 2), fmt(e.p99, 2), ceiling ? fmt(e.rps / ceiling, 3) : "n/a",
      list ? fmt(e.p50 / list.p50, 2) : "n/a"]);
    if (e.non2xx || e.socket_errors) {
      notes.push(`${e.name}: ${e.non2xx} of ${e.requests} answers were not 2xx` +
        `${e.socket_errors ? `, ${e.socket_errors} socket errors (${e.timeouts} timeouts)` : ""}` +
        `${e.statuses ? ` (sampled statuses: ${e.statuses})` : ""}`);
    }
  }
  const widths = rowsOut[0].map((_, i) => Math.max(...rowsOut.map((r) => String(r[i]).length)));
  const line = (r) => "| " + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(" | ") + " |";
  out.push(line(rowsOut[0]));
  out.push("| " + widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ") + " |");
  for (const r of rowsOut.slice(1)) out.push(line(r));
  out.push("");
  for (const e of eps) if (e.path) out.push(`- ${e.name}: ${e.path}`);
  out.push("");

  const lags = of("webhook_lag");
  if (lags.length) {
    out.push("Webhook delivery lag (bench/webhooks.mjs: creates at a steady rate, a healthy receiver's arrival minus the " +
      "create's answer; other receivers subscribed beside it as named):", "");
    out.push("| scenario | events/min | delivered | lag p50 ms | lag p99 ms | lag max ms |", "| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const l of lags) {
      out.push(`| ${l.scenario} | ${l.rate_per_min} | ${l.delivered}/${l.sent}${l.errors ? ` (${l.errors} creates failed)` : ""} | ` +
        `${l.p50 ?? "n/a"} | ${l.p99 ?? "n/a"} | ${l.max ?? "n/a"} |`);
    }
    out.push("");
  }

  const imp = one("import");
  if (!imp.status) {
    out.push("Import: not reached");
  } else if (imp.status === "ok") {
    out.push(`Import: ${imp.rows_per_s} rows/s overall (${imp.rows} rows in ${imp.files} files of 10,000 into a table growing ` +
      `from empty to ${imp.rows}, ${fmt(imp.ms / 1000, 1)} s; per file ${imp.per_file} rows/s, median ${imp.median} rows/s)` +
      (imp.warmup_ms ? `; before them, a dry run of one file on the cold worker took ${imp.warmup_ms} ms (not counted)` : "") +
      perHealth(imp.rows_per_s, "rows"));
  } else if (imp.status === "missing") {
    out.push(`import: n/a (endpoint missing) — seeded with wrangler d1 execute in ${fmt(imp.seed_ms / 1000, 1)} s`);
  } else {
    out.push(`import: n/a (${imp.message ?? imp.status})` +
      (imp.rows ? `; ${imp.rows} rows imported at ${imp.rows_per_s} rows/s before that` : "") +
      ` — the rest seeded with wrangler d1 execute in ${fmt(imp.seed_ms / 1000, 1)} s`);
  }

  const ex = one("export");
  if (!ex.na && ex.seconds === undefined) out.push("Export: not reached");
  else if (ex.na) out.push(`Export: n/a (${ex.na})`);
  else {
    out.push(`Export (GET /v1/customers/export, all rows): ${fmt(ex.seconds, 2)} s, ${ex.rows} rows, ${fmt(ex.mb, 1)} MB ` +
      `(${fmt(ex.rows / ex.seconds, 0)} rows/s); peak memory of the largest workerd process (VmHWM) ${ex.hwm_after === "" || ex.hwm_after === undefined ? "n/a"
      : ex.hwm_reset === 1 ? `${fmt(ex.hwm_after, 0)} MB during the export (reset to the resident ${fmt(ex.rss_before, 0)} MB just before it; lifetime peak until then ${fmt(ex.hwm_before, 0)} MB)`
      : `${fmt(ex.hwm_after, 0)} MB lifetime peak (${fmt(ex.hwm_before, 0)} MB before the export; could not reset)`}` +
      perHealth(ex.rows / ex.seconds, "rows"));
  }

  const s = one("search");
  if (s.api_ms !== undefined) {
    const healthP50 = health && !health.na ? health.p50 : null;
    const api = s.api_ms === "" ? "API n/a (no 200 answer)" : `API ${fmt(s.api_ms, 1)} ms per request (${s.api_rows} rows returned` +
      (healthP50 ? `; ${fmt(s.api_ms / healthP50, 2)} times the /health p50` : "") + ")";
    if (s.na) out.push(`Search q=${s.q} (mean of 5): ${api}; sqlite3 baseline n/a (${s.na})`);
    else out.push(`Search q=${s.q} (mean of 5): ${api}; ` +
      `sqlite3 on a copy of the D1 file, unindexed: LIKE count ${fmt(s.like_ms, 1)} ms (${s.like_count} rows), ` +
      `instr(lower(...)) count (the list's scan search) ${fmt(s.instr_ms, 1)} ms (${s.instr_count} rows)` +
      (s.fts_ms !== undefined && s.fts_ms !== "" ? `; indexed: FTS5 trigram MATCH count ${fmt(s.fts_ms, 1)} ms (${s.fts_count} rows)` : ""));
  } else if (s.na) out.push(`Search comparison: n/a (${s.na})`);

  const w = of("wasm").at(-1) ?? {};
  if (w.raw) out.push(`Wasm (build/index_bg.wasm): ${fmt(w.raw / 1024, 0)} KiB raw, ${fmt(w.gz / 1024, 0)} KiB gzipped (${w.raw} / ${w.gz} bytes)`);
  const extra = of("note").map((n) => n.text);
  if (notes.length || extra.length) {
    out.push("", "Notes:");
    for (const n of [...notes, ...extra]) out.push(`- ${n}`);
  }
  const text = out.join("\n") + "\n";
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, text);
  process.stdout.write(text);
}

const [cmd, ...args] = process.argv.slice(2);
try {
  switch (cmd) {
    case "import": await importAll(args[0], args[1]); break;
    case "walk": await walk(args[0], Number(args[1])); break;
    case "count": await count(args[0]); break;
    case "get": {
      const v = JSON.parse(readFileSync(args[0], "utf8"))[args[1]];
      console.log(v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : v);
      break;
    }
    case "wrk": {
      const parsed = parseWrk(args[0]);
      rec(args[1], "endpoint", [...args.slice(2), ...Object.entries(parsed).map(([k, v]) => `${k}=${v ?? ""}`)]);
      break;
    }
    case "rec": rec(args[0], args[1], args.slice(2)); break;
    case "report": report(args[0], args[1]); break;
    case "compare": compare(args[0], args[1], args[2]); break;
    default:
      console.error(`unknown subcommand ${cmd}`);
      process.exit(2);
  }
} catch (e) {
  console.error(`[bench] ${cmd}: ${e.message}`);
  process.exit(1);
}
