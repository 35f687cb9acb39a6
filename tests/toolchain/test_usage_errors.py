"""A command line given bad arguments answers with one line naming the problem and exit 2, for
every command outside `python -m agents` (which has its own parser): the toolchain's, the
program's account check, the lock server, the benchmarks and the chaos run."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from toolchain.inputs import OneLineParser

# (module, arguments that are wrong for it): each module's `main`
COMMANDS = [
    ("toolchain.pr_comment", ["--dir", "gate", "--stack", "Not A Stack"]),
    ("toolchain.packs", ["--no-such-flag"]),
    ("toolchain.deploy", ["destroy", "--stack", "dev"]),
    ("toolchain.aws_types", ["--no-such-flag"]),
    ("baseline.accounts", []),
    ("agents.protocol.locks.localdb", ["--port", "many"]),
    ("benchmarks.plan", ["--runs", "x"]),
    ("benchmarks.cost", ["--no-such-flag"]),
    ("benchmarks.gate", ["--runs", "x"]),
    ("benchmarks.locks", ["--no-such-flag"]),
    ("benchmarks.bounds", ["--no-such-flag"]),
    ("benchmarks.records", ["--no-such-flag"]),
    ("benchmarks.investigate", ["--no-such-flag"]),
    ("benchmarks.skills", ["--no-such-flag"]),
    ("benchmarks.skills_logs", ["--no-such-flag"]),
    ("benchmarks.skills_loso", ["--no-such-flag"]),
    ("benchmarks.skills_memory", ["--no-such-flag"]),
    ("benchmarks.skills_summary", ["--no-such-flag"]),
    ("benchmarks.skills_scale", ["--no-such-flag"]),
    ("tests.chaos.run", ["--no-such-flag"]),
]


def run_main(module: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int | str | None:
    """The module's `main` on `argv` (given as sys.argv too, for the mains that read it)."""
    # benchmarks/gate.py runs as a script, its folder on sys.path
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    main: Callable[..., int] = importlib.import_module(module).main
    monkeypatch.setattr(sys, "argv", [module, *argv])
    with pytest.raises(SystemExit) as exited:
        if inspect.signature(main).parameters:
            main(argv)
        else:  # a `main()` of no arguments reads sys.argv
            main()
    return exited.value.code


@pytest.mark.parametrize(("module", "argv"), COMMANDS, ids=[m for m, _ in COMMANDS])
def test_bad_arguments_are_one_line_and_exit_2(module, argv, monkeypatch, capsys):
    code = run_main(module, argv, monkeypatch)
    out, err = capsys.readouterr()
    assert code == 2, (code, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert ": error: " in lines[0] and not lines[0].startswith("usage"), lines[0]


def test_the_line_names_the_problem_and_escapes_what_was_typed(capsys):
    parser = OneLineParser(prog="python -m toolchain.x")
    parser.add_argument("--stack", choices=["dev", "prod"])
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--stack", "dev\x1b]0;pwned\x07\nprod"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1 and err.endswith("\n"), repr(err)
    assert err.startswith("python -m toolchain.x: error: argument --stack: invalid choice")
    assert "\x1b" not in err and "\x07" not in err and "\\x1b]0;pwned" in err, repr(err)


def test_help_is_still_the_full_usage(capsys):
    parser = OneLineParser(prog="python -m toolchain.x", description="Does x.")
    parser.add_argument("--stack", help="the stack")
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert out.startswith("usage: python -m toolchain.x") and "--stack STACK" in out
