"""AWS FIS experiment templates: every experiment stops on a CloudWatch alarm (a template whose only
stop condition is `none` runs to its end whatever it breaks), and runs under a role that holds no
wildcard of a whole service (`*`, `ec2:*`, `NotAction`; judged with `policies.iam_documents` on the
role's policies that the stack holds, see `policies.security.alerting.RoleGraph`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.common import fail_closed, known, known_items, present, rule_tags
from policies.iam_documents import service_wide_grants
from policies.security.alerting import ROLE, RoleGraph, role_problems
from policies.security.iam import ADMIN_EQUIVALENT
from policies.values import ValueProblem

EXPERIMENT_TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
ALARM_SOURCE = "aws:cloudwatch:alarm"
ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+")
# AWS managed policies that grant every action of a service (`AmazonEC2FullAccess`, ...).
AWS_FULL_ACCESS = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/.*FullAccess")


def _stop_conditions(props: Mapping[str, object]) -> tuple[list[Mapping[str, object]], bool]:
    """The known stop conditions, and whether the list itself is not known yet."""
    try:
        value = props.get("stopConditions")
    except UnknownValueError:
        return [], True
    if value is None:
        return [], False
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise ValueProblem("stopConditions", value, "a list of {source, value}")
    items = known_items(value)
    if not all(isinstance(i, Mapping) for i in items):
        raise ValueProblem("stopConditions", value, "a list of {source, value}")
    return items, len(items) < len(value)


@fail_closed
def fis_stop_condition_alarm_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != EXPERIMENT_TEMPLATE:
        return
    conditions, pending = _stop_conditions(args.props)
    guarded = pending
    for i, condition in enumerate(conditions):
        source = known(condition, "source")
        if source is not None and not isinstance(source, str):
            raise ValueProblem(f"stopConditions[{i}].source", source, "a string")
        if str(source or "").strip().lower() != ALARM_SOURCE:
            continue
        value = known(condition, "value")
        if value is not None and not isinstance(value, str):
            raise ValueProblem(f"stopConditions[{i}].value", value, "an alarm ARN")
        if not present(condition, "value"):
            continue
        if isinstance(value, str) and not ALARM_ARN.match(value.strip()):
            raise ValueProblem(f"stopConditions[{i}].value", value, "a CloudWatch alarm ARN")
        guarded = True
    if not guarded:
        report_violation(
            "The experiment template has no stop condition on a CloudWatch alarm (only 'none', "
            "or none at all), so once started it runs to its end whatever it breaks. Add a "
            "stop condition with source 'aws:cloudwatch:alarm' and the ARN of a page alarm (the "
            "SLO page alarms).",
            None,
        )


fis_stop_condition_alarm = ResourceValidationPolicy(
    name="fis-stop-condition-alarm",
    description=(
        "AWS FIS experiment templates stop on at least one CloudWatch alarm (source "
        "aws:cloudwatch:alarm with an alarm ARN), never on 'none' alone."
    ),
    validate=fis_stop_condition_alarm_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-FIS-001"),
    remediation_steps=(
        "Add stop_conditions=[{source: 'aws:cloudwatch:alarm', value: <page alarm ARN>}]."
    ),
)


@fail_closed
def fis_role_least_privilege_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    graph: RoleGraph | None = None
    # One judgement per role, however many templates share it (a stack of many templates on one
    # role with many policies would otherwise cost templates x policies).
    judged: dict[str, list[tuple[str, str]]] = {}
    for template in args.resources:
        if template.resource_type != EXPERIMENT_TEMPLATE:
            continue
        graph = graph or RoleGraph(args.resources)
        try:
            role = graph.target(template, "roleArn", (ROLE,))
            if role is None:
                arn = known(template.props, "roleArn")
                what = (
                    "is not known yet and comes from no role of this stack"
                    if arn is None and present(template.props, "roleArn")
                    else f"{arn!r} is not a role of this stack"
                    if arn
                    else "is not set"
                )
                report_violation(
                    f"The experiment's role {what}, so whether it is least privilege cannot be "
                    "judged. Declare the experiment's role (and its policies) in the stack.",
                    template.urn,
                )
                continue
            problems = judged.get(role.urn)
            if problems is None:
                problems = role_problems(role, graph, service_wide_grants)
                problems += [
                    (f"AWS managed policy {arn} (every action of a service)", urn)
                    for arn, urn in graph.managed(role)
                    if AWS_FULL_ACCESS.match(arn) and not ADMIN_EQUIVALENT.match(arn)
                ]
                judged[role.urn] = problems
            for problem_text, urn in problems:
                report_violation(
                    f"The role {known(role.props, 'name') or role.name} of experiment template "
                    f"{template.name} is not least privilege: {problem_text}. An experiment may "
                    "do only what its actions need: list those actions "
                    "(ec2:SendSpotInstanceInterruptions, ...) on the target ARNs.",
                    urn,
                )
        except ValueProblem as problem:
            report_violation(
                f"Cannot judge the role of experiment template {template.name}: {problem}. A "
                "value the rule cannot read fails the rule; set it to a valid value.",
                problem.urn or template.urn,
            )


fis_role_least_privilege = StackValidationPolicy(
    name="fis-role-least-privilege",
    description=(
        "AWS FIS experiment templates run under a role of the stack whose policies grant no "
        "wildcard of a whole service ('*', 'ec2:*', NotAction, AWS managed *FullAccess or "
        "administrator policies), on whatever resources."
    ),
    validate=fis_role_least_privilege_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-FIS-002"),
    remediation_steps=(
        "Give each experiment its own role with only the actions of its experiment, scoped to "
        "the target resources."
    ),
)

POLICIES = [fis_stop_condition_alarm, fis_role_least_privilege]
