# Sourced by bench.sh and contract-fuzz.sh: the dev server started as `make dev` starts it
# (scripts/dev.sh), on $PORT with the throw-away D1 in $PERSIST, checked and stopped.
# Callers define `say`, `die` and BASE (http://127.0.0.1:$PORT).
SERVER_PGID=""

healthy() { curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$BASE/health" 2>/dev/null | grep -q '^200$'; }

# start_dev_server LOG LIMIT: waits up to LIMIT seconds for /health (wrangler dev builds first).
# setsid makes the server its own process group (its pid is the group id), so stop_server ends
# bash, wrangler and workerd together.
start_dev_server() {
  setsid env PORT="$PORT" PERSIST_TO="$PERSIST" bash scripts/dev.sh >> "$1" 2>&1 < /dev/null &
  SERVER_PGID=$!
  local t0=$SECONDS
  until healthy; do
    kill -0 "$SERVER_PGID" 2>/dev/null || die "the dev server exited (see $1)"
    ((SECONDS - t0 < $2)) || die "the dev server did not answer /health within $2 s"
    sleep 1
  done
  say "dev server up on $BASE after $((SECONDS - t0)) s (process group $SERVER_PGID)"
}

stop_server() {
  [ -n "$SERVER_PGID" ] || return 0
  kill -TERM -- "-$SERVER_PGID" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 -- "-$SERVER_PGID" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$SERVER_PGID" 2>/dev/null || true
  wait "$SERVER_PGID" 2>/dev/null || true
  SERVER_PGID=""
}
