# The two commands of the README: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint check clean browser-client graphviz

install: $(STAMP) browser-client graphviz

# torch goes in first and pinned: 2.13.0 is the CPU build; anything that pulled torch
# unpinned would fetch a multi-GB CUDA build instead.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "supportflow needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The web pages' libraries (the Socket.IO client, Mermaid, which draws the statecharts,
# Chart.js, which draws the admin page's charts, markdown-it and DOMPurify, which render
# messages and help-center articles), and axe-core, which the browser tests run in the pages
# (accessibility: WCAG 2 A/AA), come from npm at install time (never committed) into a
# gitignored folder the server serves
# them from. One npm call names them all: npm removes from the folder what a call does not
# name. Without npm (or the registry) the pages still load and say what is missing, so this
# step warns instead of failing.
SIO_CLIENT_VERSION := 4.8.4
MERMAID_VERSION := 11.12.2
CHART_JS_VERSION := 4.6.1
MARKDOWN_IT_VERSION := 15.0.3
DOMPURIFY_VERSION := 3.4.18
AXE_CORE_VERSION := 4.14.1
VENDOR_DIR := supportflow/web/vendor
SIO_CLIENT := $(VENDOR_DIR)/node_modules/socket.io-client/dist/socket.io.min.js
MERMAID_JS := $(VENDOR_DIR)/node_modules/mermaid/dist/mermaid.min.js
CHART_JS := $(VENDOR_DIR)/node_modules/chart.js/dist/chart.umd.min.js
MARKDOWN_IT := $(VENDOR_DIR)/node_modules/markdown-it/dist/browser/markdown-it.umd.min.js
DOMPURIFY := $(VENDOR_DIR)/node_modules/dompurify/dist/purify.min.js
AXE_CORE := $(VENDOR_DIR)/node_modules/axe-core/axe.min.js
PAGE_LIBRARIES := $(SIO_CLIENT) $(MERMAID_JS) $(CHART_JS) $(MARKDOWN_IT) $(DOMPURIFY) $(AXE_CORE)

browser-client: $(PAGE_LIBRARIES)

$(PAGE_LIBRARIES) &:
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p $(VENDOR_DIR) && \
		npm install --no-save --no-audit --no-fund --loglevel=error --prefix $(VENDOR_DIR) \
			socket.io-client@$(SIO_CLIENT_VERSION) mermaid@$(MERMAID_VERSION) \
			chart.js@$(CHART_JS_VERSION) markdown-it@$(MARKDOWN_IT_VERSION) \
			dompurify@$(DOMPURIFY_VERSION) axe-core@$(AXE_CORE_VERSION) \
		|| echo "WARNING: npm could not install the page libraries; /chat and /console will say live chat is unavailable, /statecharts shows Mermaid text, /admin shows figures without charts, messages and articles show as plain text"; \
	else \
		echo "note: npm not found, skipping the page libraries; /chat and /console will say live chat is unavailable, /statecharts shows Mermaid text, /admin shows figures without charts, messages and articles show as plain text"; \
	fi

# Graphviz's `dot` draws statecharts/room.svg (scripts/render_statecharts.py). It is Debian's
# `graphviz`, installed when missing and apt-get is usable (as root, or with sudo that needs
# no password); otherwise a note, and the SVG rendering test is skipped.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
		if command -v apt-get >/dev/null 2>&1 && \
			{ $$SUDO apt-get install -y --no-install-recommends graphviz >/dev/null 2>&1 || \
			  { $$SUDO apt-get update >/dev/null 2>&1 && \
			    $$SUDO apt-get install -y --no-install-recommends graphviz >/dev/null 2>&1; }; }; then \
			echo "installed graphviz (dot)"; \
		else \
			echo "note: graphviz's dot is not installed (apt-get install graphviz); the SVG statechart test will be SKIPPED"; \
		fi; }

run: install
	$(BIN)/supportflow serve

lint: install
	$(BIN)/ruff check supportflow tests scripts
	$(BIN)/ruff format --check supportflow tests scripts

# mypy --strict on the package, in `make test` too: CI runs what a developer runs.
check: lint
	$(BIN)/mypy supportflow

# The fast tier: unit and in-process tests, no live server, browser or embedding model
# (tests/conftest.py decides which are slow). Seconds, for the edit-test loop.
test-fast: install
	$(WRITE_BYTECODE) $(BIN)/python -m pytest -m "not slow" -q

# The whole suite on pytest-xdist workers (docs/testing.md#running-in-parallel): the tests
# mostly wait (servers, sockets, a browser), so more workers than the two cores pay. A test
# file, or a package sharing one server, stays on one worker (--dist loadfile, as
# tests/parallel.py extends it): each module- or package-scoped server starts once.
# `make test PYTEST_WORKERS=0` runs it in this one process instead.
PYTEST_WORKERS ?= 4
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile
# A run starts some 60 Python processes (workers, servers, CLIs). Where the environment says
# not to write bytecode (PYTHONDONTWRITEBYTECODE), each would compile supportflow, the tests
# and the migrations again, and pytest would rewrite every test module's asserts again in
# every worker: 6% of the run's CPU. The tests write it (into gitignored __pycache__).
WRITE_BYTECODE := env -u PYTHONDONTWRITEBYTECODE

test: check
	@test -x /usr/bin/chromium || echo "note: /usr/bin/chromium not found: the browser tests (tests/browser) will be SKIPPED"
	$(WRITE_BYTECODE) $(BIN)/python -m pytest $(PYTEST_PARALLEL)

clean:
	rm -rf $(VENV)
