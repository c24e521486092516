# Two commands on a fresh machine (Python 3.11 + pip): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test generate load docs stop bench bench-nightly clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || ($(PYTHON) -m pip install --user virtualenv && $(PYTHON) -m virtualenv $(VENV))
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	@touch $(STAMP)

## the main job: embedded warehouse (or CGF_WAREHOUSE_URL), demo data if the landing area is empty, the nightly DAG
run: setup
	$(BIN)/python -m include.cli run

## the tests, against real PostgreSQL, Airflow, dbt, Great Expectations and SMTP
## two workers (pytest-xdist), each test module on one: the 2 cores work side by side
PYTEST_ARGS ?= -n 2 --dist loadfile
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

generate: setup
	$(BIN)/python -m include.demo.generator --landing-dir $${CGF_LANDING_DIR:-var/landing}

load: setup
	$(BIN)/python -m include.cli load

## dbt docs for analysts: generate, then serve on http://127.0.0.1:8080
docs: setup
	$(BIN)/python -m include.cli docs

stop:
	$(BIN)/python -m include.cli warehouse stop

bench: setup
	$(BIN)/python bench/bench_load.py

## the nightly run under each Cosmos execution mode against a plain dbt build
bench-nightly: setup
	$(BIN)/python bench/bench_nightly.py

clean: stop
	rm -rf var dbt_project/target dbt_project/logs
