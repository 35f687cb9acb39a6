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
    `error` with one line naming the file and `what` it should have been."""
    import yaml  # noqa: PLC0415 - `python -m agents` commands that read no YAML skip loading it

    try:
        return yaml.safe_load(path.read_text())
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
