"""`make typecheck-full` (tools/mypy_full.py): the project's mypy config less the override that
skips the provider SDKs, run with one mypy worker per usable CPU."""

from __future__ import annotations

import os

import pytest

from tools import mypy_full


@pytest.mark.parametrize(
    ("cpus", "expected"), [(2, ["--num-workers", "2"]), (8, ["--num-workers", "8"]), (1, [])]
)
def test_one_worker_per_usable_cpu_and_none_on_one(monkeypatch, cpus, expected):
    monkeypatch.delenv("MYPY_NUM_WORKERS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)), raising=False)
    assert mypy_full._workers() == expected


@pytest.mark.parametrize(("value", "expected"), [("3", []), ("  ", ["--num-workers", "4"])])
def test_mypy_num_workers_overrides_unless_blank(monkeypatch, value, expected):
    monkeypatch.setenv("MYPY_NUM_WORKERS", value)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(4)), raising=False)
    assert mypy_full._workers() == expected


def test_the_full_config_follows_the_sdks_and_keeps_every_other_setting():
    import tomllib  # noqa: PLC0415

    full = tomllib.loads(mypy_full.full_config())["tool"]["mypy"]
    skipped = {m.split(".")[0] for o in full.get("overrides", []) for m in o.get("module", [])}
    assert not skipped & mypy_full.SKIPPED
    assert full["disallow_untyped_defs"] is True and full["files"]
