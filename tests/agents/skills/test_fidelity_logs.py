"""`check_log_report`: a faithful report passes; each way of losing lines or facts is named."""

from __future__ import annotations

import dataclasses

import pytest

from agents import AgentsError
from agents.skills.fidelity import FidelityError, check_log_report, require
from agents.skills.logs import LogReport, analyze_logs

LINES = [
    "2026-01-01 00:00:01 INFO app: user 17 logged in from 10.0.0.1",
    "2026-01-01 00:00:02 INFO app: user 18 logged in from 10.0.0.2",
    "2026-01-01 00:00:03 ERROR app: disk full on /dev/sda1",
]


class Sink:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def write(self, text: str) -> int:
        self.ids += [int(x) for x in text.split()]
        return len(text)


def report_and_ids() -> tuple[LogReport, list[int]]:
    sink = Sink()
    return analyze_logs(LINES, assignments=sink), sink.ids


def test_a_faithful_report_has_no_problems() -> None:
    report, ids = report_and_ids()
    assert check_log_report(report, 3, ids) == []
    assert check_log_report(report, 3) == []


def test_lost_lines_are_named() -> None:
    report, ids = report_and_ids()
    assert check_log_report(report, 4, ids) == [
        "the report read 3 lines, the input has 4",
        "the clusters hold 3 lines, the input has 4",
        "3 assignments for 4 lines",
    ]


def test_a_cluster_without_template_or_example_is_named() -> None:
    report, _ = report_and_ids()
    first = report.clusters[0]
    broken = dataclasses.replace(
        report,
        clusters=(dataclasses.replace(first, template=" ", example=""), *report.clusters[1:]),
    )
    assert check_log_report(broken, 3) == [
        f"cluster {first.id} has no template",
        f"cluster {first.id} has no example line",
    ]


def test_counts_that_disagree_with_assignments_are_named() -> None:
    report, ids = report_and_ids()
    assert check_log_report(report, 3, [1, 1, 1]) == [
        "cluster 1 counts 2 lines, 3 are assigned",
        "cluster 2 counts 1 lines, 0 are assigned",
    ]
    assert check_log_report(report, 3, [1, 1, 9]) == [
        "assignments name clusters that do not exist: [9]",
        "cluster 2 counts 1 lines, 0 are assigned",
    ]
    assert ids == [1, 1, 2]


def test_duplicate_ids_and_lines_outside_the_input_are_named() -> None:
    report, _ = report_and_ids()
    a, b = report.clusters
    broken = dataclasses.replace(report, clusters=(a, dataclasses.replace(b, id=a.id, last_line=7)))
    assert check_log_report(broken, 3) == [
        f"cluster id {a.id} is used 2 times",
        f"cluster {a.id} spans lines 3..7, outside 1..3",
    ]


def test_require_raises_the_first_problem_and_the_count() -> None:
    require([])  # nothing to report
    with pytest.raises(FidelityError, match=r"^the log report lost facts: a \(and 2 more\)$") as e:
        require(["a", "b", "c"], "the log report")
    assert isinstance(e.value, AgentsError)
    with pytest.raises(FidelityError, match=r"^the report lost facts: only one$"):
        require(["only one"])


def test_values_a_collapsed_run_or_a_structured_line_carries_are_faithful() -> None:
    # a template's `<*>` may stand for a run of several values, and a logfmt line's fields carry
    # values beside its message's: the report of such lines is faithful
    lines = ["S3-API: http://10.0.2.11:9000  http://127.0.0.1:9000 /data/a /data/b"]
    lines += ['ts=1 level=info msg="served" src=10.0.0.1 dst=10.0.0.2 via=10.0.0.3 file=/a/b']
    report = analyze_logs(lines)
    assert check_log_report(report, 2) == []
    # ... while values counted past any line's tokens are a fault, named
    first = report.clusters[0]
    variable = first.variables[0]
    top = (dataclasses.replace(variable.top[0], count=10_000), *variable.top[1:])
    broken = dataclasses.replace(
        report,
        clusters=(
            dataclasses.replace(first, variables=(dataclasses.replace(variable, top=top),)),
            *report.clusters[1:],
        ),
    )
    assert check_log_report(broken, 2) == [
        f"cluster {first.id} counts more {variable.kind} values than it has tokens"
    ]
