"""mypy as `make typecheck` runs it, but following the provider SDKs (pulumi-aws,
pulumi-kubernetes) instead of reading them as untyped: the project's mypy config from
pyproject.toml less the override that skips them, written to a temporary file.

It runs in parallel, one mypy worker per CPU this process may use (`--num-workers`, mypy's
parallel mode since 2.0; `MYPY_NUM_WORKERS` overrides): following the SDKs is tens of thousands of
generated modules, most independent of each other. A cold run on 2 cores took 183 s alone and
99 s with two workers (2026-12-07), and CI runs it cold. `make typecheck` stays serial: it runs
beside the tests, which already use every core."""

from __future__ import annotations

import os
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from mypy import api

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {"pulumi_aws", "pulumi_kubernetes"}


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def full_config() -> str:
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    overrides = [
        o
        for o in mypy.pop("overrides", [])
        if not ({str(m).split(".")[0] for m in o.get("module", [])} & SKIPPED)
    ]
    lines = ["[tool.mypy]", *(f"{k} = {_toml(v)}" for k, v in mypy.items())]
    for override in overrides:
        lines += ["", "[[tool.mypy.overrides]]"]
        lines += [f"{k} = {_toml(v)}" for k, v in override.items()]
    return "\n".join(lines) + "\n"


def _workers() -> list[str]:
    """`--num-workers N` for the CPUs this process may use, unless MYPY_NUM_WORKERS says; none
    on one CPU (a single worker only adds the parallel mode's overhead)."""
    if os.environ.get("MYPY_NUM_WORKERS", "").strip():
        return []
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    cpus = len(usable) if usable else os.cpu_count() or 1
    return ["--num-workers", str(cpus)] if cpus >= 2 else []


def main() -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".toml", dir=ROOT / "build", delete=False) as fh:
        fh.write(full_config())
    try:
        out, err, code = api.run(
            ["--config-file", fh.name, "--cache-dir", ".mypy_cache/full", *_workers()]
        )
    finally:
        Path(fh.name).unlink(missing_ok=True)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
