# make run: set up and serve the demo on http://127.0.0.1:5000
# make test: set up and run the whole suite (lint, security scan, tests)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup lint format db demo worker bench clean i18n-extract i18n-update i18n-compile assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

setup: $(VENV)/.installed

db: setup
	$(FLASK) db upgrade

demo: db
	$(FLASK) clinic ensure-demo

# The delivery worker runs beside the server so new leads' mails show up in the log,
# written as plain text lines for a person at a terminal (production logs are JSON).
run: export LOG_FORMAT ?= text
run: demo
	@echo "Serving the demo on http://$(HOST):$(PORT)/ with the delivery worker (Ctrl-C stops both)"
	@$(FLASK) deliver --poll 5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

worker: setup
	$(FLASK) deliver

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r quiz

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# axe-core for the accessibility tests. Without npm the suite still runs: those tests skip
# locally with a reason, and fail when CI is set.
node_modules/.installed: package.json $(wildcard package-lock.json)
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "warning: npm not found: the axe accessibility tests will skip (and fail in CI)" >&2; \
	elif [ -f package-lock.json ]; then \
		npm ci --no-audit --no-fund && touch $@; \
	else \
		npm install --no-audit --no-fund && touch $@; \
	fi

# The scripts (the host-page loader, the quiz frame's widget.js and the popup's popup.js) and
# the quiz's stylesheet are written in assets/ and shipped minified in static/, committed, so
# running the app needs no Node; tests/test_asset_builds.py fails when a shipped file no
# longer matches its source.
assets: node_modules/.installed
	npm run --silent build:embed > static/embed.js
	npm run --silent build:widget > static/js/widget.js
	npm run --silent build:popup > static/js/popup.js
	npm run --silent build:css > static/css/quiz.css

# Throughput with wrk when it is installed (Debian package `wrk`; nothing is installed here),
# then latency of whole visits, the burst of 200 leads (benchmarks/README.md).
bench: setup
	$(BIN)/python benchmarks/load.py

test: lint node_modules/.installed
	$(BIN)/python -m pytest

# Interface translations: extract the strings into a template, merge it into the de and es
# catalogues, then compile them. The compiled .mo files are committed (no build step needed);
# tests/test_i18n.py fails when a .mo no longer matches its .po.
PYBABEL := $(BIN)/pybabel
I18N_DIR := quiz/translations

i18n-extract: setup
	$(PYBABEL) extract --mapping babel.cfg --keywords _l --keywords N_ --add-comments Translators: \
		--sort-by-file --no-wrap --project mesoquiz --output-file $(I18N_DIR)/messages.pot quiz templates templates/_macros

i18n-update: i18n-extract
	$(PYBABEL) update --input-file $(I18N_DIR)/messages.pot --output-dir $(I18N_DIR) --no-wrap

i18n-compile: setup
	$(PYBABEL) compile --directory $(I18N_DIR) --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis node_modules
