# govauto: `make demo` installs everything and reviews the example cases; `make test` installs and runs all checks.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
BIN       := $(VENV)/bin
PY        := $(BIN)/python
# durable-rules builds on CPython 3.11/3.12 only (it fails to import on 3.13).
PYTHON    ?= $(shell for p in python3.11 python3.12 python3; do command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(not (3,11) <= sys.version_info[:2] < (3,13))' && echo $$p && break; done)
APT_PACKAGES := gcc python3-dev tesseract-ocr tesseract-ocr-chi-sim fonts-noto-cjk libgl1 chromium
STAMP     := $(VENV)/.installed

.PHONY: help install system-deps services services-stop demo demo-cluster test lint typecheck docs pytest bench clean

help:
	@echo "make demo   - install everything, then review the example cases"
	@echo "make test   - install everything, then lint, type-check, build the docs and run the tests"
	@echo "make bench  - run the benchmarks under bench/"
	@echo "make docs   - build the documentation site into site/"
	@echo "make services      - install and start PostgreSQL and Redis on loopback (scripts/services.sh)"
	@echo "make demo-cluster  - the demo batch on PostgreSQL and 2 Celery workers"

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq $$missing; fi; \
	fi
	@test -n "$(PYTHON)" || { echo "error: CPython 3.11 or 3.12 is required (durable-rules does not build on 3.13)"; exit 1; }

$(STAMP): pyproject.toml constraints.txt plugins/govauto-name-registry/pyproject.toml \
          plugins/govauto-rapidocr/pyproject.toml | system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]" -e plugins/govauto-name-registry -e plugins/govauto-rapidocr
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/govauto review examples/cases/*.yaml
	@echo; echo "A case with scanned materials, one of them planted with a lessee who is not the operator:"
	$(BIN)/govauto sandbox documents examples/cases/approve.yaml build/demo-case --variant scanned --seed 7 \
	    --override lease.lessee=李四 --write-case
	$(BIN)/govauto review build/demo-case/case.yaml
	@echo; echo "Approved cases entered into the legacy-portal simulator by robot jobs:"
	bash examples/demo_robots.sh
	@echo; echo "The whole pipeline, with referred cases left for people in the review queue:"
	bash examples/demo_review.sh

demo-cluster: install services
	bash examples/demo_cluster.sh

lint: install
	$(BIN)/ruff check src tests bench examples plugins

typecheck: install
	$(BIN)/mypy src
	$(BIN)/mypy --strict plugins/govauto-name-registry/src

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# The PostgreSQL and Redis tests fail instead of skipping when GOVAUTO_REQUIRE_SERVICES=1.
services:
	bash scripts/services.sh start

services-stop:
	bash scripts/services.sh stop

pytest: install services
	eval "$$(bash scripts/services.sh test-env)" && GOVAUTO_REQUIRE_SERVICES=1 $(BIN)/python -m pytest -q

test: lint typecheck docs pytest

bench: install services
	$(PY) bench/bench_review.py
	$(PY) bench/bench_matters.py
	$(PY) bench/bench_extract.py
	$(PY) bench/bench_robots.py
	$(PY) bench/bench_web_queue.py
	eval "$$(bash scripts/services.sh test-env)" && $(PY) bench/bench_cluster.py

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache
