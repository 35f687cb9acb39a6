"""One stack's identities stay in that stack: no identity policy of a stack's plan grants access
to Pulumi state, KMS keys or Secrets Manager secrets that are not that stack's own.

The stack is the one the engine runs (the stack part of the resources' URNs). Judged on what each
Allow statement effectively grants (`policies.iam_documents`: wildcards, `NotAction`,
`NotResource`), after its conditions:

- state: object actions on the state bucket (`stateBuckets`, by default
  `baseline-pulumi-state-*`) reach only this stack's objects in the DIY backend's project layout
  (`.pulumi/stacks/<project>/<stack>.json[.bak|.gz|.gz.bak]`, `.pulumi/{locks,history,backups}/
  <project>/<stack>/...`) and the layout marker `.pulumi/meta.yaml`; a listing of the bucket is
  held by an `s3:prefix` condition to those prefixes. Each Resource pattern must lie inside one
  of them (a pattern that spans two of them errs towards a finding).
- keys and secrets: every key (`arn:aws:kms:...:key/...`) or secret a grant reaches is one the
  stack itself declares (the ARN of its `aws:kms/key:Key` or `aws:secretsmanager/secret:Secret`,
  or the master-user secret RDS made for its instance), a secret whose name carries the stack as
  a path segment (`baseline-agents/<stack>/...`), or the statement pins `aws:ResourceTag/stack`
  to this stack (a positive operator, literal values).

A document that cannot be read fails the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import config, fail_closed, known, known_items, rule_tags, string_list
from policies.iam_documents import (
    Statement,
    glob_contains,
    glob_intersects,
    parse_document,
)
from policies.security.iam import POLICY_TYPES, identity_policies
from policies.values import ValueProblem

KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"
RDS_TYPES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
STACK_TAG = "aws:resourcetag/stack"

# Actions that read, write or list state objects; what uses or governs a key; what reads,
# changes or exposes a secret. Probed one by one against each statement's effective actions.
STATE_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:GetObjectAcl",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:RestoreObject",
    "s3:ReplicateObject",
)
STATE_LIST_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions")
KMS_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:Sign",
    "kms:GenerateMac",
)
SECRET_ACTIONS = (
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:RotateSecret",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:RestoreSecret",
)
ANY_KEY = "arn:*:kms:*:*:key/*"
ANY_SECRET = "arn:*:secretsmanager:*:*:secret:*"

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "stateBuckets": string_list(
            "Bucket name patterns that hold Pulumi state (the DIY backend).",
            ["baseline-pulumi-state-*"],
        ),
    }
)


@dataclass(frozen=True)
class Scope:
    """What is this stack's: its name, its state object patterns and its keys and secrets."""

    stack: str
    project: str
    buckets: tuple[str, ...]
    own_arns: frozenset[str]

    def object_patterns(self) -> list[str]:
        s, p = self.stack, self.project
        keys = [
            ".pulumi/meta.yaml",
            *(f".pulumi/stacks/{p}/{s}.json{x}" for x in ("", ".bak", ".gz", ".gz.bak")),
            *(f".pulumi/{d}/{p}/{s}/*" for d in ("locks", "history", "backups")),
        ]
        return [f"arn:aws:s3:::{b}/{k}" for b in self.buckets for k in keys]

    def prefix_patterns(self) -> list[str]:
        s, p = self.stack, self.project
        return [
            f".pulumi/stacks/{p}/{s}.json",
            *(f".pulumi/{d}/{p}/{s}/*" for d in ("locks", "history", "backups")),
        ]

    def secret_patterns(self) -> list[str]:
        s = self.stack
        return [
            f"arn:*:secretsmanager:*:*:secret:{s}/*",
            f"arn:*:secretsmanager:*:*:secret:*/{s}/*",
        ]


def stack_of(resources: Iterable[PolicyResource]) -> tuple[str, str] | None:
    """(stack, project) the engine runs, from the URNs (`urn:pulumi:<stack>::<project>::...`)."""
    for r in resources:
        parts = r.urn.split("::")
        if len(parts) > 2 and parts[0].startswith("urn:pulumi:"):
            return parts[0].rsplit(":", 1)[-1], parts[1]
    return None


def own_arns(resources: Iterable[PolicyResource]) -> frozenset[str]:
    """The ARNs of the keys and secrets the stack declares (including RDS's master secrets)."""
    found: set[str] = set()
    for r in resources:
        if r.resource_type in (KMS_KEY, SECRET):
            arn = known(r.props, "arn")
            if isinstance(arn, str):
                found.add(arn)
        elif r.resource_type in RDS_TYPES:
            for secret in known_items(known(r.props, "masterUserSecrets")):
                arn = secret.get("secretArn") if isinstance(secret, Mapping) else None
                if isinstance(arn, str):
                    found.add(arn)
    return frozenset(found)


def _reached(s: Statement, space: str) -> list[str]:
    """The statement's Resource patterns that reach into `space` (a wildcard pattern); with
    NotResource, `["NotResource ..."]` unless it takes back the whole space."""
    if s.resources is not None:
        return [p for p in s.resources if glob_intersects(p, space)]
    if s.not_resources is not None:
        if any(glob_contains(p, space) for p in s.not_resources):
            return []
        return [f"every resource but {list(s.not_resources)}"]
    return ["*"]


