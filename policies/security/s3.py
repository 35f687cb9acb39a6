"""S3 rules. A bucket's settings live in companion resources (`BucketPublicAccessBlock`,
`BucketServerSideEncryptionConfiguration`, `BucketVersioning`, `BucketPolicy`) that name the
bucket, so most rules are stack rules: each bucket is matched to its companions by the bucket's
id or name, or, while those are not known yet in a preview, by the property dependency the engine
records. The deprecated inline settings of `aws.s3.Bucket` count when no companion exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import (
    Targets,
    as_bool,
    as_list,
    fail_closed,
    framework,
    known,
    present,
    refers_to,
    rule_tags,
)
from policies.iam_documents import Statement, is_everyone, parse_document
from policies.values import ValueProblem

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_ACL_TYPES = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ENCRYPTION_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING_TYPES = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"

BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
BUCKET_IDS = ("id", "bucket")


def buckets(resources: list[PolicyResource]) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in BUCKET_TYPES]


def companions(
    bucket: PolicyResource, resources: list[PolicyResource], types: tuple[str, ...] | str
) -> list[PolicyResource]:
    """The resources of `types` whose `bucket` input names `bucket`."""
    wanted = (types,) if isinstance(types, str) else types
    return [
        r
        for r in resources
        if r.resource_type in wanted and refers_to(r, "bucket", bucket, BUCKET_IDS)
    ]


def with_companions(
    resources: list[PolicyResource], types: tuple[str, ...] | str
) -> list[tuple[PolicyResource, list[PolicyResource]]]:
    """Every bucket with its `companions`, found in one pass over the stack (not one per bucket:
    a stack of many buckets would be quadratic)."""
    wanted = (types,) if isinstance(types, str) else types
    all_buckets = buckets(resources)
    index = Targets(all_buckets, BUCKET_IDS)
    found: list[list[PolicyResource]] = [[] for _ in all_buckets]
    for r in resources:
        if r.resource_type in wanted:
            for n in index.positions(r, "bucket"):
                found[n].append(r)
    return list(zip(all_buckets, found, strict=True))


def _label(bucket: PolicyResource) -> str:
    return str(known(bucket.props, "bucket") or bucket.name)


# --- Public access block ---------------------------------------------------------------------


def _all_flags_on(props: Mapping[str, Any]) -> list[str]:
    """The block-public-access flags that are not on."""
    return [f for f in BLOCK_FLAGS if as_bool(known(props, f)) is not True]


@fail_closed
def s3_public_access_block_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    account_blocked = any(
        r.resource_type == ACCOUNT_PUBLIC_ACCESS_BLOCK and not _all_flags_on(r.props)
        for r in args.resources
    )
    for bucket, blocks in with_companions(args.resources, PUBLIC_ACCESS_BLOCK):
        if not blocks and not account_blocked:
            report_violation(
                f"Bucket {_label(bucket)} has no aws.s3.BucketPublicAccessBlock. Add one with "
                "block_public_acls, block_public_policy, ignore_public_acls and "
                "restrict_public_buckets all True.",
                bucket.urn,
            )
        for block in blocks:
            off = _all_flags_on(block.props)
            if off:
                report_violation(
                    f"The public access block of bucket {_label(bucket)} leaves {off} off. Set "
                    "all four flags to True.",
                    block.urn,
                )


s3_public_access_block = StackValidationPolicy(
    name="s3-public-access-block",
    description="Every S3 bucket has a public access block with all four settings on.",
    validate=s3_public_access_block_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="2.1.4"),
    tags=[
        *rule_tags("SEC-S3-001", cis="2.1.4", fsbp="S3.8", checkov="CKV2_AWS_6"),
        "checkov:CKV_AWS_53",
        "checkov:CKV_AWS_54",
        "checkov:CKV_AWS_55",
        "checkov:CKV_AWS_56",
    ],
    remediation_steps=(
        "Add an aws.s3.BucketPublicAccessBlock for the bucket with all four flags True (an "
        "account-level block in the stack also covers buckets without their own)."
    ),
)


# --- Encryption --------------------------------------------------------------------------------


def log_targets(resources: list[PolicyResource]) -> set[str]:
    """URNs of the buckets that receive S3 server access logs."""
    targets: set[str] = set()
    all_buckets = buckets(resources)
    index = Targets(all_buckets, BUCKET_IDS)  # a look-up per reference, not a scan
    for logging in (r for r in resources if r.resource_type in LOGGING_TYPES):
        targets |= {b.urn for b in index.named_by(logging, "targetBucket")}
    for b in all_buckets:
        inline = known(b.props, "logging")
        target = inline.get("targetBucket") if isinstance(inline, Mapping) else None
        if target:
            targets |= {t.urn for t in index.having(target)}
    return targets


def _encryption_rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The default-encryption rules of a companion (`rules`) or of an inline configuration
    (`serverSideEncryptionConfiguration.rule`)."""
    rules = as_list(known(props, "rules"))
    inline = known(props, "serverSideEncryptionConfiguration")
    if isinstance(inline, Mapping):
        rules += as_list(inline.get("rule")) + as_list(inline.get("rules"))
    out: list[Mapping[str, Any]] = []
    for rule in rules:
        if isinstance(rule, Mapping):
            default = rule.get("applyServerSideEncryptionByDefault")
            out += [d for d in as_list(default) if isinstance(d, Mapping)]
    return out


