"""Where alerts go: alarms that page reach someone, SNS delivers over TLS and encrypts at rest with
a key CloudWatch can use, and AWS Chatbot channels cannot be used to administer the account.

Which alarms page: an alarm is meant to notify a person (a page or a ticket) when its `alerting`
tag is `page` or `ticket`, or when its name matches one of the `pagingAlarmNames` globs of the
policy config (default `*-page` and `*-ticket`: the composite alarms of `components/slo.py` are
named `<stack prefix>-<sli>-page` and `-ticket`). Such an alarm must have its actions enabled
(`actionsEnabled` unset is true, as in AWS), and at least one alarm action that notifies (an SNS
topic, an Incident Manager response plan, an OpsItem, a Lambda function; an EC2 or Auto Scaling
action reaches nobody). Every action of every alarm names something that exists: a resource of the
stack (its ARN, or, while that is not known in a preview, the dependency the engine records), an
AWS built-in action (`arn:aws:automate:...`, OpsItems), or an ARN matching `allowedActionArns`.

The role helpers at the bottom (`RoleGraph`) find a role's policies in the stack (inline,
`RolePolicy`, attachments of AWS managed or stack policies); `policies.security.fis` uses them too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.common import (
    as_bool,
    config,
    fail_closed,
    known,
    known_items,
    matches_any,
    present,
    rule_tags,
    string_list,
)
from policies.iam_documents import Statement, admin_grants, is_everyone, parse_document
from policies.security.iam import ADMIN_EQUIVALENT
from policies.values import ValueProblem

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
ALARM_TYPES = (METRIC_ALARM, COMPOSITE_ALARM)
ACTION_KEYS = ("alarmActions", "okActions", "insufficientDataActions")
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
KMS_ALIAS = "aws:kms/alias:Alias"
SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
TEAMS = "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration"
CHATBOT_TYPES = (SLACK, TEAMS)
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
EXCLUSIVE_ATTACHMENTS = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
IAM_POLICY = "aws:iam/policy:Policy"

PAGING_TAG = "alerting"
PAGING_TAG_VALUES = ("page", "ticket")
DEFAULT_PAGING_NAMES = ("*-page", "*-ticket")
# AWS's own alarm actions (EC2 stop/terminate/reboot/recover, OpsItems, Incident Manager plans).
BUILT_IN_ACTIONS = re.compile(
    r"^arn:aws[a-z-]*:(automate:[a-z0-9-]+:ec2:|ssm:[a-z0-9-]+:\d{12}:opsitem:|"
    r"ssm-incidents::\d{12}:response-plan/)"
)
# Alarm actions that reach a person (or a program that pages one).
NOTIFYING_ACTIONS = re.compile(
    r"^arn:aws[a-z-]*:(sns|lambda|ssm-incidents):|^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:opsitem:"
)
NOTIFYING_TYPES = (
    TOPIC,
    "aws:lambda/function:Function",
    "aws:ssmincidents/responsePlan:ResponsePlan",
)
# Subscription protocols that deliver over TLS or inside AWS. `email` is SMTP with STARTTLS where
# the receiving server offers it; it carries no secrets here (alarm texts).
SAFE_PROTOCOLS = ("https", "email", "email-json", "sqs", "lambda", "firehose", "application", "sms")
AWS_MANAGED_SNS_KEY = re.compile(r"(^|:)alias/aws/sns$")
CLOUDWATCH = "cloudwatch.amazonaws.com"
CLOUDWATCH_KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
IDENTIFYING_OUTPUTS = ("arn", "id", "name", "keyId")


# --- reading a stack --------------------------------------------------------------------------


def _strings(props: Mapping[str, Any], key: str, urn: str) -> tuple[list[str], bool]:
    """The known strings of a list property, and whether some item is not known yet (a preview).
    A value that is not a list of strings raises `ValueProblem`."""
    try:
        value = props.get(key)
    except UnknownValueError:
        return [], True
    if value is None:
        return [], False
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise ValueProblem(key, value, "a list of ARNs", urn)
    items = known_items(value)
    if not all(isinstance(i, str) for i in items):
        raise ValueProblem(key, value, "a list of ARNs", urn)
    return [str(i) for i in items], len(items) < len(value)


def _string(props: Mapping[str, Any], key: str, urn: str) -> str | None:
    """A string property; None when absent or not known yet; `ValueProblem` for another type."""
    value = known(props, key)
    if value is None or isinstance(value, str):
        return value
    raise ValueProblem(key, value, "a string", urn)


class Stack:
    """The stack's resources indexed once per stack rule (so the rules stay linear): by URN, and
    by each identifying output (ARN, id, name, key id)."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self.by_value: dict[str, PolicyResource] = {}
        for r in self.resources:
            for key in IDENTIFYING_OUTPUTS:
                value = known(r.props, key)
                if isinstance(value, str) and value:
                    self.by_value.setdefault(value, r)

    def named(self, value: str, types: Sequence[str] | None = None) -> PolicyResource | None:
        found = self.by_value.get(value)
        return (
            found if found is not None and (types is None or found.resource_type in types) else None
        )

    def dependencies(self, r: PolicyResource, key: str) -> list[PolicyResource]:
        return [
            self.by_urn[d.urn] for d in r.property_dependencies.get(key, []) if d.urn in self.by_urn
        ]

    def target(self, r: PolicyResource, key: str, types: Sequence[str]) -> PolicyResource | None:
        """The resource of `types` that `r`'s property `key` names (by value, or by dependency
        while the value is not known yet)."""
        value = known(r.props, key)
        if isinstance(value, str) and value:
            return self.named(value, types)
        return next((d for d in self.dependencies(r, key) if d.resource_type in types), None)


