"""Helm release rules: the security contexts and images the chart values set. Each rule passing,
failing, missing the property and unreadable (values as a map or as JSON or YAML text)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.conftest import analyze

RELEASE = "kubernetes:helm.sh/v3:Release"
CONTEXT = "helm-release-security-context"
IMAGE = "helm-release-image-pinned"
SAFE = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def release(values: Any = None, version: Any = "1.9.0", **extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"name": "app", "namespace": "apps", "chart": "app", **extra}
    if version is not None:
        props["version"] = version
    if values is not None:
        props["values"] = values
    return props


def fired(security: Any, rule: str, props: dict, name: str, config: Any = None) -> list:
    found = analyze(security, RELEASE, props, config=config, name=name)
    return [v for v in found if v.policyName == rule]


CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    (CONTEXT, "passes", release({"securityContext": SAFE}), False),
    (CONTEXT, "no values passes", release(), False),
    (
        CONTEXT,
        "privileged nested",
        release({"controller": {"securityContext": {"privileged": True}}}),
        True,
    ),
    (
        CONTEXT,
        "escalation in a list",
        release({"sidecars": [{"securityContext": {"allowPrivilegeEscalation": True}}]}),
        True,
    ),
    (CONTEXT, "runAsNonRoot false", release({"podSecurityContext": {"runAsNonRoot": False}}), True),
    (CONTEXT, "root uid", release({"securityContext": {"runAsUser": 0}}), True),
    (CONTEXT, "as JSON text", release(json.dumps({"securityContext": {"privileged": True}})), True),
    (CONTEXT, "as YAML text", release("securityContext:\n  privileged: true\n"), True),
    (CONTEXT, "safe YAML passes", release("securityContext:\n  runAsNonRoot: true\n"), False),
    (CONTEXT, "unparseable text", release("securityContext: [\n"), True),
    # nested past the decoder's depth, as JSON and as YAML text: read as text that is neither
    (CONTEXT, "nested text", release("[" * 100_000 + "]" * 100_000), True),
    (CONTEXT, "text not a mapping", release("- a\n- b\n"), True),
    (CONTEXT, "unreadable flag", release({"securityContext": {"privileged": "yes"}}), True),
    (CONTEXT, "value files not shown", release(valueYamlFiles=["values.yaml"]), True),
    (IMAGE, "chart default tag passes", release({"image": {"repository": "r"}}), False),
    (IMAGE, "fixed tag passes", release({"image": {"repository": "r", "tag": "1.2.3"}}), False),
    (
        IMAGE,
        "digest passes",
        release({"image": {"repository": "r", "digest": "sha256:" + "a" * 64}}),
        False,
    ),
    (IMAGE, "string with tag passes", release({"image": "reg:5000/r:1.0"}), False),
    (
        IMAGE,
        "latest tag",
        release({"controller": {"image": {"repository": "r", "tag": "latest"}}}),
        True,
    ),
    (IMAGE, "empty tag", release({"image": {"repository": "r", "tag": ""}}), True),
    (IMAGE, "string without tag", release({"image": "reg:5000/r"}), True),
    (IMAGE, "no chart version", release({"image": {"repository": "r"}}, version=None), True),
    (IMAGE, "chart version range", release(version="^1.9"), True),
    (
        IMAGE,
        "malformed digest",
        release({"image": {"repository": "r", "digest": "sha256:abc"}}),
        True,
    ),
    (IMAGE, "unreadable tag", release({"image": {"repository": "r", "tag": ["1"]}}), True),
    (IMAGE, "unreadable version", release(version=1.9), True),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{r}:{c}" for r, c, _, _ in CASES])
def test_helm_release_rule(security, case):
    rule, label, props, fires = case
    found = fired(security, rule, props, f"{rule}-{label}".replace(" ", "-"))
    assert bool(found) == fires, f"{rule} on {RELEASE}::{label}: {[v.detail for v in found]}"


def test_unknown_values_are_left_to_the_update(security):
    for rule in (CONTEXT, IMAGE):
        found = fired(security, rule, release(UNKNOWN_STRING_VALUE), f"unknown-{rule}")
        assert found and all(not v.mandatory for v in found), rule


def test_root_is_allowed_only_where_config_says(security):
    props = release({"securityContext": {"runAsUser": 0, "privileged": True}})
    (found,) = fired(security, CONTEXT, props, "root", {CONTEXT: {"allowRoot": ["apps/app"]}})
    assert (
        "privileged" in found.detail
        and "root" not in found.detail.split("sets", 1)[1].split(".", 1)[0]
    )
    props = release({"securityContext": {"runAsUser": 0}})
    assert not fired(security, CONTEXT, props, "root-ok", {CONTEXT: {"allowRoot": ["apps/app"]}})
