"""The in-cluster MCP endpoint (issue 22), read from each stack's plan: the Deployment and the
ClusterIP Service `agents-mcp`, the hardened pod, the environment that selects the shared token
store and the records on PostgreSQL as the read-only database user, an IRSA role that reads and
never writes (judged by the actions its statements can match, not by how they are spelled) and
may connect to the stack's database as that user only, and a namespace that lets in no pod but
those of the namespaces the stack config names, on the server's port only."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from agents.mcp.tokens import token_store_kind
from agents.protocol.settings import AgentSettings
from baseline.config import ConfigError, parse
from components.mcp import DEFAULT_PORT, NAME, McpArgs, McpRecords, check_mcp, read_policy
from components.records import MCP_DB_USER
from policies.iam_documents import Statement, action_matches, glob_contains, parse_document
from tests.conftest import plan, stack_account, stack_values
from toolchain.export import Resource, StackExport
from toolchain.gate import CONFIG_DIR, Gate

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ACCOUNT, REGION = "123456789012", "us-east-1"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/baseline-agent-locks"

# Every action the role may hold: reads, each of what the server reads. A granted pattern must lie
# inside one of these (glob containment: `dynamodb:Get*` would not, it also matches
# GetResourcePolicy; `logs:*` would not).
READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "secretsmanager:GetSecretValue",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:DescribeLogStreams",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:DescribeAlarmHistory",
    # An IAM token for the read-only database user only (judged by its resource below).
    "rds-db:connect",
)
# Writes of the services the role touches: none may be matched by any allowed pattern.
WRITE_ACTIONS = (
    *(f"dynamodb:{a}" for a in (
        "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "ConditionCheckItem",
        "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete", "CreateTable", "UpdateTable",
        "DeleteTable", "UpdateTimeToLive", "RestoreTableFromBackup", "TagResource",
    )),
    *(f"secretsmanager:{a}" for a in (
        "PutSecretValue", "CreateSecret", "UpdateSecret", "DeleteSecret", "RotateSecret",
        "RestoreSecret", "PutResourcePolicy", "TagResource",
    )),
    *(f"logs:{a}" for a in (
        "PutLogEvents", "CreateLogStream", "CreateLogGroup", "DeleteLogGroup", "DeleteLogStream",
        "PutRetentionPolicy", "DeleteRetentionPolicy", "PutSubscriptionFilter",
        "AssociateKmsKey", "TagLogGroup", "PutResourcePolicy",
    )),
    *(f"cloudwatch:{a}" for a in (
        "PutMetricData", "PutMetricAlarm", "PutCompositeAlarm", "SetAlarmState", "DeleteAlarms",
        "DisableAlarmActions", "EnableAlarmActions", "PutDashboard", "DeleteDashboards",
    )),
    "kms:Decrypt", "kms:GenerateDataKey", "sns:Publish", "sts:AssumeRole",
    "iam:PassRole", "s3:PutObject",
)  # fmt: skip


# -- reading the plan ------------------------------------------------------------------------------
def mcp_resources(export: StackExport, type_token: str) -> list[Resource]:
    """The MCP component's children of one type (children are named `mcp-<role>`)."""
    return [r for r in export.of_type(type_token) if r.name == "mcp" or r.name.startswith("mcp-")]


def deployment(export: StackExport) -> Resource:
    (found,) = [d for d in export.of_type(DEPLOYMENT) if d.inputs["metadata"]["name"] == NAME]
    return found


def pod(export: StackExport) -> dict[str, Any]:
    spec: dict[str, Any] = deployment(export).inputs["spec"]["template"]["spec"]
    return spec


def container(export: StackExport) -> dict[str, Any]:
    (only,) = pod(export)["containers"]
    return only


def resolved_env(export: StackExport) -> dict[str, str]:
    """The container's environment: literal values only (no secret, no reference)."""
    items = container(export)["env"]
    assert all(set(item) == {"name", "value"} for item in items), items
    return {item["name"]: item["value"] for item in items}


