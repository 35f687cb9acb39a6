"""Audit: the trail's settings, a private, versioned, KMS-encrypted, TLS-only bucket that admits
CloudTrail for this trail only, lifecycle rules, access logging, CloudWatch Logs delivery, and the
order of creation."""

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.audit import (
    Audit,
    AuditArgs,
    access_log_bucket_policy,
    check_args,
    cloudwatch_delivery_policy,
    key_policy,
    trail_arn,
    trail_bucket_policy,
)
from tests.conftest import one, run_component
from toolchain.export import Resource, StackExport

ACCOUNT = "123456789012"  # the mocks' account
REGION = "us-east-1"
TRAIL_NAME = "baseline-prod"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL_NAME}"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"


@pytest.fixture(scope="module")
def audit() -> StackExport:
    def program():
        provider = aws.Provider("aws", region=REGION)
        args = AuditArgs(
            account_id=ACCOUNT,
            region=REGION,
            trail_name=TRAIL_NAME,
            log_retention_days=365,
            object_expiration_days=2555,
            glacier_transition_days=90,
        )
        a = Audit("audit", args, pulumi.ResourceOptions(providers=[provider]))
        return {"trailArn": a.trail_arn, "bucketName": a.bucket_name}

    return run_component(program)


def by_name(export: StackExport, type_token: str, name: str) -> Resource:
    found = [r for r in export.of_type(type_token) if r.name == name]
    assert len(found) == 1, f"expected one {type_token} named {name}, found {len(found)}"
    return found[0]


def trail_bucket(export: StackExport) -> Resource:
    return by_name(export, BUCKET, "audit-trail")


def access_log_bucket(export: StackExport) -> Resource:
    return by_name(export, BUCKET, "audit-access-logs")


def of_bucket(export: StackExport, type_token: str, bucket: Resource) -> Resource:
    found = [
        r for r in export.of_type(type_token) if r.inputs.get("bucket") == bucket.outputs["id"]
    ]
    assert len(found) == 1, f"expected one {type_token} for {bucket.urn}, found {len(found)}"
    return found[0]


def statements(resource: Resource, key: str = "policy") -> list[dict[str, Any]]:
    return json.loads(resource.inputs[key])["Statement"]


def tls_only(stmts: list[dict[str, Any]], bucket_arn: str) -> bool:
    return any(
        s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Action"] == "s3:*"
        and set(s["Resource"]) == {bucket_arn, f"{bucket_arn}/*"}
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in stmts
    )


@pytest.fixture(params=["trail", "access-logs"])
def each_bucket(request, audit) -> Resource:
    return trail_bucket(audit) if request.param == "trail" else access_log_bucket(audit)


# -- pure decisions ---------------------------------------------------------------------------


def test_the_trail_arn_is_computed_from_region_account_and_name():
    assert trail_arn(REGION, ACCOUNT, TRAIL_NAME) == TRAIL_ARN


def test_key_policy_lets_cloudtrail_encrypt_for_this_trail_only():
    stmts = json.loads(key_policy(ACCOUNT, REGION, TRAIL_NAME))["Statement"]
    cloudtrail = [s for s in stmts if s["Principal"] == {"Service": "cloudtrail.amazonaws.com"}]
    assert {s["Action"] for s in cloudtrail} == {"kms:GenerateDataKey*", "kms:DescribeKey"}
    for s in cloudtrail:
        assert s["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN, s["Sid"]
    (encrypt,) = [s for s in cloudtrail if s["Action"] == "kms:GenerateDataKey*"]
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
    }


def test_key_policy_lets_the_account_administer_the_key():
    stmts = json.loads(key_policy(ACCOUNT, REGION, TRAIL_NAME))["Statement"]
    assert {
        "Sid": "EnableIamPolicies",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    } in stmts


def test_key_policy_lets_cloudwatch_logs_use_it_for_the_trail_log_group_only():
    stmts = json.loads(key_policy(ACCOUNT, REGION, TRAIL_NAME))["Statement"]
    (logs,) = [s for s in stmts if s["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}]
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/cloudtrail/{TRAIL_NAME}"
            )
        }
    }


def test_no_key_policy_statement_admits_anyone_outside_the_account():
    for s in json.loads(key_policy(ACCOUNT, REGION, TRAIL_NAME))["Statement"]:
        assert s["Principal"] != "*" and s["Principal"] != {"AWS": "*"}, s["Sid"]


