# The two commands of the README: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check clean browser-client

install: $(STAMP) browser-client

# torch goes in first and pinned: 2.13.0 is the CPU build; anything that pulled torch
# unpinned would fetch a multi-GB CUDA build instead.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "supportflow needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The web pages' Socket.IO client comes from npm at install time (never committed) into a
# gitignored folder the server serves it from. Without npm (or the registry) the pages still
# load and say live chat is unavailable, so this step warns instead of failing.
SIO_CLIENT_VERSION := 4.8.4
SIO_CLIENT_DIR := supportflow/web/vendor
SIO_CLIENT := $(SIO_CLIENT_DIR)/node_modules/socket.io-client/dist/socket.io.min.js

browser-client: $(SIO_CLIENT)

$(SIO_CLIENT):
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p $(SIO_CLIENT_DIR) && \
		npm install --no-save --no-audit --no-fund --loglevel=error \
			--prefix $(SIO_CLIENT_DIR) socket.io-client@$(SIO_CLIENT_VERSION) \
		|| echo "WARNING: npm could not install socket.io-client; /chat and /console will say live chat is unavailable"; \
	else \
		echo "note: npm not found, skipping socket.io-client; /chat and /console will say live chat is unavailable"; \
	fi

run: install
	$(BIN)/supportflow serve

lint: install
	$(BIN)/ruff check supportflow tests scripts
	$(BIN)/ruff format --check supportflow tests scripts

check: lint
	$(BIN)/mypy supportflow

test: lint
	@test -x /usr/bin/chromium || echo "note: /usr/bin/chromium not found: the browser tests (tests/browser) will be SKIPPED"
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV)