def _tags(props: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in ("tagsAll", "tags"):
        tags = known(props, key)
        if isinstance(tags, Mapping):
            return tags
    return {}


def alarm_name(alarm: PolicyResource) -> str:
    key = "alarmName" if alarm.resource_type == COMPOSITE_ALARM else "name"
    value = known(alarm.props, key)
    return str(value) if value else alarm.name


def is_paging(alarm: PolicyResource, name_globs: Sequence[str]) -> bool:
    """Whether the program marks the alarm as one that notifies a person (see the module doc)."""
    tag = str(_tags(alarm.props).get(PAGING_TAG) or "").strip().lower()
    return tag in PAGING_TAG_VALUES or matches_any(alarm_name(alarm), name_globs)


# --- alarm-actions-routed ---------------------------------------------------------------------


@fail_closed
def alarm_actions_routed_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    stack = Stack(args.resources)
    globs = [str(g) for g in config(args, "pagingAlarmNames", list(DEFAULT_PAGING_NAMES)) or []]
    allowed = [str(p) for p in config(args, "allowedActionArns", []) or []]
    for alarm in stack.resources:
        if alarm.resource_type not in ALARM_TYPES:
            continue
        try:
            _judge_alarm(alarm, stack, globs, allowed, report_violation)
        except ValueProblem as problem:
            report_violation(
                f"Cannot judge alarm {alarm_name(alarm)}: {problem}. A value the rule cannot read "
                "fails the rule; set it to a valid value.",
                alarm.urn,
            )


def _judge_alarm(
    alarm: PolicyResource,
    stack: Stack,
    globs: Sequence[str],
    allowed: Sequence[str],
    report_violation: ReportViolation,
) -> None:
    name = alarm_name(alarm)
    notifying = False
    for key in ACTION_KEYS:
        arns, pending = _strings(alarm.props, key, alarm.urn)
        for arn in arns:
            target = stack.named(arn)
            if target is None and not BUILT_IN_ACTIONS.match(arn) and not matches_any(arn, allowed):
                report_violation(
                    f"Alarm {name}: {key} names {arn}, which is no resource of this stack, no "
                    "AWS built-in action and matches no allowedActionArns pattern, so the alert "
                    "goes nowhere (or to someone else's topic). Point it at the stack's topic, or "
                    "list the ARN under allowedActionArns in the policy config.",
                    alarm.urn,
                )
            if key == "alarmActions" and NOTIFYING_ACTIONS.match(arn):
                notifying = True
        if pending:
            deps = stack.dependencies(alarm, key)
            if not deps:
                report_violation(
                    f"Alarm {name}: {key} holds an ARN that is not known yet and comes from no "
                    "resource of this stack, so where it sends cannot be judged. Name the "
                    "stack's topic.",
                    alarm.urn,
                )
            if key == "alarmActions" and any(d.resource_type in NOTIFYING_TYPES for d in deps):
                notifying = True
    if not is_paging(alarm, globs):
        return
    if as_bool(known(alarm.props, "actionsEnabled")) is False:
        report_violation(
            f"Alarm {name} pages or tickets but actionsEnabled is false, so it changes state "
            "without telling anyone. Remove actions_enabled=False.",
            alarm.urn,
        )
    if not notifying:
        report_violation(
            f"Alarm {name} pages or tickets but no alarm action notifies anyone (an SNS topic, "
            "an Incident Manager response plan, an OpsItem or a Lambda function), so the page "
            "is dropped. Set alarm_actions to the stack's page or ticket topic.",
            alarm.urn,
        )


alarm_actions_routed = StackValidationPolicy(
    name="alarm-actions-routed",
    description=(
        "Alarms the program marks as paging (tag alerting=page|ticket, or a name matching "
        "pagingAlarmNames) have their actions enabled and an alarm action that notifies; every "
        "alarm action names a resource of the stack, an AWS built-in action or an allowed ARN."
    ),
    validate=alarm_actions_routed_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "pagingAlarmNames": string_list(
                "Globs over alarm names that mark an alarm as paging.", DEFAULT_PAGING_NAMES
            ),
            "allowedActionArns": string_list(
                "Globs of alarm action ARNs outside the stack that may be used."
            ),
        }
    ),
    tags=rule_tags("SEC-CW-001"),
    remediation_steps=(
        "Give paging alarms alarm_actions to the stack's page or ticket topic and leave "
        "actions_enabled unset (true)."
    ),
)


