# dvc-portal — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PO := locale/vi/LC_MESSAGES/django.po
MO := locale/vi/LC_MESSAGES/django.mo

# The test suite's services (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dvc_portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
TEST_CACHE_URL ?= redis://127.0.0.1:6379/2
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dvc_bench
PYTEST_ARGS ?=
TEST_FAST_WORKERS ?= auto
TEST_FAST_MARKERS := not browser and not integration and not postgresql

.PHONY: run test test-fast lint check messages bench deps deps-test services worker clean

## run: install what is missing, migrate, load demo data and serve http://127.0.0.1:8000
run: deps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  dvc-portal: http://127.0.0.1:8000   (admin: http://127.0.0.1:8000/admin/)"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:8000

## test: the whole suite against PostgreSQL, Redis, a Celery worker and headless Chromium
test: deps-test services
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" CACHE_URL="$(TEST_CACHE_URL)" \
	  $(PY) -m pytest $(PYTEST_ARGS)

## test-fast: the suite on SQLite in parallel, without browser, subprocess or PostgreSQL-only tests
# (about a minute on two cores); `make test` runs everything before you stop.
test-fast: deps
	DATABASE_URL="sqlite:///$(CURDIR)/var/db.sqlite3" REDIS_URL= CACHE_URL= \
	  $(PY) -m pytest -n $(TEST_FAST_WORKERS) -m "$(TEST_FAST_MARKERS)" $(PYTEST_ARGS)

## check: lint, formatting, migrations in step with models, every message translated
check: deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_translations.py $(PO)

lint: deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## messages: extract translatable strings into the Vietnamese catalogue and compile it
messages: deps
	$(PY) manage.py makemessages -l vi --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=static
	msgfmt --check -o $(MO) $(PO)

## bench: run the benchmarks and print their ratios against the baselines
bench: deps-test services
	scripts/system-deps.sh bench
	@$(PY) scripts/ensure_database.py "$(BENCH_DATABASE_URL)"
	DATABASE_URL="$(BENCH_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" $(PY) bench/run.py

## worker: a Celery worker on every queue (needs REDIS_URL)
worker: deps
	$(VENV)/bin/celery -A portal worker -Q default,documents,notifications -l info

deps: $(VENV)/.installed $(MO)

deps-test: deps
	scripts/system-deps.sh test

$(VENV)/.installed: pyproject.toml
	scripts/system-deps.sh run
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(MO): $(PO)
	@command -v msgfmt >/dev/null || scripts/system-deps.sh run
	msgfmt --check -o $(MO) $(PO)

services:
	scripts/services.sh
	@$(PY) scripts/ensure_database.py "$(TEST_DATABASE_URL)"

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache $(MO)
