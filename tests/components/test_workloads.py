"""Workloads: one Deployment per persona, in its namespace under its IRSA service account, with
the hardened pod, probes, resources, state and scratch volumes and the agents' environment."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from baseline.personas import load_personas
from components.workloads import (
    AgentRecords,
    AgentWorkload,
    ResolvedRecords,
    Workloads,
    WorkloadsArgs,
    check_workloads,
    migration_job_spec,
)
from tests.conftest import run_component
from toolchain.export import Resource, StackExport

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
JOB = "kubernetes:batch/v1:Job"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0f0f0f0f-aBcDeF"
DB_HOST = "baseline-prod.c0123456789.us-east-1.rds.amazonaws.com"
DIGEST = "sha256:" + "0f" * 32
IMAGE = f"ghcr.io/platform-team/baseline-agents@{DIGEST}"


@pytest.fixture(scope="module")
def export() -> StackExport:
    def program() -> dict[str, Any]:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        workloads = Workloads(
            "workloads",
            WorkloadsArgs(
                stack="prod",
                region="us-east-1",
                image=IMAGE,
                agents=[
                    AgentWorkload(p.name, p.namespace, p.service_account) for p in load_personas()
                ],
                interval_seconds=120,
                otlp_endpoint="http://otel-collector.tracing:4318",
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )
        return {"deployments": workloads.deployment_names}

    return run_component(program)


def deployments(export: StackExport) -> dict[str, Resource]:
    """Deployments by persona (children are named `workloads-<persona>`; the stack's other
    Deployments, such as the MCP server's, are not agents)."""
    return {
        r.name.removeprefix("workloads-"): r
        for r in export.of_type(DEPLOYMENT)
        if r.name.startswith("workloads-")
    }


def container(deployment: Resource) -> dict[str, Any]:
    (only,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    return only


def env(deployment: Resource) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(deployment)["env"]}


def test_one_deployment_per_persona_in_its_namespace_under_its_service_account(export):
    found = deployments(export)
    personas = {p.name: p for p in load_personas()}
    assert set(found) == set(personas)
    for name, deployment in found.items():
        persona = personas[name]
        assert deployment.inputs["metadata"]["namespace"] == persona.namespace, deployment.urn
        pod = deployment.inputs["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == persona.service_account, deployment.urn
        assert pod["automountServiceAccountToken"] is False, deployment.urn
        assert deployment.inputs["spec"]["replicas"] == 1, deployment.urn


def test_each_runs_its_personas_loop_on_this_stack(export):
    for name, deployment in deployments(export).items():
        c = container(deployment)
        assert c["command"] + c["args"] == [
            "python",
            "-m",
            "agents",
            "run",
            name,
            "--stack",
            "prod",
            "--interval",
            "120",
        ], deployment.urn
        assert c["image"] == IMAGE and c["imagePullPolicy"] == "IfNotPresent", deployment.urn


def test_pod_and_container_are_locked_down(export):
    for deployment in deployments(export).values():
        pod = deployment.inputs["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, deployment.urn
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        context = container(deployment)["securityContext"]
        assert context == {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }, deployment.urn


def test_probes_hit_the_agents_health_endpoints(export):
    for deployment in deployments(export).values():
        c = container(deployment)
        assert c["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"}]
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", deployment.urn
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", deployment.urn
        assert c["livenessProbe"]["httpGet"]["port"] == "health", deployment.urn


def test_requests_limits_and_writable_volumes_only_where_needed(export):
    for deployment in deployments(export).values():
        c = container(deployment)
        assert set(c["resources"]["requests"]) == {"cpu", "memory"}, deployment.urn
        assert set(c["resources"]["limits"]) == {"cpu", "memory"}, deployment.urn
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert mounts == {"/var/lib/baseline-agents": "state", "/tmp": "tmp"}, deployment.urn
        volumes = deployment.inputs["spec"]["template"]["spec"]["volumes"]
        assert all("emptyDir" in v for v in volumes), deployment.urn


def test_environment_selects_dynamodb_the_stacks_own_key_health_and_traces(export):
    for name, deployment in deployments(export).items():
        e = env(deployment)
        assert e["AGENTS_LOCK_BACKEND"] == "dynamodb", deployment.urn
        # unset in the args: the stack's own key, the one personas.yaml lets its personas read
        assert e["AGENTS_APPROVAL_KEY_SECRET"] == "baseline-agents/prod/approval-key"
        assert e["AGENTS_STATE_DIR"] == "/var/lib/baseline-agents"
        assert (e["AGENTS_HEALTH_PORT"], e["AGENTS_HEALTH_HOST"]) == ("8080", "0.0.0.0")
        assert e["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.tracing:4318"
        assert e["OTEL_RESOURCE_ATTRIBUTES"] == "deployment.environment=prod"
        assert e["POD_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}, name


def test_no_disruption_budget_for_single_replica_agents(export):
    assert export.of_type("kubernetes:policy/v1:PodDisruptionBudget") == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"image": "ghcr.io/x/agents"}, "repository:tag"),
        ({"image": "ghcr.io/x/agents@sha256:abc"}, "repository:tag"),
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"agents": [AgentWorkload("a", "n", "s"), AgentWorkload("a", "m", "t")]}, "twice"),
    ],
)
def test_bad_args_are_refused(overrides, message):
    base = {"stack": "dev", "region": "us-east-1", "image": "ghcr.io/x/agents:1"}
    with pytest.raises(ValueError, match=message):
        check_workloads(WorkloadsArgs(**{**base, **overrides}))


