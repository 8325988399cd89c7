# Two commands from a fresh clone: `make run` and `make test`.
# Versions are pinned in constraints.txt (refresh it with `make lock`).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
DEMO_CUSTOMERS ?= 300

.PHONY: run test lint audit format lock screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	@touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PIP) -e '.[test]'
	@touch $@

## run: install, migrate, load demo data on the first run, print the login, serve :8000
run: $(VENV)/.installed
	$(BIN)/lifelong migrate --no-input
	$(BIN)/lifelong demo --customers $(DEMO_CUSTOMERS) --if-empty
	$(BIN)/lifelong serve --no-migrate --host 127.0.0.1 --port 8000

## test: install the test tools and the browser, lint, run the whole suite
test: $(VENV)/.test-installed
	scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## audit: pip-audit the pinned dependencies against PyPI's vulnerability data (needs pypi.org)
audit: $(VENV)/.test-installed
	scripts/audit-deps

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## lock: re-pin every dependency to what is installed now
lock: $(VENV)/.test-installed
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^lifelong' > constraints.txt

## screenshots: refresh docs/screenshots/ from the browser tests
screenshots: $(VENV)/.test-installed
	scripts/ensure-chromium
	LIFELONG_SCREENSHOTS=1 $(BIN)/pytest -m browser

## bench: time the customer list, search and page at 10k/100k/1M (slow: see docs/benchmarks.md)
bench: $(VENV)/.installed
	$(BIN)/python bench/customers.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/test-*
