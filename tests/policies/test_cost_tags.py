"""Cost-allocation tags, driven through the analyzer three ways (tags from the provider, a tag
blanked by the resource, no tags anywhere), and the remediation that fills them from config."""

from __future__ import annotations

import dataclasses

import pytest

from tests.policies.conftest import COST_TAGS, analyze, provider, resource
from tests.policies.test_cost_storage import Remediator
from toolchain.gate import normalize_config

RULE = "required-cost-tags"
NAT = "aws:ec2/natGateway:NatGateway"


@pytest.mark.parametrize(
    ("case", "tags", "default_tags", "missing"),
    [
        ("provider defaults pass", {"Name": "nat"}, COST_TAGS, []),
        ("own tags pass", COST_TAGS, None, []),
        ("blanked owner fails", {"owner": ""}, COST_TAGS, ["owner"]),
        ("missing everywhere fails", None, None, ["project", "stack", "owner", "cost-center"]),
    ],
)
def test_required_cost_tags(cost, case, tags, default_tags, missing):
    props = {"subnetId": "subnet-1", **({"tags": tags} if tags is not None else {})}
    name = case.replace(" ", "-")
    found = [
        v
        for v in analyze(cost, NAT, props, default_tags=default_tags, name=name)
        if v.policyName == RULE
    ]
    urn = f"urn:pulumi:test::baseline::{NAT}::{name}"
    assert bool(found) == bool(missing), f"{RULE} on {urn} ({case}): {[v.detail for v in found]}"
    if missing:
        assert str(missing) in found[0].detail, f"{RULE} on {urn}: {found[0].detail}"


@pytest.mark.parametrize(
    "default_tags",
    [
        '{"tags": {"owner": "team"',
        '{"tags": {"owner": "team"}, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
    ids=["not JSON", "nested past the decoder's depth"],
)
def test_provider_default_tags_that_are_not_json_are_no_default_tags(cost, default_tags):
    # the nested text raised RecursionError in the pack: no verdict on the plan at all
    aws = provider()
    aws = dataclasses.replace(aws, inputs={**aws.inputs, "defaultTags": default_tags})
    cost.configure(normalize_config({}, cost.policies, "test config"))
    found = [
        v
        for v in cost.analyze(resource(NAT, {"subnetId": "subnet-1"}, "nat"), aws)
        if v.policyName == RULE
    ]
    assert found and "['project', 'stack', 'owner', 'cost-center']" in found[0].detail, found


def test_untaggable_types_are_skipped(cost):
    found = analyze(cost, "aws:ec2/route:Route", {"routeTableId": "rtb-1"}, default_tags=None)
    assert RULE not in {v.policyName for v in found}, found


def test_list_tagged_autoscaling_groups_are_skipped(cost):
    # An autoscaling group's tags are a list, and default tags do not apply to it.
    props = {"tags": [{"key": "owner", "value": "x", "propagateAtLaunch": True}], "maxSize": 1}
    found = analyze(cost, "aws:autoscaling/group:Group", props, default_tags=None)
    assert RULE not in {v.policyName for v in found}, found


def test_required_tags_come_from_the_policy_config(cost):
    cfg = {RULE: {"requiredTags": ["team"]}}
    found = analyze(cost, NAT, {"subnetId": "s"}, config=cfg, default_tags={"team": "a"})
    assert RULE not in {v.policyName for v in found}, found


def test_remediation_adds_missing_tags_from_the_policy_config(cost):
    cfg = {RULE: {"enforcementLevel": "remediate", "defaultTags": COST_TAGS}}
    nat = resource(NAT, {"subnetId": "subnet-1", "tags": {"Name": "nat", "owner": ""}}, "nat")
    fixed = Remediator(cost, cfg).remediate(nat, provider({"project": "baseline"}))
    assert fixed.get(RULE, {}).get("tags") == {
        "Name": "nat",
        "owner": "team",
        "stack": "test",
        "cost-center": "cc-1",
    }, f"{RULE} on {nat.urn}: {fixed}"
    assert fixed[RULE]["subnetId"] == "subnet-1", f"{RULE} on {nat.urn} dropped properties"


def test_remediation_invents_no_values(cost):
    cfg = {RULE: {"enforcementLevel": "remediate", "defaultTags": {"project": "baseline"}}}
    nat = resource(NAT, {"subnetId": "subnet-1"}, "nat")
    fixed = Remediator(cost, cfg).remediate(nat, provider({"project": "baseline"}))
    assert RULE not in fixed, f"{RULE} on {nat.urn}: {fixed}"
