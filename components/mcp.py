"""The in-cluster MCP endpoint (issue 22): `python -m agents mcp --transport http` as the
Deployment `agents-mcp` behind a ClusterIP Service of the same name, in a namespace of its own,
serving the agents' read-only tools to people's MCP clients from the shared stores.

What it reads, and with what:

- Bearer tokens from the lock table's `mcp-tokens` partition (`AGENTS_MCP_TOKEN_STORE=dynamodb`,
  re-read every `AGENTS_MCP_TOKEN_REFRESH_S`, 5 s): `mcp-token create|rotate|revoke`, run by an
  operator with the same table and region, reaches every replica within that, without a restart.
- `status` from the same table (`AGENTS_LOCK_BACKEND=dynamodb`): leases, waiters, cooldowns and
  fenced records of every stack's `stack#<stack>` partition, and the pending approvals of the
  `approvals` partition, verified with the approval key (`AGENTS_APPROVAL_KEY_SECRET`: an
  approval that does not verify is not listed, so `status` needs the key to list any).
- `analyze-logs` on the stack's log groups, `alarm-status` from CloudWatch; the stack tools with
  `source: plan` (the program under the mocks, in the image: no credentials).
- `findings` and `search-memory` from the stack's PostgreSQL (with `records`): the agents' database
  as its own read-only user `agent_mcp_reader` (`AGENTS_RECORDS_BACKEND=postgres`,
  `AGENTS_PG_AUTH=iam`: a 15-minute token from the pod's role, never a password; TLS verified
  against the image's RDS CA bundle), which the records migration makes (`records migrate
  --readers`, the workloads' Job, which the Deployment waits for): SELECT on the findings and the
  memory's search tables only, a read policy of its own on the findings' row-level security,
  every session read-only by default; nothing on the notification ledger, no INSERT, UPDATE or
  DELETE, no ownership, no CREATE.

Its IRSA role reads and never writes: `dynamodb:Query` held to the `mcp-tokens` partition,
`dynamodb:GetItem`/`Query` held to the `stack#*` and `approvals` partitions (both with
`dynamodb:LeadingKeys`, and refused where the key is absent), `secretsmanager:GetSecretValue` on
the approval key only, `logs:FilterLogEvents`/`GetLogEvents`/`DescribeLogStreams` on the named log
groups, `cloudwatch:DescribeAlarms`/`DescribeAlarmHistory`, and (with `records`) `rds-db:connect`
as `agent_mcp_reader` on this stack's instance only (`dbuser:<DbiResourceId>/agent_mcp_reader`,
the records component's `reader_connect_statement`): no persona's database user. No `PutItem`,
no `PutLogEvents`: the server's own audit log (`mcp.call`, one record per request) stays in the
pod's state folder, and its log lines go to the container log group through Fluent Bit.

The pod is the agents' (uid 10001, read-only root file system, `emptyDir`s at the state folder and
`/tmp` only, no privilege escalation, every capability dropped, RuntimeDefault seccomp, no
Kubernetes API token), in a namespace enforcing `restricted` with ingress denied by default. The
server binds every address of the pod (`--allow-any-host`) so that both the Service and
`kubectl port-forward` (which connects to the pod's loopback) reach it; the Host header is still
checked, against `localhost`, `127.0.0.1` and the Service's names (`AGENTS_MCP_ALLOWED_HOSTS`).
Liveness and readiness probe `/healthz`, which the server answers in front of its token store's
gate: a store outage refuses every MCP request with 503 and the reason, and restarting the pod
would not fix it. One NetworkPolicy lets in the pods of the namespaces named in
`client_namespaces` (matched by `kubernetes.io/metadata.name`, which the API server sets and
nobody can relabel), on the server's port only; none named, none let in: `kubectl port-forward`
(tunnelled through the API server, over TLS) is then the only way in. The traffic of in-cluster
clients is plain HTTP carrying a bearer token: name a namespace only where that network is
trusted or encrypted.

Stateless, so it rolls (one more pod first); with two or more replicas the pods spread over
nodes and a PodDisruptionBudget keeps one serving through a drain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import PACKAGE, child, policy_json
from components.identity import (
    ROLE_ARN_ANNOTATION,
    irsa_trust_policy,
    restricted_namespace,
)
from components.records import DATABASE, MCP_DB_USER, log_group_arn, reader_connect_statement
from components.workloads import (
    STATE_DIR,
    approval_key_secret,
    container_security_context,
    pg_env,
    pod_security_context,
)

NAME = "agents-mcp"
# agents.mcp.server.DEFAULT_PORT (components do not import the agents).
DEFAULT_PORT = 8765
HEALTH_PATH = "/healthz"
# agents.mcp.tokens.DYNAMODB_PARTITION; agents.protocol.approvals_dynamodb.PARTITION; the lock
# backend's `stack#<stack>` partitions.
TOKEN_PARTITION = "mcp-tokens"
STATUS_PARTITIONS = ("stack#*", "approvals")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# The read-only actions the role holds, by service.
DYNAMODB_TOKEN_ACTIONS = ("dynamodb:Query",)
DYNAMODB_STATUS_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
LOGS_ACTIONS = ("logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams")
CLOUDWATCH_ACTIONS = ("cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")
# As the workloads check it: repository:tag or repository@sha256:<digest>.
_IMAGE = re.compile(r"^[^\s@:]+(?::\d+)?(?:/[^\s@:]+)*(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class McpRecords:
    """The stack's PostgreSQL, read as the server's own read-only database user."""

    pg_host: pulumi.Input[str]
    pg_port: pulumi.Input[int]
    # The instance's DbiResourceId (`db-...`), which the `rds-db:connect` ARN names.
    db_resource_id: pulumi.Input[str]
    # The records migration Job that makes the user (workloads' `migration_job_name`): the pod
    # starts once it has completed. None: no Job to wait for.
    migration_job_name: pulumi.Input[str] | None = None
    pg_database: str = DATABASE


@dataclass(frozen=True)
class McpDatabase:
    """`McpRecords` once its values are known (what the pod spec is written from)."""

    host: str
    port: int
    database: str = DATABASE
    user: str = MCP_DB_USER


@dataclass(frozen=True)
class McpArgs:
    stack: str
    region: str
    account_id: str
    # repository@sha256:<digest> or repository:tag: the agents' image.
    image: str
    oidc_provider_arn: pulumi.Input[str]
    # The issuer without the scheme, as IAM condition keys spell it.
    oidc_provider_url: pulumi.Input[str]
    # The stack's log groups `analyze-logs` may read (names).
    log_group_names: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    # Namespaces whose pods may reach the Service; none: only `kubectl port-forward`.
    client_namespaces: Sequence[str] = field(default_factory=tuple)
    replicas: int = 1
    namespace: str = NAME
    service_account: str = NAME
    port: int = DEFAULT_PORT
    lock_table: str = "baseline-agent-locks"
    # The approval signing key's secret name; empty: the stack's own (`approval_key_secret`).
    approval_key_secret: str = ""
    cpu_request: str = "100m"
    # The SDKs and, for a `source: plan` call, the program under the mocks and the policy packs:
    # about 200 MiB at peak, one plan at a time (the server serialises them).
    memory_request: str = "384Mi"
    cpu_limit: str = "1"
    memory_limit: str = "1Gi"
    # The server's audit log and the stores' local copies.
    state_size: str = "256Mi"
    tmp_size: str = "128Mi"
    termination_grace_seconds: int = 30
    node_selector: Mapping[str, str] = field(
        default_factory=lambda: {"kubernetes.io/arch": "arm64", "role": "workload"}
    )
    # None: `findings` and `search-memory` answer from the pod's own (empty) stores.
    records: McpRecords | None = None


def _approval_key(args: McpArgs) -> str:
    """The approval signing key's secret name: the one given, or the stack's own."""
    return args.approval_key_secret or approval_key_secret(args.stack)


def check_mcp(args: McpArgs) -> None:
    if not _IMAGE.match(args.image):
        raise ValueError(
            f"image: {args.image!r} is not repository:tag or repository@sha256:<64 hex digits>"
        )
    for what, value in (
        ("namespace", args.namespace),
        ("service_account", args.service_account),
        *(("client_namespaces", n) for n in args.client_namespaces),
    ):
        if not _DNS_LABEL.match(value):
            raise ValueError(f"{what}: {value!r} is not a DNS label")
    if len(set(args.client_namespaces)) != len(args.client_namespaces):
        raise ValueError(
            f"client_namespaces: a namespace is named twice in {args.client_namespaces}"
        )
    if not 1 <= args.replicas <= 5:
        raise ValueError(f"replicas: expected 1 to 5, got {args.replicas}")
    if not 1024 <= args.port <= 65535:
        raise ValueError(
            f"port: expected 1024 to 65535 (the pod runs as non-root), got {args.port}"
        )
    if not _TABLE_NAME.match(args.lock_table):
        raise ValueError(f"lock_table: {args.lock_table!r} is not a DynamoDB table name")
    key = _approval_key(args)
    if not _SECRET_NAME.match(key) or key.startswith("arn:"):
        raise ValueError(f"approval_key_secret: {key!r} is not a secret's name")
    if args.records is not None and not _DB_NAME.match(args.records.pg_database):
        raise ValueError(
            f"records.pg_database: {args.records.pg_database!r} is not a lower-case PostgreSQL "
            "identifier"
        )


def labels() -> dict[str, str]:
    return {
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/component": "mcp-server",
        "app.kubernetes.io/part-of": "baseline-agents",
    }


def selector() -> dict[str, str]:
    return {"app.kubernetes.io/name": NAME}


def service_hosts(args: McpArgs) -> list[str]:
    """The Host header values the server accepts: the Service's names with its port (from the
    cluster's pods), and loopback at any port (`kubectl port-forward` to a local port)."""
    service = f"{NAME}.{args.namespace}"
    return [
        "localhost",
        "127.0.0.1",
        *(
            f"{name}:{args.port}"
            for name in (service, f"{service}.svc", f"{service}.svc.cluster.local")
        ),
    ]


