"""`summarize_infra`: fidelity on both plans (with their real gate violations and cost), secrets
never printed, the change set against a mutated copy, the size target and the budget."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.skills.summarize import (
    InfraSummary,
    SummaryError,
    check_summary,
    cost_estimate,
    policy_violations,
    render,
    short_type,
    summarize_infra,
)
from agents.skills.tokens import BudgetError, count
from toolchain.cost import Estimate
from toolchain.export import SECRET_SIG, SECRET_VALUE_SIG, StackExport, parse_export

PLAINTEXT = "hunter2-do-not-print"
CIPHERTEXT = "AAABAJ-ciphertext-do-not-print"


@pytest.fixture(scope="module")
def checked(dev: StackExport, prod: StackExport) -> dict[str, tuple[list[Any], Estimate]]:
    """Each plan's gate violations and cost estimate, once per module (the gate takes ~1 s)."""
    return {
        "dev": (policy_violations(dev), cost_estimate(dev)),
        "prod": (policy_violations(prod), cost_estimate(prod)),
    }


@pytest.fixture(scope="module")
def prod_summary(prod: StackExport, checked: dict[str, Any]) -> InfraSummary:
    violations, cost = checked["prod"]
    return summarize_infra(prod, violations=violations, cost=cost)


def _secret(plaintext: str | None = None) -> dict[str, str]:
    if plaintext is None:
        return {SECRET_SIG: SECRET_VALUE_SIG, "ciphertext": CIPHERTEXT}
    return {SECRET_SIG: SECRET_VALUE_SIG, "plaintext": json.dumps(plaintext)}


def _resource(data: dict[str, Any], name: str, type_token: str) -> dict[str, Any]:
    found = [
        r
        for r in data["deployment"]["resources"]
        if r["type"] == type_token and r["urn"].endswith(f"::{name}")
    ]
    assert len(found) == 1, f"{type_token} {name}: {len(found)} found"
    return found[0]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_names_every_resource_output_and_violation(
    stack: str, request: pytest.FixtureRequest, checked: dict[str, Any]
) -> None:
    export: StackExport = request.getfixturevalue(stack)
    violations, cost = checked[stack]
    assert violations, f"{stack}: the plan has no violation to check the summary against"
    summary = summarize_infra(export, violations=violations, cost=cost)
    assert check_summary(summary, export, violations) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_head_holds_violations_and_cost_totals(
    stack: str, request: pytest.FixtureRequest, checked: dict[str, Any]
) -> None:
    export: StackExport = request.getfixturevalue(stack)
    violations, cost = checked[stack]
    text = render(summarize_infra(export, violations=violations, cost=cost))
    head = text.split("\n## ", 1)[0]
    for v in violations:
        assert v.policyName in head, f"{v.urn}: {v.policyName} is not in the head"
    assert f"${cost.total:,.2f}/mo" in head
    for component, monthly, _ in cost.by_component():
        assert f"{component} ${monthly:,.2f}" in head, f"{component}'s cost is not in the head"


def test_keeps_security_and_cost_settings(prod_summary: InfraSummary) -> None:
    text = render(prod_summary)
    expected = [
        "db.r7g.large",
        "multiAz=on",
        "backup=14d",
        "deletionProtection=on",
        "postgres 17",
        "public=off",
        # prod's on-demand workload floor (its SPOT burst is Karpenter's NodePool since issue 12)
        "min/desired/max=2/2/2",
        "api=private",
        "in=tcp443:10.0.0.0/16",
        "out=all:0.0.0.0/0",
        "NAT gateways 3",
        "retention=365d kms=audit-kms",
        "rotation=on",
        "all-blocked",
        "rds.force_ssl=1",
        "region=us-west-2",
        "protect=all",
        "kubeconfig=[secret]",
    ]
    missing = [fact for fact in expected if fact not in text]
    assert not missing, f"missing from the prod summary: {missing}"


def test_json_names_every_resource(prod: StackExport, prod_summary: InfraSummary) -> None:
    doc = json.loads(json.dumps(prod_summary.to_json()))
    named = {r["name"] for c in doc["components"] for r in c["resources"]}
    named |= {c["name"] for c in doc["components"]} | {p["name"] for p in doc["providers"]}
    missing = {r.name for r in prod.resources if r.managed or r.is_provider} - named
    assert not missing, f"resources missing from the JSON: {sorted(missing)}"
    assert doc["violations"] and doc["cost"]["monthlyTotal"] > 0


