"""The agents' service-level indicator: one data point per pass, published to CloudWatch for the
SLO alarms (`components/slo.py`): `PassSucceeded` or `PassFailed` = 1 in the namespace
`Baseline/Agents`, once with dimensions `Stack` and `Persona` and once with `Stack` alone (what
the SLO alarms read), in the stack's region.

A pass succeeded when every outcome of it is ok (done, or waiting for an approval); refused by
a cooldown counts as ok too, since the agent did what it should. Publishing is on with
`AGENTS_SLI_METRICS=true` (the Deployments set it). A point that cannot be published is recorded
on the audit log (`sli.unpublished`) and never fails the pass: the SLO then sees missing data,
which its alarms treat as breaching, not as good (fail closed on the alarm side).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from agents import AgentsError

if TYPE_CHECKING:
    from agents.protocol.audit import AuditLog
    from agents.runtime.runner import Outcome

NAMESPACE = "Baseline/Agents"
PERMISSIONS = ("cloudwatch:PutMetricData",)


def pass_ok(outcomes: Sequence[Outcome]) -> bool:
    return all(o.ok or (o.status == "refused" and "cooling down" in o.detail) for o in outcomes)


def publish(client: Any, persona: str, stack: str, ok: bool) -> None:
    """One point for one pass; botocore errors propagate (see `publishing`)."""
    # Twice: per persona (to see who fails), and per stack alone, which the SLO alarms read
    # (a metric-math alarm may name at most 10 metrics: 7 personas x 2 counts would not fit).
    name = "PassSucceeded" if ok else "PassFailed"
    per_stack = [{"Name": "Stack", "Value": stack}]
    client.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [*per_stack, {"Name": "Persona", "Value": persona}],
                "Value": 1.0,
                "Unit": "Count",
            },
            {"MetricName": name, "Dimensions": per_stack, "Value": 1.0, "Unit": "Count"},
        ],
    )


def publishing(
    routine: Callable[[str, str | None], list[Outcome]],
    *,
    persona: str,
    audit: AuditLog,
    client_for: Callable[[str], Any],
) -> Callable[[str, str | None], list[Outcome]]:
    """`routine`, publishing one SLI point after each pass on a stack (`client_for(stack)`: a
    CloudWatch client in the stack's region)."""

    def one_pass(stack: str, approval: str | None) -> list[Outcome]:
        ok = False
        try:
            outcomes = routine(stack, approval)
            ok = pass_ok(outcomes)
            return outcomes
        finally:
            try:
                publish(client_for(stack), persona, stack, ok)
            except Exception as exc:  # noqa: BLE001 - never fails the pass; recorded instead
                with contextlib.suppress(OSError, AgentsError):
                    audit.append(
                        "sli.unpublished",
                        persona=persona,
                        stack=stack,
                        ok=ok,
                        error=f"{type(exc).__name__}: {exc}"[:300],
                    )

    return one_pass


def region_of(stack: str) -> str:
    from baseline.config import parse  # noqa: PLC0415
    from toolchain.plan import read_stack_config, stack_config_file  # noqa: PLC0415

    return parse(read_stack_config(stack_config_file(stack)), stack).region
