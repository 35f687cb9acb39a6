"""The offline gate: packs start like the engine starts them, config files are read like the CLI
reads them, the real plans pass, and the command line fails cleanly on bad input."""

import json
from pathlib import Path

import pytest

from agents.cli.main import main
from tests.policies.conftest import mutate
from toolchain.gate import (
    CONFIG_DIR,
    PolicyConfigError,
    load_policy_config,
    normalize_config,
    rule_table,
    stack_of,
)


def test_packs_report_their_rules_with_ids_and_severities(gate):
    for pack in gate.analyzers.values():
        assert pack.policies, pack.name
        for meta in pack.policies.values():
            assert meta.rule_id, f"{pack.name}/{meta.name} has no id tag"
            assert meta.severity != "unspecified", f"{pack.name}/{meta.name} has no severity"
            assert meta.description.endswith("."), f"{pack.name}/{meta.name}"
            assert meta.remediation, f"{pack.name}/{meta.name} has no remediation steps"


def test_rule_ids_are_unique_across_packs(gate):
    ids = [m.rule_id for p in gate.analyzers.values() for m in p.policies.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_readme_rule_table_is_the_packs_own(gate):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for row in rule_table(gate):
        line = (
            f"| {row['id']} | `{row['policy']}` | {row['checks']} | {row['controls'] or '—'} "
            f"| {row['dev']} | {row['prod']} |"
        )
        assert line in readme, f"README's rule table lacks or misstates {row['id']}: {line}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_real_plans_pass_with_no_mandatory_violation(gate, stack, dev, prod):
    export = dev if stack == "dev" else prod
    result = gate.run(export, CONFIG_DIR / stack)
    assert result.resources > 50
    assert not result.mandatory, [(v.policyName, v.urn, v.detail) for v in result.mandatory]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_config_file_names_only_real_policies(gate, stack):
    for pack, analyzer in gate.analyzers.items():
        raw = load_policy_config(CONFIG_DIR / stack, pack)
        normalize_config(raw, analyzer.policies, f"{stack}/{pack}.json")


def test_config_all_sets_every_level_and_entries_override(security):
    first = next(iter(security.policies))
    out = normalize_config(
        {"all": "advisory", first: {"enforcementLevel": "disabled", "x": 1}}, security.policies, "t"
    )
    assert out[first] == ("disabled", {"x": 1})
    assert all(lvl == "advisory" for name, (lvl, _) in out.items() if name != first)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"no-such-rule": "mandatory"}, "'no-such-rule' is not a policy"),
        ({"all": "loud"}, "unknown enforcement level"),
    ],
)
def test_bad_config_is_refused_naming_the_key(security, raw, message):
    with pytest.raises(PolicyConfigError, match=message):
        normalize_config(raw, security.policies, "t")


def test_stack_is_read_from_the_urns(dev):
    assert stack_of(dev) == "dev"


def test_cli_exit_codes_and_json(tmp_path, capsys, dev):
    export = tmp_path / "dev.json"
    export.write_text(json.dumps(dev.data))
    assert main(["policy", "--export", str(export), "--json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"version": 2, "deployment": {}}', "not a version 3 stack export"),
        ('{"version": 3, "deployment": {"resources": [{"urn": 1}]}}', "resource 0 has no"),
    ],
)
def test_cli_unreadable_export_exits_2(tmp_path, capsys, content, message):
    export = tmp_path / "bad.json"
    export.write_text(content)
    assert main(["policy", "--export", str(export), "--stack", "dev"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err


def test_cli_bad_policy_config_exits_2(tmp_path, capsys, dev):
    export = tmp_path / "dev.json"
    export.write_text(json.dumps(dev.data))
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "security.json").write_text('{"no-such-rule": "mandatory"}')
    (cfg / "cost.json").write_text("{}")
    assert main(["policy", "--export", str(export), "--policy-config", str(cfg)]) == 2
    assert "'no-such-rule' is not a policy" in capsys.readouterr().err


def test_cli_missing_policy_config_folder_exits_2(tmp_path, capsys, dev):
    export = tmp_path / "dev.json"
    export.write_text(json.dumps(dev.data))
    assert (
        main(["policy", "--export", str(export), "--policy-config", str(Path(tmp_path / "nope"))])
        == 2
    )
    assert "--policy-config takes a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_a_violation_names_the_resource_and_exits_1(tmp_path, capsys, dev):
    bad, urn = mutate(dev, "aws:rds/instance:Instance", set_values={"storageEncrypted": False})
    export = tmp_path / "bad.json"
    export.write_text(json.dumps(bad.data))
    assert main(["policy", "--export", str(export), "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert {"policyPack", "policyName", "enforcementLevel", "severity", "urn", "message"} <= set(
        found[0]
    )
    assert any(v["policyName"] == "rds-storage-encrypted" and v["urn"] == urn for v in found)


@pytest.mark.slow
def test_a_gate_run_again_judges_anew_what_changed_and_honours_a_new_config(gate, prod, tmp_path):
    """The gate remembers each pack's verdict per resource request and config: a second run of
    the same gate must still see a resource that changed, and a config that changed."""
    config = json.loads((CONFIG_DIR / "prod" / "security.json").read_text())
    bad, urn = mutate(prod, "aws:rds/instance:Instance", set_values={"storageEncrypted": False})

    def caught(export, config_dir):
        result = gate.run(export, config_dir, packs=["security"])
        return [v.urn for v in result.violations if v.policyName == "rds-storage-encrypted"]

    assert caught(prod, CONFIG_DIR / "prod") == []
    assert caught(bad, CONFIG_DIR / "prod") == [urn], "a changed resource is judged anew"
    assert caught(prod, CONFIG_DIR / "prod") == [], "and the unchanged one again as it is"
    (tmp_path / "security.json").write_text(
        json.dumps({**config, "rds-storage-encrypted": "disabled"})
    )
    assert caught(bad, tmp_path) == [], "a changed config is honoured"
    assert caught(bad, CONFIG_DIR / "prod") == [urn]


def test_without_stack_rules_the_gate_judges_resources_only(gate, prod):
    """`stack_rules=False` (the corpus's first, cheaper pass) leaves out `AnalyzeStack`: a trail
    that stops logging fails a stack rule only when the stack rules run."""
    bad, _ = mutate(prod, "aws:cloudtrail/trail:Trail", set_values={"isMultiRegionTrail": False})

    def names(stack_rules: bool) -> set[str]:
        result = gate.run(bad, CONFIG_DIR / "prod", packs=["security"], stack_rules=stack_rules)
        return {v.policyName for v in result.violations}

    assert "cloudtrail-multi-region" in names(False)
    assert "cloudtrail-required" not in names(False)
    assert "cloudtrail-required" in names(True)


def test_a_pack_that_fails_on_a_property_is_no_verdict_in_one_line(tmp_path, capsys, dev):
    """Tags written as a list: a policy reading them raised inside its pack, and the gate's gRPC
    error came out as a traceback. Now the pack and what it judged are named, and there is no
    verdict (exit 1), never a pass."""
    bad, urn = mutate(dev, "aws:rds/instance:Instance", set_values={"tags": ["a"]})
    export = tmp_path / "bad.json"
    export.write_text(json.dumps(bad.data))
    assert main(["policy", "--export", str(export), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()[-1:]
    assert line.startswith("error: policy pack baseline-") and line.endswith("; no verdict")
    assert urn in line
