"""Reading Karpenter's custom resources (NodePool, EC2NodeClass) as both packs judge them.

A NodePool's `spec.template.spec.requirements` is a list of `{key, operator, values}` that
Karpenter ANDs together. What a rule needs from it is the set of values a well-known label may take
on the nodes it launches: `allowed(requirements, key, universe, default)` answers it as Karpenter
does. `In` narrows to its values (several `In`s intersect), `NotIn` removes its values, `Exists`
allows anything, `DoesNotExist` allows nothing; a label the pool does not mention takes Karpenter's
default (`kubernetes.io/arch` is amd64, `karpenter.sh/capacity-type` is on-demand) or, for labels
with no default, is unbounded (None). A requirement the rule cannot read (not a list of mappings,
`values` not a list of strings, `Gt`/`Lt` on a label that is not a number) raises `ValueProblem`,
so the rule fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from policies.values import ValueProblem

NODE_POOL = re.compile(r"^kubernetes:karpenter\.sh/v[0-9a-z]+:NodePool$")
NODE_CLASS = re.compile(r"^kubernetes:karpenter\.k8s\.aws/v[0-9a-z]+:EC2NodeClass$")

ARCH = "kubernetes.io/arch"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
INSTANCE_FAMILY = "karpenter.k8s.aws/instance-family"
INSTANCE_SIZE = "karpenter.k8s.aws/instance-size"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"

ARCHITECTURES = frozenset({"amd64", "arm64"})
CAPACITY_TYPES = frozenset({"spot", "on-demand", "reserved"})
# What Karpenter launches for a label a NodePool leaves out.
DEFAULTS = {ARCH: frozenset({"amd64"}), CAPACITY_TYPE: frozenset({"on-demand"})}

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
# Kubernetes resource quantities: a decimal with an optional SI or binary suffix.
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([a-zA-Z]*)$")
_SUFFIX = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
}


def is_node_pool(type_token: str) -> bool:
    return bool(NODE_POOL.match(type_token))


def is_node_class(type_token: str) -> bool:
    return bool(NODE_CLASS.match(type_token))


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """A mapping property; absent is empty; anything else cannot be judged."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueProblem(what, value, "a mapping")
    return value


def items(value: Any, what: str) -> list[Any]:
    """A list property; absent is empty; a lone value or text cannot be judged."""
    if value is None:
        return []
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise ValueProblem(what, value, "a list")
    return [value[i] for i in range(len(value))]


def requirements(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A NodePool's requirements, each checked to be a `{key, operator, values}` mapping."""
    spec = mapping(props.get("spec"), "spec")
    template = mapping(spec.get("template"), "spec.template")
    pod = mapping(template.get("spec"), "spec.template.spec")
    found = []
    for i, raw in enumerate(items(pod.get("requirements"), "spec.template.spec.requirements")):
        what = f"spec.template.spec.requirements[{i}]"
        req = mapping(raw, what)
        if not isinstance(req.get("key"), str) or not req.get("key"):
            raise ValueProblem(f"{what}.key", req.get("key"), "a label name")
        found.append(req)
    return found


def _values(req: Mapping[str, Any], what: str) -> frozenset[str]:
    values = items(req.get("values"), f"{what}.values")
    if not all(isinstance(v, str) for v in values):
        raise ValueProblem(f"{what}.values", values, "a list of strings")
    return frozenset(values)


def allowed(
    reqs: Sequence[Mapping[str, Any]],
    key: str,
    universe: frozenset[str] | None = None,
) -> frozenset[str] | None:
    """The values label `key` may take on the pool's nodes: a set, or None when unbounded (no
    `In` and no known universe to take `NotIn`s from). A label the requirements leave out takes
    Karpenter's default where it has one."""
    mine = [(i, r) for i, r in enumerate(reqs) if r.get("key") == key]
    if not mine:
        return DEFAULTS.get(key, universe)
    result = universe
    excluded: set[str] = set()
    for i, req in mine:
        what = f"requirement {key} (requirements[{i}])"
        operator = req.get("operator")
        if operator not in _OPERATORS:
            raise ValueProblem(f"{what} operator", operator, f"one of {', '.join(_OPERATORS)}")
        if operator == "In":
            values = _values(req, what)
            result = values if result is None else result & values
        elif operator == "NotIn":
            excluded |= _values(req, what)
        elif operator == "DoesNotExist":
            return frozenset()
    if result is None:
        return None if not excluded or universe is None else universe - excluded
    return frozenset(result - excluded)


def cpu_quantity(value: Any, what: str) -> Decimal | None:
    """A Kubernetes CPU quantity (`16`, `"16"`, `"16000m"`, `"0.5"`) in CPUs; None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueProblem(what, value, "a CPU quantity")
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueProblem(what, value, "a CPU quantity")
    m = _QUANTITY.match(text)
    if not m or m.group(2) not in _SUFFIX:
        raise ValueProblem(what, value, "a CPU quantity such as 16 or 16000m")
    try:
        return Decimal(m.group(1)) * _SUFFIX[m.group(2)]
    except InvalidOperation:
        raise ValueProblem(what, value, "a CPU quantity such as 16 or 16000m") from None


def quantity_text(value: Decimal) -> str:
    return format(value.normalize(), "f")
