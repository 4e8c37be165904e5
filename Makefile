# caselog — the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run worker test test-fast lint format check ci bench bench-peer loadtest sqlite-stress cluster-test clean

help:
	@echo "make run    set everything up, load demo data and serve http://$(HOST):$(PORT)/"
	@echo "make test   set everything up (Chromium too) and run the whole test suite"
	@echo "make lint   ruff check + format check + mypy + the layering contracts;  make format  reformat"
	@echo "make bench  benchmark log, export, case page, admin, throughput at 1,000,000 cases,"
	@echo "            then the full-text search at 100,000 cases x 5 messages"
	@echo "make bench-peer  django-helpdesk beside caselog on the same 100,000 cases"
	@echo "make loadtest  gunicorn + 20 writers/20 readers for 60 s; DATABASE_URL=postgres://... for PostgreSQL"
	@echo "make cluster-test  two app nodes, a worker, PostgreSQL, Redis and S3 (moto): see docs/deploy.md"

$(PY):
	@python="$$(scripts/find-python)" && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# E-mails sent while serving link to where the site is served (unless set already).
run: export CASELOG_SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ with the background worker (Ctrl-C stops both)"
	@# The worker sends the e-mails and runs the periodic jobs; it stops with the server.
	@$(PY) manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@scripts/ensure-chromium
	@scripts/ensure-java
	@scripts/ensure-libreoffice
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

bench: install
	$(PY) benchmarks/bench_log.py $(BENCH_ARGS)
	@# The search benchmark keeps its own database: bench_search_caselog beside bench_caselog.
	$(PY) benchmarks/bench_search.py $(if $(DATABASE_URL),--db $(subst /bench_caselog,/bench_search_caselog,$(DATABASE_URL))) $(BENCH_SEARCH_ARGS)

bench-peer: install
	$(PY) benchmarks/helpdesk_compare.py $(BENCH_ARGS)

loadtest: install
	$(PY) scripts/loadtest.py $(LOADTEST_ARGS)

# runserver, the worker and a management command every second on one SQLite file.
sqlite-stress: install
	$(PY) scripts/sqlite_stress.py $(STRESS_ARGS)

worker: install
	$(PY) manage.py run_worker

# Two gunicorn nodes, a worker, PostgreSQL, Redis, moto's S3 server and an SMTP sink.
cluster-test: install
	$(PY) scripts/cluster_test.py $(CLUSTER_ARGS)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var staticfiles
