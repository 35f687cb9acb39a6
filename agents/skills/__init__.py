"""The agents' skills: plain functions that turn logs, stack exports and the agents' own history
into compact, budgeted reports for an LLM (issue 10). One module per skill; `tokens` is the o200k
accounting they share.

The log clustering's two hot modules (`logparse`, `logs`) may also exist compiled to C by mypyc
(`make native`, `tools/build_native.py`): the same sources, about 1.5x faster. They are loaded from
`build/native/` only when its manifest names this interpreter's extension suffix and the SHA-256
of exactly the sources beside this file; after any edit, or with `AGENTS_NATIVE=0`, the pure-Python
modules run (`NATIVE` says which). A stale or partial build is never loaded."""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_BUILD = _HERE.parent.parent / "build" / "native"


def native_folder(build: Path = _BUILD, sources_at: Path = _HERE) -> Path | None:
    """The compiled modules' folder in `build` when it was built from exactly the sources in
    `sources_at` for this interpreter, else None (also with `AGENTS_NATIVE=0`)."""
    if os.environ.get("AGENTS_NATIVE", "1") == "0":
        return None
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        sources = manifest["sources"]
        if manifest["ext_suffix"] != suffix or not isinstance(sources, dict) or not sources:
            return None
        folder = build / "agents" / "skills"
        for name, digest in sources.items():
            source = sources_at / name
            if source.parent != sources_at or source.suffix != ".py":
                return None
            if hashlib.sha256(source.read_bytes()).hexdigest() != digest:
                return None
            if f"{source.stem}{suffix}" not in manifest["built"]:
                return None
        if sorted(os.listdir(folder)) != sorted(manifest["built"]):  # nothing else to import
            return None
        for name in manifest["built"]:  # each module's shim and its compiled code, all checked
            module = name.split(".", 1)[0].removesuffix("__mypyc")
            if f"{module}.py" not in sources or not name.endswith(suffix):
                return None
            if (folder / name).parent != folder or not (folder / name).is_file():
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return folder


_native = native_folder()
# searched before this folder: `agents.skills.logs` then resolves to the compiled module
if _native is not None:
    __path__.insert(0, str(_native))
NATIVE: bool = _native is not None
