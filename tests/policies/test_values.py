"""One reader decides what a number or a flag is, for every rule, and every validator of both
packs fails closed on a value it cannot read."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

import policies.cost
import policies.security
from policies.values import FAIL_CLOSED_MARK, ValueProblem, boolean, fail_closed, number


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (3, 3.0), (2.5, 2.5), ("30", 30.0), (" 7 ", 7.0), ("1e9", 1e9), ("-1", -1.0)],
)
def test_numbers_in_every_spelling(value, expected):
    assert number(value) == expected


@pytest.mark.parametrize(
    "value", ["NaN", "nan", "inf", "-Infinity", "", "thirty", True, [3], {"n": 3}, float("nan")]
)
def test_values_that_are_not_finite_numbers_raise(value):
    with pytest.raises(ValueProblem):
        number(value, "retentionInDays")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (True, True), (False, False), ("true", True), (" FALSE ", False)],
)
def test_flags_in_every_spelling(value, expected):
    assert boolean(value) is expected


@pytest.mark.parametrize("value", ["yes", "1", 1, 0, "", [True], "truee"])
def test_values_that_are_not_flags_raise(value):
    with pytest.raises(ValueProblem):
        boolean(value, "publiclyAccessible")


def test_a_problem_names_the_property_and_the_value():
    with pytest.raises(ValueProblem, match="deletionWindowInDays is 'NaN', which is not a finite"):
        number("NaN", "deletionWindowInDays")


def test_fail_closed_turns_an_unreadable_value_into_a_violation():
    reported: list[tuple[str, str | None]] = []

    @fail_closed
    def validator(args, report_violation):
        number(args, "days")
        report_violation("never reached", None)

    validator("NaN", lambda message, urn=None: reported.append((message, urn)))
    assert len(reported) == 1
    assert "days is 'NaN'" in reported[0][0]


def _validators():
    for pack in (policies.security, policies.cost):
        for info in pkgutil.iter_modules(pack.__path__):
            if info.name == "__main__":
                continue
            module = importlib.import_module(f"{pack.__name__}.{info.name}")
            for policy in getattr(module, "POLICIES", []):
                kind = "Resource" if isinstance(policy, ResourceValidationPolicy) else "Stack"
                assert isinstance(policy, ResourceValidationPolicy | StackValidationPolicy)
                yield policy.name, getattr(policy, f"_{kind}ValidationPolicy__validate")


@pytest.mark.parametrize(
    ("name", "validate"), list(_validators()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_validator_fails_closed(name, validate):
    assert getattr(validate, FAIL_CLOSED_MARK, False), f"{name}: validator is not @fail_closed"
