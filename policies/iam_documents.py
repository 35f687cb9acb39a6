"""IAM policy documents judged by what they allow, not by how they are spelled.

Identity policies, trust policies and resource policies (KMS key, S3 bucket, SNS topic, ...) share
one grammar: `Statement` is an object or a list; `Action`/`NotAction`, `Resource`/`NotResource`
are a string or a list; `Principal`/`NotPrincipal` is `"*"` or an object of `AWS`, `Service`,
`Federated`, `CanonicalUser` to a string or a list; `Condition` maps an operator to keys to a value
or a list. `parse_document` normalises all of it into `Statement`s, and refuses (`ValueProblem`,
so the rule fails closed) what it cannot read.

Matching follows IAM's own rules: action names are case-insensitive, resource ARNs are not; `*`
matches any run of characters (also none), `?` exactly one. Besides matching one name, the rules
need set questions, answered exactly on the glob patterns themselves:

- `glob_contains(outer, inner)`: every name `inner` matches, `outer` matches too (does
  `Action: "iam*"` grant all of `iam:*`? yes);
- `glob_intersects(a, b)`: some name matches both (does `NotAction: "iam:*"` leave anything of
  `s3:*`? yes).

A statement's *effective actions* are those its `Action` matches, or, with `NotAction`, every action
its `NotAction` does not match. It is *admin-like* on a service when its effective actions cover
`<service>:*` on every resource of that service (the `Resource` patterns contain the service's ARN
shapes, see `resource_shapes`), unless an unconditional `Deny` of the same document takes all of
it back; on `*` when that holds for every action.

Principals: a statement admits *everyone* when its principal is `"*"`, `{"AWS": "*"}`, a list
holding `"*"`, an AWS principal with a wildcard in it, or when it uses `NotPrincipal` with `Allow`
(everyone but a few). It is narrowed when it carries a condition that pins the caller or the
calling resource to known ones: one of `NARROWING_KEYS` under a positive operator
(`StringEquals`, `StringEqualsIgnoreCase`, `StringLike`, `ArnEquals`, `ArnLike`; not `...IfExists`
and not `ForAllValues:`, which both pass when the key is absent) with values that are not only
wildcards. `aws:SourceIp` does not count: an address range is not an identity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from policies.values import ValueProblem

EFFECTS = ("Allow", "Deny")
PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")

# Condition keys that pin who calls (or which resource calls on the caller's behalf) to known
# accounts, organisations, ARNs or networks. Compared lower-case.
NARROWING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "kms:CallerAccount",
    )
)
POSITIVE_OPERATORS = frozenset(
    k.lower()
    for k in ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike")
)

# Service prefixes checked for `<service>:*` grants, beside any service a pattern names itself (so
# `Action: "iam*"` or `NotAction: "s3:*"` are judged against every service here).
KNOWN_SERVICES = (  # noqa: SIM905 - a word list reads better than a column
    "access-analyzer acm apigateway application-autoscaling athena autoscaling backup batch "
    "budgets ce cloudformation cloudfront cloudtrail cloudwatch codebuild codecommit codedeploy "
    "codepipeline cognito-identity cognito-idp config datasync dms ds dynamodb ebs ec2 "
    "ec2-instance-connect ecr ecs eks elasticache elasticfilesystem elasticloadbalancing es "
    "events firehose fsx glacier glue guardduty health iam identitystore inspector2 kafka kinesis "
    "kms lambda logs macie2 organizations pricing ram rds redshift route53 s3 sagemaker "
    "secretsmanager securityhub ses sns sqs ssm ssm-guiconnect sso states sts support tag "
    "wafv2 xray"
).split()

ACCOUNT = "111122223333"

# The shapes (as wildcard patterns) of each service's resource ARNs, to decide whether `Resource`
# patterns cover "every resource" of it: they must contain every shape. Services not listed get
# the regional shape. A pattern that names its own account or region is read as covering that
# account or region (`arn:aws:iam::123456789012:role/*` is every role of the account).
_ARN_SHAPES: dict[str, tuple[str, ...]] = {
    "iam": tuple(
        f"arn:aws:iam::{ACCOUNT}:{kind}/?*" for kind in ("role", "user", "policy", "group")
    ),
    "sts": (f"arn:aws:iam::{ACCOUNT}:role/?*",),
    "s3": ("arn:aws:s3:::?*",),
}

# Single actions that let a principal raise its own privileges (Rhino Security Labs' escalation
# methods, as Checkov CKV_AWS_286 and pmapper check them), with the shapes of the resources each
# one acts on: the action is flagged when its Resource covers all of them.
_ROLES = (f"arn:aws:iam::{ACCOUNT}:role/?*",)
_USERS = (f"arn:aws:iam::{ACCOUNT}:user/?*",)
_GROUPS = (f"arn:aws:iam::{ACCOUNT}:group/?*",)
_POLICIES = (f"arn:aws:iam::{ACCOUNT}:policy/?*",)
_FUNCTIONS = (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:?*",)
ESCALATION_ACTIONS: dict[str, tuple[str, ...]] = {
    "iam:AddUserToGroup": _GROUPS,
    "iam:AttachGroupPolicy": _GROUPS,
    "iam:AttachRolePolicy": _ROLES,
    "iam:AttachUserPolicy": _USERS,
    "iam:CreateAccessKey": _USERS,
    "iam:CreateLoginProfile": _USERS,
    "iam:CreatePolicyVersion": _POLICIES,
    "iam:DeleteRolePermissionsBoundary": _ROLES,
    "iam:DeleteUserPermissionsBoundary": _USERS,
    "iam:PassRole": _ROLES,
    "iam:PutGroupPolicy": _GROUPS,
    "iam:PutRolePermissionsBoundary": _ROLES,
    "iam:PutRolePolicy": _ROLES,
    "iam:PutUserPermissionsBoundary": _USERS,
    "iam:PutUserPolicy": _USERS,
    "iam:SetDefaultPolicyVersion": _POLICIES,
    "iam:UpdateAssumeRolePolicy": _ROLES,
    "iam:UpdateLoginProfile": _USERS,
    "sts:AssumeRole": _ROLES,
    "lambda:UpdateFunctionCode": _FUNCTIONS,
    "lambda:UpdateFunctionConfiguration": _FUNCTIONS,
    "glue:UpdateDevEndpoint": (f"arn:aws:glue:us-east-1:{ACCOUNT}:devEndpoint/?*",),
}

# The largest automaton a set question may build before the helpers give up (and the rule fails
# closed): real policies stay far below it; patterns crafted to blow up do not.
MAX_STATES = 20_000
# ... and the most transitions it may follow (pairs times the characters the patterns name): two
# patterns naming hundreds of characters reached 20,000 pairs only after about 30 s of work.
MAX_TRANSITIONS = 200_000
MAX_PATTERN = 512

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


@dataclass(frozen=True)
class Condition:
    operator: str  # as written, e.g. "ForAnyValue:StringLike"
    key: str  # lower-case
    values: tuple[str, ...]

    @property
    def base_operator(self) -> str:
        """The operator without `ForAnyValue:`/`ForAllValues:` and `IfExists` (lower-case)."""
        op = self.operator.split(":", 1)[-1].lower()
        return op.removesuffix("ifexists")

    @property
    def pins(self) -> bool:
        """Whether the condition can only hold for the known callers its values name: a positive
        operator that fails when the key is absent, and values that are literal (no policy
        variable; no wildcard, except after a literal account in an ARN or a literal
        organisation id in an organisation path)."""
        op = self.operator.lower()
        return (
            self.base_operator in POSITIVE_OPERATORS
            and not op.endswith("ifexists")
            and not op.startswith("forallvalues:")
            and bool(self.values)
            and all(_literal_enough(self.key, v) for v in self.values)
        )


_ACCOUNT_ID = re.compile(r"\d{12}")
_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")


def _literal_enough(key: str, value: str) -> bool:
    if "${" in value:
        return False
    if not set(value) & {"*", "?"}:
        return True
    if key in ("aws:sourcearn", "aws:principalarn"):
        parts = value.split(":", 5)
        return len(parts) == 6 and _ACCOUNT_ID.fullmatch(parts[4]) is not None
    if key in ("aws:principalorgpaths", "aws:sourceorgpaths"):
        return _ORG_ID.fullmatch(value.split("/", 1)[0]) is not None
    if key.endswith(":sub"):
        # A token subject pinned to an owner: `repo:my-org/*` narrows, `repo:*` and
        # `repo:my-org*` (which `repo:my-organisation-evil/x` also matches) do not.
        prefix = re.split(r"[*?]", value, maxsplit=1)[0]
        return re.search(r"[:/][^:/*?]+[:/]", prefix) is not None
    return False


@dataclass(frozen=True)
class Statement:
    """One statement, normalised. Exactly one of `actions`/`not_actions` is set; `resources` and
    `not_resources` are both None when the statement names neither (trust and resource policies:
    the resource is the one the policy is attached to)."""

    index: int
    sid: str
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: dict[str, tuple[str, ...]] | None
    not_principals: dict[str, tuple[str, ...]] | None
    conditions: tuple[Condition, ...]

    @property
    def label(self) -> str:
        return self.sid or f"Statement[{self.index}]"

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"

    # --- actions ------------------------------------------------------------------------------

    def covers_action(self, action: str) -> bool:
        """Whether the statement's effective actions include one action name."""
        if self.actions is not None:
            return any(action_matches(p, action) for p in self.actions)
        return not any(action_matches(p, action) for p in self.not_actions or ())

    def covers_actions(self, action_glob: str) -> bool:
        """Whether the effective actions include every action `action_glob` matches."""
        if self.actions is not None:
            return any(glob_contains(p, action_glob, fold=True) for p in self.actions)
        return not any(glob_intersects(p, action_glob, fold=True) for p in self.not_actions or ())

    # --- resources ----------------------------------------------------------------------------

    def covers_resources(self, shapes: Iterable[str]) -> bool:
        """Whether the statement applies to every ARN of the given shapes (see
        `resource_shapes`). A statement with neither `Resource` nor `NotResource` (not valid in
        an identity policy) is taken as `*`."""
        shapes = list(shapes)
        if self.resources is not None:
            return all(
                any(glob_contains(p, _in_scope_of(shape, p)) for p in self.resources)
                for shape in shapes
            )
        if self.not_resources is not None:
            return not any(
                glob_intersects(p, _in_scope_of(shape, p))
                for p in self.not_resources
                for shape in shapes
            )
        return True

    @property
    def unconditional(self) -> bool:
        return not self.conditions

    # --- principals ---------------------------------------------------------------------------

    @property
    def admits_everyone(self) -> bool:
        if self.not_principals is not None:
            return self.allow
        return is_everyone(self.principals)

    @property
    def narrowing(self) -> list[Condition]:
        return [c for c in self.conditions if c.key in NARROWING_KEYS and c.pins]

    def conditions_on(self, key: str, operator: str) -> list[Condition]:
        return [
            c
            for c in self.conditions
            if c.key == key.lower() and c.operator.lower() == operator.lower()
        ]


# --- parsing -----------------------------------------------------------------------------------


def parse_document(value: Any, what: str = "the policy") -> list[Statement]:
    """The statements of a policy document given as a JSON string or an object. An absent or
    empty document has none; one that cannot be read raises `ValueProblem`."""
    if value is None or value == "":
        return []
    doc = value
    if isinstance(value, str):
        try:
            doc = json.loads(value, object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError):  # JSONDecodeError, huge numbers, repeated keys
            raise ValueProblem(what, value, "a JSON policy document") from None
    if not isinstance(doc, Mapping):
        raise ValueProblem(what, value, "a policy document (a JSON object)")
    raw = doc.get("Statement")
    if raw is None:
        return []
    items = [raw] if isinstance(raw, Mapping) else _items(raw)
    if items is None:
        raise ValueProblem(f"{what} Statement", raw, "an object or a list of objects")
    return [_statement(i, s, what) for i, s in enumerate(items)]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that names each key once: with a repeated key, which one AWS reads is not
    ours to guess (Python keeps the last), so the document is refused."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"repeated key {key!r}")
        out[key] = value
    return out


def _items(value: Any) -> Sequence[Any] | None:
    """A list (or the policy SDK's list proxy) as a sequence; a lone value as one item."""
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        return None
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else _items(value)
    if items is None or not all(isinstance(v, str) for v in items):
        raise ValueProblem(what, value, "a string or a list of strings")
    return tuple(items)


