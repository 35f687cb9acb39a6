# Every target sets itself up: a fresh clone needs only python3 (3.11+) on PATH.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: plan plan-prod test lint typecheck bench image clean

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
	$(VENV)/bin/hadolint Dockerfile

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

## The agents' image for both architectures (a buildx builder that runs arm64 and amd64, e.g.
## with QEMU's binfmt). Publish: make image IMAGE=ghcr.io/OWNER/baseline-agents TAG=v1 PUSH=--push
## Without PUSH the image stays in buildx's cache; one platform into docker's own store:
## make image PLATFORMS=linux/amd64 PUSH=--load
IMAGE ?= baseline-agents
TAG ?= dev
PLATFORMS ?= linux/arm64,linux/amd64
PUSH ?=
image:
	docker buildx build --platform $(PLATFORMS) -t $(IMAGE):$(TAG) $(PUSH) .

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache
