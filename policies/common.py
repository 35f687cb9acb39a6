"""What the rules of both packs share: rule metadata, reading properties as the engine hands them
to a policy (camelCase inputs; `Analyze` sees a resource's inputs, `AnalyzeStack` its outputs), and
the cost-allocation tags a resource ends up with once its provider's default tags are merged in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any, cast

from pulumi_policy import (
    PolicyComplianceFramework,
    PolicyResource,
    ResourceRemediation,
    ResourceValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

from policies.values import boolean, fail_closed, number

# The strict readers of policies.values, under the names the rules use (re-exported).
as_number = number
__all__ = ["as_bool", "as_number", "fail_closed"]

PROJECT_TAG_KEYS = ("project", "stack", "owner", "cost-center")


def rule_tags(
    rule_id: str, *, cis: str | None = None, fsbp: str | None = None, checkov: str | None = None
) -> list[str]:
    """Policy tags: the rule's stable id first, then the benchmark controls it implements
    (`cis-aws-v3:2.3.1`, `aws-fsbp:RDS.3`, `checkov:CKV_AWS_16`)."""
    tags = [f"id:{rule_id}"]
    if cis:
        tags.append(f"cis-aws-v3:{cis}")
    if fsbp:
        tags.append(f"aws-fsbp:{fsbp}")
    if checkov:
        tags.append(f"checkov:{checkov}")
    return tags


def framework(
    *, cis: str | None = None, fsbp: str | None = None
) -> PolicyComplianceFramework | None:
    """The compliance framework a rule belongs to (CIS first, then AWS FSBP)."""
    if cis:
        return PolicyComplianceFramework(name="cis-aws-foundations", version="3.0.0", reference=cis)
    if fsbp:
        return PolicyComplianceFramework(
            name="aws-foundational-security-best-practices", version="1.0.0", reference=fsbp
        )
    return None


def string_list(description: str, default: Iterable[str] = ()) -> dict[str, Any]:
    """A policy config property that is a list of strings (names, globs, ARNs, ids): its JSON
    schema, with `default` when the config does not set it."""
    return {
        "type": "array",
        "items": {"type": "string"},
        "default": list(default),
        "description": description,
    }


def config(args: Any, key: str, default: Any) -> Any:
    """A policy config property (from `--policy-pack-config`), or its default."""
    cfg = getattr(args, "get_config", None)
    values: Mapping[str, Any] = (cfg() if callable(cfg) else None) or {}
    return values.get(key, default)


def provider_default_tags(args: ResourceValidationArgs) -> dict[str, str]:
    """The default tags of the resource's provider. The aws provider's `defaultTags` input is
    JSON-encoded in its state (`{"tags": {...}}`)."""
    provider = args.provider
    if provider is None:
        return {}
    raw = provider.props.get("defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):  # not JSON, or nested past its depth
            return {}
    if isinstance(raw, Mapping):
        tags = raw.get("tags") or {}
        return {str(k): str(v) for k, v in tags.items()}
    return {}


def effective_tags(args: ResourceValidationArgs) -> dict[str, str]:
    """The tags AWS will store: the resource's own over its provider's default tags."""
    own = args.props.get("tags") or {}
    return {**provider_default_tags(args), **{str(k): str(v) for k, v in own.items()}}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


# Helpers of the security pack (reading booleans and numbers as the engine sends them, and
# matching one resource to another in a stack rule).


def as_bool(value: Any) -> bool | None:
    """A boolean input given as a bool or as the strings "true"/"false" (some provider inputs,
    such as a launch template's `ebs.encrypted`, are strings); None when absent. Anything else
    raises `ValueProblem`, which `fail_closed` turns into a violation."""
    return boolean(value)


def known(props: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A property, or `default` when it is absent or not known yet (during a preview, computed
    values such as a new bucket's name are unknown and reading them raises)."""
    try:
        return props.get(key, default)
    except UnknownValueError:
        return default


def known_items(value: Any) -> list[Any]:
    """The items of a list property whose values are known: during a preview, an item computed
    from a resource still being created (a new VPC's CIDR) is unknown, and reading it raises.
    The known items are judged now; the engine runs resource rules again during the update,
    when every item is known. A lone value is a list of one."""
    if value is None:
        return []
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        return [value]
    items = []
    for i in range(len(value)):
        try:
            items.append(value[i])
        except UnknownValueError:
            continue
    return items


def present(props: Mapping[str, Any], key: str) -> bool:
    """Whether a property is set to a non-empty value. A value not known yet counts as set: in a
    preview, an ARN that comes from a resource still being created (a new KMS key) is unknown."""
    try:
        return bool(props.get(key))
    except UnknownValueError:
        return True


def refers_to(
    resource: PolicyResource, key: str, target: PolicyResource, ids: Sequence[str] = ("id",)
) -> bool:
    """Whether `resource`'s property `key` names `target`: its value equals one of the target's
    identifying outputs `ids`, or (when the value is not known yet) the engine recorded `target`
    as the property's dependency."""
    value = known(resource.props, key)
    if value is not None:
        return value in {known(target.props, i) for i in ids} - {None, ""}
    return any(dep.urn == target.urn for dep in resource.property_dependencies.get(key, []))


class Targets:
    """The resources a reference may name, indexed once by their identifying outputs `ids` and
    their URNs, so that a stack rule finds what a property names by a look-up instead of a scan
    of the stack (a scan per resource makes a stack of 100,000 resources take hours):
    `named_by(resource, key)` is `[t for t in targets if refers_to(resource, key, t, ids)]`."""

    def __init__(self, targets: Iterable[PolicyResource], ids: Sequence[str] = ("id",)) -> None:
        self.targets = list(targets)
        self._ids = ids
        self._by_id: dict[Any, list[int]] = {}
        self._by_urn: dict[str, list[int]] = {}
        self._unhashable: list[int] = []  # ids a look-up cannot hold: compared one by one
        for n, target in enumerate(self.targets):
            self._by_urn.setdefault(target.urn, []).append(n)
            try:
                values = {known(target.props, i) for i in ids} - {None, ""}
            except TypeError:
                self._unhashable.append(n)
                continue
            for value in values:
                self._by_id.setdefault(value, []).append(n)

    def named_by(self, resource: PolicyResource, key: str) -> list[PolicyResource]:
        """The targets `resource`'s property `key` names, in the targets' order."""
        return [self.targets[n] for n in self.positions(resource, key)]

    def having(self, value: Any) -> list[PolicyResource]:
        """The targets one of whose `ids` is `value` (a value that is set)."""
        found = list(self._by_id.get(value, ()))
        if self._unhashable:
            found = sorted(
                {*found}
                | {
                    n
                    for n in self._unhashable
                    if value in [known(self.targets[n].props, i) for i in self._ids]
                }
            )
        return [self.targets[n] for n in found]

    def positions(self, resource: PolicyResource, key: str) -> list[int]:
        """Where in `targets` the targets `resource`'s property `key` names are, in order."""
        if not self.targets:
            return []
        value = known(resource.props, key)
        found: list[int]
        if value is not None:
            found = list(self._by_id.get(value, ()))  # an unhashable value raises, as refers_to
        else:
            found = sorted(
                {
                    n
                    for dep in resource.property_dependencies.get(key, [])
                    for n in self._by_urn.get(dep.urn, ())
                }
            )
        if self._unhashable:
            found = sorted(
                {*found}
                | {
                    n
                    for n in self._unhashable
                    if refers_to(resource, key, self.targets[n], self._ids)
                }
            )
        return found


# Helpers of the cost pack (numbers in messages, glob allow-lists from policy config).


def number_text(value: float) -> str:
    """A number as a user wrote it: `5`, not the `5.0` the engine turns every number into."""
    return str(int(value)) if float(value).is_integer() else str(value)


def matches_any(value: str, patterns: Iterable[str]) -> bool:
    """Whether `value` matches one of the shell-style patterns (`m7g.*`, `*-system`)."""
    return any(fnmatchcase(value, str(p)) for p in patterns)


def remediation(
    fn: Callable[[ResourceValidationArgs], Mapping[str, Any] | None],
) -> ResourceRemediation:
    """A remediation that returns the fixed properties (or None) directly. The SDK's servicer takes
    either that or an awaitable; its `ResourceRemediation` annotation names only the awaitable."""
    return cast(ResourceRemediation, fn)
