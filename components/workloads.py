"""Workloads: the ops agents as Deployments, one per persona, in the persona's namespace (Pod
Security Standard `restricted`, made by the identity component) under its IRSA service account.

Each pod runs `python -m agents run <persona> --stack <stack> --interval <s>`, the agent's loop.
It runs the agents of this stack only: the agents in the dev cluster do not act on prod, and a
persona's pass is not made twice by two clusters (the IAM roles are not per stack: this is what
the agents do, not a limit of what they could). Shared coordination state (locks, cooldowns,
approvals) lives in DynamoDB (`AGENTS_LOCK_BACKEND=dynamodb`, the approval key in Secrets
Manager), so the pod's own state folder is an `emptyDir`: losing it with the pod loses nothing the
protocol needs.

The pod is `restricted` and then some: non-root (uid 10001), read-only root file system with
writable `emptyDir`s only at the state folder and `/tmp`, no privilege escalation, every capability
dropped, the runtime's default seccomp profile, no Kubernetes API token. Liveness (`/healthz`) and
readiness (`/readyz`) are served by the agent on port 8080 (`AGENTS_HEALTH_PORT`, on all addresses
so that the kubelet reaches them). Spans go to the cluster's OpenTelemetry collector.

Nothing is downloaded when a pod starts: the image carries the provider plugins read-only at
`/opt/pulumi/plugins` (installed and checksum-verified at build time, at the SDK pins' versions),
and the init container `pulumi-home` links them into the CLI's writable home
(`PULUMI_HOME=/tmp/pulumi-home`, whose credentials, stack selection and logs the CLI writes), so
`/tmp` holds only that small workspace and its `emptyDir` stays small.

With `records` set, the agents keep their records off the pod: findings and memory on the stack's
PostgreSQL as the persona's own database user with IAM authentication (`AGENTS_PG_AUTH=iam`: a
short-lived token from the pod's IRSA role, never a password) over TLS verified against the RDS CA
bundle the image ships, and every audit record also in the stack's audit log group
(`AGENTS_AUDIT_SINK=cloudwatch`, one writer per persona). Before any agent starts, the one-shot Job
`agents-records-migrate` (in the records component's namespace, under its service account, the
only identity that may read the master user secret) makes the database and the personas' users;
the provider waits for it to complete, and the Deployments depend on it. With `records.readers`
(the in-cluster MCP server's `agent_mcp_reader`) the Job makes those read-only users too
(`--readers`), and runs even where no persona serves the stack. The Job is kept once done (no
TTL: Pulumi owns it, and a TTL would delete it behind Pulumi's back); a change to it (a persona
or a reader added, a new image) replaces it, and the migration runs again (it is idempotent).

With `notify` set, each agent announces findings (agents.protocol.notify): its pod names the
stack's alert topic (`AGENTS_NOTIFY_TOPICS`) and, where the stack pages, the paging topic
(`AGENTS_NOTIFY_PAGING_TOPICS`), and its IRSA role gets one more policy,
`<name>-<persona>-notify`: `sns:Publish` on exactly those topics and `kms:GenerateDataKey*` /
`kms:Decrypt` on exactly their key (SNS encrypts with the publisher's permission on it).

One replica: the lock protocol serialises every operation anyway, and a second runner would only
wait. No PodDisruptionBudget: with one replica a budget either blocks every node drain (Karpenter's
consolidation and node upgrades would stop) or protects nothing. A drained agent gets SIGTERM,
cancels its Pulumi command gracefully, records the interruption and releases its lease within the
grace period; the next pass (here or on the new node) picks up, and the watchdog reports
interrupted operations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import PACKAGE, child
from components.records import DATABASE, RDS_CA_BUNDLE, db_user

RUN_AS_USER = 10001
HEALTH_PORT = 8080
STATE_DIR = "/var/lib/baseline-agents"
# The CLI's home (the image's PULUMI_HOME, under the /tmp emptyDir) and the plugins the image
# carries read-only (Dockerfile, stage `plugins`).
PULUMI_HOME = "/tmp/pulumi-home"
IMAGE_PLUGINS = "/opt/pulumi/plugins"
_IMAGE = re.compile(r"^[^\s@:]+(?::\d+)?(?:/[^\s@:]+)*(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$")


def approval_key_secret(stack: str) -> str:
    """The name of a stack's approval signing key: the secret `baseline/personas.yaml`'s
    `approval-key` statement lets the stack's personas read (another stack's key is out of
    reach), and the one the agents and the MCP server use unless told otherwise."""
    return f"baseline-agents/{stack}/approval-key"


@dataclass(frozen=True)
class AgentWorkload:
    """One persona's Deployment: where it runs and as whom."""

    persona: str
    namespace: pulumi.Input[str]
    service_account: pulumi.Input[str]
    # The persona's IRSA role: what `notify` grants is attached to it.
    role_name: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class AgentNotify:
    """Where the agents announce findings (agents.protocol.notify): the stack's alert topic, the
    paging topic for critical ones when the stack has one, and the key both are encrypted with."""

    alert_topic_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    page_topic_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class AgentRecords:
    """Where the agents keep their records, and the migration that prepares them (the records
    component's outputs and the database's)."""

    pg_host: pulumi.Input[str]
    pg_port: pulumi.Input[int]
    audit_log_group: pulumi.Input[str]
    # The ARN of the RDS-managed master user secret: the migration reads it at run time.
    master_secret_arn: pulumi.Input[str]
    migration_namespace: pulumi.Input[str]
    migration_service_account: pulumi.Input[str]
    pg_database: str = DATABASE
    # Read-only database users the migration makes as well (`records migrate --readers`): the
    # in-cluster MCP server's, where the stack runs it.
    readers: Sequence[str] = ()