def test_at_least_95_percent_fewer_tokens_than_the_prod_export_file(
    prod: StackExport, prod_summary: InfraSummary
) -> None:
    file_tokens = count(json.dumps(prod.data, indent=2, sort_keys=True) + "\n")
    summary_tokens = count(render(prod_summary))
    assert summary_tokens <= 0.05 * file_tokens, (
        f"summary {summary_tokens} tokens is {100 * summary_tokens / file_tokens:.1f}% "
        f"of the export's {file_tokens}"
    )


def test_secrets_in_outputs_and_inputs_are_never_printed(prod: StackExport) -> None:
    data = copy.deepcopy(prod.data)
    stack = _resource(data, "baseline-prod", "pulumi:pulumi:Stack")
    stack["outputs"]["databaseCredentials"] = {"user": "app", "password": _secret(PLAINTEXT)}
    stack["outputs"]["apiToken"] = _secret()
    db = _resource(data, "database-postgres", "aws:rds/instance:Instance")
    db["inputs"]["password"] = _secret(PLAINTEXT)
    db["inputs"]["tags"] = {"note": _secret()}
    planted = parse_export(data, "planted")
    summary = summarize_infra(planted, baseline=prod)
    texts = [render(summary), json.dumps(summary.to_json())]
    for text in texts:
        assert PLAINTEXT not in text
        assert CIPHERTEXT not in text
    full = texts[0]
    assert "databaseCredentials={user=app,password=[secret]}" in full
    assert "apiToken=[secret]" in full
    assert "password=[secret]" in full.split("## database", 1)[1]
    assert check_summary(summary, planted) == []


def test_a_json_document_nested_past_the_decoders_depth_is_left_unread() -> None:
    # a policy or a secret's plaintext held as a string of `[[[[...` raised RecursionError out
    # of the summary; it is read as a document that is not JSON is (the policy not summarized,
    # the secret still never printed)
    deep = '{"Statement": ' + "[" * 100_000 + "]" * 100_000 + "}"
    stack = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"
    data = {
        "version": 3,
        "deployment": {
            "manifest": {},
            "resources": [
                {"urn": stack, "type": "pulumi:pulumi:Stack", "custom": False},
                {
                    "urn": "urn:pulumi:dev::p::aws:iam/role:Role::deploy",
                    "type": "aws:iam/role:Role",
                    "custom": True,
                    "id": "deploy",
                    "inputs": {"assumeRolePolicy": deep},
                    "outputs": {"token": {SECRET_SIG: SECRET_VALUE_SIG, "plaintext": deep}},
                },
            ],
        },
    }
    summary = summarize_infra(parse_export(data, "deep"))
    text = render(summary)
    assert "deploy" in text
    assert "[[[[" not in text


def test_check_summary_reports_a_printed_secret_and_a_missing_name(prod: StackExport) -> None:
    data = copy.deepcopy(prod.data)
    _resource(data, "baseline-prod", "pulumi:pulumi:Stack")["outputs"]["token"] = _secret(PLAINTEXT)
    planted = parse_export(data, "planted")
    text = render(summarize_infra(planted)).replace("cluster-oidc", "cluster-o1dc")
    problems = check_summary(f"{text}\n{PLAINTEXT}", planted)
    assert any("cluster-oidc" in p for p in problems), problems
    assert any("secret value appears" in p for p in problems), problems


@pytest.fixture(scope="module")
def mutated(prod: StackExport) -> StackExport:
    """prod with one of each change: an endpoint added, an alarm removed, a subnet's CIDR changed
    (a replacement), a node group resized and a secret input changed."""
    data = copy.deepcopy(prod.data)
    resources = data["deployment"]["resources"]
    _resource(data, "cluster-system", "aws:eks/nodeGroup:NodeGroup")["inputs"]["scalingConfig"][
        "maxSize"
    ] = 9
    _resource(data, "network-private-0", "aws:ec2/subnet:Subnet")["inputs"]["cidrBlock"] = (
        "10.0.96.0/19"
    )
    db = _resource(data, "database-postgres", "aws:rds/instance:Instance")
    db["inputs"]["password"] = _secret(PLAINTEXT)
    added = copy.deepcopy(_resource(data, "network-sts", "aws:ec2/vpcEndpoint:VpcEndpoint"))
    added["urn"] = added["urn"].replace("network-sts", "network-ssm")
    added["inputs"]["serviceName"] = "com.amazonaws.us-east-1.ssm"
    resources.append(added)
    resources[:] = [r for r in resources if not r["urn"].endswith("::observability-db-cpu")]
    return parse_export(data, "mutated prod")


