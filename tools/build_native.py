"""Compile the log clustering's hot modules to C with mypyc (`make native`; `make test` and
`make bench` run it first).

The same Python sources, compiled: `agents/skills/logparse.py` and `agents/skills/logs.py` are
what the per-line work runs through, and CPython's interpreter is most of their cost (on
Loghub's 2,000-line sets, about 1.6x faster compiled). mypyc (part of mypy, pinned in
requirements-dev.txt) compiles the type-checked source as written, so there is one
implementation: the pure-Python modules stay the reference, and `agents.skills` loads the compiled
ones only when they were built from exactly the sources beside them (see its docstring).

Output: `build/native/` holding `agents/skills/*.so` and `manifest.json`: the interpreter's
extension suffix, mypy's version, the SHA-256 of each compiled source and of every project module
it imports (`dependencies`: mypyc builds the types it reads from them into the C), and the
SHA-256 of each file built. The tree is built in a temporary folder beside it, manifest and all,
and renamed into place: a killed build leaves the previous tree or none, never part of one.
When the tree already verifies against the sources (`agents.skills.verified_build`, what the
loader checks) nothing is compiled, so `make native` is cheap when nothing changed. Without a C
compiler or Python's headers the build says so and exits 0 with no tree: everything runs
uncompiled. A build exits 1 when a source changed while it compiled. `AGENTS_NATIVE=0` turns the
compiled modules off at run time.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "native"
PACKAGE = "agents/skills"
PROJECT = ("agents", "toolchain", "baseline", "components", "policies")  # top-level packages

if str(ROOT) not in sys.path:  # run as a script, from any folder: the project's `agents`
    sys.path.insert(0, str(ROOT))
from agents.skills import COMPILED, SUFFIX, verified_build  # noqa: E402 - the loader's own


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _module_file(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def dependencies() -> list[Path]:
    """The compiled modules' sources and every project module they import, directly or not (at
    any depth in a function too), with the packages that hold them: what mypyc read types from."""
    todo = [ROOT / PACKAGE / f"{m}.py" for m in COMPILED]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        for name in names:
            if name.split(".")[0] not in PROJECT:
                continue
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # the packages on the way, then the module
                found = _module_file(".".join(parts[:depth]))
                if found is not None:
                    todo.append(found)
    return sorted(seen)


def manifest() -> dict[str, Any]:
    from mypy.version import __version__ as mypy_version  # noqa: PLC0415 - a dev dependency

    return {
        "ext_suffix": SUFFIX,
        "mypy": mypy_version,
        "sources": {str(p.relative_to(ROOT)): digest(p) for p in dependencies()},
    }


def _compiler_missing() -> str | None:
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not include.is_file():
        return f"Python's headers are not installed ({include} is missing)"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler}) on PATH"
    return None


def build() -> int:
    if verified_build(OUT, ROOT) is not None:
        print(f"native: {OUT} is up to date with its sources")
        return 0
    missing = _compiler_missing()
    if missing:
        shutil.rmtree(OUT, ignore_errors=True)  # never leave a tree for other sources behind
        print(f"native: not built, {missing}; the log clustering runs uncompiled (slower)")
        return 0
    from mypyc.build import mypycify  # noqa: PLC0415 - a dev dependency
    from setuptools import setup  # type: ignore[import-untyped]  # noqa: PLC0415

    # setuptools reads the project's pyproject.toml and calls its own [tool.setuptools] beta
    warnings.filterwarnings("ignore", message=r"Support for `\[tool\.setuptools\]`")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="native.", dir=OUT.parent))
    try:
        expected = manifest()  # the sources' digests before compiling: an edit meanwhile shows
        sources = [f"{PACKAGE}/{m}.py" for m in COMPILED]
        cwd = Path.cwd()
        os.chdir(ROOT)  # mypyc names modules by their paths relative to here
        try:
            # one extension per module, compiled on every core (`--parallel`): 14 s on 2 cores
            # where one shared library took 21 (its C is one file for one compiler process)
            extensions = mypycify(sources, opt_level="3", separate=True, target_dir=str(work / "c"))
            setup(
                name="agents-native",
                ext_modules=extensions,
                script_args=[
                    "--quiet",
                    "build_ext",
                    "--parallel",
                    str(os.cpu_count() or 1),
                    "--build-lib",
                    str(work / "tree"),
                    "--build-temp",
                    str(work / "obj"),
                ],
            )
        finally:
            os.chdir(cwd)
        if manifest() != expected:
            print("native: a source changed while it compiled; run `make native` again")
            return 1
        tree = work / "tree"
        folder = tree / PACKAGE
        expected["built"] = {path.name: digest(path) for path in sorted(folder.iterdir())}
        (tree / "manifest.json").write_text(json.dumps(expected, indent=2) + "\n")
        old = OUT.with_name("native.old")
        shutil.rmtree(old, ignore_errors=True)
        if OUT.exists():
            OUT.rename(old)
        tree.rename(OUT)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"native: compiled {', '.join(f'{PACKAGE}/{m}.py' for m in COMPILED)} into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(build())