# The shared token store, re-read this often (seconds). Plain values: the security pack's
# `pod-no-plaintext-secret-env` judges these two by their values (a store's kind, a number).
TOKEN_STORE = "dynamodb"
TOKEN_REFRESH_S = "5"


def mcp_env(args: McpArgs, database: McpDatabase | None = None) -> list[dict[str, Any]]:
    """The server's settings: the shared token store and lock table (what `status` reads), the
    Host allow-list; with `database`, the records on PostgreSQL as the read-only user with IAM
    authentication and the RDS CA bundle (no password variable); no export folder (nothing to
    read by path on the pod), no audit sink (a sink is a write; the audit log stays on the pod).
    The tokens are read again every `TOKEN_REFRESH_S` seconds."""
    env = {
        "AGENTS_STATE_DIR": STATE_DIR,
        "AGENTS_LOCK_BACKEND": "dynamodb",
        "AGENTS_DYNAMODB_TABLE": args.lock_table,
        "AGENTS_DYNAMODB_REGION": args.region,
        "AGENTS_APPROVAL_KEY_SECRET": _approval_key(args),
        "AGENTS_MCP_ALLOWED_HOSTS": json.dumps(service_hosts(args)),
        "AGENTS_MCP_EXPORT_DIRS": "[]",
        "AGENTS_MCP_TOKEN_STORE": TOKEN_STORE,
        "AGENTS_MCP_TOKEN_REFRESH_S": TOKEN_REFRESH_S,
        "AWS_REGION": args.region,
    }
    if database is not None:
        env.update(pg_env(database.host, database.port, database.database, database.user))
    return [{"name": k, "value": v} for k, v in env.items()]


