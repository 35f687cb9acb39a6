"""Records: what the agents keep beyond the pod. Findings and memory live in a database `agents` on
the stack's own PostgreSQL instance, one login role per persona that reaches it with IAM database
authentication (no password anywhere); every audit record also goes to a CloudWatch Logs group the
stack declares.

For the stack: the audit log group `/baseline/<stack>/agents/audit`, encrypted with the stack's
logging key and kept for the configured retention. For each persona that serves the stack, an
inline policy on its IRSA role: make, describe, write and read streams of that one group, and
`rds-db:connect` as its own database user (`agent_<persona>`, dashes as underscores) on this
instance only (`dbuser:<DbiResourceId>/<user>`). Writing to an encrypted group needs no KMS grant
of the caller: CloudWatch Logs encrypts with the key policy's grant to the logs service.

The database, its roles and their `rds_iam` grants are made by a one-shot migration
(`python -m agents records migrate`, the `agents-records-migrate` Job of the workloads component),
which connects as the master user. Besides the personas' users it makes, when the stack runs the
in-cluster MCP server, one read-only user, `agent_mcp_reader` (`MCP_DB_USER`: SELECT on the
findings and the memory's search tables only, no write, no ownership, no CREATE); the MCP
component grants its role `rds-db:connect` as that user only (`reader_connect_statement`, on
this instance's DbiResourceId), so that role holds it and no persona's user, and no persona's
role holds the reader's. Its identity is declared here: an IRSA role that may read only
the instance's master user secret (and decrypt it with the secret's key, through Secrets Manager,
for that secret only), in a namespace of its own (`restricted`, ingress denied) under its own
service account, so no persona's pod ever holds the master credential.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import PACKAGE, child, policy_json
from components.identity import (
    ROLE_ARN_ANNOTATION,
    irsa_trust_policy,
    restricted_namespace,
)

DATABASE = "agents"
# Where the image ships the RDS CA bundle (Dockerfile); the agents verify the server against it.
RDS_CA_BUNDLE = "/etc/ssl/certs/rds-global-bundle.pem"
DB_USER_PREFIX = "agent_"
# The in-cluster MCP server's database user: reads the findings and the memory, writes nothing
# (agents.protocol.postgres.READ_ROLE; `records migrate --readers`).
MCP_DB_USER = "agent_mcp_reader"
AUDIT_LOG_STREAM_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams")
AUDIT_LOG_EVENT_ACTIONS = ("logs:PutLogEvents", "logs:GetLogEvents")
# PostgreSQL identifiers are at most 63 bytes; lower case needs no quoting.
_DB_USER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")


def audit_log_group_name(stack: str) -> str:
    """The agents' audit log group of a stack."""
    return f"/baseline/{stack}/agents/audit"


def db_user(persona: str) -> str:
    """A persona's database login role: `release-engineer` is `agent_release_engineer`. The prefix
    keeps the agents' roles apart from the master user and PostgreSQL's own `pg_*` roles."""
    user = DB_USER_PREFIX + persona.replace("-", "_")
    if not _DB_USER.match(user):
        raise ValueError(
            f"persona {persona!r}: database user {user!r} is not a lower-case PostgreSQL "
            "identifier of at most 63 characters"
        )
    return user


def log_group_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}"


def writer_policy(
    region: str, account_id: str, log_group: str, db_resource_id: str, user: str, *, stream: str
) -> str:
    """A persona's grants on its records: make and list streams of the audit group (the group's
    `:*` form, as CloudWatch Logs authorises stream actions on the group), put and read events
    in its own stream only (the stream is the writer, the persona: no persona can add to another's
    audit chain), and an IAM authentication token for its own database user on this instance.
    Nothing else: not another group, not another user, not the master user."""
    group = log_group_arn(region, account_id, log_group)
    return policy_json(
        [
            *_audit_stream_statements(group, stream),
            _db_connect_statement(
                "RecordsDatabaseConnect", region, account_id, db_resource_id, user
            ),
        ]
    )


