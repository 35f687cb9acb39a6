"""A run of the program without the packs says so (baseline/policy_guard.py)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from baseline import policy_guard
from toolchain.plan import read_stack_config, run_program, stack_config_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "packs"),
    [
        ("security,cost", ["security", "cost"]),
        ("cost, security", ["security", "cost"]),
        ("security", ["security"]),
        ("securty,cst", []),  # a typo is not a guarded run
        ("", []),
    ],
)
def test_the_callers_statement_is_read_strictly(value, packs):
    assert policy_guard.attached({"BASELINE_POLICY_PACKS": value}) == packs


def test_no_packs_warns_and_the_outputs_say_so(monkeypatch):
    said: list[str] = []
    monkeypatch.setattr("pulumi.log.warn", said.append)
    out = policy_guard.with_policy_guard({"stack": "dev"}, {})
    assert out == {"stack": "dev", "policyPacks": "none attached"}
    assert said == [policy_guard.WARNING]
    said.clear()
    out = policy_guard.with_policy_guard({}, {"BASELINE_POLICY_PACKS": "security"})
    assert out["policyPacks"] == ["security"] and said == ["policy packs not attached: ['cost']"]
    said.clear()
    out = policy_guard.with_policy_guard({}, {"BASELINE_POLICY_PACKS": "security,cost"})
    assert out["policyPacks"] == ["security", "cost"] and said == []


@pytest.mark.slow
def test_the_program_entry_point_records_an_unguarded_run(monkeypatch):
    """`__main__.py` as the CLI runs it: what it exports carries `policyPacks`."""
    monkeypatch.delenv("BASELINE_POLICY_PACKS", raising=False)
    said: list[str] = []
    exported: dict[str, object] = {}
    monkeypatch.setattr("pulumi.log.warn", said.append)
    monkeypatch.setattr("pulumi.export", exported.__setitem__)

    def program() -> dict[str, object]:
        runpy.run_path(str(ROOT / "__main__.py"))
        return {}

    run_program("dev", program, read_stack_config(stack_config_file("dev")))
    assert exported["policyPacks"] == "none attached" and "clusterName" in exported
    assert policy_guard.WARNING in said