def the_role(export: StackExport) -> Resource:
    """The role only the server's service account may assume."""
    sub = f"system:serviceaccount:{NAME}:{NAME}"
    found = [r for r in export.of_type(ROLE) if sub in r.inputs["assumeRolePolicy"]]
    assert len(found) == 1, [r.urn for r in found]
    return found[0]


def statements_of(export: StackExport, role: Resource) -> list[Statement]:
    """Every statement of every policy the role holds: inline ones, and managed ones attached."""
    ids = {role.outputs.get("id"), role.outputs.get("name"), role.outputs.get("arn")} - {None}
    inline = [p for p in export.of_type(ROLE_POLICY) if p.inputs["role"] in ids]
    attached = [a for a in export.of_type(ATTACHMENT) if a.inputs["role"] in ids]
    assert not attached, f"managed policies attached to the server's role: {attached}"
    assert inline, "the server's role holds no policy"
    return [s for p in inline for s in parse_document(p.inputs["policy"], p.urn)]


def write_grants(statements: list[Statement]) -> list[str]:
    """What the allowed statements grant beyond reads: any `NotAction` (it allows everything it
    does not name), any action pattern not inside a read of READ_ACTIONS, any write of
    WRITE_ACTIONS that a pattern matches."""
    found: list[str] = []
    for s in statements:
        if s.effect != "Allow":
            continue
        if s.not_actions:
            found.append(f"{s.sid or '?'}: NotAction {list(s.not_actions)} allows nearly all")
        for pattern in s.actions or ():
            if not any(glob_contains(read, pattern, fold=True) for read in READ_ACTIONS):
                found.append(f"{s.sid or '?'}: {pattern} is not only a read")
            found += [
                f"{s.sid or '?'}: {pattern} allows {w}"
                for w in WRITE_ACTIONS
                if action_matches(pattern, w)
            ]
    return found


# -- the workload ----------------------------------------------------------------------------------
def test_one_deployment_and_a_cluster_ip_service_in_a_namespace_of_its_own(each_stack):
    d = deployment(each_stack)
    assert d.inputs["metadata"]["namespace"] == NAME, d.urn
    (service,) = mcp_resources(each_stack, SERVICE)
    spec = service.inputs["spec"]
    assert service.inputs["metadata"] == {**service.inputs["metadata"], "name": NAME}
    assert service.inputs["metadata"]["namespace"] == NAME
    assert spec["type"] == "ClusterIP", service.urn
    for key in ("externalIPs", "loadBalancerIP", "loadBalancerSourceRanges", "externalName"):
        assert key not in spec, f"{service.urn}: {key}"
    (port,) = spec["ports"]
    assert "nodePort" not in port, service.urn
    assert (port["port"], port["targetPort"], port["protocol"]) == (DEFAULT_PORT, "http", "TCP")
    labels = d.inputs["spec"]["template"]["metadata"]["labels"]
    assert spec["selector"].items() <= labels.items(), "the Service selects the server's pods"
    assert d.inputs["spec"]["selector"]["matchLabels"] == spec["selector"]
    (named,) = [p for p in container(each_stack)["ports"] if p["name"] == "http"]
    assert named == {"name": "http", "containerPort": DEFAULT_PORT, "protocol": "TCP"}
    (ns,) = mcp_resources(each_stack, NAMESPACE)
    assert ns.inputs["metadata"]["name"] == NAME
    for mode in ("enforce", "audit", "warn"):
        assert ns.inputs["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert each_stack.stack_outputs["mcpEndpoint"] == (
        f"http://{NAME}.{NAME}.svc.cluster.local:{DEFAULT_PORT}/mcp"
    )


