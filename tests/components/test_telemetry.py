"""Telemetry: the container log groups (retention, KMS), Fluent Bit's role and values, and the
OpenTelemetry collector's role, values and endpoint."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.telemetry import (
    XRAY_ACTIONS,
    Telemetry,
    TelemetryArgs,
    collector_endpoint,
    fluent_bit_config,
    log_shipping_policy,
)
from tests.conftest import run_component
from toolchain.export import Resource, StackExport

ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
KEY = "arn:aws:kms:us-east-1:123456789012:key/logs"
RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


@pytest.fixture(scope="module")
def export() -> StackExport:
    def program() -> dict[str, Any]:
        aws_provider = aws.Provider("aws", region="us-east-1")
        k8s_provider = k8s.Provider("k8s", kubeconfig="{}")
        telemetry = Telemetry(
            "telemetry",
            TelemetryArgs(
                cluster_name="baseline-dev",
                region="us-east-1",
                oidc_provider_arn=PROVIDER_ARN,
                oidc_provider_url=ISSUER,
                log_retention_days=14,
                log_kms_key_arn=KEY,
                collector_replicas=2,
            ),
            pulumi.ResourceOptions(providers=[aws_provider, k8s_provider]),
        )
        return {"endpoint": telemetry.collector_endpoint, "groups": telemetry.log_group_names}

    return run_component(program)


def by_name(export: StackExport, type_token: str) -> dict[str, Resource]:
    return {r.name: r for r in export.of_type(type_token)}


def release(export: StackExport, name: str) -> Resource:
    (found,) = [r for r in export.of_type(RELEASE) if r.inputs["name"] == name]
    return found


def trust(role: Resource) -> dict[str, str]:
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    return statement["Condition"]["StringEquals"]


def test_container_log_groups_keep_their_retention_under_the_logging_key(export):
    groups = by_name(export, "aws:cloudwatch/logGroup:LogGroup")
    assert {g.inputs["name"] for g in groups.values()} == {
        "/aws/eks/baseline-dev/platform",
        "/aws/eks/baseline-dev/workloads",
    }
    for group in groups.values():
        assert group.inputs["retentionInDays"] == 14, group.urn
        assert group.inputs["kmsKeyId"] == KEY, group.urn
    assert export.stack_outputs["groups"] == {
        "platform": "/aws/eks/baseline-dev/platform",
        "workloads": "/aws/eks/baseline-dev/workloads",
    }


def test_fluent_bit_may_only_write_streams_of_those_groups(export):
    role = by_name(export, ROLE)["telemetry-fluent-bit"]
    assert trust(role) == {
        f"{ISSUER}:sub": "system:serviceaccount:logging:fluent-bit",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }, role.urn
    policy = by_name(export, ROLE_POLICY)["telemetry-fluent-bit"]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert set(statement["Action"]) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    }, policy.urn
    arns = {g.outputs["arn"] for g in export.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert set(statement["Resource"]) == arns | {f"{a}:log-stream:*" for a in arns}, policy.urn


def test_fluent_bit_runs_everywhere_and_ships_to_the_declared_groups_only(export):
    fluent_bit = release(export, "fluent-bit")
    values = fluent_bit.inputs["values"]
    role = by_name(export, ROLE)["telemetry-fluent-bit"]
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": role.outputs["arn"]
    }
    assert values["tolerations"] == [{"operator": "Exists"}]
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    assert values["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    outputs = values["config"]["outputs"]
    assert outputs.count("auto_create_group   Off") == 2
    assert "log_group_name      /aws/eks/baseline-dev/platform" in outputs
    assert "log_group_name      /aws/eks/baseline-dev/workloads" in outputs
    assert fluent_bit.inputs["namespace"] == "logging"


def test_the_platform_namespaces_are_split_from_the_workloads():
    config = fluent_bit_config(
        "us-east-1",
        {"platform": "/p", "workloads": "/w"},
        ["kube-system", "karpenter"],
    )
    platform = "/var/log/containers/*_kube-system_*.log,/var/log/containers/*_karpenter_*.log"
    assert f"Path              {platform}\n" in config["inputs"]
    assert f"Exclude_Path      {platform}\n" in config["inputs"]
    assert "Kube_Tag_Prefix     workloads.var.log.containers." in config["filters"]


def test_log_shipping_policy_lists_each_group_and_its_streams():
    (statement,) = json.loads(log_shipping_policy(["arn:g"]))["Statement"]
    assert statement["Resource"] == ["arn:g", "arn:g:log-stream:*"]


def test_collector_role_holds_only_xrays_actions(export):
    role = by_name(export, ROLE)["telemetry-collector"]
    assert trust(role) == {
        f"{ISSUER}:sub": "system:serviceaccount:tracing:otel-collector",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }, role.urn
    policy = by_name(export, ROLE_POLICY)["telemetry-collector"]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Action"] == list(XRAY_ACTIONS), policy.urn


def test_collector_receives_otlp_and_exports_traces_to_xray(export):
    collector = release(export, "otel-collector")
    values = collector.inputs["values"]
    assert values["mode"] == "deployment" and values["fullnameOverride"] == "otel-collector"
    config = values["config"]
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    assert config["exporters"] == {"awsxray": {"region": "us-east-1"}}
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["receivers"] == ["otlp"]
    assert pipelines["traces"]["exporters"] == ["awsxray"]
    assert pipelines["metrics"] is None and pipelines["logs"] is None
    assert values["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert values["securityContext"]["runAsNonRoot"] is True
    assert collector.inputs["namespace"] == "tracing"


def test_the_endpoint_the_agents_send_to_is_the_collectors_service(export):
    assert export.stack_outputs["endpoint"] == "http://otel-collector.tracing:4318"
    assert collector_endpoint("otel") == "http://otel-collector.otel:4318"


def test_one_collector_gets_no_disruption_budget(dev, prod):
    budgets = {}
    for stack, export in (("dev", dev), ("prod", prod)):
        values = release(export, "otel-collector").inputs["values"]
        budgets[stack] = (values["replicaCount"], values["podDisruptionBudget"]["enabled"])
    assert budgets == {"dev": (1, False), "prod": (2, True)}


def test_tracing_is_restricted_and_logging_privileged_for_its_host_path(export):
    labels = {
        n.inputs["metadata"]["name"]: n.inputs["metadata"]["labels"]
        for n in export.of_type("kubernetes:core/v1:Namespace")
    }
    assert labels["tracing"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["logging"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["logging"]["pod-security.kubernetes.io/warn"] == "baseline"
