# Everything a fresh machine needs, in one place. `make demo` and `make test` are the README's quick start.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps node-deps bench-deps demo test test-min-deps test-wheel lint typecheck bench clean

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
	$(MAKE) test-min-deps test-wheel

# Every runtime dependency at the floor pyproject.toml declares (pins derived from it by
# .ci/min_requirements.py), in a second virtualenv: the unit and CLI tests must pass there too.
MIN_VENV  := .venv-min
MIN_TESTS := tests/unit tests/integration/test_cli_core.py tests/integration/emulator/test_cli.py \
             tests/integration/web/test_serve_cli.py tests/integration/admin/test_setup_command.py \
             tests/integration/security/test_attacks_on_inspect_cli.py

$(MIN_VENV)/.installed: pyproject.toml requirements.lock .ci/min_requirements.py
	$(PYTHON) -m venv --clear $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYTHON) .ci/min_requirements.py > $(MIN_VENV)/requirements.txt
	$(MIN_VENV)/bin/python -m pip install --quiet -r $(MIN_VENV)/requirements.txt -e '.[redis,flask,django]'
	touch $@

test-min-deps: $(MIN_VENV)/.installed
	$(MIN_VENV)/bin/pytest -q -p no:cacheprovider -n 2 $(MIN_TESTS)

# The wheel, installed in a fresh virtualenv outside the repository: --help, token, inspect
# and the emulator must work from it.
test-wheel: node-deps
	$(PYTHON) .ci/check_wheel.py

# The benchmarks' load generator (Debian's wrk); `make test` does not need it.
bench-deps: system-deps
	@command -v wrk >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk; }

bench: install node-deps bench-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(MIN_VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
