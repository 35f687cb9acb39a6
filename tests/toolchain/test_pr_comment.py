"""The pull-request comment: headline totals first, the verdict, a cost table of what changed,
violations as a table, unchanged stacks in one line, and never over GitHub's limit. Built from
the session's dev plan (planned once per test process) and edited copies of it."""

from __future__ import annotations

import copy
import json
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from toolchain import InputError
from toolchain.export import StackExport, parse_export
from toolchain.pr_comment import (
    GITHUB_LIMIT,
    MAX_CHARS,
    TITLE,
    main,
    render,
    resource_changes,
    stack_report,
)

RUN = "https://github.com/acme/infra/actions/runs/42"
NAT = "aws:ec2/natGateway:NatGateway"


def without(export: StackExport, type_token: str) -> StackExport:
    """The export without its first resource of `type_token`: the base of a one-resource PR."""
    data = copy.deepcopy(export.data)
    resources = data["deployment"]["resources"]
    first = next(i for i, r in enumerate(resources) if r["type"] == type_token)
    del resources[first]
    return parse_export(data, "base")


def violation(level: str, message: str = "bad", name: str = "rule") -> dict[str, Any]:
    return {
        "policyPack": "baseline-security",
        "policyName": name,
        "enforcementLevel": level,
        "severity": "high",
        "urn": "urn:pulumi:dev::baseline::baseline:database:Database$aws:rds/instance:Instance::db",
        "message": f"Description.\n{message}",
    }


@pytest.fixture(scope="module")
def one_nat_added(dev: StackExport):
    return stack_report("dev", dev, without(dev, NAT), violations=[violation("advisory")])


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_a_one_resource_change_is_short_and_starts_with_the_totals(one_nat_added):
    text = render([one_nat_added], run_url=RUN)
    assert len(text.encode()) < 10_240
    first = lines(text)[:3]
    assert first[0] == TITLE and first[1] == ""
    assert re.match(
        r"- \*\*`dev`\*\*: monthly cost \+\$[\d.,]+ \(\+[\d.]+%\) to \$[\d.,]+, "
        r"0 mandatory violations \(1 advisory\), 1 resource changed \(1 added\)$",
        first[2],
    ), first[2]
    assert "**Verdict: ✅ passes**" in text
    row = next(line for line in lines(text) if line.startswith("| added |"))
    assert "`ec2/natGateway`" in row and "| — |" in row
    assert "<details><summary>Resources that change: 1 added</summary>" in text


def test_an_unchanged_stack_is_one_line(dev, one_nat_added):
    same = stack_report("prod", dev, dev, violations=[violation("advisory")])
    assert same.changes is not None and same.changes.count == 0
    text = render([one_nat_added, same], run_url=RUN)
    mentions = [line for line in lines(text) if "`prod`" in line]
    assert mentions == [
        f"- **`prod`**: no change (monthly cost ${same.cost.total:,.2f}), "
        "0 mandatory violations (1 advisory)"
    ]
    alone = render([same])
    assert len(alone) < 600 and "###" not in alone and "<details>" not in alone


def test_violations_are_a_table_and_mandatory_ones_block(dev):
    hostile = "see <b>this</b> | @octocat </details> `x`"
    report = stack_report(
        "dev",
        dev,
        dev,
        violations=[violation("advisory", name="a"), violation("mandatory", hostile, "m")],
    )
    text = render([report], run_url=RUN)
    assert "0 mandatory" not in text and "1 mandatory violation (1 advisory)" in text
    assert "**Verdict: ❌ blocked**: 1 mandatory violation (`dev`)" in text
    table = [line for line in lines(text) if line.startswith("| ")]
    assert table[0] == "| level | policy | resource | message |"
    assert table[1].startswith("| mandatory | `m` | `rds/instance db` |")  # mandatory first
    assert "&lt;b&gt;" in table[1] and "\\|" in table[1] and "&#64;octocat" in table[1]
    assert "</details>" not in text and "@octocat" not in text
    # an unchanged stack shows its section only for its mandatory violations
    assert "### `dev`" in text and "| change |" not in text


def test_no_base_and_no_gate_are_said(dev):
    report = stack_report("qa", dev)
    text = render([report])
    assert "no base plan to compare with" in text and "policy gate not run" in text
    assert "**Verdict: ⚠️ not gated**" in text


