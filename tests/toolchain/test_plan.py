"""The offline plan: a faithful, deterministic stack export; a command line that fails cleanly."""

import contextlib
import json
import re
import threading

import pulumi
import pytest

import toolchain.plan as plan_module
from agents.cli.main import main
from toolchain.aws_types import taggable
from toolchain.export import StackExport, load_export
from toolchain.plan import PlanError, engine_config, run_plan, run_program


def test_export_is_a_version_3_deployment(dev):
    assert dev.data["version"] == 3
    assert dev.data["deployment"]["resources"][0]["type"] == "pulumi:pulumi:Stack"


def test_no_two_resources_share_a_urn(each_stack):
    urns = [r.urn for r in each_stack.resources]
    dupes = {u for u in urns if urns.count(u) > 1}
    assert not dupes, dupes


def test_urns_leave_the_root_stack_out_of_the_type_chain(dev):
    for r in dev.resources:
        if r.type != "pulumi:pulumi:Stack":
            assert "pulumi:pulumi:Stack$" not in r.urn, r.urn


def test_parents_and_dependencies_are_registered_first(each_stack):
    seen: set[str] = set()
    for r in each_stack.resources:
        if r.parent:
            assert r.parent in seen, f"{r.urn}: parent {r.parent} not registered before it"
        for dep in r.dependencies:
            assert dep in seen, f"{r.urn}: dependency {dep} not registered before it"
        seen.add(r.urn)


def test_every_custom_resource_has_an_id_and_an_explicit_provider(each_stack):
    providers = {
        f"{r.urn}::{r.raw['id']}"
        for r in each_stack.resources
        if r.type.startswith("pulumi:providers:")
    }
    for r in each_stack.resources:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            assert r.raw.get("id"), r.urn
            assert r.provider in providers, f"{r.urn}: provider {r.provider} is not explicit"


def test_inputs_are_named_as_the_engine_records_them(each_stack):
    for r in each_stack.resources:
        if r.type.startswith("aws:"):
            bad = [k for k in r.inputs if not re.fullmatch(r"[a-z][A-Za-z0-9]*", k)]
            assert not bad, f"{r.urn}: not camelCase: {bad}"


def test_every_taggable_resource_carries_the_cost_tags(each_stack):
    stack = each_stack.stack_outputs.get("stack") or each_stack.resources[0].name.split("-")[-1]
    for r in each_stack.resources:
        if r.custom and taggable(r.type):
            tags = r.outputs.get("tagsAll") or {}
            for key in ("project", "stack", "owner", "cost-center"):
                assert tags.get(key), f"{r.urn}: missing cost tag {key}"
            assert tags["stack"] == stack, r.urn


@pytest.mark.slow  # both stacks planned twice: `make test-slow` (CI runs it)
def test_plans_are_deterministic():
    a = run_plan("dev").export.data["deployment"]["resources"]
    b = run_plan("dev").export.data["deployment"]["resources"]
    assert a == b


def _small_program() -> dict[str, object]:
    import pulumi_aws as aws  # noqa: PLC0415

    provider = aws.Provider("aws", region="us-east-1")
    opts = pulumi.ResourceOptions(provider=provider)
    bucket = aws.s3.BucketV2("logs", tags={"stack": "dev"}, opts=opts)
    aws.s3.BucketPublicAccessBlock("logs", bucket=bucket.id, block_public_acls=True, opts=opts)
    return {"bucket": bucket.arn}


def _resources(export: StackExport) -> list[dict[str, object]]:
    return export.data["deployment"]["resources"]


def test_the_plan_leaves_the_sdks_stack_walk_out_and_records_the_same(monkeypatch):
    from pulumi.runtime import resource  # noqa: PLC0415

    walk, walked = resource._get_stack_trace, []

    def counted() -> object:
        walked.append(1)
        return walk()

    monkeypatch.setattr(resource, "_get_stack_trace", counted)
    without = run_program("dev", _small_program)
    assert not walked  # no resource walked the stack
    assert resource._get_stack_trace is counted  # restored after the run
    monkeypatch.setattr(plan_module, "_without_source_positions", contextlib.nullcontext)
    with_walk = run_program("dev", _small_program)
    assert len(walked) >= 3  # the SDK's own walk, once per resource at least
    assert _resources(without) == _resources(with_walk)


def test_threads_planning_at_once_take_turns_and_each_gets_its_own_plan():
    """The SDK's runtime state is the process's: three threads planning at once had one hang
    and one fail; now each waits its turn and gets the plan a run alone gets."""
    alone = _resources(run_program("dev", _small_program))
    outcomes: dict[int, object] = {}

    def plan_in_a_thread(i: int) -> None:
        try:
            outcomes[i] = _resources(run_program("dev", _small_program))
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            outcomes[i] = exc

    threads = [threading.Thread(target=plan_in_a_thread, args=(i,), daemon=True) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)  # none hangs
    assert outcomes == {0: alone, 1: alone, 2: alone}


