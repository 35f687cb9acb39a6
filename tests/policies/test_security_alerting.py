"""Alerting rules (alarm routing, SNS transport and encryption, the key of alarm topics, Chatbot
guardrails), each driven through the analyzer: passes, fails, property missing, unreadable."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.conftest import analyze, analyze_stack, names, resource
from toolchain.export import Resource

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alerts"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1"
READ_ONLY = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


GOOD_KEY_POLICY = doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": ["cloudwatch.amazonaws.com"]},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
    }
)


def topic(**props: Any) -> Resource:
    return resource(
        TOPIC, {"name": "alerts", "arn": TOPIC_ARN, "kmsMasterKeyId": KEY_ARN, **props}, "alerts"
    )


def key(policy: Any = GOOD_KEY_POLICY) -> Resource:
    return resource(KEY, {"arn": KEY_ARN, "id": "1", "policy": policy}, "alert-key")


def page(**props: Any) -> Resource:
    return resource(
        COMPOSITE,
        {"alarmName": "x-db-page", "alarmRule": "ALARM(a)", "alarmActions": [TOPIC_ARN], **props},
        "db-page",
    )


def hits(security, rule: str, resources: list[Resource], config=None) -> list[str]:
    return [
        v.detail for v in analyze_stack(security, resources, config=config) if v.policyName == rule
    ]


# --- alarm-actions-routed ----------------------------------------------------------------------

ROUTED = "alarm-actions-routed"


def test_page_alarm_to_the_stacks_topic_passes(security):
    assert hits(security, ROUTED, [topic(), key(), page()]) == []


def test_page_alarm_with_actions_disabled_fails(security):
    found = hits(security, ROUTED, [topic(), key(), page(actionsEnabled=False)])
    assert any("actionsEnabled is false" in m for m in found), found


def test_page_alarm_with_no_actions_fails(security):
    found = hits(security, ROUTED, [topic(), page(alarmActions=[])])
    assert any("no alarm action notifies" in m for m in found), found


def test_page_alarm_missing_actions_fails(security):
    props = {"alarmName": "x-db-page", "alarmRule": "ALARM(a)"}
    found = hits(security, ROUTED, [resource(COMPOSITE, props, "db-page")])
    assert any("no alarm action notifies" in m for m in found), found


def test_page_alarm_by_tag_fails_without_actions(security):
    alarm = resource(ALARM, {"name": "db-cpu", "tags": {"alerting": "page"}}, "db-cpu")
    assert hits(security, ROUTED, [alarm])


def test_window_alarm_without_actions_passes(security):
    # The SLO window alarms act only through the composite alarms.
    assert hits(security, ROUTED, [resource(ALARM, {"name": "x-db-1h-14.4x"}, "w")]) == []


def test_action_to_a_topic_outside_the_stack_fails(security):
    other = "arn:aws:sns:us-east-1:999999999999:theirs"
    found = hits(security, ROUTED, [page(alarmActions=[other])])
    assert any(other in m for m in found), found


def test_allowed_action_arn_passes(security):
    other = "arn:aws:sns:us-east-1:999999999999:pagerduty"
    cfg = {ROUTED: {"allowedActionArns": ["arn:aws:sns:*:999999999999:pagerduty"]}}
    assert hits(security, ROUTED, [page(alarmActions=[other])], cfg) == []


def test_unknown_action_from_a_topic_of_the_stack_passes(security):
    t = topic()
    alarm = page(alarmActions=[UNKNOWN])
    alarm = dataclasses.replace(
        alarm, raw={**alarm.raw, "propertyDependencies": {"alarmActions": [t.urn]}}
    )
    assert hits(security, ROUTED, [t, alarm]) == []


@pytest.mark.parametrize(
    "props", [{"actionsEnabled": "yes"}, {"alarmActions": TOPIC_ARN}, {"alarmActions": [3]}]
)
def test_unreadable_alarm_fails_closed(security, props):
    found = hits(security, ROUTED, [topic(), page(**props)])
    assert any("Cannot judge" in m for m in found), found


# --- sns-subscription-https --------------------------------------------------------------------

HTTPS = "sns-subscription-https"


@pytest.mark.parametrize(
    ("props", "fails"),
    [
        ({"protocol": "https", "endpoint": "https://events.pagerduty.com/x"}, False),
        ({"protocol": "email", "endpoint": "oncall@example.com"}, False),
        ({"protocol": "http", "endpoint": "http://hooks.example.com"}, True),
        ({"protocol": "HTTP", "endpoint": "x"}, True),
        ({"protocol": "https", "endpoint": "http://hooks.example.com"}, True),
        ({"endpoint": "https://x"}, True),  # protocol missing
        ({"protocol": 7, "endpoint": "https://x"}, True),  # unreadable
        ({"protocol": "https", "endpoint": ["https://x"]}, True),  # unreadable
    ],
)
def test_subscription_transport(security, props, fails):
    found = HTTPS in names(analyze(security, SUBSCRIPTION, {"topic": TOPIC_ARN, **props}))
    assert found == fails, props


def test_subscription_with_an_unknown_protocol_waits(security):
    assert HTTPS not in names(analyze(security, SUBSCRIPTION, {"protocol": UNKNOWN}))


# --- sns-topic-encrypted -----------------------------------------------------------------------

ENCRYPTED = "sns-topic-encrypted"


@pytest.mark.parametrize(
    ("props", "fails"),
    [
        ({"kmsMasterKeyId": KEY_ARN}, False),
        ({"kmsMasterKeyId": UNKNOWN}, False),  # a key being created
        ({}, True),
        ({"kmsMasterKeyId": ""}, True),
        ({"kmsMasterKeyId": ["k"]}, True),  # unreadable
    ],
)
def test_topic_encryption(security, props, fails):
    assert (ENCRYPTED in names(analyze(security, TOPIC, {"name": "t", **props}))) == fails


# --- alarm-topic-key-usable --------------------------------------------------------------------

USABLE = "alarm-topic-key-usable"


def test_alarm_topic_with_a_key_cloudwatch_may_use_passes(security):
    assert hits(security, USABLE, [topic(), key(), page()]) == []


def test_alarm_topic_with_the_aws_managed_key_fails(security):
    assert hits(security, USABLE, [topic(kmsMasterKeyId="alias/aws/sns"), page()])


def test_key_policy_without_cloudwatch_fails(security):
    admin = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*"})
    violations = analyze_stack(security, [topic(), key(admin), page()])
    assert [v.urn for v in violations if v.policyName == USABLE] == [key().urn]


def test_key_without_a_policy_fails(security):
    assert hits(security, USABLE, [topic(), key(None), page()])


def test_topic_no_alarm_sends_to_is_not_judged(security):
    assert hits(security, USABLE, [topic(kmsMasterKeyId="alias/aws/sns")]) == []


def test_unreadable_key_policy_fails_closed(security):
    found = hits(security, USABLE, [topic(), key("{not json"), page()])
    assert any("Cannot judge" in m for m in found), found


# --- chatbot-guardrails ------------------------------------------------------------------------

CHATBOT = "chatbot-guardrails"
ROLE_ARN = "arn:aws:iam::123456789012:role/chatbot"


def channel(**props: Any) -> Resource:
    base = {
        "configurationName": "pages",
        "iamRoleArn": ROLE_ARN,
        "slackTeamId": "T1",
        "slackChannelId": "C1",
        "guardrailPolicyArns": [READ_ONLY],
    }
    return resource(SLACK, {**base, **props}, "slack")


def role(**props: Any) -> Resource:
    return resource(ROLE, {"arn": ROLE_ARN, "name": "chatbot", "id": "chatbot", **props}, "chatbot")


def attach(arn: str) -> Resource:
    return resource(ATTACHMENT, {"role": "chatbot", "policyArn": arn}, "chatbot-attach")


def test_read_only_channel_passes(security):
    assert hits(security, CHATBOT, [role(), attach(READ_ONLY), channel()]) == []


def test_admin_guardrail_fails(security):
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert hits(security, CHATBOT, [role(), channel(guardrailPolicyArns=[admin])])


def test_missing_guardrails_fail(security):
    bare = channel()
    bare = dataclasses.replace(
        bare, outputs={k: v for k, v in bare.outputs.items() if k != "guardrailPolicyArns"}
    )
    found = hits(security, CHATBOT, [role(), bare])
    assert any("no guardrail" in m for m in found), found


def test_empty_guardrails_fail(security):
    assert hits(security, CHATBOT, [role(), channel(guardrailPolicyArns=[])])


def test_admin_channel_role_fails_on_the_attachment(security):
    a = attach("arn:aws:iam::aws:policy/PowerUserAccess")
    violations = analyze_stack(security, [role(), a, channel()])
    assert [v.urn for v in violations if v.policyName == CHATBOT] == [a.urn]


def test_channel_role_inline_star_fails(security):
    policy = doc({"Effect": "Allow", "Action": "*:*", "Resource": "*"})
    rp = resource(ROLE_POLICY, {"role": "chatbot", "policy": policy}, "chatbot-inline")
    assert hits(security, CHATBOT, [role(), rp, channel()])


def test_unreadable_guardrails_fail_closed(security):
    found = hits(security, CHATBOT, [role(), channel(guardrailPolicyArns=READ_ONLY)])
    assert any("Cannot judge" in m for m in found), found


def test_an_https_subscription_whose_endpoint_is_an_unreadable_secret_passes(security):
    # The offline gate cannot decrypt a secret PagerDuty URL; SNS itself refuses an https
    # subscription whose endpoint is not an https URL, so the protocol decides.
    sub = "aws:sns/topicSubscription:TopicSubscription"
    topic = "arn:aws:sns:us-east-1:1:t"
    safe = analyze(security, sub, {"protocol": "https", "endpoint": "[secret]", "topic": topic})
    assert HTTPS not in names(safe)
    plain = analyze(security, sub, {"protocol": "http", "endpoint": "[secret]", "topic": topic})
    assert HTTPS in names(plain)
