"""The log clustering compiled by mypyc (`make native`): loaded only when built from exactly
the sources beside it, and, when loaded, the same results as the uncompiled modules."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

import agents.skills
from agents.skills import verified_build
from tools import build_native

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
REPO = Path(__file__).resolve().parents[3]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fake_build(tmp_path: Path) -> tuple[Path, Path]:
    """A source tree (the two compiled modules and a module they import) and a build of it that
    verifies."""
    root = tmp_path / "repo"
    (root / "agents" / "skills").mkdir(parents=True)
    (root / "toolchain").mkdir()
    sources = {}
    for relative in ("agents/skills/logparse.py", "agents/skills/logs.py", "toolchain/inputs.py"):
        (root / relative).write_text(f"X = {relative!r}\n")
        sources[relative] = _sha((root / relative).read_bytes())
    built_at = tmp_path / "build"
    folder = built_at / "agents" / "skills"
    folder.mkdir(parents=True)
    built = {}
    for module in ("logparse", "logs"):
        for name in (f"{module}{SUFFIX}", f"{module}__mypyc{SUFFIX}"):
            (folder / name).write_bytes(b"\x7fELF " + name.encode())
            built[name] = _sha((folder / name).read_bytes())
    manifest = {"ext_suffix": SUFFIX, "mypy": "x", "sources": sources, "built": built}
    (built_at / "manifest.json").write_text(json.dumps(manifest))
    return built_at, root


def _manifest(built: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((built / "manifest.json").read_text())
    return loaded


def test_a_build_of_exactly_these_sources_is_loaded(tmp_path: Path) -> None:
    built, root = _fake_build(tmp_path)
    assert verified_build(built, root) == built / "agents" / "skills"


@pytest.mark.parametrize(
    "edited", ["agents/skills/logs.py", "agents/skills/logparse.py", "toolchain/inputs.py"]
)
def test_an_edited_source_or_a_module_it_imports_is_never_run_compiled(
    tmp_path: Path, edited: str
) -> None:
    built, root = _fake_build(tmp_path)
    (root / edited).write_text("X = 'edited after the build'\n")
    assert verified_build(built, root) is None


def _damage(built: Path, root: Path, damage: str) -> None:
    manifest = _manifest(built)
    folder = built / "agents" / "skills"
    lib = folder / f"logs__mypyc{SUFFIX}"
    if damage == "no manifest":
        (built / "manifest.json").unlink()
    elif damage == "manifest bytes":
        (built / "manifest.json").write_bytes(b"\xff\xfe{not json")
    elif damage == "manifest nested too deep to parse":
        (built / "manifest.json").write_text("[" * 100_000)
    elif damage == "manifest too large":
        (built / "manifest.json").write_text(json.dumps(manifest) + " " * (1 << 17))
    elif damage == "manifest a folder":
        (built / "manifest.json").unlink()
        (built / "manifest.json").mkdir()
    elif damage == "manifest a pipe":
        (built / "manifest.json").unlink()
        os.mkfifo(built / "manifest.json")  # nobody writes: reading it would block
    elif damage == "manifest a list":
        (built / "manifest.json").write_text("[1, 2]")
    elif damage == "other interpreter":
        manifest["ext_suffix"] = ".cpython-312-x86_64-linux-gnu.so"
    elif damage == "a compiled file missing":
        lib.unlink()
    elif damage == "a compiled file changed":
        lib.write_bytes(b"")
    elif damage == "a compiled file a link":
        lib.unlink()
        lib.symlink_to(folder / f"logs{SUFFIX}")
    elif damage == "a module the manifest does not list":
        (folder / f"memory{SUFFIX}").write_bytes(b"\x7fELF")  # would shadow memory.py
    elif damage == "a listed module that is not compiled here":
        (folder / f"memory{SUFFIX}").write_bytes(b"\x7fELF")
        manifest["built"][f"memory{SUFFIX}"] = _sha(b"\x7fELF")
    elif damage == "a compiled module without its source":
        del manifest["sources"]["agents/skills/logparse.py"]
    elif damage == "a source outside the tree":
        (root.parent / "evil.py").write_text("")
        manifest["sources"]["../evil.py"] = _sha(b"")
    elif damage == "sources not a mapping":
        manifest["sources"] = list(manifest["sources"])
    elif damage == "built a list":
        manifest["built"] = list(manifest["built"])
    if damage in {
        "other interpreter",
        "a listed module that is not compiled here",
        "a compiled module without its source",
        "a source outside the tree",
        "sources not a mapping",
        "built a list",
    }:
        (built / "manifest.json").write_text(json.dumps(manifest))


DAMAGES = [
    "no manifest",
    "manifest bytes",
    "manifest nested too deep to parse",
    "manifest too large",
    "manifest a folder",
    "manifest a pipe",
    "manifest a list",
    "other interpreter",
    "a compiled file missing",
    "a compiled file changed",
    "a compiled file a link",
    "a module the manifest does not list",
    "a listed module that is not compiled here",
    "a compiled module without its source",
    "a source outside the tree",
    "sources not a mapping",
    "built a list",
]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_build_that_does_not_verify_is_not_loaded_and_nothing_raises(
    tmp_path: Path, damage: str
) -> None:
    built, root = _fake_build(tmp_path)
    _damage(built, root, damage)
    assert verified_build(built, root) is None


def test_without_a_compiler_the_build_says_so_and_leaves_no_tree(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "native"
    (out / "agents").mkdir(parents=True)  # a tree from earlier sources
    monkeypatch.setattr(build_native, "OUT", out)
    monkeypatch.setattr(build_native, "_compiler_missing", lambda: "no C compiler (cc) on PATH")
    assert build_native.build() == 0
    assert not out.exists()
    assert "no C compiler (cc) on PATH" in capsys.readouterr().out


def test_the_manifest_holds_the_compiled_sources_and_every_project_module_they_import() -> None:
    manifest = build_native.manifest()
    assert manifest["ext_suffix"] == SUFFIX
    assert {
        "agents/skills/logparse.py",
        "agents/skills/logs.py",
        "agents/skills/tokens.py",  # logs counts tokens with it
        "toolchain/inputs.py",  # and opens files with it
        "agents/__init__.py",  # InputError
    } <= set(manifest["sources"])
    for relative, digest in manifest["sources"].items():
        assert _sha((REPO / relative).read_bytes()) == digest


def test_the_finder_serves_both_compiled_modules_or_neither_decided_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built, _ = _fake_build(tmp_path)
    folder = built / "agents" / "skills"
    monkeypatch.delenv("AGENTS_NATIVE", raising=False)  # whatever the suite runs with
    for name in ("logs", "logparse"):  # as in a process that has imported neither yet
        monkeypatch.delitem(sys.modules, f"agents.skills.{name}", raising=False)
    checks: list[Path | None] = [folder, None]  # the build verifies, then no longer does
    monkeypatch.setattr(agents.skills, "verified_build", lambda: checks.pop(0))
    finder = agents.skills._CompiledFinder()
    spec = finder.find_spec("agents.skills.logs")
    assert spec is not None and spec.origin == str(folder / f"logs{SUFFIX}")
    for name in ("logs__mypyc", "logparse", "logparse__mypyc"):  # the same build, not re-decided
        found = finder.find_spec(f"agents.skills.{name}")
        assert found is not None and found.origin == str(folder / f"{name}{SUFFIX}")
    assert checks == [None]  # checked once
    assert finder.find_spec("agents.skills.memory") is None  # never another module
    assert finder.find_spec("other.logs") is None

    refused = agents.skills._CompiledFinder()  # a process whose first check fails
    monkeypatch.setattr(agents.skills, "verified_build", lambda: None)
    assert refused.find_spec("agents.skills.logparse") is None
    monkeypatch.setattr(agents.skills, "verified_build", lambda: folder)  # verifies again later
    assert refused.find_spec("agents.skills.logs") is None  # still its source: never half
    assert refused.find_spec("agents.skills.logs__mypyc") is None

    off = agents.skills._CompiledFinder()
    monkeypatch.setenv("AGENTS_NATIVE", "0")
    assert off.find_spec("agents.skills.logs") is None

    late = agents.skills._CompiledFinder()  # one of them already imported from its source
    monkeypatch.delenv("AGENTS_NATIVE")
    monkeypatch.setitem(sys.modules, "agents.skills.logparse", type(sys)("from its source"))
    assert late.find_spec("agents.skills.logs") is None


@pytest.mark.skipif(
    verified_build() is None,
    reason="the compiled modules are not built or not current (`make native`; needs a C compiler)",
)
def test_a_source_edited_between_the_two_imports_never_mixes_them(tmp_path: Path) -> None:
    """The reviewer's crash: `logparse` imported while its source was edited (so from the
    source), the edit undone, then `logs` imported: compiled `logs` beside uncompiled
    `logparse` ended the process with a segmentation fault. Run on a copy of the tree."""
    copy = tmp_path / "tree"
    for folder in ("agents", "toolchain"):
        shutil.copytree(REPO / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "build" / "native", copy / "build" / "native")
    code = """
