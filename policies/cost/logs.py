"""Log cost rules: CloudWatch log groups expire, the log groups AWS services write to are the
stack's own (else the service creates them to never expire), and the account's management events
are recorded by one CloudTrail trail (every further copy is billed).

A log group kept longer on purpose (the agents' audit log, kept past a year in prod) is named in
the retention cap's `namedMaxDays`, so that its allowance does not widen every other group's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import (
    as_list,
    as_number,
    config,
    fail_closed,
    known,
    matches_any,
    number_text,
    rule_tags,
)
from policies.values import ValueProblem

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
TRAIL = "aws:cloudtrail/trail:Trail"

DEFAULT_MAX_RETENTION_DAYS = 30
DEFAULT_MAX_TRAILS = 1


@fail_closed
def log_group_retention_cap_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != LOG_GROUP:
        return
    cap, source = _retention_cap(args)
    days = as_number(args.props.get("retentionInDays"))
    if not days:  # unset or 0: never expires
        report_violation(
            "retentionInDays is not set, so the log group never expires and its storage grows "
            f"forever. Set retention_in_days to at most {number_text(cap)} (policy config "
            f"{source}); archive to S3 what must be kept longer.",
            None,
        )
    elif days > cap:
        report_violation(
            f"retentionInDays is {number_text(days)}, above {number_text(cap)} (policy config "
            f"{source}). Set retention_in_days to at most {number_text(cap)}; archive to S3 what "
            "must be kept longer.",
            None,
        )


def _retention_cap(args: ResourceValidationArgs) -> tuple[float, str]:
    """(the cap for this log group, where it comes from): the largest `namedMaxDays` entry whose
    pattern matches the group's name, else `maxDays`. A name not known yet gets `maxDays`."""
    cap = float(config(args, "maxDays", DEFAULT_MAX_RETENTION_DAYS))
    named = config(args, "namedMaxDays", {}) or {}
    if not isinstance(named, Mapping):
        raise ValueProblem("policy config namedMaxDays", named, "a mapping of name pattern to days")
    name = known(args.props, "name")
    if not isinstance(name, str) or not name:
        return cap, "maxDays"
    allowances = []
    for pattern, days in named.items():
        allowed = as_number(days, f"policy config namedMaxDays[{pattern!r}]")
        if allowed is not None and matches_any(name, [str(pattern)]):
            allowances.append((allowed, str(pattern)))
    if not allowances:
        return cap, "maxDays"
    allowed, pattern = max(allowances)
    return allowed, f"namedMaxDays[{pattern!r}]"


def _service_log_groups(r: PolicyResource) -> tuple[str | None, list[str]]:
    """(the name the service writes under, or None when not known yet; the log groups it writes
    to, by their last path segment)."""
    props = r.props
    if r.resource_type == EKS_CLUSTER and as_list(known(props, "enabledClusterLogTypes")):
        name = known(props, "name")
        return (f"/aws/eks/{name}" if name else None), ["cluster"]
    if r.resource_type in (RDS_INSTANCE, RDS_CLUSTER):
        exports = [str(e) for e in as_list(known(props, "enabledCloudwatchLogsExports"))]
        instance = r.resource_type == RDS_INSTANCE
        kind = "instance" if instance else "cluster"
        ident = known(props, "identifier" if instance else "clusterIdentifier")
        return (f"/aws/rds/{kind}/{ident}" if ident else None), exports
    if r.resource_type == LAMBDA_FUNCTION:
        logging_config = known(props, "loggingConfig")
        custom = known(logging_config, "logGroup") if isinstance(logging_config, Mapping) else None
        if custom:
            return str(custom).rsplit("/", 1)[0], [str(custom).rsplit("/", 1)[-1]]
        name = known(props, "name")
        return (f"/aws/lambda/{name}" if name else None), [""]
    return None, []


@fail_closed
def service_log_groups_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    groups = [r for r in args.resources if r.resource_type == LOG_GROUP]
    names = {str(n) for g in groups if (n := known(g.props, "name"))}
    # the URNs some log group's name is computed from: a look-up per resource, not a scan
    derived_from = {d.urn for g in groups for d in _deps(g, "name")}
    for r in args.resources:
        base, logs = _service_log_groups(r)
        if not logs:
            continue
        wanted = [f"{base}/{log}" if log else base for log in logs] if base else []
        if base:
            missing = [w for w in wanted if w not in names]
        else:
            # Names not known yet: a log group whose name is computed from this resource counts.
            derived = r.urn in derived_from
            missing = [] if derived else [f"<{r.name}>/{log}".rstrip("/") for log in logs]
        if missing:
            report_violation(
                f"{r.name} writes logs to {missing}, which the stack does not declare, so AWS "
                "creates them with no retention and they never expire. Declare each as an "
                "aws.cloudwatch.LogGroup with retention_in_days, created before the resource "
                "(depends_on); a physical name the program sets makes the log group's name known.",
                r.urn,
            )


