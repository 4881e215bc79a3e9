#!/usr/bin/env bash
# Builds build/index.js + the optimised wasm. Run by `make build` and by wrangler ([build]).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
# CUSTOMERS_PREBUILT=1: the build is there already (make bench builds before it starts wrangler
# dev, which runs this script again): serve it as it is. Building twice on a loaded 2-core machine
# kept the bench's dev server from answering within its 300 s.
if [ -n "${CUSTOMERS_PREBUILT:-}" ] && [ -f build/index.js ] && [ -f build/index_bg.wasm ] && [ -f console/dist/admin.html ]; then
  echo "[build] CUSTOMERS_PREBUILT: serving the existing build/ and console/dist/"
  exit 0
fi
# The admin console: console/src bundled by esbuild into console/dist (static assets).
node console/build.mjs
# shellcheck disable=SC2086
worker-build --release . $BUILD_STD_ARGS
# worker-build keeps the wasm name section (about 160 KB) for stack traces; production does not
# need it (CUSTOMERS_KEEP_NAMES=1 keeps it, for `twiggy top build/index_bg.wasm`; the size check
# then fails). Same feature set as worker-build's own wasm-opt run. worker-build's single -Oz
# leaves some work: running -Oz again until nothing changes (--converge) saves about 2 KiB gzipped.
# --low-memory-unused lets loads and stores fold constant offsets into their address: Rust's
# data starts at 1 MiB, no pointer the wasm computes wraps around to the first KiB (1.6 KiB
# gzipped). --gufa (whole-module flow analysis, sound) finds constants and dead code the local
# passes do not (0.3 KiB gzipped). --ignore-implicit-traps lets a load whose value goes unused
# be dropped: safe Rust never reads out of bounds (slices check before), so no load of ours traps
# (0.3 KiB gzipped); explicit traps (`unreachable`, Rust's panics) keep their meaning, which is
# why --traps-never-happen, 1 KiB smaller, is not used. Measured without gain: -Oz variants, -O3
# first, --flatten-free combinations of --dae/--inlining/--simplify-globals/--precompute-propagate.
names="--strip-debug"
if [ -n "${CUSTOMERS_KEEP_NAMES:-}" ]; then names="-g"; fi
wasm-opt build/index_bg.wasm -o build/index_bg.wasm --low-memory-unused --ignore-implicit-traps --gufa -Oz --converge "$names" --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
  --enable-multivalue --enable-reference-types --enable-exception-handling
