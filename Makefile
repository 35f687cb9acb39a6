# Every target sets itself up: a fresh clone needs only python3 (3.11+) on PATH.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: plan plan-prod test lint typecheck bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## The offline plan of the dev stack: resources, policy verdicts and cost, no credentials needed.
plan: $(STAMP)
	$(PY) -m agents plan --stack dev

plan-prod: $(STAMP)
	$(PY) -m agents plan --stack prod

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy

test: lint typecheck
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/plan.py
	$(PY) benchmarks/cost.py
	$(PY) benchmarks/locks.py
	$(PY) benchmarks/gate.py
	$(PY) -m benchmarks.skills

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache
