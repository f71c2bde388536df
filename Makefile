# Two commands for a new user: `make demo` and `make test`. Everything else is optional.
# Dependencies come from uv.lock, exactly (`uv sync --locked`); `make lock` refreshes it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv itself is pinned and lives in its own small environment: `uv sync` removes from .venv
# every package that is not in the lock, uv included.
UV_VERSION := 0.13.9
UV := .venv-uv/bin/uv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export PREFECT_HOME ?= $(CURDIR)/var/prefect
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: demo test reliability bench-friday bench-history bench-payments bench-stages lint lock venv venv-dev clean

$(UV):
	$(PYTHON) -m venv .venv-uv
	.venv-uv/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# Stamps re-run the install whenever pyproject.toml or uv.lock changes. --locked refuses to
# install when uv.lock no longer matches pyproject.toml (run `make lock`).
$(VENV)/.installed-runtime: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --no-dev --quiet
	touch $@

$(VENV)/.installed-dev: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --quiet
	touch $@ $(VENV)/.installed-runtime

# After editing the dependencies in pyproject.toml: re-resolve uv.lock, keeping every other
# pinned version. `make lock UPGRADE=1` moves every package to its newest allowed version.
lock: | $(UV)
	$(UV) lock $(if $(UPGRADE),--upgrade)

venv: $(VENV)/.installed-runtime
venv-dev: $(VENV)/.installed-dev

demo: venv
	mkdir -p $(PREFECT_HOME)
	$(BIN)/tpn demo

# The gates, in order: lint (ruff check, ruff format --check, mypy), then the tests.
test: lint
	mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m pytest

# The reliability suite also runs inside `make test`; this runs it alone, with its summary:
# tests/reliability plus the fault-injection tests of the dbt, publish and email suites.
reliability: venv-dev
	mkdir -p $(PREFECT_HOME)
	$(BIN)/python -m pytest -m reliability

# Benchmarks print figures (bench/README.md); they are not part of the tests.
bench-friday: venv
	$(BIN)/python bench/friday.py

bench-history: venv-dev
	$(BIN)/python bench/history.py

bench-payments: venv
	$(BIN)/python bench/payments.py

# The email, evaluation and ingest stages alone; BEFORE=<checkout> measures it side by side.
bench-stages: venv
	$(BIN)/python bench/stages.py $(if $(BEFORE),--before $(BEFORE))

# Static checks alone (also the first half of `make test`). mypy reads its files and its
# strictness (strict on tpn_metrics/, relaxed on flows/) from [tool.mypy] in pyproject.toml.
lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf warehouse sample_data outbox reports var dbt_project/target dbt_project/logs
