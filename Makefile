# The two commands of the README: `make run` and `make test`. Everything else is what they build on.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app surveyapp
HOST ?= 127.0.0.1
PORT ?= 5000
CATALOGUES := $(wildcard surveyapp/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: run test test-sqlite test-postgresql setup translations extract-messages clean help bench

help:
	@echo "make run   - install, prepare instance/ and the database, serve on http://$(HOST):$(PORT)"
	@echo "make test  - the whole test suite (SQLite; PostgreSQL too when SURVEYAPP_TEST_POSTGRES_URL is set)"
	@echo "make bench - 3,209 / 100,000 / 1,000,000 establishments vs Datasette and raw SQL (BENCH_ARGS=--help)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

%.mo: %.po $(VENV)/.runtime
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@

translations: $(COMPILED)

setup: $(VENV)/.runtime translations
	$(FLASK) setup

run: setup
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	$(VENV)/bin/waitress-serve --host=$(HOST) --port=$(PORT) --threads=8 --call surveyapp:create_app

test: $(VENV)/.dev translations
	$(PY) -m pytest
	@if [ -n "$$SURVEYAPP_TEST_POSTGRES_URL" ]; then \
		echo "== the same suite on PostgreSQL =="; \
		SURVEYAPP_TEST_BACKEND=postgresql $(PY) -m pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but SURVEYAPP_TEST_POSTGRES_URL is not set: the PostgreSQL run cannot be skipped" >&2; exit 1; \
	else \
		echo "PostgreSQL run skipped: SURVEYAPP_TEST_POSTGRES_URL is not set (.ci/run starts a throwaway server)"; \
	fi

# Datasette has its own venv: it is only for the side-by-side benchmark, never a dependency of the app.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet -r bench/requirements.txt
	touch $@

# SQLite, and PostgreSQL too when its server binaries are installed (a durable cluster kept in
# bench/work/pg, so its databases are built once). Databases are reused: BENCH_ARGS=--rebuild.
bench: $(VENV)/.dev translations $(BENCH_VENV)/.installed
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		SURVEYAPP_PG_PORT=$${SURVEYAPP_BENCH_PG_PORT:-5439} SURVEYAPP_PG_DIR=bench/work/pg bash -c \
			'. .ci/postgres.sh && $(PY) -m bench.run --readme --postgres "$$SURVEYAPP_TEST_POSTGRES_URL" $(BENCH_ARGS)'; \
	else \
		echo "PostgreSQL server binaries not found: SQLite only"; $(PY) -m bench.run --readme $(BENCH_ARGS); \
	fi

extract-messages: $(VENV)/.runtime
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o surveyapp/translations/messages.pot .
	$(VENV)/bin/pybabel update -i surveyapp/translations/messages.pot -d surveyapp/translations

clean:
	rm -rf $(VENV) .pytest_cache $(COMPILED)
