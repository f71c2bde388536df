# Two commands for a new user: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PREFECT_HOME ?= $(CURDIR)/var/prefect
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: demo test reliability bench-friday bench-history bench-payments lint venv venv-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $@ $(VENV)/.installed-runtime

venv: $(VENV)/.installed-runtime
venv-dev: $(VENV)/.installed-dev

demo: venv
	mkdir -p $(PREFECT_HOME)
	$(BIN)/tpn demo

test: venv-dev
	mkdir -p $(PREFECT_HOME)
	$(BIN)/ruff check .
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

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf warehouse sample_data outbox reports var dbt_project/target dbt_project/logs
