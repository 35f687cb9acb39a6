"""Telemetry: the cluster's container logs to CloudWatch Logs (Fluent Bit) and its traces to X-Ray
(an OpenTelemetry collector).

- Logs. Fluent Bit (the upstream `fluent-bit` chart) runs as a DaemonSet on every node, the tainted
  system nodes included, and tails `/var/log/containers`. Pods of the platform namespaces
  (kube-system, karpenter, logging, tracing) go to `/aws/eks/<cluster>/platform`, every other
  pod's to `/aws/eks/<cluster>/workloads`, one stream per namespace, pod and container. The stack
  declares both groups (retention, the stack's logging KMS key) and Fluent Bit never creates a
  group (`auto_create_group Off`): a group it made would keep logs forever. Its IRSA role may only
  create streams in, describe and write to those two groups. Reading host logs needs a hostPath,
  so the `logging` namespace enforces the `privileged` Pod Security Standard (audited and warned
  at `baseline`); the container runs read-only, with no capabilities and no privilege escalation.
- Traces. The upstream `opentelemetry-collector` chart as a Deployment (contrib image, which has
  the `awsxray` exporter): an OTLP receiver (gRPC 4317, HTTP 4318) behind the Service
  `otel-collector.tracing`, `memory_limiter` and `batch`, and the `awsxray` exporter; no other
  pipeline. Its IRSA role holds only X-Ray's four write/sampling actions (X-Ray has no
  resource-level permissions). Not the ADOT EKS add-on: it needs cert-manager (a third chart and
  a webhook) and an operator to run one collector. The collector gets a PodDisruptionBudget only
  with two or more replicas: with one, a budget would block every node drain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import PACKAGE, child, policy_json
from components.identity import (
    ROLE_ARN_ANNOTATION,
    default_deny_ingress_spec,
    irsa_trust_policy,
    pod_security_labels,
)

FLUENT_BIT_CHART_REPOSITORY = "https://fluent.github.io/helm-charts"
COLLECTOR_CHART_REPOSITORY = "https://open-telemetry.github.io/opentelemetry-helm-charts"
OTLP_HTTP_PORT = 4318
OTLP_GRPC_PORT = 4317
XRAY_ACTIONS = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)
LOG_STREAM_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
# The log groups, by role: which namespaces' containers each one receives (None: the rest).
LOG_GROUP_ROLES = ("platform", "workloads")
RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class TelemetryArgs:
    cluster_name: str
    region: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    log_retention_days: int = 30
    # A customer-managed key for the container log groups (None: CloudWatch Logs' own).
    log_kms_key_arn: pulumi.Input[str] | None = None
    # Namespaces whose containers' logs go to the platform group; the others to workloads.
    platform_namespaces: Sequence[str] = ("kube-system", "karpenter")
    logging_namespace: str = "logging"
    tracing_namespace: str = "tracing"
    fluent_bit_chart_version: str = "0.58.2"
    collector_chart_version: str = "0.172.0"
    collector_replicas: int = 1


def log_group_name(cluster_name: str, role: str) -> str:
    return f"/aws/eks/{cluster_name}/{role}"


def platform_namespaces(args: TelemetryArgs) -> list[str]:
    """The platform group's namespaces: those given, and this component's own two."""
    found: list[str] = []
    for ns in (*args.platform_namespaces, args.logging_namespace, args.tracing_namespace):
        if ns not in found:
            found.append(ns)
    return found


def collector_endpoint(namespace: str, port: int = OTLP_HTTP_PORT) -> str:
    """The OTLP/HTTP endpoint pods send to (the collector's Service, `otel-collector`)."""
    return f"http://otel-collector.{namespace}:{port}"


def log_shipping_policy(log_group_arns: Sequence[str]) -> str:
    """Fluent Bit may make streams in, describe and write to the stack's container log groups,
    and nothing else (not create a group, not read events)."""
    resources: list[str] = []
    for arn in log_group_arns:
        resources += [arn, f"{arn}:log-stream:*"]
    return policy_json(
        [
            {
                "Sid": "ShipContainerLogs",
                "Effect": "Allow",
                "Action": list(LOG_STREAM_ACTIONS),
                "Resource": resources,
            }
        ]
    )


def tracing_policy() -> str:
    """X-Ray's write and sampling actions take no resource ARNs, hence `*`."""
    return policy_json(
        [{"Sid": "SendTraces", "Effect": "Allow", "Action": list(XRAY_ACTIONS), "Resource": "*"}]
    )


def fluent_bit_config(
    region: str, groups: dict[str, str], platform: Sequence[str]
) -> dict[str, str]:
    """Fluent Bit's pipeline (classic format): two tails over the container logs, split by
    namespace through the file name (`<pod>_<namespace>_<container>-<id>.log`), Kubernetes
    metadata on each record, and one CloudWatch Logs output per group."""
    platform_paths = ",".join(f"/var/log/containers/*_{ns}_*.log" for ns in platform)
    tail = (
        "    multiline.parser  docker, cri\n"
        "    Mem_Buf_Limit     50MB\n"
        "    Skip_Long_Lines   On\n"
        "    Refresh_Interval  10\n"
    )
    inputs = (
        "[INPUT]\n"
        "    Name              tail\n"
        "    Tag               platform.*\n"
        f"    Path              {platform_paths}\n"
        "    DB                /var/fluent-bit/state/platform.db\n"
        f"{tail}\n"
        "[INPUT]\n"
        "    Name              tail\n"
        "    Tag               workloads.*\n"
        "    Path              /var/log/containers/*.log\n"
        f"    Exclude_Path      {platform_paths}\n"
        "    DB                /var/fluent-bit/state/workloads.db\n"
        f"{tail}"
    )
    filters = "\n".join(
        "[FILTER]\n"
        "    Name                kubernetes\n"
        f"    Match               {role}.*\n"
        f"    Kube_Tag_Prefix     {role}.var.log.containers.\n"
        "    Merge_Log           On\n"
        "    Keep_Log            Off\n"
        "    K8S-Logging.Parser  On\n"
        "    K8S-Logging.Exclude On\n"
        "    Labels              Off\n"
        "    Annotations         Off\n"
        for role in LOG_GROUP_ROLES
    )
    outputs = "\n".join(
        "[OUTPUT]\n"
        "    Name                cloudwatch_logs\n"
        f"    Match               {role}.*\n"
        f"    region              {region}\n"
        f"    log_group_name      {groups[role]}\n"
        "    log_stream_prefix   unlabelled.\n"
        "    log_stream_template $kubernetes['namespace_name'].$kubernetes['pod_name']"
        ".$kubernetes['container_name']\n"
        "    auto_create_group   Off\n"
        for role in LOG_GROUP_ROLES
    )
    service = (
        "[SERVICE]\n"
        "    Daemon       Off\n"
        "    Flush        5\n"
        "    Log_Level    info\n"
        "    Parsers_File /fluent-bit/etc/parsers.conf\n"
        "    HTTP_Server  On\n"
        "    HTTP_Listen  0.0.0.0\n"
        "    HTTP_Port    2020\n"
        "    Health_Check On\n"
    )
    return {"service": service, "inputs": inputs, "filters": filters, "outputs": outputs}


def fluent_bit_values(
    region: str, role_arn: str, groups: dict[str, str], platform: Sequence[str]
) -> dict[str, Any]:
    return {
        "fullnameOverride": "fluent-bit",
        "serviceAccount": {
            "create": True,
            "name": "fluent-bit",
            "annotations": {ROLE_ARN_ANNOTATION: role_arn},
        },
        # Every node, the tainted system nodes too: their pods' logs matter most in an incident.
        "tolerations": [{"operator": "Exists"}],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"memory": "256Mi"},
        },
        # Root only to read the root-owned log files and write the offsets; no capability, no
        # escalation, nothing written outside the state hostPath.
        "securityContext": {
            "runAsUser": 0,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "extraVolumes": [
            {
                "name": "state",
                "hostPath": {"path": "/var/fluent-bit/state", "type": "DirectoryOrCreate"},
            }
        ],
        "extraVolumeMounts": [{"name": "state", "mountPath": "/var/fluent-bit/state"}],
        "config": fluent_bit_config(region, groups, platform),
    }


