# Pitstop developer commands. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast bench synth deploy lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/pitstop demo

test: install
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not e2e and not infra"

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

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) cdk.out .pitstop .pytest_cache node_modules
