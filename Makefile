.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= small
SEED ?= 42

.PHONY: help install test test-slow demo lint format typecheck bench clean sync plan docs

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python >= 3.11 needed)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create or update .venv (only when pyproject/constraints changed)

test: $(STAMP) ## Run the whole test suite (slow scale tests excluded)
	@$(BIN)/pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test-slow: $(STAMP) ## Run only the slow scale tests
	$(BIN)/pytest -q -m slow

demo: $(STAMP) ## Build the demo world (SCALE=small|medium|large SEED=42)
	$(BIN)/portal-sync demo --scale $(SCALE) --seed $(SEED) --out demo/ixhaus.sqlite

sync: $(STAMP) ## One sync run against the demo (builds it if missing; starts/stops the local emulators)
	$(BIN)/portal-sync sync --with-emulators

plan: $(STAMP) ## What the next sync would do, without doing it (exit 2 = changes)
	@$(BIN)/portal-sync plan --with-emulators; rc=$$?; if [ $$rc -eq 2 ]; then exit 0; fi; exit $$rc

lint: $(STAMP) ## ruff + sqlfluff on the dbt models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if find dbt_project/models -name '*.sql' | grep -q .; then \
		PORTAL_SYNC_WAREHOUSE=$$(mktemp -d)/lint.duckdb $(BIN)/sqlfluff lint dbt_project/models; fi

DOCS_PORT ?= 8080
docs: $(STAMP) ## Build and serve the dbt docs site (lineage) on DOCS_PORT (default 8080)
	$(BIN)/python -m portal_sync.dbt docs --port $(DOCS_PORT)

format: $(STAMP) ## Format the Python code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP) ## mypy on the packages
	$(BIN)/mypy portal_sync dlt_pipelines publishers emulators

bench: $(STAMP) ## Run the benchmarks and print figures
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## Remove the demo data, warehouse and build output (keeps .venv)
	rm -rf demo/*.sqlite warehouse target logs
