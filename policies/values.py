"""Reading the values a rule judges, failing closed.

Numbers and booleans reach a policy in several spellings: the engine sends every number as a
float, some provider inputs are strings (`"true"`, `"30"`), hand-written or live exports may hold
ints, numeric strings, `"NaN"` or `"1e9"`. One reader decides for every rule:

- absent (None) is returned as None, and each rule says what absence means (usually the AWS
  default);
- a finite number, or a string that spells one, is a number; `"true"`/`"false"` (any case,
  surrounding blanks ignored) and booleans are booleans;
- anything else present (`"NaN"`, `"inf"`, `"yes"`, a list where a number belongs, a boolean where
  a number belongs) cannot be judged, and raises `ValueProblem`.

Every validator of both packs is wrapped in `fail_closed`, which turns a `ValueProblem` into a
violation of that rule: a value the rule cannot read fails the rule, it never passes it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar

from pulumi_policy import ReportViolation

Validator = TypeVar("Validator", bound=Callable[..., Any])

FAIL_CLOSED_MARK = "__fail_closed__"


class ValueProblem(ValueError):
    """A property is present but cannot be read as the kind of value the rule needs."""

    def __init__(self, what: str, value: Any, expected: str, urn: str | None = None) -> None:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{what} is {shown}, which is not {expected}")
        self.what = what
        self.urn = urn  # the resource a stack rule was reading, if it was not the one judged


def number(value: Any, what: str = "the value") -> float | None:
    """A finite number, or None when absent; `ValueProblem` for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueProblem(what, value, "a number")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise ValueProblem(what, value, "a number") from None
    else:
        raise ValueProblem(what, value, "a number")
    if not math.isfinite(result):
        raise ValueProblem(what, value, "a finite number")
    return result


def boolean(value: Any, what: str = "the value") -> bool | None:
    """A boolean (or the strings "true"/"false"), or None when absent; `ValueProblem` for
    anything else (including numbers: 0/1 are not how AWS spells a flag)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueProblem(what, value, "true or false")


def fail_closed(validator: Validator) -> Validator:
    """Wrap a validator (resource or stack) so that a value it cannot read is a violation of its
    rule, with the reason, instead of an exception or a silent pass."""

    @functools.wraps(validator)
    def wrapped(args: Any, report_violation: ReportViolation) -> Any:
        try:
            return validator(args, report_violation)
        except ValueProblem as problem:
            report_violation(
                f"Cannot judge this resource: {problem}. A value the rule cannot read fails the "
                "rule; set it to a valid value.",
                problem.urn,
            )
            return None

    setattr(wrapped, FAIL_CLOSED_MARK, True)
    return wrapped  # type: ignore[return-value]
