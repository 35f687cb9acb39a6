"""Compile the log clustering's hot modules to C with mypyc (`make native`; `make test` and
`make bench` run it first).

The same Python sources, compiled: `agents/skills/logparse.py` and `agents/skills/logs.py` are
what the per-line work runs through, and CPython's interpreter is most of their cost (on
Loghub's 2,000-line sets, about 1.5x faster compiled). mypyc (part of mypy, pinned in
requirements-dev.txt) compiles the type-checked source as written, so there is one
implementation: the pure-Python modules stay the reference, and `agents.skills` loads the compiled
ones only when they were built from exactly the sources beside them (see its docstring).

Output: `build/native/` holding `agents/skills/*.so` and `manifest.json` (the SHA-256 of each
source, the interpreter's extension suffix, mypy's version, the files built). The tree is built
in a temporary folder beside it, manifest and all, and renamed into place: a killed build leaves
the previous tree or none, never part of one. Without a C compiler or Python's headers the build
says so and exits 0 with no tree: everything runs, uncompiled. `AGENTS_NATIVE=0` turns the
compiled modules off at run time. A build exits 1 when a source changed while it compiled.
"""

from __future__ import annotations

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
# the package's modules, compiled (each beside its shim in the package's folder)
MODULES = ("logparse", "logs")
PACKAGE = "agents/skills"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest() -> dict[str, Any]:
    from mypy.version import __version__ as mypy_version  # noqa: PLC0415 - a dev dependency

    return {
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "mypy": mypy_version,
        "sources": {f"{m}.py": digest(ROOT / PACKAGE / f"{m}.py") for m in MODULES},
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
        sources = [f"{PACKAGE}/{m}.py" for m in MODULES]
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
        expected["built"] = sorted(path.name for path in folder.iterdir())  # all must be there
        (tree / "manifest.json").write_text(json.dumps(expected, indent=2) + "\n")
        old = OUT.with_name("native.old")
        shutil.rmtree(old, ignore_errors=True)
        if OUT.exists():
            OUT.rename(old)
        tree.rename(OUT)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"native: compiled {', '.join(f'{PACKAGE}/{m}.py' for m in MODULES)} into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(build())