def test_trail_bucket_policy_admits_cloudtrail_only_for_the_trail():
    arn = "arn:aws:s3:::b"
    stmts = json.loads(trail_bucket_policy(arn, ACCOUNT, TRAIL_ARN))["Statement"]
    allows = [s for s in stmts if s["Effect"] == "Allow"]
    assert {s["Action"] for s in allows} == {"s3:GetBucketAcl", "s3:PutObject"}
    for s in allows:
        assert s["Principal"] == {"Service": "cloudtrail.amazonaws.com"}, s["Sid"]
        assert s["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN, s["Sid"]
    (write,) = [s for s in allows if s["Action"] == "s3:PutObject"]
    assert write["Resource"] == f"{arn}/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    assert tls_only(stmts, arn)


def test_access_log_bucket_policy_admits_s3_logging_for_the_trail_bucket_only():
    stmts = json.loads(access_log_bucket_policy("arn:aws:s3:::logs", "arn:aws:s3:::src", ACCOUNT))[
        "Statement"
    ]
    (allow,) = [s for s in stmts if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::src"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    assert tls_only(stmts, "arn:aws:s3:::logs")


def test_delivery_policy_writes_to_the_one_log_group():
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/cloudtrail/x"
    (s,) = json.loads(cloudwatch_delivery_policy(group))["Statement"]
    assert sorted(s["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert s["Resource"] == f"{group}:log-stream:*"


@pytest.mark.parametrize(("transition", "expiration"), [(90, 90), (365, 90)])
def test_expiration_before_the_transition_is_refused(transition, expiration):
    args = AuditArgs(
        account_id=ACCOUNT,
        region=REGION,
        glacier_transition_days=transition,
        object_expiration_days=expiration,
    )
    with pytest.raises(ValueError, match="object_expiration_days"):
        check_args(args)


# -- the trail --------------------------------------------------------------------------------


def test_the_trail_covers_every_region_and_global_services(audit):
    trail = one(audit, TRAIL)
    assert trail.inputs["name"] == TRAIL_NAME, trail.urn
    assert trail.inputs["isMultiRegionTrail"] is True, trail.urn
    assert trail.inputs["includeGlobalServiceEvents"] is True, trail.urn
    assert trail.inputs["enableLogging"] is True, trail.urn


def test_the_trail_validates_log_files(audit):
    trail = one(audit, TRAIL)
    assert trail.inputs["enableLogFileValidation"] is True, trail.urn


def test_the_trail_encrypts_with_the_components_key(audit):
    trail, key = one(audit, TRAIL), one(audit, "aws:kms/key:Key")
    assert trail.inputs["kmsKeyId"] == key.outputs["arn"], trail.urn
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert json.loads(key.inputs["policy"]) == json.loads(key_policy(ACCOUNT, REGION, TRAIL_NAME))


def test_the_trail_writes_to_the_trail_bucket(audit):
    trail = one(audit, TRAIL)
    assert trail.inputs["s3BucketName"] == trail_bucket(audit).outputs["bucket"], trail.urn
    assert audit.stack_outputs["bucketName"] == trail.inputs["s3BucketName"]


def test_the_trail_delivers_to_cloudwatch_logs(audit):
    trail = one(audit, TRAIL)
    group = one(audit, "aws:cloudwatch/logGroup:LogGroup")
    role = one(audit, "aws:iam/role:Role")
    assert trail.inputs["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*", trail.urn
    assert trail.inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"], trail.urn


def test_the_log_group_is_kept_and_encrypted(audit):
    group, key = one(audit, "aws:cloudwatch/logGroup:LogGroup"), one(audit, "aws:kms/key:Key")
    assert group.inputs["name"] == f"/aws/cloudtrail/{TRAIL_NAME}", group.urn
    assert group.inputs["retentionInDays"] == 365, group.urn
    assert group.inputs["kmsKeyId"] == key.outputs["arn"], group.urn


def test_the_delivery_role_serves_this_trail_and_this_log_group_only(audit):
    role = one(audit, "aws:iam/role:Role")
    policy = one(audit, "aws:iam/rolePolicy:RolePolicy")
    group = one(audit, "aws:cloudwatch/logGroup:LogGroup")
    (trust,) = statements(role, "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}, role.urn
    assert trust["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}, role.urn
    (allow,) = statements(policy)
    assert allow["Resource"] == f"{group.outputs['arn']}:log-stream:*", policy.urn


def test_the_trail_is_created_after_its_bucket_policy(audit):
    trail = one(audit, TRAIL)
    policy = of_bucket(audit, POLICY, trail_bucket(audit))
    assert policy.urn in trail.dependencies, f"{trail.urn} does not depend on {policy.urn}"


def test_the_trail_is_created_after_its_delivery_policy(audit):
    trail = one(audit, TRAIL)
    policy = one(audit, "aws:iam/rolePolicy:RolePolicy")
    assert policy.urn in trail.dependencies, f"{trail.urn} does not depend on {policy.urn}"


def test_the_trail_arn_is_the_one_the_policies_name(audit):
    trail = one(audit, TRAIL)
    assert trail.outputs["arn"] == TRAIL_ARN, trail.urn
    assert audit.stack_outputs["trailArn"] == TRAIL_ARN


# -- the buckets ------------------------------------------------------------------------------


def test_every_bucket_blocks_all_public_access(audit, each_bucket):
    bpa = of_bucket(audit, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", each_bucket)
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert bpa.inputs[flag] is True, f"{bpa.urn}: {flag}"


def test_every_bucket_disables_acls(audit, each_bucket):
    oc = of_bucket(audit, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", each_bucket)
    assert oc.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}, oc.urn


def test_every_bucket_is_versioned(audit, each_bucket):
    v = of_bucket(audit, "aws:s3/bucketVersioning:BucketVersioning", each_bucket)
    assert v.inputs["versioningConfiguration"]["status"] == "Enabled", v.urn


def test_every_bucket_is_tls_only(audit, each_bucket):
    policy = of_bucket(audit, POLICY, each_bucket)
    assert tls_only(statements(policy), each_bucket.outputs["arn"]), policy.urn


def test_the_trail_bucket_is_encrypted_with_the_key_and_a_bucket_key(audit):
    sse = of_bucket(
        audit,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        trail_bucket(audit),
    )
    (rule,) = sse.inputs["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms", sse.urn
    assert default["kmsMasterKeyId"] == one(audit, "aws:kms/key:Key").outputs["arn"], sse.urn
    assert rule["bucketKeyEnabled"] is True, sse.urn


def test_the_access_log_bucket_is_encrypted_with_sse_s3(audit):
    sse = of_bucket(
        audit,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        access_log_bucket(audit),
    )
    (rule,) = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256", sse.urn


def test_cloudtrail_writes_only_for_this_trail(audit):
    policy = of_bucket(audit, POLICY, trail_bucket(audit))
    bucket_arn = trail_bucket(audit).outputs["arn"]
    assert json.loads(policy.inputs["policy"]) == json.loads(
        trail_bucket_policy(bucket_arn, ACCOUNT, TRAIL_ARN)
    ), policy.urn
    for s in statements(policy):
        if s["Effect"] == "Allow":
            assert s["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN, policy.urn


def test_trail_logs_move_to_glacier_then_expire(audit):
    lc = of_bucket(
        audit,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        trail_bucket(audit),
    )
    (rule,) = lc.inputs["rules"]
    assert rule["status"] == "Enabled", lc.urn
    assert rule["filter"] == {}, lc.urn  # every object
    assert rule["transitions"] == [{"days": 90, "storageClass": "GLACIER_IR"}], lc.urn
    assert rule["expiration"] == {"days": 2555}, lc.urn
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] > 0, lc.urn
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] > 0, lc.urn


def test_access_logs_expire(audit):
    lc = of_bucket(
        audit,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        access_log_bucket(audit),
    )
    (rule,) = lc.inputs["rules"]
    assert rule["expiration"] == {"days": 365}, lc.urn
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] > 0, lc.urn
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] > 0, lc.urn


def test_the_trail_bucket_logs_access_to_the_access_log_bucket(audit):
    logging = one(audit, "aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["bucket"] == trail_bucket(audit).outputs["id"], logging.urn
    assert logging.inputs["targetBucket"] == access_log_bucket(audit).outputs["id"], logging.urn
    assert logging.inputs["targetPrefix"], logging.urn


def test_s3_logging_may_write_to_the_access_log_bucket(audit):
    policy = of_bucket(audit, POLICY, access_log_bucket(audit))
    (allow,) = [s for s in statements(policy) if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}, policy.urn
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"] == trail_bucket(audit).outputs["arn"]
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT, policy.urn
    logging = one(audit, "aws:s3/bucketLogging:BucketLogging")
    assert policy.urn in logging.dependencies, f"{logging.urn} is created before {policy.urn}"


def test_the_component_registers_its_outputs(audit):
    comp = one(audit, "baseline:audit:Audit")
    assert comp.outputs == {
        "trailArn": TRAIL_ARN,
        "bucketName": trail_bucket(audit).outputs["bucket"],
        "logGroupName": f"/aws/cloudtrail/{TRAIL_NAME}",
        "kmsKeyArn": one(audit, "aws:kms/key:Key").outputs["arn"],
    }, comp.urn


def test_every_bucket_lifecycle_waits_for_its_versioning(audit):
    export = audit
    versioning = {
        r.inputs["bucket"]: r.urn
        for r in export.of_type("aws:s3/bucketVersioning:BucketVersioning")
    }
    rules = export.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert len(rules) == 2
    for rule in rules:
        assert versioning[rule.inputs["bucket"]] in rule.dependencies, rule.urn
