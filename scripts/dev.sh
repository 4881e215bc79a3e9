#!/usr/bin/env bash
# What `make dev` runs: migrate the local D1, then serve. PORT and PERSIST_TO may be overridden
# (the smoke test uses another port and a throw-away database).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
PORT="${PORT:-8787}"
persist=()
[ -n "${PERSIST_TO:-}" ] && persist=(--persist-to "$PERSIST_TO")
echo "[dev] admin token: ADMIN_TOKEN in $ROOT/.dev.vars"
echo "[dev] applying migrations to the local D1"
CI=true wrangler d1 migrations apply DB --local "${persist[@]}"
# wrangler prints a line for every request itself; the worker's own JSON line (what Workers Logs
# searches once deployed) is written here for errors only, unless REQUEST_LOG=all is set.
echo "[dev] serving on http://127.0.0.1:$PORT (request log: ${REQUEST_LOG:-errors})"
exec wrangler dev --local --ip 127.0.0.1 --port "$PORT" "${persist[@]}" --show-interactive-dev-session=false \
  --var "REQUEST_LOG:${REQUEST_LOG:-errors}"
