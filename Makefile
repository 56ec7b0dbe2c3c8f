# gaemi — the README's two commands are `make run` and `make check`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run report install dev lint typecheck test test-fast bench check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,web,dist]"
	touch $@ $(STAMP)

install: $(STAMP)            ## install gaemi into .venv
dev: $(DEV_STAMP)            ## install gaemi with the dev, web and dist extras

run: $(STAMP)                ## the main job on the embedded default data
	$(BIN)/gaemi report --html gaemi-report.html

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

test: $(DEV_STAMP)           ## the suite on every core (pytest-xdist, at most 4 workers), then the schema tests
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist worksteal --ignore tests/present/test_web_schema.py
	$(BIN)/pytest -q -p no:xdist tests/present/test_web_schema.py

bench: $(DEV_STAMP)          ## benchmarks write JSON into benchmarks/results/
	$(BIN)/python -m benchmarks.run

check: lint typecheck test   ## everything CI runs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