def test_a_plan_asked_for_inside_a_plans_run_is_refused_not_run():
    def planning() -> dict[str, object]:
        _small_program()
        run_program("dev", _small_program)
        return {}

    with pytest.raises(PlanError, match="inside another plan's run"):
        run_program("dev", planning)
    assert _resources(run_program("dev", _small_program))  # and the next run is whole


def test_the_sdks_stack_walk_is_restored_when_the_program_fails():
    from pulumi.runtime import resource  # noqa: PLC0415

    walk = resource._get_stack_trace

    def failing() -> dict[str, object]:
        _small_program()
        raise pulumi.RunError("refused")

    with pytest.raises(PlanError, match="refused"):
        run_program("dev", failing)
    assert resource._get_stack_trace is walk


def test_engine_config_encodes_structured_values_like_the_cli():
    config, secrets = engine_config(
        {
            "azCount": 3,
            "baseline:environments": ["a"],
            "aws:region": "x",
            "baseline:token": {"secure": "v1:abc"},
        }
    )
    assert config == {
        "baseline:azCount": "3",
        "baseline:environments": '["a"]',
        "aws:region": "x",
        "baseline:token": "offline-plan-secret",
    }
    assert secrets == ["baseline:token"]


@pytest.mark.slow
def test_cli_writes_the_export_and_prints_a_table(tmp_path, capsys):
    out = tmp_path / "dev.json"
    assert main(["plan", "--stack", "dev", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| component" in printed and "aws:ec2/vpc:Vpc" in printed
    assert load_export(out).of_type("aws:ec2/vpc:Vpc")


@pytest.mark.slow
def test_cli_json_summary_counts_the_export(tmp_path, capsys):
    out = tmp_path / "dev.json"
    assert main(["plan", "--stack", "dev", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    export = load_export(out)
    counted = [
        r for r in export.resources if r.custom and not r.type.startswith("pulumi:providers:")
    ]
    assert summary["resources"] == len(counted)
    assert sum(row["count"] for row in summary["byComponent"]) == len(counted)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "config:\n  baseline:owner: a\n  baseline:costCenter: b\n"
            "  baseline:accountId: '111122223333'\n  baseline:natStrategy: double\n",
            "'baseline:natStrategy': expected single or per-az",
        ),
        ("config:\n  baseline:costCenter: b\n", "'baseline:accountId': required"),
        ("config: [unclosed\n", "not valid YAML"),
        ("- a list\n", "expected a mapping with a 'config:' section"),
    ],
)
def test_bad_config_exits_2_with_one_line_and_leaves_the_old_export(
    tmp_path, capsys, content, expected
):
    cfg = tmp_path / "Pulumi.pr.yaml"
    cfg.write_text(content)
    out = tmp_path / "pr.json"
    out.write_text("previous export")
    assert main(["plan", "--stack", "pr", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and expected in err[-1], err
    assert "Traceback" not in "\n".join(err)
    assert out.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".*.tmp"))


def test_missing_config_file_exits_2(tmp_path, capsys):
    assert main(["plan", "--stack", "dev", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read the stack config" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    assert main(["plan"]) == 2
    assert "--stack" in capsys.readouterr().err


def test_plan_reports_policy_verdicts_and_monthly_cost_in_json(tmp_path, capsys):
    out = tmp_path / "dev.json"
    assert main(["plan", "--stack", "dev", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["violations"] == [] or all(
        v["enforcementLevel"] != "mandatory" for v in summary["violations"]
    )
    assert "violations" in summary
    by_component = summary["monthlyCostByComponent"]
    assert summary["monthlyCostUsd"] > 0
    assert abs(sum(by_component.values()) - summary["monthlyCostUsd"]) < 0.05
    assert {"cluster", "database", "network"} <= set(by_component)


@pytest.mark.parametrize(
    "read",
    [
        "policies/config/dev/security.json",
        "toolchain/cost/usage.default.yaml",
        "Pulumi.prod.yaml",
        "baseline/program.py",
        "price file",
    ],
)
def test_an_export_onto_a_file_the_plan_reads_is_refused_before_planning(read, capsys):
    """A plan's own inputs besides its stack file (the policy configs, the price and usage files,
    the other stacks' files, the program): an export written over one, refused only after, had
    broken every later plan."""
    from toolchain.cost.prices import latest_price_file  # noqa: PLC0415

    path = latest_price_file() if read == "price file" else plan_module.ROOT / read
    before = path.read_bytes()
    assert main(["plan", "--stack", "dev", "--out", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ") and "refused as the export: it is the command's input" in line
    assert path.read_bytes() == before
