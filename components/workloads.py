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

One replica: the lock protocol serialises every operation anyway, and a second runner would only
wait. No PodDisruptionBudget: with one replica a budget either blocks every node drain (Karpenter's
consolidation and node upgrades would stop) or protects nothing. A drained agent gets SIGTERM,
cancels its Pulumi command gracefully, records the interruption and releases its lease within the
grace period; the next pass (here or on the new node) picks up, and the watchdog reports
interrupted operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import PACKAGE, child

RUN_AS_USER = 10001
HEALTH_PORT = 8080
STATE_DIR = "/var/lib/baseline-agents"
_IMAGE = re.compile(r"^[^\s@:]+(?::\d+)?(?:/[^\s@:]+)*(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$")


@dataclass(frozen=True)
class AgentWorkload:
    """One persona's Deployment: where it runs and as whom."""

    persona: str
    namespace: pulumi.Input[str]
    service_account: pulumi.Input[str]


@dataclass(frozen=True)
class WorkloadsArgs:
    stack: str
    region: str
    # repository@sha256:<digest> or repository:tag
    image: str
    agents: Sequence[AgentWorkload] = field(default_factory=tuple)
    interval_seconds: int = 300
    otlp_endpoint: str = ""
    approval_key_secret: str = "baseline-agents/approval-key"
    lock_table: str = "baseline-agent-locks"
    cpu_request: str = "100m"
    memory_request: str = "512Mi"
    cpu_limit: str = "1"
    # `pulumi preview` with the aws provider plugin peaks around a gigabyte.
    memory_limit: str = "2Gi"
    scratch_size: str = "1Gi"
    # SIGTERM, then the agent's graceful cancel of a running Pulumi command (AGENTS_CANCEL_GRACE_S,
    # 10 s) and its last records, well within this.
    termination_grace_seconds: int = 60
    node_selector: Mapping[str, str] = field(
        default_factory=lambda: {"kubernetes.io/arch": "arm64", "role": "workload"}
    )


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


def agent_env(args: WorkloadsArgs, persona: str) -> list[dict[str, Any]]:
    """The agent's settings (`AGENTS_*`) and telemetry environment. The persona is each span's own
    attribute, so the service stays `baseline-agents` for all of them."""
    env: dict[str, str] = {
        "AGENTS_STATE_DIR": STATE_DIR,
        "AGENTS_LOCK_BACKEND": "dynamodb",
        "AGENTS_DYNAMODB_TABLE": args.lock_table,
        "AGENTS_DYNAMODB_REGION": args.region,
        "AGENTS_APPROVAL_KEY_SECRET": args.approval_key_secret,
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
    found: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in env.items()]
    # No service account token is mounted, so the namespace comes from the downward API.
    found.append(
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
    )
    return found


def pod_spec(args: WorkloadsArgs, persona: str, service_account: str) -> dict[str, Any]:
    """The agent's pod (camelCase, as the Kubernetes API and the policy packs read it)."""
    probe = {"port": "health", "scheme": "HTTP"}
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_USER,
            "fsGroup": RUN_AS_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "nodeSelector": dict(args.node_selector),
        "terminationGracePeriodSeconds": args.termination_grace_seconds,
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
                "env": agent_env(args, persona),
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
                "volumeMounts": [
                    {"name": "state", "mountPath": STATE_DIR},
                    {"name": "tmp", "mountPath": "/tmp"},
                ],
            }
        ],
        "volumes": [
            {"name": "state", "emptyDir": {"sizeLimit": args.scratch_size}},
            {"name": "tmp", "emptyDir": {"sizeLimit": args.scratch_size}},
        ],
    }


def deployment_spec(args: WorkloadsArgs, persona: str, service_account: str) -> dict[str, Any]:
    selector = {"app.kubernetes.io/name": "baseline-agent", "app.kubernetes.io/instance": persona}
    return {
        "replicas": 1,
        # Never two runners of a persona at once during a rollout: the old one stops first.
        "strategy": {"type": "Recreate"},
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": labels(persona)},
            "spec": pod_spec(args, persona, service_account),
        },
    }


def _spec_for(args: WorkloadsArgs, persona: str) -> Callable[[str], Any]:
    """The Deployment spec once the service account's name is known."""
    return lambda service_account: deployment_spec(args, persona, service_account)


class Workloads(pulumi.ComponentResource):
    deployment_names: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:workloads:Workloads", name, None, opts)
        check_workloads(args)
        self.deployment_names = {}
        for agent in args.agents:
            deployment = k8s.apps.v1.Deployment(
                f"{name}-{agent.persona}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"agent-{agent.persona}",
                    namespace=agent.namespace,
                    labels=labels(agent.persona),
                ),
                spec=pulumi.Output.from_input(agent.service_account).apply(
                    _spec_for(args, agent.persona)
                ),
                opts=child(self),
            )
            self.deployment_names[agent.persona] = deployment.metadata.apply(lambda m: str(m.name))
        self.register_outputs({"deploymentNames": self.deployment_names})
