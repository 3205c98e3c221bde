# Concord: `make run` starts the whole assistant; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY311 ?= python3.11
# Rasa 3.6 needs Python 3.10: from pyenv if it has one, else python3.10 on PATH.
PY310 ?= $(shell p=$$(pyenv prefix 3.10 2>/dev/null) && echo $$p/bin/python3.10 || command -v python3.10)
VENV := .venv
RASA_VENV := .venv-rasa
# What Rasa trains on (data/sentiment and data/vulnerability are the api's, not Rasa's).
TRAINING_INPUTS := config.yml domain.yml $(shell find data/nlu data/rules data/stories -type f -name '*.yml' 2>/dev/null) $(wildcard concord_nlu/*.py)
MODEL := models/concord.tar.gz
# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install run test bench train lint clean telegram-webhook user

help:
	@echo "make run    start Rasa, actions and api on embedded defaults (SQLite, demo data)"
	@echo "make test   install what tests need and run every test"
	@echo "make bench  BENCH_USERS concurrent customers (50) for BENCH_SECONDS (60) per phase, against raw Rasa"
	@echo "make train  train the Rasa model if config.yml, domain.yml or data/ changed"
	@echo "make lint   ruff"
	@echo "make clean  remove the local database, models and caches"
	@echo "make user USERNAME=maria NAME=Maria ROLE=agent LANGUAGES=en,es   add an agent-console user (asks for the password)"
	@echo "make telegram-webhook  point the Telegram bot at CONCORD_PUBLIC_URL with the webhook secret"

install: $(VENV)/.installed $(RASA_VENV)/.installed

$(VENV)/.installed: requirements/app.txt requirements/test.txt
	@command -v $(PY311) >/dev/null || { echo "Python 3.11 is needed: install python3.11 (or set PY311=...)"; exit 1; }
	test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip==24.3.1
	$(VENV)/bin/pip install --quiet -r requirements/test.txt
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt
	@test -n "$(PY310)" || { echo "Rasa 3.6 needs Python 3.10. Install it with 'pyenv install 3.10' or your package manager (python3.10 + python3.10-venv), then run make again."; exit 1; }
	test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade pip==24.3.1
	$(RASA_VENV)/bin/pip install --quiet -r requirements/rasa.txt
	touch $@

train: $(MODEL)

$(MODEL): $(RASA_VENV)/.installed $(TRAINING_INPUTS)
	RASA_TELEMETRY_ENABLED=false $(RASA_VENV)/bin/rasa train --quiet --fixed-model-name concord --out models
	touch $@

run: install $(MODEL)
	$(VENV)/bin/python -m api.cli run

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

test: install $(MODEL) $(CHROMIUM)
	$(VENV)/bin/python -m pytest

ROLE ?= agent
LANGUAGES ?= en
user: $(VENV)/.installed
	@test -n "$(USERNAME)" -a -n "$(NAME)" || { echo "usage: make user USERNAME=maria NAME=Maria [ROLE=agent|supervisor|admin] [LANGUAGES=en,es]"; exit 1; }
	$(VENV)/bin/python -m api.cli migrate
	$(VENV)/bin/python -m api.cli create-user "$(USERNAME)" --name "$(NAME)" --role "$(ROLE)" --languages "$(LANGUAGES)"

$(VENV)/.bench: requirements/bench.txt $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -r requirements/bench.txt
	touch $@

bench: install $(MODEL) $(VENV)/.bench
	$(VENV)/bin/python -m bench.load

telegram-webhook: $(VENV)/.installed
	$(VENV)/bin/python -m api.cli telegram-webhook

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var models .pytest_cache .ruff_cache tests/artifacts