def collector_ingress_spec() -> Any:
    """The collector's pods (the chart labels them with the release's name) take OTLP from any
    namespace's pods, on the OTLP ports only; the rest of `tracing` stays closed."""
    return {
        "podSelector": {"matchLabels": {"app.kubernetes.io/instance": "otel-collector"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {}}],
                "ports": [
                    {"protocol": "TCP", "port": OTLP_GRPC_PORT},
                    {"protocol": "TCP", "port": OTLP_HTTP_PORT},
                ],
            }
        ],
    }


def collector_values(region: str, role_arn: str, replicas: int) -> dict[str, Any]:
    """The collector chart's values: traces only, OTLP in, X-Ray out. The chart's default
    receivers and pipelines (jaeger, zipkin, prometheus, metrics and logs to `debug`) are removed
    (a null removes a chart default)."""
    return {
        "mode": "deployment",
        "fullnameOverride": "otel-collector",
        "replicaCount": replicas,
        "image": {"repository": "otel/opentelemetry-collector-contrib"},
        "serviceAccount": {
            "create": True,
            "name": "otel-collector",
            "annotations": {ROLE_ARN_ANNOTATION: role_arn},
        },
        "ports": {
            "otlp": {"enabled": True},
            "otlp-http": {"enabled": True},
            "jaeger-compact": {"enabled": False},
            "jaeger-thrift": {"enabled": False},
            "jaeger-grpc": {"enabled": False},
            "zipkin": {"enabled": False},
        },
        "config": {
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_GRPC_PORT}"},
                        "http": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_HTTP_PORT}"},
                    }
                },
                "jaeger": None,
                "zipkin": None,
                "prometheus": None,
            },
            "processors": {
                "batch": {},
                "memory_limiter": {
                    "check_interval": "5s",
                    "limit_percentage": 80,
                    "spike_limit_percentage": 25,
                },
            },
            "exporters": {"awsxray": {"region": region}},
            "service": {
                "pipelines": {
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["memory_limiter", "batch"],
                        "exporters": ["awsxray"],
                    },
                    "metrics": None,
                    "logs": None,
                }
            },
        },
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": RESTRICTED_CONTAINER,
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"memory": "512Mi"},
        },
        # With one replica a budget would block every drain; with two, one stays up.
        "podDisruptionBudget": {"enabled": replicas > 1, "minAvailable": 1},
    }


