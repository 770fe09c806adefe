# Everything a fresh machine needs, in one place. `make demo` and `make test` are the README's quick start.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps node-deps bench-deps demo test lint typecheck bench clean

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "qlik-jwt needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(BIN)/.installed

# Debian's Chromium drives the browser tests; redis-server backs the shared proxy-session tests.
system-deps:
	@command -v chromium >/dev/null && command -v redis-server >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium redis-server; }

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Qlik's JavaScript (enigma.js, stardust, sn-* charts) copied into the package's static files.
VENDOR := src/qlik_jwt/web/static/vendor
$(VENDOR)/manifest.json: node_modules/.installed src/qlik_jwt/embedding/vendor.py
	$(PYTHON) src/qlik_jwt/embedding/vendor.py

node-deps: $(VENDOR)/manifest.json

demo: install node-deps
	$(BIN)/qlik-jwt demo

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: install
	$(BIN)/mypy

test: install system-deps node-deps lint typecheck
	$(BIN)/pytest

# The benchmarks' load generator (Debian's wrk); `make test` does not need it.
bench-deps: system-deps
	@command -v wrk >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk; }

bench: install node-deps bench-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
