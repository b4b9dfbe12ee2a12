# make test: set everything up and run the whole suite.   make demo: the whole pipeline.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint services demo demo-down bench bench-resultsdb bench-reporting bench-trigger bench-e2e clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever pyproject.toml changes. koji's gssapi dependency compiles against the
# Kerberos headers, which ensure-build-deps.sh installs where missing.
$(STAMP): pyproject.toml | $(BIN)/python
	bash scripts/ensure-build-deps.sh
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# System services (PostgreSQL, RabbitMQ) and tools (Chromium; rpmbuild, rpm and rpmlint for the
# Koji stand-in and the rpm checks; the system's python3 with its RPM bindings and PyYAML, which
# runs check code; bubblewrap for --sandbox bwrap) the integration tests use, installed and
# started where missing.
services:
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-bubblewrap.sh
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-rabbitmq.sh
	bash scripts/ensure-rpm-tools.sh
	bash scripts/ensure-system-python.sh

test: lint services
	$(BIN)/python -m pytest --integration --durations=25

# The whole pipeline on this machine: RabbitMQ (installed and started where missing; without it
# the demo replays the messages instead), ResultsDB, Buildbot master and workers, the trigger,
# the Koji and Bodhi stand-ins; publishes real-shaped messages and prints their results.
# The stack keeps running: `make demo-down` stops it.
demo: $(STAMP)
	bash scripts/ensure-rabbitmq.sh
	bash scripts/ensure-rpm-tools.sh
	bash scripts/ensure-system-python.sh
	$(BIN)/python scripts/demo.py

demo-down: $(STAMP)
	$(BIN)/python scripts/demo.py --down

bench: $(STAMP)
	$(BIN)/python bench/runner_overhead.py

# ResultsDB over HTTP at 100,000 and 1,000,000 results, SQLite and PostgreSQL (see bench/README.md).
# Only PostgreSQL is needed (not the other services).
bench-resultsdb: $(STAMP)
	bash scripts/ensure-postgres.sh
	$(BIN)/python bench/resultsdb_bench.py $(BENCH_ARGS)

# checkline report of 10,000 results against one POST per result through resultsdb-api.
bench-reporting: $(STAMP)
	$(BIN)/python bench/reporting_bench.py $(BENCH_ARGS)

# The trigger consumer through RabbitMQ against an empty fedora-messaging consumer, and the
# rules alone (see bench/README.md). Needs RabbitMQ on 127.0.0.1:5672 (started where missing).
bench-trigger: $(STAMP)
	bash scripts/ensure-rabbitmq.sh
	$(BIN)/python bench/trigger_bench.py $(BENCH_ARGS)

# The whole pipeline against bare Buildbot (see bench/README.md); ~8 minutes with BENCH_ARGS
# "--latency 30 --throughput 100", longer with the issue's 50 and 500.
bench-e2e: $(STAMP)
	bash scripts/ensure-rabbitmq.sh
	$(BIN)/python bench/e2e_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) artifacts .pytest_cache .ruff_cache .mypy_cache