# --- sns-subscription-https -------------------------------------------------------------------

# What the offline gate sends for a secret whose ciphertext it cannot read (toolchain.gate._wire).
SECRET_PLACEHOLDER = "[secret]"


@fail_closed
def sns_subscription_https_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != SUBSCRIPTION:
        return
    protocol = _string(args.props, "protocol", args.urn)
    if protocol is None:
        if present(args.props, "protocol"):
            return  # not known yet in a preview; judged again during the update
        report_violation(
            "protocol is not set, so how the subscription delivers cannot be judged. Set "
            "protocol to https (or email, sqs, lambda).",
            None,
        )
        return
    endpoint = known(args.props, "endpoint")
    if endpoint == SECRET_PLACEHOLDER:
        # A secret the offline gate cannot decrypt (a PagerDuty URL): judged by its protocol,
        # since SNS itself refuses an https subscription whose endpoint is not an https URL.
        endpoint = None
    scheme = endpoint.split(":", 1)[0].lower() if isinstance(endpoint, str) else None
    if endpoint is not None and not isinstance(endpoint, str | Mapping):
        raise ValueProblem("endpoint", endpoint, "a string")
    if protocol.strip().lower() == "http" or scheme == "http":
        report_violation(
            f"The subscription delivers over plain HTTP (protocol {protocol!r}), so every "
            "alert, and the subscription confirmation token, crosses the network in clear "
            "text. Use protocol='https' with an https:// endpoint.",
            None,
        )
    elif protocol.strip().lower() not in SAFE_PROTOCOLS:
        report_violation(
            f"protocol {protocol!r} is not one this rule knows to deliver securely "
            f"({', '.join(SAFE_PROTOCOLS)}). Use https, email, sqs or lambda.",
            None,
        )
    elif protocol.strip().lower() == "https" and scheme not in (None, "https"):
        report_violation(
            f"protocol is https but the endpoint's scheme is {scheme!r}. Use an https:// URL.",
            None,
        )


sns_subscription_https = ResourceValidationPolicy(
    name="sns-subscription-https",
    description=(
        "SNS subscriptions never deliver over plain HTTP (protocol http, or an http:// "
        "endpoint); https, email, sqs, lambda and the other in-AWS protocols are fine."
    ),
    validate=sns_subscription_https_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-SNS-001"),
    remediation_steps="Subscribe an https:// endpoint with protocol='https'.",
)


# --- sns-topic-encrypted ----------------------------------------------------------------------


