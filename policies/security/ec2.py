"""EC2 rules: launch templates (the nodes of the EKS managed node groups are launched from
them)."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_bool, as_list, as_number, config, fail_closed, framework, rule_tags

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

DEFAULT_MAXIMUM_HOP_LIMIT = 1


def _metadata_options(args: ResourceValidationArgs) -> Mapping[str, object]:
    options = args.props.get("metadataOptions")
    return options if isinstance(options, Mapping) else {}


@fail_closed
def launch_template_imdsv2_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != LAUNCH_TEMPLATE:
        return
    options = _metadata_options(args)
    if options.get("httpEndpoint") == "disabled":
        return  # no metadata service at all
    if options.get("httpTokens") != "required":
        report_violation(
            f"metadataOptions.httpTokens is {options.get('httpTokens') or 'not set'}, so IMDSv1 "
            "answers unauthenticated requests (an SSRF can read the node role's credentials). "
            "Set metadata_options.http_tokens='required'.",
            None,
        )


launch_template_imdsv2 = ResourceValidationPolicy(
    name="launch-template-imdsv2",
    description="Launch templates require IMDSv2 session tokens for the instance metadata service.",
    validate=launch_template_imdsv2_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="5.6"),
    tags=rule_tags("SEC-EC2-001", cis="5.6", fsbp="EC2.170", checkov="CKV_AWS_79"),
    remediation_steps="Set metadata_options.http_tokens='required'.",
)


@fail_closed
def launch_template_imds_hop_limit_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != LAUNCH_TEMPLATE:
        return
    options = _metadata_options(args)
    if options.get("httpEndpoint") == "disabled":
        return
    maximum = as_number(config(args, "maximumHopLimit", DEFAULT_MAXIMUM_HOP_LIMIT)) or 1.0
    hops = as_number(options.get("httpPutResponseHopLimit"))
    if hops is None:
        report_violation(
            "metadataOptions.httpPutResponseHopLimit is not set, so the AMI's default applies "
            "(2 on AL2023 EKS AMIs), which lets pods reach the node role's credentials. Set "
            f"metadata_options.http_put_response_hop_limit={maximum:g}.",
            None,
        )
    elif hops > maximum:
        report_violation(
            f"metadataOptions.httpPutResponseHopLimit is {hops:g}, above {maximum:g}, so "
            "containers can reach the node role's credentials through IMDS. Set "
            f"metadata_options.http_put_response_hop_limit={maximum:g} (pods use IRSA).",
            None,
        )


launch_template_imds_hop_limit = ResourceValidationPolicy(
    name="launch-template-imds-hop-limit",
    description="Launch templates keep the metadata response hop limit at 1, away from containers.",
    validate=launch_template_imds_hop_limit_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "maximumHopLimit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 64,
                "default": DEFAULT_MAXIMUM_HOP_LIMIT,
                "description": "The largest allowed http_put_response_hop_limit.",
            }
        }
    ),
    tags=rule_tags("SEC-EC2-002", checkov="CKV_AWS_341"),
    remediation_steps="Set metadata_options.http_put_response_hop_limit=1.",
)


@fail_closed
def launch_template_ebs_encrypted_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != LAUNCH_TEMPLATE:
        return
    for i, mapping in enumerate(as_list(args.props.get("blockDeviceMappings"))):
        ebs = mapping.get("ebs") if isinstance(mapping, Mapping) else None
        if not isinstance(ebs, Mapping):
            continue  # an instance-store or suppressed device
        if as_bool(ebs.get("encrypted")) is not True:
            device = mapping.get("deviceName") or f"blockDeviceMappings[{i}]"
            report_violation(
                f"EBS volume {device} has encrypted={ebs.get('encrypted')!r}, so it depends on "
                "the account's default encryption setting. Set ebs.encrypted='true' (and "
                "ebs.kms_key_id for a customer-managed key).",
                None,
            )


launch_template_ebs_encrypted = ResourceValidationPolicy(
    name="launch-template-ebs-encrypted",
    description="Launch templates encrypt every EBS volume they declare.",
    validate=launch_template_ebs_encrypted_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="2.2.1"),
    tags=rule_tags("SEC-EC2-003", cis="2.2.1", checkov="CKV_AWS_8"),
    remediation_steps="Set encrypted='true' in every block_device_mappings[].ebs.",
)

POLICIES = [launch_template_imdsv2, launch_template_imds_hop_limit, launch_template_ebs_encrypted]
