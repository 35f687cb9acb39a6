"""The personas file: the shipped one loads and keeps its promises; each rule rejects a bad
document and names the persona and the field."""

import json
import re

import pytest
import yaml

from agents import InputError
from baseline.personas import (
    OPERATIONS,
    PERSONAS_FILE,
    Persona,
    PersonaError,
    is_read_action,
    load_personas,
    persona,
)
from components import policy_json

EXPECTED = {
    "master-architect",
    "release-engineer",
    "cost-optimizer",
    "security-auditor",
    "reliability-engineer",
    "data-steward",
    "observability-engineer",
}
# IAM's limit on the inline policies of one role (characters, whitespace excluded).
INLINE_POLICY_LIMIT = 10240


def shipped_document() -> dict:
    """The shipped file as plain data, without YAML aliases (a JSON round trip unshares the
    statements that aliases share, so mutating one persona does not change the others)."""
    return json.loads(json.dumps(yaml.safe_load(PERSONAS_FILE.read_text())))


def load_modified(tmp_path, doc: dict) -> tuple[Persona, ...]:
    path = tmp_path / "personas.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_personas(path)


def by_name(doc: dict, name: str) -> dict:
    return next(p for p in doc["personas"] if p["name"] == name)


def rejected(tmp_path, doc: dict, persona_name: str, field: str) -> PersonaError:
    with pytest.raises(PersonaError) as info:
        load_modified(tmp_path, doc)
    err = info.value
    assert err.persona == persona_name, str(err)
    assert err.field.startswith(field), str(err)
    assert f"persona '{persona_name}'" in str(err)
    return err


# -- the shipped file ---------------------------------------------------------------------------


def test_the_shipped_file_loads_the_seven_personas():
    assert {p.name for p in load_personas()} == EXPECTED


def test_the_default_path_is_read_once():
    assert load_personas() is load_personas(PERSONAS_FILE)


def test_persona_finds_one_by_name():
    assert persona("release-engineer").title == "Release Engineer"


def test_an_unknown_persona_is_an_input_error():
    with pytest.raises(InputError, match="known: master-architect"):
        persona("intern")


def test_only_the_release_engineer_may_up():
    assert [p.name for p in load_personas() if p.can("up")] == ["release-engineer"]


def test_only_the_master_architect_approves_and_never_applies():
    approvers = [p for p in load_personas() if p.can("approve")]
    assert [p.name for p in approvers] == ["master-architect"]
    assert approvers[0].role == "reviewer"
    assert not approvers[0].can("up")


def test_the_reliability_engineer_runs_drift_checks():
    assert persona("reliability-engineer").can("drift-check", "prod")


def test_no_persona_destroys_and_all_operations_are_known():
    for p in load_personas():
        assert set(p.operations) <= set(OPERATIONS), p.name
        assert "destroy" not in p.operations, p.name


def test_priorities_are_unique_and_release_and_reliability_come_first():
    ranked = sorted(load_personas(), key=lambda p: p.priority, reverse=True)
    assert len({p.priority for p in ranked}) == len(ranked)
    assert [p.name for p in ranked[:2]] == ["release-engineer", "reliability-engineer"]
    assert ranked[-1].name == "cost-optimizer"


def test_every_operation_has_a_cooldown():
    for p in load_personas():
        assert set(p.cooldowns) == set(p.operations), p.name
        assert all(s >= 0 for s in p.cooldowns.values()), p.name


def test_namespaces_and_service_accounts_follow_the_convention():
    for p in load_personas():
        assert (p.namespace, p.service_account) == (f"agents-{p.name}", p.name)


def test_no_statement_grants_a_wildcard_action():
    for p in load_personas():
        for s in p.iam_statements():
            for action in s["Action"]:
                service, _, verb = action.partition(":")
                assert action not in ("*", "*:*"), (p.name, s["Sid"])
                assert verb != "*" and service != "*", (p.name, s["Sid"], action)
                assert action.lower() != "iam:*", (p.name, s["Sid"])


