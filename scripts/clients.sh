#!/usr/bin/env bash
# Generated clients: makes sure the pinned generators are installed, then runs
# tests/clients/clients.test.mjs, which generates a Python client (openapi-python-client) and
# TypeScript types (openapi-typescript, for openapi-fetch) from the worker's served /openapi.json,
# requires both to generate without a warning, imports every Python module, typechecks a
# TypeScript program with --strict and runs a smoke script with each client against the worker.
# openapi-typescript, openapi-fetch and typescript are npm dev dependencies (package.json);
# openapi-python-client goes into its own virtualenv, .venv-clients/ (git-ignored), apart from
# .venv/ (schemathesis) so neither pins the other's dependencies. Generated code: build/clients/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

OPENAPI_PYTHON_CLIENT_VERSION=0.29.1
VENV="${CLIENTS_VENV:-$ROOT/.venv-clients}"
say() { printf '[clients] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

source scripts/pip.sh
pip_tool "$VENV" openapi-python-client "$OPENAPI_PYTHON_CLIENT_VERSION" openapi-python-client
[ -x node_modules/.bin/openapi-typescript ] && [ -x node_modules/.bin/tsc ] && [ -d node_modules/openapi-fetch ] \
  || die "openapi-typescript, typescript or openapi-fetch is missing from node_modules: run make setup"
say "openapi-python-client $OPENAPI_PYTHON_CLIENT_VERSION, openapi-typescript $(node -p 'require("openapi-typescript/package.json").version'), openapi-fetch $(node -p 'require("openapi-fetch/package.json").version'), typescript $(node -p 'require("typescript/package.json").version')"

CLIENTS_VENV="$VENV" node --test --test-timeout=600000 tests/clients/clients.test.mjs
