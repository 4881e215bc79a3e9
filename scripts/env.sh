# Sourced by the build: picks the wasm toolchain that is present and points worker-build at
# the tools installed by scripts/setup.sh, so it downloads nothing.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$ROOT/node_modules/.bin:$CARGO_BIN:$PATH"
export WASM_BINDGEN_BIN="$CARGO_BIN/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WRANGLER_SEND_METRICS=false
BUILD_STD_ARGS=""
# CUSTOMERS_BUILD_STD=1 forces the fallback (to test it on a machine that has rustup's target).
if { [ -n "${CUSTOMERS_BUILD_STD:-}" ] || [ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; } \
   && [ -d /usr/lib/rustlib/src/rust/library ]; then
  # No rustup wasm32 std here: Debian's rustc-web builds std from source.
  export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19
  BUILD_STD_ARGS="-Zbuild-std=std,panic_abort"
fi