def pod_spec(
    args: McpArgs, service_account: str, database: McpDatabase | None = None
) -> dict[str, Any]:
    """The server's pod (camelCase, as the Kubernetes API and the policy packs read it)."""
    probe = {
        "httpGet": {"path": HEALTH_PATH, "port": "http", "scheme": "HTTP"},
        "timeoutSeconds": 5,
    }
    spec: dict[str, Any] = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(),
        "nodeSelector": dict(args.node_selector),
        "terminationGracePeriodSeconds": args.termination_grace_seconds,
        "containers": [
            {
                "name": "mcp",
                "image": args.image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["python", "-m", "agents"],
                "args": [
                    "mcp",
                    "--transport",
                    "http",
                    "--host",
                    "0.0.0.0",
                    "--port",
                    str(args.port),
                    # Every address of the pod: the Service's traffic arrives on the pod's IP,
                    # port-forward's on its loopback.
                    "--allow-any-host",
                ],
                "env": mcp_env(args, database),
                "ports": [{"name": "http", "containerPort": args.port, "protocol": "TCP"}],
                "livenessProbe": {
                    **probe,
                    "initialDelaySeconds": 15,
                    "periodSeconds": 20,
                    "failureThreshold": 3,
                },
                "readinessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
                "resources": {
                    "requests": {"cpu": args.cpu_request, "memory": args.memory_request},
                    "limits": {"cpu": args.cpu_limit, "memory": args.memory_limit},
                },
                "securityContext": container_security_context(),
                "volumeMounts": [
                    {"name": "state", "mountPath": STATE_DIR},
                    {"name": "tmp", "mountPath": "/tmp"},
                ],
            }
        ],
        "volumes": [
            {"name": "state", "emptyDir": {"sizeLimit": args.state_size}},
            {"name": "tmp", "emptyDir": {"sizeLimit": args.tmp_size}},
        ],
    }
    if args.replicas > 1:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": selector()},
            }
        ]
    return spec


