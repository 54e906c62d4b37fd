# boxoffice — `make run` starts everything with demo data; `make test` runs every test.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=

.PHONY: install run test lint format bench clean

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install -q uv

install: $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen

run: install
	$(UV) run boxoffice up --demo

# Everything against the all-in-one shape, then the acceptance suite again against the distributed
# shape (tests that start servers of their own with special settings run in the first pass only).
test: install
	$(UV) run pytest $(PYTEST_ARGS)
	$(UV) run pytest tests/acceptance --shape=distributed -m "not own_server" $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check src tests
	$(UV) run ruff format --check src tests
	$(UV) run mypy
	$(UV) run lint-imports

format: install
	$(UV) run ruff check --fix src tests
	$(UV) run ruff format src tests

clean:
	rm -rf var .venv .tools
