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

__all__ = ["AgentsError", "InputError", "ToolchainError", "first_line", "one_line"]


class AgentsError(ToolchainError):
    """Base of the agents' errors; the message says what the user must change."""


def one_line(text: str, limit: int = 500) -> str:
    """`text` on one line (each run of white space, newlines included, one space), cut to `limit`
    characters, the cut marked `...`: for a reason, a status or a log line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else f"{line[: limit - 3]}..."


def first_line(exc: BaseException, limit: int = 300) -> str:
    """An error for a record: its message's first line (its type's name when it has none), at
    most `limit` characters (a driver's or a service's message may run to many lines)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:limit]


def unexpected_error(exc: BaseException) -> str:
    """An error no caller expects (a bug, a value of a shape nobody checked), in one line for a
    record: its type and its message's first line, at most 300 characters of it."""
    first = first_line(exc)
    return f"{type(exc).__name__}: {first}" if str(exc).strip() else type(exc).__name__
