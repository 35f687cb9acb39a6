"""`python -m agents cost`: tables, JSON, Markdown, and bad input answered in one line, exit 2."""

from __future__ import annotations

import json

import pytest

from agents.cli.main import main
from tests.toolchain.cost.conftest import edited, write_export


@pytest.fixture(scope="module")
def exports(tmp_path_factory, dev, dev_per_az):
    folder = tmp_path_factory.mktemp("exports")
    return {
        "dev": write_export(dev, folder / "dev.json"),
        "per-az": write_export(dev_per_az, folder / "per-az.json"),
    }


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_tables_per_resource_component_and_total(exports, capsys, dev_estimate):
    assert main(["cost", "--export", str(exports["dev"])]) == 0
    out = capsys.readouterr().out
    assert f"${dev_estimate.total:,.2f}" in out.splitlines()[0]
    assert "| cluster       | cluster-eks" in out
    assert "| component     |   priced resources |" in out
    # Only Karpenter's NodePool, whose nodes above the floor depend on load.
    assert "NOT PRICED (not counted in the total): 9 resources." in out


def test_json(exports, capsys, dev_estimate):
    assert main(["cost", "--export", str(exports["dev"]), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["monthlyTotal"] == round(dev_estimate.total, 2)
    assert {g["type"] for g in doc["notPriced"]} == {
        "kubernetes:karpenter.sh/v1:NodePool",
        "aws:cloudwatch/compositeAlarm:CompositeAlarm",  # the SLOs' (price not in the file)
        "kubernetes:storage.k8s.io/v1:StorageClass",  # volumes claimed at run time
        "kubernetes:helm.sh/v3:Release",  # the load balancer controller's load balancers
    }
    assert len(doc["resources"]) == len(dev_estimate.lines)


def test_markdown_diff_against_a_baseline(exports, capsys):
    rc = main(
        [
            "cost",
            "--export",
            str(exports["per-az"]),
            "--baseline",
            str(exports["dev"]),
            "--markdown",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert out.startswith("### Cost estimate for `dev`: +$")
    assert "| added | `network-nat-2` | `ec2/natGateway` |" in out


def test_json_and_markdown_exclude_each_other(exports, capsys):
    assert main(["cost", "--export", str(exports["dev"]), "--json", "--markdown"]) == 2
    one_line_error(capsys)


def test_export_is_required(capsys):
    assert main(["cost"]) == 2
    assert "--export" in one_line_error(capsys)


def test_unreadable_export(tmp_path, capsys):
    assert main(["cost", "--export", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in one_line_error(capsys)


def test_export_that_is_not_json(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{ nope")
    assert main(["cost", "--export", str(bad)]) == 2
    assert "not JSON" in one_line_error(capsys)


def test_unknown_region(tmp_path, capsys, dev):
    def move(resources):
        for r in resources:
            if r["type"] == "pulumi:providers:aws":
                r["inputs"]["region"] = "ap-east-9"

    path = write_export(edited(dev, move), tmp_path / "moved.json")
    assert main(["cost", "--export", str(path)]) == 2
    err = one_line_error(capsys)
    assert (
        "'ap-east-9' is not in the price file" in err and "refresh-prices --region ap-east-9" in err
    )


def test_malformed_usage_file(tmp_path, capsys, exports):
    usage = tmp_path / "usage.yaml"
    usage.write_text("resources: {network-nat-0: {gb_processed: -5}}\n")
    assert main(["cost", "--export", str(exports["dev"]), "--usage", str(usage)]) == 2
    assert "network-nat-0.gb_processed" in one_line_error(capsys)


def test_an_infinite_usage_value_is_refused_not_priced_as_inf(tmp_path, capsys, exports):
    usage = tmp_path / "usage.yaml"
    usage.write_text("stack:\n  nat_egress_gb: .inf\n")
    assert main(["cost", "--export", str(exports["dev"]), "--usage", str(usage), "--json"]) == 2
    assert "stack.nat_egress_gb" in one_line_error(capsys)


def test_a_cost_too_large_for_a_float_is_refused_naming_the_resource(tmp_path, capsys, exports):
    usage = tmp_path / "usage.yaml"  # finite nodes, but times the hours and the price: inf
    usage.write_text(f"resources:\n  cluster-system:\n    nodes: 1{'0' * 306}\n")
    assert main(["cost", "--export", str(exports["dev"]), "--usage", str(usage), "--json"]) == 2
    err = one_line_error(capsys)
    assert "cluster-system" in err and "too large" in err
    assert capsys.readouterr().out == ""


def test_unreadable_price_file(tmp_path, capsys, exports):
    assert (
        main(["cost", "--export", str(exports["dev"]), "--prices", str(tmp_path / "p.json")]) == 2
    )
    one_line_error(capsys)


def test_savings_needs_a_stack_file(capsys):
    assert main(["cost", "savings", "--stack", "nosuchstack"]) == 2
    assert "Pulumi.nosuchstack.yaml" in one_line_error(capsys)


def test_a_diff_is_a_plain_table_unless_markdown_is_asked_for(exports, capsys):
    argv = ["cost", "--export", str(exports["per-az"]), "--baseline", str(exports["dev"])]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Monthly cost change of stack 'dev': +$")
    assert any(
        line.startswith("| added ") and "| network-nat-2 " in line and "| ec2/natGateway " in line
        for line in out.splitlines()
    )
    assert "###" not in out and "`" not in out and "**" not in out
    assert main([*argv, "--markdown"]) == 0  # scripts that ask for Markdown still get it
    assert capsys.readouterr().out.startswith("### Cost estimate for `dev`: +$")