def test_change_set_names_every_change(prod: StackExport, mutated: StackExport) -> None:
    summary = summarize_infra(mutated, baseline=prod)
    assert summary.changes is not None
    kinds = {(c.kind, c.name) for c in summary.changes.resources}
    assert kinds == {
        ("added", "network-ssm"),
        ("removed", "observability-db-cpu"),
        ("replaced", "network-private-0"),
        ("changed", "cluster-system"),
        ("changed", "database-postgres"),
    }
    text = render(summary)
    assert "+ ec2.VpcEndpoint network-ssm: Interface ssm" in text
    assert "- cloudwatch.MetricAlarm observability-db-cpu" in text
    replaced = "± ec2.Subnet network-private-0 [replace: cidrBlock]: cidrBlock: "
    assert f"{replaced}10.0.0.0/19 -> 10.0.96.0/19" in text
    assert "~ eks.NodeGroup cluster-system: scalingConfig.maxSize: 3 -> 9" in text
    assert "password: (none) -> [secret]" in text
    assert PLAINTEXT not in text and PLAINTEXT not in json.dumps(summary.to_json())


def test_change_set_of_an_export_against_itself_is_empty(prod: StackExport) -> None:
    summary = summarize_infra(prod, baseline=prod)
    assert summary.changes is not None
    assert summary.changes.resources == () and summary.changes.outputs == ()


def test_a_new_id_in_the_same_stack_is_a_replacement(prod: StackExport) -> None:
    data = copy.deepcopy(prod.data)
    _resource(data, "network-vpc", "aws:ec2/vpc:Vpc")["id"] = "vpc-0000000000000000"
    summary = summarize_infra(parse_export(data, "recreated"), baseline=prod)
    assert summary.changes is not None
    replaced = summary.changes.of("replaced")
    assert [(c.name, c.replace_keys) for c in replaced] == [("network-vpc", ("(new id)",))]


@pytest.fixture(scope="module")
def diff_summary(prod: StackExport, dev: StackExport, checked: dict[str, Any]) -> InfraSummary:
    violations, cost = checked["prod"]
    return summarize_infra(prod, violations=violations, cost=cost, baseline=dev)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(budget=st.one_of(st.integers(-5, 12_000), st.integers(300, 600)))
def test_never_exceeds_the_budget(diff_summary: InfraSummary, budget: int) -> None:
    head = render(diff_summary).split("\n## ", 1)[0]
    try:
        text = render(diff_summary, budget)
    except BudgetError:
        # The head, and the one line that says what was left out, must fit.
        assert budget < count(head) + 80, f"budget {budget} refused though the head fits"
        return
    assert count(text) <= budget
    assert text.startswith(head.splitlines()[0])


