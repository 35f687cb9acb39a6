"""`make test`'s own logic, run for real by make on a copy of the Makefile whose commands are
stand-ins: the Python, the linters and `node` are scripts that record how they were called and
fail when told to. What a user relies on: a lint or build failure fails the target without
running the suite, and mypy's report is still printed; a type error fails it after the suite
ran; all passing passes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on PATH")

# The stand-in for every command the recipe runs: it records its name and arguments, prints a
# line naming itself, and exits with the code the environment gives it (FAIL_<name>).
_STAND_IN = """#!/bin/sh
name="$1"; shift
echo "$name $*" >> "$CALLS"
echo "$name ran"
code=$(eval echo "\\${FAIL_$name:-0}")
exit "$code"
"""


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder with the Makefile, its prerequisites up to date, and stand-ins for what the
    `test` target runs (`$(PY) -m mypy|ruff|pytest`, `$(PY) tools/build_native.py`, hadolint,
    zizmor, node)."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("requirements.txt", "requirements-dev.txt", "pyproject.toml"):
        (tmp_path / name).write_text("")
    (tmp_path / "tools").mkdir()
    for name in ("package.json", "package-lock.json"):
        (tmp_path / "tools" / name).write_text("{}")
    stand_in = _script(tmp_path / "stand-in", _STAND_IN)
    # `$(PY) -m <module> ...` and `$(PY) tools/build_native.py` name the stand-in by module
    _script(
        tmp_path / "venv" / "bin" / "python",
        f'#!/bin/sh\nif [ "$1" = -m ]; then m="$2"; shift 2; else m=native; shift; fi\n'
        f'exec {stand_in} "$m" "$@"\n',
    )
    for tool in ("hadolint", "zizmor"):
        _script(tmp_path / "venv" / "bin" / tool, f'#!/bin/sh\nexec {stand_in} {tool} "$@"\n')
    _script(tmp_path / "bin" / "node", f'#!/bin/sh\nexec {stand_in} node "$@"\n')
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    # the prerequisites (the virtualenv and npm's install) are newer than what they are made from
    stamp, tools = tmp_path / "venv" / ".installed", tmp_path / "tools" / ".installed"
    stamp.write_text("")
    tools.write_text("")
    later = (tmp_path / "Makefile").stat().st_mtime + 10
    for made in (stamp, tools):
        os.utime(made, (later, later))
    return tmp_path


def run_make(folder: Path, **fail: int) -> tuple[int, str, list[str]]:
    calls = folder / "calls.txt"
    env = {
        **os.environ,
        "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(calls),
        **{f"FAIL_{name}": str(code) for name, code in fail.items()},
    }
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(folder),
            "test",
            f"VENV={folder / 'venv'}",
            f"STAMP={folder / 'venv' / '.installed'}",
            f"TOOLS={folder / 'tools' / '.installed'}",
            "PYTEST_WORKERS=2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    ran = [line.split()[0] for line in calls.read_text().splitlines()] if calls.exists() else []
    return done.returncode, done.stdout + done.stderr, ran


def test_all_passing_passes_and_runs_every_step(checkout: Path) -> None:
    code, output, ran = run_make(checkout)
    assert code == 0, output
    assert {"mypy", "ruff", "hadolint", "node", "zizmor", "native", "pytest"} <= set(ran)
    assert ran.index("ruff") < ran.index("pytest") and "mypy ran" in output


def test_a_lint_failure_fails_without_the_suite_and_still_prints_the_types(
    checkout: Path,
) -> None:
    code, output, ran = run_make(checkout, ruff=1)
    assert code != 0
    assert "pytest" not in ran
    assert "mypy" in ran and "mypy ran" in output  # the report, printed after the failure


def test_a_native_build_failure_fails_without_the_suite(checkout: Path) -> None:
    code, _, ran = run_make(checkout, native=1)
    assert code != 0 and "native" in ran and "pytest" not in ran


@pytest.mark.parametrize("failing", ["mypy", "pytest"])
def test_a_type_error_or_a_failing_test_fails_the_target(checkout: Path, failing: str) -> None:
    code, output, ran = run_make(checkout, **{failing: 1})
    assert code != 0
    assert "pytest" in ran and "mypy ran" in output
