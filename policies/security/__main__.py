"""The security policy pack: `pulumi preview --policy-pack policies/security`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies import sdk_once
from policies.security import (
    access,
    alerting,
    cloudtrail,
    cloudwatch,
    cross_account,
    ec2,
    eks,
    fis,
    helm,
    iam,
    kms,
    kubernetes,
    load_balancer_controller,
    namespaces,
    network,
    pods,
    rbac,
    rds,
    resource_policies,
    s3,
    secretsmanager,
    sqs,
    stacks,
    storage,
    tenants,
)

sdk_once.install()

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
        *pods.POLICIES,
        *rbac.POLICIES,
        *namespaces.POLICIES,
        *tenants.POLICIES,
        *access.POLICIES,
        *helm.POLICIES,
        *storage.POLICIES,
        *load_balancer_controller.POLICIES,
        *alerting.POLICIES,
        *fis.POLICIES,
        *cross_account.POLICIES,
        *stacks.POLICIES,
    ],
)
