"""The ops agents: personas that run the stacks through the Pulumi Automation API.

Rooms, bottom up (a module imports only from its own floor or below; `tests/test_layout.py`
walks the imports):

- `protocol`: coordination and safety, and the records: settings, audit log, locks, approvals,
  circuit breakers, state folder, findings store, process supervision.
- `runtime`: the Pulumi CLI and its gateway, the runner that applies the protocol to each
  operation, health endpoints, telemetry, SLI points, status.
- `skills`: the read-only skills behind one registry (logs, summaries, memory, AWS checks).
- `routines` (each persona's job per pass) and `mcp` (the MCP server and its tokens).
- `cli`: `python -m agents`, on top of everything.

Beneath all of it: `toolchain` (exports, offline plan, gate, cost) and `baseline` (the program
and the personas' data). `python -m agents --help` lists the commands.
"""

from toolchain import InputError, ToolchainError

__all__ = ["AgentsError", "InputError", "ToolchainError"]


class AgentsError(ToolchainError):
    """Base of the agents' errors; the message says what the user must change."""


def unexpected_error(exc: BaseException) -> str:
    """An error no caller expects (a bug, a value of a shape nobody checked), in one line for a
    record: its type and its message's first line, at most 300 characters of it."""
    first = (str(exc).splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
