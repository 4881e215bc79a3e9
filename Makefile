# Two entry points do all set-up: `make dev` and `make test`. Each installs what is missing.
SHELL := /bin/bash
ENV := source scripts/env.sh &&

.PHONY: setup build dev test lint unit e2e contract bench bench-scales bench-pages bench-visits bench-peer

setup:
	@bash scripts/setup.sh

build: setup
	@bash scripts/build.sh

# Applies migrations/ to the local D1 and serves on 127.0.0.1:8787 (PORT=... to change).
dev: setup
	@bash scripts/dev.sh

# Formatting and lints, for the native build (the unit tests) and the wasm build (the worker).
lint: setup
	@bash scripts/lint.sh

# Unit and property tests beside the code, including the layer rule (src/layers.rs).
unit: setup
	cargo test --lib --quiet

# The built worker: size budget, OpenAPI validity, the deploy bundle, a backup restored into a
# fresh database, end-to-end tests and the `make dev` smoke test,
# then clients generated from the served OpenAPI document (scripts/clients.sh).
e2e: build
	@$(ENV) node scripts/check-size.mjs
	@$(ENV) node scripts/validate-openapi.mjs
	@bash scripts/deploy-check.sh
	@bash scripts/backup-test.sh
	@$(ENV) node --test --test-concurrency=1 --test-timeout=600000 "tests/*.test.mjs"
	@bash scripts/clients.sh

# Schemathesis against a dev server, checked against src/openapi.json.
contract: build
	@bash scripts/contract-fuzz.sh

test: lint unit e2e contract

# Figures at 100,000 customers: see docs/performance.md.
bench: build
	@bash scripts/bench.sh

# The same at 100,000 and at 1,000,000 customers, and how each figure grows between them; then
# the position matrix at both scales (bench-pages), which prints each page beside the list page.
bench-scales: build
	@SCALE=100000 bash scripts/bench.sh
	@SCALE=1000000 BENCH_LIMIT=4800 bash scripts/bench.sh
	@node bench/run.mjs compare bench/out/results-100000.jsonl bench/out/results-1000000.jsonl bench/out/scales.md
	@$(PAGES)

# Every page of the position matrix (matches newest, oldest, a middle band, spread; eight sort
# orders; searches and company filters) one request at a time, at 100,000 and 1,000,000
# customers seeded straight into the local D1 (about 10 minutes here, most of it the seeding):
# see docs/performance.md. Each page is the median of 15 requests (with 5, one page moved by
# half a list page between runs), each followed by a list page's request: its ratio is to the
# median of those, so the machine's speed changing during a run moves both sides alike.
PAGES := bash -c 'source scripts/env.sh && node bench/pages.mjs 100000 15 bench/out/pages-100000.md && node bench/pages.mjs 1000000 15 bench/out/pages-1000000.md'
bench-pages: build
	@$(PAGES)

# What the per-order indexes cost a burst of first visits (public interactions), with their
# triggers and without, at 100,000 and 1,000,000 customers (about 10 minutes): see
# docs/performance.md, "A burst of visits".
bench-visits: build
	@bash -c 'source scripts/env.sh && node bench/visits.mjs 100000 4 400 8 bench/out/visits-100000.md && node bench/visits.mjs 1000000 4 400 8 bench/out/visits-1000000.md'

# Beside Cloudflare's chanfana-openapi-template, 100,000 rows each, interleaved wrk rounds: see
# docs/performance.md ("Beside the template").
bench-peer: build
	@bash bench/peer.sh