def test_every_write_is_scoped_by_arn_or_the_project_tag():
    for p in load_personas():
        for s in p.iam_statements():
            writes = [a for a in s["Action"] if not is_read_action(a)]
            if not writes:
                continue
            equals = s.get("Condition", {}).get("StringEquals", {})
            tagged = equals.get("aws:ResourceTag/project") == ["baseline"]
            # PutMetricData has no resource ARN; its own namespace is its scope.
            metrics = writes == ["cloudwatch:PutMetricData"] and equals.get(
                "cloudwatch:namespace"
            ) == ["Baseline/Agents"]
            assert tagged or metrics or "*" not in s["Resource"], (p.name, s["Sid"], writes)


def test_put_metric_data_is_refused_without_its_namespace(tmp_path):
    def _with_statement(statement: dict) -> None:
        doc = shipped_document()
        by_name(doc, "data-steward")["iam"].append(statement)
        load_modified(tmp_path, doc)

    raw: dict = {
        "Sid": "Metrics",
        "Effect": "Allow",
        "Action": ["cloudwatch:PutMetricData"],
        "Resource": "*",
    }
    with pytest.raises(PersonaError, match="must be scoped"):
        _with_statement(raw)
    raw["Condition"] = {"StringEquals": {"cloudwatch:namespace": "Baseline/Agents"}}
    _with_statement(raw)
    raw["Action"] = ["cloudwatch:PutMetricData", "cloudwatch:DeleteAlarms"]
    with pytest.raises(PersonaError, match="must be scoped"):
        _with_statement(raw)


DEV_ROLE = "arn:aws:iam::111122223333:role/baseline-deployer-dev"
DEV_PREVIEW_ROLE = "arn:aws:iam::111122223333:role/baseline-previewer-dev"


def test_only_the_persona_that_may_up_may_assume_the_deploy_role():
    """The deploy role carries the write rights: the release engineer's alone; every persona
    (the release engineer too, for its previews) may assume the read-only preview role."""
    for p in load_personas():
        assumed = {
            s["Sid"]: s["Resource"]
            for s in p.iam_statements("dev", "111122223333", DEV_ROLE, DEV_PREVIEW_ROLE)
            if "sts:AssumeRole" in s["Action"]
        }
        expected = {"AssumeStackPreviewRole": [DEV_PREVIEW_ROLE]}
        if p.can("up"):
            expected["AssumeStackDeployRole"] = [DEV_ROLE]
        assert assumed == expected, p.name
    assert [p.name for p in load_personas() if p.can("up")] == ["release-engineer"]


def test_without_a_preview_role_no_agent_but_the_release_engineer_assumes_a_role():
    for p in load_personas():
        text = json.dumps(p.iam_statements("dev", "111122223333", DEV_ROLE))
        assert "AssumeStackPreviewRole" not in text, p.name
        assert ("AssumeStackDeployRole" in text) == p.can("up"), p.name


def test_the_deploy_role_is_refused_to_a_persona_that_does_not_up(tmp_path):
    doc = shipped_document()
    by_name(doc, "reliability-engineer")["iam"].append(
        {
            "Sid": "Deploy",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": "{deploy_role}",
        }
    )
    with pytest.raises(PersonaError, match=r"\{deploy_role\} only for a persona whose operations"):
        load_modified(tmp_path, doc)


def test_the_preview_role_is_not_the_deploy_role():
    with pytest.raises(ValueError, match="preview role is the deploy role"):
        persona("release-engineer").iam_statements("dev", "111122223333", DEV_ROLE, DEV_ROLE)


def test_the_release_engineer_deploys_through_the_stacks_deploy_role_only():
    statements = {
        s["Sid"]: s
        for s in persona("release-engineer").iam_statements("dev", "111122223333", DEV_ROLE)
    }
    assert statements["AssumeStackDeployRole"]["Resource"] == [DEV_ROLE]
    assert statements["PulumiStateWrite"]["Action"] == ["s3:PutObject", "s3:DeleteObject"]
    for arn in statements["PulumiStateWrite"]["Resource"]:
        assert "/baseline/dev" in arn, arn