def _pins_stack(s: Statement, stack: str) -> bool:
    return any(c.key == STACK_TAG and c.pins and set(c.values) == {stack} for c in s.conditions)


def _outside(patterns: Sequence[str], allowed: Sequence[str]) -> list[str]:
    return [p for p in patterns if not any(glob_contains(a, p) for a in allowed)]


def stack_reach(statements: Sequence[Statement], scope: Scope) -> list[tuple[Statement, str]]:
    """(statement, what it reaches beyond the stack) for each Allow statement that reaches state
    objects, keys or secrets that are not this stack's."""
    found: list[tuple[Statement, str]] = []
    for s in statements:
        if not s.allow:
            continue
        if any(s.covers_action(a) for a in STATE_OBJECT_ACTIONS):
            objects = [p for b in scope.buckets for p in _reached(s, f"arn:aws:s3:::{b}/*")]
            beyond = _outside(objects, scope.object_patterns())
            if beyond:
                found.append(
                    (s, f"state objects {sorted(set(beyond))} beyond stack {scope.stack}'s")
                )
        if any(s.covers_action(a) for a in STATE_LIST_ACTIONS):
            # A pattern every match of which holds a `/` names objects, not the bucket.
            buckets = [
                p
                for b in scope.buckets
                for p in _reached(s, f"arn:aws:s3:::{b}")
                if not glob_contains("*/*", p)
            ]
            if buckets and not _prefix_held(s, scope):
                found.append(
                    (
                        s,
                        f"a listing of the state bucket {sorted(set(buckets))} not held by "
                        f"s3:prefix to stack {scope.stack}'s prefixes",
                    )
                )
        for actions, space, allowed, what in (
            (KMS_ACTIONS, ANY_KEY, [], "keys"),
            (SECRET_ACTIONS, ANY_SECRET, scope.secret_patterns(), "secrets"),
        ):
            if not any(s.covers_action(a) for a in actions) or _pins_stack(s, scope.stack):
                continue
            reached = _reached(s, space)
            beyond = [p for p in _outside(reached, allowed) if p not in scope.own_arns]
            if beyond:
                found.append(
                    (s, f"{what} {sorted(set(beyond))} that are not stack {scope.stack}'s")
                )
    return found


def _prefix_held(s: Statement, scope: Scope) -> bool:
    """Whether a condition holds `s3:prefix` to this stack's prefixes: a positive operator that
    fails when the key is absent (not `...IfExists`, not `ForAllValues:`), every value inside one
    of the stack's prefixes."""
    allowed = scope.prefix_patterns()
    for c in s.conditions:
        op = c.operator.lower()
        if (
            c.key == "s3:prefix"
            and c.base_operator in ("stringequals", "stringlike")
            and not op.endswith("ifexists")
            and not op.startswith("forallvalues:")
            and c.values
            and not _outside(c.values, allowed)
        ):
            return True
    return False


def _judge(args: StackValidationArgs) -> Iterator[tuple[PolicyResource, str]]:
    found = stack_of(args.resources)
    if found is None:
        return
    buckets = config(args, "stateBuckets", ["baseline-pulumi-state-*"]) or []
    scope = Scope(*found, tuple(str(b) for b in buckets), own_arns(args.resources))
    for r in args.resources:
        if r.resource_type not in POLICY_TYPES:
            continue
        try:
            for where, document in identity_policies(r.resource_type, r.props):
                for s, beyond in stack_reach(parse_document(document, where), scope):
                    yield r, f"{where}: {s.label} grants {beyond}"
        except ValueProblem as problem:
            yield (
                r,
                (
                    f"Cannot judge this resource's policy: {problem}. A value the rule cannot read "
                    "fails the rule; set it to a valid value"
                ),
            )


@fail_closed
def iam_policy_stays_in_its_stack_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    for r, problem in _judge(args):
        report_violation(
            f"{problem}. An identity of this stack reaches only its own state (the stack's "
            "objects and prefixes in the state bucket), its own keys and its own secrets: name "
            "their ARNs, put the stack in the secret's path (baseline-agents/<stack>/...), or "
            "pin aws:ResourceTag/stack to the stack.",
            r.urn,
        )


iam_policy_stays_in_its_stack = StackValidationPolicy(
    name="iam-policy-stays-in-its-stack",
    description=(
        "No identity policy of a stack reaches another stack's Pulumi state, KMS keys or "
        "Secrets Manager secrets: state objects and listings under this stack's prefixes, keys "
        "and secrets by this stack's ARNs, path or stack tag, judged after wildcards and "
        "conditions."
    ),
    validate=iam_policy_stays_in_its_stack_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=CONFIG_SCHEMA,
    tags=rule_tags("SEC-IAM-008"),
    remediation_steps=(
        "Scope state access to .pulumi/stacks/<project>/<stack>.json and the stack's "
        "locks/history/backups prefixes (ListBucket with an s3:prefix condition), and keys and "
        "secrets to the stack's own ARNs, a secret path carrying the stack, or an "
        "aws:ResourceTag/stack condition."
    ),
)

POLICIES = [iam_policy_stays_in_its_stack]
