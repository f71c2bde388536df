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

.PHONY: demo test reliability bench-friday bench-friday-served bench-history bench-payments \
	bench-install bench-stages bench-compare lint lock venv venv-dev clean

# uv's wheel is one static binary: pip puts it straight into .venv-uv (--target), which skips
# creating a virtual environment and its own pip (ensurepip: ~9 of the ~12 s this step took).
# Without a pip for $(PYTHON), a virtual environment brings one.
$(UV):
	if $(PYTHON) -m pip --version >/dev/null 2>&1; then \
		PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install --quiet --no-deps --no-compile --upgrade \
			--target .venv-uv "uv==$(UV_VERSION)"; \
	else \
		$(PYTHON) -m venv .venv-uv && \
		.venv-uv/bin/python -m pip install --quiet "uv==$(UV_VERSION)"; \
	fi

# Stamps re-run the install whenever pyproject.toml or uv.lock changes. --locked refuses to
# install when uv.lock no longer matches pyproject.toml (run `make lock`).
$(VENV)/.installed-runtime: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --no-dev --quiet
	touch $@

# The dev environment (tests, lint, benches) is compiled to bytecode once here: each test's
# fresh Python process (tpn, prefect server and worker, flow runs) then reads it instead of
# compiling what it imports, ~6 s CPU for the pipeline's modules, every time wherever
# PYTHONDONTWRITEBYTECODE is set (as on this workplace's machines and CI). `make venv` (demo)
# skips it: one run compiles what it imports once, cheaper than compiling all of site-packages.
$(VENV)/.installed-dev: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --quiet --compile-bytecode
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
	$(BIN)/python bench/payments.py $(if $(ROWS),--rows $(ROWS))

# The Friday run through a long-running `prefect server`, deployments and a process worker.
bench-friday-served: venv-dev
	$(BIN)/python bench/friday_served.py

# A fresh install (temporary copy of this tree, empty caches) up to `make demo`'s flow run.
bench-install:
	$(PYTHON) bench/install.py

# Every bench on BEFORE (a git ref, in a temporary worktree) and on this tree, alternately:
#   make bench-compare BEFORE=74bb481 [BENCHES="friday payments"] [ROWS=100000] [YEARS="1 2"]
bench-compare: venv-dev
	$(if $(BEFORE),,$(error BEFORE=<git ref> is required, e.g. make bench-compare BEFORE=main))
	$(BIN)/python bench/compare.py --before $(BEFORE) $(if $(BENCHES),--benches $(BENCHES)) \
		$(if $(ROWS),--rows $(ROWS)) $(if $(YEARS),--years $(YEARS))

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
