"""The agent personas, loaded from `baseline/personas.yaml` into frozen dataclasses and validated.

The file is the one source of truth for what each persona may do (stacks, operations, cooldowns,
lock priority, skills) and for its IRSA identity (namespace, service account, IAM statements);
the agents read it through `load_personas` / `persona`, the program maps each `Persona` to the
identity component's `IrsaIdentity`. A document that breaks a rule raises `PersonaError`, naming
the file, the persona and the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolchain import InputError
from toolchain.inputs import read_yaml

PERSONAS_FILE = Path(__file__).resolve().parent / "personas.yaml"

# What a persona may do to a stack through the Automation API. `destroy` is deliberately absent:
# no agent tears a stack down.
OPERATIONS = ("preview", "up", "refresh", "drift-check", "outputs", "export", "approve")
FORBIDDEN_OPERATIONS = ("destroy",)
ROLES = ("reviewer", "specialist")
# Tool names the agents map to implementations; a skill outside this list is a typo.
SKILLS = (
    "plan",
    "policy-gate",
    "cost-estimate",
    "drift-check",
    "audit-log",
    "stack-lock",
    "stack-history",
    "alarm-status",
    "backup-check",
    "analyze-logs",
    "summarize-infra",
    "search-memory",
)
# Action verbs that only read. Any other action writes and must be scoped (see `_check_scoped`).
READ_VERBS = ("Describe", "Get", "List", "BatchGet", "Lookup", "Filter", "Search", "View")
PROJECT_TAG_CONDITION = ("StringEquals", "aws:ResourceTag/project", ("baseline",))
METRICS_NAMESPACE_CONDITION = ("StringEquals", "cloudwatch:namespace", ("Baseline/Agents",))

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# What a statement's resources and condition values may leave to the stack (see personas.yaml);
# `${aws:...}` IAM policy variables are not placeholders.
PLACEHOLDERS = ("stack", "account", "deploy_role", "preview_role")
_PLACEHOLDER = re.compile(r"(?<!\$)\{([^{}]*)\}")
# The stack's deploy role (write rights; only a persona that may `up` may assume it) and its
# read-only preview role (what the providers assume for a run that only reads).
DEPLOY_ROLE = "{deploy_role}"
PREVIEW_ROLE = "{preview_role}"
STACK_ROLES = (DEPLOY_ROLE, PREVIEW_ROLE)
ROLE_NAME = "baseline-{stack}-{persona}"
_STACK = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}
_PERSONA_KEYS = {
    "name",
    "role",
    "title",
    "mission",
    "priority",
    "stacks",
    "operations",
    "cooldowns",
    "skills",
    "kubernetes",
    "iam",
}


class PersonaError(InputError):
    """The personas file breaks a rule; the message names the persona and the field."""

    def __init__(self, source: str, persona: str, field_name: str, problem: str) -> None:
        super().__init__(f"{source}: persona '{persona}', field '{field_name}': {problem}")
        self.persona = persona
        self.field = field_name


# Builds the error for one persona from (field, problem).
Fail = Callable[[str, str], PersonaError]


@dataclass(frozen=True)
class Condition:
    """One IAM condition: `{operator: {key: values}}`."""

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class PolicyStatement:
    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()

    def to_iam(self) -> dict[str, Any]:
        """The statement as IAM's JSON shape."""
        statement: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": self.effect,
            "Action": list(self.actions),
            "Resource": list(self.resources),
        }
        if self.conditions:
            condition: dict[str, dict[str, list[str]]] = {}
            for c in self.conditions:
                condition.setdefault(c.operator, {})[c.key] = list(c.values)
            statement["Condition"] = condition
        return statement

    @property
    def needs_deploy_role(self) -> bool:
        return DEPLOY_ROLE in self.resources

    @property
    def needs_preview_role(self) -> bool:
        return PREVIEW_ROLE in self.resources

    def render(self, values: Mapping[str, str]) -> dict[str, Any]:
        """The statement for one stack: each `{placeholder}` replaced by its value."""

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

        return PolicyStatement(
            sid=self.sid,
            effect=self.effect,
            actions=self.actions,
            resources=tuple(fill(r) for r in self.resources),
            conditions=tuple(
                Condition(c.operator, c.key, tuple(fill(v) for v in c.values))
                for c in self.conditions
            ),
        ).to_iam()