def test_the_registry_yields_one_role_per_serving_persona_named_by_the_stack():
    from baseline.personas import stack_roles  # noqa: PLC0415

    roles = stack_roles("prod", "444455556666")
    assert {r.persona.name for r in roles} == {
        p.name for p in load_personas() if "prod" in p.stacks
    }
    for r in roles:
        assert r.name == f"baseline-prod-{r.persona.name}"
        text = json.dumps(r.statements)
        assert not re.search(r"\{(stack|account|deploy_role|preview_role)\}", text), r.name
        assert "AssumeStackDeployRole" not in text, r.name  # no deploy role: left out
        assert "arn:aws:iam::*" not in text and ":*:*:" not in text, r.name


def test_a_persona_serving_one_stack_has_no_role_in_another(tmp_path):
    from baseline.personas import stack_roles  # noqa: PLC0415

    doc = shipped_document()
    by_name(doc, "cost-optimizer")["stacks"] = ["dev"]
    personas = load_modified(tmp_path, doc)
    assert "cost-optimizer" not in {
        r.persona.name for r in stack_roles("prod", "444455556666", personas=personas)
    }


@pytest.mark.parametrize(
    ("stack", "account", "role", "problem"),
    [
        ("dev", "1234", "", "12-digit"),
        ("dev", "111122223333", "arn:aws:iam::444455556666:role/x", "not a role of account"),
        ("dev prod", "111122223333", "", "stack name"),
    ],
)
def test_bad_stack_values_are_refused(stack, account, role, problem):
    with pytest.raises(ValueError, match=problem):
        persona("release-engineer").iam_statements(stack, account, role)
    with pytest.raises(ValueError, match=problem):  # the same checks for the preview role
        persona("release-engineer").iam_statements(stack, account, "", role or "x")


def test_an_unknown_placeholder_is_refused(tmp_path):
    doc = shipped_document()
    by_name(doc, "data-steward")["iam"].append(
        {
            "Sid": "X",
            "Effect": "Allow",
            "Action": ["rds:DescribeDBInstances"],
            "Resource": "arn:aws:rds:*:{acount}:db:*",
        }
    )
    with pytest.raises(PersonaError, match="unknown placeholder"):
        load_modified(tmp_path, doc)


def test_only_the_release_engineer_writes_state_objects():
    for p in load_personas():
        puts = [s for s in p.iam_statements() if "s3:PutObject" in s["Action"]]
        assert bool(puts) == (p.name == "release-engineer"), p.name


def test_each_policy_fits_in_an_inline_role_policy():
    for p in load_personas():
        size = len(policy_json(p.iam_statements()))
        assert size < INLINE_POLICY_LIMIT, (p.name, size)


# -- each rule rejects a bad document ----------------------------------------------------------


def test_an_unknown_operation_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "cost-optimizer")["operations"].append("deploy")
    err = rejected(tmp_path, doc, "cost-optimizer", "operations")
    assert "unknown operation 'deploy'" in str(err)


def test_destroy_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "release-engineer")["operations"].append("destroy")
    err = rejected(tmp_path, doc, "release-engineer", "operations")
    assert "never granted" in str(err)


def test_a_duplicate_name_is_rejected(tmp_path):
    doc = shipped_document()
    twin = json.loads(json.dumps(by_name(doc, "data-steward")))
    twin["priority"] = 41
    twin["kubernetes"] = {"namespace": "agents-twin", "service_account": "twin"}
    doc["personas"].append(twin)
    rejected(tmp_path, doc, "data-steward", "name")


def test_a_duplicate_priority_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "data-steward")["priority"] = by_name(doc, "cost-optimizer")["priority"]
    err = rejected(tmp_path, doc, "data-steward", "priority")  # the later one in the file
    assert "cost-optimizer" in str(err)


def test_a_second_persona_with_up_is_rejected(tmp_path):
    doc = shipped_document()
    reliability = by_name(doc, "reliability-engineer")
    reliability["operations"].append("up")
    reliability["cooldowns"]["up"] = 900
    err = rejected(tmp_path, doc, "reliability-engineer", "operations")
    assert "release-engineer" in str(err)


def test_approve_outside_the_reviewer_is_rejected(tmp_path):
    doc = shipped_document()
    auditor = by_name(doc, "security-auditor")
    auditor["operations"].append("approve")
    auditor["cooldowns"]["approve"] = 60
    err = rejected(tmp_path, doc, "security-auditor", "operations")
    assert "reviewer" in str(err)