def _encryption_problem(props: Mapping[str, Any], log_target: bool) -> str | None:
    defaults = _encryption_rules(props)
    if any(
        str(d.get("sseAlgorithm")) in KMS_ALGORITHMS and present(d, "kmsMasterKeyId")
        for d in defaults
    ):
        return None
    algorithms = sorted({str(d.get("sseAlgorithm")) for d in defaults})
    if log_target and "AES256" in algorithms:
        return None
    if any(str(d.get("sseAlgorithm")) in KMS_ALGORITHMS for d in defaults):
        return (
            "uses SSE-KMS without kms_master_key_id, so the AWS-managed aws/s3 key (whose policy "
            "cannot be restricted) encrypts it"
        )
    if not defaults:
        return "has no default encryption rule"
    return f"defaults to {algorithms} instead of SSE-KMS with a customer-managed key"


@fail_closed
def s3_encryption_kms_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    targets = log_targets(args.resources)
    fix = (
        "Give it an aws.s3.BucketServerSideEncryptionConfiguration whose rule sets "
        "sse_algorithm='aws:kms' and kms_master_key_id to a customer-managed key."
    )
    for bucket, configs in with_companions(args.resources, ENCRYPTION_TYPES):
        is_target = bucket.urn in targets
        for cfg in configs:
            problem = _encryption_problem(cfg.props, is_target)
            if problem:
                report_violation(f"Bucket {_label(bucket)} {problem}. {fix}", cfg.urn)
        if configs:
            continue
        inline = known(bucket.props, "serverSideEncryptionConfiguration")
        if is_target and not isinstance(inline, Mapping):
            continue  # S3 applies SSE-S3 by default, which is what a log target may use
        problem = (
            _encryption_problem(bucket.props, is_target)
            if isinstance(inline, Mapping)
            else "has no default encryption configuration (S3 then applies SSE-S3, whose keys "
            "cannot be controlled or audited)"
        )
        if problem:
            report_violation(f"Bucket {_label(bucket)} {problem}. {fix}", bucket.urn)


s3_encryption_kms = StackValidationPolicy(
    name="s3-encryption-kms",
    description=(
        "S3 buckets encrypt by default with SSE-KMS under a customer-managed key; only buckets "
        "that receive S3 server access logs may use SSE-S3 (AES256), because log delivery does "
        "not support SSE-KMS."
    ),
    validate=s3_encryption_kms_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-S3-002", checkov="CKV_AWS_145"),
    remediation_steps=(
        "Add an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm='aws:kms' and "
        "kms_master_key_id set (AES256 only for a server-access-log target bucket)."
    ),
)


# --- Versioning --------------------------------------------------------------------------------


