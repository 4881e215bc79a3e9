#!/usr/bin/env bash
# `make bench-peer`: this worker beside Cloudflare's chanfana-openapi-template (Hono + chanfana +
# D1), each under the same `wrangler dev` (this repository's wrangler) on its own throw-away local
# D1 of PEER_ROWS rows (default 100,000), seeded with `wrangler d1 execute --file`. A quarter of the
# rows on each side carry the word "gamma" in the field a search covers, one row the word "quokka".
# Each endpoint is loaded with `wrk -t1 -c8 -d5s`, the two servers one after the other (which goes
# first alternates round by round) so the machine's load hits both alike; PEER_ROUNDS (3) rounds.
# req/s is each side's median over the rounds; ratio (ours / template) the median of the rounds'
# own ratios, each of two runs back to back. Prints a markdown table (also written
# to bench/out/peer.md) with the load average. Needs build/index_bg.wasm (`make bench-peer` builds)
# and the template's source in the local mirror (PEER_TEMPLATE_GIT, PEER_TEMPLATE_DIR).
# Bounded: every step has a timeout and a watchdog stops the run after PEER_LIMIT seconds; both
# servers' process groups and the temporary directories are removed on exit, however it ends.
# Knobs: PEER_ROWS, PEER_ROUNDS, PEER_DURATION (5s), PEER_CONNS (8), PEER_PAGE (20),
# PEER_OURS_PORT (8791), PEER_TEMPLATE_PORT (8792), PEER_LIMIT (1500).
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"

