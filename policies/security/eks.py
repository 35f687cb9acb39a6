"""EKS rules: the cluster's API endpoint, secrets encryption, control-plane logs and version,
and its managed node groups."""

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
)

from policies.cidr import THRESHOLD_SCHEMA, coverage, thresholds
from policies.common import (
    as_bool,
    as_list,
    config,
    fail_closed,
    known,
    known_items,
    present,
    rule_tags,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"

DEFAULT_REQUIRED_LOG_TYPES = ["api", "audit", "authenticator"]
DEFAULT_MINIMUM_VERSION = "1.32"


@fail_closed
def eks_endpoint_not_public_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    vpc = args.props.get("vpcConfig")
    vpc = vpc if isinstance(vpc, Mapping) else {}
    # EKS defaults: the public endpoint is on, and open to 0.0.0.0/0 when no CIDRs are given.
    if as_bool(vpc.get("endpointPublicAccess")) is False:
        return
    cidrs = [str(c) for c in known_items(known(vpc, "publicAccessCidrs"))]
    if not present(vpc, "publicAccessCidrs"):
        report_violation(
            "The public API endpoint is on with no publicAccessCidrs, so it is open to "
            "0.0.0.0/0. Set vpc_config.endpoint_public_access=False (reach the API through the "
            "private endpoint), or list the deployers' CIDRs in public_access_cidrs.",
            None,
        )
        return
    reach = coverage(cidrs)
    if reach.exposed(**thresholds(args)):
        report_violation(
            f"The public API endpoint admits {cidrs}, which together cover {reach.describe()}: "
            "the internet. List only the deployers' CIDRs in vpc_config.public_access_cidrs, or "
            "turn endpoint_public_access off.",
            None,
        )


eks_endpoint_not_public = ResourceValidationPolicy(
    name="eks-endpoint-not-public",
    description=(
        "The EKS API endpoint is not open to the internet (its public access CIDRs judged by "
        "the public address space they cover together)."
    ),
    validate=eks_endpoint_not_public_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(properties=THRESHOLD_SCHEMA),
    tags=rule_tags("SEC-EKS-001", fsbp="EKS.1", checkov="CKV_AWS_38"),
    remediation_steps=(
        "Set vpc_config.endpoint_public_access=False, or restrict public_access_cidrs to known "
        "networks."
    ),
)


@fail_closed
def eks_secrets_encryption_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    configs = [c for c in as_list(args.props.get("encryptionConfig")) if isinstance(c, Mapping)]
    for cfg in configs:
        provider = cfg.get("provider")
        keyed = isinstance(provider, Mapping) and present(provider, "keyArn")
        if "secrets" in [str(r) for r in as_list(cfg.get("resources"))] and keyed:
            return
    report_violation(
        "encryptionConfig does not encrypt 'secrets' with a KMS key, so Kubernetes secrets are "
        "not envelope-encrypted with a key you control. Set encryption_config with "
        "resources=['secrets'] and provider.key_arn to a customer-managed key.",
        None,
    )


eks_secrets_encryption = ResourceValidationPolicy(
    name="eks-secrets-encryption",
    description="EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed key.",
    validate=eks_secrets_encryption_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-EKS-002", fsbp="EKS.3", checkov="CKV_AWS_58"),
    remediation_steps="Set encryption_config(resources=['secrets'], provider.key_arn=<CMK>).",
)


@fail_closed
def eks_control_plane_logging_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    required = [str(t) for t in config(args, "requiredLogTypes", DEFAULT_REQUIRED_LOG_TYPES)]
    enabled = {str(t) for t in as_list(args.props.get("enabledClusterLogTypes"))}
    missing = [t for t in required if t not in enabled]
    if missing:
        report_violation(
            f"enabledClusterLogTypes lacks {missing}, so those control-plane logs are not kept. "
            f"Add them to enabled_cluster_log_types (required: {required}).",
            None,
        )


eks_control_plane_logging = ResourceValidationPolicy(
    name="eks-control-plane-logging",
    description="EKS clusters send the API, audit and authenticator logs to CloudWatch Logs.",
    validate=eks_control_plane_logging_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "requiredLogTypes": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
                },
                "default": DEFAULT_REQUIRED_LOG_TYPES,
                "description": "Control-plane log types every cluster must enable.",
            }
        }
    ),
    tags=rule_tags("SEC-EKS-003", fsbp="EKS.8", checkov="CKV_AWS_37"),
    remediation_steps="Add api, audit and authenticator to enabled_cluster_log_types.",
)


def _version(value: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in str(value).strip().split("."))
    except ValueError:
        return None


@fail_closed
def eks_minimum_version_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (EKS_CLUSTER, EKS_NODE_GROUP):
        return
    minimum_text = str(config(args, "minimumVersion", DEFAULT_MINIMUM_VERSION))
    minimum = _version(minimum_text) or _version(DEFAULT_MINIMUM_VERSION) or ()
    value = args.props.get("version")
    if value is None:
        if args.resource_type == EKS_CLUSTER:
            report_violation(
                "version is not set, so EKS picks its current default and later runs upgrade "
                f"the cluster implicitly. Pin version to {minimum_text} or newer.",
                None,
            )
        return  # a node group without a version follows its cluster's
    current = _version(value)
    if current is None or current < minimum:
        report_violation(
            f"Kubernetes version {value} is older than the minimum {minimum_text}, and is out of "
            f"(or close to leaving) EKS standard support. Upgrade version to {minimum_text} or "
            "newer, one minor version at a time.",
            None,
        )


eks_minimum_version = ResourceValidationPolicy(
    name="eks-minimum-version",
    description="EKS clusters and node groups run at least the configured Kubernetes version.",
    validate=eks_minimum_version_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumVersion": {
                "type": "string",
                "pattern": "^[0-9]+\\.[0-9]+$",
                "default": DEFAULT_MINIMUM_VERSION,
                "description": 'The oldest Kubernetes minor version allowed (e.g. "1.32").',
            }
        }
    ),
    tags=rule_tags("SEC-EKS-004", fsbp="EKS.2", checkov="CKV_AWS_339"),
    remediation_steps="Raise the cluster's (and node groups') version to the configured minimum.",
)


@fail_closed
def eks_node_group_no_ssh_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != EKS_NODE_GROUP:
        return
    remote = args.props.get("remoteAccess")
    if isinstance(remote, Mapping) and remote:
        sources = as_list(remote.get("sourceSecurityGroupIds"))
        reach = "from 0.0.0.0/0" if not sources else f"from {sources}"
        report_violation(
            f"remoteAccess opens SSH (port 22) to the nodes {reach}. Remove remote_access and use "
            "SSM Session Manager (the node role has AmazonSSMManagedInstanceCore).",
            None,
        )


eks_node_group_no_ssh = ResourceValidationPolicy(
    name="eks-node-group-no-ssh",
    description="EKS managed node groups do not open SSH remote access.",
    validate=eks_node_group_no_ssh_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-EKS-005", checkov="CKV_AWS_100"),
    remediation_steps="Remove remote_access from the node group; use SSM Session Manager.",
)

POLICIES = [
    eks_endpoint_not_public,
    eks_secrets_encryption,
    eks_control_plane_logging,
    eks_minimum_version,
    eks_node_group_no_ssh,
]
