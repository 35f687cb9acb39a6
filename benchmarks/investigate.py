"""Tokens an investigation sends (`agents.skills.investigate`) beside pasting the raw inputs, on
ten scripted incidents whose cause is known.

Each incident is made from one of the repository's chaos scenarios (`tests/chaos/run.py`: a
failing CLI, a full disk, the lock table paused, SIGKILL during `up`; the FIS templates of
`components/fis.py`: a spot interruption, an AZ's network lost, a database failover) or the
routines' moto fixtures (`tests/agents/test_routines.py`: etcd timeouts in the cluster log, an
unencrypted database, backups kept one day), laid into moto (CloudWatch Logs groups with the
incident's lines among 3,000 lines of ordinary traffic, CloudWatch alarms, RDS instances) or into
the agents' audit log (among 400 records of ordinary passes). The subject is the finding a
routine would record for it.

The model is a recording (`Scripted`): per incident, the tool calls an investigator would make
and its final answer, written by hand for the known cause (they are not a model's output: the
benchmark measures the tokens of the loop, the skills and the budgets, not a model's judgement).
Every tool call runs the real skill against the incident's data, and every request is counted
as the OpenAI-compatible endpoint would be sent it (system prompt, the tool schemas, the
conversation so far; o200k). "naive" is the o200k count of the finding plus every raw input the
incident involves, pasted as they are: the log groups' lines, the `DescribeAlarms` /
`DescribeAlarmHistory` / `DescribeDBInstances` answers as JSON, the audit log's lines. "named"
says whether the investigation concluded and its recorded cause names the known one.

Run: `.venv/bin/python -m benchmarks.investigate [--budget N] [--json]`.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolchain.inputs import OneLineParser

REGION = "us-east-1"
NOISE_LINES = 3_000
AUDIT_NOISE = 400


@dataclass
class Incident:
    name: str
    source: str  # the chaos scenario or moto fixture it is made from
    finding: dict[str, Any]  # kind, severity, resource, summary, evidence
    cause: str  # a phrase the recorded cause must contain
    logs: dict[str, list[str]] = field(default_factory=dict)  # group -> the incident's lines
    alarms: list[str] = field(default_factory=list)  # alarm roles in ALARM
    rds: dict[str, Any] | None = None  # create_db_instance overrides
    audit: list[dict[str, Any]] = field(default_factory=list)  # the incident's audit records
    calls: list[list[tuple[str, dict[str, Any]]]] = field(default_factory=list)  # per turn
    answer: dict[str, Any] = field(default_factory=dict)


def _cluster(group: str) -> dict[str, Any]:
    return {"group": group, "region": REGION, "minutes": 60}


EKS, PLATFORM, WORKLOADS = (
    "/aws/eks/baseline-dev/cluster",
    "/aws/eks/baseline-dev/platform",
    "/aws/eks/baseline-dev/workloads",
)
PG = "/aws/rds/instance/baseline-dev/postgresql"


def _answer(cause: str, evidence: list[tuple[str, str]], change: str) -> dict[str, Any]:
    return {
        "cause": cause,
        "confidence": "high",
        "evidence": [{"result": r, "fact": f} for r, f in evidence],
        "proposed_change": change,
    }


INCIDENTS = [
    Incident(
        "etcd-timeouts",
        "moto fixture: test_observability_finds_new_growing_and_gone_error_clusters",
        {"kind": "logs.errors", "severity": "high", "resource": "etcd request timed out",
         "summary": f"new: 40 error lines in {EKS}"},
        "etcd",
        logs={EKS: [f"E1129 etcd request timed out key=/registry/pods/default/api-{i}"
                    for i in range(40)]},
        calls=[[("analyze-logs", _cluster(EKS))]],
        answer=_answer("The API server's etcd requests time out: etcd is slow (disk latency or "
                       "an overloaded control plane).",
                       [("c1-1", "40 'etcd request timed out' errors in the last hour")],
                       "open a case on the EKS control plane; check request volume"),
    ),
    Incident(
        "spot-interruption",
        "FIS template: spot interruption (components/fis.py)",
        {"kind": "alarm.firing", "severity": "high", "resource": "baseline-dev-cluster-pending",
         "summary": "baseline-dev-cluster-pending in ALARM: pods unschedulable"},
        "spot interruption",
        logs={PLATFORM: [f"karpenter: received spot interruption warning for node "
                         f"ip-10-0-1-{i}.ec2.internal, cordoning and draining" for i in range(12)]
              + [f"evicted pod default/api-{i} from ip-10-0-1-{i % 12}.ec2.internal"
                 for i in range(30)]},
        alarms=["cluster-pending"],
        calls=[[("alarm-status", {"stack": "dev"}), ("analyze-logs", _cluster(PLATFORM))]],
        answer=_answer("A spot interruption reclaimed workload nodes; their pods were evicted "
                       "and wait for replacement capacity.",
                       [("c1-1", "the pending-pods alarm is in ALARM"),
                        ("c1-2", "12 spot interruption warnings, 30 evictions")],
                       "keep an on-demand floor of one node in dev's workload group"),
    ),
    Incident(
        "az-network-loss",
        "FIS template: AZ network loss (components/fis.py)",
        {"kind": "alarm.firing", "severity": "high", "resource": "baseline-dev-nat-0-packet-drops",
         "summary": "baseline-dev-nat-0-packet-drops in ALARM"},
        "network",
        logs={WORKLOADS: [f"dial tcp 10.0.3.{i}:5432: i/o timeout" for i in range(50)]},
        alarms=["nat-0-packet-drops"],
        calls=[[("alarm-status", {"stack": "dev"}), ("analyze-logs", _cluster(WORKLOADS))]],
        answer=_answer("An availability zone lost its network: the single NAT gateway drops "
                       "packets and connections to 10.0.3.0/24 time out.",
                       [("c1-1", "the NAT packet-drop alarm fires"),
                        ("c1-2", "50 i/o timeouts to 10.0.3.x")],
                       "dev accepts one NAT gateway; none for dev, per-AZ NAT stays in prod"),
    ),
    Incident(
        "db-failover",
        "FIS template: RDS failover (components/fis.py)",
        {"kind": "logs.errors", "severity": "high", "resource": "connection reset by peer",
         "summary": f"new: 60 error lines in {WORKLOADS}"},
        "failed over",
        logs={WORKLOADS: [f"psycopg.OperationalError: server closed the connection unexpectedly "
                          f"(conn {i})" for i in range(60)],
              PG: ["LOG:  database system is shut down", "LOG:  database system is ready to "
                   "accept connections", "LOG:  received fast shutdown request"]},
        calls=[[("analyze-logs", _cluster(WORKLOADS)), ("analyze-logs", _cluster(PG))]],
        answer=_answer("The database failed over: the server restarted and closed every "
                       "client connection.",
                       [("c1-1", "60 'server closed the connection' errors"),
                        ("c1-2", "shutdown then ready in the PostgreSQL log")],
                       "retry transient connection errors in the clients"),
    ),
    Incident(
        "backup-unencrypted",
        "moto fixture: test_data_steward_finds_an_unencrypted_database",
        {"kind": "backup.unencrypted", "severity": "high", "resource": "baseline-dev",
         "summary": "baseline-dev is not encrypted at rest, nor are its backups"},
        "not encrypted",
        rds={"StorageEncrypted": False, "BackupRetentionPeriod": 7},
        calls=[[("backup-check", {"stack": "dev"})]],
        answer=_answer("The instance was created not encrypted at rest, so its backups are not "
                       "encrypted either.",
                       [("c1-1", "baseline-dev: encrypted false")],
                       "restore a snapshot copy encrypted with the stack's key, then switch"),
    ),
    Incident(
        "backup-retention-low",
        "moto fixture: test_data_steward (retention 1 day)",
        {"kind": "backup.retention-low", "severity": "medium", "resource": "baseline-dev",
         "summary": "baseline-dev keeps automated backups 1 days, below the minimum of 7"},
        "retention",
        rds={"StorageEncrypted": True, "BackupRetentionPeriod": 1},
        calls=[[("backup-check", {"stack": "dev"})]],
        answer=_answer("Backup retention was set to 1 day outside the program (drift from "
                       "dbBackupRetentionDays).",
                       [("c1-1", "retention 1 day")],
                       "refresh the stack so dbBackupRetentionDays (3+) applies again"),
    ),
    Incident(
        "disk-full",
        "chaos: the state folder's disk filled up",
        {"kind": "operation.refused", "severity": "high", "resource": "dev",
         "summary": "operations refused: state folder probe failed"},
        "disk",
        audit=[{"event": "state.reserve-used", "stack": "dev"}]
        + [{"event": "operation.refused", "stack": "dev", "persona": "reliability-engineer",
            "operation": "preview", "reason": "state probe: [Errno 28] No space left on device"}
           for _ in range(6)],
        calls=[[("audit-log", {"stack": "dev", "limit": 20})]],
        answer=_answer("The agents' state folder's disk is full: the probe fails with ENOSPC "
                       "and the reserve was used.",
                       [("c1-1", "No space left on device; state.reserve-used")],
                       "grow the state volume and alert on its free space"),
    ),
    Incident(
        "failing-cli",
        "chaos: a failing Pulumi CLI",
        {"kind": "breaker.open", "severity": "high", "resource": "dev/preview",
         "summary": "breaker dev/preview open after 3 failures"},
        "breaker",
        audit=[{"event": "operation.failed", "stack": "dev", "persona": "security-auditor",
                "operation": "preview", "error": "pulumi exited 255: error: failed to load "
                "plugin aws: exec format error"} for _ in range(3)]
        + [{"event": "breaker.opened", "stack": "dev", "operation": "preview"}],
        calls=[[("audit-log", {"stack": "dev", "limit": 20})]],
        answer=_answer("The Pulumi CLI fails on every preview (its aws plugin binary is for "
                       "another architecture), so the breaker opened after 3 failures.",
                       [("c1-1", "3 failures 'exec format error', then breaker.opened")],
                       "pin the plugin for arm64 in the image"),
    ),
    Incident(
        "lock-table-paused",
        "chaos: the DynamoDB lock table's server paused",
        {"kind": "operation.refused", "severity": "high", "resource": "dev",
         "summary": "operations refused: lock backend unreachable"},
        "lock table",
        audit=[{"event": "operation.refused", "stack": "dev", "persona": "cost-optimizer",
                "operation": "preview", "reason": "lock table baseline-agent-locks in us-east-1 "
                "unreachable: ReadTimeoutError"} for _ in range(5)],
        calls=[[("audit-log", {"stack": "dev", "limit": 20}), ("stack-lock", {"stack": "dev"})]],
        answer=_answer("The DynamoDB lock table stopped answering (read timeouts), so every "
                       "operation was refused.",
                       [("c1-1", "5 refusals: lock table unreachable"),
                        ("c1-2", "the stack is free now")],
                       "none: refused as designed; alarm on the table's latency"),
    ),
    Incident(
        "sigkill-during-up",
        "chaos: SIGKILL of a running agent during up",
        {"kind": "operation.interrupted", "severity": "high", "resource": "dev",
         "summary": "an up on dev was interrupted; the lease was taken over"},
        "killed",
        audit=[{"event": "operation.started", "stack": "dev", "persona": "release-engineer",
                "operation": "up", "token": 41},
               {"event": "lease.takeover", "stack": "dev", "persona": "reliability-engineer",
                "previous_token": 41, "reason": "holder pid 4242 gone, lease expired"}],
        calls=[[("audit-log", {"stack": "dev", "limit": 20})]],
        answer=_answer("The release engineer was killed during up (its process is gone); the "
                       "lease expired and was taken over.",
                       [("c1-1", "up started with token 41, then lease.takeover: pid gone")],
                       "re-run up; `pulumi cancel` if Pulumi's own lock stayed"),
    ),
]  # fmt: skip


# -- laying an incident out -----------------------------------------------------------------------
def _noise(i: int) -> str:
    return (
        f"I1129 10:{i // 60 % 60:02d}:{i % 60:02d} http GET /api/v1/items/{i} 200 "
        f"{12 + i % 40}ms ua=kube-probe/1.31"
    )


def lay_out(incident: Incident, state: Path) -> str:
    """Put the incident's data into moto and the audit log; the raw inputs as pasted text."""
    import boto3  # noqa: PLC0415

    from agents.protocol.audit import AuditLog  # noqa: PLC0415

    raw: list[str] = []
    now = int(time.time() * 1000)
    logs = boto3.client("logs", region_name=REGION)
    for group, lines in incident.logs.items():
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        mixed = [_noise(i) for i in range(NOISE_LINES)]
        step = max(1, NOISE_LINES // max(1, len(lines)))
        for k, line in enumerate(lines):
            mixed.insert(k * step + k, line)
        for start in range(0, len(mixed), 5000):
            logs.put_log_events(
                logGroupName=group,
                logStreamName="s",
                logEvents=[
                    {"timestamp": now - 600_000 + start + i, "message": m}
                    for i, m in enumerate(mixed[start : start + 5000])
                ],
            )
        raw.append("\n".join(mixed))
    if incident.alarms:
        cw = boto3.client("cloudwatch", region_name=REGION)
        for role in ("database-cpu", "database-storage", "cluster-5xx", *incident.alarms):
            cw.put_metric_alarm(
                AlarmName=f"baseline-dev-{role}",
                AlarmDescription=f"[dev] {role}",
                MetricName="M",
                Namespace="N",
                Statistic="Average",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanThreshold",
            )
        for role in incident.alarms:
            cw.set_alarm_state(
                AlarmName=f"baseline-dev-{role}",
                StateValue="ALARM",
                StateReason=f"Threshold Crossed: 3 datapoints were greater than the threshold "
                f"({role})",
            )
        raw.append(json.dumps(cw.describe_alarms(), default=str))
        raw.append(_CloudWatch(cw, incident.alarms).history_json())
    if incident.rds is not None:
        rds = boto3.client("rds", region_name=REGION)
        rds.create_db_instance(
            DBInstanceIdentifier="baseline-dev",
            DBInstanceClass="db.t4g.medium",
            Engine="postgres",
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password-1",
            AllocatedStorage=20,
            **incident.rds,
        )
        raw.append(json.dumps(rds.describe_db_instances(), default=str))
    audit = AuditLog(state / "audit.jsonl")
    for i in range(AUDIT_NOISE):
        stack = ("dev", "prod")[i % 2]
        audit.append(
            "operation.done",
            stack=stack,
            persona="observability-engineer",
            operation="preview",
            token=i,
            seconds=4.2,
        )
    for record in incident.audit:
        audit.append(**record)
    if incident.audit:
        raw.append((state / "audit.jsonl").read_text())
    return "\n".join(raw)


class _CloudWatch:
    """moto's CloudWatch, with the one call moto lacks (`DescribeAlarmHistory`) answered from
    the alarms' state changes the incident made (as `tests/agents/skills/test_alarms.py` stubs
    it)."""

    def __init__(self, client: Any, alarms: list[str]) -> None:
        self.client, self.alarms = client, alarms

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get_paginator(self, name: str) -> Any:
        if name != "describe_alarm_history":
            return self.client.get_paginator(name)
        alarms = self.alarms

        class History:
            def paginate(self, AlarmName: str, **_: Any) -> list[dict[str, Any]]:
                fired = AlarmName.removeprefix("baseline-dev-") in alarms
                items = [
                    {
                        "AlarmName": AlarmName,
                        "Timestamp": datetime.datetime.now(datetime.UTC),
                        "HistoryItemType": "StateUpdate",
                        "HistorySummary": "Alarm updated from OK to ALARM",
                    }
                ]
                return [{"AlarmHistoryItems": items if fired else []}]

        return History()

    def history_json(self) -> str:
        return json.dumps(
            [p for a in self.alarms for p in self.get_paginator("describe_alarm_history")
             .paginate(AlarmName=f"baseline-dev-{a}")],
            default=str,
        )  # fmt: skip


def _clients(incident: Incident) -> Callable[[str, str | None], Any]:
    import boto3  # noqa: PLC0415

    def make(service: str, region: str | None) -> Any:
        client = boto3.client(service, region_name=region)
        return _CloudWatch(client, incident.alarms) if service == "cloudwatch" else client

    return make


def replies(incident: Incident) -> list[Any]:
    from agents.skills.investigate import Reply, ToolCall  # noqa: PLC0415

    out: list[Any] = []
    for turn, calls in enumerate(incident.calls, 1):
        out.append(
            Reply(
                "",
                tuple(
                    ToolCall(f"c{turn}-{k}", name, args) for k, (name, args) in enumerate(calls, 1)
                ),
                "tool_use",
                "tool_calls",
            )
        )
    out.append(Reply(json.dumps(incident.answer), (), "end", "stop"))
    return out


def run_one(incident: Incident, budget: int, tool_budget: int) -> dict[str, Any]:
    from moto import mock_aws  # noqa: PLC0415

    from agents.protocol.audit import AuditLog  # noqa: PLC0415
    from agents.protocol.settings import AgentSettings  # noqa: PLC0415
    from agents.skills import investigate as inv  # noqa: PLC0415
    from agents.skills import tokens  # noqa: PLC0415
    from agents.skills.registry import SkillContext  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder, mock_aws():
        state = Path(folder) / "state"
        settings = AgentSettings(state_dir=state)
        raw = lay_out(incident, state)
        brief = json.dumps({"id": 1, "stack": "dev", "persona": "routine", **incident.finding})
        subject = inv.Subject(
            "finding", "finding#1", "dev", incident.finding["resource"], "high", brief
        )
        model = inv.Scripted(replies(incident))
        box = inv.Toolbox(inv.read_only_skills(), SkillContext(settings, client=_clients(incident)))
        started = time.perf_counter()
        out = inv.investigate(
            subject,
            model,
            box,
            inv.Limits(budget=budget, tool_budget=tool_budget),
            AuditLog(state / "audit-investigations.jsonl"),
        )
        seconds = time.perf_counter() - started
    naive = tokens.count(brief) + tokens.count(raw)
    named = (
        out.status == "concluded"
        and out.conclusion is not None
        and incident.cause in out.conclusion.cause.lower()
    )
    return {
        "incident": incident.name,
        "source": incident.source,
        "status": out.status if out.reason is None else f"{out.status} ({out.reason})",
        "turns": out.turns,
        "tools": [r.call.name for r in out.tools],
        "sent": out.tokens_sent,
        "received": out.tokens_received,
        "naive": naive,
        "ratio": round(naive / out.tokens_sent, 1) if out.tokens_sent else None,
        "named": named,
        "seconds": round(seconds, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--budget", type=int, default=20_000, help="tokens per investigation")
    parser.add_argument("--tool-budget", type=int, default=1_500, help="tokens per tool result")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AGENTS_ALLOW_STATE_IN_TREE": "true",
    }.items():
        os.environ[key] = value
    os.environ.pop("AWS_PROFILE", None)
    rows = [run_one(i, args.budget, args.tool_budget) for i in INCIDENTS]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0 if all(r["named"] for r in rows) else 1
    from tabulate import tabulate  # noqa: PLC0415

    show: Callable[[dict[str, Any]], list[Any]] = lambda r: [  # noqa: E731
        r["incident"],
        r["status"],
        r["turns"],
        ", ".join(r["tools"]),
        r["sent"],
        r["naive"],
        f"{r['ratio']}x",
        "yes" if r["named"] else "NO",
    ]
    print(
        tabulate(
            [show(r) for r in rows],
            headers=["incident", "outcome", "turns", "tools", "tokens sent", "naive paste",
                     "naive/sent", "named cause"],
            tablefmt="github",
        )
    )  # fmt: skip
    sent = sum(r["sent"] for r in rows)
    naive = sum(r["naive"] for r in rows)
    print(
        f"\n{len(rows)} incidents, budget {args.budget}, tool results at most {args.tool_budget}: "
        f"{sent} tokens sent in all (mean {sent // len(rows)}), naive {naive} "
        f"(mean {naive // len(rows)}); causes named {sum(r['named'] for r in rows)}/{len(rows)}"
    )
    return 0 if all(r["named"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
