"""Reading NodePool requirements and CPU quantities as Karpenter does (pure, no analyzer)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policies.karpenter import ARCH, ARCHITECTURES, CAPACITY_TYPE, allowed, cpu_quantity
from policies.values import ValueProblem


def req(key: str, operator: str, *values: str) -> dict:
    return {"key": key, "operator": operator, "values": list(values)}


def test_in_requirements_intersect_and_not_in_removes():
    reqs = [req("f", "In", "a", "b", "c"), req("f", "In", "b", "c", "d"), req("f", "NotIn", "c")]
    assert allowed(reqs, "f") == {"b"}


def test_a_label_left_out_takes_karpenters_default_or_is_unbounded():
    assert allowed([], ARCH, ARCHITECTURES) == {"amd64"}
    assert allowed([], CAPACITY_TYPE) == {"on-demand"}
    assert allowed([], "karpenter.k8s.aws/instance-family") is None


def test_not_in_alone_is_bounded_only_by_a_known_universe():
    assert allowed([req(ARCH, "NotIn", "amd64")], ARCH, ARCHITECTURES) == {"arm64"}
    assert allowed([req("f", "NotIn", "t4g")], "f") is None


def test_exists_and_does_not_exist():
    assert allowed([{"key": ARCH, "operator": "Exists"}], ARCH, ARCHITECTURES) == ARCHITECTURES
    assert allowed([{"key": "f", "operator": "DoesNotExist"}], "f") == frozenset()


@pytest.mark.parametrize(
    "bad",
    [
        {"key": "f", "operator": "Gt", "values": ["1"]},
        {"key": "f", "operator": "In", "values": "a"},
        {"key": "f", "operator": "In", "values": [1]},
    ],
)
def test_an_unreadable_requirement_raises(bad):
    with pytest.raises(ValueProblem):
        allowed([bad], "f")


@pytest.mark.parametrize(
    ("value", "cpus"),
    [(16, "16"), ("16", "16"), ("16000m", "16"), ("0.5", "0.5"), (8.0, "8"), ("2k", "2000")],
)
def test_cpu_quantities(value, cpus):
    assert cpu_quantity(value, "cpu") == Decimal(cpus)


@pytest.mark.parametrize("value", ["lots", "NaN", "inf", "-1", True, [16], "16 m"])
def test_unreadable_cpu_quantities_raise(value):
    with pytest.raises(ValueProblem):
        cpu_quantity(value, "cpu")
