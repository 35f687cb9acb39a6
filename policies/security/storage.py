"""Storage rules: every StorageClass that provisions EBS volumes encrypts them with a
customer-managed key, judged on the parameters Kubernetes hands the provisioner (strings:
`encrypted: "true"`).

A class whose encryption cannot be read (a flag that is not true or false, a key id that is not a
string, no provisioner) fails closed; so does a class of another provisioner, whose parameters this
rule cannot judge, unless the policy config lists that provisioner (with the reason) in
`otherProvisioners`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.common import config, fail_closed, known, rule_tags, string_list
from policies.values import ValueProblem, boolean

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
# The EBS CSI driver and the in-tree EBS plugin it replaced (migrated to the driver).
EBS_PROVISIONERS = ("ebs.csi.aws.com", "kubernetes.io/aws-ebs")
# AWS managed keys: encrypted, but with a key whose policy the account does not control.
AWS_MANAGED_KEY = ("alias/aws/", ":alias/aws/")


def _parameters(props: Mapping[str, Any]) -> Mapping[str, Any]:
    params = known(props, "parameters")
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValueProblem("parameters", params, "a map of strings")
    return params


def encryption_problems(props: Mapping[str, Any], others: list[str]) -> list[str]:
    """Why a StorageClass's volumes are not encrypted with a customer-managed key (none: fine).
    Raises `ValueProblem` for what cannot be read."""
    provisioner = known(props, "provisioner")
    if not isinstance(provisioner, str) or not provisioner.strip():
        raise ValueProblem("provisioner", provisioner, "a provisioner name")
    if provisioner not in EBS_PROVISIONERS:
        if provisioner in others:
            return []
        raise ValueProblem(
            "provisioner",
            provisioner,
            f"one of {list(EBS_PROVISIONERS)} (whose encryption this rule reads) or a "
            "provisioner listed in otherProvisioners",
        )
    params = _parameters(props)
    problems = []
    # Kubernetes keeps parameters as strings; absent means the EBS default (account setting).
    if boolean(params.get("encrypted"), "parameters.encrypted") is not True:
        problems.append(
            'parameters.encrypted is not "true" (absent, the volume is encrypted only if the '
            "account turns EBS encryption by default on)"
        )
    try:
        key = params.get("kmsKeyId")
    except UnknownValueError:  # a key being created in the same preview: a key is set
        key = "unknown"
    if key is None or key == "":
        problems.append("parameters.kmsKeyId is not set (the AWS managed key aws/ebs is used)")
    elif not isinstance(key, str):
        raise ValueProblem("parameters.kmsKeyId", key, "a KMS key ARN, id or alias")
    elif any(marker in key for marker in AWS_MANAGED_KEY):
        problems.append(f"parameters.kmsKeyId is {key}, an AWS managed key")
    return problems


@fail_closed
def storage_class_encrypted_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != STORAGE_CLASS:
        return
    others = [str(p) for p in config(args, "otherProvisioners", [])]
    problems = encryption_problems(args.props, others)
    if problems:
        metadata = known(args.props, "metadata") or {}
        name = metadata.get("name") if isinstance(metadata, Mapping) else None
        report_violation(
            f"StorageClass {name or args.urn}: {'; '.join(problems)}. Every volume claimed "
            "through it would hold application data outside a key the stack controls. Set "
            'parameters encrypted: "true" and kmsKeyId: <the ARN of a customer-managed key>.',
            None,
        )


storage_class_encrypted = ResourceValidationPolicy(
    name="storage-class-encrypted",
    description="StorageClasses that provision EBS volumes encrypt them with a customer-managed "
    'KMS key (encrypted "true" and a kmsKeyId that is not an AWS managed key); a class whose '
    "encryption cannot be read, or of a provisioner the rule does not know, fails.",
    validate=storage_class_encrypted_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "otherProvisioners": string_list(
                "Provisioners other than EBS whose classes this rule passes "
                "(their encryption is judged elsewhere, e.g. an EFS file system's)."
            )
        }
    ),
    tags=rule_tags("SEC-K8S-014"),
    remediation_steps="Set encrypted and kmsKeyId (a customer-managed key) in the parameters.",
)

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [storage_class_encrypted]