import sys, pathlib
source = pathlib.Path("agents/skills/logparse.py")
original = source.read_bytes()
import agents.skills as skills
assert skills.verified_build() is not None
source.write_bytes(original + b"# edited\\n")
import agents.skills.logparse as logparse
source.write_bytes(original)
import agents.skills.logs as logs
lines = [f"2024-01-01 00:00:{i % 60:02d} INFO job {i} done" for i in range(3000)]
report = logs.analyze_logs(lines)
print(skills.compiled(), logparse.__file__.endswith(".py"), len(report.clusters))
"""
    env = {k: v for k, v in os.environ.items() if k != "AGENTS_NATIVE"}
    env["PYTHONPATH"] = str(copy)
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=copy,
        timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["False", "True", "1"]  # both from their sources, one event


def _log(path: Path) -> None:
    """Lines of several writers, with values drawn at random: enough paths through the parser."""
    rng = random.Random(7)
    lines = []
    for i in range(3000):
        user, ms, port = (
            rng.choice(["ann", "bob", "cy"]),
            rng.randint(1, 999),
            rng.randint(1, 65535),
        )
        lines += [
            f"2024-03-0{1 + i % 9}T10:{i % 60:02d}:00Z INFO api request user={user} took {ms}ms",
            f"Mar  {1 + i % 9} 10:{i % 60:02d}:01 web{i % 4} sshd[{100 + i}]: Accepted "
            f"publickey for {user} from 10.0.{i % 250}.{ms % 250} port {port} ssh2",
            json.dumps({"level": "warn", "msg": f"slow query {ms} ms on shard-{i % 7}"}),
            f"[06.13 10:14:{i % 60:02d}] worker.exe *{i % 64} - job {i} done in {ms} ms",
        ]
        if i % 97 == 0:
            lines += [
                f"2024-03-01T10:00:00Z ERROR api failed user={user}",
                "java.lang.IllegalStateException: pool closed",
                "\tat com.example.Pool.take(Pool.java:42)",
            ]
    path.write_text("\n".join(lines) + "\n")


def _analyze(log: Path, out: Path, native: bool) -> dict:
    env = dict(os.environ, AGENTS_NATIVE="1" if native else "0")
    code = (
        "import sys, agents.skills.logs as logs, agents.skills as s; "
        "print(s.compiled(), logs.__file__.endswith('.py'), file=sys.stderr); "
        "from agents.cli.main import main; sys.exit(main())"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code, "logs", "analyze", str(log), "--json",
         "--assignments", str(out)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    loaded, pure = ran.stderr.split("\n", 1)[0].split()
    assert loaded == str(native) and pure == str(not native)
    return {"report": json.loads(ran.stdout), "assignments": out.read_text()}


@pytest.mark.skipif(
    verified_build() is None,
    reason="the compiled modules are not built or not current (`make native`; needs a C compiler)",
)
def test_compiled_and_uncompiled_report_the_same(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    _log(log)
    compiled = _analyze(log, tmp_path / "a.txt", native=True)
    uncompiled = _analyze(log, tmp_path / "b.txt", native=False)
    assert compiled == uncompiled
    assert len(compiled["report"]["clusters"]) >= 5
