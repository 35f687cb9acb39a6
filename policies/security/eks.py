"""EKS rules: the cluster's API endpoint, secrets encryption, control-plane logs and version,
its managed node groups, and the nodes Karpenter launches (EC2NodeClass: metadata service and
volumes, judged like the managed groups' launch templates)."""

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
    as_number,
    config,
    fail_closed,
    framework,
    known,
    known_items,
    present,
    rule_tags,
)
from policies.karpenter import is_node_class, items, mapping

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

DEFAULT_MAXIMUM_HOP_LIMIT = 1


@fail_closed
def karpenter_node_class_imdsv2_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_node_class(args.resource_type):
        return
    spec = mapping(args.props.get("spec"), "spec")
    options = mapping(spec.get("metadataOptions"), "spec.metadataOptions")
    if not options:
        report_violation(
            "spec.metadataOptions is not set, so what the nodes' metadata service accepts is "
            "left to the Karpenter version's defaults, which the plan cannot show. Set "
            "metadataOptions {httpTokens: required, httpPutResponseHopLimit: 1} explicitly.",
            None,
        )
        return
    if options.get("httpEndpoint") == "disabled":
        return  # no metadata service at all
    problems = []
    if options.get("httpTokens") != "required":
        problems.append(
            f"httpTokens is {options.get('httpTokens') or 'not set'} (IMDSv1 answers "
            "unauthenticated requests, so an SSRF can read the node role's credentials)"
        )
    maximum = as_number(config(args, "maximumHopLimit", DEFAULT_MAXIMUM_HOP_LIMIT)) or 1.0
    hops = as_number(options.get("httpPutResponseHopLimit"), "httpPutResponseHopLimit")
    if hops is None or hops > maximum:
        shown = "not set" if hops is None else f"{hops:g}"
        problems.append(
            f"httpPutResponseHopLimit is {shown}, not at most {maximum:g} (pods could reach the "
            "node role's credentials)"
        )
    if problems:
        report_violation(
            f"spec.metadataOptions: {'; '.join(problems)}. Set httpTokens: required and "
            f"httpPutResponseHopLimit: {maximum:g}.",
            None,
        )


karpenter_node_class_imdsv2 = ResourceValidationPolicy(
    name="karpenter-node-class-imdsv2",
    description="Karpenter EC2NodeClasses require IMDSv2 tokens and keep the metadata response "
    "hop limit at 1, away from containers.",
    validate=karpenter_node_class_imdsv2_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="5.6"),
    config_schema=PolicyConfigSchema(
        properties={
            "maximumHopLimit": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_MAXIMUM_HOP_LIMIT,
                "description": "The largest httpPutResponseHopLimit allowed.",
            }
        }
    ),
    tags=rule_tags("SEC-EKS-006", cis="5.6", fsbp="EC2.170", checkov="CKV_AWS_79"),
    remediation_steps="Set the EC2NodeClass's spec.metadataOptions to httpTokens: required and "
    "httpPutResponseHopLimit: 1.",
)


@fail_closed
def karpenter_node_class_encrypted_volumes_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_node_class(args.resource_type):
        return
    spec = mapping(args.props.get("spec"), "spec")
    mappings = items(spec.get("blockDeviceMappings"), "spec.blockDeviceMappings")
    if not mappings:
        report_violation(
            "spec.blockDeviceMappings is not set, so the nodes' root volume is whatever the "
            "Karpenter version and AMI family default to, which the plan cannot show. Declare "
            "the root volume with ebs.encrypted: true.",
            None,
        )
        return
    for i, raw in enumerate(mappings):
        where = f"spec.blockDeviceMappings[{i}]"
        device = mapping(raw, where)
        ebs = mapping(device.get("ebs"), f"{where}.ebs")
        if as_bool(ebs.get("encrypted")) is not True:
            report_violation(
                f"{where} ({device.get('deviceName') or 'no device name'}) is not encrypted "
                f"(ebs.encrypted is {ebs.get('encrypted')!r}), so node disks, container images "
                "and emptyDir data sit in clear text. Set ebs.encrypted: true (and kmsKeyID for a "
                "customer-managed key).",
                None,
            )


karpenter_node_class_encrypted_volumes = ResourceValidationPolicy(
    name="karpenter-node-class-encrypted-volumes",
    description="Karpenter EC2NodeClasses declare their EBS volumes, each encrypted.",
    validate=karpenter_node_class_encrypted_volumes_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="2.2.1"),
    tags=rule_tags("SEC-EKS-007", cis="2.2.1", checkov="CKV_AWS_8"),
    remediation_steps="Declare spec.blockDeviceMappings with ebs.encrypted: true on every volume.",
)

POLICIES = [
    eks_endpoint_not_public,
    eks_secrets_encryption,
    eks_control_plane_logging,
    eks_minimum_version,
    eks_node_group_no_ssh,
    karpenter_node_class_imdsv2,
    karpenter_node_class_encrypted_volumes,
]
