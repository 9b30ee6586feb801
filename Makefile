# nrr: `make run` and `make test` do all set-up on a fresh machine
# (Rust toolchain, Python 3.11 with pip).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# One target folder outside the clone, shared by every build and by CI.
CARGO_TARGET_DIR ?= $(HOME)/.cache/nrr/target
export CARGO_TARGET_DIR
CARGO := cargo
# One profile (release) for tests, lint and the binary: Polars is built once.
PROFILE := --release --locked
BIN := $(CARGO_TARGET_DIR)/release/nrr
VENV := .venv
PY := $(VENV)/bin/python
# Airflow pins many packages of its own: it gets a virtualenv apart.
VENV_AF := .venv-airflow

.PHONY: help build run test rust-test interop-test lint fmt py-test airflow-test bench chromium screenshot sample clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

build: ## Build the nrr binary (release)
	$(CARGO) build $(PROFILE)

run: build ## Run the job on sample_data into ./output, print the summary, write output/report.html
	$(BIN) run --report --input sample_data/snapshots --fx-rates sample_data/fx_rates.parquet \
		--segment-by plan,region --output output

screenshot: run chromium ## Refresh docs/report.png (the README's picture of output/report.html)
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
		--no-first-run --hide-scrollbars --user-data-dir=$$(mktemp -d) --window-size=1100,1500 \
		--virtual-time-budget=5000 --screenshot=docs/report.png file://$(CURDIR)/output/report.html

test: lint rust-test interop-test py-test airflow-test ## Everything CI runs

rust-test: ## Unit and integration tests
	$(CARGO) test $(PROFILE)

interop-test: build ## Read every output file with arrow-rs (a separate package: no second Polars build)
	NRR_BIN=$(BIN) $(CARGO) test $(PROFILE) -p nrr-interop

lint: ## rustfmt and clippy, warnings are errors
	$(CARGO) fmt --all --check
	$(CARGO) clippy $(PROFILE) --all-targets -- -D warnings
	$(CARGO) clippy $(PROFILE) -p nrr-interop --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

chromium: ## Debian's Chromium for the browser test (installed when missing)
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium)

py-test: build $(VENV)/.installed chromium ## SQL twin, warehouse SQL, readers, S3 (moto), kill/backfill, report in Chromium
	NRR_BIN=$(BIN) $(PY) -m pytest -q -p no:cacheprovider tests/python

$(VENV_AF)/.installed: requirements-airflow.txt
	python3 -m venv $(VENV_AF)
	$(VENV_AF)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-airflow.txt
	touch $@

airflow-test: $(VENV_AF)/.installed ## Parse the DAGs with real Apache Airflow
	$(VENV_AF)/bin/python -m pytest -q -p no:cacheprovider tests/airflow

bench: build $(VENV)/.installed ## Benchmarks vs DuckDB and Polars on S/M/D datasets (cached in bench/data), writes BENCHMARKS.md
	NRR_BIN=$(BIN) $(PY) bench/run.py $(BENCH_ARGS)

sample: build ## Regenerate sample_data (deterministic)
	$(BIN) generate --customers 400 --months 24 --seed 7 --output sample_data

clean: ## Remove local outputs (not the shared cargo target)
	rm -rf output $(VENV) $(VENV_AF)
