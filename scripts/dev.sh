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
# ALLOW_LOCAL_WEBHOOKS=true in the environment lets webhooks point at local receivers (the bench's).
extra=()
[ -z "${ALLOW_LOCAL_WEBHOOKS:-}" ] || extra+=(--var "ALLOW_LOCAL_WEBHOOKS:$ALLOW_LOCAL_WEBHOOKS")
# wrangler dev never fires cron triggers by itself: with --test-scheduled it runs the scheduled
# handler on GET /__scheduled, which this timer calls as Cloudflare would (every DEV_CRON_SECONDS,
# default 60; 0 turns it off). It ends with the server: after `exec`, $$ is wrangler's pid.
CRON_EVERY="${DEV_CRON_SECONDS:-60}"
if [ "$CRON_EVERY" -gt 0 ] 2>/dev/null; then
  echo "[dev] cron trigger: every $CRON_EVERY s (GET /__scheduled)"
  (
    while sleep "$CRON_EVERY" && kill -0 "$$" 2>/dev/null; do
      curl -s -o /dev/null --max-time 55 "http://127.0.0.1:$PORT/__scheduled?cron=*+*+*+*+*" || true
    done
  ) < /dev/null > /dev/null 2>&1 &
fi
exec wrangler dev --local --ip 127.0.0.1 --port "$PORT" "${persist[@]}" --show-interactive-dev-session=false \
  --test-scheduled --var "REQUEST_LOG:${REQUEST_LOG:-errors}" "${extra[@]}"
