"""Launch-template rules, each driven through the analyzer three ways: a compliant template, a
failing one, and one missing the property the rule reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

# The prod plan's system node template, trimmed to what the rules read.
GOOD: dict[str, Any] = {
    "description": "Nodes of the system group",
    "blockDeviceMappings": [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"deleteOnTermination": "true", "encrypted": "true", "volumeSize": 50},
        }
    ],
    "metadataOptions": {
        "httpEndpoint": "enabled",
        "httpPutResponseHopLimit": 1,
        "httpTokens": "required",
    },
}


def with_metadata(**options: Any) -> dict[str, Any]:
    merged = {**GOOD["metadataOptions"], **options}
    return {**GOOD, "metadataOptions": {k: v for k, v in merged.items() if v is not None}}


def with_ebs(**ebs: Any) -> dict[str, Any]:
    merged = {**GOOD["blockDeviceMappings"][0]["ebs"], **ebs}
    volume = {k: v for k, v in merged.items() if v is not None}
    return {**GOOD, "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": volume}]}


CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("launch-template-imdsv2", "passes", GOOD, False),
    ("launch-template-imdsv2", "fails", with_metadata(httpTokens="optional"), True),
    ("launch-template-imdsv2", "missing", with_metadata(httpTokens=None), True),
    (
        "launch-template-imdsv2",
        "no metadata options",
        {k: v for k, v in GOOD.items() if k != "metadataOptions"},
        True,
    ),
    (
        "launch-template-imdsv2",
        "metadata service off",
        with_metadata(httpEndpoint="disabled", httpTokens=None),
        False,
    ),
    ("launch-template-imds-hop-limit", "passes", GOOD, False),
    ("launch-template-imds-hop-limit", "fails", with_metadata(httpPutResponseHopLimit=2), True),
    (
        "launch-template-imds-hop-limit",
        "missing",
        with_metadata(httpPutResponseHopLimit=None),
        True,
    ),
    ("launch-template-ebs-encrypted", "passes", GOOD, False),
    ("launch-template-ebs-encrypted", "passes as bool", with_ebs(encrypted=True), False),
    ("launch-template-ebs-encrypted", "fails", with_ebs(encrypted="false"), True),
    ("launch-template-ebs-encrypted", "missing", with_ebs(encrypted=None), True),
    # No block devices declared: the AMI's own mappings apply and are not the template's to fix.
    (
        "launch-template-ebs-encrypted",
        "no devices",
        {k: v for k, v in GOOD.items() if k != "blockDeviceMappings"},
        False,
    ),
]


@pytest.mark.parametrize(
    ("rule", "case", "props", "fires"), CASES, ids=[f"{r}:{c}" for r, c, _, _ in CASES]
)
def test_launch_template_rule(security, rule, case, props, fires):
    name = f"{rule}-{case}".replace(" ", "-")
    found = [
        v for v in analyze(security, LAUNCH_TEMPLATE, props, name=name) if v.policyName == rule
    ]
    assert bool(found) == fires, f"{rule} on {LAUNCH_TEMPLATE}::{name}: {[v.detail for v in found]}"


def test_hop_limit_maximum_comes_from_policy_config(security):
    cfg = {"launch-template-imds-hop-limit": {"maximumHopLimit": 2}}
    found = analyze(
        security,
        LAUNCH_TEMPLATE,
        with_metadata(httpPutResponseHopLimit=2),
        config=cfg,
        name="two-hops",
    )
    assert "launch-template-imds-hop-limit" not in {v.policyName for v in found}, found
