"""Ops agents and the tools they share: the offline plan, stack exports, personas and (later) the
policy gate, cost estimate, coordination protocol and the Automation API gateway.

`python -m agents --help` lists the commands.
"""

from pathlib import Path
from typing import Any


class AgentsError(Exception):
    """Base of the agents' errors; the message says what the user must change."""


class InputError(AgentsError):
    """Bad user input (a file, an argument, a config value): the command line exits 2."""


def read_yaml(path: Path, what: str, error: type[InputError] = InputError) -> Any:
    """A YAML file's document (None when empty); a file that cannot be read or parsed raises
    `error` with one line naming the file and `what` it should have been. The checks (regular
    file, 1 MiB, UTF-8, bounded aliases and depth, no duplicate keys) are `agents.inputs`'s."""
    from agents.inputs import read_yaml_file  # noqa: PLC0415 - agents.inputs imports this module

    return read_yaml_file(path, what, error=error)
