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

.PHONY: help venv venv-airflow2 debian-packages demo test check lint typecheck pytest pytest-fast pytest-e2e pytest-airflow2 approval-race bench bench-distributed soak e2e-comfyui e2e-distributed services clean

help:
	@echo "make demo   - run the example production DAG against the local simulator (videos land in ./out/)"
	@echo "make check  - the fast loop (< 2 min): ruff, mypy, every test without a real Airflow, browser or cluster"
	@echo "make test   - everything: make check's parts, every e2e (Airflow 3.3 LocalExecutor and Celery, browser), Airflow 2.11"
	@echo "make approval-race - 20 approvals answered at once on LocalExecutor and CeleryExecutor (RUNS=20)"
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
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy

# Parallel workers. The fast loop waits more than it computes (settle windows, Retry-After,
# polling: about 380 worker-seconds of wall for 130 CPU-seconds, measured 2026-12-07), so
# 6 workers on 2 cores beat 4 (110 s against 120 s) and 8 (115 s: each worker's start-up
# imports Airflow and torch, 9 CPU-seconds). Each e2e module stays on one worker (pytest-e2e).
CHECK_JOBS ?= 6
E2E_JOBS ?= 2
# Compiled bytecode is written and reused (Python's default; some machines switch it off
# in the environment): a test that starts the CLI or the simulator as a child process
# otherwise compiles the whole package again, and every worker rewrites every test.
unexport PYTHONDONTWRITEBYTECODE
PYTEST := $(VENV)/bin/python -m pytest -q -p no:cacheprovider
# The fast loop draws a quarter of each property test's examples (tests/support/fuzz.py);
# make test draws them all.
FUZZ_SCALE ?= 0.25

# Every test that needs no real Airflow, browser or cluster (tests/unit, integration,
# reliability): the fast loop, under 2 minutes on 2 cores. tests/e2e is not even
# collected: its modules import what only the e2e runs need.
pytest-fast: venv
	SEEDANCE_FUZZ_SCALE=$(FUZZ_SCALE) $(PYTEST) -m "not e2e" --ignore=tests/e2e -n $(CHECK_JOBS)

check: lint typecheck pytest-fast

# Every real-Airflow e2e on Airflow 3.3 (LocalExecutor, browser, crashes); the Celery
# cluster is e2e-distributed. `--dist loadscope`: a module's tests run on one worker, in
# order, so its module-scoped deployment starts once and a test that reads what the one
# before it left (the secret search, the asset event) sees it. (Not `loadgroup` with
# xdist_group marks: pytest-xdist 3.8 rewrites `item._nodeid`, which pytest 9 no longer
# reads, so the groups are silently ignored and a module is split across workers.)
pytest-e2e: venv debian-packages
	SEEDANCE_REQUIRE_BROWSER=1 $(PYTEST) -rs -m "e2e and not distributed" -n $(E2E_JOBS) --dist loadscope

pytest: pytest-fast pytest-e2e

pytest-airflow2: venv-airflow2
	$(AF2_VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not e2e" -n 2 tests/integration/airflow_provider_seedance
	$(AF2_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/e2e/airflow2 tests/e2e/crashes tests/e2e/airflow/test_example_dags_run.py

# Debian packages the tests start themselves (servers are never left running).
services:
	bash scripts/ensure-debian-packages.sh redis-server postgresql

e2e-distributed: venv services
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider -s -m distributed tests/e2e/distributed

# CI's command (.ci/run). apt runs one at a time; the two virtualenvs build side by side;
# then the fast loop, then the Airflow 3.3 e2e beside the Airflow 2.11 suite, then the
# Celery cluster (alone: its failover timings want the machine to itself).
test:
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory debian-packages services && \
	$(MAKE) --no-print-directory -j2 venv venv-airflow2 && \
	$(MAKE) --no-print-directory check FUZZ_SCALE=1 && \
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest-e2e pytest-airflow2 && \
	$(MAKE) --no-print-directory e2e-distributed && \
	echo "make test: passed in $$(( $$(date +%s) - start )) s"

bench: venv
	$(VENV)/bin/python benchmarks/run_all.py

bench-distributed: venv services
	$(VENV)/bin/python benchmarks/run_all.py --only bench_distributed

# Not part of `make test`: twenty story runs on each executor, each approval answered the
# moment the task waits (docs/design-notes.md, "A fast approval"; results in docs/reliability.md).
RUNS ?= 20
approval-race: venv services debian-packages
	$(VENV)/bin/python scripts/approval_race.py --executor local --runs $(RUNS)
	$(VENV)/bin/python scripts/approval_race.py --executor local --runs $(RUNS) --answer browser
	$(VENV)/bin/python scripts/approval_race.py --executor celery --runs $(RUNS)
	$(VENV)/bin/python scripts/approval_race.py --executor celery --runs $(RUNS) --answer browser

soak: venv
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider -m soak tests/reliability tests/e2e/reliability

e2e-comfyui: venv
	@test -n "$(COMFYUI_DIR)" || { echo "set COMFYUI_DIR=/path/to/a/ComfyUI checkout"; exit 2; }
	bash scripts/comfyui-e2e.sh "$(COMFYUI_DIR)"

clean:
	rm -rf $(VENV) $(AF2_VENV) .pytest_cache .mypy_cache .ruff_cache out
