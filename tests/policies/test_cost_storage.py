"""gp3 everywhere, driven through the analyzer three ways (gp3, another type, no type), and its
remediation driven through the analyzer's `Remediate` call, which the gate does not make."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from tests.policies.conftest import analyze, provider, resource
from toolchain.export import Resource
from toolchain.gate import AnalyzerProcess, normalize_config

RULE = "gp3-storage"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
RDS_INSTANCE = "aws:rds/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"


class Remediator:
    """An analyzer's `Remediate` call, as the engine makes it before `Analyze` for policies whose
    enforcement level is `remediate`: the request is the `AnalyzeRequest` of `Analyze`."""

    def __init__(self, analyzer: AnalyzerProcess, config: Mapping[str, Any]) -> None:
        self.analyzer = analyzer
        analyzer.configure(normalize_config(config, analyzer.policies, "test config"))

    def remediate(self, res: Resource, prov: Resource | None) -> dict[str, dict[str, Any]]:
        """The properties each remediating policy returned, by policy name."""
        request = analyzer_pb2.AnalyzeRequest(type=res.type, urn=res.urn, name=res.name)
        request.properties.CopyFrom(json_format.ParseDict(res.inputs, struct_pb2.Struct()))
        if prov is not None:
            msg = analyzer_pb2.AnalyzerProviderResource(
                type=prov.type, urn=prov.urn, name=prov.name
            )
            msg.properties.CopyFrom(json_format.ParseDict(prov.inputs, struct_pb2.Struct()))
            request.provider.CopyFrom(msg)
        response = self.analyzer.stub.Remediate(request)
        return {
            r.policyName: json_format.MessageToDict(r.properties) for r in response.remediations
        }


def template(*volume_types: str | None) -> dict[str, Any]:
    mappings = []
    for i, volume_type in enumerate(volume_types):
        ebs: dict[str, Any] = {"volumeSize": 30, "encrypted": "true"}
        if volume_type is not None:
            ebs["volumeType"] = volume_type
        mappings.append({"deviceName": f"/dev/xvd{'abcdef'[i]}", "ebs": ebs})
    return {"blockDeviceMappings": mappings, "description": "nodes"}


DB: dict[str, Any] = {
    "engine": "postgres",
    "instanceClass": "db.t4g.medium",
    "allocatedStorage": 20,
}

# (case, type token, properties, paths named in violations)
CASES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("template passes", LAUNCH_TEMPLATE, template("gp3"), []),
    ("template gp2 fails", LAUNCH_TEMPLATE, template("gp3", "gp2"), ["blockDeviceMappings[1]"]),
    # Unset: EC2 creates gp2.
    ("template missing fails", LAUNCH_TEMPLATE, template(None), ["blockDeviceMappings[0]"]),
    (
        "instance store passes",
        LAUNCH_TEMPLATE,
        {"blockDeviceMappings": [{"deviceName": "/dev/sdb", "virtualName": "ephemeral0"}]},
        [],
    ),
    ("db passes", RDS_INSTANCE, {**DB, "storageType": "gp3"}, []),
    ("db io1 fails", RDS_INSTANCE, {**DB, "storageType": "io1"}, ["storageType is io1"]),
    # Unset: the provider documents gp2 (the current API, gp3); either way, say gp3.
    ("db missing fails", RDS_INSTANCE, DB, ["storageType is not set"]),
    ("aurora has no volume type", RDS_INSTANCE, {**DB, "engine": "aurora-postgresql"}, []),
    ("volume passes", EBS_VOLUME, {"availabilityZone": "us-east-1a", "type": "gp3"}, []),
    ("volume gp2 fails", EBS_VOLUME, {"availabilityZone": "us-east-1a", "type": "gp2"}, ["gp2"]),
    ("volume missing fails", EBS_VOLUME, {"availabilityZone": "us-east-1a", "size": 8}, ["type"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gp3_storage(cost, case):
    label, type_token, props, named = case
    name = label.replace(" ", "-")
    found = [v for v in analyze(cost, type_token, props, name=name) if v.policyName == RULE]
    urn = f"urn:pulumi:test::baseline::{type_token}::{name}"
    assert bool(found) == bool(named), f"{RULE} on {urn} ({label}): {[v.detail for v in found]}"
    for text in named:
        assert any(text in v.detail for v in found), f"{RULE} on {urn}: no {text!r} in {found}"


def test_allowed_types_come_from_the_policy_config(cost):
    cfg = {RULE: {"allowedTypes": ["gp3", "io2"]}}
    found = analyze(cost, RDS_INSTANCE, {**DB, "storageType": "io2"}, config=cfg, name="db-io2")
    assert RULE not in {v.policyName for v in found}, found


REMEDIATE = {RULE: {"enforcementLevel": "remediate"}}


def test_remediation_sets_gp2_and_unset_template_volumes_to_gp3(cost):
    lt = resource(LAUNCH_TEMPLATE, template("gp2", None, "gp3"), "lt-old")
    fixed = Remediator(cost, REMEDIATE).remediate(lt, provider())
    assert RULE in fixed, f"{RULE} did not remediate {lt.urn}: {fixed}"
    types = [m["ebs"]["volumeType"] for m in fixed[RULE]["blockDeviceMappings"]]
    assert types == ["gp3", "gp3", "gp3"], f"{lt.urn}: {types}"
    assert fixed[RULE]["description"] == "nodes", "other properties are kept"


@pytest.mark.parametrize(
    ("type_token", "props", "key"),
    [
        (RDS_INSTANCE, {**DB, "storageType": "gp2"}, "storageType"),
        (RDS_INSTANCE, DB, "storageType"),
        (EBS_VOLUME, {"availabilityZone": "us-east-1a", "type": "gp2", "size": 100}, "type"),
    ],
    ids=["db gp2", "db unset", "volume gp2"],
)
def test_remediation_sets_gp3(cost, type_token, props, key):
    res = resource(type_token, props, "old")
    fixed = Remediator(cost, REMEDIATE).remediate(res, provider())
    assert fixed.get(RULE, {}).get(key) == "gp3", f"{RULE} on {res.urn}: {fixed}"
    assert {k: v for k, v in fixed[RULE].items() if k != key}.keys() == {
        k for k in props if k != key
    }, f"{RULE} on {res.urn} dropped properties: {fixed[RULE]}"


@pytest.mark.parametrize(
    ("props", "config"),
    [
        # io1 to gp3 changes the volume's performance: reported, never rewritten.
        ({**DB, "storageType": "io1"}, REMEDIATE),
        ({**DB, "storageType": "gp3"}, REMEDIATE),
        # At any other level the engine does not ask for remediations.
        ({**DB, "storageType": "gp2"}, {}),
    ],
    ids=["io1", "already gp3", "not remediate level"],
)
def test_no_remediation(cost, props, config):
    res = resource(RDS_INSTANCE, props, "db")
    fixed = Remediator(cost, config).remediate(res, provider())
    assert RULE not in fixed, f"{RULE} rewrote {res.urn}: {fixed}"
