"""The Automation API gateway, driven against a double of the Pulumi CLI (tests/agents/fake_pulumi):
the exact argv of each operation, results read from recorded engine events, the audit lines, and
the typed errors. The double is found through `PulumiCommand(root=...)`, as a real CLI would be."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agents import AgentsError
from agents.protocol.audit import AuditLog
from agents.protocol.settings import AgentSettings
from agents.runtime.gateway import (
    ROOT,
    AuditBehind,
    AutomationGateway,
    CliOutputUnreadable,
    CliUnavailable,
    Gateway,
    GatewayCommandError,
    GatewayError,
    MissingPolicyConfig,
    PlanChanged,
    PolicyViolations,
    PreviewResult,
    StackBusy,
    UnexpectedChanges,
    UnknownStack,
)
from toolchain import gate
from toolchain.gate import CONFIG_DIR, POLICIES

FAKE = Path(__file__).resolve().parents[1] / "fake_pulumi"
RDS = (
    "urn:pulumi:dev::baseline::baseline:database:Database$aws:rds/instance:Instance::"
    "database-postgres"
)
NODES = (
    "urn:pulumi:dev::baseline::baseline:cluster:Cluster$aws:eks/nodeGroup:NodeGroup::"
    "cluster-workload-spot"
)
# Values the recordings hold that must never leave the gateway: an input a program forgot to mark
# secret (in engine events), a secret output's plaintext, a secret config value's plaintext.
LEAKS = ("Qk9PVFNUUkFQX1RPS0VO", "k8s-token-DO-NOT-LEAK", "oncall@example.com")


class FakeCli:
    """The double's switches (environment variables it reads) and the argv it recorded."""

    def __init__(self, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log = log
        self.monkeypatch = monkeypatch

    def scenario(self, name: str) -> None:
        self.monkeypatch.setenv("FAKE_PULUMI_SCENARIO", name)

    def version(self, version: str) -> None:
        self.monkeypatch.setenv("FAKE_PULUMI_VERSION", version)

    def stacks(self, *names: str) -> None:
        self.monkeypatch.setenv("FAKE_PULUMI_STACKS", ",".join(names))

    def records(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def calls(self) -> list[list[str]]:
        """Every argv, the event log's changing address replaced by `<event-log>`."""
        out = []
        for record in self.records():
            argv = list(record["argv"])
            if "--event-log" in argv:
                argv[argv.index("--event-log") + 1] = "<event-log>"
            out.append(argv)
        return out

    def operations(self) -> list[list[str]]:
        """The argv of everything after the version check and the stack selection."""
        return [c for c in self.calls() if c != ["version"] and c[1:3] != ["stack", "select"]]

    def event_logs(self) -> list[str]:
        return [
            r["argv"][r["argv"].index("--event-log") + 1]
            for r in self.records()
            if "--event-log" in r["argv"]
        ]


def use_the_double(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    # The double streams engine events over gRPC: `env python3` must find this interpreter.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    for name in (
        "FAKE_PULUMI_SCENARIO",
        "FAKE_PULUMI_VERSION",
        "FAKE_PULUMI_STACKS",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK",
    ):
        monkeypatch.delenv(name, raising=False)


def make_gateway(folder: Path) -> AutomationGateway:
    settings = AgentSettings(state_dir=folder / "state", pulumi_command=FAKE)
    return AutomationGateway(
        settings, AuditLog(folder / "audit.jsonl"), audit_fields={"persona": "release-engineer"}
    )


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCli:
    use_the_double(monkeypatch, tmp_path / "argv.jsonl")
    return FakeCli(tmp_path / "argv.jsonl", monkeypatch)


@pytest.fixture
def gateway(cli: FakeCli, tmp_path: Path) -> AutomationGateway:
    return make_gateway(tmp_path)


@pytest.fixture
def audit(gateway: AutomationGateway) -> AuditLog:
    return gateway.audit


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One preview, up, outputs and export of `dev` (default scenario) and the audit log they
    left, shared by the tests that only read results: each call spawns the double a few times."""
    folder = tmp_path_factory.mktemp("dev")
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_the_double(monkeypatch, folder / "argv.jsonl")
        gateway = make_gateway(folder)
        return {
            "preview": gateway.preview("dev"),
            "up": gateway.up("dev"),
            "outputs": gateway.outputs("dev"),
            "export": gateway.export("dev"),
            "audit": (folder / "audit.jsonl").read_text(),
        }


def policy_args(stack: str) -> list[str]:
    return [
        "--policy-pack",
        str(POLICIES / "security"),
        "--policy-pack",
        str(POLICIES / "cost"),
        "--policy-pack-config",
        str(CONFIG_DIR / stack / "security.json"),
        "--policy-pack-config",
        str(CONFIG_DIR / stack / "cost.json"),
    ]


def runs(audit: AuditLog, operation: str) -> list[str]:
    return [r["run"] for r in audit.query({"event": "gateway.start", "operation": operation})]


# --- the argv the Automation API sends ---------------------------------------------------------


def test_automation_gateway_implements_the_interface(gateway):
    assert isinstance(gateway, Gateway)


def test_every_preview_and_up_tells_the_program_which_packs_are_attached(gateway, cli):
    """The CLI hands its environment to the program, which warns (and says in its outputs)
    when a run has no packs: the gateway's runs always name both."""
    gateway.preview("dev")
    gateway.up("dev")
    told = [
        (r["argv"][1], r.get("policyPacksEnv"))
        for r in cli.records()
        if r["argv"][1:2] in (["preview"], ["up"])
    ]
    assert told == [("preview", "security,cost"), ("up", "security,cost")]


@pytest.mark.slow
def test_each_operation_tells_the_program_which_role_its_providers_assume(gateway, cli):
    """Only what changes the stack runs as the deploy role: preview, drift check, outputs and
    export read through the preview role, up and refresh deploy. An approved up's own preview
    reads, and the up that follows it on the same workspace deploys again."""
    approved = gateway.preview("dev").fingerprint
    gateway.drift_check("dev")
    gateway.outputs("dev")
    gateway.export("dev")
    gateway.up("dev")
    gateway.refresh("dev")
    gateway.up("dev", expect=approved)
    gateway.preview("dev")

    def command(argv: list[str]) -> str:
        words = [a for a in argv if not a.startswith("-")]
        return " ".join(words[:2] if words[0] == "stack" else words[:1]) + (
            " --preview-only" if "--preview-only" in argv else ""
        )

    told = [
        (command(r["argv"]), r.get("providerRoleEnv"))
        for r in cli.records()
        if r["argv"] != ["version"] and r["argv"][1:3] != ["stack", "select"]
    ]
    # The commands that run the program (the Automation API's own `stack output`/`history`
    # after an up run with the up's environment; they run no program).
    program = ("preview", "up", "refresh", "refresh --preview-only")
    assert [t for t in told if t[0] in program] == [
        ("preview", "preview"),
        ("refresh --preview-only", "preview"),
        ("up", "deploy"),
        ("refresh", "deploy"),
        ("preview", "preview"),
        ("up", "deploy"),
        ("preview", "preview"),
    ]
    # outputs (read twice by the Automation API: plain, then secrets) and export read.
    assert told[2:5] == [
        ("stack output", "preview"),
        ("stack output", "preview"),
        ("stack export", "preview"),
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_runs_both_packs_with_the_stacks_policy_config(gateway, cli, stack):
    gateway.preview(stack)
    assert cli.calls() == [
        ["version"],
        ["--non-interactive", "stack", "select", "--stack", stack],
        [
            "--non-interactive",
            "preview",
            *policy_args(stack),
            "--color",
            "never",
            "--exec-kind",
            "auto.local",
            "--event-log",
            "<event-log>",
            "--stack",
            stack,
        ],
    ]


def test_every_command_runs_in_the_repository_root(gateway, cli):
    gateway.preview("dev")
    assert {r["cwd"] for r in cli.records()[1:]} == {str(ROOT)}


def test_engine_events_come_over_grpc_from_a_current_cli(gateway, cli):
    gateway.preview("dev")
    assert cli.event_logs()[0].startswith("tcp://127.0.0.1:")


def test_preview_passes_targets_and_a_refresh_that_runs_the_program(gateway, cli):
    """`--expect-no-changes` is the gateway's to decide (the CLI counts the providers'
    credential-only updates of a run as the preview role as changes), and a refresh inside a
    preview configures its providers from the program (`--run-program`), not from the state."""
    cli.scenario("no-changes")
    gateway.preview("dev", targets=[RDS, NODES], refresh=True, expect_no_changes=True)
    assert cli.operations() == [
        [
            "--non-interactive",
            "preview",
            "--target",
            RDS,
            "--target",
            NODES,
            *policy_args("dev"),
            "--color",
            "never",
            "--refresh",
            "--run-program=true",
            "--exec-kind",
            "auto.local",
            "--event-log",
            "<event-log>",
            "--stack",
            "dev",
        ]
    ]


def test_up_skips_the_cli_preview_runs_the_packs_and_reads_history_without_secrets(
    gateway, cli, audit
):
    gateway.up("dev", targets=[RDS])
    (run,) = runs(audit, "up")
    assert cli.operations() == [
        [
            "--non-interactive",
            "up",
            "--yes",
            "--skip-preview",
            "--message",
            f"agents gateway run {run}",
            "--target",
            RDS,
            *policy_args("dev"),
            "--color",
            "never",
            "--exec-kind",
            "auto.local",
            "--event-log",
            "<event-log>",
            "--stack",
            "dev",
        ],
        ["--non-interactive", "stack", "output", "--json", "--stack", "dev"],
        ["--non-interactive", "stack", "output", "--json", "--show-secrets", "--stack", "dev"],
        [
            "--non-interactive",
            "stack",
            "history",
            "--json",
            "--page-size",
            "1",
            "--page",
            "1",
            "--stack",
            "dev",
        ],
    ]


def test_up_with_an_expected_fingerprint_previews_first(gateway, cli):
    approved = gateway.preview("dev").fingerprint
    gateway.up("dev", expect=approved)
    assert [c[1] for c in cli.operations()] == [
        "preview",
        "preview",
        "up",
        "stack",
        "stack",
        "stack",
    ]


def test_refresh_applies_without_a_cli_preview(gateway, cli, audit):
    gateway.refresh("dev")
    (run,) = runs(audit, "refresh")
    assert cli.operations()[0] == [
        "--non-interactive",
        "refresh",
        "--skip-preview",
        "--yes",
        "--run-program=true",
        "--message",
        f"agents gateway run {run}",
        "--color",
        "never",
        "--exec-kind",
        "auto.local",
        "--event-log",
        "<event-log>",
        "--stack",
        "dev",
    ]


def test_drift_check_is_a_refresh_preview_that_runs_the_program(gateway, cli):
    """The program's providers (as the read-only preview role), not the state's (as the deploy
    role of the last up: the double refuses a read-only refresh without `--run-program`, as IAM
    would)."""
    gateway.drift_check("dev")
    assert cli.operations() == [
        [
            "--non-interactive",
            "refresh",
            "--preview-only",
            "--run-program=true",
            "--color",
            "never",
            "--exec-kind",
            "auto.local",
            "--event-log",
            "<event-log>",
            "--stack",
            "dev",
        ]
    ]


def test_outputs_and_export_read_the_stack(gateway, cli):
    gateway.outputs("dev")
    gateway.export("dev")
    assert cli.operations() == [
        ["--non-interactive", "stack", "output", "--json", "--stack", "dev"],
        ["--non-interactive", "stack", "output", "--json", "--show-secrets", "--stack", "dev"],
        ["--non-interactive", "stack", "export", "--show-secrets", "--stack", "dev"],
    ]


def test_the_cli_is_checked_and_each_stack_selected_once(gateway, cli):
    gateway.preview("dev")
    gateway.drift_check("dev")
    gateway.outputs("prod")
    calls = cli.calls()
    assert calls.count(["version"]) == 1
    assert [c for c in calls if c[1:3] == ["stack", "select"]] == [
        ["--non-interactive", "stack", "select", "--stack", "dev"],
        ["--non-interactive", "stack", "select", "--stack", "prod"],
    ]


def test_an_older_cli_writes_engine_events_to_a_file(gateway, cli):
    cli.version("3.205.0")  # the last CLI the Automation API reads an --event-log file from
    result = gateway.preview("dev")
    assert not cli.event_logs()[0].startswith("tcp://")
    assert [s.op for s in result.steps] == ["update", "replace", "create", "delete"]


# --- results read from the engine events --------------------------------------------------------


def test_preview_reports_the_engines_change_summary(dev):
    """The engine's counts, but the two providers' credential-only updates (the run is as the
    preview role, the state the deploy role's) counted as unchanged."""
    result = dev["preview"]
    assert result.changes == {"same": 11, "update": 1, "replace": 1, "create": 1, "delete": 1}
    assert result.has_changes


def test_preview_lists_one_step_per_changing_resource(dev):
    steps = dev["preview"].steps
    assert [(s.op, s.name) for s in steps] == [
        ("update", "database-postgres"),
        ("replace", "cluster-workload-spot"),
        ("create", "database-ingress-1"),
        ("delete", "observability-nat-1-errors"),
    ]


def test_a_replacement_names_the_resource_and_what_forces_it(dev):
    (replace,) = dev["preview"].replaces
    assert (replace.urn, replace.type, replace.id, replace.replace_keys) == (
        NODES,
        "aws:eks/nodeGroup:NodeGroup",
        "baseline-dev:cluster-workload-spot-1aa3b76",
        ("instanceTypes",),
    )


def test_a_deletion_names_the_resource_it_removes(dev):
    (delete,) = dev["preview"].deletes
    assert (delete.type, delete.id) == (
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "observability-nat-1-errors-5b0c2d1",
    )


def test_an_update_lists_the_properties_that_change(dev):
    (update,) = dev["preview"].of_op("update")
    assert (update.urn, update.diffs) == (RDS, ("backupRetentionPeriod",))


def test_policy_events_become_violations(dev):
    (violation,) = dev["preview"].violations
    assert (violation.pack, violation.policy, violation.level, violation.urn) == (
        "baseline-cost",
        "rds-backup-retention-cap",
        "advisory",
        RDS,
    )
    assert not violation.mandatory


def test_preview_keeps_the_tail_of_the_cli_output(dev):
    tail = dev["preview"].stdout_tail
    # The CLI's own words: it counts the providers' credential-only updates as changes.
    assert tail[-1].strip() == "6 changes. 9 unchanged"


def test_a_preview_without_changes_has_none(gateway, cli):
    cli.scenario("no-changes")
    result = gateway.preview("dev", expect_no_changes=True)
    # The two providers' credential-only updates are not changes.
    assert (result.changes, result.steps, result.has_changes) == ({"same": 14}, (), False)


def test_the_fingerprint_is_the_change_set(dev, gateway, cli):
    first = dev["preview"].fingerprint
    assert gateway.preview("dev").fingerprint == first
    cli.scenario("no-changes")
    assert gateway.preview("dev").fingerprint != first


def test_up_reports_the_update(dev):
    result = dev["up"]
    assert (result.result, result.version, result.changes["update"]) == ("succeeded", 1, 1)
    assert [s.op for s in result.steps] == ["update", "replace", "create", "delete"]
    assert result.as_expected


def test_up_applies_the_approved_change_set(gateway):
    approved = gateway.preview("dev").fingerprint
    result = gateway.up("dev", expect=approved)
    assert (result.expected, result.fingerprint) == (approved, approved)


def test_outputs_show_secrets_as_placeholders(dev):
    outputs = dev["outputs"]
    assert outputs["clusterName"] == "baseline-dev"
    assert outputs["kubeconfig"] == "[secret]"


def test_up_returns_the_outputs_with_secrets_masked(dev):
    assert dev["up"].outputs["kubeconfig"] == "[secret]"


def test_export_is_a_stack_export_without_secret_plaintext(dev):
    export = dev["export"]
    assert export.stack_outputs["clusterName"] == "baseline-dev"
    assert "plaintext" not in json.dumps(export.data)
    assert len(export.of_type("aws:eks/nodeGroup:NodeGroup")) == 1


def test_no_secret_or_unmarked_value_leaves_the_gateway(dev):
    text = repr([dev["preview"], dev["up"], dev["outputs"]]) + json.dumps(dev["export"].data)
    text += dev["audit"]
    for leak in LEAKS:
        assert leak not in text


# --- drift ---------------------------------------------------------------------------------------


def test_a_stack_without_drift_reports_none(gateway):
    result = gateway.drift_check("dev")
    assert (result.drifted, result.steps, result.changes) == (False, (), {"same": 7})


def test_drift_lists_changed_and_vanished_resources(gateway, cli):
    cli.scenario("drift")
    result = gateway.drift_check("dev")
    assert result.drifted
    assert result.changes == {"same": 5, "update": 1, "delete": 1}
    assert [(s.op, s.name, s.diffs) for s in result.steps] == [
        ("update", "database-postgres", ("backupRetentionPeriod",)),
        ("delete", "database-ingress-1", ()),
    ]


def test_refresh_reports_the_drift_it_adopted(gateway, cli):
    cli.scenario("drift")
    result = gateway.refresh("dev")
    assert (result.result, [s.op for s in result.steps]) == ("succeeded", ["update", "delete"])


# --- the audit log -------------------------------------------------------------------------------


def test_a_preview_leaves_one_compact_line_per_step_violation_and_summary(gateway, audit):
    gateway.preview("dev")
    records = audit.records()
    lines = [(r["event"], r.get("op") or r.get("policy") or r.get("outcome")) for r in records]
    assert lines == [
        ("gateway.start", None),
        ("gateway.step", "update"),
        ("gateway.step", "replace"),
        ("gateway.step", "create"),
        ("gateway.step", "delete"),
        ("gateway.policy", "rds-backup-retention-cap"),
        ("gateway.provider-credentials", None),
        ("gateway.provider-credentials", None),
        ("gateway.summary", None),
        ("gateway.done", "ok"),
    ]


def test_audit_lines_name_the_stack_the_run_and_the_caller(gateway, audit):
    gateway.preview("dev")
    records = list(audit.records())
    assert {(r["stack"], r["operation"], r["persona"]) for r in records} == {
        ("dev", "preview", "release-engineer")
    }
    assert len({r["run"] for r in records}) == 1


def test_audit_lines_carry_no_resource_state(dev):
    for line in filter(None, dev["audit"].splitlines()):
        assert not {"inputs", "outputs", "old", "new"} & set(json.loads(line)), line
        assert len(line) < 600, line


def test_a_summary_line_holds_the_counts(dev):
    (summary,) = [
        r
        for r in map(json.loads, filter(None, dev["audit"].splitlines()))
        if r["event"] == "gateway.summary" and r["operation"] == "up"
    ]
    assert summary["changes"] == {"same": 9, "update": 1, "replace": 1, "create": 1, "delete": 1}


def test_a_failed_operation_is_audited_with_its_outcome(gateway, cli, audit):
    cli.scenario("busy")
    with pytest.raises(StackBusy):
        gateway.up("dev")
    (done,) = audit.query({"event": "gateway.done"})
    assert (done["operation"], done["outcome"]) == ("up", "busy")


# --- typed errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "says"), [("busy", "[409] Conflict"), ("busy-diy", "currently locked")]
)
def test_a_concurrent_update_is_stack_busy(gateway, cli, scenario, says):
    cli.scenario(scenario)
    with pytest.raises(StackBusy, match=r"stack 'dev' is busy") as caught:
        gateway.up("dev")
    assert says in str(caught.value)


def test_a_failed_command_carries_the_clis_error_line(gateway, cli):
    cli.scenario("fail")
    with pytest.raises(GatewayCommandError) as caught:
        gateway.preview("dev")
    assert type(caught.value) is GatewayCommandError
    assert str(caught.value).endswith(
        "error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE "
        "or PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
    )
    assert caught.value.exit_code == 255


def test_a_failed_resource_reports_the_providers_error(gateway, cli):
    cli.scenario("resource-error")
    with pytest.raises(GatewayCommandError, match="InvalidDBInstanceState") as caught:
        gateway.up("dev")
    assert caught.value.result is not None
    assert [s.urn for s in caught.value.result.steps] == [RDS]


@pytest.mark.parametrize("scenario", ["garbled", "misshapen", "nested"])
@pytest.mark.parametrize("operation", ["export", "outputs", "history", "up", "refresh"])
def test_a_read_the_cli_answers_unreadably_is_a_typed_refusal_on_the_record(
    gateway, cli, audit, scenario, operation
):
    """A CLI that exits 0 with output cut short, of another shape or nested deeper than the
    decoder recurses (its stack export, outputs or history, which `up` and `refresh` read after
    the change too): the SDK's own parse raised a JSONDecodeError, a KeyError or a
    RecursionError, out of every caller as a traceback, and an `up` whose change was made looked
    like one that failed."""
    cli.scenario(scenario)
    with pytest.raises(CliOutputUnreadable, match=f"pulumi {operation} on stack 'dev': the CLI's"):
        getattr(gateway, operation)("dev")
    (done,) = audit.query({"event": "gateway.done"})
    assert (done["operation"], done["outcome"]) == (operation, "unreadable-output")
    assert ("may have changed the stack" in done["error"]) == (operation in ("up", "refresh"))
    if scenario == "nested":
        assert "(RecursionError: nested too deep to read)" in done["error"]


def test_an_unknown_stack_is_never_created(gateway, cli):
    with pytest.raises(UnknownStack, match="'qa' does not exist"):
        gateway.preview("qa")
    assert not [c for c in cli.calls() if c[1:3] == ["stack", "init"]]


def test_a_malformed_stack_name_never_reaches_the_cli(gateway, cli):
    with pytest.raises(UnknownStack, match="not a stack name"):
        gateway.preview("--yes")
    assert cli.calls() == []


def test_a_stack_with_an_incomplete_policy_config_is_refused_before_preview(
    gateway, cli, tmp_path, monkeypatch
):
    # (A stack with no policy config folder at all gets the default one, with a notice:
    # tests/agents/runtime/test_gateway_policy_config.py.)
    configs = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, configs)
    (configs / "staging").mkdir()
    shutil.copy(configs / "dev" / "cost.json", configs / "staging")
    monkeypatch.setattr(gate, "CONFIG_DIR", configs)
    cli.stacks("dev", "prod", "staging")
    with pytest.raises(MissingPolicyConfig, match=r"config/staging/security\.json"):
        gateway.preview("staging")
    assert cli.operations() == []


def test_a_target_in_another_stack_is_refused(gateway, cli):
    prod_rds = RDS.replace("urn:pulumi:dev::", "urn:pulumi:prod::")
    with pytest.raises(GatewayError, match="not a URN of a resource of stack 'dev'"):
        gateway.up("dev", targets=[prod_rds])
    assert cli.operations() == []


def test_a_mandatory_violation_is_a_policy_error_with_the_violations(gateway, cli):
    cli.scenario("mandatory")
    with pytest.raises(PolicyViolations, match="allowed-instance-types") as caught:
        gateway.preview("dev")
    assert caught.value.result is not None
    assert [v.urn for v in caught.value.result.mandatory_violations] == [NODES]
    assert caught.value.exit_code == 5


def test_changes_a_preview_did_not_expect_are_unexpected_changes(gateway, cli):
    with pytest.raises(UnexpectedChanges, match="no changes were expected") as caught:
        gateway.preview("dev", expect_no_changes=True)
    assert caught.value.result is not None
    assert len(caught.value.result.steps) == 4
    assert caught.value.exit_code is None  # the gateway's decision, not the CLI's


def test_a_changed_plan_is_not_applied(gateway, cli):
    cli.scenario("no-changes")
    approved = gateway.preview("dev").fingerprint
    cli.scenario("changes")
    with pytest.raises(PlanChanged) as caught:
        gateway.up("dev", expect=approved)
    assert len(caught.value.result.steps) == 4
    assert not [c for c in cli.calls() if "up" in c]


def test_a_cli_older_than_the_gateway_needs_is_unavailable(gateway, cli):
    cli.version("3.100.0")
    with pytest.raises(CliUnavailable, match="Minimum version requirement failed"):
        gateway.preview("dev")


def test_a_missing_cli_is_unavailable(cli, audit, tmp_path):
    settings = AgentSettings(state_dir=tmp_path / "state", pulumi_command=tmp_path / "nowhere")
    with pytest.raises(CliUnavailable, match="AGENTS_PULUMI_COMMAND"):
        AutomationGateway(settings, audit).outputs("dev")


@pytest.mark.parametrize(
    "error",
    [
        CliUnavailable,
        UnknownStack,
        MissingPolicyConfig,
        StackBusy,
        PlanChanged,
        GatewayCommandError,
        PolicyViolations,
        UnexpectedChanges,
    ],
)
def test_every_gateway_error_is_an_agents_error(error):
    assert issubclass(error, GatewayError)
    assert issubclass(error, AgentsError)


def test_the_double_fails_a_refresh_preview_that_expected_no_drift(cli, tmp_path):
    """What `refresh --preview-only --expect-no-changes` does on drift (the gateway reads the
    summary instead, so only the double's own fidelity is at stake here)."""
    cli.scenario("drift")
    log = tmp_path / "events.jsonl"
    argv = ["--non-interactive", "refresh", "--preview-only", "--expect-no-changes"]
    argv += ["--exec-kind", "auto.local", "--event-log", str(log), "--stack", "dev"]
    done = subprocess.run(
        [str(FAKE / "bin" / "pulumi"), *argv], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr.strip()) == (
        7,
        "error: no changes were expected but changes were proposed",
    )
    assert json.loads(log.read_text().splitlines()[-1]) == {
        "sequence": 16,
        "timestamp": 1767261600,
        "cancelEvent": {},
    }


# --- the real CLI --------------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("pulumi") is None, reason="needs the Pulumi CLI on PATH (not installed here)"
)
def test_the_real_cli_reports_an_unknown_stack_as_the_double_does(tmp_path, monkeypatch):
    """Checks the double's stack-not-found text against the real CLI (a local file backend)."""
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    (tmp_path / "state").mkdir()
    settings = AgentSettings(state_dir=tmp_path / "agents")
    gateway = AutomationGateway(settings, AuditLog(tmp_path / "audit.jsonl"))
    with pytest.raises(UnknownStack):
        gateway.outputs("no-such-stack")


