#!/usr/bin/env bash
# Screenshots of the admin console, taken by its browser tests (tests/console.test.mjs) against
# the built worker: tests/screenshots/console-list.png, console-customer.png,
# console-customer-375.png and console-import-report.png (a failing task adds its own there).
# Builds first (the console and the wasm); `make setup` installs Chromium and playwright-core.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/build.sh
node --test --test-timeout=600000 tests/console.test.mjs
ls -l tests/screenshots/console-*.png