def _principal(value: Any, what: str) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"AWS": ("*",)}
    if not isinstance(value, Mapping) or not value:
        raise ValueProblem(what, value, '"*" or an object of principal kinds')
    out: dict[str, tuple[str, ...]] = {}
    for kind, names in value.items():
        if kind not in PRINCIPAL_KINDS:
            raise ValueProblem(f"{what} kind {kind!r}", kind, f"one of {list(PRINCIPAL_KINDS)}")
        out[kind] = _strings(names, f"{what}.{kind}")
    return out


def _conditions(value: Any, what: str) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ValueProblem(what, value, "an object of operators")
    out: list[Condition] = []
    for operator, keys in value.items():
        if not isinstance(keys, Mapping):
            raise ValueProblem(f"{what}.{operator}", keys, "an object of condition keys")
        for key, values in keys.items():
            listed = _items(values)
            items = [values] if listed is None else listed
            if not all(isinstance(v, str | int | float | bool) for v in items):
                raise ValueProblem(f"{what}.{operator}.{key}", values, "strings")
            shown = tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in items)
            out.append(Condition(str(operator), str(key).lower(), shown))
    return tuple(out)


def _statement(index: int, raw: Any, what: str) -> Statement:
    where = f"{what} Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise ValueProblem(where, raw, "an object")
    effect = raw.get("Effect")
    if effect not in EFFECTS:
        raise ValueProblem(f"{where}.Effect", effect, "Allow or Deny")

    def pair(key: str, not_key: str) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        if key in raw and not_key in raw:
            raise ValueProblem(where, f"{key} and {not_key}", f"either {key} or {not_key}")
        plain = _strings(raw[key], f"{where}.{key}") if key in raw else None
        negated = _strings(raw[not_key], f"{where}.{not_key}") if not_key in raw else None
        return plain, negated

    actions, not_actions = pair("Action", "NotAction")
    if actions is None and not_actions is None:
        raise ValueProblem(where, "no Action", "a statement with Action or NotAction")
    resources, not_resources = pair("Resource", "NotResource")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise ValueProblem(where, "Principal and NotPrincipal", "either one")
    principals = _principal(raw["Principal"], f"{where}.Principal") if "Principal" in raw else None
    not_principals = (
        _principal(raw["NotPrincipal"], f"{where}.NotPrincipal") if "NotPrincipal" in raw else None
    )
    sid = raw.get("Sid")
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) else "",
        effect=effect,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        principals=principals,
        not_principals=not_principals,
        conditions=_conditions(raw.get("Condition"), f"{where}.Condition"),
    )