def test_the_server_runs_the_agents_image_serving_http(dev, prod):
    for export in (dev, prod):
        agent_images = {
            c["image"]
            for d in export.of_type(DEPLOYMENT)
            if d.inputs["metadata"]["name"].startswith("agent-")
            for c in d.inputs["spec"]["template"]["spec"]["containers"]
        }
        c = container(export)
        assert agent_images == {c["image"]}, "the agents' image, as the agents pull it"
        assert c["command"] + c["args"] == [
            "python", "-m", "agents", "mcp", "--transport", "http",
            "--host", "0.0.0.0", "--port", str(DEFAULT_PORT), "--allow-any-host",
        ]  # fmt: skip
    assert "@sha256:" in container(prod)["image"], "prod pulls a digest"


def test_the_pod_is_locked_down(each_stack):
    spec = pod(each_stack)
    assert spec["automountServiceAccountToken"] is False
    for flag in ("hostNetwork", "hostPID", "hostIPC", "initContainers"):
        assert flag not in spec, flag
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container(each_stack)["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    # Only emptyDirs are writable, at the state folder and /tmp; nothing of the node.
    assert all(set(v) == {"name", "emptyDir"} for v in spec["volumes"]), spec["volumes"]
    mounts = {m["mountPath"] for m in container(each_stack)["volumeMounts"]}
    assert mounts == {"/var/lib/baseline-agents", "/tmp"}
    # Its service account carries the server's role, and no API token either.
    (account,) = mcp_resources(each_stack, SERVICE_ACCOUNT)
    assert account.inputs["metadata"]["name"] == spec["serviceAccountName"] == NAME
    assert account.inputs["automountServiceAccountToken"] is False
    annotations = account.inputs["metadata"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"] == the_role(each_stack).outputs["arn"]


def test_probes_and_resources(each_stack):
    c = container(each_stack)
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": "/healthz", "port": "http", "scheme": "HTTP"}, probe
        assert c[probe]["timeoutSeconds"] >= 1 and c[probe]["failureThreshold"] >= 3, probe
    resources = c["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


def test_prod_runs_two_spread_replicas_with_a_budget_and_dev_one(dev, prod):
    assert deployment(dev).inputs["spec"]["replicas"] == 1
    assert mcp_resources(dev, PDB) == []
    assert "topologySpreadConstraints" not in pod(dev)
    assert deployment(prod).inputs["spec"]["replicas"] == 2
    (budget,) = mcp_resources(prod, PDB)
    assert budget.inputs["spec"]["maxUnavailable"] == 1
    assert budget.inputs["spec"]["selector"] == deployment(prod).inputs["spec"]["selector"]
    (spread,) = pod(prod)["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    # A rollout adds a ready pod before it takes one away.
    assert deployment(prod).inputs["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


# -- the environment -------------------------------------------------------------------------------
def test_the_env_selects_the_shared_token_store_and_the_agents_table(each_stack, monkeypatch):
    env = resolved_env(each_stack)
    agents = next(
        d
        for d in each_stack.of_type(DEPLOYMENT)
        if d.inputs["metadata"]["name"].startswith("agent-")
    )
    (agent,) = agents.inputs["spec"]["template"]["spec"]["containers"]
    agent_env = {e["name"]: e.get("value") for e in agent["env"]}
    assert env["AGENTS_MCP_TOKEN_STORE"] == "dynamodb"
    for key in ("AGENTS_DYNAMODB_TABLE", "AGENTS_DYNAMODB_REGION", "AGENTS_APPROVAL_KEY_SECRET"):
        assert env[key] == agent_env[key], f"{key}: the table and key the agents share"
    assert env["AGENTS_LOCK_BACKEND"] == "dynamodb", "status reads the shared state"
    # Nothing that would write, or hold a credential.
    assert "AGENTS_MCP_TOKENS_SECRET" not in env and "AGENTS_PG_PASSWORD" not in env
    assert not [k for k in env if "PASSWORD" in k or k == "AGENTS_PG_MASTER_SECRET"]
    assert env.get("AGENTS_AUDIT_SINK", "file") == "file"
    # The records on the stack's PostgreSQL, as the agents reach them, but as the reader.
    assert {k: v for k, v in env.items() if k.startswith(("AGENTS_PG_", "AGENTS_RECORDS"))} == {
        "AGENTS_RECORDS_BACKEND": "postgres",
        "AGENTS_PG_HOST": agent_env["AGENTS_PG_HOST"],
        "AGENTS_PG_PORT": agent_env["AGENTS_PG_PORT"],
        "AGENTS_PG_DATABASE": agent_env["AGENTS_PG_DATABASE"],
        "AGENTS_PG_USER": MCP_DB_USER,
        "AGENTS_PG_AUTH": "iam",
        "AGENTS_PG_SSLROOTCERT": agent_env["AGENTS_PG_SSLROOTCERT"],
    }
    hosts = json.loads(env["AGENTS_MCP_ALLOWED_HOSTS"])
    assert f"{NAME}.{NAME}.svc.cluster.local:{DEFAULT_PORT}" in hosts and "localhost" in hosts
    # The agents' own settings read the environment as selecting the shared store.
    for key in [k for k in os.environ if k.startswith("AGENTS_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = AgentSettings()
    assert token_store_kind(settings) == "dynamodb"
    assert settings.mcp_token_refresh_s == 5.0
    assert settings.export_dirs == ()
    assert (settings.records_backend, settings.pg_user, settings.pg_auth) == (
        "postgres",
        MCP_DB_USER,
        "iam",
    )
    assert settings.pg_password is None


def test_the_pod_starts_after_the_migration_that_makes_its_database_user(each_stack):
    (job,) = each_stack.of_type("kubernetes:batch/v1:Job")
    (c,) = job.inputs["spec"]["template"]["spec"]["containers"]
    readers = c["args"][c["args"].index("--readers") + 1]
    assert readers == MCP_DB_USER
    assert MCP_DB_USER not in c["args"][c["args"].index("--personas") + 1].split(",")
    assert job.urn in deployment(each_stack).dependencies


# -- the role --------------------------------------------------------------------------------------
def test_the_role_allows_no_write(each_stack):
    statements = statements_of(each_stack, the_role(each_stack))
    assert write_grants(statements) == []
    granted = {a for s in statements for a in s.actions or ()}
    assert granted == set(READ_ACTIONS)
    assert not any(s.effect == "Allow" and s.not_resources for s in statements)


def db_user_arns(export: StackExport, statements: list[Statement]) -> set[str]:
    """The resources of every allowed statement that can match `rds-db:connect`."""
    return {
        r
        for s in statements
        if s.effect == "Allow" and any(action_matches(a, "rds-db:connect") for a in s.actions or ())
        for r in s.resources or ()
    }


def test_the_role_connects_to_the_stack_s_database_as_the_reader_only(each_stack):
    (instance,) = each_stack.of_type("aws:rds/instance:Instance")
    resource_id = instance.outputs["resourceId"]
    assert resource_id.startswith("db-")
    role = the_role(each_stack)
    account = role.outputs["arn"].split(":")[4]
    region = each_stack.stack_outputs["region"]
    reader = f"arn:aws:rds-db:{region}:{account}:dbuser:{resource_id}/{MCP_DB_USER}"
    assert db_user_arns(each_stack, statements_of(each_stack, role)) == {reader}
    # No other role may connect as the reader (the personas' roles each as its own user only).
    for policy in each_stack.of_type(ROLE_POLICY):
        if policy.inputs["role"] in {role.outputs.get("id"), role.outputs.get("name")}:
            continue
        arns = db_user_arns(each_stack, parse_document(policy.inputs["policy"], policy.urn))
        assert not [a for a in arns if a.endswith(f"/{MCP_DB_USER}") or "*" in a], policy.urn


def test_the_write_judge_catches_what_it_must():
    args = McpArgs(
        stack="dev", region=REGION, account_id=ACCOUNT, image="r/x:1", oidc_provider_arn="a",
        oidc_provider_url="u",
    )  # fmt: skip
    assert write_grants(parse_document(read_policy(args, ["/g"]))) == []
    assert write_grants(parse_document(read_policy(args, ["/g"], "db-ABC"))) == []
    with pytest.raises(ValueError, match="DbiResourceId"):
        read_policy(args, ["/g"], "arn:aws:rds:us-east-1:1:db:x")
    for bad in (
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": TABLE},
        {"Effect": "Allow", "Action": "dynamodb:*Item", "Resource": TABLE},
        {"Effect": "Allow", "Action": "logs:Put*", "Resource": "*"},
        {"Effect": "Allow", "Action": "DynamoDB:putitem", "Resource": TABLE},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "cloudwatch:Describe*", "Resource": "*"},  # not only ours
    ):
        doc = {"Version": "2012-10-17", "Statement": [bad]}
        assert write_grants(parse_document(doc)), bad


def test_the_table_is_read_only_in_the_tokens_and_the_agents_partitions(each_stack):
    statements = {s.sid: s for s in statements_of(each_stack, the_role(each_stack)) if s.sid}
    tokens, state = statements["McpTokensRead"], statements["AgentStateRead"]
    for s, partitions in ((tokens, ("mcp-tokens",)), (state, ("stack#*", "approvals"))):
        table = f"arn:aws:dynamodb:{REGION}:{stack_account(each_stack)}:table/baseline-agent-locks"
        assert s.resources == (table,), s.sid
        keys = {(c.operator, c.key): c.values for c in s.conditions}
        (pinned,) = [v for (op, k), v in keys.items() if k == "dynamodb:leadingkeys" and
                     op.startswith("ForAllValues:")]  # fmt: skip
        assert pinned == partitions, s.sid
        # ForAllValues holds when the key is absent: the Null check refuses that.
        assert keys[("Null", "dynamodb:leadingkeys")] == ("false",), s.sid
    assert tokens.actions == ("dynamodb:Query",), "the token store is only queried"
    key = statements["ApprovalKeyRead"]
    assert key.resources == (
        f"arn:aws:secretsmanager:{REGION}:{stack_account(each_stack)}:secret:"
        f"baseline-agents/{each_stack.stack_outputs['stack']}/approval-key-??????",
    )


def test_unset_the_approval_key_is_the_stacks_own():
    # what personas.yaml lets the stack's personas read; another stack's key is out of reach
    args = McpArgs(
        stack="prod", region=REGION, account_id=ACCOUNT, image="r/x:1", oidc_provider_arn="a",
        oidc_provider_url="u",
    )  # fmt: skip
    (key,) = [s for s in parse_document(read_policy(args, ["/g"])) if s.sid == "ApprovalKeyRead"]
    assert key.resources == (
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:baseline-agents/prod/approval-key-??????",
    )
    given = McpArgs(**{**vars(args), "approval_key_secret": "team/prod-key"})
    (key,) = [s for s in parse_document(read_policy(given, ["/g"])) if s.sid == "ApprovalKeyRead"]
    assert key.resources == (
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:team/prod-key-??????",
    )


def test_logs_are_read_on_the_stacks_own_groups_only(each_stack):
    stack = each_stack.stack_outputs["stack"]
    statements = {s.sid: s for s in statements_of(each_stack, the_role(each_stack)) if s.sid}
    resources = statements["StackLogsRead"].resources or ()
    prefix = f"arn:aws:logs:{REGION}:{stack_account(each_stack)}:log-group:"
    groups = {r.removeprefix(prefix).removesuffix(":*") for r in resources}
    assert all(r.startswith(prefix) for r in resources)
    expected = {
        f"/baseline/{stack}/agents/audit",
        *each_stack.stack_outputs["containerLogGroups"].values(),
        f"/aws/eks/baseline-{stack}/cluster",
    }
    assert expected <= groups
    declared = {g.inputs["name"] for g in each_stack.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert groups <= declared, "only log groups this stack declares"


# -- the network -----------------------------------------------------------------------------------
def policies_in(export: StackExport, namespace: str) -> list[Resource]:
    return [
        p for p in export.of_type(NETWORK_POLICY) if p.inputs["metadata"]["namespace"] == namespace
    ]


def test_no_pod_may_reach_the_server_unless_the_stack_names_its_namespace(each_stack):
    (deny,) = policies_in(each_stack, NAME)
    assert deny.inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}, deny.urn


@pytest.fixture(scope="module")
def with_clients() -> StackExport:
    return plan("dev", mcpServerClientNamespaces=["ops-tools", "llm-agents"])


def test_named_namespaces_reach_the_servers_port_only(with_clients):
    policies = {
        p.inputs["metadata"]["name"]: p.inputs["spec"] for p in policies_in(with_clients, NAME)
    }
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    allow = policies[f"{NAME}-clients"]
    labels = deployment(with_clients).inputs["spec"]["template"]["metadata"]["labels"]
    assert allow["podSelector"]["matchLabels"].items() <= labels.items()
    assert allow["policyTypes"] == ["Ingress"]
    (rule,) = allow["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": DEFAULT_PORT}]
    (peer,) = rule["from"]
    assert set(peer) == {"namespaceSelector"}, "no ipBlock, no pod of any namespace"
    assert peer["namespaceSelector"] == {
        "matchExpressions": [
            {
                # Set by the API server from the name: no one can label a namespace into it.
                "key": "kubernetes.io/metadata.name",
                "operator": "In",
                "values": ["ops-tools", "llm-agents"],
            }
        ]
    }


@pytest.fixture(scope="module")
def gate() -> Any:
    with Gate(project="baseline", stack="dev") as g:
        yield g


def test_the_packs_pass_the_server_with_clients_named(gate, with_clients):
    result = gate.run(with_clients, CONFIG_DIR / "dev")
    assert not result.mandatory, [(v.policyName, v.urn, v.detail) for v in result.mandatory]


# -- the switch and the config ---------------------------------------------------------------------
def test_switched_off_there_is_no_server():
    export = plan("dev", enableMcpServer=False)
    assert [r.urn for r in export.resources if "::mcp" in r.urn] == []
    assert "mcpEndpoint" not in export.stack_outputs
    assert not [d for d in export.of_type(DEPLOYMENT) if d.inputs["metadata"]["name"] == NAME]
    # ... and no reader in the database: the migration makes the personas' users only.
    (job,) = export.of_type("kubernetes:batch/v1:Job")
    assert "--readers" not in job.inputs["spec"]["template"]["spec"]["containers"][0]["args"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("mcpServerReplicas", 0),
        ("mcpServerReplicas", 6),
        ("mcpServerClientNamespaces", ["Ops_Tools"]),
        ("mcpServerClientNamespaces", ["ops", "ops"]),
    ],
)
def test_a_bad_value_is_refused_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=f"'baseline:{key}'"):
        parse(stack_values("dev", **{key: value}), "dev")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"image": "ghcr.io/x/agents"}, "image"),
        ({"client_namespaces": ("ops", "ops")}, "twice"),
        ({"client_namespaces": ("Ops",)}, "DNS label"),
        ({"replicas": 0}, "replicas"),
        ({"port": 80}, "non-root"),
        ({"approval_key_secret": "arn:aws:secretsmanager:x"}, "secret's name"),
        ({"records": McpRecords("h", 5432, "db-X", pg_database="Agents")}, "records.pg_database"),
    ],
)
def test_the_component_refuses_bad_args(change, message):
    base: dict[str, Any] = {
        "stack": "dev", "region": REGION, "account_id": ACCOUNT, "image": "r/x:1",
        "oidc_provider_arn": "a", "oidc_provider_url": "u",
    }  # fmt: skip
    with pytest.raises(ValueError, match=message):
        check_mcp(McpArgs(**{**base, **change}))
