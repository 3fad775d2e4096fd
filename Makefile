# Two entry points on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint docs bench clean

# The decision modules that the install compiles with mypyc (hatch_build.py).
COMPILED := $(shell $(PYTHON) -c 'import tomllib; print(" ".join("engine/" + p for p in tomllib.load(open("pyproject.toml", "rb"))["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"]["compiled"]))')

$(BIN)/clausula: pyproject.toml hatch_build.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/clausula $(VENV)/.compiled

# A compiled module edited since: compile again (otherwise its source runs, more slowly).
$(VENV)/.compiled: $(COMPILED) | $(BIN)/clausula
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

demo: $(BIN)/clausula $(VENV)/.compiled
	$(BIN)/clausula check policies
	$(BIN)/clausula eval policies/uses/demo.jsonl --policies policies

lint: $(BIN)/clausula
	$(BIN)/ruff check engine tests benchmarks
	$(BIN)/mypy

# The documentation site, built strictly (a broken link or a bad API reference fails).
docs: $(BIN)/clausula
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

test: lint docs $(VENV)/.compiled
	$(BIN)/pytest

bench: $(BIN)/clausula
	$(BIN)/python benchmarks/decide.py

clean:
	rm -rf $(VENV) build dist site .pytest_cache .mypy_cache .ruff_cache