ROWS="${PEER_ROWS:-100000}"
ROUNDS="${PEER_ROUNDS:-3}"
DURATION="${PEER_DURATION:-5s}"
CONNS="${PEER_CONNS:-8}"
PAGE="${PEER_PAGE:-20}"
OURS_PORT="${PEER_OURS_PORT:-8791}"
TPL_PORT="${PEER_TEMPLATE_PORT:-8792}"
LIMIT="${PEER_LIMIT:-1500}"
TPL_GIT="${PEER_TEMPLATE_GIT:-/work/.mirror/cloudflare+templates/repo}"
TPL_DIR="${PEER_TEMPLATE_DIR:-chanfana-openapi-template}"
# The deep page: page 1001 of the template (OFFSET 20,000 at 20 a page); ours: the cursor after
# as many rows, found by walking the list.
DEEP_PAGE=1001
DEEP_ROWS=$(( (DEEP_PAGE - 1) * PAGE ))
OUT="$ROOT/bench/out/peer.md"
say() { printf '[peer] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

command -v wrk >/dev/null || die "wrk is missing (make bench installs it)"
[ -f build/index_bg.wasm ] || die "build/index_bg.wasm is missing: run make bench-peer (it builds first)"
[ -f .dev.vars ] || die ".dev.vars is missing: run make setup"
git -C "$TPL_GIT" rev-parse --verify -q HEAD >/dev/null || die "no template mirror at $TPL_GIT (PEER_TEMPLATE_GIT)"
BENCH_TOKEN="$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars | tail -n 1 | tr -d '\r"'"'")"
[ -n "$BENCH_TOKEN" ] || die "no ADMIN_TOKEN in .dev.vars"
export BENCH_TOKEN
unset BENCH_BODY

# --- temporary state, the two servers, and the cleanup that always runs ---
WORK="$(mktemp -d -t peer-work.XXXXXX)"
PERSIST="$WORK/d1-ours"
TPL_PERSIST="$WORK/d1-template"
TPL="$WORK/$TPL_DIR"
HDR="$WORK/auth.header"
RESULTS="$WORK/results.tsv"
(umask 077 && printf 'Authorization: Bearer %s\n' "$BENCH_TOKEN" > "$HDR")
: > "$RESULTS"
# Ours is started as `make dev` starts it (scripts/dev.sh) by scripts/dev-server.sh, which reads
# PORT, PERSIST and BASE; no cron timer, so nothing but wrk's requests reaches either server.
PORT="$OURS_PORT"
BASE="http://127.0.0.1:$OURS_PORT"
TBASE="http://127.0.0.1:$TPL_PORT"
export DEV_CRON_SECONDS=0
# shellcheck source=scripts/dev-server.sh
source scripts/dev-server.sh
TPL_PGID=""
WATCHDOG=""

stop_template() {
  [ -n "$TPL_PGID" ] || return 0
  kill -TERM -- "-$TPL_PGID" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 -- "-$TPL_PGID" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$TPL_PGID" 2>/dev/null || kill -KILL "$TPL_PGID" 2>/dev/null || true
  wait "$TPL_PGID" 2>/dev/null || true
  TPL_PGID=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_server
  stop_template
  [ -z "$WATCHDOG" ] || kill "$WATCHDOG" 2>/dev/null || true
  if [ "$rc" != 0 ]; then
    for log in ours template; do
      [ ! -f "$WORK/$log.log" ] || { say "$log server log (last 15 lines):"; tail -n 15 "$WORK/$log.log" >&2 || true; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'say "stopped by a signal"; exit 130' INT TERM
( sleep "$LIMIT" && printf '[peer] time limit of %ss reached, stopping\n' "$LIMIT" >&2 \
  && kill -TERM $$ 2>/dev/null && sleep 1 && pkill -TERM -P $$ 2>/dev/null ) &
WATCHDOG=$!

tpl_up() { curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$TBASE/peer-noop" 2>/dev/null | grep -q '^404$'; }
healthy && die "something already answers on $BASE: stop it or set PEER_OURS_PORT"
tpl_up && die "something already answers on $TBASE: stop it or set PEER_TEMPLATE_PORT"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START="$(loadavg)"
say "work dir $WORK; load average $LOAD_START; $(nproc) CPU(s)"

# --- the template: its source from the mirror, its runtime dependencies (not its wrangler) ---
TPL_COMMIT="$(git -C "$TPL_GIT" log -1 --format='%h %cs' HEAD)"
git -C "$TPL_GIT" archive HEAD "$TPL_DIR" | tar -x -C "$WORK"
[ -f "$TPL/src/endpoints/tasks/taskList.ts" ] || die "the mirror has no $TPL_DIR/src/endpoints/tasks/taskList.ts"
say "template $TPL_DIR at $TPL_COMMIT: npm ci --omit=dev"
(cd "$TPL" && timeout 300 npm ci --omit=dev --no-audit --no-fund --loglevel=error > "$WORK/npm.log" 2>&1) \
  || { tail -n 20 "$WORK/npm.log" >&2; die "npm ci failed in the template"; }

# --- the rows: the same shape on both sides, generated as multi-row INSERTs ---
# Row i (0-based, oldest first): word = alpha/beta/gamma/delta by i % 4 (gamma: 25%), except the
# middle row, whose word is quokka. Ours: a customer "Bench <i> <word>", bench-<i>@load.example,
# created one millisecond apart in row order (as bench/seed.mjs writes them); the template: a task
# "Task <i> <word>", slug task-<i>, id i + 1. Search covers name, email, phone, company on ours,
# name, slug, description on the template: only the name holds the word on either side.
say "generating $ROWS rows for each side"
timeout 120 node --input-type=module - "$WORK" "$ROWS" <<'JS'
import { openSync, writeSync, closeSync } from "node:fs";
import { randomBytes } from "node:crypto";
const [dir, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const WORDS = ["alpha", "beta", "gamma", "delta"];
const PLANS = ["free", "starter", "pro", "enterprise"];
const unique = Math.floor(rows / 2);
const word = (i) => (i === unique ? "quokka" : WORDS[i % 4]);
const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
function uuidv7(ms) {
  const b = randomBytes(16);
  let t = BigInt(ms);
  for (let i = 5; i >= 0; i--) { b[i] = Number(t & 0xffn); t >>= 8n; }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
function write(file, head, line) {
  const fd = openSync(file, "w");
  let batch = [];
  const flush = () => { if (batch.length) writeSync(fd, `${head}\n${batch.join(",\n")};\n`); batch = []; };
  for (let i = 0; i < rows; i++) {
    batch.push(line(i));
    if (batch.length >= 200) flush();
  }
  flush();
  closeSync(fd);
}
const base = Date.now() - rows - 60_000;
write(`${dir}/ours.sql`,
  "INSERT INTO customers (id, name, email, email_normalized, phone, company, notes, attributes, kind, source, created_at, updated_at, version) VALUES",
  (i) => {
    const ms = base + i;
    const ts = new Date(ms).toISOString();
    const email = `bench-${i}@load.example`;
    return `(${q(uuidv7(ms))}, ${q(`Bench ${i} ${word(i)}`)}, ${q(email)}, ${q(email)}, ${q(`555-${String(i).padStart(6, "0")}`)}, ` +
      `${q(`Company ${i % 1000}`)}, NULL, ${q(JSON.stringify({ plan: PLANS[i % 4] }))}, 'registered', 'import', ${q(ts)}, ${q(ts)}, 1)`;
  });
write(`${dir}/template.sql`,
  "INSERT INTO tasks (id, name, slug, description, completed, due_date) VALUES",
  (i) => `(${i + 1}, ${q(`Task ${i} ${word(i)}`)}, ${q(`task-${i}`)}, ${q(`Task number ${i} of the bench`)}, ${i % 2}, ` +
    `${q(new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString())})`);
JS

# Both local D1s: migrations, then the rows (the two seeds run side by side; no server is up yet).
seed() {  # seed NAME DIR PERSIST SQL
  (cd "$2" && CI=true timeout 300 wrangler d1 migrations apply DB --local --persist-to "$3" \
     && CI=true timeout 600 wrangler d1 execute DB --local --persist-to "$3" --file "$4" -y) > "$WORK/seed-$1.log" 2>&1
}
say "seeding both local D1s with wrangler d1 execute"
t0=$SECONDS
seed ours "$ROOT" "$PERSIST" "$WORK/ours.sql" & seed_ours=$!
seed template "$TPL" "$TPL_PERSIST" "$WORK/template.sql" & seed_tpl=$!
wait "$seed_ours" || { tail -n 20 "$WORK/seed-ours.log" >&2; die "seeding ours failed"; }
wait "$seed_tpl" || { tail -n 20 "$WORK/seed-template.log" >&2; die "seeding the template failed"; }
say "seeded in $((SECONDS - t0)) s"
rm -f "$WORK/ours.sql" "$WORK/template.sql"

# --- the servers ---
start_dev_server "$WORK/ours.log" 300
# exec: the background job's pid becomes setsid's, then wrangler's, the leader of its own process
# group (as scripts/dev-server.sh starts ours), so stop_template ends wrangler and workerd together.
(cd "$TPL" && exec setsid wrangler dev --local --ip 127.0.0.1 --port "$TPL_PORT" --persist-to "$TPL_PERSIST" \
  --show-interactive-dev-session=false >> "$WORK/template.log" 2>&1 < /dev/null) &
TPL_PGID=$!
t0=$SECONDS
until tpl_up; do
  kill -0 "$TPL_PGID" 2>/dev/null || die "the template's wrangler dev exited (see its log below)"
  ((SECONDS - t0 < 180)) || die "the template did not answer within 180 s"
  sleep 1
done
say "template up on $TBASE after $((SECONDS - t0)) s (process group $TPL_PGID)"

curl_() { curl -sS --max-time "${CURL_MAX:-60}" "$@"; }
# rows SIDE PATH: how many rows one page holds (and, for the template, its total_count).
rows_of() {
  if [ "$1" = ours ]; then
    curl_ -H @"$HDR" "$BASE$2" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log(o.data?o.data.length:"?")})'
  else
    curl_ "$TBASE$2" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log(o.result.length+" of "+o.result_info.total_count)})'
  fi
}

# The deep cursor and an id (the last row of the walk), for ours.
say "walking ours to row $DEEP_ROWS for a cursor"
timeout 260 node bench/run.mjs walk "$BASE" "$DEEP_ROWS" > "$WORK/walk.json" || die "the walk failed"
cursor="$(node bench/run.mjs get "$WORK/walk.json" cursor)"
sample_id="$(node bench/run.mjs get "$WORK/walk.json" id)"
if [ -z "$cursor" ] || [ -z "$sample_id" ]; then die "the walk gave no cursor: $(cat "$WORK/walk.json")"; fi
cursor_enc="$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$cursor")"
# The template's id DESC order puts row id ROWS - DEEP_ROWS at the same depth.
tpl_id=$(( ROWS - DEEP_ROWS ))

# name|ours path|template path|expected template status
ENDPOINTS=(
  "no-op|/health|/peer-noop|404"
  "list, first page|/v1/customers?limit=$PAGE|/tasks?per_page=$PAGE|200"
  "list, page $DEEP_PAGE|/v1/customers?limit=$PAGE&cursor=$cursor_enc|/tasks?per_page=$PAGE&page=$DEEP_PAGE|200"
  "get by id|/v1/customers/$sample_id|/tasks/$tpl_id|200"
  "search, 25% of rows (gamma)|/v1/customers?q=gamma&limit=$PAGE|/tasks?per_page=$PAGE&search=gamma|200"
  "search, one row (quokka)|/v1/customers?q=quokka&limit=$PAGE|/tasks?per_page=$PAGE&search=quokka|200"
)

# Each path answers as expected before anything is measured.
for e in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name opath tpath tstatus <<< "$e"
  s1="$(curl_ -o /dev/null -w '%{http_code}' -H @"$HDR" "$BASE$opath" || true)"
  s2="$(curl_ -o /dev/null -w '%{http_code}' "$TBASE$tpath" || true)"
  [ "$s1" = 200 ] || die "$name: ours answered HTTP $s1 on $opath"
  [ "$s2" = "$tstatus" ] || die "$name: the template answered HTTP $s2 on $tpath"
done
say "rows on a page: q=gamma ours $(rows_of ours "/v1/customers?q=gamma&limit=$PAGE"), template $(rows_of template "/tasks?per_page=$PAGE&search=gamma");" \
  "q=quokka ours $(rows_of ours "/v1/customers?q=quokka&limit=$PAGE"), template $(rows_of template "/tasks?per_page=$PAGE&search=quokka")"

# run SIDE URL SECONDS [ROUND NAME]: one wrk run, then one request that waits behind wrk's
# in-flight ones (the worker still runs them), so the next run starts on an idle server.
run() {
  local side=$1 url=$2 secs=$3 round=${4:-} name=${5:-} args=()
  if [ "$side" = ours ]; then args=(-s bench/request.lua); fi
  timeout 60 wrk -t1 -c"$CONNS" -d"$secs" --timeout 10s "${args[@]}" "$url" > "$WORK/wrk.txt" 2>&1 \
    || die "wrk failed on $url: $(cat "$WORK/wrk.txt")"
  if [ "$side" = ours ]; then curl_ -o /dev/null -H @"$HDR" "$url" || true; else curl_ -o /dev/null "$url" || true; fi
  [ -n "$round" ] || return 0
  local rps non2xx
  rps="$(awk '/^Requests\/sec:/{print $2}' "$WORK/wrk.txt")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$WORK/wrk.txt")"
  printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$side" "${rps:-0}" "${non2xx:-0}" >> "$RESULTS"
  say "  round $round, $name, $side: ${rps:-0} req/s${non2xx:+ ($non2xx non-2xx)}"
}