@fail_closed
def sns_topic_encrypted_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != TOPIC:
        return
    value = known(args.props, "kmsMasterKeyId")
    if value is not None and not isinstance(value, str):
        raise ValueProblem("kmsMasterKeyId", value, "a KMS key id, ARN or alias")
    if not present(args.props, "kmsMasterKeyId") or (isinstance(value, str) and not value.strip()):
        report_violation(
            "kmsMasterKeyId is not set, so the topic's messages are stored unencrypted. Set "
            "kms_master_key_id to a customer-managed key whose policy lets the publishing "
            "services (cloudwatch.amazonaws.com for alarms) use it.",
            None,
        )


sns_topic_encrypted = ResourceValidationPolicy(
    name="sns-topic-encrypted",
    description="SNS topics encrypt their messages at rest with a KMS key.",
    validate=sns_topic_encrypted_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-SNS-002", fsbp="SNS.1", checkov="CKV_AWS_26"),
    remediation_steps="Set kms_master_key_id on the topic to a customer-managed key.",
)


# --- alarm-topic-key-usable -------------------------------------------------------------------


def _key_policies(stack: Stack) -> dict[str, list[Any]]:
    """Each key's policy documents by the key's URN: its own `policy` and its `KeyPolicy`s."""
    found: dict[str, list[Any]] = {}
    for r in stack.resources:
        if r.resource_type == KMS_KEY:
            found.setdefault(r.urn, []).append(known(r.props, "policy"))
        elif r.resource_type == KMS_KEY_POLICY:
            key = stack.target(r, "keyId", (KMS_KEY,))
            if key is not None:
                found.setdefault(key.urn, []).append(known(r.props, "policy"))
    return found


def _allows_cloudwatch(statements: Sequence[Statement], action: str) -> bool:
    def names_cloudwatch(s: Statement) -> bool:
        principals = s.principals or {}
        return CLOUDWATCH in principals.get("Service", ()) or is_everyone(principals)

    allowed = any(s.allow and names_cloudwatch(s) and s.covers_action(action) for s in statements)
    denied = any(
        not s.allow and s.unconditional and names_cloudwatch(s) and s.covers_action(action)
        for s in statements
    )
    return allowed and not denied


def _alarm_topics(stack: Stack) -> dict[str, PolicyResource]:
    """The topics of the stack that some alarm sends to, by URN."""
    topics: dict[str, PolicyResource] = {}
    for alarm in stack.resources:
        if alarm.resource_type not in ALARM_TYPES:
            continue
        for key in ACTION_KEYS:
            value = known(alarm.props, key)
            items = known_items(value) if isinstance(value, Sequence) else []
            for arn in items:
                topic = stack.named(arn, (TOPIC,)) if isinstance(arn, str) else None
                if topic is not None:
                    topics[topic.urn] = topic
            for dep in stack.dependencies(alarm, key):
                if dep.resource_type == TOPIC:
                    topics[dep.urn] = dep
    return topics


@fail_closed
def alarm_topic_key_usable_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    stack = Stack(args.resources)
    topics = _alarm_topics(stack)
    key_policies = _key_policies(stack) if topics else {}
    for topic in topics.values():
        label = str(known(topic.props, "name") or topic.name)
        try:
            key_id = _string(topic.props, "kmsMasterKeyId", topic.urn)
            if not key_id:
                continue  # unencrypted (sns-topic-encrypted) or not known yet
            if AWS_MANAGED_SNS_KEY.search(key_id):
                report_violation(
                    f"Topic {label} receives CloudWatch alarms but is encrypted with the "
                    "AWS-managed key alias/aws/sns, whose policy CloudWatch cannot use: every "
                    "alarm notification fails silently. Use a customer-managed key that lets "
                    "cloudwatch.amazonaws.com call kms:GenerateDataKey* and kms:Decrypt.",
                    topic.urn,
                )
                continue
            key = stack.target(topic, "kmsMasterKeyId", (KMS_KEY, KMS_ALIAS))
            if key is not None and key.resource_type == KMS_ALIAS:
                key = stack.target(key, "targetKeyId", (KMS_KEY,))
            if key is None:
                continue  # a key outside the stack: its policy cannot be seen from the plan
            try:
                statements = [
                    s
                    for doc in key_policies.get(key.urn, [])
                    if doc
                    for s in parse_document(doc, "key policy")
                ]
            except ValueProblem as problem:
                problem.urn = key.urn
                raise
            missing = [a for a in CLOUDWATCH_KMS_ACTIONS if not _allows_cloudwatch(statements, a)]
            if missing:
                report_violation(
                    f"Topic {label} receives CloudWatch alarms, but the policy of its key "
                    f"{known(key.props, 'arn') or key.name} does not let {CLOUDWATCH} call "
                    f"{missing}, so alarm notifications cannot be encrypted and are dropped. Add "
                    "a statement allowing Service cloudwatch.amazonaws.com kms:GenerateDataKey* "
                    "and kms:Decrypt.",
                    key.urn,
                )
        except ValueProblem as problem:
            report_violation(
                f"Cannot judge topic {label}: {problem}. A value the rule cannot read fails the "
                "rule; set it to a valid value.",
                problem.urn or topic.urn,
            )


