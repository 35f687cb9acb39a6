"""Pulumi stack exports: the deployment JSON that `pulumi stack export` writes (version 3).

Every tool reads this one format, whether it comes from the offline plan, from a live stack
through the Automation API, or from a file a user exported. Only the parts those tools need are
checked here: a `version` of 3 and `deployment.resources`, each with a `urn` and a `type`.

Every reader is linear in the resources: lookups by URN, by type and by component are built once
per export (an export of 100,000 resources is read in seconds, not hours).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from toolchain import InputError
from toolchain.inputs import EXPORT_MAX_BYTES, read_json

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
STACK_TYPE = "pulumi:pulumi:Stack"


class ExportError(InputError):
    """The file is not a readable stack export."""


def as_number(value: Any) -> float | None:
    """A number from a property (the engine sends every number as a float; exports and
    hand-written files may hold ints or numeric strings); None when absent or not a number."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            return float(value)
    except (ValueError, OverflowError):  # an int past a float's range (`parse_export` refuses it)
        return None
    return None


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE_SIG


@dataclass(frozen=True)
class Resource:
    """One resource of an export, with the fields every tool reads."""

    urn: str
    type: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str | None
    provider: str | None
    dependencies: tuple[str, ...]
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    @property
    def managed(self) -> bool:
        """A custom resource other than a provider: what resource rules are asked about and what
        a plan counts."""
        return self.custom and not self.is_provider

    @property
    def provider_urn(self) -> str | None:
        """The URN part of the provider reference (`<urn>::<id>`)."""
        return self.provider.rsplit("::", 1)[0] if self.provider else None


@dataclass(frozen=True)
class StackExport:
    data: dict[str, Any]
    source: str

    @cached_property
    def resources(self) -> list[Resource]:
        return [_resource(r) for r in self.data["deployment"].get("resources") or []]

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    @cached_property
    def index(self) -> dict[str, Resource]:
        """Resources by URN."""
        return {r.urn: r for r in self.resources}

    @cached_property
    def by_type(self) -> dict[str, list[Resource]]:
        """Resources by type token, in export order (read-only: `of_type` hands out copies)."""
        found: dict[str, list[Resource]] = {}
        for r in self.resources:
            found.setdefault(r.type, []).append(r)
        return found

    def of_type(self, type_token: str) -> list[Resource]:
        return list(self.by_type.get(type_token, ()))

    @property
    def stack_outputs(self) -> dict[str, Any]:
        stacks = self.by_type.get(STACK_TYPE)
        return stacks[0].outputs if stacks else {}

    @cached_property
    def _tops(self) -> dict[str, Resource]:
        """The top of each resource's chain of parents (below the Stack), filled as asked."""
        return {}

    def component_of(self, resource: Resource) -> str:
        """Name of the top-level component a resource belongs to (the child of the Stack
        resource on its chain of parents), or `(stack)` for a resource outside any component."""
        current = self._top(resource)
        return "(stack)" if current.custom or current.type == STACK_TYPE else current.name

    def _top(self, resource: Resource) -> Resource:
        # Each chain is walked once: every resource on it remembers its top, so a deep tree of
        # components costs linear time overall. A cycle of parents (a broken export) stops at
        # the first resource seen twice.
        tops, index = self._tops, self.index
        chain: list[Resource] = []
        seen: set[str] = set()
        current = resource
        while True:
            known = tops.get(current.urn)
            if known is not None:
                top = known
                break
            parent = index.get(current.parent) if current.parent is not None else None
            if parent is None or parent.type == STACK_TYPE or current.urn in seen:
                top = current
                break
            seen.add(current.urn)
            chain.append(current)
            current = parent
        for r in chain:
            tops[r.urn] = top
        tops[current.urn] = top
        return top


def _resource(raw: dict[str, Any]) -> Resource:
    return Resource(
        urn=raw["urn"],
        type=raw["type"],
        custom=bool(raw.get("custom")),
        inputs=raw.get("inputs") or {},
        outputs=raw.get("outputs") or {},
        parent=raw.get("parent"),
        provider=raw.get("provider"),
        dependencies=tuple(raw.get("dependencies") or ()),
        raw=raw,
    )


