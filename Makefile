# Pitstop developer commands. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast bench synth lint clean

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

synth: install
	cd . && npx --yes aws-cdk@2 synth --app "$(BIN)/python app.py" --quiet

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) cdk.out .pitstop .pytest_cache