@fail_closed
def s3_versioning_validator(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket, configs in with_companions(args.resources, VERSIONING_TYPES):
        for cfg in configs:
            setting = known(cfg.props, "versioningConfiguration")
            status = setting.get("status") if isinstance(setting, Mapping) else None
            if status != "Enabled":
                report_violation(
                    f"Versioning of bucket {_label(bucket)} is {status or 'not set'}. Set "
                    "versioning_configuration.status='Enabled'.",
                    cfg.urn,
                )
        if configs:
            continue
        inline = known(bucket.props, "versioning")
        if not (isinstance(inline, Mapping) and as_bool(inline.get("enabled")) is True):
            report_violation(
                f"Bucket {_label(bucket)} has no aws.s3.BucketVersioning, so overwritten or "
                "deleted objects cannot be recovered. Add one with "
                "versioning_configuration.status='Enabled'.",
                bucket.urn,
            )


s3_versioning = StackValidationPolicy(
    name="s3-versioning",
    description="S3 buckets keep object versions.",
    validate=s3_versioning_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-S3-003", checkov="CKV_AWS_21"),
    remediation_steps=(
        "Add an aws.s3.BucketVersioning with versioning_configuration.status='Enabled' (and a "
        "lifecycle rule expiring noncurrent versions)."
    ),
)


# --- TLS-only bucket policy --------------------------------------------------------------------


def _denies_insecure_transport(s: Statement) -> bool:
    """A Deny of every S3 action, to everyone, when the request is not over TLS."""
    return (
        not s.allow
        and is_everyone(s.principals)
        and s.covers_actions("s3:?*")
        and any(
            c.operator.lower() == "bool"
            and c.key == "aws:securetransport"
            and {v.lower() for v in c.values} == {"false"}
            for c in s.conditions
        )
    )


def enforces_tls(policy: Any) -> bool:
    try:
        statements = parse_document(policy, "policy")
    except ValueProblem:
        return False  # a policy that cannot be read enforces nothing
    return any(_denies_insecure_transport(s) for s in statements)


@fail_closed
def s3_tls_only_validator(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    fix = (
        "Add a statement that denies s3:* to Principal '*' on the bucket and its objects with "
        "Condition Bool aws:SecureTransport = 'false'."
    )
    for bucket, policies in with_companions(args.resources, BUCKET_POLICY):
        if any(enforces_tls(known(p.props, "policy")) for p in policies):
            continue
        if policies:
            for p in policies:
                report_violation(
                    f"The policy of bucket {_label(bucket)} does not deny plain-HTTP requests. "
                    f"{fix}",
                    p.urn,
                )
        elif not enforces_tls(known(bucket.props, "policy")):
            report_violation(
                f"Bucket {_label(bucket)} has no bucket policy denying plain-HTTP requests. Add "
                f"an aws.s3.BucketPolicy. {fix}",
                bucket.urn,
            )


s3_tls_only = StackValidationPolicy(
    name="s3-tls-only",
    description="S3 bucket policies deny requests that do not use TLS.",
    validate=s3_tls_only_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=framework(cis="2.1.1"),
    tags=rule_tags("SEC-S3-004", cis="2.1.1", fsbp="S3.5", checkov="CKV_AWS_379"),
    remediation_steps=(
        "Add a Deny statement on s3:* for Principal '*' with Bool aws:SecureTransport 'false' "
        "to the bucket policy."
    ),
)


# --- ACLs --------------------------------------------------------------------------------------


def _public_grants(props: Mapping[str, Any]) -> list[str]:
    """URIs of public groups granted access by a bucket's `grants` or a BucketAcl's
    `accessControlPolicy.grants`."""
    found: list[str] = []
    grants = as_list(props.get("grants"))
    acp = props.get("accessControlPolicy")
    if isinstance(acp, Mapping):
        grants += as_list(acp.get("grants"))
    for grant in grants:
        if not isinstance(grant, Mapping):
            continue
        grantee = grant.get("grantee")
        uri = grantee.get("uri") if isinstance(grantee, Mapping) else grant.get("uri")
        if uri in PUBLIC_GRANTEES:
            found.append(str(uri).rsplit("/", 1)[-1])
    return found


@fail_closed
def s3_no_public_acl_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in BUCKET_TYPES + BUCKET_ACL_TYPES:
        return
    acl = args.props.get("acl")
    if acl in PUBLIC_ACLS:
        report_violation(
            f"The canned ACL {acl!r} opens the bucket to everyone"
            f"{' with an AWS account' if acl == 'authenticated-read' else ''}. Remove the ACL "
            "(acl='private' or none) and keep object ownership at BucketOwnerEnforced.",
            None,
        )
    public = _public_grants(args.props)
    if public:
        report_violation(
            f"The ACL grants access to {sorted(set(public))}. Remove those grants and keep object "
            "ownership at BucketOwnerEnforced, which disables ACLs.",
            None,
        )


s3_no_public_acl = ResourceValidationPolicy(
    name="s3-no-public-acl",
    description="S3 bucket ACLs grant nothing to everyone or to all AWS users.",
    validate=s3_no_public_acl_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=[
        *rule_tags("SEC-S3-005", fsbp="S3.2", checkov="CKV_AWS_20"),
        "aws-fsbp:S3.3",
        "checkov:CKV_AWS_57",
        "checkov:CKV2_AWS_43",
    ],
    remediation_steps=(
        "Drop public canned ACLs and public grants; use BucketOwnerEnforced object ownership."
    ),
)

POLICIES = [s3_public_access_block, s3_encryption_kms, s3_versioning, s3_tls_only, s3_no_public_acl]
