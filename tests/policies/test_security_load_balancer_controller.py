"""lb-controller-policy-within-upstream: the upstream document passing, wider documents failing
(the guarded writes without the tag condition, however spelled; actions beyond upstream's list),
a document without the property, and an unreadable one, driven through the analyzer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.iam_documents import parse_document
from policies.security.load_balancer_controller import untagged_writes
from tests.policies.conftest import analyze
from toolchain.upstream import load_balancer_controller_policy

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
RULE = "lb-controller-policy-within-upstream"
TAGGED = {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", condition: Any = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return s


def fired(security: Any, props: dict[str, Any], name: str) -> list:
    found = analyze(security, ROLE_POLICY, props, name=name)
    return [v for v in found if v.policyName == RULE]


UPSTREAM = json.dumps(load_balancer_controller_policy())


@pytest.mark.parametrize(
    ("case", "policy", "fails"),
    [
        ("upstream", UPSTREAM, False),
        (
            "tag-scoped delete",
            doc(allow("elasticloadbalancing:DeleteLoadBalancer", "*", TAGGED)),
            False,
        ),
        (
            "karpenter-like instance tagging",
            doc(allow("ec2:CreateTags", "arn:aws:ec2:*:*:instance/*")),
            False,
        ),
        ("elb wildcard on everything", doc(allow("elasticloadbalancing:*")), True),
        ("everything", doc(allow("*")), True),
        ("lower-case spelling", doc(allow("ELASTICLOADBALANCING:deleteloadbalancer")), True),
        ("NotAction", doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}), True),
        (
            "IfExists does not scope",
            doc(
                allow(
                    "ec2:DeleteSecurityGroup",
                    "*",
                    {"StringEqualsIfExists": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "x"}},
                )
            ),
            True,
        ),
        (
            "another tag does not scope",
            doc(
                allow(
                    "elasticloadbalancing:DeleteTargetGroup",
                    "*",
                    {"Null": {"aws:ResourceTag/team": "false"}},
                )
            ),
            True,
        ),
        (
            "security groups by ARN",
            doc(allow("ec2:DeleteSecurityGroup", "arn:aws:ec2:*:*:security-group/*")),
            True,
        ),
        (
            "controller policy with an extra action",
            doc(
                allow(
                    "elasticloadbalancing:CreateLoadBalancer",
                    "*",
                    {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}},
                ),
                allow("ec2:RunInstances"),
            ),
            True,
        ),
        ("no policy", None, False),
        ("unreadable", "{not json", True),
    ],
)
def test_lb_controller_policy(security, case, policy, fails):
    name = case.replace(" ", "-")
    props = (
        {"role": "lb-controller"} if policy is None else {"role": "lb-controller", "policy": policy}
    )
    found = fired(security, props, name)
    assert bool(found) == fails, f"{ROLE_POLICY}::{name} ({case}): {found}"
    for v in found:
        assert name in v.urn


def test_upstream_grants_nothing_untagged():
    assert untagged_writes(parse_document(load_balancer_controller_policy())) == []