def test_a_huge_report_loses_its_details_first_with_a_link(dev, one_nat_added):
    summary = "\n".join(f"~ ec2.Route r-{i} ```" for i in range(20_000))
    big = stack_report("dev", dev, without(dev, NAT), summary=summary)
    text = render([big], run_url=RUN)
    assert len(text) <= MAX_CHARS < GITHUB_LIMIT
    assert "Details left out" in text and RUN in text
    assert "| added |" in text  # the essentials stay
    assert text.count("<details>") == text.count("</details>")
    assert len(re.findall(r"^`{3,}", text, re.M)) % 2 == 0


def test_a_report_too_big_even_without_details_is_cut_at_a_line(dev):
    many = [
        stack_report(f"s{i}", dev, violations=[violation("mandatory", "x" * 150)] * 20)
        for i in range(60)
    ]
    text = render(many, run_url=RUN)
    assert len(text) <= MAX_CHARS
    assert "**Truncated**" in text and RUN in text
    assert text.startswith(TITLE) and text.endswith(f"[the workflow run]({RUN}).</sub>\n")


def test_resource_changes_compare_inputs(dev):
    data = copy.deepcopy(dev.data)
    nat = next(r for r in data["deployment"]["resources"] if r["type"] == NAT)
    nat["inputs"]["tags"] = {**nat["inputs"].get("tags", {}), "extra": "1"}
    changed = resource_changes(dev, parse_export(data, "head"))
    assert changed.changed == (nat["urn"],) and not changed.added and not changed.removed
    assert changed.describe() == "1 changed"


def test_the_command_reads_the_gate_folder(tmp_path: Path, dev, capsys):
    (tmp_path / "dev.head.json").write_text(json.dumps(dev.data))
    (tmp_path / "dev.base.json").write_text(json.dumps(without(dev, NAT).data))
    (tmp_path / "dev.gate.json").write_text(json.dumps({"violations": [violation("advisory")]}))
    (tmp_path / "dev.changes.txt").write_text("## changes in network\n+ ec2.NatGateway nat\n")
    out = tmp_path / "comment.md"
    assert (
        main(["--dir", str(tmp_path), "--stack", "dev", "--run-url", RUN, "--out", str(out)]) == 0
    )
    text = out.read_text()
    assert lines(text)[2].startswith("- **`dev`**: monthly cost +$")
    assert "<details><summary>Change summary</summary>" in text
    assert main(["--dir", str(tmp_path), "--stack", "nope"]) == 2
    assert "no plan of stack 'nope'" in capsys.readouterr().err


def gate_folder(folder: Path, dev: StackExport, gate: Any = None) -> Path:
    """The folder the gate writes for stack dev: its plan, a base, the gate's result."""
    folder.mkdir(exist_ok=True)
    (folder / "dev.head.json").write_text(json.dumps(dev.data))
    (folder / "dev.base.json").write_text(json.dumps(without(dev, NAT).data))
    gate = {"violations": [violation("advisory")]} if gate is None else gate
    (folder / "dev.gate.json").write_text(gate if isinstance(gate, str) else json.dumps(gate))
    (folder / "dev.changes.txt").write_text("## changes in network\n+ ec2.NatGateway nat\n")
    return folder


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured.err
    return captured.err


def test_a_write_cut_short_leaves_the_old_comment_whole(tmp_path: Path, dev):
    folder = gate_folder(tmp_path / "gate", dev)
    out = tmp_path / "comment.md"
    out.write_text("the old comment\n")

    def small_files() -> None:  # like `ulimit -f`: no file may grow past 256 bytes
        resource.setrlimit(resource.RLIMIT_FSIZE, (256, 256))

    args = ["--dir", str(folder), "--stack", "dev", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "toolchain.pr_comment", *args],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        check=False,
        cwd=Path(__file__).resolve().parents[2],  # this checkout's toolchain
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "nothing written" in done.stderr
    assert out.read_text() == "the old comment\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comment.md", "gate"]


@pytest.mark.parametrize(
    "name", ["dev.head.json", "dev.base.json", "dev.gate.json", "dev.changes.txt", "link.md"]
)
def test_an_out_that_is_one_of_its_inputs_is_refused(tmp_path: Path, dev, capsys, name):
    folder = gate_folder(tmp_path, dev)
    (folder / "link.md").symlink_to(folder / "dev.head.json")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert main(["--dir", str(folder), "--stack", "dev", "--out", str(folder / name)]) == 2
    assert "refused as the comment: it is the command's input" in one_error_line(capsys)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize("named", [True, False])
