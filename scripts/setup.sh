#!/usr/bin/env bash
# Installs whatever the build, the dev server and the tests need and is not there yet.
# Safe to run again: every step checks first and says what it does.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
say() { printf '[setup] %s\n' "$*"; }

source scripts/apt.sh

# 1. The wasm32 standard library: the usual rustup path first, then the distribution's
#    rustc-web with -Zbuild-std (see scripts/env.sh, which picks whichever is present).
if ! command -v cargo >/dev/null; then
  say "cargo is missing: install Rust from https://rustup.rs first"; exit 1
fi
host_wasm_std="$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown"
if [ -d "$host_wasm_std" ]; then
  say "wasm32 target: rustup target present"
elif command -v rustup >/dev/null && timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  say "wasm32 target: added with rustup"
else
  say "wasm32 target: rustup cannot download it; using Debian rustc-web + build-std"
  apt_install rustc-web rust-web-src lld-19
fi

# 2. Cargo-installed tools, pinned. wasm-bindgen-cli must match Cargo.lock exactly.
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
# True when `$1 --version` names version $2 as a whole word ("0.8.7", "wasm-bindgen 0.2.130").
have_version() { "$1" --version 2>/dev/null | grep -qwF -- "$2"; }
if ! have_version "$cargo_bin/worker-build" "$WORKER_BUILD_VERSION"; then
  say "installing worker-build $WORKER_BUILD_VERSION (about 3 minutes)"
  cargo install -q worker-build --version "$WORKER_BUILD_VERSION" --locked
fi
bindgen_version="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)"
if ! have_version "$cargo_bin/wasm-bindgen" "$bindgen_version"; then
  say "installing wasm-bindgen-cli $bindgen_version (about 3 minutes)"
  # No --locked: one of its locked dependencies is no longer on the registry.
  cargo install -q wasm-bindgen-cli --version "$bindgen_version" --force
fi

# 3. npm packages into the project (wrangler, Node 22 for it, esbuild, binaryen, miniflare; the
#    console's preact and htm; playwright-core and axe-core for the browser tests; openapi-typescript,
#    openapi-fetch and typescript for the generated-client checks).
if [ ! -x node_modules/.bin/wrangler ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/preact ] \
   || [ ! -d node_modules/openapi-typescript ] || [ ! -d node_modules/openapi-fetch ] || [ ! -x node_modules/.bin/tsc ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm install, from package-lock.json)"
  # Not `npm ci`: npm 11 rejects this lock file in ci mode (it wants the other platforms'
  # optional workerd builds nested under wrangler), while `npm install` follows it exactly.
  npm install --no-audit --no-fund --loglevel=error
fi

# 4. Debian's Chromium for the browser tests of the admin console (tests/console.test.mjs drives
#    it with playwright-core; Playwright's own browser download does not work here).
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

# 5. .dev.vars with a random ADMIN_TOKEN, never overwritten.
if [ ! -f .dev.vars ]; then
  token="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
  sed "s/^ADMIN_TOKEN=.*/ADMIN_TOKEN=$token/" .dev.vars.example > .dev.vars
  say "created .dev.vars with a random ADMIN_TOKEN (read it there)"
fi
# Settings with no deployed default take their development values from .dev.vars: an older
# .dev.vars gets the ones it lacks from the example, and keeps everything it has.
for name in PUBLIC_ALLOWED_ORIGINS ACTIVATION_URL_BASE PORTAL_URL_BASE EMAIL_FROM; do
  if ! grep -q "^$name=" .dev.vars; then
    grep "^$name=" .dev.vars.example >> .dev.vars
    say "added $name to .dev.vars"
  fi
done
say "ready"
