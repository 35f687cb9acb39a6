"""Shared fixtures. Programs run under the one mock runtime of the product itself
(`toolchain.mocks.PlatformMocks`, keyed by type token), installed afresh by
`toolchain.plan.run_program`
for each run, so tests see exactly what the offline plan and the policy gate see."""

from __future__ import annotations

import fcntl
import gc
import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from tests.postgres_server import find_binaries, running_server
from toolchain.export import Resource, StackExport, parse_export
from toolchain.plan import read_stack_config, run_plan, run_program, stack_config_file

# Each worker holds a large heap (every collected test, the session's plans and exports), and the
# plans allocate fast: under CPython's default thresholds (700, 10, 10) a full collection ran
# about 40 times per worker at about 0.6 s each, a fifth of the suite's CPU (measured with
# gc.callbacks). Considering one every hundred gen-1 collections instead of ten leaves about a
# dozen; garbage in cycles waits a little longer in the old generation, which is all it changes.
gc.set_threshold(700, 10, 100)


def pytest_configure(config: pytest.Config) -> None:
    """pytest ends each worker with full collections of its heap, to report exceptions raised in
    finalizers that only a collection would run: 1-3 s a worker at the very end of the run, when
    every worker is on it at once. Exceptions raised in finalizers while tests run are still
    reported (pytest reads them before each test); only those that would need that last
    collection are not, as `pytester` itself does (the key pytest keeps for it)."""
    from _pytest.unraisableexception import gc_collect_iterations_key  # noqa: PLC0415

    config.stash[gc_collect_iterations_key] = 0


def stack_values(stack: str, **overrides: Any) -> dict[str, Any]:
    """A stack file's config with some keys (`natStrategy=...`, without namespace) replaced."""
    values = read_stack_config(stack_config_file(stack))
    for key, value in overrides.items():
        values[f"baseline:{key}"] = value
    return values


def plan(stack: str, **overrides: Any) -> StackExport:
    return run_plan(stack, stack_values(stack, **overrides)).export


def run_component(program: Callable[[], Mapping[str, Any]], stack: str = "test") -> StackExport:
    """Run a function that builds one component (with plain-value Args) under the mocks."""
    return run_program(stack, program)


def stack_account(export: StackExport) -> str:
    """The account a plan's stack lives in (its `accountId`, as its AWS providers allow)."""
    import json  # noqa: PLC0415

    (account,) = {
        a
        for r in export.resources
        if r.type == "pulumi:providers:aws"
        for a in json.loads(r.inputs["allowedAccountIds"])
    }
    return account


def one(export: StackExport, type_token: str) -> Resource:
    found = export.of_type(type_token)
    assert len(found) == 1, f"expected one {type_token}, found {[r.urn for r in found]}"
    return found[0]


def session_plan(
    factory: pytest.TempPathFactory, key: str, stack: str, **overrides: Any
) -> StackExport:
    """`plan(stack, **overrides)` made once for the whole session: under pytest-xdist the first
    worker to ask plans it and leaves the export in the session's shared temporary folder, under
    a lock; the others wait for it and read it (pytest-xdist's recipe for a session fixture run
    once). In one process it is simply planned."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return plan(stack, **overrides)
    shared = factory.getbasetemp().parent
    path = shared / f"plan-{key}.json"
    with (shared / f"plan-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            # Named as the plan names itself (`run_program`), so a reader sees one source.
            return parse_export(json.loads(path.read_text()), f"offline plan of {stack}")
        export = plan(stack, **overrides)
        written = path.with_suffix(".tmp")
        written.write_text(json.dumps(export.data))
        written.replace(path)
        return export


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> StackExport:
    return session_plan(tmp_path_factory, "dev", "dev")


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> StackExport:
    return session_plan(tmp_path_factory, "prod", "prod")


@pytest.fixture(scope="session")
def dev_per_az(tmp_path_factory: pytest.TempPathFactory) -> StackExport:
    """dev with a NAT gateway per AZ: what the cost diff, CLI and savings tests compare against."""
    return session_plan(tmp_path_factory, "dev-per-az", "dev", natStrategy="per-az")


@pytest.fixture(scope="session", params=["dev", "prod"])
def each_stack(request: pytest.FixtureRequest, dev: StackExport, prod: StackExport) -> StackExport:
    return dev if request.param == "dev" else prod


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A throwaway PostgreSQL 15 with verified TLS (tests/postgres_server.py); skipped, with the
    reason, only where the machine has no PostgreSQL binaries (CI installs them)."""
    if find_binaries() is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
    with running_server() as server:
        yield server
