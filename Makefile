# Two commands matter: `make run` (the demo, embedded default) and `make test` (everything).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PG_URL ?= postgres://postgres@127.0.0.1:5432/switchboard
REDIS ?= redis://127.0.0.1:6379/0
PROCESSES ?= 2
PORT ?= 8000

.PHONY: install run serve test lint services messages bench demo-env screenshots

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python -m pip install -q -r requirements.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# A random SECRET_KEY for this checkout, kept out of git.
.env:
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env with a fresh SECRET_KEY"

messages: install
	if [ -d locale ]; then $(BIN)/python manage.py compilemessages --ignore=.venv -v 0; fi

run: install .env messages
	$(BIN)/python manage.py migrate --noinput -v 0
	PORT=$(PORT) $(BIN)/python manage.py load_demo
	@# The demo shop signs its visitor in as a demo customer (?as=C-1001) with a secret of this run's
	@# unless .env or the environment sets one.
	secret="$${WIDGET_CUSTOMER_SECRET:-$$(sed -n 's/^WIDGET_CUSTOMER_SECRET=//p' .env)}"; \
	WIDGET_CUSTOMER_SECRET="$${secret:-$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(24))')}" \
	  PORT=$(PORT) $(BIN)/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application

services:
	@bash scripts/ensure-services.sh

# The scaled-out form (deploy/): nginx on PORT before PROCESSES daphne processes (PORT+1..) on
# PostgreSQL + Redis, a Celery worker and beat.
serve: install .env messages services
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(BIN)/python manage.py load_demo
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) PROCESSES=$(PROCESSES) PORT=$(PORT) bash scripts/serve.sh

lint: install .env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# Browser tests run in their own pytest process: Playwright's sync API keeps an event loop in the
# main thread for the rest of a session, which would break the async tests that follow it.
TEST_ENV := DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) CHANNEL_LAYER_PREFIX=sbtest$$$$ CELERY_TASK_ALWAYS_EAGER=1 \
	DJANGO_ALLOW_ASYNC_UNSAFE=true

# What `git diff` says before the run: a test run must leave tracked files as it found them.
TRACKED_BEFORE := $(shell git diff 2>/dev/null | cksum)

# The bulk runs on two workers (pytest-xdist; tests/worker_isolation.py gives each its own Redis names),
# then what starts real processes or benchmarks runs alone (the "serial" marker, tests/conftest.py).
PARALLEL := PYTHONPATH=. $(BIN)/pytest -p tests.worker_isolation -n 2 --dist loadfile
EMBEDDED_ENV := env -u DATABASE_URL -u REDIS_URL DJANGO_ALLOW_ASYNC_UNSAFE=true

test: install .env services messages lint
	$(TEST_ENV) $(PARALLEL) -m "not browser and not serial"
	$(TEST_ENV) $(BIN)/pytest -m "serial and not browser"
	$(TEST_ENV) $(BIN)/pytest -m browser
	$(EMBEDDED_ENV) $(PARALLEL) -m "embedded and not browser and not serial" -o addopts="" -p no:cacheprovider -q
	$(EMBEDDED_ENV) $(BIN)/pytest -m "embedded and serial and not browser" -o addopts="" -p no:cacheprovider -q
	@[ "$$(git diff 2>/dev/null | cksum)" = "$(TRACKED_BEFORE)" ] || { echo "The test run modified tracked files:"; git status --short; exit 1; }

# Refresh the screenshots kept in docs/ (the browser tests write them to var/screenshots/ otherwise).
screenshots: install .env services messages
	$(TEST_ENV) SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -m browser

# Benchmarks on their own databases (sb_bench, var/bench/): `make bench BENCH_ARGS="relay --smoke"`.
bench: install services messages
	REDIS_URL=$(REDIS) $(BIN)/python -m bench $(BENCH_ARGS)
