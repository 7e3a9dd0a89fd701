# The two commands: `make run` and `make test`. Both create and reuse .venv in this folder.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install messages static migrate demo lint format bench bench-smoke ci clean

$(STAMP): pyproject.toml package.json
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11 ($(PYTHON))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@command -v msgfmt >/dev/null || { echo "Installing gettext (msgfmt) ..."; \
		(apt-get update -qq && apt-get install -y -qq gettext) >/dev/null || \
		{ echo "gettext is missing: install it (apt-get install gettext)"; exit 1; }; }
	@if [ -f package.json ]; then \
		command -v npm >/dev/null || { echo "npm is missing: install Node.js (apt-get install nodejs npm)"; exit 1; }; \
		npm install --no-audit --no-fund --silent; fi
	@touch $(STAMP)

install: $(STAMP)

messages: install
	@if find locale -name '*.po' 2>/dev/null | grep -q .; then \
		$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0; \
	else echo "no translation catalogues in locale/ yet: nothing to compile"; fi

static: install
	$(PY) manage.py collectstatic --noinput -v0

migrate: install
	$(PY) manage.py migrate --noinput -v0

demo: migrate
	$(PY) manage.py seed_demo $(DEMO_ARGS)

# `make run` serves as production does (DEBUG=0: the site's own error pages, static files from
# STATIC_ROOT through WhiteNoise) but on plain HTTP, with a secret key generated once into
# $(SECRET_KEY_FILE) (untracked, kept between runs). `DEBUG=1 make run` shows Django's debug pages.
# The variables apply to every step of `make run` (collectstatic, migrate, seed_demo, runserver).
SECRET_KEY_FILE ?= .secret_key
comma := ,
space := $(subst ,, )
run: export DEBUG ?= 0
run: export SECRET_KEY ?= $(shell cat $(SECRET_KEY_FILE) 2>/dev/null)
run: export SESSION_COOKIE_SECURE ?= 0
run: export CSRF_COOKIE_SECURE ?= 0
run: export ALLOWED_HOSTS ?= $(subst $(space),$(comma),$(sort $(HOST) 127.0.0.1 localhost))
run: DEMO_ARGS = --with-logins

$(SECRET_KEY_FILE):
	@umask 077 && $$(command -v $(PYTHON) || command -v python3) -c "import secrets; print(secrets.token_urlsafe(50))" > $@.tmp && mv $@.tmp $@
	@echo "generated a secret key for make run in $@ (not tracked by git; delete it to get a new one)"

run: $(SECRET_KEY_FILE) messages static migrate demo
	$(PY) manage.py recompute_stats --if-needed
	@echo ""
	@echo "  辽宁省可转化科技成果库 — http://$(HOST):$(PORT)/"
	@$(PY) manage.py demo_logins
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

test: messages static
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(PY) -m ruff check .
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: migrate
	$(PY) benchmarks/run_all.py

# The same benchmarks at tiny sizes (seconds): checks that they still run.
bench-smoke: install
	$(PY) benchmarks/run_all.py --small

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles node_modules .pytest_cache
