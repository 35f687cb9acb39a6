"""The composed program, per stack: what the issue asks each stack to be, checked on the plan."""

import json
from typing import Any

import pytest

from baseline.personas import load_personas
from tests.conftest import plan, stack_account, stack_values
from toolchain.export import StackExport
from toolchain.plan import PlanError

GRAVITON_FAMILY_SUFFIX = ("g", "gd", "gn", "ge")


def custom(export: StackExport, type_token: str):
    return export.of_type(type_token)


def test_dev_has_one_nat_gateway_and_prod_one_per_az(dev, prod):
    assert len(custom(dev, "aws:ec2/natGateway:NatGateway")) == 1
    assert len(custom(prod, "aws:ec2/natGateway:NatGateway")) == 3


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_node_group_is_graviton_on_the_arm64_al2023_ami(stack, dev, prod):
    export = dev if stack == "dev" else prod
    groups = custom(export, "aws:eks/nodeGroup:NodeGroup")
    assert groups
    for ng in groups:
        assert ng.inputs["amiType"] == "AL2023_ARM_64_STANDARD", ng.urn
        for t in ng.inputs["instanceTypes"]:
            family = t.split(".")[0]
            assert family.rstrip("abcdefghijklmnopqrstuvwxyz") != family  # a generation digit
            assert any(family.endswith(s) for s in GRAVITON_FAMILY_SUFFIX), f"{ng.urn}: {t}"


def test_dev_workloads_run_on_spot_across_three_families(dev):
    groups = custom(dev, "aws:eks/nodeGroup:NodeGroup")
    workload = [g for g in groups if g.inputs.get("labels", {}).get("role") != "system"]
    assert len(workload) == 1
    (spot,) = workload
    assert spot.inputs["capacityType"] == "SPOT", spot.urn
    families = {t.split(".")[0] for t in spot.inputs["instanceTypes"]}
    assert len(families) >= 3, spot.urn


def test_prod_runs_an_on_demand_baseline_with_karpenter_burst(prod):
    groups = custom(prod, "aws:eks/nodeGroup:NodeGroup")
    workload = [g for g in groups if g.inputs.get("labels", {}).get("role") != "system"]
    (baseline,) = workload
    assert baseline.inputs["capacityType"] == "ON_DEMAND", baseline.urn
    scaling = baseline.inputs["scalingConfig"]
    assert scaling["minSize"] == scaling["maxSize"] >= 2, baseline.urn
    (pool,) = custom(prod, "kubernetes:karpenter.sh/v1:NodePool")
    capacity = next(
        r
        for r in pool.inputs["spec"]["template"]["spec"]["requirements"]
        if r["key"] == "karpenter.sh/capacity-type"
    )
    assert set(capacity["values"]) == {"spot", "on-demand"}, pool.urn


@pytest.mark.slow
def test_without_karpenter_the_managed_groups_scale_as_before():
    export = plan(
        "prod",
        autoscaler="none",
        workloadOnDemandMax=6,
        workloadSpotMax=10,
        chaosExperiments=["az-network", "rds-failover"],  # no Karpenter nodes to interrupt
    )
    assert custom(export, "kubernetes:karpenter.sh/v1:NodePool") == []
    assert custom(export, "aws:sqs/queue:Queue") == []
    groups = {g.name: g for g in custom(export, "aws:eks/nodeGroup:NodeGroup")}
    assert groups["cluster-workload-spot"].inputs["scalingConfig"]["maxSize"] == 10
    subnets = custom(export, "aws:ec2/subnet:Subnet")
    assert not any("karpenter.sh/discovery" in (s.inputs.get("tags") or {}) for s in subnets)


@pytest.mark.slow
def test_cloudtrail_only_where_configured(dev, prod):
    assert custom(dev, "aws:cloudtrail/trail:Trail") == []
    (trail,) = custom(prod, "aws:cloudtrail/trail:Trail")
    for key in ("isMultiRegionTrail", "includeGlobalServiceEvents", "enableLogFileValidation"):
        assert trail.inputs[key] is True, f"{trail.urn}: {key}"
    assert trail.inputs["kmsKeyId"] and trail.inputs["cloudWatchLogsGroupArn"], trail.urn
    on = plan("dev", enableCloudTrail=True)
    assert len(custom(on, "aws:cloudtrail/trail:Trail")) == 1


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_database_is_encrypted_gp3_private_and_has_no_password(stack, dev, prod):
    export = dev if stack == "dev" else prod
    (db,) = custom(export, "aws:rds/instance:Instance")
    assert db.inputs["storageEncrypted"] is True and db.inputs["kmsKeyId"], db.urn
    assert db.inputs["storageType"] == "gp3", db.urn
    assert db.inputs.get("publiclyAccessible") is False, db.urn
    assert "password" not in db.inputs and db.inputs["manageMasterUserPassword"] is True, db.urn
    db_subnets = set(export.stack_outputs["databaseSubnetIds"])
    (group,) = custom(export, "aws:rds/subnetGroup:SubnetGroup")
    assert set(group.inputs["subnetIds"]) == db_subnets, group.urn