@dataclass(frozen=True)
class Persona:
    name: str
    role: str  # "reviewer" | "specialist"
    title: str
    mission: str
    priority: int  # higher is served first when several personas wait for a stack lock
    stacks: tuple[str, ...]
    operations: tuple[str, ...]
    cooldowns: Mapping[str, int] = field(hash=False)  # seconds, per operation
    skills: tuple[str, ...]
    namespace: str  # Kubernetes namespace of the agent's pod
    service_account: str  # its service account, bound to the IRSA role
    policy_statements: tuple[PolicyStatement, ...]

    def can(self, operation: str, stack: str | None = None) -> bool:
        return operation in self.operations and (stack is None or stack in self.stacks)

    def iam_statements(
        self,
        stack: str | None = None,
        account: str = "",
        deploy_role_arn: str = "",
        preview_role_arn: str = "",
    ) -> list[dict[str, Any]]:
        """The IRSA role's policy statements for one stack, in IAM's JSON shape: `{stack}`,
        `{account}`, `{deploy_role}` and `{preview_role}` filled in, and a statement naming the
        deploy or the preview role left out when the stack has none. Without a stack, the
        templates as the file writes them (what actions a persona holds, whatever the stack)."""
        if stack is None:
            return [s.to_iam() for s in self.policy_statements]
        values = stack_values(stack, account, deploy_role_arn, preview_role_arn)
        return [
            s.render(values)
            for s in self.policy_statements
            if (deploy_role_arn or not s.needs_deploy_role)
            and (preview_role_arn or not s.needs_preview_role)
        ]

    def role_name(self, stack: str) -> str:
        """The name of the persona's IAM role in one stack: the stack is in the name."""
        return ROLE_NAME.format(stack=stack, persona=self.name)


@dataclass(frozen=True)
class StackRole:
    """One persona's IRSA role in one stack: its IAM name and statements carry the stack."""

    persona: Persona
    stack: str
    name: str
    statements: tuple[Mapping[str, Any], ...]


def stack_values(
    stack: str, account: str, deploy_role_arn: str = "", preview_role_arn: str = ""
) -> dict[str, str]:
    """The placeholders' values for one stack, checked: a stack name, an account id, and a deploy
    role and a preview role (or none) of that account, not the same role."""
    if not _STACK.match(stack):
        raise ValueError(f"stack {stack!r}: expected a stack name (letters, digits, _ . -)")
    if not _ACCOUNT.match(account):
        raise ValueError(f"stack {stack!r}: account {account!r} is not a 12-digit account id")
    for what, arn in (("deploy", deploy_role_arn), ("preview", preview_role_arn)):
        m = _ROLE_ARN.match(arn)
        if arn and (m is None or m.group(1) != account):
            raise ValueError(
                f"stack {stack!r}: {what} role {arn!r} is not a role of account {account}"
            )
    if preview_role_arn and preview_role_arn == deploy_role_arn:
        raise ValueError(
            f"stack {stack!r}: the preview role is the deploy role {deploy_role_arn!r}; every "
            "persona may assume the preview role, so it must be a read-only role of its own"
        )
    return {
        "stack": stack,
        "account": account,
        "deploy_role": deploy_role_arn,
        "preview_role": preview_role_arn,
    }


def stack_roles(
    stack: str,
    account: str,
    deploy_role_arn: str = "",
    preview_role_arn: str = "",
    personas: tuple[Persona, ...] | None = None,
) -> tuple[StackRole, ...]:
    """The IRSA roles of one stack: one per persona that serves it, named
    `baseline-<stack>-<persona>`, with statements reaching this stack's state, keys and secrets
    only. A persona that does not serve the stack gets no role there."""
    found = []
    for p in personas if personas is not None else load_personas():
        if stack not in p.stacks:
            continue
        name = p.role_name(stack)
        if len(name) > 64:  # IAM's limit on role names
            raise ValueError(f"persona {p.name!r}: role name {name!r} is over 64 characters")
        statements = tuple(p.iam_statements(stack, account, deploy_role_arn, preview_role_arn))
        found.append(StackRole(persona=p, stack=stack, name=name, statements=statements))
    return tuple(found)


def load_personas(path: str | Path | None = None) -> tuple[Persona, ...]:
    """The personas of a file (by default the shipped `baseline/personas.yaml`, read once)."""
    if path is None or Path(path).resolve() == PERSONAS_FILE:
        return _shipped()
    return parse_personas(_read(Path(path)), str(path))


