"""The security policy pack: `pulumi preview --policy-pack policies/security`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.security import (
    cloudtrail,
    cloudwatch,
    ec2,
    eks,
    iam,
    kms,
    kubernetes,
    network,
    rds,
    resource_policies,
    s3,
    secretsmanager,
    sqs,
)

PolicyPack(
    name="baseline-security",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *rds.POLICIES,
        *s3.POLICIES,
        *cloudtrail.POLICIES,
        *eks.POLICIES,
        *network.POLICIES,
        *ec2.POLICIES,
        *kms.POLICIES,
        *iam.POLICIES,
        *resource_policies.POLICIES,
        *secretsmanager.POLICIES,
        *cloudwatch.POLICIES,
        *sqs.POLICIES,
        *kubernetes.POLICIES,
    ],
)
