# ayr-analysis: every target bootstraps .venv by itself and reinstalls only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install test test-fast test-unit test-integration test-notebooks test-browser lint \
	typecheck format docs docs-serve hooks report lab voila sandbox demo-data clean bench azurite

# Bytecode caches are written (pytest keeps its rewritten test modules there: with
# PYTHONDONTWRITEBYTECODE set, every run and every test subprocess compiles them again).
unexport PYTHONDONTWRITEBYTECODE

# the inner loop: leaves out notebook executions, the real browser and tests marked slow
FAST := -m "not notebooks and not browser and not slow"
# tests run on WORKERS processes (pytest-xdist). make test hands a whole file to one worker (its
# module fixtures are made once) in the order tests/conftest.py collects them: the files with long
# tests first. make test-fast spreads single tests: its module fixtures are cheap.
WORKERS ?= 2
XDIST   := -n $(WORKERS) --dist loadfile --no-loadscope-reorder

help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

# setuptools ends every editable install with an informational "Editable installation" notice
# (a folder named like the package in the working folder could shadow it: here it is the package)
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(QUIET_EDITABLE) $(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with its dev tools

test: $(STAMP) ## run the whole test suite, docs build included, 2 workers (no network, no API key)
	$(BIN)/python -m pytest -q $(XDIST)

test-fast: $(STAMP) ## the inner loop: unit and integration tests that are not slow, 2 workers
	$(BIN)/python -m pytest -x -q -n $(WORKERS) $(FAST)

test-unit: $(STAMP) ## only the unit tests (each file's kind: tests/conftest.py)
	$(BIN)/python -m pytest -q -m unit

test-integration: $(STAMP) ## only the integration tests (sandbox server, subprocesses, demo world)
	$(BIN)/python -m pytest -q -m integration

test-notebooks: $(STAMP) ## only the notebook executions (papermill)
	$(BIN)/python -m pytest -q -m notebooks

test-browser: $(STAMP) ## only the tests that drive a real chromium
	$(BIN)/python -m pytest -q -m browser

lint: $(STAMP) ## ruff lint and format check, then the type check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck

typecheck: $(STAMP) ## mypy on the package
	$(BIN)/mypy

docs: $(STAMP) ## build the documentation site into site/ (offline, strict: a broken link fails)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "documentation written: open site/index.html"

docs-serve: $(STAMP) ## serve the documentation on http://127.0.0.1:8000, rebuilt on every change
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

hooks: $(STAMP) ## install the git pre-commit hooks (ruff, mypy; .pre-commit-config.yaml)
	$(BIN)/pre-commit install

format: $(STAMP) ## apply ruff formatting and fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(STAMP) ## start JupyterLab in notebooks/ (the dashboard: live_monitor.ipynb)
	cd notebooks && ../$(BIN)/jupyter lab

voila: $(STAMP) ## serve the live monitor dashboard as an app with Voila
	cd notebooks && ../$(BIN)/voila live_monitor.ipynb

$(VENV)/.bench-installed: $(STAMP)
	$(QUIET_EDITABLE) $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: $(VENV)/.bench-installed ## run every benchmark in quick mode (bench/README.md; full: without --quick)
	$(BIN)/python bench/bench_fetch.py --quick
	$(BIN)/python bench/bench_normalize.py --quick
	$(BIN)/python bench/bench_import.py --quick
	$(BIN)/python bench/bench_store.py --quick
	$(BIN)/python bench/bench_reports.py --quick
	$(BIN)/python bench/bench_thrift.py --quick
	$(BIN)/python bench/backtest_forecast.py --quick
	$(BIN)/python bench/bench_profiles.py --quick
	$(BIN)/python bench/bench_big_store.py --quick

# Azurite, Microsoft's storage emulator (npm), for the az:// store tests (tests/test_store_s3.py
# skips them, saying so, without it). Pinned by version; 3.36+ needs node 21+. No lock file is
# written (npm's would name registry URLs); the folder is ignored by git.
AZURITE_VERSION := 3.35.0
AZURITE := .ci/node/node_modules/.bin/azurite-blob

azurite: $(AZURITE) ## install Azurite (npm) into .ci/node for the az:// store tests

$(AZURITE):
	npm install --prefix .ci/node --no-package-lock --no-save --no-audit --no-fund \
		--loglevel=error azurite@$(AZURITE_VERSION)

report: $(STAMP) ## run the curated reports on the demo world into reports/ (HTML + notebooks)
	$(BIN)/ayr-analysis report all -o reports
	@echo "reports written: open reports/*.html (executed notebooks next to them)"

sandbox: $(STAMP) ## serve the simulated Ayrshare API on 127.0.0.1:8787
	$(BIN)/ayr-analysis sandbox --port 8787

demo-data: $(STAMP) ## regenerate data/ (demo profiles, posts, campaigns) from the sandbox world
	$(BIN)/ayr-analysis demo-data --out data --seed 7

clean: ## remove the virtual environment, the docs site and build leftovers
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache site