def persona(name: str) -> Persona:
    """A shipped persona by name."""
    for p in _shipped():
        if p.name == name:
            return p
    known = ", ".join(p.name for p in _shipped())
    raise PersonaError(str(PERSONAS_FILE), name, "name", f"no such persona (known: {known})")


@cache
def _shipped() -> tuple[Persona, ...]:
    return parse_personas(_read(PERSONAS_FILE), str(PERSONAS_FILE))


def _read(path: Path) -> Any:
    return read_yaml(path, "personas")


def parse_personas(doc: Any, source: str = "<personas>") -> tuple[Persona, ...]:
    """Validate a decoded personas document and build the personas, in file order."""
    if not isinstance(doc, dict) or not isinstance(doc.get("personas"), list):
        raise InputError(f"{source}: expected a mapping with a 'personas:' list")
    if doc.get("version") != 1:
        raise InputError(f"{source}: expected 'version: 1', got {doc.get('version')!r}")
    personas: list[Persona] = []
    for i, raw in enumerate(doc["personas"]):
        label = raw.get("name") if isinstance(raw, dict) else None
        personas.append(_persona(raw, source, label if isinstance(label, str) else f"#{i}"))
    _check_across(personas, source)
    return tuple(personas)


def _persona(raw: Any, source: str, label: str) -> Persona:
    def fail(field_name: str, problem: str) -> PersonaError:
        return PersonaError(source, label, field_name, problem)

    if not isinstance(raw, dict):
        raise fail("(persona)", "expected a mapping")
    unknown = sorted(set(raw) - _PERSONA_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown field (expected {', '.join(sorted(_PERSONA_KEYS))})")
    missing = sorted(_PERSONA_KEYS - set(raw))
    if missing:
        raise fail(missing[0], "missing")

    name = raw["name"]
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 40:
        raise fail("name", f"expected a kebab-case name of at most 40 characters, got {name!r}")
    role = raw["role"]
    if role not in ROLES:
        raise fail("role", f"expected one of {', '.join(ROLES)}, got {role!r}")
    for key in ("title", "mission"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise fail(key, "expected a non-empty string")
    mission = " ".join(raw["mission"].split())
    if not mission.endswith("."):
        raise fail("mission", "expected one sentence, ending with a full stop")
    priority = raw["priority"]
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
        raise fail("priority", f"expected a non-negative integer, got {priority!r}")

    stacks = _names(raw["stacks"], "stacks", fail)
    operations = _operations(raw["operations"], role, fail)
    cooldowns = _cooldowns(raw["cooldowns"], operations, fail)
    skills = _names(raw["skills"], "skills", fail)
    for skill in skills:
        if skill not in SKILLS:
            raise fail("skills", f"unknown skill {skill!r} (expected one of {', '.join(SKILLS)})")

    k8s = raw["kubernetes"]
    if not isinstance(k8s, dict) or set(k8s) != {"namespace", "service_account"}:
        raise fail("kubernetes", "expected a mapping with 'namespace' and 'service_account'")
    for key in ("namespace", "service_account"):
        value = k8s[key]
        if not isinstance(value, str) or not _DNS_LABEL.match(value):
            raise fail(f"kubernetes.{key}", f"expected a DNS label (RFC 1123), got {value!r}")

    iam = raw["iam"]
    if not isinstance(iam, list) or not iam:
        raise fail("iam", "expected a non-empty list of IAM statements")
    statements = tuple(_statement(s, f"iam[{i}]", fail) for i, s in enumerate(iam))
    if "up" not in operations:
        # The deploy role carries the write rights: only the persona that changes stacks may
        # assume it; every other one reads through the preview role.
        for i, s in enumerate(statements):
            if s.needs_deploy_role:
                raise fail(
                    f"iam[{i}].Resource",
                    f"{DEPLOY_ROLE} only for a persona whose operations include 'up' "
                    f"(the others assume {PREVIEW_ROLE})",
                )
    sids = [s.sid for s in statements]
    duplicated = sorted({s for s in sids if sids.count(s) > 1})
    if duplicated:
        raise fail("iam", f"duplicate Sid {duplicated[0]!r}")

    return Persona(
        name=name,
        role=role,
        title=raw["title"].strip(),
        mission=mission,
        priority=priority,
        stacks=stacks,
        operations=operations,
        cooldowns=MappingProxyType(cooldowns),
        skills=skills,
        namespace=k8s["namespace"],
        service_account=k8s["service_account"],
        policy_statements=statements,
    )


def _names(value: Any, field_name: str, fail: Fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise fail(field_name, "expected a non-empty list")
    for item in value:
        if not isinstance(item, str) or not _NAME.match(item):
            raise fail(field_name, f"expected kebab-case names, got {item!r}")
    if len(set(value)) != len(value):
        raise fail(field_name, "lists a name twice")
    return tuple(value)


def _operations(value: Any, role: str, fail: Fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise fail("operations", "expected a non-empty list")
    for op in value:
        if op in FORBIDDEN_OPERATIONS:
            raise fail("operations", f"'{op}' is never granted to an agent; a human runs it")
        if op not in OPERATIONS:
            raise fail(
                "operations", f"unknown operation {op!r} (expected one of {', '.join(OPERATIONS)})"
            )
    if len(set(value)) != len(value):
        raise fail("operations", "lists an operation twice")
    if "approve" in value and role != "reviewer":
        raise fail("operations", "'approve' is reserved to the reviewer (role: reviewer)")
    if "up" in value and role == "reviewer":
        raise fail("operations", "the reviewer approves changes and never applies them ('up')")
    return tuple(value)


def _cooldowns(value: Any, operations: tuple[str, ...], fail: Fail) -> dict[str, int]:
    if not isinstance(value, dict):
        raise fail("cooldowns", "expected a mapping of operation to seconds")
    for op, seconds in value.items():
        if op not in operations:
            raise fail(f"cooldowns.{op}", "a cooldown for an operation the persona cannot perform")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise fail(f"cooldowns.{op}", f"expected seconds (an integer >= 0), got {seconds!r}")
    for op in operations:
        if op not in value:
            raise fail(f"cooldowns.{op}", "missing: every operation needs a cooldown")
    return {op: value[op] for op in operations}


def _strings(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statement(raw: Any, where: str, fail: Fail) -> PolicyStatement:
    if not isinstance(raw, dict):
        raise fail(where, "expected an IAM statement (a mapping)")
    unknown = sorted(set(raw) - _STATEMENT_KEYS)
    if unknown:
        # NotAction / NotResource grant everything but a list: never for an agent.
        raise fail(
            f"{where}.{unknown[0]}", f"not allowed (use {', '.join(sorted(_STATEMENT_KEYS))})"
        )
    sid = raw.get("Sid")
    if not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9]+", sid):
        raise fail(f"{where}.Sid", f"expected an alphanumeric Sid, got {sid!r}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise fail(f"{where}.Effect", f"expected Allow or Deny, got {effect!r}")
    actions = _strings(raw.get("Action"))
    resources = _strings(raw.get("Resource"))
    if not actions or not resources:
        raise fail(where, "needs Action and Resource")
    for action in actions:
        if not isinstance(action, str):
            raise fail(f"{where}.Action", f"expected strings, got {action!r}")
        problem = _admin_wildcard(action)
        if problem:
            raise fail(f"{where}.Action", problem)
        if not _ACTION.match(action):
            raise fail(f"{where}.Action", f"expected '<service>:<Action>', got {action!r}")
    for resource in resources:
        if not isinstance(resource, str) or not (
            resource == "*" or resource in STACK_ROLES or resource.startswith("arn:")
        ):
            raise fail(
                f"{where}.Resource",
                f"expected '*', an ARN pattern, {DEPLOY_ROLE} or {PREVIEW_ROLE}, got {resource!r}",
            )
        _check_placeholders(resource, f"{where}.Resource", fail)
    for placeholder in STACK_ROLES:
        if placeholder in resources and (
            len(resources) != 1 or set(actions) != {"sts:AssumeRole"} or effect != "Allow"
        ):
            raise fail(
                f"{where}.Resource",
                f"{placeholder} stands alone, in an Allow of sts:AssumeRole only "
                "(it may be left out)",
            )
    conditions = _conditions(raw.get("Condition"), f"{where}.Condition", fail)
    for c in conditions:
        for value in c.values:
            _check_placeholders(value, f"{where}.Condition.{c.operator}.{c.key}", fail)
    statement = PolicyStatement(
        sid=sid,
        effect=effect,
        actions=tuple(actions),
        resources=tuple(resources),
        conditions=conditions,
    )
    if effect == "Allow":
        _check_scoped(statement, where, fail)
    return statement


def _check_placeholders(text: str, where: str, fail: Fail) -> None:
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)
            raise fail(where, f"unknown placeholder {{{name}}} (expected {known})")


def _conditions(raw: Any, where: str, fail: Fail) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise fail(where, "expected {operator: {key: value or values}}")
    found: list[Condition] = []
    for operator, pairs in raw.items():
        if not isinstance(pairs, dict) or not pairs:
            raise fail(f"{where}.{operator}", "expected {key: value or values}")
        for key, values in pairs.items():
            vals = _strings(values)
            if not vals or not all(isinstance(v, str) for v in vals):
                raise fail(f"{where}.{operator}.{key}", "expected a string or a list of strings")
            found.append(Condition(str(operator), str(key), tuple(vals)))
    return tuple(found)


def _admin_wildcard(action: str) -> str | None:
    """Why an action is an administrator's wildcard, or None."""
    if action in ("*", "*:*"):
        return f"{action!r} grants every action; list the actions the persona needs"
    service, _, verb = action.partition(":")
    if service.lower() == "iam" and verb == "*":
        return "'iam:*' lets the persona grant itself anything; list the IAM reads it needs"
    if verb == "*" or service == "*":
        return f"{action!r} grants every action of a service; list the actions the persona needs"
    return None


def is_read_action(action: str) -> bool:
    verb = action.partition(":")[2]
    return verb.startswith(READ_VERBS)


def _is_scoped_arn(resource: str) -> bool:
    """Whether an ARN pattern names this platform's resources, not every resource of a type:
    something other than wildcards must follow the resource type (`alarm:baseline-*` is scoped,
    `alarm:*` and `key/*` are not; for S3, which has no type, the bucket name must be named)."""
    if resource == "*":
        return False
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return False
    service, rest = parts[2], parts[5]
    if service != "s3":
        sep = min((i for i in (rest.find("/"), rest.find(":")) if i >= 0), default=-1)
        rest = rest[sep + 1 :] if sep >= 0 else rest
    return bool(rest.replace("*", "").replace("?", "").replace("/", "").replace(":", ""))


def _check_scoped(statement: PolicyStatement, where: str, fail: Fail) -> None:
    writes = [a for a in statement.actions if not is_read_action(a)]
    if not writes:
        return
    operator, key, values = PROJECT_TAG_CONDITION
    tagged = any(
        c.operator == operator and c.key == key and c.values == values for c in statement.conditions
    )
    # The deploy and preview roles become literal role ARNs of the stack's account
    # (`stack_values`).
    if tagged or all(r in STACK_ROLES or _is_scoped_arn(r) for r in statement.resources):
        return
    # PutMetricData has no resource ARN: it is scoped by its namespace alone.
    operator, key, values = METRICS_NAMESPACE_CONDITION
    if set(writes) == {"cloudwatch:PutMetricData"} and any(
        c.operator == operator and c.key == key and c.values == values for c in statement.conditions
    ):
        return
    raise fail(
        f"{where}.Resource",
        f"write action {writes[0]!r} must be scoped to ARN patterns of the platform "
        f"(e.g. 'baseline-*') or carry the condition {operator} {key} = {values[0]}",
    )


def _check_across(personas: list[Persona], source: str) -> None:
    seen_names: set[str] = set()
    priorities: dict[int, str] = {}
    identities: dict[tuple[str, str], str] = {}
    applier: str | None = None
    for p in personas:
        if p.name in seen_names:
            raise PersonaError(source, p.name, "name", "a second persona has this name")
        seen_names.add(p.name)
        if p.priority in priorities:
            raise PersonaError(
                source,
                p.name,
                "priority",
                f"{p.priority} is also the priority of '{priorities[p.priority]}'; "
                "priorities must be unique so that lock waits have one order",
            )
        priorities[p.priority] = p.name
        ident = (p.namespace, p.service_account)
        if ident in identities:
            raise PersonaError(
                source,
                p.name,
                "kubernetes",
                f"service account {ident[0]}/{ident[1]} is also used by '{identities[ident]}'",
            )
        identities[ident] = p.name
        if "up" in p.operations:
            if applier is not None:
                raise PersonaError(
                    source,
                    p.name,
                    "operations",
                    f"only one persona may 'up' and '{applier}' already does",
                )
            applier = p.name
