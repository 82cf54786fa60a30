# The two commands of the README: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check clean

install: $(STAMP)

# torch goes in first and pinned: 2.13.0 is the CPU build; anything that pulled torch
# unpinned would fetch a multi-GB CUDA build instead.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "supportflow needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/supportflow serve

lint: install
	$(BIN)/ruff check supportflow tests scripts
	$(BIN)/ruff format --check supportflow tests scripts

check: lint
	$(BIN)/mypy supportflow

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV)
