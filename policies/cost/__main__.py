"""The cost policy pack: `pulumi preview --policy-pack policies/cost`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies import sdk_once
from policies.cost import (
    budget,
    capacity,
    database,
    graviton,
    instance_types,
    logs,
    network,
    node_pools,
    storage,
    tags,
)

sdk_once.install()

PolicyPack(
    name="baseline-cost",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *tags.POLICIES,
        *capacity.POLICIES,
        *graviton.POLICIES,
        *instance_types.POLICIES,
        *storage.POLICIES,
        *database.POLICIES,
        *network.POLICIES,
        *logs.POLICIES,
        *node_pools.POLICIES,
        *budget.POLICIES,
    ],
)