def deployment_spec(
    args: McpArgs, service_account: str, database: McpDatabase | None = None
) -> dict[str, Any]:
    return {
        "replicas": args.replicas,
        # Stateless: the new pod is ready before an old one goes.
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
        },
        "selector": {"matchLabels": selector()},
        "template": {
            "metadata": {"labels": labels()},
            "spec": pod_spec(args, service_account, database),
        },
    }


def service_spec(args: McpArgs) -> dict[str, Any]:
    """Inside the cluster only: a ClusterIP, never a node port or a load balancer."""
    return {
        "type": "ClusterIP",
        "selector": selector(),
        "ports": [{"name": "http", "port": args.port, "targetPort": "http", "protocol": "TCP"}],
    }


def ingress_spec(args: McpArgs) -> dict[str, Any]:
    """The server's pods take connections on its port from the pods of the named namespaces
    only; the namespace's default deny keeps out everything else."""
    return {
        "podSelector": {"matchLabels": selector()},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchExpressions": [
                                {
                                    "key": NAMESPACE_NAME_LABEL,
                                    "operator": "In",
                                    "values": list(args.client_namespaces),
                                }
                            ]
                        }
                    }
                ],
                "ports": [{"protocol": "TCP", "port": args.port}],
            }
        ],
    }


def read_policy(args: McpArgs, log_groups: Sequence[str], db_resource_id: str | None = None) -> str:
    """The role's grants: reads only, each on what the server reads and nothing more; with
    `db_resource_id`, an IAM token for the read-only database user on that instance only."""
    table = f"arn:aws:dynamodb:{args.region}:{args.account_id}:table/{args.lock_table}"
    # Secrets Manager adds `-` and six characters to a secret's name in its ARN.
    key = (
        f"arn:aws:secretsmanager:{args.region}:{args.account_id}:secret:"
        f"{_approval_key(args)}-??????"
    )

    def partitions(values: Sequence[str], operator: str) -> dict[str, Any]:
        # ForAllValues holds when the key is absent: the Null check refuses that case.
        return {
            operator: {"dynamodb:LeadingKeys": list(values)},
            "Null": {"dynamodb:LeadingKeys": "false"},
        }

    statements: list[dict[str, Any]] = [
        {
            "Sid": "McpTokensRead",
            "Effect": "Allow",
            "Action": list(DYNAMODB_TOKEN_ACTIONS),
            "Resource": table,
            "Condition": partitions([TOKEN_PARTITION], "ForAllValues:StringEquals"),
        },
        {
            "Sid": "AgentStateRead",
            "Effect": "Allow",
            "Action": list(DYNAMODB_STATUS_ACTIONS),
            "Resource": table,
            "Condition": partitions(STATUS_PARTITIONS, "ForAllValues:StringLike"),
        },
        {
            "Sid": "ApprovalKeyRead",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": key,
        },
        {
            "Sid": "AlarmsRead",
            "Effect": "Allow",
            "Action": list(CLOUDWATCH_ACTIONS),
            "Resource": "*",
        },
    ]
    if log_groups:
        arns = [log_group_arn(args.region, args.account_id, g) for g in log_groups]
        statements.append(
            {
                "Sid": "StackLogsRead",
                "Effect": "Allow",
                "Action": list(LOGS_ACTIONS),
                "Resource": [a for arn in arns for a in (arn, f"{arn}:*")],
            }
        )
    if db_resource_id is not None:
        statements.append(reader_connect_statement(args.region, args.account_id, db_resource_id))
    return policy_json(statements)


