"""The approval gate: nothing changes a protected stack without a reviewed, unexpired approval of
exactly the change that will run.

1. A persona that wants to change a protected stack submits a `Proposal`: the preview's change
   summary and steps, the policy gate's verdicts, the cost delta where it is known, and who asks
   for what. Its `digest` is a SHA-256 over all of that except timestamps.
2. The Master-Architect reviews it under written rules (`review`): no mandatory violation; no delete
   or replace of a stateful resource (databases, keys, buckets, secrets, the trail) without a
   human; a monthly cost increase under the threshold; the operation within the requesting
   persona's scope. The verdict is `approved`, `rejected`, or `needs-human` (pending).
3. A human settles a pending request with `python -m agents approve|reject ID`.
4. `up` re-runs the preview, builds the proposal again, and `consume` accepts the approval only if
   its signature is intact, it is approved, unexpired, unused, for the same stack, persona and
   operation, and its digest equals the new proposal's: a plan that changed after review is
   refused.

Records live in `<state_dir>/approvals/<id>.json`, each signed with HMAC-SHA256 under a key kept in
`<state_dir>/approval.key` (created 0600 on first use): editing a record by hand breaks its
signature. Every decision is also a line of the audit log.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agents import AgentsError, InputError
from agents.audit import AuditLog
from agents.export import write_atomic

# Resource types whose deletion or replacement loses data or access: a human must approve.
STATEFUL_TYPES = frozenset(
    {
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:secretsmanager/secret:Secret",
        "aws:cloudtrail/trail:Trail",
        "aws:dynamodb/table:Table",
        "aws:ebs/volume:Volume",
        "aws:efs/fileSystem:FileSystem",
        "aws:cloudwatch/logGroup:LogGroup",
    }
)
DESTRUCTIVE_OPS = frozenset(
    {"delete", "replace", "create-replacement", "delete-replaced", "discard", "discard-replaced"}
)


class ApprovalError(AgentsError):
    """An approval was refused; the message says why."""


class UnknownApproval(InputError):
    """No approval request with that id."""


@dataclass(frozen=True)
class Change:
    op: str  # create | update | delete | replace | same | ...
    urn: str
    type: str


@dataclass(frozen=True)
class Proposal:
    stack: str
    persona: str
    operation: str
    changes: tuple[Change, ...]
    summary: Mapping[str, int]
    violations: tuple[Mapping[str, Any], ...] = ()
    cost_delta_usd: float | None = None

    def canonical(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "persona": self.persona,
            "operation": self.operation,
            "changes": sorted([c.op, c.urn, c.type] for c in self.changes if c.op != "same"),
            "summary": {k: v for k, v in sorted(self.summary.items()) if k != "same"},
            "violations": sorted(
                [
                    v.get("policyPack", ""),
                    v.get("policyName", ""),
                    v.get("urn", ""),
                    v.get("enforcementLevel", ""),
                ]
                for v in self.violations
            ),
            "costDeltaUsd": None
            if self.cost_delta_usd is None
            else round(float(self.cost_delta_usd), 2),
        }

    @property
    def digest(self) -> str:
        blob = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Proposal:
        return cls(
            stack=data["stack"],
            persona=data["persona"],
            operation=data["operation"],
            changes=tuple(Change(**c) for c in data.get("changes", [])),
            summary=dict(data.get("summary", {})),
            violations=tuple(data.get("violations", [])),
            cost_delta_usd=data.get("cost_delta_usd"),
        )


@dataclass(frozen=True)
class Review:
    verdict: str  # approved | rejected | needs-human
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReviewRules:
    """The reviewer's written rules, with the thresholds from settings."""

    max_cost_delta_usd: float
    stateful_types: frozenset[str] = STATEFUL_TYPES


def review(proposal: Proposal, rules: ReviewRules, allowed: Iterable[tuple[str, str]]) -> Review:
    """The Master-Architect's review. `allowed` is the requesting persona's (stack, operation)
    scope. Rejections win over escalations; every reason is listed."""
    rejected: list[str] = []
    human: list[str] = []
    if (proposal.stack, proposal.operation) not in set(allowed):
        rejected.append(f"{proposal.persona} may not {proposal.operation} stack {proposal.stack}")
    mandatory = [v for v in proposal.violations if v.get("enforcementLevel") == "mandatory"]
    for v in mandatory:
        rejected.append(f"mandatory policy {v.get('policyName')} violated by {v.get('urn')}")
    for c in proposal.changes:
        if c.op in DESTRUCTIVE_OPS and c.type in rules.stateful_types:
            human.append(
                f"{c.op} of stateful {c.type} {c.urn.rsplit('::', 1)[-1]} needs a human's approval"
            )
    if proposal.cost_delta_usd is not None and proposal.cost_delta_usd > rules.max_cost_delta_usd:
        human.append(
            f"monthly cost rises by ${proposal.cost_delta_usd:,.2f}, over the "
            f"${rules.max_cost_delta_usd:,.2f} the reviewer may approve"
        )
    if rejected:
        return Review("rejected", tuple(rejected + human))
    if human:
        return Review("needs-human", tuple(human))
    return Review(
        "approved",
        (
            "no mandatory violation, no stateful delete or replace, cost "
            "delta within the threshold, within the persona's scope",
        ),
    )