@dataclass(frozen=True)
class ResolvedRecords:
    """`AgentRecords` once its values are known (what the pod specs are written from)."""

    pg_host: str
    pg_port: int
    audit_log_group: str
    master_secret_arn: str
    migration_namespace: str
    migration_service_account: str
    pg_database: str = DATABASE
    readers: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkloadsArgs:
    stack: str
    region: str
    # repository@sha256:<digest> or repository:tag
    image: str
    agents: Sequence[AgentWorkload] = field(default_factory=tuple)
    interval_seconds: int = 300
    otlp_endpoint: str = ""
    # The approval signing key's secret name; empty: the stack's own (`approval_key_secret`).
    approval_key_secret: str = ""
    lock_table: str = "baseline-agent-locks"
    cpu_request: str = "100m"
    memory_request: str = "512Mi"
    cpu_limit: str = "1"
    # `pulumi preview` with the aws provider plugin peaks around a gigabyte.
    memory_limit: str = "2Gi"
    # The state folder (local copies of the shared state, the audit spool).
    scratch_size: str = "1Gi"
    # /tmp: the CLI's home (credentials, stack selection, logs) and temporary files. The provider
    # plugins (the aws one alone is several hundred MB unpacked) are in the image, not here.
    tmp_size: str = "256Mi"
    # SIGTERM, then the agent's graceful cancel of a running Pulumi command (AGENTS_CANCEL_GRACE_S,
    # 10 s) and its last records, well within this.
    termination_grace_seconds: int = 60
    node_selector: Mapping[str, str] = field(
        default_factory=lambda: {"kubernetes.io/arch": "arm64", "role": "workload"}
    )
    # None: the records stay in the pod's state folder (one machine's embedded stores).
    records: AgentRecords | None = None
    # None: findings are not announced (no topic, no permission).
    notify: AgentNotify | None = None
    migration_cpu_request: str = "100m"
    migration_memory_request: str = "256Mi"
    migration_cpu_limit: str = "500m"
    migration_memory_limit: str = "512Mi"
    # Room for the database to come up on a first `up`, and for retries.
    migration_deadline_seconds: int = 900
    migration_backoff_limit: int = 3


def check_workloads(args: WorkloadsArgs) -> None:
    if not _IMAGE.match(args.image):
        raise ValueError(
            f"image: {args.image!r} is not repository:tag or repository@sha256:<64 hex digits>"
        )
    if not 1 <= args.interval_seconds <= 86400:
        raise ValueError(f"interval_seconds: expected 1 to 86400, got {args.interval_seconds}")
    personas = [a.persona for a in args.agents]
    if len(set(personas)) != len(personas):
        raise ValueError(f"agents: a persona is given twice in {personas}")


def labels(persona: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "baseline-agent",
        "app.kubernetes.io/instance": persona,
        "app.kubernetes.io/component": "agent",
        "app.kubernetes.io/part-of": "baseline-agents",
    }


def container_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resolve_records(records: AgentRecords) -> pulumi.Output[ResolvedRecords]:
    """The records' settings once every value is known."""
    return pulumi.Output.all(
        records.pg_host,
        records.pg_port,
        records.audit_log_group,
        records.master_secret_arn,
        records.migration_namespace,
        records.migration_service_account,
    ).apply(
        lambda v: ResolvedRecords(
            pg_host=str(v[0]),
            pg_port=int(v[1]),
            audit_log_group=str(v[2]),
            master_secret_arn=str(v[3] or ""),
            migration_namespace=str(v[4]),
            migration_service_account=str(v[5]),
            pg_database=records.pg_database,
            readers=tuple(records.readers),
        )
    )


