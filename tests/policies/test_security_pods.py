"""Pod rules for every workload: sensitive host paths, service account tokens, and the pod
security context outside the agents' namespaces. Each rule passing, failing, missing the property
and unreadable (a wrong type, or a value not known in a preview), driven through the analyzer."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.conftest import analyze, analyze_stack, resource

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
CRONJOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
HOST_PATH = "pod-no-sensitive-host-path"
TOKEN = "pod-service-account-token-not-mounted"
CONTEXT = "workload-pod-security-context"
CONTAINER = {
    "name": "app",
    "image": "registry.example/app:1.0",
    "securityContext": {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def pod(**extra: Any) -> dict[str, Any]:
    return {
        "automountServiceAccountToken": False,
        "containers": [copy.deepcopy(CONTAINER)],
        **extra,
    }


def workload(
    type_token: str = DEPLOYMENT, namespace: Any = "shop", name: str = "web", **extra: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = pod(**extra)
    metadata = {"name": name, "namespace": namespace}
    if type_token == POD:
        return {"metadata": metadata, "spec": spec}
    body = {"template": {"spec": spec}}
    if type_token == CRONJOB:
        return {"metadata": metadata, "spec": {"jobTemplate": {"spec": body}}}
    return {"metadata": metadata, "spec": body}


def host_path(path: Any, read_only: Any = None) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": "host", "mountPath": "/host"}
    if read_only is not None:
        mount["readOnly"] = read_only
    props = workload(volumes=[{"name": "host", "hostPath": {"path": path}}])
    props["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [mount]
    return props


def fired(
    security: Any,
    rule: str,
    props: dict,
    name: str,
    type_token: str = DEPLOYMENT,
    *,
    config: Any = None,
) -> list:
    found = analyze(security, type_token, props, config=config, name=name)
    return [v for v in found if v.policyName == rule]


HOST_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("narrow path passes", host_path("/var/fluent-bit/state"), False),
    ("no host path passes", workload(), False),
    ("docker socket", host_path("/var/run/docker.sock"), True),
    ("containerd socket", host_path("/run/containerd/containerd.sock"), True),
    ("crio socket via /run", host_path("/run/crio/crio.sock"), True),
    ("root", host_path("/"), True),
    ("an ancestor of the socket", host_path("/var"), True),
    ("dot-dot into etc", host_path("/var/../etc/"), True),
    ("double slashes", host_path("//var//lib//kubelet/"), True),
    ("inside etc", host_path("/etc/kubernetes/pki"), True),
    ("writable log folder", host_path("/var/log"), True),
    ("read-only log folder", host_path("/var/log/", read_only=True), False),
    ("read-only socket", host_path("/var/run/docker.sock", read_only=True), True),
    ("missing path", host_path(None), True),
    ("relative path", host_path("var/log"), True),
    ("wrong type", host_path(["/"]), True),
]


@pytest.mark.parametrize("case", HOST_CASES, ids=[c for c, _, _ in HOST_CASES])
def test_host_path(security, case):
    label, props, fires = case
    found = fired(security, HOST_PATH, props, label.replace(" ", "-"))
    assert bool(found) == fires, f"{HOST_PATH} on {label}: {[v.detail for v in found]}"


def test_host_path_in_a_cronjob_and_a_pod(security):
    for type_token in (CRONJOB, POD):
        props = workload(type_token, volumes=[{"name": "h", "hostPath": {"path": "/proc"}}])
        assert fired(security, HOST_PATH, props, "other-kinds", type_token), type_token


def test_host_path_unknown_is_left_to_the_update(security):
    found = fired(security, HOST_PATH, host_path(UNKNOWN_STRING_VALUE), "unknown")
    assert found and all(not v.mandatory for v in found), [v.message for v in found]


def test_host_path_read_only_allowance_comes_from_config(security):
    cfg: dict[str, Any] = {HOST_PATH: {"readOnlyAllowed": []}}
    assert fired(security, HOST_PATH, host_path("/var/log", True), "no-allowance", config=cfg)


def test_host_path_exemption(security):
    cfg = {HOST_PATH: {"exemptWorkloads": ["shop/web"]}}
    assert not fired(security, HOST_PATH, host_path("/"), "exempt", config=cfg)


# -- service account tokens ----------------------------------------------------------------------


def account(automount: Any, name: str = "web", namespace: str = "shop") -> Any:
    inputs: dict[str, Any] = {"metadata": {"name": name, "namespace": namespace}}
    if automount is not None:
        inputs["automountServiceAccountToken"] = automount
    return resource(SERVICE_ACCOUNT, inputs, f"sa-{name}")


def token_workload(automount: Any, account_name: Any = "web", name: str = "web") -> Any:
    props = workload(name=name)
    spec = props["spec"]["template"]["spec"]
    spec.pop("automountServiceAccountToken")
    if automount is not None:
        spec["automountServiceAccountToken"] = automount
    if account_name is not None:
        spec["serviceAccountName"] = account_name
    return resource(DEPLOYMENT, props, name)


def token_fired(security: Any, resources: list, config: Any = None) -> list:
    found = analyze_stack(security, resources, config=config)
    return [v for v in found if v.policyName == TOKEN]


TOKEN_CASES: list[tuple[str, list, bool]] = [
    ("pod turns it off", [token_workload(False), account(None)], False),
    ("account turns it off", [token_workload(None), account(False)], False),
    ("pod turns it on over its account", [token_workload(True), account(False)], True),
    ("both say nothing", [token_workload(None), account(None)], True),
    ("account not in the plan", [token_workload(None, "ghost")], True),
    ("default account", [token_workload(None, None)], True),
    ("wrong type on the pod", [token_workload("no"), account(False)], True),
    ("wrong type on the account", [token_workload(None), account(1)], True),
]


@pytest.mark.parametrize("case", TOKEN_CASES, ids=[c for c, _, _ in TOKEN_CASES])
def test_service_account_token(security, case):
    label, resources, fires = case
    found = token_fired(security, resources)
    assert bool(found) == fires, f"{TOKEN} on {label}: {[v.detail for v in found]}"


def test_service_account_token_names_the_workload(security):
    (found,) = token_fired(security, [token_workload(None), account(None)])
    assert found.urn.endswith("::web") and "shop/web" in found.detail


def test_service_account_token_allowed_for_api_accounts(security):
    cfg = {TOKEN: {"apiServiceAccounts": ["shop/*"]}}
    assert not token_fired(security, [token_workload(True)], cfg)


# -- security context ----------------------------------------------------------------------------


def context(**edits: Any) -> dict[str, Any]:
    props = workload(DAEMONSET, namespace="monitoring")
    container = props["spec"]["template"]["spec"]["containers"][0]
    for key, value in edits.items():
        if value is None:
            container["securityContext"].pop(key, None)
        else:
            container["securityContext"][key] = value
    return props


CONTEXT_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("passes", context(), False),
    ("privileged", context(privileged=True), True),
    ("escalation", context(allowPrivilegeEscalation=True), True),
    ("root", context(runAsNonRoot=None, runAsUser=0), True),
    ("added capability", context(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}), True),
    ("missing", context(runAsNonRoot=None, seccompProfile=None, capabilities=None), True),
    ("unreadable", context(privileged="maybe"), True),
    ("unreadable uid", context(runAsUser="root"), True),
]


@pytest.mark.parametrize("case", CONTEXT_CASES, ids=[c for c, _, _ in CONTEXT_CASES])
def test_workload_security_context(security, case):
    label, props, fires = case
    found = fired(security, CONTEXT, props, label.replace(" ", "-"), DAEMONSET)
    assert bool(found) == fires, f"{CONTEXT} on {label}: {[v.detail for v in found]}"


def test_workload_security_context_host_network(security):
    props = workload(hostNetwork=True)
    assert fired(security, CONTEXT, props, "host-network")


def test_workload_security_context_unknown_is_left_to_the_update(security):
    found = fired(security, CONTEXT, context(privileged=UNKNOWN_STRING_VALUE), "unknown", DAEMONSET)
    assert found and all(not v.mandatory for v in found), [v.message for v in found]


def test_workload_security_context_exemptions(security):
    props = context(privileged=True)
    assert not fired(security, CONTEXT, workload(namespace="kube-system", hostPID=True), "system")
    cfg = {CONTEXT: {"exemptWorkloads": ["monitoring/*"]}}
    assert not fired(security, CONTEXT, props, "exempt", DAEMONSET, config=cfg)


# -- credentials in the environment ---------------------------------------------------------------

SECRET_ENV = "pod-no-plaintext-secret-env"
JOB = "kubernetes:batch/v1:Job"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0f0f0f0f-aBcDeF"


def with_env(*env: dict[str, Any], init: bool = False, type_token: str = DEPLOYMENT) -> dict:
    props = workload(type_token)
    spec = props["spec"]["template"]["spec"] if type_token != POD else props["spec"]
    if init:
        spec["initContainers"] = [{**copy.deepcopy(CONTAINER), "name": "init", "env": list(env)}]
    else:
        spec["containers"][0]["env"] = list(env)
    return props


def literal(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "value": value}


def secret_ref(name: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}


SECRET_ENV_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("no env passes", workload(), False),
    ("plain settings pass", with_env(literal("AGENTS_PG_HOST", "db.internal")), False),
    ("the agents' records settings pass", with_env(literal("AGENTS_PG_AUTH", "iam")), False),
    ("a literal password fails", with_env(literal("DB_PASSWORD", "hunter2")), True),
    ("any case fails", with_env(literal("db_Password", "hunter2")), True),
    ("a literal token fails", with_env(literal("GITHUB_TOKEN", "ghp_x")), True),
    ("a literal client secret fails", with_env(literal("OAUTH_CLIENT_SECRET", "s3cr3t")), True),
    ("in an init container fails", with_env(literal("API_KEY", "k"), init=True), True),
    ("an ARN of a secret passes", with_env(literal("AGENTS_PG_MASTER_SECRET", SECRET_ARN)), False),
    ("a secret's name passes", with_env(literal("AGENTS_APPROVAL_KEY_SECRET", "a/b")), False),
    ("a file path passes", with_env(literal("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/t")), False),
    ("an empty value passes", with_env(literal("SMTP_PASSWORD", "")), False),
    ("a Secret reference passes", with_env(secret_ref("SMTP_PASSWORD")), False),
    (
        "a ConfigMap reference fails",
        with_env(
            {"name": "SMTP_PASSWORD", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "p"}}}
        ),
        True,
    ),
    ("the agents' database password fails", with_env(literal("AGENTS_PG_PASSWORD", "x")), True),
    (
        "the agents' database password from a Secret fails",
        with_env(secret_ref("AGENTS_PG_PASSWORD")),
        True,
    ),
    ("a token store's kind passes", with_env(literal("AGENTS_MCP_TOKEN_STORE", "dynamodb")), False),
    ("a refresh interval passes", with_env(literal("AGENTS_MCP_TOKEN_REFRESH_S", "5")), False),
    (
        "a token in the token store's setting fails",
        with_env(literal("AGENTS_MCP_TOKEN_STORE", "bat_0123456789ab_s3cr3t")),
        True,
    ),
    ("an unnamed variable is unreadable", with_env({"value": "x"}), True),
    ("a non-text value is unreadable", with_env(literal("DB_PASSWORD", 42)), True),
]


@pytest.mark.parametrize("case", SECRET_ENV_CASES, ids=[c for c, _, _ in SECRET_ENV_CASES])
def test_plaintext_secret_env(security, case):
    label, props, fires = case
    found = fired(security, SECRET_ENV, props, label.replace(" ", "-").replace("'", ""))
    assert bool(found) == fires, f"{SECRET_ENV} on {label}: {[v.detail for v in found]}"


def test_plaintext_secret_env_in_a_job_a_cronjob_and_a_pod(security):
    for type_token in (JOB, CRONJOB, POD):
        props = workload(type_token)
        spec = props["spec"] if type_token == POD else None
        if type_token == CRONJOB:
            spec = props["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif type_token == JOB:
            spec = props["spec"]["template"]["spec"]
        assert spec is not None
        spec["containers"][0]["env"] = [literal("AGENTS_PG_PASSWORD", "x")]
        assert fired(security, SECRET_ENV, props, "other-kinds", type_token), type_token


def test_plaintext_secret_env_names_the_variable_and_the_fix(security):
    (found,) = fired(security, SECRET_ENV, with_env(literal("DB_PASSWORD", "x")), "names-it")
    assert "containers[0] (app).env[0]" in found.message, found.message
    assert "DB_PASSWORD" in found.message and "Secrets Manager" in found.message, found.message
    assert "hunter2" not in found.message and found.mandatory


def test_plaintext_secret_env_unknown_is_left_to_the_update(security):
    props = with_env(literal("DB_PASSWORD", UNKNOWN_STRING_VALUE))
    found = fired(security, SECRET_ENV, props, "unknown")
    assert found and all(not v.mandatory for v in found), [v.message for v in found]


def test_plaintext_secret_env_names_come_from_config(security):
    props = with_env(literal("LICENCE", "abc"), literal("DB_PASSWORD", "x"))
    cfg: dict[str, Any] = {
        SECRET_ENV: {"secretNames": ["LICENCE"], "forbiddenNames": [], "referenceNames": []}
    }
    found = fired(security, SECRET_ENV, props, "configured", config=cfg)
    assert ["LICENCE" in v.message for v in found] == [True], [v.message for v in found]


def test_plaintext_secret_env_exemption(security):
    cfg = {SECRET_ENV: {"exemptWorkloads": ["shop/web"]}}
    props = with_env(literal("DB_PASSWORD", "x"))
    assert not fired(security, SECRET_ENV, props, "exempt", config=cfg)
