"""The skill registry: every persona's skills resolve to an implementation its IAM role can run;
inputs are validated before anything runs; every result stays within its token budget."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

from agents.protocol.audit import AuditLog
from agents.protocol.settings import AgentSettings
from agents.skills import tokens
from agents.skills.registry import SKILLS, SkillContext, SkillInputError, skill
from baseline.personas import load_personas
from policies.iam_documents import action_matches
from tests.agents.protocol.locks.support import AWS_ENV
from tests.agents.runtime.test_runner import FakeGateway


def test_every_persona_skill_has_an_implementation():
    for p in load_personas():
        missing = [s for s in p.skills if s not in SKILLS]
        assert not missing, f"persona {p.name}: skills without an implementation: {missing}"


def test_no_persona_is_given_a_skill_its_role_cannot_run():
    for p in load_personas():
        allowed = [a for s in p.policy_statements if s.effect == "Allow" for a in s.actions]
        for name in p.skills:
            for action in SKILLS[name].permissions:
                assert any(action_matches(pattern, action) for pattern in allowed), (
                    f"persona {p.name}: skill {name} calls {action}, which its IAM role "
                    "does not allow"
                )


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    return SkillContext(settings=AgentSettings(state_dir=state), gateway=FakeGateway)


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"stack": "../prod"}, "stack"),
        ({"stack": "dev", "rm": True}, "rm"),
        ({"stack": "dev", "budget": 10}, "budget"),
        ({"stack": "dev", "source": "cache"}, "source"),
        ({"stack": 7}, "stack"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(context, arguments, problem):
    with pytest.raises(SkillInputError, match=problem):
        skill("plan").call(arguments, context)


def test_an_unknown_skill_is_one_line():
    with pytest.raises(Exception, match="unknown skill 'deploy'"):
        skill("deploy")


@pytest.mark.parametrize("name", ["plan", "policy-gate", "cost-estimate", "summarize-infra"])
@pytest.mark.parametrize("budget", [120, 400, None])
def test_stack_skills_answer_within_their_budget(context, name, budget):
    args = {"stack": "dev"} | ({"budget": budget} if budget else {})
    try:
        result = skill(name).call(args, context)
    except tokens.BudgetError:
        # A budget below the skill's header plus its data fence is refused, never overrun.
        assert budget in (120, 400) and (budget == 120 or name == "summarize-infra")
        return
    assert result.tokens == tokens.count(result.text) <= (budget or SKILLS[name].budget)
    assert "dev" in result.text
    json.dumps(result.to_json())


def test_the_summary_skill_names_the_violation_and_cost(context):
    result = skill("summarize-infra").call({"stack": "dev"}, context)
    assert "cost: $" in result.text and "policy violations" in result.text


def test_history_and_drift_go_through_the_gateway(context):
    calls: list = []

    class Recording(FakeGateway):
        def history(self, stack, limit=10):
            calls.append(("history", stack, limit))
            return super().history(stack, limit)

    ctx = SkillContext(settings=context.settings, gateway=Recording)
    history = skill("stack-history").call({"stack": "prod", "limit": 3}, ctx)
    assert calls == [("history", "prod", 3)] and "v3 update succeeded" in history.text
    drift = skill("drift-check").call({"stack": "prod"}, ctx)
    assert "drift on prod" in drift.text


def test_audit_and_lock_skills_read_the_state_folder(context):
    AuditLog(context.settings.audit_log).append("request", stack="dev", persona="x")
    audit = skill("audit-log").call({"stack": "dev"}, context)
    assert "event=request" in audit.text and audit.data["records"][0]["persona"] == "x"
    lock = skill("stack-lock").call({"stack": "dev"}, context)
    # The text comes fenced as data (toolchain.untrusted.fence).
    assert lock.text.splitlines()[1:-1] == ["stack dev: free"] and lock.data["holder"] is None
    assert lock.text.startswith("<<DATA-") and lock.text.splitlines()[-1].startswith("<<end DATA-")


def test_memory_skill_on_an_empty_and_a_filled_memory(context):
    from agents.skills.memory import Memory  # noqa: PLC0415

    empty = skill("search-memory").call({"query": "nat cost"}, context)
    assert "nothing indexed yet" in empty.text
    with Memory(context.settings.state_dir / "memory.sqlite") as memory:
        memory.add(
            "incident",
            "NAT gateway data processing doubled after the log shipper moved to the public API",
            source="cli",
            time="2026-11-01T00:00:00+00:00",
            stack="prod",
        )
    hit = skill("search-memory").call({"query": "NAT data processing", "budget": 200}, context)
    assert "NAT gateway" in hit.text and hit.tokens <= 200


def test_logs_skill_clusters_inline_text_and_a_cloudwatch_group(context, monkeypatch):
    lines = [
        f"2026-11-29T10:00:{i:02d}Z ERROR db timeout after {i}ms host=10.0.0.{i}" for i in range(30)
    ]
    inline = skill("analyze-logs").call({"text": "\n".join(lines)}, context)
    assert inline.data["lines_read"] == 30 if "lines_read" in inline.data else True
    assert "timeout" in inline.text
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        import boto3  # noqa: PLC0415

        logs = boto3.client("logs", region_name="us-east-1")
        logs.create_log_group(logGroupName="/aws/eks/prod/app")
        logs.create_log_stream(logGroupName="/aws/eks/prod/app", logStreamName="s")
        import time  # noqa: PLC0415

        now = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName="/aws/eks/prod/app",
            logStreamName="s",
            logEvents=[{"timestamp": now - 1000 + i, "message": m} for i, m in enumerate(lines)],
        )
        ctx = SkillContext(
            settings=context.settings,
            client=lambda service, region: boto3.client(service, region_name="us-east-1"),
        )
        result = skill("analyze-logs").call({"group": "/aws/eks/prod/app", "minutes": 5}, ctx)
    assert "timeout" in result.text
    with pytest.raises(SkillInputError, match="exactly one"):
        skill("analyze-logs").call({}, context)


@pytest.mark.slow
def test_backup_and_alarm_skills_read_the_stacks_region_on_moto(context, monkeypatch):
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        import boto3  # noqa: PLC0415

        regions: list = []

        def client(service, region):
            regions.append((service, region))
            return boto3.client(service, region_name=region)

        rds = boto3.client("rds", region_name="us-east-1")
        rds.create_db_instance(
            DBInstanceIdentifier="baseline-dev",
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password-1",
            AllocatedStorage=20,
            BackupRetentionPeriod=7,
            StorageEncrypted=True,
            Tags=[{"Key": "stack", "Value": "dev"}],
        )
        ctx = SkillContext(settings=context.settings, client=client)
        backups = skill("backup-check").call({"stack": "dev", "budget": 400}, ctx)
        alarms = skill("alarm-status").call({"stack": "dev"}, ctx)
    assert "baseline-dev" in backups.text and backups.tokens <= 400
    assert ("rds", "us-east-1") in regions and ("cloudwatch", "us-east-1") in regions
    assert alarms.data["stack"] == "dev"


def test_export_files_are_read_by_path_only_through_a_reader(context):
    # The registry never opens a path itself: the MCP server gives the context its reader
    # (agents.mcp.exports, only inside AGENTS_MCP_EXPORT_DIRS).
    with pytest.raises(SkillInputError, match="only over MCP"):
        skill("cost-estimate").call({"export": "/etc/passwd"}, context)
    with pytest.raises(SkillInputError, match="give stack or export"):
        skill("summarize-infra").call({}, context)


DIGIT_CASES = [("3", True), ("03", True), ("3.0", False), ("\u0663", False), ("+3", False),
               (True, False)]  # fmt: skip


@pytest.mark.parametrize(("limit", "ok"), DIGIT_CASES)
def test_whole_numbers_may_come_as_strings_of_ascii_digits(context, limit, ok):
    arguments = {"stack": "prod", "limit": limit}
    if ok:
        assert skill("stack-history").call(arguments, context).data["stack"] == "prod"
    else:
        with pytest.raises(SkillInputError, match="limit"):
            skill("stack-history").call(arguments, context)


def test_an_unknown_stack_names_the_known_ones_and_no_path(context):
    with pytest.raises(SkillInputError) as refused:
        skill("plan").call({"stack": "nope"}, context)
    assert str(refused.value) == "unknown stack 'nope' (known: dev, prod)"
