"""Resource policies (KMS key policies, S3 bucket policies, SNS and SQS policies, Secrets Manager,
ECR, EFS, OpenSearch, Glacier, Backup, API Gateway, CloudWatch Logs, and Lambda permissions):
none allows everyone without a condition that narrows the caller (see
`policies.iam_documents` for what counts as everyone and as narrowing)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import fail_closed, known, rule_tags
from policies.iam_documents import Condition, everyone_grants, parse_document

# Type token -> the property that holds the resource policy document.
RESOURCE_POLICY_PROPERTIES = {
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:s3/bucketV2:BucketV2": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:ecr/registryPolicy:RegistryPolicy": "policy",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
    "aws:backup/vaultPolicy:VaultPolicy": "policy",
    "aws:apigateway/restApi:RestApi": "policy",
    "aws:apigateway/restApiPolicy:RestApiPolicy": "policy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
    "aws:opensearch/domain:Domain": "accessPolicies",
    "aws:opensearch/domainPolicy:DomainPolicy": "accessPolicies",
    "aws:elasticsearch/domain:Domain": "accessPolicies",
    "aws:elasticsearch/domainPolicy:DomainPolicy": "accessPolicies",
    "aws:glacier/vault:Vault": "accessPolicy",
}
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
LAYER_PERMISSION = "aws:lambda/layerVersionPermission:LayerVersionPermission"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
# A Lambda permission is one statement; these properties narrow its principal (as the condition
# keys they become: aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID).
LAMBDA_NARROWING = {
    "sourceArn": "aws:sourcearn",
    "sourceAccount": "aws:sourceaccount",
    "principalOrgId": "aws:principalorgid",
}


def _lambda_narrowed(props: Any) -> bool:
    return any(
        Condition("StringEquals", key, (str(value),)).pins
        for prop, key in LAMBDA_NARROWING.items()
        if (value := known(props, prop))
    )


@fail_closed
def resource_policy_no_public_principal_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type == FUNCTION_URL:
        if str(args.props.get("authorizationType") or "").upper() == "NONE":
            report_violation(
                "authorizationType is NONE, so anyone on the internet can invoke the function "
                "through its URL. Set authorization_type='AWS_IAM' (or put the function behind "
                "an API with its own authorizer).",
                None,
            )
        return
    if args.resource_type == LAYER_PERMISSION:
        principal = str(args.props.get("principal") or "")
        if "*" in principal and not known(args.props, "organizationId"):
            report_violation(
                "The layer permission lets every AWS account use the layer. Name the account, or "
                "set organization_id.",
                None,
            )
        return
    if args.resource_type == LAMBDA_PERMISSION:
        principal = str(args.props.get("principal") or "")
        if "*" in principal and not _lambda_narrowed(args.props):
            report_violation(
                f"The permission lets principal {principal!r} invoke the function from any "
                "account. Name the calling service or account, and set source_arn or "
                "source_account (or principal_org_id).",
                None,
            )
        return
    key = RESOURCE_POLICY_PROPERTIES.get(args.resource_type)
    if key is None:
        return
    for s in everyone_grants(parse_document(args.props.get(key), key)):
        actions = list(s.actions or ()) or [f"all but {list(s.not_actions or ())}"]
        report_violation(
            f"{key} {s.label} allows {actions} to everyone (Principal '*', "
            "{'AWS': '*'} or NotPrincipal) with no condition narrowing the caller, so any AWS "
            "account, or anyone at all, can use this resource. Name the principals, or add a "
            "condition on aws:SourceAccount, aws:SourceArn, aws:PrincipalAccount, "
            "aws:PrincipalOrgID, aws:SourceVpce or kms:CallerAccount.",
            None,
        )


resource_policy_no_public_principal = ResourceValidationPolicy(
    name="resource-policy-no-public-principal",
    description=(
        "No resource policy (KMS key, S3 bucket, SNS topic, SQS queue, secret, ECR, EFS, "
        "OpenSearch, Glacier, Backup, API Gateway, CloudWatch Logs, Lambda permissions, layers "
        "and function URLs) allows everyone without a condition that narrows the caller."
    ),
    validate=resource_policy_no_public_principal_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=[
        *rule_tags("SEC-RES-001", fsbp="S3.2", checkov="CKV_AWS_70"),
        "aws-fsbp:KMS.5",
        "aws-fsbp:SNS.4",
        "aws-fsbp:Lambda.1",
        "checkov:CKV_AWS_33",
        "checkov:CKV_AWS_168",
        "checkov:CKV_AWS_169",
        "checkov:CKV_AWS_301",
    ],
    remediation_steps=(
        "Replace Principal '*' with the principals that need access, or add a condition that "
        "pins the caller to your account, organisation, source ARN or VPC endpoint."
    ),
)

POLICIES = [resource_policy_no_public_principal]