def db_user_arn(region: str, account_id: str, db_resource_id: str, user: str) -> str:
    """The `rds-db:connect` resource of one database user on one instance."""
    if not db_resource_id.startswith("db-"):
        raise ValueError(f"db_resource_id must be a DbiResourceId (db-...), got {db_resource_id!r}")
    if not _DB_USER.match(user):
        raise ValueError(f"{user!r} is not a lower-case PostgreSQL identifier")
    return f"arn:aws:rds-db:{region}:{account_id}:dbuser:{db_resource_id}/{user}"


def _db_connect_statement(
    sid: str, region: str, account_id: str, db_resource_id: str, user: str
) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": db_user_arn(region, account_id, db_resource_id, user),
    }


def reader_connect_statement(
    region: str, account_id: str, db_resource_id: str, user: str = MCP_DB_USER
) -> dict[str, Any]:
    """An IAM authentication token for the read-only database user (the MCP server's) on this
    instance only: the one statement the reader's role needs to reach the records."""
    return _db_connect_statement("RecordsDatabaseRead", region, account_id, db_resource_id, user)


def _audit_stream_statements(group: str, stream: str) -> list[dict[str, Any]]:
    """Make and describe the streams of the audit group `group` (an ARN), and put and read
    the events of the one stream `stream` only (the stream is the writer)."""
    return [
        {
            "Sid": "AuditLogStreams",
            "Effect": "Allow",
            "Action": list(AUDIT_LOG_STREAM_ACTIONS),
            "Resource": f"{group}:*",
        },
        {
            "Sid": "AuditLogEvents",
            "Effect": "Allow",
            "Action": list(AUDIT_LOG_EVENT_ACTIONS),
            "Resource": f"{group}:log-stream:{stream}",
        },
    ]


MIGRATION_WRITER = "records-migrate"  # the migration Job's audit writer and stream


def migration_policy(
    region: str,
    secret_arn: str,
    secret_kms_key_arn: str | None,
    *,
    account_id: str = "",
    log_group: str = "",
) -> str:
    """The migration's grants: read the master user secret, and (when the secret is under a
    customer-managed key) decrypt with that key only through Secrets Manager and only for that
    secret (its encryption context names the secret); with `log_group`, write its own audit
    stream (`records-migrate`) of the agents' audit group, so the master's acts are on the
    record beyond the Job's pod."""
    if not secret_arn.startswith("arn:"):
        # The value is not echoed: if it is not an ARN it may be the credential itself.
        raise ValueError("the master user secret must be given by its ARN")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadMasterUserSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn,
        }
    ]
    if log_group:
        statements += _audit_stream_statements(
            log_group_arn(region, account_id, log_group), MIGRATION_WRITER
        )
    if secret_kms_key_arn:
        statements.append(
            {
                "Sid": "DecryptMasterUserSecret",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": secret_kms_key_arn,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                        "kms:EncryptionContext:SecretARN": secret_arn,
                    }
                },
            }
        )
    return policy_json(statements)


def _writer_policy_for(
    args: RecordsArgs, log_group: str, user: str, stream: str
) -> Callable[[str], str]:
    """A writer's policy once the instance's DbiResourceId is known."""
    return lambda resource_id: writer_policy(
        args.region, args.account_id, log_group, resource_id, user, stream=stream
    )


@dataclass(frozen=True)
class RecordsWriter:
    """A persona that keeps records on this stack, and the name of its IRSA role."""

    persona: str
    role_name: pulumi.Input[str]


@dataclass(frozen=True)
class RecordsArgs:
    stack: str
    region: str
    account_id: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    # The instance's DbiResourceId (`db-...`), which `rds-db:connect` ARNs name.
    db_resource_id: pulumi.Input[str]
    # The RDS-managed master user secret, and the key it is encrypted with (None: AWS-managed).
    master_secret_arn: pulumi.Input[str]
    master_secret_kms_key_arn: pulumi.Input[str] | None = None
    writers: Sequence[RecordsWriter] = field(default_factory=tuple)
    log_retention_days: int = 30
    # The stack's logging key (None: CloudWatch Logs' own encryption; the security pack refuses).
    log_kms_key_arn: pulumi.Input[str] | None = None
    migration_namespace: str = "agents-records"
    migration_service_account: str = "records-migrate"