def test_an_out_in_the_agents_state_folder_is_refused(
    tmp_path: Path, dev, capsys, monkeypatch, named
):
    # the folder AGENTS_STATE_DIR names, or the default one under XDG_STATE_HOME: the audit log,
    # the approval key and the records live there, and a comment written over one is lost state
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    state = tmp_path / "state" if named else tmp_path / "xdg" / "baseline-agents"
    if named:
        monkeypatch.setenv("AGENTS_STATE_DIR", str(state))
    else:
        monkeypatch.delenv("AGENTS_STATE_DIR", raising=False)
    state.mkdir(parents=True)
    (state / "audit.jsonl").write_text('{"seq": 1}\n')
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "log.md").symlink_to(state / "audit.jsonl")
    folder = gate_folder(tmp_path / "gate", dev)
    for out in (state / "audit.jsonl", state / "new.md", tmp_path / "elsewhere" / "log.md"):
        assert main(["--dir", str(folder), "--stack", "dev", "--out", str(out)]) == 2
        assert "is the agents' state, which no output may replace" in one_error_line(capsys)
    assert sorted(p.name for p in state.iterdir()) == ["audit.jsonl"]
    assert (state / "audit.jsonl").read_text() == '{"seq": 1}\n'
    # and a path beside it is written
    assert main(["--dir", str(folder), "--stack", "dev", "--out", str(tmp_path / "c.md")]) == 0
    assert "- **`dev`**: monthly cost" in (tmp_path / "c.md").read_text()


def test_a_gate_result_nested_too_deep_is_one_line(tmp_path: Path, dev, capsys):
    folder = gate_folder(tmp_path, dev, "[" * 100_000)
    assert main(["--dir", str(folder), "--stack", "dev"]) == 2
    err = one_error_line(capsys)
    assert "dev.gate.json" in err and "nests deeper than" in err


@pytest.mark.parametrize(
    ("violations", "message"),
    [
        (["mandatory"], r"violations\[0\] is not a violation object"),
        ([violation("advisory"), None], r"violations\[1\] is not a violation object"),
        ([violation("MANDATORY")], r"unknown enforcement level 'MANDATORY'"),
        ([{**violation("advisory"), "enforcementLevel": 5}], "unknown enforcement level 5"),
        ([{"policyName": "rule", "message": "bad"}], "unknown enforcement level None"),
        ({"0": violation("mandatory")}, "'violations' is not a list"),
    ],
)
def test_a_violation_it_cannot_read_refuses_the_comment_never_passes_it(
    tmp_path: Path, dev, capsys, violations, message
):
    # Each could be a mandatory violation: counted as advisory (or dropped), the comment said
    # "Verdict: ✅ passes".
    folder = gate_folder(tmp_path / "gate", dev, {"violations": violations})
    out = tmp_path / "comment.md"
    assert main(["--dir", str(folder), "--stack", "dev", "--out", str(out)]) == 2
    err = one_error_line(capsys)
    assert str(folder / "dev.gate.json") in err and re.search(message, err), err
    assert not out.exists()
    with pytest.raises(InputError, match=message):
        stack_report("dev", dev, violations=violations)


def test_a_gate_run_without_policies_is_not_gated(tmp_path: Path, dev, capsys):
    folder = gate_folder(tmp_path, dev, {"stack": "dev", "resources": 1})  # plan --no-policy
    assert main(["--dir", str(folder), "--stack", "dev"]) == 0
    assert "**Verdict: ⚠️ not gated**" in capsys.readouterr().out


def test_a_stack_name_that_is_a_path_is_refused(tmp_path: Path, dev, capsys):
    gate_folder(tmp_path / "other", dev)  # other/dev.head.json: outside --dir
    (tmp_path / "gate").mkdir()
    with pytest.raises(SystemExit) as exit_:
        main(["--dir", str(tmp_path / "gate"), "--stack", "../other/dev"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "invalid stack name '../other/dev'" in captured.err


def test_a_change_summary_that_is_not_utf8_is_one_line(tmp_path: Path, dev, capsys):
    """The summary was read with its wrong bytes replaced, unlike every other input."""
    folder = gate_folder(tmp_path, dev)
    (folder / "dev.changes.txt").write_bytes(b"~ aws:rds \xff\xfe changed\n")
    assert main(["--dir", str(folder), "--stack", "dev"]) == 2
    err = one_error_line(capsys)
    assert "dev.changes.txt" in err and "UTF-8" in err
