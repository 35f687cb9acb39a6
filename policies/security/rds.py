"""RDS rules: DB instances and their parameter groups (and, for IAM authentication, DB clusters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import (
    as_bool,
    as_list,
    as_number,
    config,
    fail_closed,
    framework,
    present,
    rule_tags,
)

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"

DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS = 7
ENHANCED_MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)

# The log types AWS FSBP RDS.9 expects each engine family to publish to CloudWatch Logs.
REQUIRED_LOG_EXPORTS: dict[str, tuple[str, ...]] = {
    "postgres": ("postgresql", "upgrade"),
    "mysql": ("audit", "error", "general", "slowquery"),
    "mariadb": ("audit", "error", "general", "slowquery"),
    "oracle": ("alert", "audit", "listener", "trace"),
    "sqlserver": ("agent", "error"),
}

# The parameter that makes each engine family refuse unencrypted connections, and the values
# that turn it on.
FORCE_TLS_PARAMETERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "postgres": ("rds.force_ssl", ("1",)),
    "sqlserver": ("rds.force_ssl", ("1",)),
    "mysql": ("require_secure_transport", ("1", "on")),
    "mariadb": ("require_secure_transport", ("1", "on")),
}


def _engine_family(engine: Any) -> str:
    name = str(engine or "").lower()
    return next((f for f in REQUIRED_LOG_EXPORTS if name.startswith(f)), name)


@fail_closed
def rds_storage_encrypted_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    if args.props.get("storageEncrypted") is not True:
        report_violation(
            "storageEncrypted is not true. Set storage_encrypted=True with kms_key_id "
            "set to a customer-managed KMS key; an existing instance must be restored "
            "from an encrypted snapshot copy.",
            None,
        )


rds_storage_encrypted = ResourceValidationPolicy(
    name="rds-storage-encrypted",
    description="RDS instances encrypt their storage at rest.",
    validate=rds_storage_encrypted_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="2.3.1"),
    tags=rule_tags("SEC-RDS-001", cis="2.3.1", fsbp="RDS.3", checkov="CKV_AWS_16"),
    remediation_steps="Set storage_encrypted=True and kms_key_id to a customer-managed key.",
)


@fail_closed
def rds_not_publicly_accessible_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    # Absent means false: the provider creates instances without a public endpoint.
    if as_bool(args.props.get("publiclyAccessible")) is True:
        report_violation(
            "publiclyAccessible is true, so the instance gets a public DNS name and address. "
            "Set publicly_accessible=False and reach the database from inside the VPC (a "
            "client security group, a bastion via SSM, or a VPN).",
            None,
        )


rds_not_publicly_accessible = ResourceValidationPolicy(
    name="rds-not-publicly-accessible",
    description="RDS instances are not reachable from the internet.",
    validate=rds_not_publicly_accessible_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=framework(cis="2.3.3"),
    tags=rule_tags("SEC-RDS-002", cis="2.3.3", fsbp="RDS.2", checkov="CKV_AWS_17"),
    remediation_steps="Set publicly_accessible=False; place the instance in private subnets.",
)


@fail_closed
def rds_deletion_protection_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    if as_bool(args.props.get("deletionProtection")) is not True:
        report_violation(
            "deletionProtection is not true, so a replace or `pulumi destroy` deletes the "
            "database. Set deletion_protection=True (the stack config key dbDeletionProtection).",
            None,
        )


rds_deletion_protection = ResourceValidationPolicy(
    name="rds-deletion-protection",
    description="RDS instances have deletion protection enabled.",
    validate=rds_deletion_protection_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-RDS-003", fsbp="RDS.8", checkov="CKV_AWS_293"),
    remediation_steps="Set deletion_protection=True on the instance.",
)


@fail_closed
def rds_iam_authentication_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (RDS_INSTANCE, RDS_CLUSTER):
        return
    if as_bool(args.props.get("iamDatabaseAuthenticationEnabled")) is not True:
        kind = "instance" if args.resource_type == RDS_INSTANCE else "cluster"
        report_violation(
            f"iamDatabaseAuthenticationEnabled is not true on this {kind}. Set "
            "iam_database_authentication_enabled=True so applications connect with short-lived "
            "IAM tokens instead of stored passwords.",
            None,
        )


rds_iam_authentication = ResourceValidationPolicy(
    name="rds-iam-authentication",
    description="RDS instances and clusters accept IAM database authentication.",
    validate=rds_iam_authentication_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-RDS-004", fsbp="RDS.10", checkov="CKV_AWS_161"),
    remediation_steps="Set iam_database_authentication_enabled=True.",
)


@fail_closed
def rds_backup_retention_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    minimum = as_number(
        config(args, "minimumRetentionDays", DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS)
    ) or float(DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS)
    days = as_number(args.props.get("backupRetentionPeriod"))
    if days is None:
        report_violation(
            f"backupRetentionPeriod is not set, so AWS applies its default (1 day or none). "
            f"Set backup_retention_period to at least {minimum:g} days.",
            None,
        )
    elif days < minimum:
        report_violation(
            f"backupRetentionPeriod is {days:g} days, below the minimum of {minimum:g}. Set "
            f"backup_retention_period to at least {minimum:g} (the stack config key "
            "dbBackupRetentionDays).",
            None,
        )


rds_backup_retention = ResourceValidationPolicy(
    name="rds-backup-retention",
    description="RDS instances keep automated backups for at least the configured number of days.",
    validate=rds_backup_retention_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumRetentionDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS,
                "description": "The fewest days of automated backups an instance may keep.",
            }
        }
    ),
    tags=rule_tags("SEC-RDS-005", fsbp="RDS.11", checkov="CKV_AWS_133"),
    remediation_steps="Raise backup_retention_period to the configured minimum or more.",
)


@fail_closed
def rds_performance_insights_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    if as_bool(args.props.get("performanceInsightsEnabled")) is not True:
        report_violation(
            "performanceInsightsEnabled is not true. Set performance_insights_enabled=True "
            "with performance_insights_kms_key_id set to a customer-managed key.",
            None,
        )
    elif not present(args.props, "performanceInsightsKmsKeyId"):
        report_violation(
            "Performance Insights is on but performanceInsightsKmsKeyId is not set, so its data "
            "(which includes SQL text) is encrypted with the AWS-managed aws/rds key. Set "
            "performance_insights_kms_key_id to a customer-managed key.",
            None,
        )


rds_performance_insights = ResourceValidationPolicy(
    name="rds-performance-insights",
    description=(
        "RDS instances have Performance Insights enabled and encrypted with a customer-managed key."
    ),
    validate=rds_performance_insights_validator,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=[*rule_tags("SEC-RDS-006", checkov="CKV_AWS_353"), "checkov:CKV_AWS_354"],
    remediation_steps=(
        "Set performance_insights_enabled=True and performance_insights_kms_key_id to a "
        "customer-managed key."
    ),
)


@fail_closed
def rds_enhanced_monitoring_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    interval = as_number(args.props.get("monitoringInterval")) or 0.0
    if interval <= 0:
        report_violation(
            "monitoringInterval is 0 or not set, so enhanced monitoring is off. Set "
            f"monitoring_interval to one of {list(ENHANCED_MONITORING_INTERVALS)} seconds and "
            "monitoring_role_arn to a role with AmazonRDSEnhancedMonitoringRole.",
            None,
        )
    elif not present(args.props, "monitoringRoleArn"):
        report_violation(
            "monitoringInterval is set but monitoringRoleArn is not. Set monitoring_role_arn to "
            "a role that monitoring.rds.amazonaws.com can assume.",
            None,
        )


rds_enhanced_monitoring = ResourceValidationPolicy(
    name="rds-enhanced-monitoring",
    description="RDS instances publish enhanced monitoring metrics.",
    validate=rds_enhanced_monitoring_validator,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=rule_tags("SEC-RDS-007", fsbp="RDS.6", checkov="CKV_AWS_118"),
    remediation_steps="Set monitoring_interval (e.g. 60) and monitoring_role_arn.",
)


@fail_closed
def rds_log_exports_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    exported = {str(t).lower() for t in as_list(args.props.get("enabledCloudwatchLogsExports"))}
    family = _engine_family(args.props.get("engine"))
    required = REQUIRED_LOG_EXPORTS.get(family, ())
    missing = [t for t in required if t not in exported]
    if not exported:
        wanted = list(required) or "the engine's log types"
        report_violation(
            f"enabledCloudwatchLogsExports is empty, so database logs stay on the instance. "
            f"Set enabled_cloudwatch_logs_exports to {wanted}.",
            None,
        )
    elif missing:
        report_violation(
            f"enabledCloudwatchLogsExports lacks {missing} for engine {family}. Add them to "
            "enabled_cloudwatch_logs_exports.",
            None,
        )


rds_log_exports = ResourceValidationPolicy(
    name="rds-log-exports",
    description="RDS instances publish their engine's logs to CloudWatch Logs.",
    validate=rds_log_exports_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-RDS-008", fsbp="RDS.9", checkov="CKV_AWS_129"),
    remediation_steps=(
        "Set enabled_cloudwatch_logs_exports to the engine's log types (PostgreSQL: "
        "postgresql, upgrade)."
    ),
)


@fail_closed
def rds_auto_minor_version_upgrade_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    # Absent means true: AWS applies minor versions in the maintenance window by default.
    if as_bool(args.props.get("autoMinorVersionUpgrade")) is False:
        report_violation(
            "autoMinorVersionUpgrade is false, so engine security patches wait for a manual "
            "upgrade. Set auto_minor_version_upgrade=True.",
            None,
        )


rds_auto_minor_version_upgrade = ResourceValidationPolicy(
    name="rds-auto-minor-version-upgrade",
    description="RDS instances receive minor engine upgrades automatically.",
    validate=rds_auto_minor_version_upgrade_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=framework(cis="2.3.2"),
    tags=rule_tags("SEC-RDS-009", cis="2.3.2", fsbp="RDS.13", checkov="CKV_AWS_226"),
    remediation_steps="Set auto_minor_version_upgrade=True (the default).",
)


def _parameters(props: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in as_list(props.get("parameters")):
        if isinstance(p, Mapping) and p.get("name") is not None:
            out[str(p["name"]).lower()] = str(p.get("value", "")).strip().lower()
    return out


@fail_closed
def rds_parameter_group_force_ssl_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_PARAMETER_GROUP:
        return
    family = str(args.props.get("family") or "").lower()
    spec = next((v for k, v in FORCE_TLS_PARAMETERS.items() if family.startswith(k)), None)
    if spec is None:
        return
    name, accepted = spec
    value = _parameters(args.props).get(name)
    if value is None:
        report_violation(
            f"Parameter group of family {family} does not set {name}, so whether clients must "
            f"use TLS is left to the engine's default (off before PostgreSQL 15 and in MySQL). "
            f"Add the parameter {name} = {accepted[0]}.",
            None,
        )
    elif value not in accepted:
        report_violation(
            f"{name} is {value!r}, so clients may connect without TLS. Set {name} = {accepted[0]}.",
            None,
        )


rds_parameter_group_force_ssl = ResourceValidationPolicy(
    name="rds-parameter-group-force-ssl",
    description="RDS parameter groups refuse connections that are not encrypted with TLS.",
    validate=rds_parameter_group_force_ssl_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-RDS-010", checkov="CKV2_AWS_69"),
    remediation_steps=(
        "Set rds.force_ssl = 1 (PostgreSQL, SQL Server) or require_secure_transport = 1 "
        "(MySQL, MariaDB) in the instance's parameter group."
    ),
)


@fail_closed
def rds_managed_master_password_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    if (
        present(args.props, "password")
        and as_bool(args.props.get("manageMasterUserPassword")) is not True
    ):
        report_violation(
            "The master password is given as the `password` input, so it lives in the program's "
            "config and the stack state. Remove password and set "
            "manage_master_user_password=True so RDS keeps it in Secrets Manager and rotates it.",
            None,
        )


rds_managed_master_password = ResourceValidationPolicy(
    name="rds-managed-master-password",
    description="RDS master passwords are managed by RDS in Secrets Manager, not passed as input.",
    validate=rds_managed_master_password_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-RDS-011"),
    remediation_steps="Drop `password` and set manage_master_user_password=True.",
)

POLICIES = [
    rds_storage_encrypted,
    rds_not_publicly_accessible,
    rds_deletion_protection,
    rds_iam_authentication,
    rds_backup_retention,
    rds_performance_insights,
    rds_enhanced_monitoring,
    rds_log_exports,
    rds_auto_minor_version_upgrade,
    rds_parameter_group_force_ssl,
    rds_managed_master_password,
]
