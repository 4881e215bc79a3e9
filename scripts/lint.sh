#!/usr/bin/env bash
# `make lint`: rustfmt and clippy with warnings as errors, on both targets the code compiles for.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say() { printf '[lint] %s\n' "$*"; }

for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    say "installing the $component component"
    rustup component add "$component"
  fi
done

say "cargo fmt --check"
cargo fmt --check
say "cargo clippy (native: lib and unit tests)"
cargo clippy --lib --tests --quiet -- -D warnings
if [ -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; then
  say "cargo clippy (wasm32: the worker)"
  cargo clippy --lib --target wasm32-unknown-unknown --quiet -- -D warnings
else
  # Debian's rustc-web builds std from source for the worker; rustup's clippy cannot check
  # against it, so only the native lint runs here (the wasm-only code is a few lines).
  say "skipped clippy for wasm32: rustup has no wasm32 target on this machine"
fi
say "clean"
