# Two commands on a fresh machine (Python 3.11 + pip): `make run` and `make test`.
# PYTHON makes .venv: python3.11 when there is one, else python3 (it must be 3.11)
PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test generate load docs export stop analyst-login up status down bench bench-nightly clean

setup: $(STAMP)

# a .venv of another Python than 3.11 (say, left by a set-up with the wrong one) is rebuilt
VENV_IS_311 := $(shell $(BIN)/python -c 'import sys; print(sys.version_info[:2] == (3, 11))' 2>/dev/null)
ifneq ($(VENV_IS_311),True)
.PHONY: $(STAMP)
endif

$(STAMP): pyproject.toml constraints.txt
	@if [ -e $(VENV) ] && [ "$(VENV_IS_311)" != "True" ]; then \
	  echo "[cgf] $(VENV) does not run Python 3.11: rebuilding it"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || \
	  { echo "[cgf] the project needs Python 3.11; PYTHON=$(PYTHON) is not: make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || ($(PYTHON) -m pip install --user virtualenv && $(PYTHON) -m virtualenv $(VENV))
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	@touch $(STAMP)

## the main job: embedded warehouse (or CGF_WAREHOUSE_URL), demo data if the landing area is empty, the nightly DAG;
## one line per step and a summary (the full log in var/logs/; `make run CGF_VERBOSE=1` shows it too)
run: setup
	@$(BIN)/python -m include.cli run

## the tests, against real PostgreSQL, Airflow, dbt, Great Expectations and SMTP
## two workers (pytest-xdist), each test module on one: the 2 cores work side by side
PYTEST_ARGS ?= -n 2 --dist loadfile
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## the demo landing area only; the generator's options in GENERATE_ARGS (see `cgf generate --help`),
## e.g. make generate GENERATE_ARGS="--scale 3 --scenario breach"
GENERATE_ARGS ?=
generate: setup
	@$(BIN)/python -m include.cli generate $(GENERATE_ARGS)

load: setup
	$(BIN)/python -m include.cli load

## dbt docs for analysts: generate, then serve on http://127.0.0.1:8080
docs: setup
	$(BIN)/python -m include.cli docs

## the yearly reports as an Excel workbook in CGF_EXPORT_DIR (var/exports), from the built marts
export: setup
	$(BIN)/python -m include.cli export

## the council report of a year (HTML and PDF, the report's tables and charts) from the built marts, in
## var/reports/<year>/: make report YEAR=2020 (without YEAR: the latest year the marts hold); marts not built yet
## (a fresh checkout): it runs the main job first, as make run does
.PHONY: report
YEAR ?=
report: setup
	$(BIN)/python -m include.cli report --run-first $(if $(YEAR),--year $(YEAR))

## stop the embedded PostgreSQL (says what it stopped; its data stays)
stop:
	@$(BIN)/python -m include.cli warehouse stop

## how an analyst logs in as cgf_analyst (reads marts and reference only): prints a ready psql line,
## its password in a pgpass file beside the data folder (var/pgdata-secrets/, mode 0600), never on screen
analyst-login: setup
	@$(BIN)/python -m include.cli warehouse analyst-login

## the whole platform on this machine: Airflow (api-server on 127.0.0.1:CGF_AIRFLOW_PORT, scheduler,
## dag-processor, triggerer, two Celery workers), Redis and the embedded PostgreSQL; pids and logs in var/platform/
up: setup
	@$(BIN)/python -m include.cli up

status:
	@$(BIN)/python -m include.cli status

## stops exactly what `make up` started
down:
	@$(BIN)/python -m include.cli down

bench: setup
	$(BIN)/python bench/bench_load.py

## the full backfill of a national-scale landing area (--scale 20 --years 10) through the nightly DAG, then one
## more night, phase by phase; BENCH_NIGHTLY_ARGS="--scale 1 --years 1" for a small run (docs/performance.md)
BENCH_NIGHTLY_ARGS ?=
bench-nightly: setup
	$(BIN)/python bench/bench_nightly.py $(BENCH_NIGHTLY_ARGS)

clean: down stop
	rm -rf var dbt_project/target dbt_project/logs