def test_history_lists_the_last_updates_without_secrets(gateway, cli):
    gateway.up("dev")
    (last,) = gateway.history("dev", limit=5)
    assert (last["kind"], last["result"], last["version"]) == ("update", "succeeded", 1)
    assert last["resourceChanges"]["update"] == 1 and last["endTime"].endswith("Z")
    # (`up` itself reads the last entry, with a page size of 1.)
    history_calls = [c for c in cli.operations() if c[1:3] == ["stack", "history"]]
    assert history_calls[-1:] == [
        [
            "--non-interactive",
            "stack",
            "history",
            "--json",
            "--page-size",
            "5",
            "--page",
            "1",
            "--stack",
            "dev",
        ]
    ], "config secrets are never asked for (--show-secrets)"
    assert "oncall@example.com" not in str(last)


def test_a_mutation_is_refused_while_audit_records_wait_past_the_limit(cli, tmp_path):
    """Fail closed: no change whose record cannot be kept. The sink has not taken a record for
    longer than `audit_max_lag_s`: up and refresh are refused before the CLI runs, and say why;
    a preview still runs."""
    settings = AgentSettings(
        state_dir=tmp_path / "state",
        pulumi_command=FAKE,
        audit_sink="cloudwatch",
        audit_log_group="/baseline/dev/agents/audit",
        audit_max_lag_s=60,
    )
    audit = AuditLog(settings.audit_log, "release-engineer")
    old = {"ts": "2026-01-01T00:00:00+00:00", "event": "request", "writer": "x", "seq": 1}
    settings.audit_log.parent.mkdir(parents=True)
    settings.audit_log.write_text("\n" + json.dumps(old) + "\n")  # never delivered
    gateway = AutomationGateway(settings, audit, audit_fields={"persona": "release-engineer"})
    for operation in (lambda: gateway.up("dev"), lambda: gateway.refresh("dev")):
        with pytest.raises(AuditBehind, match="have not reached /baseline/dev/agents/audit"):
            operation()
    assert not [c for c in cli.operations() if "up" in c or "refresh" in c]
    done = [r for r in audit.records() if r.get("outcome") == "refused-audit-behind"]
    assert len(done) == 2
    gateway.preview("dev")  # reading is not refused
    assert [c for c in cli.operations() if "preview" in c]