say "warm-up: 2 s of wrk on every endpoint, each side"
for e in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name opath tpath _ <<< "$e"
  run ours "$BASE$opath" 2s
  run template "$TBASE$tpath" 2s
done

LOADS=()
for round in $(seq "$ROUNDS"); do
  LOADS+=("$(loadavg | cut -d' ' -f1)")
  say "round $round of $ROUNDS (load average $(loadavg))"
  for e in "${ENDPOINTS[@]}"; do
    IFS='|' read -r name opath tpath _ <<< "$e"
    if ((round % 2 == 1)); then
      run ours "$BASE$opath" "$DURATION" "$round" "$name"
      run template "$TBASE$tpath" "$DURATION" "$round" "$name"
    else
      run template "$TBASE$tpath" "$DURATION" "$round" "$name"
      run ours "$BASE$opath" "$DURATION" "$round" "$name"
    fi
  done
done
LOAD_END="$(loadavg)"
stop_server
stop_template

# --- the table ---
keys=()
for e in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name opath tpath _ <<< "$e"
  [ "$name" != "list, page $DEEP_PAGE" ] || opath="/v1/customers?limit=$PAGE&cursor=<after $DEEP_ROWS rows>"
  [ "$name" != "get by id" ] || opath="/v1/customers/<id of row $DEEP_ROWS>"
  keys+=("$name|$opath|$tpath")