class Mcp(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    namespace: pulumi.Output[str]
    service_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]

    def __init__(
        self, name: str, args: McpArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:mcp:Mcp", name, None, opts)
        check_mcp(args)
        namespace, account = args.namespace, args.service_account
        role = aws.iam.Role(
            f"{name}-server",
            description=(
                f"IRSA role of the agents' MCP server of {args.stack}, for service account "
                f"{namespace}/{account}: "
                "reads the token store, the agents' state, the stack's logs and alarms"
            ),
            assume_role_policy=pulumi.Output.all(
                args.oidc_provider_arn, args.oidc_provider_url
            ).apply(lambda p: irsa_trust_policy(p[0], p[1], namespace, account)),
            max_session_duration=3600,
            opts=child(self),
        )
        records = args.records
        grant = aws.iam.RolePolicy(
            f"{name}-server-read",
            role=role.id,
            policy=pulumi.Output.all(
                records.db_resource_id if records is not None else None, *args.log_group_names
            ).apply(
                lambda v: read_policy(
                    args, [str(g) for g in v[1:]], str(v[0]) if records is not None else None
                )
            ),
            opts=child(self),
        )
        ns_name = restricted_namespace(self, f"{name}-namespace", f"{name}-deny-ingress", namespace)
        if args.client_namespaces:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-ingress",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{NAME}-clients", namespace=ns_name),
                spec=cast(Any, ingress_spec(args)),
                opts=child(self),
            )
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-server",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=account, namespace=ns_name, annotations={ROLE_ARN_ANNOTATION: role.arn}
            ),
            # The server never calls the Kubernetes API: no token is mounted.
            automount_service_account_token=False,
            opts=child(self),
        )
        # The pod starts once its role may read (the grant's id rides on the account's name).
        sa_name = pulumi.Output.all(sa.metadata.apply(lambda m: str(m.name)), grant.id).apply(
            lambda v: str(v[0])
        )
        # With records, the pod also waits for the migration that makes its database user (the
        # Job's name carries the Job as a dependency).
        database: pulumi.Output[McpDatabase | None] = pulumi.Output.from_input(None)
        if records is not None:
            database = pulumi.Output.all(
                records.pg_host, records.pg_port, records.migration_job_name
            ).apply(lambda v: McpDatabase(str(v[0]), int(v[1]), records.pg_database))
        k8s.apps.v1.Deployment(
            f"{name}-server",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=ns_name, labels=labels()),
            spec=pulumi.Output.all(sa_name, database).apply(
                lambda v: cast(Any, deployment_spec(args, v[0], v[1]))
            ),
            opts=child(self),
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=ns_name, labels=labels()),
            spec=cast(Any, service_spec(args)),
            opts=child(self),
        )
        if args.replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-server",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=ns_name, labels=labels()),
                spec=cast(Any, {"maxUnavailable": 1, "selector": {"matchLabels": selector()}}),
                opts=child(self),
            )

        self.role_arn = role.arn
        self.namespace = ns_name
        self.service_name = service.metadata.apply(lambda m: str(m.name))
        self.endpoint = pulumi.Output.all(self.service_name, ns_name).apply(
            lambda v: f"http://{v[0]}.{v[1]}.svc.cluster.local:{args.port}/mcp"
        )
        self.register_outputs(
            {
                "roleArn": self.role_arn,
                "namespace": self.namespace,
                "serviceName": self.service_name,
                "endpoint": self.endpoint,
            }
        )
