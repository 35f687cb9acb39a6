"""The stack's estimated monthly cost stays under its budget.

The rule prices the stack with the project's cost estimate (`toolchain.cost`: the dated price file
and the default usage assumptions) over what `AnalyzeStack` sees, each resource's outputs, and
compares the total with `monthlyBudgetUsd` from the policy config (the same budget the stack's
AWS Budget alerts on, so the gate refuses a change that would make the alarm certain)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import config, fail_closed, rule_tags

if TYPE_CHECKING:
    from toolchain.cost import PriceBook, Usage


@cache
def _prices_and_usage() -> tuple[PriceBook, Usage]:
    """The price file and the default usage file, read on the first AnalyzeStack and kept for the
    pack process's life (the engine starts the pack afresh for each preview). Read lazily: starting
    the pack does not pay for the cost estimate. A file that cannot be read is not cached, so the
    error is reported again on the next AnalyzeStack."""
    from toolchain.cost import load_prices, load_usage  # noqa: PLC0415

    return load_prices(), load_usage()


def _export(args: StackValidationArgs) -> Any:
    """The resources as a stack export, as the estimate reads one."""
    from toolchain.export import parse_export  # noqa: PLC0415

    resources = []
    for r in args.resources:
        props = dict(r.props)
        # A component's type token starts with the project's name (`baseline:network:Network`).
        project = r.urn.split("::")[1] if r.urn.count("::") >= 3 else ""
        entry: dict[str, Any] = {
            "urn": r.urn,
            "type": r.resource_type,
            "custom": r.resource_type.split(":")[0] != project,
            "inputs": props,
            "outputs": props,
        }
        if r.parent is not None:
            entry["parent"] = r.parent.urn
        if r.provider is not None:
            entry["provider"] = f"{r.provider.urn}::provider"
        resources.append(entry)
    return parse_export({"version": 3, "deployment": {"resources": resources}}, "the stack")


@fail_closed
def stack_monthly_budget_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    from toolchain.cost import estimate  # noqa: PLC0415
    from toolchain.cost.errors import CostError  # noqa: PLC0415

    budget = float(config(args, "monthlyBudgetUsd", 1000))
    try:
        result = estimate(_export(args), *_prices_and_usage())
    except CostError as exc:
        report_violation(
            f"The stack's cost cannot be estimated: {exc}. Fix the price file or "
            "disable this rule for the stack.",
            None,
        )
        return
    total = float(result.total)
    if total > budget:
        by_component: dict[str, float] = {}
        for line in result.lines:
            by_component[line.component] = by_component.get(line.component, 0.0) + float(
                line.monthly
            )
        top = sorted(by_component.items(), key=lambda kv: -kv[1])[:3]
        costliest = max(result.lines, key=lambda line: line.monthly)
        report_violation(
            f"Estimated monthly cost ${total:,.2f} exceeds the budget ${budget:,.2f} "
            f"(largest: {', '.join(f'{c} ${v:,.2f}' for c, v in top)}). Reduce the capacity "
            "the change adds, or raise monthlyBudgetUsd in the stack's policy config and its "
            f"budget together. The costliest resource is {costliest.name} "
            f"(${costliest.monthly:,.2f}).",
            costliest.urn,
        )


stack_monthly_budget = StackValidationPolicy(
    name="stack-monthly-budget",
    description="The stack's estimated monthly cost stays under its budget.",
    validate=stack_monthly_budget_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(properties={"monthlyBudgetUsd": {"type": "number"}}),
    tags=rule_tags("COST-BUD-001"),
    remediation_steps="Shrink what the change adds, or raise the budget in policy config.",
)

POLICIES = [stack_monthly_budget]
