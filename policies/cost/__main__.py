"""The cost policy pack: `pulumi preview --policy-pack policies/cost`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.cost import tags

PolicyPack(
    name="baseline-cost",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[*tags.POLICIES],
)
