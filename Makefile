# The README's two commands are `make demo` and `make test`; the rest are their parts.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000
export JIYUN_TEST_POSTGRES ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: demo install install-dev translations extract-messages test test-sqlite test-postgres test-fast \
        lint format devcloud-up devcloud-down clean

demo: install ## install, migrate, load the catalog and the demo district, run
	$(FLASK) db upgrade
	$(FLASK) catalog sync
	$(FLASK) demo seed
	$(FLASK) billing prices
	@echo "Jiyun runs at http://$(HOST):$(PORT)/  (Ctrl-C stops it and its worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A portal.worker worker --beat --pool threads --concurrency 4 \
		--loglevel WARNING --schedule instance/celerybeat-schedule & \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - \
		'portal:create_app()'


$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(MAKE) --no-print-directory translations

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(MAKE) --no-print-directory translations

translations:
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations >/dev/null

# Updates the catalogs after interface text changed: translate, then `make translations`.
extract-messages:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations

## The whole suite: unit tests on SQLite, then everything (unit, integration with
## PostgreSQL/RabbitMQ/devcloud/ansible, e2e in Chromium) on PostgreSQL.
test: install-dev
	scripts/ensure-test-services
	devcloud/up
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite:
	JIYUN_TEST_DB=sqlite $(BIN)/pytest tests/unit

test-postgres:
	JIYUN_TEST_DB=postgresql $(BIN)/pytest tests

test-fast: install-dev ## unit tests on SQLite only: no services needed
	JIYUN_TEST_DB=sqlite $(BIN)/pytest tests/unit -x -q

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

devcloud-up:
	devcloud/up

devcloud-down:
	devcloud/down

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache test-artifacts
