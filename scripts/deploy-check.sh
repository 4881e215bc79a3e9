#!/usr/bin/env bash
# `make test` step: bundles the worker exactly as `wrangler deploy` would (its own [build] run,
# bindings, static assets), without uploading, and checks the upload's size. Cloudflare's limit is
# 64 MiB uncompressed on every plan; our own budget is far below it, because the whole bundle is
# fetched and compiled on every cold start (the wasm's own, tighter budget is
# scripts/check-size.mjs).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
PLATFORM_LIMIT_KIB=$((64 * 1024))
BUDGET_KIB=2048
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
if ! CI=true timeout 600 wrangler deploy --dry-run --outdir "$out" > "$out/log" 2>&1; then
  tail -n 30 "$out/log" >&2
  echo "[deploy-check] wrangler deploy --dry-run failed" >&2
  exit 1
fi
line="$(grep -m1 'Total Upload:' "$out/log" || true)"
raw_kib="$(sed -n 's/.*Total Upload: \([0-9.]*\) KiB.*/\1/p' <<< "$line")"
[ -n "$raw_kib" ] || { cat "$out/log" >&2; echo "[deploy-check] no upload size in the dry run's output" >&2; exit 1; }
echo "[deploy-check] ${line#*Total Upload: } (budget ${BUDGET_KIB} KiB uncompressed; platform limit ${PLATFORM_LIMIT_KIB} KiB)"
awk -v s="$raw_kib" -v l="$PLATFORM_LIMIT_KIB" 'BEGIN { exit !(s <= l) }' || { echo "[deploy-check] over the platform's limit" >&2; exit 1; }
awk -v s="$raw_kib" -v l="$BUDGET_KIB" 'BEGIN { exit !(s <= l) }' || { echo "[deploy-check] over our cold-start budget" >&2; exit 1; }