def test_budget_says_what_it_left_out(prod_summary: InfraSummary) -> None:
    full = render(prod_summary)
    text = render(prod_summary, count(full) // 2)
    last = text.splitlines()[-1]
    assert last.startswith(f"[to fit {count(full) // 2} tokens: "), last
    assert "left out" in last
    assert "policy violations: 1" in text


def test_no_budget_and_a_large_budget_give_the_full_text(prod_summary: InfraSummary) -> None:
    full = render(prod_summary)
    assert render(prod_summary, None) == full == render(prod_summary, count(full))


def test_short_type_names() -> None:
    assert short_type("aws:ec2/subnet:Subnet") == "ec2.Subnet"
    assert short_type("kubernetes:core/v1:Namespace") == "k8s.Namespace"
    assert short_type("pulumi:providers:aws") == "provider.aws"


def test_violations_of_an_unknown_shape_are_refused(prod: StackExport) -> None:
    with pytest.raises(SummaryError, match="violations"):
        summarize_infra(prod, violations={"policyName": "x"})
    with pytest.raises(SummaryError, match=r"violations\[0\]"):
        summarize_infra(prod, violations=[{"urn": "x"}])


@pytest.mark.parametrize(
    ("type_token", "key"),
    [
        ("aws:eks/cluster:Cluster", "vpcConfig"),
        ("aws:eks/nodeGroup:NodeGroup", "scalingConfig"),
    ],
)
def test_a_property_of_another_shape_is_refused_naming_the_resource(
    prod: StackExport, type_token: str, key: str
) -> None:
    """A list where the provider writes an object: a renderer's AttributeError had come out of
    `agents summarize` as a traceback."""
    data = copy.deepcopy(prod.data)
    for r in data["deployment"]["resources"]:
        if r["type"] == type_token:
            r["inputs"][key] = [1]
    with pytest.raises(SummaryError, match=rf"\({type_token}\): a property is not of the shape"):
        summarize_infra(parse_export(data, "edited"))


# --------------------------------------------------------------------------- large stacks


def _large_export(resources: int, per_component: int = 4) -> StackExport:
    """`resources` versioning settings of one shared bucket, `per_component` to a component:
    every one refers to the same bucket id (a value held once, referred to by all)."""
    stack = "urn:pulumi:big::baseline::pulumi:pulumi:Stack::baseline-big"
    out: list[dict[str, Any]] = [
        {"urn": stack, "type": "pulumi:pulumi:Stack", "outputs": {}},
        {
            "urn": "urn:pulumi:big::baseline::aws:s3/bucket:Bucket::audit-logs",
            "type": "aws:s3/bucket:Bucket",
            "custom": True,
            "id": "audit-logs-0a1b2c",
            "parent": stack,
            "inputs": {},
            "outputs": {"id": "audit-logs-0a1b2c", "arn": "arn:aws:s3:::audit-logs-0a1b2c"},
        },
    ]
    for i in range(resources):
        component = f"urn:pulumi:big::baseline::baseline:c:Part::part-{i // per_component}"
        if i % per_component == 0:
            out.append({"urn": component, "type": "baseline:c:Part", "parent": stack})
        settings = {"bucket": "audit-logs-0a1b2c", "versioningConfiguration": {"status": "Enabled"}}
        out.append(
            {
                "urn": f"urn:pulumi:big::baseline::aws:s3/bucketVersioning:BucketVersioning::v-{i}",
                "type": "aws:s3/bucketVersioning:BucketVersioning",
                "custom": True,
                "id": f"v-{i}",
                "parent": component,
                "inputs": settings,
                "outputs": settings,
            }
        )
    return parse_export({"version": 3, "deployment": {"resources": out}})


def test_a_value_referred_to_by_every_resource_is_resolved_once() -> None:
    from agents.skills.summarize import _Refs  # noqa: PLC0415 - the structure under test

    export = _large_export(2_000)
    refs = _Refs(export)
    versioning = export.of_type("aws:s3/bucketVersioning:BucketVersioning")
    assert {refs.name("audit-logs-0a1b2c", r.urn) for r in versioning} == {"audit-logs"}
    assert refs.name("audit-logs-0a1b2c", versioning[0].urn.replace("v-0", "nope")) == "audit-logs"
    assert len(refs._held) == 1  # the holders of the value were summed up once, not per call


def test_a_large_stack_is_never_counted_whole(monkeypatch) -> None:
    # the whole text of a large stack is past what the encoder takes at once (a million
    # characters): rendering counts only pieces, and only about as much as the budget holds
    from agents.skills import summarize, tokens  # noqa: PLC0415

    counted: list[int] = []

    def counting(text: str) -> int:
        counted.append(len(text))
        return count(text)

    monkeypatch.setattr(summarize, "count", counting)
    monkeypatch.setattr(tokens, "count", counting)
    summary = summarize_infra(_large_export(4_000))
    whole = render(summary)
    assert "part-999" in whole and whole.count("bucket=audit-logs") >= 1_000
    assert counted == []  # no budget: nothing to count
    text = render(summary, 3_000)
    assert count(text) <= 3_000 and "left out" in text
    assert max(counted) < len(whole) / 4, (max(counted), len(whole))
