# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each builds (once) and reuses the ignored virtualenvs below; re-running is cheap.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
AF2_VENV := .venv-airflow2
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
PIP_QUIET := -q --disable-pip-version-check
STAMP := $(VENV)/.stamp-$(shell cat pyproject.toml constraints/py311.txt 2>/dev/null | sha1sum | cut -c1-12)
AF2_STAMP := $(AF2_VENV)/.stamp-$(shell cat pyproject.toml constraints/airflow-2.11.txt 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: help venv venv-airflow2 debian-packages demo test lint typecheck pytest pytest-airflow2 bench bench-distributed soak e2e-comfyui e2e-distributed services clean

help:
	@echo "make demo   - run the example production DAG against the local simulator (videos land in ./out/)"
	@echo "make test   - ruff, mypy (strict, shared_client), pytest; Airflow 2.11 compatibility tests"
	@echo "make e2e-distributed - CeleryExecutor (Redis, PostgreSQL), 2 workers, 2 triggerers, kill -9 mid-run"
	@echo "make bench  - run the benchmarks (results: docs/benchmarks.md)"
	@echo "make bench-distributed - the Celery cluster benchmark (Redis, PostgreSQL; ~30 min)"
	@echo "make soak   - long reliability runs (results: docs/reliability.md)"
	@echo "make e2e-comfyui COMFYUI_DIR=/path/to/ComfyUI - the node in a real headless ComfyUI"

$(STAMP):
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(VENV)/bin/pip install $(PIP_QUIET) $(FIND_LINKS) -c constraints/py311.txt -e ".[dev,simulator,airflow,distributed,comfyui,stories]" "torch==2.13.0"
	@rm -f $(VENV)/.stamp-*; touch $@

$(AF2_STAMP):
	@test -x $(AF2_VENV)/bin/python || $(PYTHON) -m venv $(AF2_VENV)
	$(AF2_VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(AF2_VENV)/bin/pip install $(PIP_QUIET) -c constraints/airflow-2.11.txt -e ".[dev,simulator,stories]" "apache-airflow==2.11.2"
	@rm -f $(AF2_VENV)/.stamp-*; touch $@

venv: $(STAMP)
venv-airflow2: $(AF2_STAMP)

# Debian packages the tests need (chromium for the browser tests), installed only when
# missing: a no-op on a machine that has them.
debian-packages:
	@bash scripts/ensure-debian-packages.sh chromium

demo: venv
	$(VENV)/bin/python scripts/demo.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check shared_client

typecheck: venv
	$(VENV)/bin/mypy

pytest: venv debian-packages
	SEEDANCE_REQUIRE_BROWSER=1 $(VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not distributed"

pytest-airflow2: venv-airflow2
	$(AF2_VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not e2e" tests/unit/airflow_provider_seedance
	$(AF2_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/e2e/airflow2 tests/e2e/crashes tests/e2e/airflow/test_example_dags_run.py

# Debian packages the tests start themselves (servers are never left running).
services:
	bash scripts/ensure-debian-packages.sh redis-server postgresql

e2e-distributed: venv services
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider -s -m distributed tests/e2e/distributed

test: lint typecheck pytest e2e-distributed pytest-airflow2

bench: venv
	$(VENV)/bin/python benchmarks/run_all.py

bench-distributed: venv services
	$(VENV)/bin/python benchmarks/run_all.py --only bench_distributed

soak: venv
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider -m soak tests/reliability

e2e-comfyui: venv
	@test -n "$(COMFYUI_DIR)" || { echo "set COMFYUI_DIR=/path/to/a/ComfyUI checkout"; exit 2; }
	bash scripts/comfyui-e2e.sh "$(COMFYUI_DIR)"

clean:
	rm -rf $(VENV) $(AF2_VENV) .pytest_cache .mypy_cache .ruff_cache out
