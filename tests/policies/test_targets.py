"""`policies.common.Targets`: what a reference names, by look-up, answers exactly as
`refers_to` over every target does (the stack rules use it so that a large stack stays linear)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from policies.common import Targets, refers_to


@dataclass
class _Dep:
    urn: str


@dataclass
class _Fake:
    """What `refers_to` reads of a `PolicyResource`."""

    urn: str
    props: dict[str, Any]
    property_dependencies: dict[str, list[_Dep]] = field(default_factory=dict)


def _resource(urn: str, props: dict[str, Any], deps: dict[str, list[_Dep]] | None = None) -> Any:
    return _Fake(urn, props, deps or {})


def test_named_by_is_refers_to_over_every_target():
    rng = random.Random(3)
    ids = ["b-1", "b-2", "b-3", "", None]
    targets = [
        _resource(f"urn:t{i}", {"id": rng.choice(ids), "bucket": rng.choice(ids)})
        for i in range(40)
    ]
    targets.append(_resource("urn:odd", {"id": ["not", "hashable"], "bucket": "b-2"}))
    index = Targets(targets, ("id", "bucket"))
    for n in range(300):
        value = rng.choice([*ids, "b-9"])
        deps = [_Dep(f"urn:t{rng.randrange(45)}") for _ in range(rng.randrange(3))]
        resource = _resource(f"urn:r{n}", {"bucket": value}, {"bucket": deps})
        try:
            expected = [t for t in targets if refers_to(resource, "bucket", t, ("id", "bucket"))]
        except TypeError:  # an id that is a list: the rule fails closed, and does here too
            with pytest.raises(TypeError):
                index.named_by(resource, "bucket")
            continue
        assert index.named_by(resource, "bucket") == expected, (value, deps)


def test_having_finds_the_targets_of_an_id():
    targets = [_resource("urn:a", {"id": "x"}), _resource("urn:b", {"id": "y", "bucket": "x"})]
    index = Targets(targets, ("id", "bucket"))
    assert [t.urn for t in index.having("x")] == ["urn:a", "urn:b"]
    assert index.having("z") == []