def test_database_reachable_only_from_the_nodes(dev):
    (rule,) = custom(dev, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == dev.stack_outputs["nodeSecurityGroupId"]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (5432, 5432)


def test_prod_replicates_backups_to_the_dr_region_and_dev_does_not(dev, prod):
    assert (
        custom(
            dev, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
        )
        == []
    )
    (rep,) = custom(
        prod, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
    )
    provider = prod.index[rep.provider_urn or ""]
    assert provider.inputs["region"] == "us-west-2", rep.urn
    key = next(
        r for r in custom(prod, "aws:kms/key:Key") if r.outputs["arn"] == rep.inputs["kmsKeyId"]
    )
    assert prod.index[key.provider_urn or ""].inputs["region"] == "us-west-2", key.urn


def test_prod_database_is_multi_az_protected_and_keeps_backups(prod):
    (db,) = custom(prod, "aws:rds/instance:Instance")
    assert db.inputs["multiAz"] is True and db.inputs["deletionProtection"] is True, db.urn
    assert db.inputs["backupRetentionPeriod"] >= 7, db.urn
    assert db.inputs["skipFinalSnapshot"] is False and db.inputs["deleteAutomatedBackups"] is False
    assert db.raw.get("protect") is True, db.urn


# The platform's own IRSA service accounts, beside one per persona.
PLATFORM_SERVICE_ACCOUNTS = {
    ("karpenter", "karpenter"),
    ("logging", "fluent-bit"),
    ("tracing", "otel-collector"),
    ("agents-records", "records-migrate"),
    ("agents-mcp", "agents-mcp"),
    ("kube-system", "ebs-csi-controller-sa"),
    ("kube-system", "aws-load-balancer-controller"),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_irsa_trust_policy_pins_sub_and_aud(stack, dev, prod):
    export = dev if stack == "dev" else prod
    personas = {(p.namespace, p.service_account): p.name for p in load_personas()}
    roles = [
        r
        for r in custom(export, "aws:iam/role:Role")
        if "AssumeRoleWithWebIdentity" in r.inputs["assumeRolePolicy"]
    ]
    assert len(roles) == len(personas) + len(PLATFORM_SERVICE_ACCOUNTS)
    seen = set()
    for role in roles:
        (stmt,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        cond = stmt["Condition"]["StringEquals"]
        sub = next(v for k, v in cond.items() if k.endswith(":sub"))
        aud = next(v for k, v in cond.items() if k.endswith(":aud"))
        assert aud == "sts.amazonaws.com", role.urn
        _, _, ns, sa = sub.split(":")
        seen.add((ns, sa))
    assert seen == set(personas) | PLATFORM_SERVICE_ACCOUNTS


def test_agent_namespaces_are_pss_restricted(dev):
    namespaces = {p.namespace for p in load_personas()}
    found = {
        n.inputs["metadata"]["name"]: n
        for n in custom(dev, "kubernetes:core/v1:Namespace")
        if n.inputs["metadata"]["name"] in namespaces
    }
    assert set(found) == namespaces
    for ns in found.values():
        labels = ns.inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", ns.urn


def test_dev_cluster_hosts_its_environments_as_namespaces(dev):
    names = {n.inputs["metadata"]["name"] for n in custom(dev, "kubernetes:core/v1:Namespace")}
    assert {"dev", "staging", "qa"} <= names
    assert len(custom(dev, "aws:eks/cluster:Cluster")) == 1


def test_eks_endpoint_is_private_in_prod_and_allow_listed_in_dev(dev, prod):
    (p,) = custom(prod, "aws:eks/cluster:Cluster")
    assert p.inputs["vpcConfig"]["endpointPublicAccess"] is False, p.urn
    (d,) = custom(dev, "aws:eks/cluster:Cluster")
    assert d.inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"], d.urn


def test_stack_outputs_give_operators_what_they_need(prod):
    out = prod.stack_outputs
    for key in (
        "vpcId",
        "privateSubnetIds",
        "clusterName",
        "clusterEndpoint",
        "kubeconfig",
        "oidcProviderArn",
        "agentRoleArns",
        "containerLogGroups",
        "otlpEndpoint",
        "databaseEndpoint",
        "databaseSecretArn",
        "trailArn",
        "alertTopicArn",
    ):
        assert out.get(key), key
    assert out["kubeconfig"].get("ciphertext"), "the kubeconfig is exported as a secret"


def test_a_bad_value_stops_the_plan_naming_the_key():
    with pytest.raises(PlanError, match="'baseline:azCount'"):
        plan("dev", azCount=1)


def test_every_namespace_the_program_runs_pods_in_denies_ingress_by_default(each_stack):
    """Each namespace the program runs workloads in (its Deployments, DaemonSets and Helm
    releases) has a NetworkPolicy that selects all its pods for ingress and lets nothing in; what
    a namespace must accept is opened by policies of its own. (The environments' namespaces,
    where nothing of the plan runs, get theirs from components/tenants.py:
    tests/components/test_tenants.py.)"""
    kinds = (
        "kubernetes:apps/v1:Deployment",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:helm.sh/v3:Release",
    )
    running = {
        (r.inputs.get("metadata") or {}).get("namespace") or r.inputs.get("namespace"): r.urn
        for kind in kinds
        for r in each_stack.of_type(kind)
    }
    denied = {
        p.inputs["metadata"]["namespace"]
        for p in each_stack.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.inputs["spec"].get("podSelector") in ({}, None)
        and "Ingress" in p.inputs["spec"].get("policyTypes", [])
        and not p.inputs["spec"].get("ingress")
    }
    assert running, "the plan runs workloads"
    # kube-system is EKS's own namespace: CoreDNS there serves every pod, and the API server
    # calls the add-ons' webhooks and metrics-server; its controllers run on the system nodes.
    missing = {ns: urn for ns, urn in running.items() if ns not in denied | {"kube-system"}}
    assert not missing, f"namespaces running pods without default-deny ingress: {missing}"


# -- the agents' records (issue 19) -------------------------------------------------------------


@pytest.mark.parametrize(("stack", "days"), [("dev", 30), ("prod", 400)])
def test_the_audit_group_is_the_stacks_under_the_logging_key(stack, days, dev, prod):
    export = dev if stack == "dev" else prod
    groups = [
        g
        for g in custom(export, "aws:cloudwatch/logGroup:LogGroup")
        if g.inputs["name"] == f"/baseline/{stack}/agents/audit"
    ]
    (group,) = groups
    assert group.inputs["retentionInDays"] == days, group.urn
    (key,) = [k for k in custom(export, "aws:kms/key:Key") if k.name == "logging-kms"]
    assert group.inputs["kmsKeyId"] == key.outputs["arn"], group.urn
    assert export.stack_outputs["agentAuditLogGroup"] == group.inputs["name"]


def test_each_serving_persona_may_connect_as_its_own_user_and_write_the_audit_log(each_stack):
    export = each_stack
    stack = export.stack_outputs["stack"]
    roles = {r.name.removeprefix("identity-"): r for r in custom(export, "aws:iam/role:Role")}
    grants = {
        p.name.removeprefix("records-"): p
        for p in custom(export, "aws:iam/rolePolicy:RolePolicy")
        if p.name.startswith("records-") and p.name != "records-migrate"
    }
    serving = {p.name for p in load_personas() if stack in p.stacks}
    assert set(grants) == serving
    (db,) = custom(export, "aws:rds/instance:Instance")
    for name, grant in grants.items():
        assert grant.inputs["role"] == roles[name].outputs["name"], grant.urn
        doc = {s["Sid"]: s for s in json.loads(grant.inputs["policy"])["Statement"]}
        user = "agent_" + name.replace("-", "_")
        assert doc["RecordsDatabaseConnect"]["Resource"] == (
            f"arn:aws:rds-db:us-east-1:{stack_account(export)}:dbuser:{db.outputs['resourceId']}/{user}"
        ), grant.urn
        for sid in ("AuditLogStreams", "AuditLogEvents"):
            assert f":log-group:/baseline/{stack}/agents/audit:" in doc[sid]["Resource"], grant.urn


def test_the_migration_reads_the_instances_own_secret(each_stack):
    (db,) = custom(each_stack, "aws:rds/instance:Instance")
    (secret,) = db.outputs["masterUserSecrets"]
    (job,) = custom(each_stack, "kubernetes:batch/v1:Job")
    (container,) = job.inputs["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["AGENTS_PG_MASTER_SECRET"] == secret["secretArn"], job.urn
    assert env["AGENTS_PG_HOST"] == db.outputs["address"], job.urn
    grant = next(
        p
        for p in custom(each_stack, "aws:iam/rolePolicy:RolePolicy")
        if p.name == "records-migrate"
    )
    doc = {s["Sid"]: s for s in json.loads(grant.inputs["policy"])["Statement"]}
    assert doc["ReadMasterUserSecret"]["Resource"] == secret["secretArn"], grant.urn
    assert doc["DecryptMasterUserSecret"]["Resource"] == db.inputs["masterUserSecretKmsKeyId"]


# -- one account per stack ----------------------------------------------------------------------

ACCOUNTS = {"dev": "111122223333", "prod": "444455556666"}
AWS_PROVIDER = "pulumi:providers:aws"


def aws_providers(export: StackExport):
    return [r for r in export.resources if r.type == AWS_PROVIDER]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aws_provider_assumes_the_stacks_role_in_its_account_only(stack, dev, prod):
    export = dev if stack == "dev" else prod
    account = ACCOUNTS[stack]
    providers = aws_providers(export)
    assert len(providers) == (2 if stack == "prod" else 1)  # prod: the DR region's too
    for p in providers:
        assert json.loads(p.inputs["allowedAccountIds"]) == [account], p.urn
        (assume,) = json.loads(p.inputs["assumeRoles"])
        assert assume["roleArn"] == f"arn:aws:iam::{account}:role/baseline-deployer-{stack}", p.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aws_resource_is_made_by_one_of_the_stacks_providers(stack, dev, prod):
    export = dev if stack == "dev" else prod
    providers = {p.urn for p in aws_providers(export)}
    for r in export.resources:
        if r.managed and r.type.startswith("aws:"):
            assert (r.provider_urn or "") in providers, r.urn


def test_two_accounts_two_plans_no_arn_of_the_other(dev, prod):
    for export, other in ((dev, ACCOUNTS["prod"]), (prod, ACCOUNTS["dev"])):
        text = json.dumps(export.data)
        assert other not in text, f"{export.source} names the other stack's account {other}"


def test_without_a_deploy_role_the_providers_use_the_callers_credentials():
    export = plan("dev", deployRoleArn="")
    for p in aws_providers(export):
        assert "assumeRoles" not in p.inputs, p.urn
        assert json.loads(p.inputs["allowedAccountIds"]) == [ACCOUNTS["dev"]], p.urn
    names = {
        s["Sid"]
        for r in custom(export, "aws:iam/rolePolicy:RolePolicy")
        if r.name.startswith("identity-")
        for s in json.loads(r.inputs["policy"])["Statement"]
    }
    assert "AssumeStackDeployRole" not in names


@pytest.mark.slow
def test_one_account_for_both_stacks_is_an_option():
    shared = "111122223333"
    export = plan(
        "prod",
        accountId=shared,
        deployRoleArn=f"arn:aws:iam::{shared}:role/deployer",
        previewRoleArn=f"arn:aws:iam::{shared}:role/previewer",
    )
    for p in aws_providers(export):
        assert json.loads(p.inputs["allowedAccountIds"]) == [shared], p.urn


def test_a_caller_in_another_account_stops_the_program_before_any_resource():
    from baseline.config import from_pulumi  # noqa: PLC0415
    from baseline.program import build  # noqa: PLC0415
    from toolchain.plan import run_program  # noqa: PLC0415

    with pytest.raises(PlanError) as refused:
        run_program(
            "prod",
            lambda: build(from_pulumi()),
            stack_values("prod"),
            account_id=ACCOUNTS["dev"],
        )
    message = str(refused.value)
    assert "\n" not in message and "refusing stack 'prod'" in message
    assert f"account {ACCOUNTS['dev']}" in message and f"accountId is {ACCOUNTS['prod']}" in message


# -- the run's role: read-only runs assume the preview role ---------------------------------------


def run_as(
    stack: str, provider_role: str, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> tuple[StackExport, list[list[str]]]:
    """A plan of `stack` for a run that asked for `provider_role` (BASELINE_PROVIDER_ROLE), and
    the `aws eks get-token` args of every kubeconfig it made (the kubeconfig is a secret)."""
    import components.cluster  # noqa: PLC0415
    from baseline.config import from_pulumi  # noqa: PLC0415
    from baseline.program import build  # noqa: PLC0415
    from toolchain.plan import run_program  # noqa: PLC0415

    made: list[list[str]] = []
    original = components.cluster.kubeconfig

    def recording(*args: Any) -> str:
        text = original(*args)
        made.append(json.loads(text)["users"][0]["user"]["exec"]["args"])
        return text

    monkeypatch.setattr(components.cluster, "kubeconfig", recording)
    export = run_program(
        stack,
        lambda: build(from_pulumi(), provider_role=provider_role),
        stack_values(stack, **overrides),
    )
    return export, made


def role_args(args: list[str]) -> list[str]:
    return (
        args[args.index("--role-arn") : args.index("--role-arn") + 2]
        if "--role-arn" in args
        else []
    )


@pytest.mark.parametrize(
    ("stack", "provider_role"),
    [
        ("dev", "preview"),
        pytest.param("prod", "preview", marks=pytest.mark.slow),
        pytest.param("prod", "deploy", marks=pytest.mark.slow),
        pytest.param("prod", "", marks=pytest.mark.slow),
    ],
)
def test_the_providers_assume_the_role_the_run_asks_for(stack, provider_role, monkeypatch):
    """A read-only run's AWS providers (the DR one too) and the Kubernetes provider's token are
    the preview role's; a run that may change the stack (`deploy`, or unset) is the deploy
    role's, the role that created the cluster."""
    account = ACCOUNTS[stack]
    kind = "previewer" if provider_role == "preview" else "deployer"
    role = f"arn:aws:iam::{account}:role/baseline-{kind}-{stack}"
    export, kubeconfigs = run_as(stack, provider_role, monkeypatch)
    providers = aws_providers(export)
    assert len(providers) == (2 if stack == "prod" else 1)
    for p in providers:
        (assume,) = json.loads(p.inputs["assumeRoles"])
        assert assume["roleArn"] == role, p.urn
    assert kubeconfigs, "no kubeconfig made"
    for args in kubeconfigs:
        assert args[:2] == ["eks", "get-token"]
        assert role_args(args) == ["--role-arn", role]


@pytest.mark.parametrize(
    "provider_role", ["preview", pytest.param("deploy", marks=pytest.mark.slow)]
)
def test_the_preview_role_reads_the_cluster_whatever_the_runs_role(provider_role, monkeypatch):
    """Whatever the run's role, the stack's preview role has one access entry: AmazonEKSViewPolicy
    (every object but Secrets) for the whole cluster, and AmazonEKSAdminViewPolicy (Secrets too)
    in the Helm releases' namespaces, so a read-only run's Kubernetes provider reads what the
    program manages; the entry is the same resource in either run."""
    preview = f"arn:aws:iam::{ACCOUNTS['dev']}:role/baseline-previewer-dev"
    export, _ = run_as("dev", provider_role, monkeypatch)
    entries = [
        r
        for r in custom(export, "aws:eks/accessEntry:AccessEntry")
        if r.inputs["principalArn"] == preview
    ]
    associations = [
        r
        for r in custom(export, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if r.inputs["principalArn"] == preview
    ]
    assert [r.name for r in entries] == ["cluster-reader-baseline-previewer-dev"]
    assert sorted(
        (r.inputs["policyArn"].rsplit("/", 1)[-1], r.inputs["accessScope"]["type"])
        for r in associations
    ) == [("AmazonEKSAdminViewPolicy", "namespace"), ("AmazonEKSViewPolicy", "cluster")]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_preview_role_reads_secrets_exactly_where_helm_releases_keep_their_records(
    stack, request
):
    """A refresh of a Helm release reads its records (Secrets in the release's namespace): the
    preview role may read Secrets in each namespace the plan has a release in, and nowhere
    else."""
    export = request.getfixturevalue(stack)
    preview = f"arn:aws:iam::{ACCOUNTS[stack]}:role/baseline-previewer-{stack}"
    releases = {r.inputs["namespace"] for r in custom(export, "kubernetes:helm.sh/v3:Release")}
    (secrets,) = [
        r
        for r in custom(export, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if r.inputs["principalArn"] == preview
        and r.inputs["policyArn"].endswith("/AmazonEKSAdminViewPolicy")
    ]
    assert releases and set(secrets.inputs["accessScope"]["namespaces"]) == releases


@pytest.mark.slow
def test_without_roles_the_token_is_the_callers_own(monkeypatch):
    _, kubeconfigs = run_as("dev", "preview", monkeypatch, deployRoleArn="", previewRoleArn="")
    assert kubeconfigs and all("--role-arn" not in args for args in kubeconfigs)


@pytest.mark.slow
def test_a_read_only_run_without_a_preview_role_assumes_the_deploy_role_iam_decides(monkeypatch):
    """No silent least privilege: the run asks for the deploy role (and warns), and IAM lets only
    the release engineer's role assume it (baseline/personas.yaml)."""
    deploy = f"arn:aws:iam::{ACCOUNTS['dev']}:role/baseline-deployer-dev"
    export, kubeconfigs = run_as("dev", "preview", monkeypatch, previewRoleArn="")
    for p in aws_providers(export):
        assert json.loads(p.inputs["assumeRoles"])[0]["roleArn"] == deploy, p.urn
    assert all(role_args(args) == ["--role-arn", deploy] for args in kubeconfigs)


def test_an_unknown_provider_role_stops_the_program_in_one_line(monkeypatch):
    with pytest.raises(PlanError) as refused:
        run_as("dev", "admin", monkeypatch)
    message = str(refused.value)
    assert "\n" not in message and "refusing stack 'dev'" in message
    assert "BASELINE_PROVIDER_ROLE='admin'" in message


def test_the_agents_roles_may_assume_the_preview_role_and_only_the_release_engineer_deploys(dev):
    preview = f"arn:aws:iam::{ACCOUNTS['dev']}:role/baseline-previewer-dev"
    deploy = f"arn:aws:iam::{ACCOUNTS['dev']}:role/baseline-deployer-dev"
    for r in custom(dev, "aws:iam/rolePolicy:RolePolicy"):
        if not r.name.startswith("identity-"):
            continue
        assumed = {
            s["Sid"]: s["Resource"]
            for s in json.loads(r.inputs["policy"])["Statement"]
            if "sts:AssumeRole" in s["Action"]
        }
        expected = {"AssumeStackPreviewRole": [preview]}
        if r.name == "identity-release-engineer":
            expected["AssumeStackDeployRole"] = [deploy]
        assert assumed == expected, r.urn


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"accountId": "1234"}, "accountId"),
        (
            {"previewRoleArn": "arn:aws:iam::444455556666:role/baseline-previewer-prod"},
            "previewRoleArn",
        ),
        ({"previewRoleArn": "arn:aws:iam::111122223333:user/previewer"}, "previewRoleArn"),
        (
            {"previewRoleArn": "arn:aws:iam::111122223333:role/baseline-deployer-dev"},
            "previewRoleArn",
        ),
        (
            {"deployRoleArn": "arn:aws:iam::444455556666:role/baseline-deployer-prod"},
            "deployRoleArn",
        ),
        ({"deployRoleArn": "arn:aws:iam::111122223333:user/deployer"}, "deployRoleArn"),
    ],
)
def test_the_account_keys_are_checked_naming_the_key(overrides, key):
    with pytest.raises(PlanError, match=f"'baseline:{key}'"):
        plan("dev", **overrides)


@pytest.mark.parametrize(
    ("stack", "role"),
    [
        ("prod", "deployer"),
        ("dev", ""),
        pytest.param("dev", "deployer", marks=pytest.mark.slow),
    ],
)
def test_the_kubernetes_provider_gets_its_token_as_the_deploy_role(stack, role, monkeypatch):
    """The kubeconfig is a secret in the export: what the program hands to it is recorded. With
    a deploy role, `aws eks get-token --role-arn` it (the AWS providers' role, the cluster's
    creator); without one, the caller's own credentials."""
    from components import cluster  # noqa: PLC0415

    made: list[dict[str, Any]] = []
    real = cluster.kubeconfig

    def recording(*args: Any) -> str:
        text = real(*args)
        made.append(json.loads(text))
        return text

    monkeypatch.setattr(cluster, "kubeconfig", recording)
    arn = f"arn:aws:iam::{ACCOUNTS[stack]}:role/baseline-deployer-{stack}" if role else ""
    plan(stack, deployRoleArn=arn)
    (config,) = made
    (user,) = config["users"]
    argv = user["user"]["exec"]["args"]
    if arn:
        assert argv[argv.index("--role-arn") + 1] == arn
    else:
        assert "--role-arn" not in argv
