# Pitstop developer commands. `make demo` and `make test` are the README's two commands.
# Everything installs from uv.lock: `make install` never resolves, `make lock` is the only target
# that does (and regenerates every artefact's requirement list from the lock).
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
UV := UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv
STAMP := $(VENV)/.installed
# Code that ships: the type checker and the import rules cover all of it.
SHIPPED := pitstop functions containers/media_bridge/media_bridge infra app.py
# Artefact requirement lists, exported from the lock (see `lock`). boto3/botocore/s3transfer
# come with the Lambda runtime, so the Lambda bundles leave them out.
BRIDGE_REQUIREMENTS := containers/media_bridge/requirements.txt
LAMBDA_REQUIREMENTS := functions/requirements.txt
EXPORT := $(UV) export --frozen --no-dev --no-emit-project --quiet

.PHONY: install lock requirements demo test test-fast check lint format bench synth deploy clean

install: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet uv==$(UV_VERSION); }
	$(UV) sync --frozen --all-extras --quiet
	touch $(STAMP)

lock: install
	$(UV) lock
	$(MAKE) requirements

requirements: install
	$(EXPORT) --extra bridge -o $(BRIDGE_REQUIREMENTS)
	$(EXPORT) --no-emit-package boto3 --no-emit-package botocore --no-emit-package s3transfer \
	  -o $(LAMBDA_REQUIREMENTS)

demo: install
	$(BIN)/pitstop demo

test: install
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not e2e and not infra"

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(UV) lock --check --quiet

lint: check

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m tests.bench

CDK := node_modules/.bin/cdk

$(CDK):
	npm install --prefix . --no-save --no-audit --no-fund aws-cdk@2

# Offline synthesis: Lambda bundling (pip for aarch64) is skipped; `make deploy` bundles for real.
synth: install $(CDK)
	AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1 \
	  $(CDK) synth --quiet --no-notices -c skip_bundling=true

deploy: install $(CDK)
	$(CDK) deploy

clean:
	rm -rf $(VENV) cdk.out .pitstop .pytest_cache .mypy_cache .ruff_cache node_modules