alarm_topic_key_usable = StackValidationPolicy(
    name="alarm-topic-key-usable",
    description=(
        "SNS topics that CloudWatch alarms send to are encrypted with a customer-managed key "
        "whose policy (where the key is in the stack) lets cloudwatch.amazonaws.com use it; "
        "never with the AWS-managed alias/aws/sns."
    ),
    validate=alarm_topic_key_usable_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-SNS-003"),
    remediation_steps=(
        "Encrypt alarm topics with a customer-managed key whose policy allows Service "
        "cloudwatch.amazonaws.com kms:GenerateDataKey* and kms:Decrypt."
    ),
)


# --- roles and their policies (shared with policies.security.fis) ------------------------------


class RoleGraph(Stack):
    """A stack's roles with their policies: inline (`inlinePolicies`), `RolePolicy` resources and
    attachments (`RolePolicyAttachment`, `managedPolicyArns`, exclusive attachments), each policy
    of the stack readable by its ARN, each with the URN of the resource that holds it (the one to
    fix). Built once, linear in the resources."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        super().__init__(resources)
        self.inline: dict[str, list[tuple[str, Any, str]]] = {}
        self.attached: dict[str, list[tuple[str, str]]] = {}
        roles = (ROLE,)
        for r in self.resources:
            if r.resource_type == ROLE_POLICY:
                role = self.target(r, "role", roles)
                if role is not None:
                    where = f"RolePolicy {known(r.props, 'name') or r.name}"
                    self.inline.setdefault(role.urn, []).append(
                        (where, known(r.props, "policy"), r.urn)
                    )
            elif r.resource_type == ROLE_POLICY_ATTACHMENT:
                role = self.target(r, "role", roles)
                arn = known(r.props, "policyArn")
                if role is not None and isinstance(arn, str):
                    self.attached.setdefault(role.urn, []).append((arn, r.urn))
            elif r.resource_type == EXCLUSIVE_ATTACHMENTS:
                role = self.target(r, "roleName", roles)
                arns, _ = _strings(r.props, "policyArns", r.urn)
                if role is not None:
                    self.attached.setdefault(role.urn, []).extend((a, r.urn) for a in arns)

    def documents(self, role: PolicyResource) -> Iterator[tuple[str, Any, str]]:
        """(where, document, URN of its holder) of each identity policy of the role that the
        stack holds."""
        for i, inline in enumerate(known_items(known(role.props, "inlinePolicies"))):
            if isinstance(inline, Mapping) and inline.get("policy"):
                where = f"inlinePolicies[{i}] ({inline.get('name') or 'unnamed'})"
                yield where, inline["policy"], role.urn
        yield from self.inline.get(role.urn, [])
        for arn, _ in self.managed(role):
            policy = self.named(arn, (IAM_POLICY,))
            if policy is not None:
                yield f"policy {arn}", known(policy.props, "policy"), policy.urn

    def managed(self, role: PolicyResource) -> list[tuple[str, str]]:
        """(ARN, URN of the resource that attaches it) of each managed policy of the role."""
        arns, _ = _strings(role.props, "managedPolicyArns", role.urn)
        return [*((a, role.urn) for a in arns), *self.attached.get(role.urn, [])]


Judge = Callable[[Sequence[Statement]], list[tuple[Statement, list[str]]]]


def role_problems(role: PolicyResource, graph: RoleGraph, judge: Judge) -> list[tuple[str, str]]:
    """What makes a role too powerful, each with the URN of the resource that grants it: AWS
    managed policies that are admin access, and statements of its stack policies that `judge`
    reports (e.g. `admin_grants`). A document that cannot be read raises `ValueProblem` naming
    its holder."""
    problems = [
        (f"AWS managed policy {arn} (administrator access or the means to it)", urn)
        for arn, urn in graph.managed(role)
        if ADMIN_EQUIVALENT.match(arn)
    ]
    for where, document, urn in graph.documents(role):
        try:
            statements = parse_document(document, where)
        except ValueProblem as problem:
            problem.urn = urn
            raise
        for statement, grants in judge(statements):
            problems.append((f"{where} {statement.label} allows {grants}", urn))
    return problems


# --- chatbot-guardrails -----------------------------------------------------------------------


def _guardrail_problems(arns: Sequence[str], graph: RoleGraph) -> list[str]:
    problems = []
    for arn in arns:
        if ADMIN_EQUIVALENT.match(arn):
            problems.append(f"guardrail {arn} is administrator access (or the means to it)")
            continue
        policy = graph.named(arn, (IAM_POLICY,))
        if policy is not None:
            document = known(policy.props, "policy")
            for statement, grants in admin_grants(parse_document(document, f"guardrail {arn}")):
                problems.append(f"guardrail {arn} {statement.label} allows {grants}")
        elif not re.match(r"^arn:aws[a-z-]*:iam::aws:policy/", arn):
            problems.append(
                f"guardrail {arn} is neither an AWS managed policy nor a policy of this stack, so "
                "what it allows cannot be judged"
            )
    return problems


@fail_closed
def chatbot_guardrails_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    graph: RoleGraph | None = None
    for channel in args.resources:
        if channel.resource_type not in CHATBOT_TYPES:
            continue
        graph = graph or RoleGraph(args.resources)
        label = str(known(channel.props, "configurationName") or channel.name)
        try:
            arns, pending = _strings(channel.props, "guardrailPolicyArns", channel.urn)
            if not arns and not pending:
                report_violation(
                    f"Chatbot channel {label} has no guardrail policies, so AWS applies none: "
                    "anyone in the channel may run whatever the channel role allows. Set "
                    "guardrail_policy_arns to read-only policies (e.g. CloudWatchReadOnlyAccess).",
                    channel.urn,
                )
            problems = [(p, channel.urn) for p in _guardrail_problems(arns, graph)]
            role = graph.target(channel, "iamRoleArn", (ROLE,))
            if role is not None:
                problems += [
                    (f"its role {known(role.props, 'name') or role.name}: {p}", urn)
                    for p, urn in role_problems(role, graph, admin_grants)
                ]
            for problem_text, urn in problems:
                report_violation(
                    f"Chatbot channel {label} can administer the account from chat: "
                    f"{problem_text}. Use read-only guardrails and a channel role with only the "
                    "permissions the channel needs.",
                    urn,
                )
        except ValueProblem as problem:
            report_violation(
                f"Cannot judge Chatbot channel {label}: {problem}. A value the rule cannot read "
                "fails the rule; set it to a valid value.",
                problem.urn or channel.urn,
            )


chatbot_guardrails = StackValidationPolicy(
    name="chatbot-guardrails",
    description=(
        "AWS Chatbot channels (Slack, Microsoft Teams) have guardrail policies, none of them "
        "administrator access or granting every action of a service, and their channel role "
        "(where its policies are in the stack) is not admin either."
    ),
    validate=chatbot_guardrails_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-CHATBOT-001"),
    remediation_steps=(
        "Set guardrail_policy_arns to read-only policies (CloudWatchReadOnlyAccess) and give "
        "the channel role only what the channel needs."
    ),
)

POLICIES = [
    alarm_actions_routed,
    sns_subscription_https,
    sns_topic_encrypted,
    alarm_topic_key_usable,
    chatbot_guardrails,
]
