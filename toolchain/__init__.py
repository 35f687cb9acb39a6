"""The stack-export toolchain: everything that reads or writes a Pulumi stack export.

Rooms, bottom up (a module imports only from its own floor or below; `tests/test_layout.py`
walks the imports):

- `toolchain` (this file: the typed errors), `inputs` (safe readers and atomic writes),
  `export` (the export format), `aws_types` (how each AWS type takes tags), `quantities`
  (Kubernetes resource quantities): need nothing else.
- `cost` (estimate, diff, savings, prices) and `gate` (the policy packs on an export, run as
  the engine runs them), `pr_comment` (the pull-request comment of the plan gate): read
  exports; import nothing of the program or the packs.
- `mocks` and `plan`: the offline plan, the program run under Pulumi's mock runtime with a
  stack's config; the only room here that imports the program (`baseline`, `components`).

The packs (`policies`), the agents (`agents`) and the pull-request pipeline use this package;
it imports none of them.
"""

import os

# Every process of the project imports this package before pulumi (and so grpc) is loaded. The
# agents fork only to exec the Pulumi CLI (and the gate to exec the packs), while gRPC servers
# and channels are live in the same process (the Automation API's event stream, the packs'
# analyzers, the mock monitor). With gRPC's fork support on, its handlers restart the poller in
# the child between fork and exec; `preexec_fn` (the CLI dies with its agent) forces that path,
# and the child can abort on the poller's closed epoll descriptor before it ever runs the CLI
# (grpc/grpc#43055; one in five spawns under load, `tests/toolchain/test_fork.py`). Nothing here
# uses gRPC in a forked child, so the handlers are off unless the environment says otherwise.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")


class ToolchainError(Exception):
    """Base of every error of the project's Python code (the agents' `AgentsError` derives from
    it); the message says what the user must change."""


class InputError(ToolchainError):
    """Bad user input (a file, an argument, a config value): the command line exits 2."""
