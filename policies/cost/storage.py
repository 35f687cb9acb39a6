"""Block storage rules: gp3 everywhere. An EBS gp3 volume costs 20% less per GiB than gp2. RDS
charges the same per GiB for both, but gp3 gives 3000 IOPS at any size where gp2 gives 3 per GiB,
so a gp2 database is bought larger than its data to get its IOPS."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_list, config, fail_closed, remediation, rule_tags, string_list

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
RDS_INSTANCE = "aws:rds/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"

DEFAULT_ALLOWED_TYPES = ["gp3"]
# Changed by the remediation: same performance class, cheaper. io1/io2/st1/sc1/standard are
# reported only: moving off them changes the volume's performance or price model.
_CONVERTIBLE = {"gp2", None}


def _volume_types(args: ResourceValidationArgs) -> list[tuple[str, str | None]]:
    """(property path, volume type or None when unset) of each volume the resource defines."""
    props = args.props
    if args.resource_type == LAUNCH_TEMPLATE:
        found: list[tuple[str, str | None]] = []
        for i, mapping in enumerate(as_list(props.get("blockDeviceMappings"))):
            ebs = mapping.get("ebs") if isinstance(mapping, Mapping) else None
            if isinstance(ebs, Mapping):  # instance-store and no-device mappings have no ebs
                found.append((f"blockDeviceMappings[{i}].ebs.volumeType", ebs.get("volumeType")))
        return found
    if args.resource_type == RDS_INSTANCE:
        if str(props.get("engine") or "").startswith("aurora"):
            return []  # Aurora storage is the cluster's, not a volume type
        return [("storageType", props.get("storageType"))]
    if args.resource_type == EBS_VOLUME:
        return [("type", props.get("type"))]
    return []


@fail_closed
def gp3_storage_validator(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in (LAUNCH_TEMPLATE, RDS_INSTANCE, EBS_VOLUME):
        return
    allowed = [str(t) for t in config(args, "allowedTypes", DEFAULT_ALLOWED_TYPES)]
    for path, volume_type in _volume_types(args):
        if volume_type in allowed:
            continue
        shown = "is not set (the default is gp2)" if volume_type is None else f"is {volume_type}"
        report_violation(
            f"{path} {shown}. Set it to gp3 (allowed: {allowed}; policy config allowedTypes); "
            "an existing EBS volume or RDS instance changes storage type in place.",
            None,
        )


def gp3_storage_remediation(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """Sets gp2 and unset volume types to gp3."""
    if args.resource_type not in (LAUNCH_TEMPLATE, RDS_INSTANCE, EBS_VOLUME):
        return None
    allowed = [str(t) for t in config(args, "allowedTypes", DEFAULT_ALLOWED_TYPES)]
    if "gp3" not in allowed:
        return None
    props = cast(MutableMapping[str, Any], args.props)
    changed = False
    for path, volume_type in _volume_types(args):
        if volume_type in allowed or volume_type not in _CONVERTIBLE:
            continue
        changed = True
        if args.resource_type == LAUNCH_TEMPLATE:
            index = int(path.split("[", 1)[1].split("]", 1)[0])
            props["blockDeviceMappings"][index]["ebs"]["volumeType"] = "gp3"
        else:
            props[path] = "gp3"
    return props if changed else None


gp3_storage = ResourceValidationPolicy(
    name="gp3-storage",
    description="EBS volumes, launch template block devices and RDS storage use gp3.",
    validate=gp3_storage_validator,
    remediate=remediation(gp3_storage_remediation),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedTypes": string_list(
                "Volume and storage types allowed (add io2 for a database that "
                "needs provisioned IOPS beyond gp3's 16000).",
                DEFAULT_ALLOWED_TYPES,
            )
        }
    ),
    tags=rule_tags("COST-EBS-001"),
    remediation_steps="Set volume_type / storage_type / type to gp3. With enforcementLevel "
    "'remediate', gp2 and unset types are changed to gp3 automatically.",
)

POLICIES = [gp3_storage]
