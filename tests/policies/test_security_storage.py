"""storage-class-encrypted: an EBS StorageClass passing, failing (not encrypted, AWS managed key,
no key), missing its parameters, and unreadable (a flag that is not true/false, an unknown
provisioner), driven through the analyzer as the engine drives it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
RULE = "storage-class-encrypted"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def storage_class(parameters: Any = None, provisioner: Any = "ebs.csi.aws.com") -> dict[str, Any]:
    props: dict[str, Any] = {
        "metadata": {"name": "gp3"},
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    if provisioner is not None:
        props["provisioner"] = provisioner
    if parameters is not None:
        props["parameters"] = parameters
    return props


def fired(security: Any, props: dict[str, Any], name: str, config: Any = None) -> list:
    found = analyze(security, STORAGE_CLASS, props, config=config, name=name)
    return [v for v in found if v.policyName == RULE]


@pytest.mark.parametrize(
    ("case", "props", "fails"),
    [
        (
            "customer key",
            storage_class({"type": "gp3", "encrypted": "true", "kmsKeyId": KEY}),
            False,
        ),
        (
            "in-tree EBS with a key",
            storage_class({"encrypted": "True", "kmsKeyId": KEY}, "kubernetes.io/aws-ebs"),
            False,
        ),
        ("encrypted false", storage_class({"encrypted": "false", "kmsKeyId": KEY}), True),
        ("no key", storage_class({"type": "gp3", "encrypted": "true"}), True),
        (
            "AWS managed key",
            storage_class({"encrypted": "true", "kmsKeyId": "alias/aws/ebs"}),
            True,
        ),
        ("no parameters", storage_class(), True),
        ("unreadable flag", storage_class({"encrypted": "yes", "kmsKeyId": KEY}), True),
        ("unreadable key", storage_class({"encrypted": "true", "kmsKeyId": ["a", "b"]}), True),
        ("unknown provisioner", storage_class({"encrypted": "true"}, "example.com/nfs"), True),
        ("no provisioner", storage_class({"encrypted": "true", "kmsKeyId": KEY}, None), True),
    ],
)
def test_storage_class_encryption(security, case, props, fails):
    name = case.replace(" ", "-")
    found = fired(security, props, name)
    assert bool(found) == fails, f"{STORAGE_CLASS}::{name} ({case}): {found}"
    for v in found:
        assert name in v.urn


def test_unreadable_says_it_cannot_judge(security):
    found = fired(security, storage_class({"encrypted": "yes", "kmsKeyId": KEY}), "flag")
    assert found and "Cannot judge" in found[0].message, found


def test_a_listed_provisioner_passes(security):
    config = {RULE: {"otherProvisioners": ["efs.csi.aws.com"]}}
    found = fired(security, storage_class({}, "efs.csi.aws.com"), "efs", config)
    assert not found, found
