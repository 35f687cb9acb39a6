"""Access, read from the plan: the stack's administrator, editor and viewer roles become EKS
access entries with AmazonEKSClusterAdminPolicy scoped to the cluster (admins, through the
cluster's `admin_role_arns`) or AmazonEKSEditPolicy / AmazonEKSViewPolicy scoped to the
environment namespaces; none by default; bad principals refused naming the key."""

from __future__ import annotations

import pytest

from components.access import (
    CLUSTER_ADMIN_POLICY,
    EDIT_POLICY,
    VIEW_POLICY,
    AccessArgs,
    check_access,
)
from tests.conftest import plan
from toolchain.export import Resource, StackExport
from toolchain.gate import CONFIG_DIR, Gate
from toolchain.plan import PlanError

ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ADMIN = "arn:aws:iam::123456789012:role/platform/PlatformAdmin"
EDITOR = "arn:aws:iam::123456789012:role/AppTeamDeveloper"
VIEWER = "arn:aws:iam::123456789012:role/Auditor"


@pytest.fixture(scope="module")
def people() -> StackExport:
    return plan(
        "dev",
        clusterAdminRoleArns=[ADMIN],
        clusterEditorRoleArns=[EDITOR],
        clusterViewerRoleArns=[VIEWER],
    )


def associations(export: StackExport) -> dict[str, Resource]:
    return {a.inputs["principalArn"]: a for a in export.of_type(ASSOCIATION)}


def test_no_people_by_default(each_stack: StackExport) -> None:
    """Only the stack's read-only preview role (the agents' read-only runs) has an entry: the
    cluster-wide view policy, which reads no Secrets."""
    entries = [e for e in each_stack.of_type(ENTRY) if e.inputs.get("type") == "STANDARD"]
    assert [e.inputs["principalArn"].rsplit("/", 1)[-1] for e in entries] == [
        f"baseline-previewer-{entries[0].urn.split(':')[2]}"
    ]
    # Secrets only where the Helm releases keep their records (tests/baseline/test_program.py
    # checks the namespaces against the plan's releases).
    assert sorted(
        (a.inputs["policyArn"].rsplit("/", 1)[-1], a.inputs["accessScope"]["type"])
        for a in each_stack.of_type(ASSOCIATION)
    ) == [("AmazonEKSAdminViewPolicy", "namespace"), ("AmazonEKSViewPolicy", "cluster")]


def test_admins_get_cluster_admin_on_the_cluster(people: StackExport) -> None:
    admin = associations(people)[ADMIN]
    assert admin.inputs["policyArn"] == CLUSTER_ADMIN_POLICY, admin.urn
    assert admin.inputs["accessScope"] == {"type": "cluster"}, admin.urn
    assert people.component_of(admin) == "cluster", admin.urn


@pytest.mark.parametrize(("arn", "policy"), [(EDITOR, EDIT_POLICY), (VIEWER, VIEW_POLICY)])
def test_editors_and_viewers_are_scoped_to_the_environments(people, arn, policy) -> None:
    assoc = associations(people)[arn]
    assert assoc.inputs["policyArn"] == policy, assoc.urn
    assert assoc.inputs["accessScope"] == {
        "type": "namespace",
        "namespaces": ["dev", "staging", "qa"],
    }, assoc.urn
    (entry,) = [e for e in people.of_type(ENTRY) if e.inputs["principalArn"] == arn]
    assert entry.urn in assoc.dependencies, assoc.urn


def test_each_person_has_one_entry(people: StackExport) -> None:
    principals = [e.inputs["principalArn"] for e in people.of_type(ENTRY)]
    assert sorted(p for p in principals if p in (ADMIN, EDITOR, VIEWER)) == sorted(
        [ADMIN, EDITOR, VIEWER]
    )
    assert len(principals) == len(set(principals)), principals


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"clusterAdminRoleArns": ["arn:aws:iam::123456789012:root"]}, "clusterAdminRoleArns"),
        ({"clusterEditorRoleArns": ["arn:aws:iam::123456789012:role/*"]}, "clusterEditorRoleArns"),
        (
            {"clusterViewerRoleArns": ["arn:aws:iam::123456789012:user/bob"]},
            "clusterViewerRoleArns",
        ),
        (
            {"clusterAdminRoleArns": [ADMIN], "clusterViewerRoleArns": [ADMIN]},
            "clusterViewerRoleArns",
        ),
    ],
)
def test_bad_principals_stop_the_plan_naming_the_key(overrides, key) -> None:
    with pytest.raises(PlanError, match=f"'baseline:{key}'"):
        plan("dev", **overrides)


def test_a_role_in_two_lists_is_refused_by_the_component() -> None:
    args = AccessArgs(
        cluster_name="c", namespaces=("qa",), editor_role_arns=(EDITOR,), viewer_role_arns=(EDITOR,)
    )
    with pytest.raises(ValueError, match="also in editor_role_arns"):
        check_access(args)
    with pytest.raises(ValueError, match="namespace"):
        check_access(AccessArgs(cluster_name="c", namespaces=(), viewer_role_arns=(VIEWER,)))


@pytest.mark.slow
def test_the_plan_with_people_passes_the_packs(people) -> None:
    with Gate(project="baseline", stack="dev") as gate:
        result = gate.run(people, CONFIG_DIR / "dev")
    assert not result.mandatory, [(v.policyName, v.urn, v.detail) for v in result.mandatory]