# -- credential-only provider updates (a run as the preview role) --------------------------------


def provider_step(kind: str, *diffs: str, op: str = "update") -> Any:
    """The metadata of one provider's step as the engine announces it."""
    urn = f"urn:pulumi:dev::baseline::{kind}::p"
    return SimpleNamespace(
        op=op,
        urn=urn,
        type=kind,
        old=None,
        new=None,
        keys=[],
        diffs=list(diffs),
        detailed_diff=None,
    )


@pytest.mark.parametrize(
    ("kind", "diffs", "read_only", "unchanged"),
    [
        ("pulumi:providers:aws", ("assumeRoles",), True, True),
        ("pulumi:providers:aws", ("assumeRoles[0].roleArn",), True, True),
        ("pulumi:providers:kubernetes", ("kubeconfig",), True, True),
        # Anything beyond its credentials is a change of what the provider manages.
        ("pulumi:providers:aws", ("assumeRoles", "region"), True, False),
        ("pulumi:providers:aws", ("allowedAccountIds",), True, False),
        ("pulumi:providers:aws", ("kubeconfig",), True, False),
        ("aws:iam/role:Role", ("assumeRoles",), True, False),
        # In a deploy run (as the state's own role) every provider update is a change.
        ("pulumi:providers:aws", ("assumeRoles",), False, False),
    ],
)
def test_only_a_credential_only_provider_update_of_a_read_only_run_is_unchanged(
    tmp_path, kind, diffs, read_only, unchanged
):
    from agents.runtime.gateway import _Collector, _Run  # noqa: PLC0415

    audit = AuditLog(tmp_path / "audit.jsonl")
    collector = _Collector(_Run(audit, "dev", "preview", {}))
    collector.read_only_role = read_only
    collector._announce(provider_step(kind, *diffs))
    collector._changes = {"update": 1, "same": 3}
    parts = collector.parts()
    result = PreviewResult(**parts, operation="preview")
    assert result.has_changes is not unchanged
    assert (len(parts["steps"]), parts["changes"]) == (
        (0, {"same": 4}) if unchanged else (1, {"update": 1, "same": 3})
    )
    noted = [r for r in audit.records() if r["event"] == "gateway.provider-credentials"]
    assert len(noted) == (1 if unchanged else 0)


@pytest.mark.slow
def test_an_approved_change_applies_though_its_preview_ran_as_another_role(gateway, cli):
    """The approval's preview ran as the preview role (the providers' credential updates left
    out of its fingerprint); the up's own check runs as the same, then the up as the deploy
    role: the change set is the approved one and it is applied."""
    approved = gateway.preview("dev")
    assert {s.type for s in approved.steps}.isdisjoint(
        {"pulumi:providers:aws", "pulumi:providers:kubernetes"}
    )
    done = gateway.up("dev", expect=approved.fingerprint)
    assert done.expected == approved.fingerprint
    ups = [r for r in cli.records() if "up" in r["argv"]]
    assert [r.get("providerRoleEnv") for r in ups] == ["deploy"]