def pg_env(host: str, port: int, database: str, user: str) -> dict[str, str]:
    """PostgreSQL as `user` with IAM authentication (a token from the pod's IRSA role: no
    password variable, ever), TLS verified against the image's RDS CA bundle."""
    return {
        "AGENTS_RECORDS_BACKEND": "postgres",
        "AGENTS_PG_HOST": host,
        "AGENTS_PG_PORT": str(port),
        "AGENTS_PG_DATABASE": database,
        "AGENTS_PG_USER": user,
        "AGENTS_PG_AUTH": "iam",
        "AGENTS_PG_SSLROOTCERT": RDS_CA_BUNDLE,
    }


def records_env(records: ResolvedRecords, persona: str) -> dict[str, str]:
    """A persona's records settings: PostgreSQL as its own user with IAM authentication (no
    password variable, ever), TLS verified against the image's RDS CA bundle; the audit log also
    in the stack's log group, under the persona's name as its writer."""
    return {
        **pg_env(records.pg_host, records.pg_port, records.pg_database, db_user(persona)),
        "AGENTS_AUDIT_SINK": "cloudwatch",
        "AGENTS_AUDIT_LOG_GROUP": records.audit_log_group,
        "AGENTS_AUDIT_WRITER": persona,
    }


def notify_env(stack: str, region: str, alert: str, page: str | None) -> dict[str, str]:
    """The agent's notification settings: this stack's alert topic (and paging topic)."""
    env = {
        "AGENTS_NOTIFY_TOPICS": json.dumps({stack: alert}),
        "AGENTS_NOTIFY_REGION": region,
    }
    if page:
        env["AGENTS_NOTIFY_PAGING_TOPICS"] = json.dumps({stack: page})
    return env


def notify_policy(alert: str, key: str, page: str | None) -> str:
    """What announcing needs: publish to the stack's topics, and use their key for it (SNS
    encrypts with the publisher's permission on the key). Nothing else, on nothing else."""
    topics = [alert, *([page] if page else [])]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublishFindings",
                    "Effect": "Allow",
                    "Action": "sns:Publish",
                    "Resource": topics,
                },
                {
                    "Sid": "EncryptForTheTopics",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                    "Resource": key,
                },
            ],
        }
    )