class Telemetry(pulumi.ComponentResource):
    log_group_names: dict[str, pulumi.Output[str]]
    fluent_bit_role_arn: pulumi.Output[str]
    collector_role_arn: pulumi.Output[str]
    collector_endpoint: str

    def __init__(
        self, name: str, args: TelemetryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:telemetry:Telemetry", name, None, opts)
        if args.collector_replicas < 1:
            raise ValueError("collector_replicas: at least one collector is needed")
        oidc = pulumi.Output.all(args.oidc_provider_arn, args.oidc_provider_url)

        def irsa_role(role: str, namespace: str, service_account: str) -> aws.iam.Role:
            return aws.iam.Role(
                f"{name}-{role}",
                description=(
                    f"IRSA role of {role} in EKS cluster {args.cluster_name}, for service account "
                    f"{namespace}/{service_account}"
                ),
                assume_role_policy=oidc.apply(
                    lambda p: irsa_trust_policy(p[0], p[1], namespace, service_account)
                ),
                opts=child(self),
            )

        # -- logs ------------------------------------------------------------------------------
        groups = {
            role: aws.cloudwatch.LogGroup(
                f"{name}-{role}-logs",
                name=log_group_name(args.cluster_name, role),
                retention_in_days=args.log_retention_days,
                kms_key_id=args.log_kms_key_arn,
                opts=child(self),
            )
            for role in LOG_GROUP_ROLES
        }
        fluent_bit_role = irsa_role("fluent-bit", args.logging_namespace, "fluent-bit")
        fluent_bit_grant = aws.iam.RolePolicy(
            f"{name}-fluent-bit",
            role=fluent_bit_role.id,
            policy=pulumi.Output.all(*[g.arn for g in groups.values()]).apply(log_shipping_policy),
            opts=child(self),
        )
        logging_ns = k8s.core.v1.Namespace(
            f"{name}-logging",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.logging_namespace,
                labels={
                    # hostPath (the node's /var/log) is beyond `baseline`.
                    "pod-security.kubernetes.io/enforce": "privileged",
                    "pod-security.kubernetes.io/audit": "baseline",
                    "pod-security.kubernetes.io/warn": "baseline",
                },
            ),
            opts=child(self),
        )
        # Fluent Bit serves nothing: no pod may reach the logging namespace.
        k8s.networking.v1.NetworkPolicy(
            f"{name}-logging-deny-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="default-deny-ingress",
                namespace=logging_ns.metadata.apply(lambda m: str(m.name)),
            ),
            spec=default_deny_ingress_spec(),
            opts=child(self),
        )
        names = {role: log_group_name(args.cluster_name, role) for role in LOG_GROUP_ROLES}
        platform = platform_namespaces(args)
        k8s.helm.v3.Release(
            f"{name}-fluent-bit",
            name="fluent-bit",
            chart="fluent-bit",
            version=args.fluent_bit_chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=FLUENT_BIT_CHART_REPOSITORY),
            namespace=logging_ns.metadata.apply(lambda m: str(m.name)),
            values=fluent_bit_role.arn.apply(
                lambda arn: fluent_bit_values(args.region, arn, names, platform)
            ),
            opts=child(self, depends_on=[fluent_bit_grant, *groups.values()]),
        )

        # -- traces ----------------------------------------------------------------------------
        collector_role = irsa_role("collector", args.tracing_namespace, "otel-collector")
        collector_grant = aws.iam.RolePolicy(
            f"{name}-collector",
            role=collector_role.id,
            policy=tracing_policy(),
            opts=child(self),
        )
        tracing_ns = k8s.core.v1.Namespace(
            f"{name}-tracing",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.tracing_namespace, labels=pod_security_labels("restricted")
            ),
            opts=child(self),
        )
        tracing_name = tracing_ns.metadata.apply(lambda m: str(m.name))
        k8s.networking.v1.NetworkPolicy(
            f"{name}-tracing-deny-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="default-deny-ingress", namespace=tracing_name
            ),
            spec=default_deny_ingress_spec(),
            opts=child(self),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-collector-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="otlp-ingress", namespace=tracing_name),
            spec=collector_ingress_spec(),
            opts=child(self),
        )
        k8s.helm.v3.Release(
            f"{name}-collector",
            name="otel-collector",
            chart="opentelemetry-collector",
            version=args.collector_chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=COLLECTOR_CHART_REPOSITORY),
            namespace=tracing_name,
            values=collector_role.arn.apply(
                lambda arn: collector_values(args.region, arn, args.collector_replicas)
            ),
            opts=child(self, depends_on=[collector_grant]),
        )

        self.log_group_names = {role: g.name for role, g in groups.items()}
        self.fluent_bit_role_arn = fluent_bit_role.arn
        self.collector_role_arn = collector_role.arn
        self.collector_endpoint = collector_endpoint(args.tracing_namespace)
        self.register_outputs(
            {
                "logGroupNames": self.log_group_names,
                "fluentBitRoleArn": self.fluent_bit_role_arn,
                "collectorRoleArn": self.collector_role_arn,
                "collectorEndpoint": self.collector_endpoint,
            }
        )
