"""S3 rules. The stack rules run over small sets of resources the way `AnalyzeStack` hands them
over (outputs, with property dependencies); each is tested with a compliant bucket, a failing one
and a bucket missing the companion resource."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.conftest import analyze, analyze_stack, resource
from toolchain.export import Resource

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
KEY = "arn:aws:kms:us-east-1:123456789012:key/8cc2a9f1-664b-4537-88cc-2a9f1664b537"
FLAGS = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def bucket(name: str = "data", **outputs: Any) -> Resource:
    return resource(BUCKET, {}, name, outputs={"id": f"{name}-1", "bucket": f"{name}-1", **outputs})


def companion(type_token: str, of: Resource, name: str, **props: Any) -> Resource:
    return resource(type_token, {"bucket": of.outputs["bucket"], **props}, name)


def pending(r: Resource, key: str, target: Resource) -> Resource:
    """`r` as in a preview of a new stack: its `key` not known yet, with the dependency on
    `target` the engine records."""
    return dataclasses.replace(
        r,
        outputs={**r.outputs, key: UNKNOWN_STRING_VALUE},
        raw={**r.raw, "propertyDependencies": {key: [target.urn]}},
    )


def tls_policy(name: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def hits(security, rule: str, resources: list[Resource]) -> dict[str, list[str]]:
    """The URNs the rule reported, each with its messages."""
    out: dict[str, list[str]] = {}
    for v in analyze_stack(security, resources):
        if v.policyName == rule:
            out.setdefault(v.urn, []).append(v.detail)
    return out


# --- s3-public-access-block --------------------------------------------------------------------


def test_public_access_block_passes(security):
    b = bucket()
    found = hits(security, "s3-public-access-block", [b, companion(PAB, b, "data", **FLAGS)])
    assert not found, found


def test_public_access_block_with_a_flag_off_fails_on_the_block(security):
    b = bucket()
    block = companion(PAB, b, "data", **{**FLAGS, "blockPublicPolicy": False})
    found = hits(security, "s3-public-access-block", [b, block])
    assert list(found) == [block.urn], found
    assert "blockPublicPolicy" in found[block.urn][0]


def test_public_access_block_missing_fails_on_the_bucket(security):
    b = bucket()
    found = hits(security, "s3-public-access-block", [b])
    assert list(found) == [b.urn], found


def test_public_access_block_flag_missing_fails(security):
    b = bucket()
    block = companion(PAB, b, "data", **{k: v for k, v in FLAGS.items() if k != "ignorePublicAcls"})
    found = hits(security, "s3-public-access-block", [b, block])
    assert list(found) == [block.urn], found


def test_account_public_access_block_covers_buckets_without_their_own(security):
    b = bucket()
    account = resource(ACCOUNT_PAB, FLAGS, "account")
    found = hits(security, "s3-public-access-block", [b, account])
    assert not found, found


def test_block_matches_through_the_property_dependency_while_the_name_is_unknown(security):
    b = bucket()
    block = pending(companion(PAB, b, "data", **FLAGS), "bucket", b)
    found = hits(security, "s3-public-access-block", [b, block])
    assert not found, found


def test_block_with_an_unknown_name_and_no_dependency_does_not_count(security):
    b = bucket()
    block = dataclasses.replace(
        companion(PAB, b, "data", **FLAGS), outputs={**FLAGS, "bucket": UNKNOWN_STRING_VALUE}
    )
    found = hits(security, "s3-public-access-block", [b, block])
    assert list(found) == [b.urn], found


def test_block_of_another_bucket_does_not_count(security):
    b, other = bucket("data"), bucket("other")
    found = hits(
        security, "s3-public-access-block", [b, other, companion(PAB, other, "other", **FLAGS)]
    )
    assert list(found) == [b.urn], found


# --- s3-encryption-kms -------------------------------------------------------------------------


def sse(of: Resource, algorithm: str, key: str | None = KEY) -> Resource:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key:
        default["kmsMasterKeyId"] = key
    return companion(SSE, of, of.name, rules=[{"applyServerSideEncryptionByDefault": default}])


def test_encryption_with_a_customer_key_passes(security):
    b = bucket()
    assert not hits(security, "s3-encryption-kms", [b, sse(b, "aws:kms")])


def test_encryption_with_a_key_not_known_yet_passes(security):
    # A first preview: the key is being created, so its ARN is unknown.
    b = bucket()
    assert not hits(security, "s3-encryption-kms", [b, sse(b, "aws:kms", key=UNKNOWN_STRING_VALUE)])


def test_encryption_aes256_fails_on_the_configuration(security):
    b = bucket()
    cfg = sse(b, "AES256", key=None)
    found = hits(security, "s3-encryption-kms", [b, cfg])
    assert list(found) == [cfg.urn], found


def test_encryption_missing_fails_on_the_bucket(security):
    b = bucket()
    found = hits(security, "s3-encryption-kms", [b])
    assert list(found) == [b.urn], found


def test_encryption_with_the_aws_managed_key_fails(security):
    b = bucket()
    cfg = sse(b, "aws:kms", key=None)
    found = hits(security, "s3-encryption-kms", [b, cfg])
    assert list(found) == [cfg.urn] and "kms_master_key_id" in found[cfg.urn][0], found


def test_aes256_is_allowed_on_a_server_access_log_target(security):
    source, logs = bucket("trail"), bucket("logs")
    logging = companion(LOGGING, source, "trail", targetBucket=logs.outputs["bucket"])
    found = hits(
        security,
        "s3-encryption-kms",
        [source, logs, logging, sse(source, "aws:kms"), sse(logs, "AES256", key=None)],
    )
    assert not found, found


def test_a_log_target_may_rely_on_the_default_sse_s3(security):
    source, logs = bucket("trail"), bucket("logs")
    logging = companion(LOGGING, source, "trail", targetBucket=logs.outputs["bucket"])
    found = hits(security, "s3-encryption-kms", [source, logs, logging, sse(source, "aws:kms")])
    assert not found, found


def test_the_log_source_still_needs_a_customer_key(security):
    source, logs = bucket("trail"), bucket("logs")
    logging = companion(LOGGING, source, "trail", targetBucket=logs.outputs["bucket"])
    found = hits(security, "s3-encryption-kms", [source, logs, logging])
    assert list(found) == [source.urn], found


def test_inline_encryption_counts_when_there_is_no_companion(security):
    inline = {
        "rule": {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
        }
    }
    b = bucket(serverSideEncryptionConfiguration=inline)
    assert not hits(security, "s3-encryption-kms", [b])


# --- s3-versioning -----------------------------------------------------------------------------


def versioning(of: Resource, status: str) -> Resource:
    return companion(VERSIONING, of, of.name, versioningConfiguration={"status": status})


def test_versioning_enabled_passes(security):
    b = bucket()
    assert not hits(security, "s3-versioning", [b, versioning(b, "Enabled")])


def test_versioning_suspended_fails_on_the_configuration(security):
    b = bucket()
    cfg = versioning(b, "Suspended")
    found = hits(security, "s3-versioning", [b, cfg])
    assert list(found) == [cfg.urn], found


def test_versioning_missing_fails_on_the_bucket(security):
    b = bucket()
    found = hits(security, "s3-versioning", [b])
    assert list(found) == [b.urn], found


def test_versioning_without_a_status_fails(security):
    b = bucket()
    cfg = companion(VERSIONING, b, b.name, versioningConfiguration={})
    found = hits(security, "s3-versioning", [b, cfg])
    assert list(found) == [cfg.urn], found


def test_inline_versioning_counts_when_there_is_no_companion(security):
    b = bucket(versioning={"enabled": True})
    assert not hits(security, "s3-versioning", [b])


# --- s3-tls-only -------------------------------------------------------------------------------


def test_tls_only_policy_passes(security):
    b = bucket()
    p = companion(POLICY, b, b.name, policy=tls_policy("data-1"))
    assert not hits(security, "s3-tls-only", [b, p])


def test_policy_without_the_deny_fails_on_the_policy(security):
    b = bucket()
    doc = json.loads(tls_policy("data-1"))
    doc["Statement"][0]["Effect"] = "Allow"
    p = companion(POLICY, b, b.name, policy=json.dumps(doc))
    found = hits(security, "s3-tls-only", [b, p])
    assert list(found) == [p.urn], found


def test_deny_on_other_actions_only_fails(security):
    b = bucket()
    doc = json.loads(tls_policy("data-1"))
    doc["Statement"][0]["Action"] = "s3:GetObject"
    p = companion(POLICY, b, b.name, policy=json.dumps(doc))
    found = hits(security, "s3-tls-only", [b, p])
    assert list(found) == [p.urn], found


def test_bucket_without_a_policy_fails_on_the_bucket(security):
    b = bucket()
    found = hits(security, "s3-tls-only", [b])
    assert list(found) == [b.urn], found


def test_tls_policy_with_an_aws_star_principal_passes(security):
    b = bucket()
    doc = json.loads(tls_policy("data-1"))
    doc["Statement"][0]["Principal"] = {"AWS": "*"}
    p = companion(POLICY, b, b.name, policy=json.dumps(doc))
    assert not hits(security, "s3-tls-only", [b, p])


# --- s3-no-public-acl --------------------------------------------------------------------------

ACL_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("passes", BUCKET, {"acl": "private"}, False),
    ("fails", BUCKET, {"acl": "public-read"}, True),
    ("missing", BUCKET, {}, False),
    ("authenticated-read", BUCKET, {"acl": "authenticated-read"}, True),
    (
        "bucket-acl public-read-write",
        BUCKET_ACL,
        {"bucket": "b-1", "acl": "public-read-write"},
        True,
    ),
    (
        "bucket-acl grant to AllUsers",
        BUCKET_ACL,
        {
            "bucket": "b-1",
            "accessControlPolicy": {
                "grants": [
                    {
                        "grantee": {
                            "type": "Group",
                            "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                        },
                        "permission": "READ",
                    }
                ],
                "owner": {"id": "owner"},
            },
        },
        True,
    ),
    (
        "bucket-acl owner grant",
        BUCKET_ACL,
        {
            "bucket": "b-1",
            "accessControlPolicy": {
                "grants": [
                    {
                        "grantee": {"type": "CanonicalUser", "id": "owner"},
                        "permission": "FULL_CONTROL",
                    }
                ],
                "owner": {"id": "owner"},
            },
        },
        False,
    ),
]


@pytest.mark.parametrize(
    ("case", "type_token", "props", "fires"), ACL_CASES, ids=[c for c, _, _, _ in ACL_CASES]
)
def test_no_public_acl(security, case, type_token, props, fires):
    rule = "s3-no-public-acl"
    name = case.replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {type_token}::{name}: {[v.detail for v in found]}"
