#!/usr/bin/env bash
# `make test` step: bundles the worker exactly as `wrangler deploy` would (its own [build] run,
# bindings, static assets), without uploading, and checks the compressed upload against the
# Workers Free plan's 3 MB limit (Paid allows 10 MB; we stay within Free so either works).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
LIMIT_KIB=3072
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
if ! CI=true timeout 600 wrangler deploy --dry-run --outdir "$out" > "$out/log" 2>&1; then
  tail -n 30 "$out/log" >&2
  echo "[deploy-check] wrangler deploy --dry-run failed" >&2
  exit 1
fi
line="$(grep -m1 'Total Upload:' "$out/log" || true)"
gzip_kib="$(sed -n 's/.*gzip: \([0-9.]*\) KiB.*/\1/p' <<< "$line")"
[ -n "$gzip_kib" ] || { cat "$out/log" >&2; echo "[deploy-check] no upload size in the dry run's output" >&2; exit 1; }
echo "[deploy-check] ${line#*Total Upload: } (plan limit ${LIMIT_KIB} KiB compressed)"
awk -v s="$gzip_kib" -v l="$LIMIT_KIB" 'BEGIN { exit !(s <= l) }' || { echo "[deploy-check] over the limit" >&2; exit 1; }