def test_a_reviewer_that_applies_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "release-engineer")["operations"].remove("up")
    del by_name(doc, "release-engineer")["cooldowns"]["up"]
    architect = by_name(doc, "master-architect")
    architect["operations"].append("up")
    architect["cooldowns"]["up"] = 900
    rejected(tmp_path, doc, "master-architect", "operations")


@pytest.mark.parametrize("action", ["*", "*:*", "iam:*", "IAM:*", "s3:*"])
def test_a_wildcard_admin_action_is_rejected(tmp_path, action):
    doc = shipped_document()
    by_name(doc, "observability-engineer")["iam"].append(
        {"Sid": "Admin", "Effect": "Allow", "Action": action, "Resource": "*"}
    )
    err = rejected(tmp_path, doc, "observability-engineer", "iam[")
    assert "grants every action" in str(err) or "iam:*" in str(err)


def test_not_action_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "cost-optimizer")["iam"].append(
        {"Sid": "AllBut", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    )
    rejected(tmp_path, doc, "cost-optimizer", "iam[")


def test_an_unscoped_write_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "data-steward")["iam"].append(
        {"Sid": "Wide", "Effect": "Allow", "Action": "rds:DeleteDBSnapshot", "Resource": "*"}
    )
    err = rejected(tmp_path, doc, "data-steward", "iam[")
    assert "rds:DeleteDBSnapshot" in str(err)


def test_a_write_on_every_resource_of_a_type_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "observability-engineer")["iam"].append(
        {
            "Sid": "EveryAlarm",
            "Effect": "Allow",
            "Action": "cloudwatch:DisableAlarmActions",
            "Resource": "arn:aws:cloudwatch:*:*:alarm:*",
        }
    )
    rejected(tmp_path, doc, "observability-engineer", "iam[")


def test_a_write_scoped_by_the_project_tag_is_accepted(tmp_path):
    doc = shipped_document()
    by_name(doc, "observability-engineer")["iam"].append(
        {
            "Sid": "TaggedAlarms",
            "Effect": "Allow",
            "Action": "cloudwatch:DisableAlarmActions",
            "Resource": "arn:aws:cloudwatch:*:*:alarm:*",
            "Condition": {"StringEquals": {"aws:ResourceTag/project": "baseline"}},
        }
    )
    loaded = {p.name: p for p in load_modified(tmp_path, doc)}
    assert "TaggedAlarms" in {s.sid for s in loaded["observability-engineer"].policy_statements}


def test_a_cooldown_for_an_operation_not_granted_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "cost-optimizer")["cooldowns"]["up"] = 60
    rejected(tmp_path, doc, "cost-optimizer", "cooldowns.up")


def test_a_missing_cooldown_is_rejected(tmp_path):
    doc = shipped_document()
    del by_name(doc, "data-steward")["cooldowns"]["preview"]
    rejected(tmp_path, doc, "data-steward", "cooldowns.preview")


def test_an_unknown_skill_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "cost-optimizer")["skills"].append("cost-estimte")
    rejected(tmp_path, doc, "cost-optimizer", "skills")


def test_a_name_that_is_not_kebab_case_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "data-steward")["name"] = "Data_Steward"
    rejected(tmp_path, doc, "Data_Steward", "name")


def test_a_shared_service_account_is_rejected(tmp_path):
    doc = shipped_document()
    by_name(doc, "data-steward")["kubernetes"] = dict(by_name(doc, "cost-optimizer")["kubernetes"])
    err = rejected(tmp_path, doc, "data-steward", "kubernetes")
    assert "cost-optimizer" in str(err)


def test_the_error_is_an_input_error_naming_the_file(tmp_path):
    doc = shipped_document()
    by_name(doc, "cost-optimizer")["operations"].append("deploy")
    with pytest.raises(InputError, match=r"personas\.yaml: persona 'cost-optimizer'"):
        load_modified(tmp_path, doc)


def test_a_file_that_is_not_yaml_is_an_input_error(tmp_path):
    path = tmp_path / "personas.yaml"
    path.write_text("personas: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_personas(path)


def test_an_unknown_version_is_an_input_error(tmp_path):
    doc = shipped_document()
    doc["version"] = 2
    with pytest.raises(InputError, match="version: 1"):
        load_modified(tmp_path, doc)
