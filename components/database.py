"""Database: one RDS for PostgreSQL instance in the isolated database subnets, after
terraform-aws-rds.

Encrypted at rest with a customer-managed KMS key (storage, Performance Insights and the master
password's secret); TLS forced by the parameter group; reachable on 5432 only from the client
security groups given (no CIDR rule at all); the master password is generated and rotated by RDS in
Secrets Manager, so no password is ever an input or lands in the state. IAM database authentication
is on, logs go to CloudWatch Logs, Enhanced Monitoring reports every 60 s. With
`replicate_backups_to_dr`, automated backups (snapshots and transaction logs) are copied to the DR
region under a KMS key of that region, so the database can be restored there to a point in time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import PACKAGE, assume_role_policy, child

PORT = 5432
# The RSA 2048 CA of the current generation (valid to 2061); rds-ca-2019 expired in 2024.
CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1"
MONITORING_INTERVAL_SECONDS = 60
ENHANCED_MONITORING_POLICY_ARN = (
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
)
KMS_DELETION_WINDOW_DAYS = 30
# TLS required for every connection, and connection and slow-statement logging so that the
# CloudWatch export is useful for audit and tuning. All dynamic: applied without a reboot.
PARAMETERS = {
    "rds.force_ssl": "1",
    "log_min_duration_statement": "1000",  # ms
    "log_connections": "1",
    "log_disconnections": "1",
}

_ENGINE_VERSION = re.compile(r"^(\d+)(?:\.\d+)?$")


@dataclass(frozen=True)
class DatabaseArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]  # the isolated database subnets, two AZs or more
    # The only sources admitted on 5432 (e.g. the EKS node security group).
    client_security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    instance_class: str = "db.t4g.medium"
    engine_version: str = "17"  # major ("17") or major.minor ("16.4")
    allocated_storage_gb: int = 20
    max_allocated_storage_gb: int = 100  # storage autoscaling ceiling; off when not greater
    backup_retention_days: int = 7
    multi_az: bool = True
    deletion_protection: bool = True
    performance_insights_retention_days: int = 7  # 7 is free; 31 times N months, or 731
    replicate_backups_to_dr: bool = False
    dr_provider: aws.Provider | None = None  # an aws.Provider for the DR region
    database_name: str = "app"
    username: str = "dbadmin"
    # The instance's name; set it so the log groups RDS exports into can be declared (with a
    # retention) before the instance exists. Empty: Pulumi auto-names it, and RDS creates the log
    # groups itself with no retention.
    identifier: str = ""
    log_retention_days: int = 30
    # A customer-managed key for the exported-log groups (None: CloudWatch Logs' own encryption).
    log_kms_key_arn: pulumi.Input[str] | None = None


LOG_EXPORTS = ("postgresql", "upgrade")


def parameter_group_family(engine_version: str) -> str:
    """The parameter group family of a PostgreSQL version: "17" and "17.2" are "postgres17"."""
    m = _ENGINE_VERSION.match(engine_version)
    if m is None or int(m.group(1)) < 11:
        raise ValueError(
            f"engine_version must be a PostgreSQL version 11 or later such as '17' or '16.4', "
            f"got {engine_version!r}"
        )
    return f"postgres{int(m.group(1))}"


def max_allocated_storage(allocated_gb: int, max_gb: int) -> int | None:
    """Storage autoscaling ceiling: set only when above the allocated storage (RDS refuses a
    ceiling below it, and one equal to it means no autoscaling)."""
    return max_gb if max_gb > allocated_gb else None


def final_snapshot_identifier(name: str, deletion_protection: bool) -> str | None:
    """A protected database keeps a final snapshot when it is deleted; an unprotected one
    (dev) is deleted without one."""
    return f"{name}-final-snapshot" if deletion_protection else None


def check_args(args: DatabaseArgs) -> None:
    parameter_group_family(args.engine_version)
    if args.replicate_backups_to_dr and args.dr_provider is None:
        raise ValueError(
            "replicate_backups_to_dr needs dr_provider (an aws.Provider for the DR region)"
        )
    if not 1 <= args.backup_retention_days <= 35:
        raise ValueError(f"backup_retention_days must be 1 to 35, got {args.backup_retention_days}")
    if len(list(args.subnet_ids)) < 2:
        raise ValueError("subnet_ids needs subnets in at least two availability zones")


class Database(pulumi.ComponentResource):
    instance_identifier: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    master_user_secret_arn: pulumi.Output[str | None]  # None only before RDS made the secret
    security_group_id: pulumi.Output[str]
    instance_arn: pulumi.Output[str]
    # The DbiResourceId (`db-...`): what `rds-db:connect` grants name, stable across renames.
    resource_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    dr_kms_key_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:database:Database", name, None, opts)
        check_args(args)

        key = aws.kms.Key(
            f"{name}-kms",
            description=f"{name}: RDS storage, Performance Insights and master user secret",
            enable_key_rotation=True,
            deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
            opts=child(self),
        )
        # A prefix, not a fixed name: aliases are unique per account and region, and two stacks
        # (dev and prod) may share both.
        aws.kms.Alias(
            f"{name}-kms",
            name_prefix=f"alias/{name}-rds-",
            target_key_id=key.key_id,
            opts=child(self),
        )

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description=f"{name}: isolated database subnets",
            subnet_ids=list(args.subnet_ids),
            opts=child(self),
        )

        # No inline rules: ingress is one rule per client security group below, and no egress
        # rule is re-created (the provider removes AWS's default allow-all egress), since the
        # database initiates no connections.
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{name}: PostgreSQL {PORT} from the client security groups only",
            tags={"Name": f"{name}-postgres"},
            opts=child(self),
        )
        for i, client in enumerate(args.client_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-{i}",
                security_group_id=sg.id,
                referenced_security_group_id=client,
                ip_protocol="tcp",
                from_port=PORT,
                to_port=PORT,
                description="PostgreSQL from a client security group",
                opts=child(self),
            )

        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            family=parameter_group_family(args.engine_version),
            description=f"{name}: TLS required, connection and slow statement logging",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=k, value=v) for k, v in PARAMETERS.items()
            ],
            opts=child(self),
        )

        monitoring_role = aws.iam.Role(
            f"{name}-monitoring",
            assume_role_policy=assume_role_policy("monitoring.rds.amazonaws.com"),
            opts=child(self),
        )
        monitoring_policy = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=monitoring_role.name,
            policy_arn=ENHANCED_MONITORING_POLICY_ARN,
            opts=child(self),
        )

        deletion_protection = args.deletion_protection
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-logs-{export}",
                name=f"/aws/rds/instance/{args.identifier}/{export}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.log_kms_key_arn,
                opts=child(self),
            )
            for export in LOG_EXPORTS
            if args.identifier
        ]
        instance = aws.rds.Instance(
            f"{name}-postgres",
            identifier=args.identifier or None,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            storage_type="gp3",
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=max_allocated_storage(
                args.allocated_storage_gb, args.max_allocated_storage_gb
            ),
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=args.database_name,
            username=args.username,
            # RDS generates the password and keeps (and rotates) it in Secrets Manager.
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn,
            port=PORT,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[sg.id],
            parameter_group_name=parameter_group.name,
            publicly_accessible=False,
            ca_cert_identifier=CA_CERT_IDENTIFIER,
            iam_database_authentication_enabled=True,
            multi_az=args.multi_az,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            performance_insights_retention_period=args.performance_insights_retention_days,
            monitoring_interval=MONITORING_INTERVAL_SECONDS,
            monitoring_role_arn=monitoring_role.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            auto_minor_version_upgrade=True,
            apply_immediately=False,  # changes wait for the maintenance window
            copy_tags_to_snapshot=True,
            backup_retention_period=args.backup_retention_days,
            deletion_protection=deletion_protection,
            skip_final_snapshot=not deletion_protection,
            final_snapshot_identifier=final_snapshot_identifier(name, deletion_protection),
            delete_automated_backups=not deletion_protection,
            # RDS checks the monitoring role's permissions when the instance is created, and
            # would create the log groups itself (without retention) if they did not exist yet.
            opts=child(self, depends_on=[monitoring_policy, *log_groups]),
        )

        dr_key: aws.kms.Key | None = None
        if args.replicate_backups_to_dr:
            # Cross-region backups are re-encrypted with a key of the destination region.
            dr_key = aws.kms.Key(
                f"{name}-dr-kms",
                description=f"{name}: RDS automated backups replicated to the DR region",
                enable_key_rotation=True,
                deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
                opts=child(self, provider=args.dr_provider),
            )
            aws.kms.Alias(
                f"{name}-dr-kms",
                name_prefix=f"alias/{name}-rds-dr-",
                target_key_id=dr_key.key_id,
                opts=child(self, provider=args.dr_provider),
            )
            # Created in (and through a provider of) the destination region, per the RDS API.
            aws.rds.InstanceAutomatedBackupsReplication(
                f"{name}-backups-dr",
                source_db_instance_arn=instance.arn,
                kms_key_id=dr_key.arn,
                retention_period=args.backup_retention_days,
                opts=child(self, provider=args.dr_provider),
            )

        self.instance_identifier = instance.identifier
        self.instance_arn = instance.arn
        self.resource_id = instance.resource_id
        self.endpoint = instance.endpoint
        self.address = instance.address
        self.port = instance.port
        self.master_user_secret_arn = instance.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else None
        )
        self.security_group_id = sg.id
        self.kms_key_arn = key.arn
        self.dr_kms_key_arn = dr_key.arn if dr_key is not None else None
        self.register_outputs(
            {
                "instanceIdentifier": self.instance_identifier,
                "endpoint": self.endpoint,
                "address": self.address,
                "port": self.port,
                "masterUserSecretArn": self.master_user_secret_arn,
                "resourceId": self.resource_id,
                "securityGroupId": self.security_group_id,
                "kmsKeyArn": self.kms_key_arn,
                "drKmsKeyArn": self.dr_kms_key_arn,
            }
        )
