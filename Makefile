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
BRIDGE_BUILD_REQUIREMENTS := containers/media_bridge/requirements-build.txt  # mypyc, in the image's build stage
LAMBDA_REQUIREMENTS := functions/requirements.txt
EXPORT := $(UV) export --frozen --no-default-groups --no-emit-project --quiet
# The template scanners (checkov, cfn-lint) have their own lock: checkov pins an old boto3 that
# must not drag the shipped one down. `infra/scan/` is a non-package uv project.
SCAN_PROJECT := infra/scan
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed
TEMPLATE := cdk.out/Pitstop.template.json

# The bridge as its image ships it, the hot path compiled (containers/media_bridge/compile_hot_path.py):
# rebuilt from the sources on every run, so it is never stale.
COMPILED := build/bridge-compiled

.PHONY: install lock requirements demo test test-fast test-compiled check lint format bench synth scan scan-env deploy clean

install: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet uv==$(UV_VERSION); }
	$(UV) sync --frozen --all-extras --quiet
	touch $(STAMP)

lock: install
	$(UV) lock
	$(BIN)/uv lock --project $(SCAN_PROJECT)
	$(MAKE) requirements

scan-env: $(SCAN_STAMP)

$(SCAN_STAMP): $(STAMP) $(SCAN_PROJECT)/pyproject.toml $(SCAN_PROJECT)/uv.lock
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(SCAN_VENV) $(BIN)/uv sync --project $(SCAN_PROJECT) --frozen --quiet
	touch $(SCAN_STAMP)

requirements: install
	$(EXPORT) --extra bridge -o $(BRIDGE_REQUIREMENTS)
	$(EXPORT) --only-group native -o $(BRIDGE_BUILD_REQUIREMENTS)
	$(EXPORT) --no-emit-package boto3 --no-emit-package botocore --no-emit-package s3transfer \
	  -o $(LAMBDA_REQUIREMENTS)

demo: install
	$(BIN)/pitstop demo

test: install scan-env
	$(BIN)/pytest -q
	$(MAKE) test-compiled

# The bridge's own tests again, on the compiled build (tests/conftest.py checks that they are).
test-compiled: install
	rm -rf $(COMPILED)
	$(BIN)/python containers/media_bridge/compile_hot_path.py $(COMPILED)
	PYTHONPATH=$(COMPILED) PITSTOP_BRIDGE_COMPILED=1 $(BIN)/pytest -q -p no:cacheprovider \
	  tests/unit/bridge tests/integration/bridge

test-fast: install
	$(BIN)/pytest -q -m "not e2e and not infra"

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(UV) lock --check --quiet
	$(BIN)/uv lock --check --quiet --project $(SCAN_PROJECT)

lint: check

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m tests.bench

CDK := node_modules/.bin/cdk
# jsii silences its node end-of-life banner for the listed node majors ("20"), not for "1".
NODE_MAJOR = $(shell node -p "process.versions.node.split('.')[0]" 2>/dev/null)

$(CDK):
	npm install --prefix . --no-save --no-audit --no-fund aws-cdk@2

# Offline synthesis: Lambda bundling (pip for aarch64) is skipped; `make deploy` bundles for real.
# Then checkov and cfn-lint: synthesis fails on any finding not acknowledged with a reason.
synth: install scan-env $(CDK)
	AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=$(NODE_MAJOR) \
	  $(CDK) synth --quiet --no-notices -c skip_bundling=true
	$(SCAN_VENV)/bin/python $(SCAN_PROJECT)/run.py $(TEMPLATE)

scan: synth

deploy: install $(CDK)
	$(CDK) deploy

clean:
	rm -rf $(VENV) $(SCAN_VENV) build cdk.out .pitstop .pytest_cache .mypy_cache .ruff_cache node_modules