def agent_env(
    args: WorkloadsArgs,
    persona: str,
    records: ResolvedRecords | None = None,
    notify: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The agent's settings (`AGENTS_*`) and telemetry environment. The persona is each span's own
    attribute, so the service stays `baseline-agents` for all of them."""
    env: dict[str, str] = {
        "AGENTS_STATE_DIR": STATE_DIR,
        "AGENTS_LOCK_BACKEND": "dynamodb",
        "AGENTS_DYNAMODB_TABLE": args.lock_table,
        "AGENTS_DYNAMODB_REGION": args.region,
        "AGENTS_APPROVAL_KEY_SECRET": args.approval_key_secret or approval_key_secret(args.stack),
        "AGENTS_HEALTH_PORT": str(HEALTH_PORT),
        # The agent listens on loopback by default; the kubelet probes the pod's address.
        "AGENTS_HEALTH_HOST": "0.0.0.0",
        # One PassSucceeded/PassFailed point per pass for the agents' SLO (agents.runtime.sli).
        "AGENTS_SLI_METRICS": "true",
        "AWS_REGION": args.region,
        "OTEL_RESOURCE_ATTRIBUTES": f"deployment.environment={args.stack}",
    }
    if args.otlp_endpoint:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = args.otlp_endpoint
    if records is not None:
        env.update(records_env(records, persona))
    env.update(notify or {})
    found: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in env.items()]
    # No service account token is mounted, so the namespace comes from the downward API.
    found.append(
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
    )
    return found


def pod_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "fsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def scratch_volumes(args: WorkloadsArgs) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(mounts, volumes): the state folder and /tmp, the only writable paths."""
    mounts = [{"name": "state", "mountPath": STATE_DIR}, {"name": "tmp", "mountPath": "/tmp"}]
    volumes = [
        {"name": "state", "emptyDir": {"sizeLimit": args.scratch_size}},
        {"name": "tmp", "emptyDir": {"sizeLimit": args.tmp_size}},
    ]
    return mounts, volumes


def plugins_link_container(args: WorkloadsArgs, mounts: list[dict[str, Any]]) -> dict[str, Any]:
    """The init container that links the image's provider plugins into the CLI's home on /tmp (an
    emptyDir hides whatever the image holds there), so the CLI finds them where
    `pulumi plugin install` would have put them and downloads nothing. Same image, same hardened
    context; it runs a shell for a moment and exits."""
    return {
        "name": "pulumi-home",
        "image": args.image,
        "imagePullPolicy": "IfNotPresent",
        "command": [
            "/bin/sh",
            "-c",
            f"mkdir -p {PULUMI_HOME} && ln -sfn {IMAGE_PLUGINS} {PULUMI_HOME}/plugins",
        ],
        "resources": {
            "requests": {"cpu": "10m", "memory": "16Mi"},
            "limits": {"cpu": "100m", "memory": "32Mi"},
        },
        "securityContext": container_security_context(),
        "volumeMounts": [m for m in mounts if m["mountPath"] == "/tmp"],
    }


def pod_spec(
    args: WorkloadsArgs,
    persona: str,
    service_account: str,
    records: ResolvedRecords | None = None,
    notify: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The agent's pod (camelCase, as the Kubernetes API and the policy packs read it)."""
    probe = {"port": "health", "scheme": "HTTP"}
    mounts, volumes = scratch_volumes(args)
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(),
        "nodeSelector": dict(args.node_selector),
        "terminationGracePeriodSeconds": args.termination_grace_seconds,
        "initContainers": [plugins_link_container(args, mounts)],
        "containers": [
            {
                "name": "agent",
                "image": args.image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["python", "-m", "agents"],
                "args": [
                    "run",
                    persona,
                    "--stack",
                    args.stack,
                    "--interval",
                    str(args.interval_seconds),
                ],
                "env": agent_env(args, persona, records, notify),
                "ports": [{"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"}],
                "livenessProbe": {
                    "httpGet": {**probe, "path": "/healthz"},
                    "initialDelaySeconds": 10,
                    "periodSeconds": 30,
                    "timeoutSeconds": 5,
                    "failureThreshold": 3,
                },
                "readinessProbe": {
                    "httpGet": {**probe, "path": "/readyz"},
                    "periodSeconds": 10,
                    "timeoutSeconds": 5,
                    "failureThreshold": 3,
                },
                "resources": {
                    "requests": {"cpu": args.cpu_request, "memory": args.memory_request},
                    "limits": {"cpu": args.cpu_limit, "memory": args.memory_limit},
                },
                "securityContext": container_security_context(),
                "volumeMounts": mounts,
            }
        ],
        "volumes": volumes,
    }


def deployment_spec(
    args: WorkloadsArgs,
    persona: str,
    service_account: str,
    records: ResolvedRecords | None = None,
    notify: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    selector = {"app.kubernetes.io/name": "baseline-agent", "app.kubernetes.io/instance": persona}
    return {
        "replicas": 1,
        # Never two runners of a persona at once during a rollout: the old one stops first.
        "strategy": {"type": "Recreate"},
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": labels(persona)},
            "spec": pod_spec(args, persona, service_account, records, notify),
        },
    }


def _spec_for(args: WorkloadsArgs, persona: str) -> Callable[[list[Any]], Any]:
    """The Deployment spec once the service account's name (and the records' and the
    notifications' settings) are known."""
    return lambda values: deployment_spec(args, persona, values[0], values[1], values[2])


MIGRATION_JOB = "agents-records-migrate"


def migration_labels() -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "baseline-agents-records",
        "app.kubernetes.io/component": "records-migration",
        "app.kubernetes.io/part-of": "baseline-agents",
    }


def migration_env(args: WorkloadsArgs, records: ResolvedRecords) -> list[dict[str, Any]]:
    """Where the database is, and which secret holds the master user's credential: its ARN, read
    at run time under the Job's own role; the credential itself is never in the spec."""
    env = {
        "AGENTS_STATE_DIR": STATE_DIR,
        "AGENTS_PG_HOST": records.pg_host,
        "AGENTS_PG_PORT": str(records.pg_port),
        "AGENTS_PG_DATABASE": records.pg_database,
        "AGENTS_PG_SSLROOTCERT": RDS_CA_BUNDLE,
        "AGENTS_PG_MASTER_SECRET": records.master_secret_arn,
        # The master's acts go on the record off the pod too, in a stream of their own.
        "AGENTS_AUDIT_SINK": "cloudwatch",
        "AGENTS_AUDIT_LOG_GROUP": records.audit_log_group,
        "AGENTS_AUDIT_WRITER": "records-migrate",
        "AWS_REGION": args.region,
    }
    return [{"name": k, "value": v} for k, v in env.items()]


