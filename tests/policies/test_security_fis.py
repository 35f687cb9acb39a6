"""FIS rules: stop conditions on an alarm (resource rule) and a least-privilege role (stack rule),
each passing, failing, with the property missing and unreadable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.conftest import analyze, analyze_stack, names, resource
from toolchain.export import Resource

TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x-db-page"
ROLE_ARN = "arn:aws:iam::123456789012:role/fis"
STOP = "fis-stop-condition-alarm"
LEAST = "fis-role-least-privilege"


def props(**extra: Any) -> dict[str, Any]:
    return {
        "description": "d",
        "roleArn": ROLE_ARN,
        "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": ALARM_ARN}],
        "actions": [{"actionId": "aws:rds:reboot-db-instances", "name": "failover"}],
        "targets": [],
        **extra,
    }


@pytest.mark.parametrize(
    ("stops", "fails"),
    [
        ([{"source": "aws:cloudwatch:alarm", "value": ALARM_ARN}], False),
        ([{"source": "none"}, {"source": "aws:cloudwatch:alarm", "value": UNKNOWN}], False),
        ([{"source": "none"}], True),
        ([{"source": "aws:cloudwatch:alarm"}], True),  # no alarm named
        ([], True),
        ([{"source": "aws:cloudwatch:alarm", "value": "my-alarm"}], True),  # not an ARN
        ("none", True),  # unreadable
        ([{"source": 1, "value": ALARM_ARN}], True),  # unreadable
    ],
)
def test_stop_conditions(security, stops, fails):
    assert (STOP in names(analyze(security, TEMPLATE, props(stopConditions=stops)))) == fails


def test_missing_stop_conditions_fail(security):
    p = props()
    del p["stopConditions"]
    assert STOP in names(analyze(security, TEMPLATE, p))


def test_unknown_stop_conditions_wait(security):
    assert STOP not in names(analyze(security, TEMPLATE, props(stopConditions=UNKNOWN)))


def role(**extra: Any) -> Resource:
    return resource(ROLE, {"arn": ROLE_ARN, "name": "fis", "id": "fis", **extra}, "fis")


def inline(policy: Any) -> Resource:
    return resource(ROLE_POLICY, {"role": "fis", "policy": policy}, "fis-policy")


def doc(action: Any, res: Any = "*") -> str:
    return json.dumps({"Statement": [{"Effect": "Allow", "Action": action, "Resource": res}]})


def hits(security, resources: list[Resource]) -> list[tuple[str, str]]:
    return [(v.urn, v.detail) for v in analyze_stack(security, resources) if v.policyName == LEAST]


def template() -> Resource:
    return resource(TEMPLATE, props(), "fis-failover")


def test_scoped_role_passes(security):
    policy = inline(doc(["rds:RebootDBInstance"], "arn:aws:rds:us-east-1:123456789012:db:x"))
    assert hits(security, [role(), policy, template()]) == []


@pytest.mark.parametrize(
    "action", ["*", "ec2:*", "EC2:*", ["rds:*", "ec2:DescribeInstances"], "ec2*"]
)
def test_service_wildcard_fails_on_the_policy(security, action):
    policy = inline(doc(action, "arn:aws:ec2:us-east-1:123456789012:instance/*"))
    assert [u for u, _ in hits(security, [role(), policy, template()])] == [policy.urn]


def test_not_action_fails(security):
    p = json.dumps({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
    assert hits(security, [role(), inline(p), template()])


def test_full_access_managed_policy_fails(security):
    a = resource(
        ATTACHMENT, {"role": "fis", "policyArn": "arn:aws:iam::aws:policy/AmazonEC2FullAccess"}, "a"
    )
    assert [u for u, _ in hits(security, [role(), a, template()])] == [a.urn]


def test_role_missing_from_the_stack_fails_closed(security):
    found = hits(security, [template()])
    assert found and "not a role of this stack" in found[0][1], found


def test_unreadable_role_policy_fails_closed(security):
    policy = inline("{not json")
    found = hits(security, [role(), policy, template()])
    assert found and "Cannot judge" in found[0][1] and found[0][0] == policy.urn, found
