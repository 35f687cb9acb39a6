"""A run of the program without the policy packs is visible.

The packs run on every preview and up that goes through `make preview|up` (toolchain/deploy.py)
or the agents' gateway; both set `BASELINE_POLICY_PACKS` (toolchain.gate.POLICY_PACKS_ENV) to the
packs they attach, and the CLI hands its environment to the program. A person's bare
`pulumi up` has none: the program then warns (the CLI shows it in the run's diagnostics) and the
stack output `policyPacks` says `none attached`, so the state itself records an unguarded run.
The variable is a statement by the caller, not a proof (the engine does not tell a program which
packs it runs): what enforces the packs for every run, whoever starts it, is a Pulumi Cloud policy
group (README, "Deploying for real"). The offline plan builds the program without this entry
point: its packs run in the offline gate.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from toolchain.gate import PACKS, POLICY_PACKS_ENV

NONE_ATTACHED = "none attached"
WARNING = (
    "no policy packs attached to this run (BASELINE_POLICY_PACKS is not set): run "
    "`make preview STACK=<stack>` / `make up STACK=<stack>`, which attach both packs with the "
    "stack's policy config, or enforce them with a Pulumi Cloud policy group"
)


def attached(environ: Mapping[str, str] | None = None) -> list[str]:
    """The packs the caller says are attached, in `PACKS` order; names it does not know are
    dropped (a typo must not read as a guarded run)."""
    raw = (os.environ if environ is None else environ).get(POLICY_PACKS_ENV, "")
    named = {p.strip() for p in raw.split(",")}
    return [p for p in PACKS if p in named]


def with_policy_guard(
    outputs: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """`outputs` with `policyPacks`: the packs attached, or `none attached` (with a warning on
    the run; a run with only some of the packs warns too)."""
    import pulumi  # noqa: PLC0415

    packs = attached(environ)
    missing = [p for p in PACKS if p not in packs]
    if missing:
        pulumi.log.warn(WARNING if not packs else f"policy packs not attached: {missing}")
    return {**outputs, "policyPacks": packs or NONE_ATTACHED}