def check_records(args: RecordsArgs) -> None:
    if not _DNS_LABEL.match(args.stack):
        raise ValueError(f"stack {args.stack!r} is not a DNS label")
    for what, value in (
        ("migration_namespace", args.migration_namespace),
        ("migration_service_account", args.migration_service_account),
    ):
        if not _DNS_LABEL.match(value):
            raise ValueError(f"{what} {value!r} is not a DNS label")
    personas = [w.persona for w in args.writers]
    if len(set(personas)) != len(personas):
        raise ValueError(f"writers: a persona is given twice in {personas}")
    users = [db_user(p) for p in personas]
    if len(set(users)) != len(users):
        raise ValueError(f"writers: two personas share a database user in {users}")
    if MCP_DB_USER in users:
        raise ValueError(f"writers: {MCP_DB_USER} is the MCP server's read-only user, no persona's")


class Records(pulumi.ComponentResource):
    audit_log_group_name: pulumi.Output[str]
    audit_log_group_arn: pulumi.Output[str]
    db_users: dict[str, str]
    migration_role_arn: pulumi.Output[str]
    migration_namespace: pulumi.Output[str]
    migration_service_account: pulumi.Output[str]

    def __init__(
        self, name: str, args: RecordsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:records:Records", name, None, opts)
        check_records(args)
        group_name = audit_log_group_name(args.stack)
        group = aws.cloudwatch.LogGroup(
            f"{name}-audit-logs",
            name=group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            opts=child(self),
        )

        self.db_users = {}
        grants: list[aws.iam.RolePolicy] = []
        for writer in args.writers:
            user = db_user(writer.persona)
            grant = aws.iam.RolePolicy(
                f"{name}-{writer.persona}",
                role=writer.role_name,
                policy=pulumi.Output.from_input(args.db_resource_id).apply(
                    # The stream is the writer's name: AGENTS_AUDIT_WRITER, the persona.
                    _writer_policy_for(args, group_name, user, writer.persona)
                ),
                opts=child(self),
            )
            grants.append(grant)
            self.db_users[writer.persona] = user

        # -- the migration's identity ------------------------------------------------------------
        namespace, account = args.migration_namespace, args.migration_service_account
        role = aws.iam.Role(
            f"{name}-migrate",
            description=(
                f"IRSA role of the agents' records migration, for service account "
                f"{namespace}/{account}: reads the database's master user secret"
            ),
            assume_role_policy=pulumi.Output.all(
                args.oidc_provider_arn, args.oidc_provider_url
            ).apply(lambda p: irsa_trust_policy(p[0], p[1], namespace, account)),
            max_session_duration=3600,
            opts=child(self),
        )
        migrate_grant = aws.iam.RolePolicy(
            f"{name}-migrate",
            role=role.id,
            policy=pulumi.Output.all(args.master_secret_arn, args.master_secret_kms_key_arn).apply(
                lambda v: migration_policy(
                    args.region, v[0], v[1], account_id=args.account_id, log_group=group_name
                )
            ),
            opts=child(self),
        )
        # The migration serves nothing: no pod of the cluster may reach it.
        ns_name = restricted_namespace(
            self, f"{name}-migrate", f"{name}-migrate-deny-ingress", namespace
        )
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-migrate",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=account,
                namespace=ns_name,
                annotations={ROLE_ARN_ANNOTATION: role.arn},
            ),
            automount_service_account_token=False,
            opts=child(self),
        )

        # The names the pods use carry the grants as dependencies: a pod that writes to the group
        # (or a Job that reads the secret) starts once its role may do so.
        self.audit_log_group_name = pulumi.Output.all(group.name, *[g.id for g in grants]).apply(
            lambda v: str(v[0])
        )
        self.audit_log_group_arn = group.arn
        self.migration_role_arn = role.arn
        self.migration_namespace = ns_name
        sa_name = sa.metadata.apply(lambda m: str(m.name))
        self.migration_service_account = pulumi.Output.all(sa_name, migrate_grant.id).apply(
            lambda v: str(v[0])
        )
        self.register_outputs(
            {
                "auditLogGroupName": self.audit_log_group_name,
                "auditLogGroupArn": self.audit_log_group_arn,
                "dbUsers": self.db_users,
                "migrationRoleArn": self.migration_role_arn,
                "migrationNamespace": self.migration_namespace,
                "migrationServiceAccount": self.migration_service_account,
            }
        )
