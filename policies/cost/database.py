"""RDS cost rules: a ceiling on autoscaled storage, and the settings that double a database's
price or grow its bill silently (Multi-AZ, Performance Insights and backup retention), set per
environment by the policy config, never by the stack's name."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_bool, as_number, config, fail_closed, number_text, rule_tags

RDS_INSTANCE = "aws:rds/instance:Instance"

DEFAULT_MAX_STORAGE_GB = 1000
DEFAULT_MULTI_AZ = False
DEFAULT_MAX_PI_RETENTION_DAYS = 7
DEFAULT_MAX_BACKUP_RETENTION_DAYS = 7
# What AWS applies when the property is unset.
PI_DEFAULT_RETENTION_DAYS = 7
BACKUP_DEFAULT_RETENTION_DAYS = 1


@fail_closed
def rds_storage_autoscaling_cap_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    cap = float(config(args, "maxStorageGb", DEFAULT_MAX_STORAGE_GB))
    allocated = as_number(args.props.get("allocatedStorage"))
    ceiling = as_number(args.props.get("maxAllocatedStorage"))
    # maxAllocatedStorage unset or 0: autoscaling is off and the allocation is the ceiling.
    if ceiling and ceiling > cap:
        report_violation(
            f"maxAllocatedStorage is {number_text(ceiling)} GiB: storage autoscaling may grow "
            f"the database beyond the {number_text(cap)} GiB limit (policy config maxStorageGb), "
            "and RDS storage never shrinks. Lower max_allocated_storage.",
            None,
        )
    elif not ceiling and allocated and allocated > cap:
        report_violation(
            f"allocatedStorage is {number_text(allocated)} GiB, above the {number_text(cap)} GiB "
            "limit (policy config maxStorageGb). Lower allocated_storage on a new database, or "
            "raise maxStorageGb in the policy config.",
            None,
        )


@fail_closed
def rds_multi_az_validator(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    required = bool(config(args, "multiAz", DEFAULT_MULTI_AZ))
    actual = as_bool(args.props.get("multiAz")) or False
    if actual and not required:
        report_violation(
            "multiAz is true in an environment whose policy config sets multiAz=false: the "
            "standby doubles the instance and storage price. Set multi_az=False here.",
            None,
        )
    elif required and not actual:
        unset = " (unset, so false)" if args.props.get("multiAz") is None else ""
        report_violation(
            f"multiAz is false{unset} in an environment whose policy config sets multiAz=true. "
            "Set multi_az=True so that an AZ failure does not take the database down.",
            None,
        )


@fail_closed
def rds_performance_insights_retention_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    if as_bool(args.props.get("performanceInsightsEnabled")) is not True:
        return
    cap = float(config(args, "maxDays", DEFAULT_MAX_PI_RETENTION_DAYS))
    days = as_number(args.props.get("performanceInsightsRetentionPeriod"))
    days = PI_DEFAULT_RETENTION_DAYS if days is None else days
    if days > cap:
        report_violation(
            f"performanceInsightsRetentionPeriod is {number_text(days)} days, above "
            f"{number_text(cap)} (policy config maxDays); retention beyond the free 7 days is "
            f"billed per vCPU. Set performance_insights_retention_period={number_text(cap)}.",
            None,
        )


@fail_closed
def rds_backup_retention_cap_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    cap = float(config(args, "maxDays", DEFAULT_MAX_BACKUP_RETENTION_DAYS))
    days = as_number(args.props.get("backupRetentionPeriod"))
    days = BACKUP_DEFAULT_RETENTION_DAYS if days is None else days
    if days > cap:
        report_violation(
            f"backupRetentionPeriod is {number_text(days)} days, above {number_text(cap)} "
            "(policy config maxDays); backup storage beyond the database's size is billed. "
            f"Set backup_retention_period to at most {number_text(cap)}.",
            None,
        )


def _days(default: int, description: str) -> PolicyConfigSchema:
    return PolicyConfigSchema(
        properties={
            "maxDays": {
                "type": "integer",
                "minimum": 0,
                "default": default,
                "description": description,
            }
        }
    )


rds_storage_autoscaling_cap = ResourceValidationPolicy(
    name="rds-storage-autoscaling-cap",
    description="RDS storage, autoscaled or not, has a ceiling no higher than the policy config "
    "allows.",
    validate=rds_storage_autoscaling_cap_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "maxStorageGb": {
                "type": "integer",
                "minimum": 20,
                "default": DEFAULT_MAX_STORAGE_GB,
                "description": "The largest maxAllocatedStorage (or allocatedStorage when "
                "autoscaling is off), in GiB.",
            }
        }
    ),
    tags=rule_tags("COST-RDS-001"),
    remediation_steps="Lower max_allocated_storage, or raise maxStorageGb in the policy config.",
)

rds_multi_az = ResourceValidationPolicy(
    name="rds-multi-az",
    description="RDS instances are Multi-AZ exactly when the environment's policy config says so.",
    validate=rds_multi_az_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "multiAz": {
                "type": "boolean",
                "default": DEFAULT_MULTI_AZ,
                "description": "true: Multi-AZ is required (production); false: it is refused.",
            }
        }
    ),
    tags=rule_tags("COST-RDS-002", fsbp="RDS.5", checkov="CKV_AWS_157"),
    remediation_steps="Set multi_az to the value the environment's policy config names.",
)

rds_performance_insights_retention = ResourceValidationPolicy(
    name="rds-performance-insights-retention",
    description="RDS Performance Insights keeps its data no longer than the policy config allows.",
    validate=rds_performance_insights_retention_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    config_schema=_days(
        DEFAULT_MAX_PI_RETENTION_DAYS, "The longest Performance Insights retention, in days."
    ),
    tags=rule_tags("COST-RDS-003"),
    remediation_steps="Lower performance_insights_retention_period (7 days is free).",
)

rds_backup_retention_cap = ResourceValidationPolicy(
    name="rds-backup-retention-cap",
    description="RDS automated backups are kept no longer than the policy config allows.",
    validate=rds_backup_retention_cap_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    config_schema=_days(
        DEFAULT_MAX_BACKUP_RETENTION_DAYS, "The longest automated backup retention, in days."
    ),
    tags=rule_tags("COST-RDS-004"),
    remediation_steps="Lower backup_retention_period, or raise maxDays in the policy config.",
)

POLICIES = [
    rds_storage_autoscaling_cap,
    rds_multi_az,
    rds_performance_insights_retention,
    rds_backup_retention_cap,
]
