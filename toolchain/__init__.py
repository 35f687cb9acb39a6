"""The stack-export toolchain: everything that reads or writes a Pulumi stack export.

Rooms, bottom up (a module imports only from its own floor or below; `tests/test_layout.py`
walks the imports):

- `toolchain` (this file: the typed errors), `inputs` (safe readers and atomic writes),
  `export` (the export format), `aws_types` (how each AWS type takes tags): need nothing else.
- `cost` (estimate, diff, savings, prices) and `gate` (the policy packs on an export, run as
  the engine runs them): read exports; import nothing of the program or the packs.
- `mocks` and `plan`: the offline plan, the program run under Pulumi's mock runtime with a
  stack's config; the only room here that imports the program (`baseline`, `components`).

The packs (`policies`), the agents (`agents`) and the pull-request pipeline use this package;
it imports none of them.
"""


class ToolchainError(Exception):
    """Base of every error of the project's Python code (the agents' `AgentsError` derives from
    it); the message says what the user must change."""


class InputError(ToolchainError):
    """Bad user input (a file, an argument, a config value): the command line exits 2."""
