"""What no file a user names as an output (`--out`, `--out-dir`, `--assignments`) may replace:
the agents' state folder and everything in it (the append-only audit log, the MCP token store,
the approval key, locks, approvals, memory and findings). `toolchain.inputs.output_path` does the
checking; it imports nothing of `agents`, so the paths are handed to it from here."""

from __future__ import annotations

import os
from pathlib import Path

from agents import InputError


def protected_outputs() -> list[Path]:
    """The state folder and its files by name (by name too, so a hard link or symlink to one
    of them elsewhere is caught by its inode). Settings that do not load (a bad `AGENTS_*`
    variable) still protect the folder the variable names, or the default one: fail closed."""
    from agents.protocol.settings import default_state_dir, load_settings  # noqa: PLC0415

    try:
        settings = load_settings()
        state_dir, audit_log = settings.state_dir, settings.audit_log
    except InputError:
        named = (os.environ.get("AGENTS_STATE_DIR") or "").strip()
        state_dir = Path(named) if named else default_state_dir()
        audit_log = state_dir / "audit.jsonl"
    from agents.mcp.tokens import STORE_FILE  # noqa: PLC0415

    return [
        state_dir,
        audit_log,
        state_dir / STORE_FILE,
        state_dir / "approval.key",
        state_dir / "memory.sqlite",
        state_dir / "findings.sqlite",
    ]
