"""Tables that fit the terminal (issue 21): `rules`, `policy` and `audit` wrap their long cells
to the width (`COLUMNS`, else 120), losing no text; `--json` keeps every value whole."""

from __future__ import annotations

import json
import re

import pytest

from agents.cli import outputs
from agents.cli.main import main, print_verdicts
from agents.cli.outputs import column_widths, fit_table
from toolchain import gate
from toolchain.gate import GateResult, PolicyMeta, Violation

LONG = " ".join(f"word{i}" for i in range(80))  # 560 characters


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def words(text: str) -> str:
    """The cell text of a table, whatever its wrapping."""
    return " ".join(re.sub(r"[|-]", " ", text).split())


@pytest.mark.parametrize("columns", [60, 80, 120, 200])
def test_a_table_fits_the_width_and_keeps_every_word(columns):
    rows = [["SEC-IAM-001", "a-long-policy-name-with-hyphens", LONG, "mandatory"]]
    table = fit_table(rows, ["id", "policy", "checks", "dev"], columns=columns, keep=[0, 3])
    assert widest(table) <= columns, table
    for word in LONG.split():
        assert word in words(table)
    # The kept columns keep their width while the others can wrap.
    assert "SEC-IAM-001" in table and "mandatory" in table


def test_a_table_that_fits_is_left_alone():
    assert column_widths([["a", "b"]], ["x", "y"], 80) == [None, None]


def test_the_longest_column_gives_up_most_and_stays_widest():
    widths = column_widths([["x" * 30, "y" * 300]], ["a", "b"], 100)
    assert widths[1] is not None and widths[0] is not None and widths[1] > widths[0]


def test_the_width_comes_from_columns_or_the_fallback(monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    assert outputs.terminal_columns() == 90
    monkeypatch.setenv("COLUMNS", "5")
    assert outputs.terminal_columns() == outputs.MIN_COLUMNS


class _NoPacks:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def test_rules_fit_the_terminal_and_json_keeps_the_full_text(monkeypatch, capsys):
    rows = [
        {
            "id": f"SEC-X-{i:03}",
            "pack": "baseline-security",
            "policy": f"policy-number-{i}-with-a-long-name",
            "checks": LONG,
            "controls": "cis-aws-v3:1.2, aws-fsbp:IAM.1, checkov:CKV_AWS_1",
            "severity": "high",
            "dev": "advisory",
            "prod": "mandatory",
        }
        for i in range(3)
    ]
    monkeypatch.setattr(gate, "Gate", _NoPacks)
    monkeypatch.setattr(gate, "rule_table", lambda _gate: rows)
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert widest(out) <= 100, out
    assert "SEC-X-002" in out and LONG.split()[-1] in out
    assert main(["rules", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == rows  # every field, whole


def test_policy_verdicts_fit_the_terminal(monkeypatch, capsys):
    meta = PolicyMeta("p", "d", "mandatory", "high", ("id:SEC-X-001",), "", "")
    urn = "urn:pulumi:dev::baseline::" + "a$" * 30 + "aws:s3/bucket:Bucket::" + "b" * 120
    result = GateResult(
        violations=[Violation("baseline-security", "p", "mandatory", "high", urn, "desc\n" + LONG)],
        packs={"baseline-security": {"p": meta}},
        resources=1,
    )
    monkeypatch.setenv("COLUMNS", "80")
    print_verdicts(result, title="Policy gate")
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert table and max(map(len, table)) <= 80, out
    assert LONG.split()[-1] in out and "bbbbbb" in out