def _deps(r: PolicyResource, key: str) -> list[PolicyResource]:
    return list(r.property_dependencies.get(key, []))


def _records_management_events(trail: PolicyResource) -> bool:
    advanced = as_list(known(trail.props, "advancedEventSelectors"))
    if advanced:
        for selector in advanced:
            for field in as_list(known(selector, "fieldSelectors")):
                if known(field, "field") == "eventCategory" and "Management" in as_list(
                    known(field, "equals")
                ):
                    return True
        return False
    selectors = as_list(known(trail.props, "eventSelectors"))
    if selectors:
        return any(known(s, "includeManagementEvents") is not False for s in selectors)
    return True  # a trail with no selectors records management events


@fail_closed
def single_cloudtrail_trail_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    account_trail: Any = config(args, "accountTrailName", None)
    cap = int(config(args, "maxTrails", DEFAULT_MAX_TRAILS))
    trails = [
        r for r in args.resources if r.resource_type == TRAIL and _records_management_events(r)
    ]
    fix = (
        "Remove it, or keep it for data events only (event selectors with "
        "include_management_events=False)."
    )
    for i, trail in enumerate(trails):
        name = known(trail.props, "name")
        if account_trail and name and name != account_trail:
            report_violation(
                f"Trail {name} records management events, which trail {account_trail} (policy "
                "config accountTrailName) already records for the account; every further copy "
                f"is billed at $2 per 100,000 events. {fix}",
                trail.urn,
            )
        elif i >= cap:
            report_violation(
                f"The stack has {len(trails)} trails recording management events, above "
                f"{cap} (policy config maxTrails); every copy beyond the first is billed at $2 "
                f"per 100,000 events. {fix}",
                trail.urn,
            )


log_group_retention_cap = ResourceValidationPolicy(
    name="log-group-retention-cap",
    description="CloudWatch log groups expire their events, no later than the policy config "
    "allows.",
    validate=log_group_retention_cap_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    config_schema=PolicyConfigSchema(
        properties={
            "maxDays": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_MAX_RETENTION_DAYS,
                "description": "The longest retention of a log group, in days.",
            },
            "namedMaxDays": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1},
                "default": {},
                "description": "Longer (or shorter) caps for the log groups whose name matches a "
                'shell-style pattern, such as {"/baseline/*/agents/audit": 400}; the largest '
                "matching entry applies instead of maxDays.",
            },
        }
    ),
    tags=rule_tags("COST-LOG-001", checkov="CKV_AWS_66"),
    remediation_steps="Set retention_in_days on the log group (1, 3, 5, 7, 14, 30, 60, 90, 120, "
    "150, 180, 365, ...), no higher than the policy config's maxDays.",
)

service_log_groups = StackValidationPolicy(
    name="service-log-groups",
    description="The log groups that EKS, RDS and Lambda write to are declared in the stack, so "
    "that their retention is bounded.",
    validate=service_log_groups_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    tags=rule_tags("COST-LOG-002"),
    remediation_steps="Declare the service's log group (/aws/eks/<cluster>/cluster, "
    "/aws/rds/instance/<id>/<log>, /aws/lambda/<function>) with retention_in_days, and make the "
    "service depend on it.",
)

single_cloudtrail_trail = StackValidationPolicy(
    name="single-cloudtrail-trail",
    description="The account's management events are recorded by one CloudTrail trail.",
    validate=single_cloudtrail_trail_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "accountTrailName": {
                "type": "string",
                "description": "The trail that records the account's management events, in this "
                "stack or another; any other trail recording them is a paid copy.",
            },
            "maxTrails": {
                "type": "integer",
                "minimum": 0,
                "default": DEFAULT_MAX_TRAILS,
                "description": "The most trails recording management events in the stack.",
            },
        }
    ),
    tags=rule_tags("COST-LOG-003"),
    remediation_steps="Keep one trail for management events (named in accountTrailName); turn "
    "include_management_events off on any other trail, or remove it.",
)

POLICIES = [log_group_retention_cap, service_log_groups, single_cloudtrail_trail]
