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
# `make fuzz-api` drops and creates this database on every run.
FUZZ_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dvc_fuzz
FUZZ_EXAMPLES ?= 50
FUZZ_SEED ?= 20261206
FUZZ_ARGS ?= --serve
PYTEST_ARGS ?=
TEST_FAST_WORKERS ?= auto
TEST_FAST_MARKERS := not browser and not integration and not postgresql

.PHONY: run test test-fast lint check messages bench fuzz-api papers deps deps-test lock services worker clean

## run: install what is missing, migrate, load demo data and serve http://127.0.0.1:8000, with the
## demo PKI's CRL, OCSP responder and timestamp authority on http://127.0.0.1:8790 (left running
## in the background: `scripts/pki_service.sh stop`), and the DEMO national eID provider (VNeID
## stand-in, OpenID Connect) on http://127.0.0.1:8792 (`scripts/eid_provider.sh stop`)
run: deps
	PY=$(PY) scripts/pki_service.sh start
	PY=$(PY) scripts/eid_provider.sh start
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
test-fast: deps-test
	DATABASE_URL="sqlite:///$(CURDIR)/var/db.sqlite3" REDIS_URL= CACHE_URL= \
	  $(PY) -m pytest -n $(TEST_FAST_WORKERS) -m "$(TEST_FAST_MARKERS)" $(PYTEST_ARGS)

## check: lint, formatting, imports in their layers, migrations in step, every message translated
check: deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_translations.py $(PO)

lint: deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## papers: render every kind of paper with long realistic content to docs/papers/*.png (60 dpi),
## through the layout test (tests/signing/test_papers.py), for reviewers to look at
papers: deps-test
	rm -rf docs/papers var/papers.sqlite3
	DATABASE_URL="sqlite:///$(CURDIR)/var/papers.sqlite3" REDIS_URL= CACHE_URL= \
	  PAPERS_DIR="$(CURDIR)/docs/papers" $(PY) -m pytest -p no:randomly -q tests/signing/test_papers.py

## messages: extract translatable strings into the Vietnamese catalogue and compile it
messages: deps
	$(PY) manage.py makemessages -l vi --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=static
	msgfmt --check -o $(MO) $(PO)

## bench: run the benchmarks and print their ratios against the baselines
bench: deps-test services
	scripts/system-deps.sh bench
	@$(PY) scripts/ensure_database.py "$(BENCH_DATABASE_URL)"
	DATABASE_URL="$(BENCH_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" $(PY) bench/run.py

## fuzz-api: schemathesis against a live gunicorn on FUZZ_DATABASE_URL (created afresh), as
## anonymous, citizen and desk officer, every check and phase (a few minutes; FUZZ_EXAMPLES per
## operation, FUZZ_SEED; FUZZ_ARGS="--url URL --tokens JSON" for a portal already running)
fuzz-api: deps services
	FUZZ_DATABASE_URL="$(FUZZ_DATABASE_URL)" FUZZ_EXAMPLES="$(FUZZ_EXAMPLES)" FUZZ_SEED="$(FUZZ_SEED)" \
	  $(PY) scripts/fuzz_api.py $(FUZZ_ARGS)

## worker: a Celery worker on every queue (needs REDIS_URL)
worker: deps
	$(VENV)/bin/celery -A portal worker -Q default,documents,notifications -l info

deps: $(VENV)/.installed $(MO)

deps-test: deps
	scripts/system-deps.sh test

# Locked installs: every package at the version and with the hashes that `make lock` wrote.
# requirements.lock is the site's (the Dockerfile installs it alone); requirements-dev.lock has the
# same pins plus the dev extra (tests, linters, pip-tools) and is what `make` installs. Both are
# for CPython 3.11 on Linux x86_64 and hold pip, setuptools and wheel too, so the project itself
# installs without fetching anything (--no-build-isolation). pip check fails when pyproject.toml
# asks for something the lock lacks: then `make lock`.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock

$(VENV)/.installed: $(DEV_LOCK) $(LOCK) pyproject.toml
	scripts/system-deps.sh run
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check || { echo "pyproject.toml and $(DEV_LOCK) disagree: make lock" >&2; exit 1; }
	touch $@

## lock: re-lock requirements*.lock from pyproject.toml (PIP_COMPILE_ARGS=--upgrade for newer
## releases, or --upgrade-package NAME); against the index alone, never this machine's wheel
## folders, so every hash is one the index publishes. The dev lock is constrained to the site's.
PIP_COMPILE_ARGS ?=
PIP_COMPILE = env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" \
    $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
    --no-emit-index-url --no-emit-find-links --all-build-deps $(PIP_COMPILE_ARGS)
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/pip-compile || $(PY) -m pip install -q --require-hashes -r $(DEV_LOCK)
	$(PIP_COMPILE) -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev -c $(LOCK) -o $(DEV_LOCK) pyproject.toml

$(MO): $(PO)
	@command -v msgfmt >/dev/null || scripts/system-deps.sh run
	msgfmt --check -o $(MO) $(PO)

services:
	scripts/services.sh
	@$(PY) scripts/ensure_database.py "$(TEST_DATABASE_URL)"

clean:
	-PY=$(PY) scripts/pki_service.sh stop
	-PY=$(PY) scripts/eid_provider.sh stop
	rm -rf $(VENV) var .pytest_cache .ruff_cache $(MO)
