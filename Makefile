# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv/ on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv demo test lint build check-generated bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Grade the shipped example class through nbgrader's real workflow and gradebook.
demo: $(STAMP)
	$(BIN)/python -m autograder.demo

## Lint, then the whole test suite (generated files fresh, golden results, stability under load, ...).
test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check autograder tests bench

## Regenerate source/, release/, assignments/, solutions/ and examples/ from autograder/problemsets/.
build: $(STAMP)
	$(BIN)/python -m autograder build

check-generated: $(STAMP)
	$(BIN)/python -m autograder build --check

bench: $(STAMP)
	$(BIN)/python bench/grade_times.py

clean:
	rm -rf $(VENV) .demo build *.egg-info