# --- matching ----------------------------------------------------------------------------------


def _judgeable(*patterns: str) -> None:
    """Raise `ValueProblem` for a pattern longer than `MAX_PATTERN` (the rule fails closed)."""
    for pattern in patterns:
        if len(pattern) > MAX_PATTERN:
            raise ValueProblem("a pattern", pattern, f"at most {MAX_PATTERN} characters long")


def _matches(pattern: str, text: str, fold: bool) -> bool:
    """Wildcard matching in time linear in the text (no backtracking regex: a pattern such as
    `*?*?*?*?#` must not stall the gate)."""
    _judgeable(pattern)
    if "?" not in pattern and pattern.isascii() and text.isascii():
        # Most patterns (`s3:Get*`, `arn:aws:s3:::bucket/*`) have stars only: their literal runs
        # are found in order, leftmost first, which decides a star-only pattern exactly and
        # in no more than one scan of the text per run. (ASCII only: there, folding a string
        # folds each character to one character, as the automaton below folds them.)
        if fold:
            pattern, text = pattern.lower(), text.lower()
        return _star_match(pattern, text)
    states = _closure(pattern, {0})
    for char in text:
        states = _step(pattern, states, char.lower() if fold else char, fold)
        if not states:
            return False
    return len(pattern) in states


def _star_match(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern`, a pattern whose only wildcard is `*`: its first run
    starts the text, its last ends it, and the runs between are found in order, each leftmost
    (an earlier place never leaves less room for the runs after it)."""
    runs = pattern.split("*")
    if len(runs) == 1:  # no star at all
        return pattern == text
    head, *middle, tail = runs
    end = len(text) - len(tail)
    if end < len(head) or not text.startswith(head) or not text.endswith(tail):
        return False
    position = len(head)
    for run in middle:
        found = text.find(run, position, end)
        if found < 0:
            return False
        position = found + len(run)
    return True


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` any run, `?` one character."""
    return _matches(pattern, action, True)


def resource_matches(pattern: str, arn: str) -> bool:
    """IAM resource matching: case-sensitive, `*` any run, `?` one character."""
    return _matches(pattern, arn, False)


def _same(a: str, b: str, fold: bool) -> bool:
    return a.lower() == b.lower() if fold else a == b


# Containment and intersection are decided exactly on the patterns' automata: a `*`/`?` pattern
# is a regular language, and over the characters the two patterns name plus one stand-in for
# every other character, the product of their subset automata is finite.

_OTHER = None  # any character neither pattern names


def _closure(pattern: str, states: Iterable[int]) -> frozenset[int]:
    out = set(states)
    for start in sorted(out):
        i = start
        while i < len(pattern) and pattern[i] == "*":
            i += 1
            out.add(i)
    return frozenset(out)


def _step(pattern: str, states: frozenset[int], char: str | None, fold: bool) -> frozenset[int]:
    nxt: set[int] = set()
    for i in states:
        if i >= len(pattern):
            continue
        p = pattern[i]
        if p == "*":
            nxt.add(i)
        elif p == "?" or (char is not _OTHER and _same(p, char, fold)):
            nxt.add(i + 1)
    return _closure(pattern, nxt)


def _walk(
    a: str, b: str, fold: bool, *, prune_b: bool = False
) -> Iterator[tuple[frozenset[int], frozenset[int]]]:
    """Every reachable pair of states of the two patterns' subset automata (pairs in which `a`
    can match nothing more are not followed, nor, with `prune_b`, those where `b` cannot).
    Past `MAX_STATES` pairs, or `MAX_TRANSITIONS` pairs times characters, it raises
    `ValueProblem`: the rule fails closed."""
    _judgeable(a, b)
    chars = {c.lower() if fold else c for c in a + b if c not in "*?"}
    alphabet: list[str | None] = [*sorted(chars), _OTHER]
    most = min(MAX_STATES, MAX_TRANSITIONS // len(alphabet))
    start = (_closure(a, {0}), _closure(b, {0}))
    seen = {start}
    todo = [start]
    # Each pattern's steps, remembered for this walk: a state set of one pattern recurs in many
    # pairs, and stepping it again would give the same set.
    steps_a: dict[tuple[frozenset[int], str | None], frozenset[int]] = {}
    steps_b: dict[tuple[frozenset[int], str | None], frozenset[int]] = {}
    while todo:
        pair = todo.pop()
        yield pair
        for char in alphabet:
            key_a, key_b = (pair[0], char), (pair[1], char)
            next_a = steps_a.get(key_a)
            if next_a is None:
                next_a = steps_a[key_a] = _step(a, pair[0], char, fold)
            next_b = steps_b.get(key_b)
            if next_b is None:
                next_b = steps_b[key_b] = _step(b, pair[1], char, fold)
            nxt = (next_a, next_b)
            if nxt[0] and (nxt[1] or not prune_b) and nxt not in seen:
                if len(seen) >= most:
                    raise ValueProblem(
                        "a pattern pair", f"{a} / {b}", "simple enough to judge (too many states)"
                    )
                seen.add(nxt)
                todo.append(nxt)


_WILD = re.compile(r"[*?]")


def _ends(pattern: str, fold: bool) -> tuple[str, str, bool]:
    """The literal text before the first and after the last wildcard, and whether it has one."""
    text = pattern.lower() if fold else pattern
    parts = _WILD.split(text)
    return parts[0], parts[-1], len(parts) > 1


# Pattern pairs are remembered within a bound: the packs live across gate runs (an agent's
# passes), and the patterns come from whatever exports they are sent.
GLOB_MEMORY = 1 << 16


@lru_cache(maxsize=GLOB_MEMORY)
def glob_contains(outer: str, inner: str, fold: bool = False) -> bool:
    """Whether every string `inner` matches is matched by `outer` (`*` and `?` wildcards)."""
    o_head, o_tail, o_wild = _ends(outer, fold)
    i_head, i_tail, i_wild = _ends(inner, fold)
    if not i_wild:
        return _matches(outer, inner, fold)
    if not o_wild:
        return False  # a literal matches one string; a pattern with a wildcard, more
    # Cheap refusals first (most pairs a rule asks about): outer's literal ends must be literal
    # ends of inner's too.
    if not i_head.startswith(o_head) or not i_tail.endswith(o_tail):
        return False
    if _star_only(outer, inner):
        # Every string `inner` matches is `outer`'s iff `outer` matches the text of `inner`,
        # its stars read as plain characters: `outer`'s literal runs never hold a star, so in a
        # match only `outer`'s stars cover them, and those would cover whatever stood there
        # instead; and `inner` matches that text itself (a star may stand for "*").
        o_text, i_text = (outer.lower(), inner.lower()) if fold else (outer, inner)
        return _star_match(o_text, i_text)
    return not any(len(inner) in i and len(outer) not in o for i, o in _walk(inner, outer, fold))


@lru_cache(maxsize=GLOB_MEMORY)
def glob_intersects(a: str, b: str, fold: bool = False) -> bool:
    """Whether some string is matched by both `a` and `b`."""
    a_head, a_tail, a_wild = _ends(a, fold)
    b_head, b_tail, b_wild = _ends(b, fold)
    if not a_wild:
        return _matches(b, a, fold)
    if not b_wild:
        return _matches(a, b, fold)
    if not (a_head.startswith(b_head) or b_head.startswith(a_head)):
        return False
    if not (a_tail.endswith(b_tail) or b_tail.endswith(a_tail)):
        return False
    if _star_only(a, b):
        # Both have a star and agree on their ends: the longer head, every run of `a` between
        # its stars, every run of `b` between its stars, then the longer tail, is one string
        # both match.
        return True
    return any(len(a) in x and len(b) in y for x, y in _walk(a, b, fold, prune_b=True))


def _star_only(a: str, b: str) -> bool:
    """Both patterns ASCII with `*` their only wildcard (see `_star_match`). A pattern too long
    to judge raises `ValueProblem` here as in `_walk`: the rule fails closed either way."""
    _judgeable(a, b)
    return "?" not in a and "?" not in b and a.isascii() and b.isascii()


def _in_scope_of(shape: str, pattern: str) -> str:
    """The shape moved into the region and account a pattern names literally."""
    shape_parts, pattern_parts = shape.split(":", 5), pattern.split(":", 5)
    if len(shape_parts) < 6 or len(pattern_parts) < 6:
        return shape
    for field in (3, 4):  # region, account
        value = pattern_parts[field]
        if shape_parts[field] and value and not set(value) & {"*", "?"}:
            shape_parts[field] = value
    return ":".join(shape_parts)


def resource_shapes(service: str) -> tuple[str, ...]:
    """The shapes of a service's resource ARNs, as wildcard patterns: `Resource` patterns cover
    "every resource of the service" when they contain all of them."""
    return _ARN_SHAPES.get(service.lower(), (f"arn:aws:{service}:us-east-1:{ACCOUNT}:?*",))


ALL_RESOURCES = tuple(shape for svc in KNOWN_SERVICES for shape in resource_shapes(svc))


def _services(statement: Statement) -> dict[str, str]:
    """The services to check for `<service>:*` grants, each with how a finding names it: the
    known ones, those a pattern names, and, for a pattern whose service part is a prefix with a
    wildcard (`lightsa*`), a stand-in service that only that prefix matches (named `lightsa*:*`)."""
    found = {svc: f"{svc}:*" for svc in KNOWN_SERVICES}
    for p in statement.actions or statement.not_actions or ():
        head = re.split(r"[*?:]", p, maxsplit=1)[0].lower()
        if not head:
            continue
        if len(head) < len(p) and p[len(head)] in "*?":
            found.setdefault(f"{head}\x00", f"{head}*:*")
        else:
            found.setdefault(head, f"{head}:*")
    return found


def _taken_back(statements: Sequence[Statement], action_glob: str, shapes: Sequence[str]) -> bool:
    """Whether an unconditional Deny of the same document takes back the whole grant: it must
    cover every action and every resource of it (a Deny of a part, or of names that do not
    exist, leaves the rest granted; so this errs towards reporting)."""
    return any(
        not s.allow
        and s.unconditional
        and s.covers_actions(action_glob)
        and s.covers_resources(shapes)
        for s in statements
    )


def admin_grants(statements: Sequence[Statement]) -> list[tuple[Statement, list[str]]]:
    """The Allow statements that are admin-like, each with what it grants: `["*"]` for every
    action, else the services (`"iam:*"`, ...) whose every action it grants on every resource."""
    found = []
    for s in statements:
        if not s.allow:
            continue
        if (
            s.covers_actions("?*:?*")
            and s.covers_resources(ALL_RESOURCES)
            and not _taken_back(statements, "?*:?*", ALL_RESOURCES)
        ):
            found.append((s, ["*"]))
            continue
        services = [
            label
            for svc, label in sorted(_services(s).items())
            if s.covers_actions(f"{svc}:?*")
            and s.covers_resources(resource_shapes(svc))
            and not _taken_back(statements, f"{svc}:?*", resource_shapes(svc))
        ]
        # A prefix's stand-in adds nothing where a known service of that prefix is reported.
        services = [
            x
            for x in services
            if not x.endswith("*:*")
            or not any(y.startswith(x[:-3]) for y in services if not y.endswith("*:*"))
        ]
        if services:
            found.append((s, services))
    return found


def escalation_grants(statements: Sequence[Statement]) -> list[tuple[Statement, list[str]]]:
    """The Allow statements that grant a privilege-escalation action on every resource it acts
    on, each with those actions."""
    found = []
    for s in statements:
        if not s.allow:
            continue
        actions = [
            action
            for action, arns in ESCALATION_ACTIONS.items()
            if s.covers_action(action)
            and s.covers_resources(arns)
            and not _taken_back(statements, action, arns)
        ]
        if actions:
            found.append((s, actions))
    return found


def is_everyone(principals: Mapping[str, Sequence[str]] | None) -> bool:
    """Whether a principal block admits every AWS identity: `*`, or any principal holding a
    wildcard (IAM refuses partial wildcards there; a tool that writes one means "anyone")."""
    if not principals:
        return False
    return any("*" in p or "?" in p for names in principals.values() for p in names)


def everyone_grants(statements: Sequence[Statement]) -> list[Statement]:
    """The Allow statements that admit everyone without a condition narrowing who calls."""
    return [s for s in statements if s.allow and s.admits_everyone and not s.narrowing]


def service_wide_grants(statements: Sequence[Statement]) -> list[tuple[Statement, list[str]]]:
    """The Allow statements whose effective actions cover every action (`["*"]`), or every
    action of a service (`"ec2:*"`, ...), on whatever resources they name: a role meant to do a
    few things (an experiment, a chat channel) holds no wildcard of a whole service, even scoped
    to some ARNs. An unconditional Deny of the same document that covers the whole grant on every
    resource takes it back, as in `admin_grants`."""
    found = []
    for s in statements:
        if not s.allow:
            continue
        if s.covers_actions("?*:?*") and not _taken_back(statements, "?*:?*", ALL_RESOURCES):
            found.append((s, ["*"]))
            continue
        services = [
            label
            for svc, label in sorted(_services(s).items())
            if s.covers_actions(f"{svc}:?*")
            and not _taken_back(statements, f"{svc}:?*", resource_shapes(svc))
        ]
        services = [
            x
            for x in services
            if not x.endswith("*:*")
            or not any(y.startswith(x[:-3]) for y in services if not y.endswith("*:*"))
        ]
        if services:
            found.append((s, services))
    return found


_ARN = re.compile(r"^arn:[a-z0-9-]+:[a-z0-9-]*:[a-z0-9-]*:([^:]*):")


def arn_account(arn: str) -> str | None:
    """The account field of an ARN (`arn:aws:iam::123456789012:role/x` -> `123456789012`); None
    when the text is not an ARN or its account field is empty (S3 bucket ARNs)."""
    match = _ARN.match(arn)
    return match.group(1) or None if match else None