done
mkdir -p "$(dirname "$OUT")"
node - "$RESULTS" "$OUT" "$(date -u +%Y-%m-%dT%H:%MZ)" "$LOAD_START" "${LOADS[*]}" "$LOAD_END" \
  "$(nproc)" "$(git rev-parse --short HEAD)" "$TPL_COMMIT" "$(wrangler --version 2>/dev/null | tail -n 1)" \
  "$ROWS" "$ROUNDS" "$DURATION" "$CONNS" "$SECONDS" "${keys[@]}" <<'JS'
const fs = require("fs");
const [results, out, date, loadStart, loads, loadEnd, cpus, commit, tplCommit, wrangler, rows, rounds, duration, conns, secs, ...keys] =
  process.argv.slice(2);
const lines = fs.readFileSync(results, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split("\t"));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const goals = { "list, first page": 2, "get by id": 1, "search, 25% of rows (gamma)": 5 };
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
// req/s: each side's median over the rounds. ratio: the median of the rounds' own ratios, each
// of two runs back to back under the same load (on a shared machine the load moves between rounds
// more than between the two runs of one round).
const md = [];
md.push(`| endpoint | ours req/s | template req/s | ratio | each round's ratio | goal |`);
md.push(`| --- | ---: | ---: | ---: | --- | --- |`);
const notes = [];
const raw = [];
for (const key of keys) {
  const [name] = key.split("|");
  const of = (side) => lines.filter((l) => l[1] === name && l[2] === side);
  const o = of("ours"), t = of("template");
  if (!o.length || !t.length) { md.push(`| ${name} | n/a | n/a | n/a | | |`); continue; }
  const ratios = o.map((l) => { const m = t.find((x) => x[0] === l[0]); return m ? Number(l[3]) / Number(m[3]) : NaN; })
    .filter((x) => Number.isFinite(x));
  const mo = median(o.map((l) => Number(l[3]))), mt = median(t.map((l) => Number(l[3]))), ratio = median(ratios);
  const g = goals[name];
  const goal = g === undefined ? "" : `≥ ${g.toFixed(1)}×: ${ratio >= g ? "met" : "not met"}`;
  md.push(`| ${name} | ${fmt(mo)} | ${fmt(mt)} | ${ratio.toFixed(2)}× | ${ratios.map((r) => r.toFixed(2)).join(", ")} | ${goal} |`);
  raw.push(`| ${name} | ${o.map((l) => fmt(Number(l[3]))).join(", ")} | ${t.map((l) => fmt(Number(l[3]))).join(", ")} |`);
  for (const l of [...o, ...t]) {
    if (Number(l[4]) > 0 && !(name === "no-op" && l[2] === "template")) notes.push(`${name}, ${l[2]}, round ${l[0]}: ${l[4]} non-2xx answers`);
  }
}
md.push("");
md.push(`${date}; ${rows} rows each; wrk -t1 -c${conns} -d${duration}, ${rounds} interleaved rounds; ` +
  `ours ${commit}, template ${tplCommit}, wrangler ${wrangler}; ${cpus} CPU(s); load average ${loadStart} at the start, ` +
  `${loads.split(" ").join(", ")} (1 min) as each round began, ${loadEnd} at the end; the run took ${secs} s.`);
md.push("");
md.push("| endpoint | ours requests | template requests |");
md.push("| --- | --- | --- |");
for (const key of keys) {
  const [name, o, t] = key.split("|");
  md.push(`| ${name} | \`${o}\` | \`${t}\` |`);
}
md.push("");
md.push("| endpoint | ours req/s, round by round | template req/s, round by round |");
md.push("| --- | --- | --- |");
md.push(...raw);
if (notes.length) md.push("", ...notes.map((n) => `- ${n}`));
const text = md.join("\n") + "\n";
fs.writeFileSync(out, text);
process.stdout.write("\n" + text);
JS
say "written to ${OUT#"$ROOT"/} (took $SECONDS s)"
