# The two commands a new user needs: `make demo` and `make test`. Both create or reuse .venv,
# install the project, and obtain a Temporal CLI (cached outside the repository).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install temporal-cli clean dev-up dev-down

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pathways needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

temporal-cli: $(STAMP)
	@$(BIN)/pathways dev temporal-cli

demo: install temporal-cli
	$(BIN)/pathways demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

test: install temporal-cli lint typecheck
	$(BIN)/python -m pytest -q

unit: install
	$(BIN)/python -m pytest -q tests/unit

dev-up: install temporal-cli
	$(BIN)/pathways dev up

dev-down: install
	$(BIN)/pathways dev down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