@dataclass
class ApprovalRecord:
    id: str
    proposal: dict[str, Any]
    digest: str
    status: str  # pending | approved | rejected | consumed
    reasons: list[str]
    requested_at: str
    expires_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    consumed_at: str | None = None
    signature: str = field(default="")

    @property
    def expired(self) -> bool:
        return _now() >= datetime.datetime.fromisoformat(self.expires_at)

    def body(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("signature")
        return data


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class ApprovalStore:
    """Signed approval records in the state folder."""

    def __init__(self, state_dir: Path, audit: AuditLog, ttl_s: float) -> None:
        self.dir = state_dir / "approvals"
        self.key_file = state_dir / "approval.key"
        self.audit = audit
        self.ttl_s = ttl_s

    def _key(self) -> bytes:
        try:
            return bytes.fromhex(self.key_file.read_text().strip())
        except FileNotFoundError:
            self.key_file.parent.mkdir(parents=True, exist_ok=True)
            key = secrets.token_hex(32)
            fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(key + "\n")
            return bytes.fromhex(key)

    def _sign(self, record: ApprovalRecord) -> str:
        blob = json.dumps(record.body(), sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self._key(), blob, hashlib.sha256).hexdigest()

    def _save(self, record: ApprovalRecord) -> None:
        record.signature = self._sign(record)
        write_atomic(
            self.dir / f"{record.id}.json",
            json.dumps(asdict(record), indent=2, sort_keys=True) + "\n",
        )

    def load(self, approval_id: str) -> ApprovalRecord:
        if not approval_id.replace("-", "").isalnum():
            raise UnknownApproval(f"'{approval_id}' is not an approval id")
        path = self.dir / f"{approval_id}.json"
        try:
            data = json.loads(path.read_text())
            record = ApprovalRecord(**data)
        except FileNotFoundError:
            raise UnknownApproval(f"no approval request {approval_id}") from None
        except (json.JSONDecodeError, TypeError) as exc:
            raise ApprovalError(f"approval {approval_id} is unreadable ({exc}): refused") from exc
        if not hmac.compare_digest(record.signature, self._sign(record)):
            self.audit.append("approval.tampered", approval=approval_id)
            raise ApprovalError(f"approval {approval_id} was altered after it was signed: refused")
        return record

    def all(self) -> list[ApprovalRecord]:
        found = []
        for path in sorted(self.dir.glob("*.json")):
            try:
                found.append(self.load(path.stem))
            except ApprovalError:
                continue
        return found

    def submit(self, proposal: Proposal, verdict: Review, reviewer: str) -> ApprovalRecord:
        now = _now()
        status = {"approved": "approved", "rejected": "rejected"}.get(verdict.verdict, "pending")
        record = ApprovalRecord(
            id=f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
            proposal={**asdict(proposal), "changes": [asdict(c) for c in proposal.changes]},
            digest=proposal.digest,
            status=status,
            reasons=list(verdict.reasons),
            requested_at=now.isoformat(),
            expires_at=(now + datetime.timedelta(seconds=self.ttl_s)).isoformat(),
            decided_by=reviewer if status != "pending" else None,
            decided_at=now.isoformat() if status != "pending" else None,
        )
        self._save(record)
        self.audit.append(
            "approval.reviewed",
            approval=record.id,
            stack=proposal.stack,
            persona=proposal.persona,
            operation=proposal.operation,
            verdict=verdict.verdict,
            reasons=list(verdict.reasons),
            digest=proposal.digest,
            reviewer=reviewer,
        )
        return record

    def decide(
        self, approval_id: str, *, approve: bool, by: str, reason: str = ""
    ) -> ApprovalRecord:
        """A human's decision on a request (only pending ones can be decided)."""
        record = self.load(approval_id)
        if record.status != "pending":
            raise ApprovalError(f"approval {approval_id} is {record.status}, not pending")
        record.status = "approved" if approve else "rejected"
        record.decided_by = by
        record.decided_at = _now().isoformat()
        if reason:
            record.reasons.append(reason)
        self._save(record)
        self.audit.append(
            "approval.decided",
            approval=approval_id,
            by=by,
            status=record.status,
            reason=reason,
            stack=record.proposal.get("stack"),
        )
        return record

    def consume(self, approval_id: str, proposal: Proposal) -> ApprovalRecord:
        """Use an approval for the change about to run; refused unless everything matches."""
        record = self.load(approval_id)

        def refuse(why: str) -> ApprovalError:
            self.audit.append(
                "approval.refused",
                approval=approval_id,
                stack=proposal.stack,
                persona=proposal.persona,
                operation=proposal.operation,
                why=why,
            )
            return ApprovalError(f"approval {approval_id} refused: {why}")

        if record.status != "approved":
            raise refuse(f"it is {record.status}")
        if _now() >= datetime.datetime.fromisoformat(record.expires_at):
            raise refuse(f"it expired at {record.expires_at}")
        for key in ("stack", "persona", "operation"):
            if record.proposal.get(key) != getattr(proposal, key):
                raise refuse(
                    f"it was given for {key} {record.proposal.get(key)!r}, not "
                    f"{getattr(proposal, key)!r}"
                )
        if record.digest != proposal.digest:
            raise refuse(
                "the plan changed after it was reviewed (digest "
                f"{record.digest[:12]} reviewed, {proposal.digest[:12]} now)"
            )
        record.status = "consumed"
        record.consumed_at = _now().isoformat()
        self._save(record)
        self.audit.append(
            "approval.consumed",
            approval=approval_id,
            stack=proposal.stack,
            persona=proposal.persona,
            digest=proposal.digest,
        )
        return record


def pending(records: Sequence[ApprovalRecord]) -> list[ApprovalRecord]:
    return [r for r in records if r.status == "pending"]