def _job_spec_for(args: WorkloadsArgs, users: list[str]) -> Callable[[ResolvedRecords], Any]:
    """The migration Job's spec once the records' outputs resolve (a plain dict, which the
    provider accepts as JobSpecArgs; typed Any as _spec_for is, for the SDK's stricter stubs)."""
    return lambda r: migration_job_spec(args, r, users)


def migration_job_spec(
    args: WorkloadsArgs, records: ResolvedRecords, users: Sequence[str]
) -> dict[str, Any]:
    """The one-shot migration: the agents' database, one login role per persona and one per
    read-only user (granted `rds_iam`) and the schema, made as the master user; the same
    hardened pod as the agents'."""
    if not records.master_secret_arn.startswith("arn:"):
        # The value is not echoed: if it is not an ARN it may be the credential itself.
        raise ValueError("records: master_secret_arn must be the master user secret's ARN")
    both = sorted(set(users) & set(records.readers))
    if both:
        raise ValueError(f"records: {both} named as persona users and as readers")
    command = ["records", "migrate"]
    if users:
        command += ["--personas", ",".join(users)]
    if records.readers:
        command += ["--readers", ",".join(records.readers)]
    mounts, volumes = scratch_volumes(args)
    return {
        "backoffLimit": args.migration_backoff_limit,
        "activeDeadlineSeconds": args.migration_deadline_seconds,
        "template": {
            "metadata": {"labels": migration_labels()},
            "spec": {
                "serviceAccountName": records.migration_service_account,
                "automountServiceAccountToken": False,
                "restartPolicy": "Never",
                "securityContext": pod_security_context(),
                "nodeSelector": dict(args.node_selector),
                "containers": [
                    {
                        "name": "migrate",
                        "image": args.image,
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["python", "-m", "agents"],
                        "args": command,
                        "env": migration_env(args, records),
                        "resources": {
                            "requests": {
                                "cpu": args.migration_cpu_request,
                                "memory": args.migration_memory_request,
                            },
                            "limits": {
                                "cpu": args.migration_cpu_limit,
                                "memory": args.migration_memory_limit,
                            },
                        },
                        "securityContext": container_security_context(),
                        "volumeMounts": mounts,
                    }
                ],
                "volumes": volumes,
            },
        },
    }


class Workloads(pulumi.ComponentResource):
    deployment_names: dict[str, pulumi.Output[str]]
    migration_job_name: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:workloads:Workloads", name, None, opts)
        check_workloads(args)
        self.deployment_names = {}
        self.migration_job_name = None
        records = resolve_records(args.records) if args.records is not None else None
        agents_opts = child(self)
        if (
            args.records is not None
            and records is not None
            and (args.agents or args.records.readers)
        ):
            users = [db_user(a.persona) for a in args.agents]
            job = k8s.batch.v1.Job(
                f"{name}-records-migrate",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=MIGRATION_JOB,
                    namespace=records.apply(lambda r: r.migration_namespace),
                    labels=migration_labels(),
                ),
                spec=records.apply(_job_spec_for(args, users)),
                # A fixed name: the old Job goes before its replacement comes.
                opts=child(self, delete_before_replace=True),
            )
            self.migration_job_name = job.metadata.apply(lambda m: str(m.name))
            # No agent starts on a database whose users do not exist yet.
            agents_opts = child(self, depends_on=[job])
        notify: pulumi.Output[dict[str, str]] | None = None
        if args.notify is not None:
            n = args.notify
            topics = pulumi.Output.all(n.alert_topic_arn, n.page_topic_arn, n.key_arn)
            notify = topics.apply(lambda t: notify_env(args.stack, args.region, t[0], t[1]))
            policy = topics.apply(lambda t: notify_policy(t[0], t[2], t[1]))
            for agent in args.agents:
                if agent.role_name is None:
                    raise ValueError(f"notify needs the IRSA role of {agent.persona}")
                aws.iam.RolePolicy(
                    f"{name}-{agent.persona}-notify",
                    role=agent.role_name,
                    policy=policy,
                    opts=child(self),
                )
        for agent in args.agents:
            deployment = k8s.apps.v1.Deployment(
                f"{name}-{agent.persona}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"agent-{agent.persona}",
                    namespace=agent.namespace,
                    labels=labels(agent.persona),
                ),
                spec=pulumi.Output.all(agent.service_account, records, notify).apply(
                    _spec_for(args, agent.persona)
                ),
                opts=agents_opts,
            )
            self.deployment_names[agent.persona] = deployment.metadata.apply(lambda m: str(m.name))
        self.register_outputs(
            {"deploymentNames": self.deployment_names, "migrationJobName": self.migration_job_name}
        )
