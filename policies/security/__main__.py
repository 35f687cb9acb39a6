"""The security policy pack: `pulumi preview --policy-pack policies/security`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.security import rds

PolicyPack(
    name="baseline-security",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[*rds.POLICIES],
)
