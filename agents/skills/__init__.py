"""The agents' skills: plain functions that turn logs, stack exports and the agents' own history
into compact, budgeted reports for an LLM (issue 10). One module per skill; `tokens` is the o200k
accounting they share.

The log clustering's two hot modules (`logparse`, `logs`) may also exist compiled to C by mypyc
(`make native`, `tools/build_native.py`): the same sources, about 1.6x faster. They are loaded from
`build/native/` only when its manifest verifies (`verified_build`): this interpreter's extension
suffix, the SHA-256 of exactly the sources they were compiled from and of every project module
those import (mypyc builds the types it reads from them into the C), and the SHA-256 of each
compiled file, which are all the folder holds. It is checked once per process, when the first
of `logs` and `logparse` is imported (a finder on `sys.meta_path`, which then serves both or
neither), so a process that never clusters logs reads no build. After any
edit, with a damaged or foreign build, or with `AGENTS_NATIVE=0`, the pure-Python modules run
(`compiled()` says which did)."""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import stat
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent.parent
BUILD = ROOT / "build" / "native"
COMPILED = ("logparse", "logs")  # the modules compiled, in the order they are imported
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]  # this interpreter's, as sysconfig's EXT_SUFFIX
MAX_MANIFEST_BYTES = 64 * 1024
MAX_BUILT_BYTES = 64 * 1024 * 1024


def _regular(path: Path, limit: int) -> bytes | None:
    """`path`'s bytes when it is a regular file (not a link) of at most `limit` bytes."""
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        return None
    return path.read_bytes()


def verified_build(build: Path = BUILD, root: Path = ROOT) -> Path | None:
    """The compiled modules' folder in `build` when its manifest verifies against the sources
    under `root` (see the module docstring), else None. Never raises: a build it cannot read is
    a build it does not load."""
    try:
        text = _regular(build / "manifest.json", MAX_MANIFEST_BYTES)
        if text is None:
            return None
        manifest = json.loads(text)
        sources, built = manifest["sources"], manifest["built"]
        if manifest["ext_suffix"] != SUFFIX or not isinstance(sources, dict):
            return None
        if not isinstance(built, dict) or not built:
            return None
        folder = build / "agents" / "skills"
        for name in COMPILED:  # each compiled module from its own source, checked below
            if f"agents/skills/{name}.py" not in sources or f"{name}{SUFFIX}" not in built:
                return None
        tree = root.resolve()
        for relative, digest in sources.items():
            source = (tree / relative).resolve()
            if tree not in source.parents or source.suffix != ".py":
                return None
            data = _regular(source, MAX_BUILT_BYTES)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                return None
        if sorted(os.listdir(folder)) != sorted(built):  # nothing else there to import
            return None
        for name, digest in built.items():
            module = name.split(".", 1)[0].removesuffix("__mypyc")
            if module not in COMPILED or not name.endswith(SUFFIX):
                return None
            data = _regular(folder / name, MAX_BUILT_BYTES)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                return None
    except Exception:  # noqa: BLE001 - whatever is wrong with a build, the sources run instead
        return None
    return folder


class _CompiledFinder:
    """Finds the compiled modules (and the libraries of their C code) in the build. It decides
    once per process, when the first of them is imported (which may be long after this package
    was: `logs` is imported when first used), by checking the build again: then both modules and
    both libraries come from the build, or none does. Half and half must never happen: compiled
    `logs` calls compiled `logparse`'s C functions directly, whose module state only the compiled
    `logparse` sets up (a reviewer's mixed import crashed the process)."""

    def __init__(self) -> None:
        self._decided = False
        self._folder: Path | None = None

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != __name__ or name.removesuffix("__mypyc") not in COMPILED:
            return None
        if not self._decided:
            self._decided = True
            imported = any(f"{__name__}.{module}" in sys.modules for module in COMPILED)
            if os.environ.get("AGENTS_NATIVE") != "0" and not imported:
                self._folder = verified_build()
        if self._folder is None:
            return None
        location = str(self._folder / f"{name}{SUFFIX}")
        loader = importlib.machinery.ExtensionFileLoader(fullname, location)
        spec = importlib.machinery.ModuleSpec(fullname, loader, origin=location)
        spec.has_location = True  # its `__file__` is the compiled file
        return spec


def compiled() -> bool:
    """Whether the log clustering imported so far runs compiled (`logs` imported, from C)."""
    module = sys.modules.get(f"{__name__}.logs")
    return module is not None and not str(getattr(module, "__file__", "")).endswith(".py")


# where a build is (checked when first used) and not turned off, the compiled modules come first
if os.environ.get("AGENTS_NATIVE") != "0" and (BUILD / "manifest.json").exists():
    sys.meta_path.insert(0, _CompiledFinder())
