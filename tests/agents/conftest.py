"""Fixtures the agents' tests share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolchain.export import StackExport


@pytest.fixture(scope="session")
def dev_plan_export(tmp_path_factory: pytest.TempPathFactory, dev: StackExport) -> Path:
    """The dev stack's offline plan (the session's `dev`) as an export file, what
    FAKE_PULUMI_EXPORT serves: planned once per test process."""
    path = tmp_path_factory.mktemp("export") / "dev.json"
    path.write_text(json.dumps(dev.data))
    return path