def parse_export(
    data: Any, source: str = "<export>", *, require_resources: bool = False
) -> StackExport:
    """Check the shape of a decoded export; the error names what is wrong and where.
    `require_resources` refuses an export without resources (every file a user hands in)."""
    if not isinstance(data, dict):
        raise ExportError(f"{source}: not a stack export (expected a JSON object)")
    if data.get("version") != 3:
        raise ExportError(
            f"{source}: not a version 3 stack export "
            f"(version is {data.get('version')!r}; use `pulumi stack export`)"
        )
    deployment = data.get("deployment")
    if not isinstance(deployment, dict):
        raise ExportError(f"{source}: has no 'deployment' object")
    resources = deployment.get("resources")
    if resources is None:  # `pulumi stack export` of a stack never deployed leaves it out
        resources = []
    if not isinstance(resources, list):
        raise ExportError(f"{source}: 'deployment.resources' is not a list")
    if require_resources and not resources:
        # Fail closed: an empty export has nothing to judge or price, and a gate that passes it
        # would pass anything.
        raise ExportError(f"{source}: 'deployment.resources' is empty; nothing to check")
    for i, r in enumerate(resources):
        if (
            not isinstance(r, dict)
            or not isinstance(r.get("urn"), str)
            or not isinstance(r.get("type"), str)
        ):
            raise ExportError(f"{source}: resource {i} has no 'urn' and 'type'")
        problem = _shape_problem(r)
        if problem is not None:
            raise ExportError(f"{source}: resource {i} ({r['type']}): {problem}")
    return StackExport(data=data, source=source)


def _shape_problem(raw: dict[str, Any]) -> str | None:
    """What in a resource's fields is not of the shape the engine writes, or None: `custom` a
    boolean, `inputs` and `outputs` objects, `parent` and `provider` strings, `dependencies` a
    list of strings, and every number in the properties finite and within a float's range.
    Every reader (the packs, the cost, the summaries) relies on these; a field of another
    type had made each of them fail in its own way, some with a traceback."""
    if "custom" in raw and not isinstance(raw["custom"], bool):
        return "'custom' is not true or false"
    for key in ("inputs", "outputs"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            return f"'{key}' is not an object"
    for key in ("parent", "provider"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            return f"'{key}' is not a string"
    dependencies = raw.get("dependencies")
    if dependencies is not None and (
        not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies)
    ):
        return "'dependencies' is not a list of strings"
    pending: list[Any] = [raw.get("inputs"), raw.get("outputs")]
    while pending:  # a walk of its own, not recursion: a live export's depth is unbounded
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, float) and not math.isfinite(value):
            return "a property holds a number that is not finite"
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _FLOAT_MAX:
            return "a property holds a number past a float's range"
    return None


_FLOAT_MAX = sys.float_info.max

# What a reader of properties raises on one of another shape than the provider writes (a list
# where an object belongs, a key missing, text where a number belongs): each reader refuses
# the resource with `misshapen`'s reason rather than read it as something it is not.
SHAPE_ERRORS = (TypeError, AttributeError, LookupError, ValueError)


def misshapen(resource: Resource, exc: BaseException) -> str:
    """The reason a reader refuses `resource` on one of `SHAPE_ERRORS` (the property itself is
    not echoed)."""
    return (
        f"{resource.name} ({resource.type}): a property is not of the shape the provider writes "
        f"({type(exc).__name__})"
    )


def load_export(path: str | Path) -> StackExport:
    """A user's export file: read by `toolchain.inputs.read_json` (a regular file of at most 64 MiB,
    UTF-8, bounded depth, no duplicate keys) and holding at least one resource."""
    data = read_json(path, "stack export", limit=EXPORT_MAX_BYTES, error=ExportError)
    return parse_export(data, str(path), require_resources=True)
