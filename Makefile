# The README's two commands are `make demo` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo test lint format bench bench-quick clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: setup  ## serve the Jakarta 2024 demo on the embedded SQLite store
	$(BIN)/rekap serve --demo --host $(HOST) --port $(PORT)

test: setup  ## the whole suite, SQLite and PostgreSQL
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-quick: setup
	$(BIN)/python -m bench.run --quick

bench: setup
	$(BIN)/python -m bench.run --national

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
