"""The log clustering compiled by mypyc (`make native`): loaded only when built from exactly
the sources beside it, and, when loaded, the same results as the uncompiled modules."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import agents.skills
from agents.skills import native_folder
from tools import build_native

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
REPO = Path(__file__).resolve().parents[3]


def _fake_build(tmp_path: Path) -> tuple[Path, Path]:
    """A source folder with two modules and a build of them that verifies."""
    sources = tmp_path / "src"
    sources.mkdir()
    built = tmp_path / "build"
    folder = built / "agents" / "skills"
    folder.mkdir(parents=True)
    digests = {}
    names = []
    for module in ("logparse", "logs"):
        (sources / f"{module}.py").write_text(f"X = '{module}'\n")
        digests[f"{module}.py"] = hashlib.sha256(
            (sources / f"{module}.py").read_bytes()
        ).hexdigest()
        for name in (f"{module}{SUFFIX}", f"{module}__mypyc{SUFFIX}"):
            (folder / name).write_bytes(b"\x7fELF")
            names.append(name)
    manifest = {"ext_suffix": SUFFIX, "mypy": "x", "sources": digests, "built": sorted(names)}
    (built / "manifest.json").write_text(json.dumps(manifest))
    return built, sources


def _manifest(built: Path) -> dict:
    return json.loads((built / "manifest.json").read_text())


def test_a_build_of_exactly_these_sources_is_loaded(tmp_path: Path) -> None:
    built, sources = _fake_build(tmp_path)
    assert native_folder(built, sources) == built / "agents" / "skills"


def test_an_edited_source_is_never_run_compiled(tmp_path: Path) -> None:
    built, sources = _fake_build(tmp_path)
    (sources / "logs.py").write_text("X = 'edited after the build'\n")
    assert native_folder(built, sources) is None


@pytest.mark.parametrize(
    "damage",
    [
        "no manifest",
        "manifest bytes",
        "manifest a list",
        "other interpreter",
        "a compiled file missing",
        "a module the manifest does not list",
        "a shim without a checked source",
        "a source outside the folder",
        "sources not a mapping",
        "no sources",
    ],
)
def test_a_build_that_does_not_verify_is_not_loaded(tmp_path: Path, damage: str) -> None:
    built, sources = _fake_build(tmp_path)
    manifest = _manifest(built)
    folder = built / "agents" / "skills"
    if damage == "no manifest":
        (built / "manifest.json").unlink()
    elif damage == "manifest bytes":
        (built / "manifest.json").write_bytes(b"\xff\xfe{not json")
    elif damage == "manifest a list":
        (built / "manifest.json").write_text("[1, 2]")
    elif damage == "other interpreter":
        manifest["ext_suffix"] = ".cpython-312-x86_64-linux-gnu.so"
    elif damage == "a compiled file missing":
        (folder / f"logs__mypyc{SUFFIX}").unlink()
    elif damage == "a module the manifest does not list":
        (folder / f"memory{SUFFIX}").write_bytes(b"\x7fELF")  # would shadow memory.py
    elif damage == "a shim without a checked source":
        del manifest["sources"]["logparse.py"]  # its shim is still listed and present
    elif damage == "a source outside the folder":
        outside = tmp_path / "evil.py"
        outside.write_text("")
        manifest["sources"]["../evil.py"] = hashlib.sha256(b"").hexdigest()
    elif damage == "sources not a mapping":
        manifest["sources"] = ["logs.py"]
    elif damage == "no sources":
        manifest["sources"] = {}
    if damage not in {
        "no manifest",
        "manifest bytes",
        "manifest a list",
        "a compiled file missing",
    }:
        (built / "manifest.json").write_text(json.dumps(manifest))
    assert native_folder(built, sources) is None


def test_agents_native_0_turns_the_build_off(tmp_path: Path, monkeypatch) -> None:
    built, sources = _fake_build(tmp_path)
    monkeypatch.setenv("AGENTS_NATIVE", "0")
    assert native_folder(built, sources) is None


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


def test_the_manifest_names_the_sources_the_loader_checks() -> None:
    manifest = build_native.manifest()
    assert manifest["ext_suffix"] == SUFFIX
    for name, digest in manifest["sources"].items():
        source = REPO / "agents" / "skills" / name
        assert hashlib.sha256(source.read_bytes()).hexdigest() == digest


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
        "print(s.NATIVE, logs.__file__.endswith('.py'), file=sys.stderr); "
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
    not agents.skills.NATIVE,
    reason="the compiled modules are not built or not current (`make native`; needs a C compiler)",
)
def test_compiled_and_uncompiled_report_the_same(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    _log(log)
    compiled = _analyze(log, tmp_path / "a.txt", native=True)
    uncompiled = _analyze(log, tmp_path / "b.txt", native=False)
    assert compiled == uncompiled
    assert len(compiled["report"]["clusters"]) >= 5