@pytest.mark.parametrize(("stack", "pinned"), [("dev", False), ("prod", True)])
def test_each_stack_pulls_the_configured_image(stack, pinned, dev, prod):
    export = dev if stack == "dev" else prod
    images = {container(d)["image"] for d in deployments(export).values()}
    assert len(images) == 1
    (image,) = images
    assert ("@sha256:" in image) == pinned, image
    assert len(deployments(export)) == len(load_personas())


# -- records on PostgreSQL and CloudWatch Logs ----------------------------------------------------


@pytest.fixture(scope="module")
def with_records() -> StackExport:
    def program() -> dict[str, Any]:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        workloads = Workloads(
            "workloads",
            WorkloadsArgs(
                stack="prod",
                region="us-east-1",
                image=IMAGE,
                agents=[
                    AgentWorkload(p.name, p.namespace, p.service_account) for p in load_personas()
                ],
                records=AgentRecords(
                    pg_host=DB_HOST,
                    pg_port=5432,
                    audit_log_group="/baseline/prod/agents/audit",
                    master_secret_arn=SECRET,
                    migration_namespace="agents-records",
                    migration_service_account="records-migrate",
                ),
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )
        return {"job": workloads.migration_job_name}

    return run_component(program)


def job(export: StackExport) -> Resource:
    (only,) = export.of_type(JOB)
    return only


def test_without_records_the_agents_keep_them_in_the_pod_and_no_job_runs(export):
    assert export.of_type(JOB) == []
    for deployment in deployments(export).values():
        assert not [k for k in env(deployment) if "_PG_" in k or "RECORDS" in k], deployment.urn


def test_each_agent_keeps_its_records_on_postgres_as_its_own_user_and_in_the_audit_group(
    with_records,
):
    for name, deployment in deployments(with_records).items():
        e = env(deployment)
        assert {
            k: e[k] for k in e if k.startswith(("AGENTS_PG_", "AGENTS_RECORDS", "AGENTS_AUDIT"))
        } == {
            "AGENTS_RECORDS_BACKEND": "postgres",
            "AGENTS_PG_HOST": DB_HOST,
            "AGENTS_PG_PORT": "5432",
            "AGENTS_PG_DATABASE": "agents",
            "AGENTS_PG_USER": "agent_" + name.replace("-", "_"),
            "AGENTS_PG_AUTH": "iam",
            "AGENTS_PG_SSLROOTCERT": "/etc/ssl/certs/rds-global-bundle.pem",
            "AGENTS_AUDIT_SINK": "cloudwatch",
            "AGENTS_AUDIT_LOG_GROUP": "/baseline/prod/agents/audit",
            "AGENTS_AUDIT_WRITER": name,
        }, deployment.urn


def test_no_pod_carries_a_password_or_the_master_secret(with_records):
    for resource in [*with_records.of_type(DEPLOYMENT), job(with_records)]:
        pod = resource.inputs["spec"]["template"]["spec"]
        names = [e["name"] for c in pod["containers"] for e in c.get("env", [])]
        assert not [n for n in names if "PASSWORD" in n], resource.urn
        if resource.type == DEPLOYMENT:
            assert "AGENTS_PG_MASTER_SECRET" not in names, resource.urn


def test_the_migration_job_makes_every_persona_user_as_the_master_secret_holder(with_records):
    migrate = job(with_records)
    assert migrate.inputs["metadata"]["name"] == "agents-records-migrate", migrate.urn
    assert migrate.inputs["metadata"]["namespace"] == "agents-records", migrate.urn
    pod = migrate.inputs["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "records-migrate", migrate.urn
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    (c,) = pod["containers"]
    users = ",".join("agent_" + p.name.replace("-", "_") for p in load_personas())
    assert c["command"] + c["args"] == [
        "python",
        "-m",
        "agents",
        "records",
        "migrate",
        "--personas",
        users,
    ], migrate.urn
    e = {v["name"]: v["value"] for v in c["env"]}
    assert e["AGENTS_PG_MASTER_SECRET"] == SECRET, migrate.urn
    assert (e["AGENTS_PG_HOST"], e["AGENTS_PG_PORT"], e["AGENTS_PG_DATABASE"]) == (
        DB_HOST,
        "5432",
        "agents",
    )
    assert e["AGENTS_PG_SSLROOTCERT"] == "/etc/ssl/certs/rds-global-bundle.pem"
    # The master's acts go on the record beyond the Job's pod, in a stream of their own.
    assert (e["AGENTS_AUDIT_SINK"], e["AGENTS_AUDIT_WRITER"]) == ("cloudwatch", "records-migrate")
    assert e["AGENTS_AUDIT_LOG_GROUP"].endswith("/agents/audit")
    assert (
        migrate.inputs["spec"]["backoffLimit"] >= 1
        and "ttlSecondsAfterFinished" not in (migrate.inputs["spec"])
    )


def test_the_migration_pod_is_as_hardened_as_the_agents(with_records):
    migrate = job(with_records)
    agent = next(iter(deployments(with_records).values()))
    pod = migrate.inputs["spec"]["template"]["spec"]
    agent_pod = agent.inputs["spec"]["template"]["spec"]
    assert pod["securityContext"] == agent_pod["securityContext"], migrate.urn
    (c,) = pod["containers"]
    assert c["securityContext"] == container(agent)["securityContext"], migrate.urn
    assert c["image"] == IMAGE and c["resources"]["limits"]["memory"], migrate.urn
    assert pod["volumes"] == agent_pod["volumes"], migrate.urn


def test_no_agent_starts_before_the_migration(with_records):
    migrate = job(with_records)
    for deployment in deployments(with_records).values():
        assert migrate.urn in deployment.dependencies, deployment.urn


def test_the_migration_makes_the_readers_too_and_runs_for_them_alone():
    args = WorkloadsArgs(stack="dev", region="us-east-1", image="ghcr.io/x/agents:1")
    records = ResolvedRecords(
        pg_host=DB_HOST,
        pg_port=5432,
        audit_log_group="/baseline/dev/agents/audit",
        master_secret_arn=SECRET,
        migration_namespace="agents-records",
        migration_service_account="records-migrate",
        readers=("agent_mcp_reader",),
    )
    (c,) = migration_job_spec(args, records, ["agent_a"])["template"]["spec"]["containers"]
    assert c["args"] == [
        "records", "migrate", "--personas", "agent_a", "--readers", "agent_mcp_reader"
    ]  # fmt: skip
    with pytest.raises(ValueError, match="readers"):
        migration_job_spec(args, records, ["agent_mcp_reader"])

    def program() -> dict[str, Any]:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        workloads = Workloads(
            "workloads",
            WorkloadsArgs(
                stack="dev",
                region="us-east-1",
                image=IMAGE,
                records=AgentRecords(
                    pg_host=DB_HOST,
                    pg_port=5432,
                    audit_log_group="/baseline/dev/agents/audit",
                    master_secret_arn=SECRET,
                    migration_namespace="agents-records",
                    migration_service_account="records-migrate",
                    readers=["agent_mcp_reader"],
                ),
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )
        return {"job": workloads.migration_job_name}

    only_readers = run_component(program)
    (c,) = job(only_readers).inputs["spec"]["template"]["spec"]["containers"]
    assert c["args"] == ["records", "migrate", "--readers", "agent_mcp_reader"]


def test_the_migration_is_handed_an_arn_never_a_credential():
    args = WorkloadsArgs(stack="dev", region="us-east-1", image="ghcr.io/x/agents:1")
    records = ResolvedRecords(
        pg_host=DB_HOST,
        pg_port=5432,
        audit_log_group="/baseline/dev/agents/audit",
        master_secret_arn="s3cr3t",
        migration_namespace="agents-records",
        migration_service_account="records-migrate",
    )
    with pytest.raises(ValueError, match="ARN"):
        migration_job_spec(args, records, ["agent_a"])


# -- findings announced on the stack's topics -----------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_agent_announces_on_its_stacks_topics_and_may_do_nothing_else_there(stack, dev, prod):
    """The plan wires notifications: each agent's pod names this stack's alert topic (and the
    paging topic where the stack has one), and its IRSA role may publish to exactly those and
    use exactly their key for it."""
    export = dev if stack == "dev" else prod
    topics = {r.name: r.outputs.get("arn") for r in export.of_type("aws:sns/topic:Topic")}
    alert = next(arn for name, arn in topics.items() if name.endswith("alerts"))
    pages = [arn for name, arn in topics.items() if "page" in name]
    keys = {r.name: r.outputs.get("arn") for r in export.of_type("aws:kms/key:Key")}
    alert_key = next(arn for name, arn in keys.items() if name.endswith("alerts"))
    policies = {r.name: r for r in export.of_type("aws:iam/rolePolicy:RolePolicy")}
    for persona, deployment in deployments(export).items():
        settings = env(deployment)
        assert json.loads(settings["AGENTS_NOTIFY_TOPICS"]) == {stack: alert}, persona
        if pages:
            assert json.loads(settings["AGENTS_NOTIFY_PAGING_TOPICS"]) == {stack: pages[0]}
        else:
            assert "AGENTS_NOTIFY_PAGING_TOPICS" not in settings
        document = json.loads(policies[f"workloads-{persona}-notify"].inputs["policy"])
        grants = {
            (tuple(sorted(_listed(s["Action"]))), tuple(sorted(_listed(s["Resource"]))))
            for s in document["Statement"]
        }
        assert grants == {
            (("sns:Publish",), tuple(sorted([alert, *pages[:1]]))),
            (("kms:Decrypt", "kms:GenerateDataKey*"), (alert_key,)),
        }, persona


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
