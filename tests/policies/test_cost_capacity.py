"""EKS node capacity rules, driven through the analyzer: SPOT node groups, the per-group ceiling
(each three ways: passing, failing, missing the property) and the stack-wide node count."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.conftest import analyze, analyze_stack, resource
from toolchain.gate import CONFIG_DIR, load_policy_config

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"

# The dev plan's workload group, trimmed to what the rules read.
SPOT_GROUP: dict[str, Any] = {
    "amiType": "AL2023_ARM_64_STANDARD",
    "capacityType": "SPOT",
    "instanceTypes": ["m7g.large", "m6g.large", "c7g.large", "r7g.large"],
    "labels": {"role": "workload"},
    "scalingConfig": {"desiredSize": 1, "maxSize": 5, "minSize": 1},
}
SYSTEM_GROUP: dict[str, Any] = {
    **SPOT_GROUP,
    "capacityType": "ON_DEMAND",
    "instanceTypes": ["t4g.medium"],
    "labels": {"role": "system"},
    "scalingConfig": {"desiredSize": 1, "maxSize": 2, "minSize": 1},
}


def without(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in keys}


def fired(cost, rule: str, props: dict[str, Any], name: str, config: Any = None) -> list[Any]:
    found = analyze(cost, NODE_GROUP, props, config=config, name=name)
    return [v for v in found if v.policyName == rule]


SPOT_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("spot passes", SPOT_GROUP, False),
    ("system group on demand passes", SYSTEM_GROUP, False),
    ("workload on demand fails", {**SPOT_GROUP, "capacityType": "ON_DEMAND"}, True),
    (
        "system label but too large fails",
        {**SYSTEM_GROUP, "scalingConfig": {"desiredSize": 1, "maxSize": 6, "minSize": 1}},
        True,
    ),
    # Unset: EKS buys on-demand capacity.
    ("capacity type missing fails", without(SPOT_GROUP, "capacityType"), True),
    ("labels missing fails", without(SYSTEM_GROUP, "labels"), True),
]


@pytest.mark.parametrize(("case", "props", "fires"), SPOT_CASES, ids=[c for c, _, _ in SPOT_CASES])
def test_node_groups_on_spot(cost, case, props, fires):
    name = case.replace(" ", "-")
    found = fired(cost, "node-groups-on-spot", props, name)
    urn = f"urn:pulumi:test::baseline::{NODE_GROUP}::{name}"
    assert bool(found) == fires, (
        f"node-groups-on-spot on {urn} ({case}): {[v.detail for v in found]}"
    )
    assert all(v.urn == urn for v in found), [v.urn for v in found]


def test_missing_capacity_type_says_on_demand_is_the_default(cost):
    found = fired(cost, "node-groups-on-spot", without(SPOT_GROUP, "capacityType"), "ng-default")
    assert found and "(the default)" in found[0].detail, [v.detail for v in found]
    assert "capacity_type='SPOT'" in found[0].detail, found[0].detail


def test_on_demand_labels_come_from_the_policy_config(cost):
    cfg = {"node-groups-on-spot": {"onDemandLabels": {"tier": "core"}, "onDemandMaxNodes": 3}}
    core = {**SYSTEM_GROUP, "labels": {"tier": "core"}}
    assert not fired(cost, "node-groups-on-spot", core, "ng-core", cfg), "tier=core is allowed"
    assert fired(cost, "node-groups-on-spot", SYSTEM_GROUP, "ng-system", cfg), "role=system is not"


@pytest.mark.parametrize(("stack", "fires"), [("dev", True), ("prod", False)])
def test_spot_is_mandatory_in_dev_and_off_in_prod(cost, stack, fires):
    cfg = load_policy_config(CONFIG_DIR / stack, "cost")
    found = fired(
        cost, "node-groups-on-spot", {**SPOT_GROUP, "capacityType": "ON_DEMAND"}, stack, cfg
    )
    assert bool(found) == fires, f"node-groups-on-spot in {stack}: {found}"
    assert all(v.enforcementLevel == "mandatory" for v in found), found


MAX_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("at the limit passes", SPOT_GROUP, False),
    (
        "above the limit fails",
        {**SPOT_GROUP, "scalingConfig": {"desiredSize": 1, "maxSize": 6, "minSize": 1}},
        True,
    ),
    ("scaling config missing fails", without(SPOT_GROUP, "scalingConfig"), True),
]


@pytest.mark.parametrize(("case", "props", "fires"), MAX_CASES, ids=[c for c, _, _ in MAX_CASES])
def test_node_group_max_size(cost, case, props, fires):
    name = case.replace(" ", "-")
    cfg = {"node-group-max-size": {"maxNodes": 5}}
    found = fired(cost, "node-group-max-size", props, name, cfg)
    assert bool(found) == fires, f"node-group-max-size on {name} ({case}): {found}"
    if fires and "scalingConfig" in props:
        assert "maxSize is 6, above the limit of 5" in found[0].detail, found[0].detail


def group(name: str, max_size: int | None) -> Any:
    props = dict(SPOT_GROUP)
    if max_size is None:
        props.pop("scalingConfig")
    else:
        props["scalingConfig"] = {"desiredSize": 1, "maxSize": max_size, "minSize": 1}
    return resource(NODE_GROUP, props, name)


def stack_hits(cost, resources: list[Any], cap: int) -> list[Any]:
    found = analyze_stack(cost, resources, config={"stack-node-count": {"maxNodes": cap}})
    return [v for v in found if v.policyName == "stack-node-count"]


def test_stack_node_count_passes_at_the_limit(cost):
    hits = stack_hits(cost, [group("system", 2), group("spot", 6)], cap=8)
    assert not hits, [v.detail for v in hits]


def test_stack_node_count_fails_on_the_largest_group(cost):
    groups = [group("system", 2), group("spot", 6), group("batch", 3)]
    hits = stack_hits(cost, groups, cap=8)
    assert len(hits) == 1, f"stack-node-count: {[v.detail for v in hits]}"
    assert hits[0].urn == groups[1].urn, f"stack-node-count reported on {hits[0].urn}"
    assert "11 nodes in all" in hits[0].detail and "spot=6" in hits[0].detail, hits[0].detail


def test_stack_node_count_ignores_a_group_without_scaling_config(cost):
    # The missing ceiling is node-group-max-size's to report; the known ones still add up.
    hits = stack_hits(cost, [group("system", 2), group("unset", None)], cap=2)
    assert not hits, [v.detail for v in hits]


def test_size_not_known_in_a_preview_is_not_reported_as_missing(cost):
    # The engine reports the rule as not runnable (advisory), not the ceiling as missing.
    props = {**SPOT_GROUP, "scalingConfig": {"desiredSize": 1, "maxSize": UNKNOWN, "minSize": 1}}
    found = fired(cost, "node-group-max-size", props, "ng-preview")
    assert found, "node-group-max-size said nothing about an unknown maxSize"
    assert all(v.enforcementLevel == "advisory" for v in found), [v.detail for v in found]
    assert all("can't be known during preview" in v.message for v in found), found
