"""Ops agents and the tools they share: the offline plan, stack exports, personas and (later) the
policy gate, cost estimate, coordination protocol and the Automation API gateway.

`python -m agents --help` lists the commands.
"""


class AgentsError(Exception):
    """Base of the agents' errors; the message says what the user must change."""


class InputError(AgentsError):
    """Bad user input (a file, an argument, a config value): the command line exits 2."""
