# boxoffice — `make run` starts everything with demo data; `make test` runs every test.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=

.PHONY: install run dev test test-fast lint lint-ui ui-types format bench clean

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install -q uv

install: $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --compile-bytecode
	$(UV) run python -m compileall -q src bench/src

run: install
	$(UV) run boxoffice up --demo

# `make run` that restarts itself when a Python or Lua file under src/ changes.
dev: install
	$(UV) run boxoffice up --demo --reload

# Everything against the all-in-one shape, then the acceptance suite again against the distributed
# shape (tests that start servers of their own with special settings run in the first pass only).
test: install
	$(UV) run pytest $(PYTEST_ARGS)
	$(UV) run pytest tests/acceptance --shape=distributed -m "not own_server" $(PYTEST_ARGS)

# Unit and integration tests only (real PostgreSQL, Redis and NATS; no server, no browser).
test-fast: install
	$(UV) run pytest tests/unit tests/contract tests/integration $(PYTEST_ARGS)

# Benchmarks (docs/benchmarks.md): starts each shape itself on this machine's PostgreSQL, Redis
# and NATS (embedded ones when those are not running) and writes the table to docs/benchmarks.md;
# `make bench URL=http://127.0.0.1:8000` measures a running system instead. The raw-store
# baselines need redis-benchmark and pgbench, the distributed shape nginx (Debian packages):
#   apt-get install redis-tools postgresql-contrib nginx
BENCH_ARGS ?=
bench: install
	@command -v redis-benchmark >/dev/null && command -v pgbench >/dev/null || echo \
	  "note: no redis-benchmark/pgbench (apt-get install redis-tools postgresql-contrib): raw-store baselines are skipped"
	$(UV) run boxoffice bench $(if $(URL),--url $(URL)) $(BENCH_ARGS)

lint: install
	$(UV) run ruff check src bench tests
	$(UV) run ruff format --check src bench tests
	$(UV) run mypy
	$(UV) run lint-imports
	@$(MAKE) --no-print-directory lint-ui

# The web UI's JavaScript (no build step): Biome's formatter and linter, tsc over its JSDoc
# types (jsconfig.json), and api-types.d.ts fresh from today's OpenAPI document. The tools come
# from npm (package.json, exact versions in package-lock.json) and need node >= 20.
WEB_JS := src/boxoffice/gateway/web/js
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

lint-ui: install node_modules/.package-lock.json
	node_modules/.bin/biome check
	node_modules/.bin/tsc -p jsconfig.json
	@mkdir -p var/ui-types
	@$(UV) run python scripts/gen_api_client.py --out var/ui-types/api.gen.js --openapi var/ui-types/openapi.json >/dev/null
	@node_modules/.bin/openapi-typescript var/ui-types/openapi.json -o var/ui-types/api-types.d.ts >/dev/null
	@cmp -s var/ui-types/api-types.d.ts $(WEB_JS)/api-types.d.ts || \
	  { echo "$(WEB_JS)/api-types.d.ts is stale: run make ui-types and commit it"; exit 1; }

# The UI's API client (api.gen.js) and its types (api-types.d.ts) from the OpenAPI document,
# which the app builds without a server.
ui-types: install node_modules/.package-lock.json
	@mkdir -p var/ui-types
	$(UV) run python scripts/gen_api_client.py --openapi var/ui-types/openapi.json
	node_modules/.bin/openapi-typescript var/ui-types/openapi.json -o $(WEB_JS)/api-types.d.ts

# Format Python and the UI's JavaScript.

format: install node_modules/.package-lock.json
	$(UV) run ruff check --fix src bench tests
	$(UV) run ruff format src bench tests
	node_modules/.bin/biome check --write

clean:
	rm -rf var .venv .tools node_modules
