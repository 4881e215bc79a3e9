#!/usr/bin/env bash
# `make bench`: starts the dev server (as `make dev` does) on a throw-away local D1, seeds
# 100,000 customers through the CSV import, loads each endpoint with wrk on 127.0.0.1 only, and
# prints one table (also written to bench/out/latest.md). Bounded: every step has a timeout and
# a watchdog stops the whole run after BENCH_LIMIT seconds (then the table shows what was measured
# so far); the server's process group and the temporary directories are removed on exit, however
# the run ends. wrangler dev rebuilds when src/ changes: steps that overlap a rebuild are flagged.
# Knobs: BENCH_PORT (8788), BENCH_DURATION (10s), BENCH_CONNS (8), BENCH_THREADS (1), BENCH_LIMIT (2400),
# BENCH_SEED=sql (seed with wrangler d1 execute even when the import endpoint is there),
# BENCH_ONLY=webhooks (the webhook delivery figures alone), BENCH_ONLY=dashboard (seeding, then
# the list pages and the dashboard figures alone), BENCH_WEBHOOK_SECONDS (30),
# BENCH_WEBHOOK_SCENARIOS (bench/webhooks.mjs).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

PORT="${BENCH_PORT:-8788}"
BASE="http://127.0.0.1:$PORT"
DURATION="${BENCH_DURATION:-10s}"
CONNS="${BENCH_CONNS:-8}"
THREADS="${BENCH_THREADS:-1}"
LIMIT="${BENCH_LIMIT:-2400}"
# SCALE bench customers (default 100,000; `make bench-scales` also runs 1,000,000), seeded in
# files of 10,000 through the import endpoint, between two blocks of a tenth as many that match
# none of the bench rows' searches and filters: one created before them, one after
# (bench/seed.mjs).
SCALE="${SCALE:-100000}"
ROWS_PER_FILE=10000
FILES=$((SCALE / ROWS_PER_FILE))
BLOCK_FILES=$(( FILES / 10 > 0 ? FILES / 10 : 1 ))
ROWS=$(( (FILES + 2 * BLOCK_FILES) * ROWS_PER_FILE ))
CURSOR_AT=50000
Q="user-4242"
OUT="$ROOT/bench/out/latest.md"
# Each scale also keeps its raw results, for `bench/run.mjs compare`.
RAW_OUT="$ROOT/bench/out/results-$SCALE.jsonl"
say() { printf '[bench] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- tools: wrk and sqlite3 from Debian when missing (as scripts/setup.sh installs packages) ---
APT_TIMEOUT=300
source scripts/apt.sh
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v sqlite3 >/dev/null || need+=(sqlite3)
((${#need[@]} == 0)) || apt_install "${need[@]}"
command -v wrk >/dev/null || die "wrk is missing and could not be installed"

[ -f build/index_bg.wasm ] || die "build/index_bg.wasm is missing: run make bench (it builds first)"
# make bench has just built: wrangler dev serves that build instead of building it again
# (scripts/build.sh).
export CUSTOMERS_PREBUILT=1
[ -f .dev.vars ] || die ".dev.vars is missing: run make setup"
BENCH_TOKEN="$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars | tail -n 1 | tr -d '\r"'"'")"
[ -n "$BENCH_TOKEN" ] || die "no ADMIN_TOKEN in .dev.vars"
export BENCH_TOKEN

# --- temporary state, the server, and the cleanup that always runs ---
WORK="$(mktemp -d -t bench-work.XXXXXX)"
PERSIST="$(mktemp -d -t bench-d1.XXXXXX)"
RESULTS="$WORK/results.jsonl"
HDR="$WORK/auth.header"
(umask 077 && printf 'Authorization: Bearer %s\n' "$BENCH_TOKEN" > "$HDR")
: > "$RESULTS"
source scripts/dev-server.sh
# The webhook bench's receivers listen on 127.0.0.1 (scripts/dev.sh passes this to the server).
export ALLOW_LOCAL_WEBHOOKS=true
WATCHDOG=""
REPORTED=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_server
  [ -z "$WATCHDOG" ] || kill "$WATCHDOG" 2>/dev/null || true
  if [ "$REPORTED" = 0 ] && [ -s "$RESULTS" ]; then
    # Stopped early (time limit, interrupt, error): show what was measured.
    note "the run stopped early (exit status $rc, after $SECONDS s): the rest was not measured" 2>/dev/null || true
    echo >&2
    node bench/run.mjs report "$RESULTS" "$OUT" >&2 || true
  fi
  if [ -f "$WORK/dev.log" ]; then
    mkdir -p "$(dirname "$OUT")" && cp "$WORK/dev.log" "$(dirname "$OUT")/dev.log" || true
    if [ "$rc" != 0 ]; then say "dev server log (last 20 lines):"; tail -n 20 "$WORK/dev.log" >&2 || true; fi
  fi
  rm -rf "$WORK" "$PERSIST"
  exit "$rc"
}
trap cleanup EXIT
trap 'say "stopped by a signal"; exit 130' INT TERM
# The watchdog: after LIMIT seconds, TERM to this script and to the command it is waiting for
# (bash runs a trap only once its foreground command ends); the EXIT trap then cleans up.
( sleep "$LIMIT" && printf '[bench] time limit of %ss reached, stopping\n' "$LIMIT" >&2 \
  && kill -TERM $$ 2>/dev/null && sleep 1 && pkill -TERM -P $$ 2>/dev/null ) &
WATCHDOG=$!

curl_() { curl -sS --max-time "${CURL_MAX:-30}" "$@"; }
# A rebuild-and-reload (someone edited src/) leaves the server unanswering for a while: wait.
wait_healthy() {
  local t0=$SECONDS
  until healthy; do
    ((SECONDS - t0 < ${1:-120})) || return 1
    sleep 1
  done
  ((SECONDS - t0 < 3)) || say "waited $((SECONDS - t0)) s for the dev server to answer again"
}

start_server() {
  start_dev_server "$WORK/dev.log" 300
  # wrangler dev has just built from the current src/: a later change means a rebuild mid-run.
  wasm_sum_before="$(sha256sum build/index_bg.wasm | cut -c1-16)"
  wasm_rec
}

rec() { node bench/run.mjs rec "$RESULTS" "$@"; }
note() { rec note "text=$*"; }
# wrangler dev watches src/ and rebuilds + reloads when someone edits it; a step that overlaps a
# rebuild (cargo on the same 2 CPUs, then a reload) is flagged in the notes.
builds() { grep -c -e 'Running: bash scripts/build.sh' -e 'Reloading local server' "$WORK/dev.log" 2>/dev/null || true; }
STEP_BUILDS=0
step() { STEP_BUILDS="$(builds)"; }
step_end() {
  local now; now="$(builds)"
  if [ "${now:-0}" != "${STEP_BUILDS:-0}" ]; then
    say "warning: wrangler dev rebuilt/reloaded during: $1"
    note "${2:-wrangler dev rebuilt or reloaded the worker (src/ changed) during: $1; that figure is disturbed}"
  fi
}

wasm_rec() {
  rec wasm "raw=$(stat -c %s build/index_bg.wasm)" "gz=$(gzip -9 -c build/index_bg.wasm | wc -c)"
}
model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
mem_gb="$(awk '/^MemTotal:/{printf "%.1f", $2/1048576}' /proc/meminfo)"
rec machine "nproc=$(nproc)" "model=${model:-unknown}" "mem_gb=$mem_gb" "threads=$THREADS" "conns=$CONNS" \
  "duration=$DURATION" "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "scale=$SCALE" \
  "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src migrations 2>/dev/null || echo ' with uncommitted changes')"
say "machine: $(nproc) CPU(s), ${model:-unknown}, $mem_gb GB"

healthy && die "something already answers on $BASE: stop it or set BENCH_PORT"
say "work dir $WORK, local D1 in $PERSIST"
wasm_sum_before=""
start_server

# --- webhook delivery lag, on the still small database (bench/webhooks.mjs); BENCH_ONLY=webhooks stops after it ---
if [ "${BENCH_ONLY:-}" != dashboard ]; then
  say "webhooks: delivery lag at steady rates, with and without a hanging or failing receiver"
  step
  timeout 900 node bench/webhooks.mjs "$BASE" "$RESULTS" "${BENCH_WEBHOOK_SECONDS:-30}" \
    || note "the webhook delivery bench failed (exit status $?)"
  step_end "the webhook delivery bench"
fi
if [ "${BENCH_ONLY:-}" = webhooks ]; then
  stop_server
  echo
  node bench/run.mjs report "$RESULTS" "$OUT"
  REPORTED=1
  exit 0
fi

# --- seed 100,000 customers: the import endpoint, else wrangler d1 execute ---
say "generating $((FILES + 2 * BLOCK_FILES)) CSV files of $ROWS_PER_FILE rows"
node bench/seed.mjs csv "$WORK/csv" "$FILES" "$ROWS_PER_FILE" "$BLOCK_FILES"
say "importing through POST /v1/customers/import?mode=create&atomic=true"
step
if [ "${BENCH_SEED:-import}" = sql ]; then
  # BENCH_SEED=sql: skip the import endpoint and seed as if it were missing (tests the fallback).
  echo '{"status":"missing","imported_files":0,"rows":0,"ms":0,"rows_per_s":null,"files":[],"message":"BENCH_SEED=sql"}' > "$WORK/import.json"
else
  # The import stops itself after 240 s; what is left is then seeded as below.
  BENCH_IMPORT_DEADLINE_MS=240000 timeout 400 node bench/run.mjs import "$BASE" "$WORK/csv" > "$WORK/import.json" \
    || echo '{"status":"failed","imported_files":0,"rows":0,"ms":0,"rows_per_s":null,"files":[],"message":"the import client failed"}' > "$WORK/import.json"
fi
step_end "import"
imp_status="$(node bench/run.mjs get "$WORK/import.json" status)"
imp_files="$(node bench/run.mjs get "$WORK/import.json" imported_files)"
imp_rows="$(node bench/run.mjs get "$WORK/import.json" rows)"
imp_ms="$(node bench/run.mjs get "$WORK/import.json" ms)"
imp_rps="$(node bench/run.mjs get "$WORK/import.json" rows_per_s)"
imp_msg="$(node bench/run.mjs get "$WORK/import.json" message)"
per_file="$(node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(o.files.map(f=>f.rows_per_s).join(", "))' "$WORK/import.json")"
seed_ms=0
if [ "$imp_status" = ok ]; then
  say "import: $imp_rps rows/s ($imp_rows rows in $imp_ms ms; per file: $per_file)"
else
  if [ "$imp_status" = missing ]; then
    say "import: n/a (endpoint missing)"
  else
    say "import failed after $imp_files file(s): $imp_msg"
  fi
  say "seeding files $imp_files..$((FILES + 2 * BLOCK_FILES - 1)) with wrangler d1 execute (server stopped meanwhile)"
  node bench/seed.mjs sql "$WORK/seed.sql" "$imp_files" "$FILES" "$ROWS_PER_FILE" "$BLOCK_FILES"
  # Stop the server so only one workerd has the sqlite file open, then start it again.
  stop_server
  t0=$(date +%s%N)
  CI=true timeout 420 wrangler d1 execute DB --local --persist-to "$PERSIST" --file "$WORK/seed.sql" -y \
    > "$WORK/seed.log" 2>&1 || { tail -n 20 "$WORK/seed.log" >&2; die "wrangler d1 execute failed"; }
  seed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  start_server
fi
imp_median="$(node bench/run.mjs get "$WORK/import.json" median_file_rows_per_s)"
imp_warmup="$(node bench/run.mjs get "$WORK/import.json" warmup_ms)"
rec import "status=$imp_status" "rows=$imp_rows" "files=$imp_files" "ms=$imp_ms" "rows_per_s=$imp_rps" \
  "per_file=$per_file" "median=$imp_median" "warmup_ms=$imp_warmup" "message=$imp_msg" "seed_ms=$seed_ms"
wait_healthy 120 || true
live_rows="$(timeout 90 node bench/run.mjs count "$BASE" || true)"
say "customers in the local D1: ${live_rows:-unknown}"
rec seeded "rows=$live_rows"
[ "$live_rows" = "$ROWS" ] || note "expected $ROWS customers after seeding, the list total says ${live_rows:-nothing}"

# --- a cursor ~50,000 rows in and an id to read ---
say "walking the list (limit=100) to row $CURSOR_AT for a cursor"
wait_healthy 120 || true
step
timeout 260 node bench/run.mjs walk "$BASE" "$CURSOR_AT" > "$WORK/walk.json" \
  || echo '{"seen":0,"cursor":null,"id":null,"pages":0,"ms":null}' > "$WORK/walk.json"
step_end "the cursor walk" "wrangler dev rebuilt or reloaded the worker (src/ changed) during the cursor walk (not a measurement)"
cursor="$(node bench/run.mjs get "$WORK/walk.json" cursor)"
sample_id="$(node bench/run.mjs get "$WORK/walk.json" id)"
say "walk: $(node bench/run.mjs get "$WORK/walk.json" pages) pages in $(node bench/run.mjs get "$WORK/walk.json" ms) ms"
cursor_enc="$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$cursor")"

# --- wrk per endpoint ---
# bench_ep NAME PATH [JSON-BODY] [LUA]: one request first to see the endpoint is there (2xx),
# a 2 s warm-up, then the measured run. Anything else becomes n/a with the status it gave.
bench_ep() {
  local name=$1 path=$2 body=${3:-} lua=${4:-bench/request.lua}
  # One request as wrk sends it (the public endpoint: no token, a header-only client address).
  local req=(-o "$WORK/probe.out" -w '%{http_code}')
  [ -z "$body" ] || req+=(-H 'content-type: application/json' --data "$body")
  if [ "$lua" = bench/public.lua ]; then req+=(-H 'CF-Connecting-IP: 10.255.255.254'); else req+=(-H @"$HDR"); fi
  local status
  if ! wait_healthy 120; then
    say "$name: n/a (the dev server does not answer /health)"
    rec endpoint "name=$name" "na=the dev server stopped answering /health before this step (see bench/out/dev.log)" "path=$path"
    return 0
  fi
  status="$(curl_ "${req[@]}" "$BASE$path" || true)"
  if [[ "$status" != 2?? ]]; then
    local why="HTTP $status"
    [ "$status" = 404 ] && why="endpoint missing, HTTP 404"
    [ "$status" = 000 ] && why="no answer within 30 s"
    say "$name: n/a ($why)"
    rec endpoint "name=$name" "na=$why" "path=$path"
    return 0
  fi
  say "$name: wrk -t$THREADS -c$CONNS -d$DURATION"
  step
  BENCH_BODY="$body" BENCH_OFFSET=0 timeout 30 wrk -t"$THREADS" -c"$CONNS" -d2s --timeout 10s -s "$lua" "$BASE$path" > /dev/null || true
  # wrk leaves its last requests in flight and the worker still runs them (D1 serialises
  # queries): one more request waits behind them, so the measured run starts on an idle server.
  CURL_MAX=60 curl_ "${req[@]}" "$BASE$path" > /dev/null || true
  BENCH_BODY="$body" BENCH_OFFSET=10000000 timeout 90 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency \
    -s "$lua" "$BASE$path" > "$WORK/wrk.txt" || die "wrk failed on $name: $(cat "$WORK/wrk.txt")"
  CURL_MAX=60 curl_ "${req[@]}" "$BASE$path" > /dev/null || true
  step_end "$name"
  grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors' "$WORK/wrk.txt" | sed 's/^ */    /' >&2 || true
  if grep -q ' 0 requests in' "$WORK/wrk.txt"; then
    rec endpoint "name=$name" "na=no request completed within $DURATION at $CONNS connections" "path=$path"
    return 0
  fi
  node bench/run.mjs wrk "$WORK/wrk.txt" "$RESULTS" "name=$name" "path=$path"
  # Non-2xx answers: show what one was (one more request, outside the measurement).
  if grep -q 'Non-2xx' "$WORK/wrk.txt"; then
    note "$name: after the run, one more request answered HTTP $(curl_ "${req[@]}" "$BASE$path" || true): $(head -c 200 "$WORK/probe.out" 2>/dev/null || true)"
  fi
}

FILTER='{"conditions":[{"field":"attributes.plan","op":"eq","value":"pro"}],"limit":50}'
PUBLIC='{"email":"bench-probe@example.com","type":"form_submitted","resource_id":"form-1"}'
bench_ep "/health" "/health"
bench_ep "list, first page" "/v1/customers?limit=50"
if [ -n "$cursor" ]; then
  bench_ep "list, after $CURSOR_AT rows" "/v1/customers?limit=50&cursor=$cursor_enc"
else
  rec endpoint "name=list, after $CURSOR_AT rows" \
    "na=no cursor at $CURSOR_AT: the walk saw $(node bench/run.mjs get "$WORK/walk.json" seen) rows ($(node bench/run.mjs get "$WORK/walk.json" error))"
fi
if [ "${BENCH_ONLY:-}" = dashboard ]; then
  bench_ep "dashboard figures (90 days)" "/v1/stats/daily?days=90"
  bench_ep "dashboard figures (30 days)" "/v1/stats/daily?days=30"
  stop_server
  echo
  node bench/run.mjs report "$RESULTS" "$OUT"
  cp "$RESULTS" "$RAW_OUT"
  REPORTED=1
  say "written to ${OUT#"$ROOT"/} (took $SECONDS s)"
  exit 0
fi
bench_ep "search q=$Q" "/v1/customers?q=$Q"
# Searches and filters of every selectivity (rows are "Bench User n", user-n@example.com,
# "Company n%1000", plan cycling over four values): each should cost about one list page.
bench_ep "search, every row (q=bench)" "/v1/customers?q=bench&limit=50"
bench_ep "search, 11% (q=company 1)" "/v1/customers?q=company%201&limit=50"
bench_ep "search, 1.1% (q=company 42)" "/v1/customers?q=company%2042&limit=50"
bench_ep "search, every row, sort=name" "/v1/customers?q=bench&sort=name&limit=50"
bench_ep "search, 1.1%, sort=name" "/v1/customers?q=company%2042&sort=name&limit=50"
bench_ep "search, no row (q=nobody)" "/v1/customers?q=nobody&limit=50"
bench_ep "filter attributes.plan=pro" "/v1/customers/filter" "$FILTER"
# Filters an index serves (migrations/0009 for company): sparse and broad, each planned like a
# search (the index's matches sorted, or the sort order walked).
bench_ep "filter name prefix (11 rows)" "/v1/customers/filter" \
  '{"conditions":[{"field":"name","op":"starts_with","value":"Bench User 4242"}],"limit":50}'
bench_ep "filter name prefix (every row)" "/v1/customers/filter" \
  '{"conditions":[{"field":"name","op":"starts_with","value":"bench"}],"limit":50}'
bench_ep "filter company eq (0.1%)" "/v1/customers/filter" \
  '{"conditions":[{"field":"company","op":"eq","value":"Company 7"}],"limit":50}'
bench_ep "filter company eq (0.1%), sort=name" "/v1/customers/filter" \
  '{"conditions":[{"field":"company","op":"eq","value":"Company 7"}],"sort":"name","limit":50}'
bench_ep "filter company prefix (11%)" "/v1/customers/filter" \
  '{"conditions":[{"field":"company","op":"starts_with","value":"company 1"}],"limit":50}'
# Where the matches sit in each sort order: the newest block only, the oldest block only, the
# bench rows between them (a middle band behind a block of non-matches in every order), spread
# through the bench rows. Each page should cost about one list page whatever the position and
# the order. BENCH_MATRIX=0 leaves these out.
if [ "${BENCH_MATRIX:-1}" = 1 ]; then
  SORTS=(-created_at created_at -name name -email email -last_seen_at last_seen_at)
  for s in "${SORTS[@]}"; do
    bench_ep "search newest only (q=import.test), sort=$s" "/v1/customers?q=import.test&sort=$s&limit=50"
    bench_ep "search oldest only (q=archive.test), sort=$s" "/v1/customers?q=archive.test&sort=$s&limit=50"
    bench_ep "search middle band (q=example.com), sort=$s" "/v1/customers?q=example.com&sort=$s&limit=50"
    bench_ep "search spread 1.1% (q=company 42), sort=$s" "/v1/customers?q=company%2042&sort=$s&limit=50"
  done
  for s in "${SORTS[@]}"; do
    cond() { printf '{"conditions":[{"field":"company","op":"%s","value":"%s"}],"sort":"%s","limit":50}' "$1" "$2" "$s"; }
    bench_ep "filter newest only (company prefix acme), sort=$s" "/v1/customers/filter" "$(cond starts_with acme)"
    bench_ep "filter oldest only (company prefix zeta), sort=$s" "/v1/customers/filter" "$(cond starts_with zeta)"
    bench_ep "filter middle band (company prefix company), sort=$s" "/v1/customers/filter" "$(cond starts_with company)"
    bench_ep "filter spread 0.1% (company eq Company 7), sort=$s" "/v1/customers/filter" "$(cond eq 'Company 7')"
  done
fi
# The dashboard: read from the daily rollup (migration 0023), so about a list page at any scale.
bench_ep "dashboard figures (90 days)" "/v1/stats/daily?days=90"
if [ -n "$sample_id" ]; then
  bench_ep "get by id" "/v1/customers/$sample_id"
else
  rec endpoint "name=get by id" "na=no id from the list (the walk read no page)"
fi

# --- search: the API vs. sqlite3 on a copy of the D1 file (after the server stops) ---
say "search q=$Q through the API, 5 sequential requests"
api_total=0; api_ok=1
wait_healthy 120 || true
step
curl_ -o /dev/null -H @"$HDR" "$BASE/v1/customers?q=$Q" || true   # warm
for _ in 1 2 3 4 5; do
  r="$(curl_ -o "$WORK/search.json" -w '%{http_code} %{time_total}' -H @"$HDR" "$BASE/v1/customers?q=$Q" || echo "000 0")"
  [ "${r%% *}" = 200 ] || api_ok=0
  api_total="$(node -e 'console.log(Number(process.argv[1]) + Number(process.argv[2]))' "$api_total" "${r#* }")"
done
step_end "search through the API (5 requests)"
api_ms="$(node -e 'console.log((Number(process.argv[1]) * 1000 / 5).toFixed(2))' "$api_total")"
api_rows="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).data?.length ?? "n/a")' "$WORK/search.json" 2>/dev/null || echo n/a)"

# --- export: all rows, timed with curl; workerd peak memory from /proc ---
workerd_pids() { pgrep -g "$SERVER_PGID" workerd 2>/dev/null || true; }
workerd_hwm_mb() {  # [VmRSS]: the largest workerd's VmHWM (default) or VmRSS, in MB
  local max="" p v field="${1:-VmHWM}"
  for p in $(workerd_pids); do
    v="$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null || true)"
    [ -n "$v" ] || continue
    if [ -z "$max" ] || [ "$v" -gt "$max" ]; then max=$v; fi
  done
  [ -z "$max" ] || node -e 'console.log((Number(process.argv[1]) / 1024).toFixed(1))' "$max"
}
say "export: GET /v1/customers/export"
wait_healthy 120 || true
hwm_before="$(workerd_hwm_mb)"
rss_before="$(workerd_hwm_mb VmRSS)"
# Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so the value read after
# the export is the export's own peak; where that is refused, VmHWM is the lifetime peak.
hwm_reset=1
for p in $(workerd_pids); do { echo 5 > "/proc/$p/clear_refs"; } 2>/dev/null || hwm_reset=0; done
[ -n "$(workerd_pids)" ] || hwm_reset=0
step
ex="$(CURL_MAX=240 curl_ -o "$WORK/export.csv" -w '%{http_code} %{time_total} %{size_download} %{content_type}' \
  -H @"$HDR" "$BASE/v1/customers/export" || echo "000 0 0 none")"
hwm_after="$(workerd_hwm_mb)"
step_end "export"
read -r ex_status ex_time ex_size ex_type <<< "$ex"
if [ "$ex_status" = 200 ] && [[ "$ex_type" == text/csv* ]]; then
  ex_rows=$(( $(wc -l < "$WORK/export.csv") - 1 ))
  ex_mb="$(node -e 'console.log((Number(process.argv[1]) / 1048576).toFixed(2))' "$ex_size")"
  say "export: $ex_rows rows, $ex_mb MB in $ex_time s; workerd VmHWM ${hwm_before:-n/a} -> ${hwm_after:-n/a} MB"
  rec export "seconds=$ex_time" "rows=$ex_rows" "mb=$ex_mb" "hwm_before=$hwm_before" "hwm_after=$hwm_after" \
    "hwm_reset=$hwm_reset" "rss_before=$rss_before" "workerds=$(workerd_pids | wc -l)"
  [[ ! "$live_rows" =~ ^[0-9]+$ ]] || [ "$ex_rows" -ge "$live_rows" ] || note "export returned $ex_rows rows of $live_rows"
else
  why="HTTP $ex_status, $ex_type"
  [ "$ex_status" = 404 ] && why="endpoint missing, HTTP 404"
  say "export: n/a ($why)"
  rec export "na=$why"
fi

# Last, because every request creates a customer.
bench_ep "public interaction" "/v1/public/interactions" "$PUBLIC" bench/public.lua

wasm_sum_after="$(sha256sum build/index_bg.wasm | cut -c1-16)"
if [ "$wasm_sum_before" != "$wasm_sum_after" ]; then
  if grep -q 'Reloading local server' "$WORK/dev.log"; then
    note "wrangler dev rebuilt and reloaded the worker during the run (src/ changed); the wasm size is the last build's"
    wasm_rec
  else
    note "another build rewrote build/index_bg.wasm during the run; the dev server did not reload, so every figure and the wasm size are of the build it started with"
  fi
fi

stop_server

[ "$api_ok" = 1 ] || { api_ms=""; note "search through the API did not answer 200"; }
# sqlite3 on a copy of the local D1 file (the server is stopped, so the file and its WAL are still).
db="$(find "$PERSIST/v3/d1" -name '*.sqlite' -size +1M 2>/dev/null | head -n 1 || true)"
if [ -n "$db" ] && command -v sqlite3 >/dev/null; then
  cp "$db" "$WORK/copy.sqlite"
  for s in -wal -shm; do [ ! -f "$db$s" ] || cp "$db$s" "$WORK/copy.sqlite$s"; done
  like_sql="SELECT COUNT(*) FROM customers WHERE name LIKE '%$Q%' OR email LIKE '%$Q%' OR company LIKE '%$Q%';"
  instr_where="c.deleted_at IS NULL AND (instr(lower(coalesce(c.name, '')), '$Q') > 0 OR instr(coalesce(c.email_normalized, ''), '$Q') > 0 OR instr(lower(coalesce(c.phone, '')), '$Q') > 0 OR instr(lower(coalesce(c.company, '')), '$Q') > 0)"
  instr_sql="SELECT COUNT(*) FROM customers c WHERE $instr_where;"
  # The trigram FTS5 index (migrations/0006), when this schema has it: what the API searches now.
  fts_sql="SELECT COUNT(*) FROM customers_search WHERE customers_search MATCH '\"$Q\"';"
  # One session per query: a warm-up run, then 5 timed ones; `.timer on` prints "Run Time: real S".
  sq_time() {
    local sql=$1
    { echo "$sql"; echo ".timer on"; for _ in 1 2 3 4 5; do echo "$sql"; done; } \
      | timeout 120 sqlite3 "$WORK/copy.sqlite" > "$WORK/sq.out" 2>&1 || true
    awk '/Run Time: real/{s+=$4; n++} END{if(n) printf "%.2f\n", s*1000/n}' "$WORK/sq.out"
  }
  like_ms="$(sq_time "$like_sql")"; like_count="$(head -n 1 "$WORK/sq.out")"
  instr_ms="$(sq_time "$instr_sql")"; instr_count="$(head -n 1 "$WORK/sq.out")"
  fts_ms=""; fts_count=""
  if [ "$(sqlite3 "$WORK/copy.sqlite" "SELECT count(*) FROM sqlite_master WHERE name = 'customers_search'" 2>/dev/null || true)" = 1 ]; then
    fts_ms="$(sq_time "$fts_sql")"; fts_count="$(head -n 1 "$WORK/sq.out")"
  fi
  say "search: API ${api_ms:-n/a} ms; sqlite3 LIKE $like_ms ms ($like_count rows), instr $instr_ms ms ($instr_count rows)"
  rec search "q=$Q" "api_ms=$api_ms" "api_rows=$api_rows" "like_ms=$like_ms" "like_count=$like_count" \
    "instr_ms=$instr_ms" "instr_count=$instr_count" "fts_ms=$fts_ms" "fts_count=$fts_count"
else
  rec search "q=$Q" "api_ms=$api_ms" "api_rows=$api_rows" "like_ms=" "instr_ms=" \
    "na=no sqlite3 or no local D1 sqlite file under $PERSIST/v3/d1"
fi

# --- the table ---
echo
node bench/run.mjs report "$RESULTS" "$OUT"
cp "$RESULTS" "$RAW_OUT"
REPORTED=1
say "written to ${OUT#"$ROOT"/} (took $SECONDS s)"

# --- Cloudflare's per-request limits: the 25 MiB import and the export of every customer ---
# A worker of its own in Miniflare (wasm memory never shrinks, so each figure is that run's peak);
# LIMITS_SCALE customers (default: this run's SCALE).
LIMITS_SCALE="${LIMITS_SCALE:-$SCALE}" node bench/limits.mjs || say "the per-request limits run failed"
