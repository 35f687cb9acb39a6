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

Records live beside the lock backend (`open_approvals`): `<state_dir>/approvals/<id>.json` with the
file backend, items of the lock table with the DynamoDB backend
(`agents.protocol.approvals_dynamodb`), so
agents on several machines share them. Each is signed with HMAC-SHA256 under one key: the file
`<state_dir>/approval.key` (created 0600 on first use, while no record exists, or by `python -m
agents init-approval-key`), or, required with the DynamoDB backend, the Secrets Manager secret
`AGENTS_APPROVAL_KEY_SECRET` (made only by `init-approval-key`; every persona may read it, none may
create it). Editing a record by hand breaks its signature. Every decision is also a line of the
audit log of the machine that made it.

Failing closed (decisions of issue 9):

- Unknown cost. A proposal whose cost delta is unknown (the estimate failed, so the delta is None,
  or it is not a finite number) is never approved by the reviewer: the verdict is `needs-human`,
  with the reason on the record. Not `rejected`: an unpriced change is not wrong, only unjudged,
  and a human with the plan in front of them can still approve it.
- One terminal decision per request. `decide` (approve or reject) and `consume` are
  compare-and-set operations: read and verify the record, check its status, then write the new
  record only if the stored one still carries the signature that was read (`RecordStore.replace`).
  Files: under an exclusive `fcntl.flock` on `<id>.lock` beside the record, held until the audit
  line is written (a per-record lock: requests are independent, and the lock file never holds
  data, so it cannot be damaged). DynamoDB: a conditional `PutItem` on the signature, and for a
  use a transaction that also creates the request's used marker. A second decision on a decided
  request is refused with one line and an `approval.refused` audit record.
- Single use survives a restored copy: a use is remembered outside the record (the append-only
  audit log's `approval.consumed` line; the table's `used#<id>` item).
- A missing key is never silently replaced: reading and verifying never make a key, and a new
  request makes one only while no record exists (records signed by a lost key would otherwise
  all read as altered). Otherwise `init-approval-key` makes it, by a human's decision.
- The signing key must be a regular file (no symlink), mode 0600 or stricter (no group or world
  bits: `mode & 0o077 == 0`), hex, at least 32 bytes once decoded. An empty, short, unreadable,
  non-hex or group/world-accessible key is refused (`ApprovalError`, one line, and an
  `approval.key-refused` audit record): an empty key would sign and verify anything. A new key is
  written to a temporary file, fsynced and then linked into place, so a full disk or a racing
  process never leaves a half-written key behind.
- HMAC, not asymmetric signatures. The reviewer runs inside the runner's process (it reviews the
  proposal the runner just built) and humans decide through the same command line on the same
  state folder: signer and verifier are the same OS identity, so a private key would sit next to
  its public key and an attacker who can read one can read the other. Asymmetric signatures only
  pay off once the reviewer runs under its own identity with its own key custody (a KMS
  asymmetric key the runner may `Verify` but not `Sign`); until then HMAC with a hardened key is
  as strong and simpler. The check lives in `_sign` alone, so that change stays local.
- Every read validates the record's shape and types (`_parse_record`); a damaged record is never
  used, and `damaged()` lists them for `status` and `python -m agents repair`.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agents import AgentsError, InputError, ToolchainError
from agents.protocol.audit import AuditLog
from agents.protocol.locks.file import FLOCK_TIMEOUT_S, flock_within, keep_damaged
from toolchain.inputs import APPROVAL_ID, write_atomic

if TYPE_CHECKING:
    pass

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
MIN_KEY_BYTES = 32
STATUSES = frozenset({"pending", "approved", "rejected", "consumed"})
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ApprovalError(AgentsError):
    """An approval was refused; the message says why."""


class UnknownApproval(InputError):
    """No approval request with that id."""


@dataclass(frozen=True)
class Change:
    op: str  # create | update | delete | replace | same | ...
    urn: str
    type: str
    # What the change sets, so an approval of "update X" does not pass a different update of X:
    # the properties that change, and a SHA-256 of the resource's new inputs (values are never
    # kept in a proposal: engine events carry inputs a program forgot to mark secret).
    diffs: tuple[str, ...] = ()
    inputs_digest: str = ""


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
            "changes": sorted(
                [c.op, c.urn, c.type, sorted(c.diffs), c.inputs_digest]
                for c in self.changes
                if c.op != "same"
            ),
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
            changes=tuple(
                Change(**{**c, "diffs": tuple(c.get("diffs") or ())})
                for c in data.get("changes", [])
            ),
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
    if not _known_cost(proposal.cost_delta_usd):
        human.append("the monthly cost change could not be estimated; a human must judge it")
    elif proposal.cost_delta_usd is not None and proposal.cost_delta_usd > rules.max_cost_delta_usd:
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


def _known_cost(delta: object) -> bool:
    return (
        isinstance(delta, int | float)
        and not isinstance(delta, bool)
        and math.isfinite(float(delta))
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


class KeySource(Protocol):
    """Where the HMAC signing key lives (see the module docstring)."""

    where: str

    def read(self) -> bytes | None:
        """The validated key; None when there is none yet; `ApprovalError` when unusable."""
        ...

    def create(self) -> bytes:
        """Make a new key (refused when one exists); the key."""
        ...


def validate_key(raw: bytes, refuse: Callable[[str], ApprovalError]) -> bytes:
    """A key as stored (hex text): at least `MIN_KEY_BYTES` bytes once decoded."""
    text = raw.strip()
    if not text:
        raise refuse("is empty")
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise refuse("is not hex") from None
    if len(key) < MIN_KEY_BYTES:
        raise refuse(f"holds {len(key)} bytes, fewer than {MIN_KEY_BYTES}")
    return key


class FileKey:
    """The key as a file (`<state_dir>/approval.key`): regular, mode 0600, hex."""

    def __init__(self, path: Path, audit: AuditLog) -> None:
        self.path = path
        self.where = str(path)
        self.audit = audit

    def refuse(self, why: str) -> ApprovalError:
        return _key_refused(self.audit, self.where, why)

    def read(self) -> bytes | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self.refuse(f"cannot be read ({exc.strerror or exc})") from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self.refuse("is not a regular file")
            if info.st_mode & 0o077:
                raise self.refuse(
                    f"is open to group or others (mode {stat.S_IMODE(info.st_mode):04o}, "
                    "expected 0600)"
                )
            raw = b""
            while chunk := os.read(fd, 4096):
                raw += chunk
                if len(raw) > 64 * 1024:
                    raise self.refuse("is larger than any key")
        except OSError as exc:
            raise self.refuse(f"cannot be read ({exc.strerror or exc})") from exc
        finally:
            os.close(fd)
        return validate_key(raw, self.refuse)

    def create(self) -> bytes:
        """A new random key, written whole or not at all: a temporary file is written and
        fsynced, then hard-linked to the key's name (which fails if another process won)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(MIN_KEY_BYTES)
        fd, tmp = tempfile.mkstemp(prefix=".approval.key.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            _write_all(fd, (key.hex() + "\n").encode())
            os.fsync(fd)
            os.close(fd)
            fd = -1
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                theirs = self.read()  # another process made the key first: use theirs
                if theirs is None:
                    raise self.refuse("vanished while it was being created") from None
                return theirs
        except OSError as exc:
            raise self.refuse(f"could not be created ({exc.strerror or exc})") from exc
        finally:
            if fd >= 0:
                os.close(fd)
            Path(tmp).unlink(missing_ok=True)
        self.audit.append("approval.key-created", path=self.where)
        return key


class SecretsManagerKey:
    """The key as a Secrets Manager secret (`AGENTS_APPROVAL_KEY_SECRET`), for agents on several
    machines: each reads it with `secretsmanager:GetSecretValue`; only `init-approval-key` (a
    human, or the platform's bootstrap) creates it. Mode bits do not apply: who may read it is the
    secret's IAM (and its KMS key's) business."""

    def __init__(self, client: Any, secret_id: str, audit: AuditLog) -> None:
        self.client = client
        self.secret_id = secret_id
        self.where = f"secretsmanager:{secret_id}"
        self.audit = audit

    def refuse(self, why: str) -> ApprovalError:
        return _key_refused(self.audit, self.where, why)

    def read(self) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            value = self.client.get_secret_value(SecretId=self.secret_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                return None
            raise self.refuse(f"cannot be read ({code or exc})") from exc
        except BotoCoreError as exc:
            raise self.refuse(f"cannot be read ({exc})") from exc
        text = value.get("SecretString")
        if not isinstance(text, str):
            raise self.refuse("holds no text (SecretString)")
        return validate_key(text.encode(), self.refuse)

    def create(self) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        key = secrets.token_bytes(MIN_KEY_BYTES)
        try:
            self.client.create_secret(
                Name=self.secret_id,
                SecretString=key.hex(),
                Description="HMAC key that signs the baseline agents' approvals",
                Tags=[{"Key": "project", "Value": "baseline"}],
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceExistsException":
                raise self.refuse("exists already: not replaced") from exc
            raise self.refuse(f"could not be created ({code or exc})") from exc
        except BotoCoreError as exc:
            raise self.refuse(f"could not be created ({exc})") from exc
        self.audit.append("approval.key-created", path=self.where)
        return key


def _key_refused(audit: AuditLog, where: str, why: str) -> ApprovalError:
    with contextlib.suppress(OSError):  # a full disk must not hide the refusal itself
        audit.append("approval.key-refused", path=where, why=why)
    return ApprovalError(
        f"approval key {where} {why}: refused (fix it, or move it aside to make a new key; "
        "existing approvals then need a new decision)"
    )


class _Conflict(Exception):
    """The stored record changed between its read and the compare-and-set."""


class RecordStore(Protocol):
    """Where the signed records live. `replace` is the compare-and-set: it writes `text` only
    if the stored record still carries `expected_signature`, and with `used=True` it also sets the
    request's used marker, which must not exist yet; otherwise `_Conflict`."""

    where: str

    def locked(self, approval_id: str) -> contextlib.AbstractContextManager[None]: ...
    def read(self, approval_id: str) -> str | None: ...
    def create(self, approval_id: str, text: str) -> None: ...
    def replace(
        self, approval_id: str, expected_signature: str, text: str, *, used: bool
    ) -> None: ...
    def used(self, approval_id: str) -> bool: ...
    def ids(self) -> list[str]: ...
    def location(self, approval_id: str) -> str: ...
    def move_aside(self, approval_id: str, keep_dir: Path, stamp: str) -> tuple[str, Path]: ...


class FileRecords:
    """Records as `<state_dir>/approvals/<id>.json`; the compare-and-set lock is an exclusive
    flock on `<id>.lock`, held by `decide`/`consume` around read, check and write; the used
    marker is the `approval.consumed` line of the append-only audit log."""

    def __init__(self, folder: Path, audit: AuditLog) -> None:
        self.dir = folder
        self.where = str(folder)
        self.audit = audit

    def path(self, approval_id: str) -> Path:
        return self.dir / f"{_check_id(approval_id)}.json"

    def location(self, approval_id: str) -> str:
        # Not checked: ids come from `ids()`, which lists stray files too (reported as damage).
        return str(self.dir / f"{approval_id}.json")

    @contextlib.contextmanager
    def locked(self, approval_id: str) -> Iterator[None]:
        if not self.path(approval_id).exists():
            raise UnknownApproval(f"no approval request {approval_id}")
        fd = os.open(self.dir / f"{approval_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if not flock_within(fd, FLOCK_TIMEOUT_S):
                raise _Busy(
                    f"its lock has been held by another process for over {FLOCK_TIMEOUT_S:g} s "
                    "(a stopped or hung agent?)"
                )
            yield
        finally:
            os.close(fd)  # drops the flock

    def read(self, approval_id: str) -> str | None:
        try:
            return self.path(approval_id).read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ApprovalError(
                f"approval {approval_id} cannot be read ({exc.strerror or exc}): refused"
            ) from exc
        except UnicodeDecodeError as exc:
            raise _Damage(f"not UTF-8 ({exc.reason})") from None

    def create(self, approval_id: str, text: str) -> None:
        # as the DynamoDB records refuse it: a new id that names a record already there (two
        # requests in one second with the same 24 random bits) never replaces that record
        try:
            write_atomic(self.path(approval_id), text, exclusive=True)
        except FileExistsError:
            raise ApprovalError(f"approval {approval_id} exists already: not replaced") from None
        except OSError as exc:  # a file system without hard links too: refused, with why
            raise ApprovalError(
                f"approval {approval_id} cannot be written ({exc.strerror or exc}): refused"
            ) from exc

    def replace(self, approval_id: str, expected_signature: str, text: str, *, used: bool) -> None:
        # Called under `locked`, so nobody else writes meanwhile; the check still guards
        # against a caller that read outside the lock.
        if _stored_signature(self.read(approval_id)) != expected_signature:
            raise _Conflict
        if used and self.used(approval_id):
            raise _Conflict
        write_atomic(self.path(approval_id), text)

    def used(self, approval_id: str) -> bool:
        return any(
            r.get("event") == "approval.consumed" and r.get("approval") == approval_id
            for r in self.audit.records()
        )

    def ids(self) -> list[str]:
        return [p.stem for p in sorted(self.dir.glob("*.json"))]

    def move_aside(self, approval_id: str, keep_dir: Path, stamp: str) -> tuple[str, Path]:
        path = Path(self.location(approval_id))
        return str(path), keep_damaged(path, stamp)


class ApprovalStore:
    """Signed approval records, in files or in the DynamoDB lock table, under one key."""

    def __init__(
        self,
        state_dir: Path,
        audit: AuditLog,
        ttl_s: float,
        *,
        records: RecordStore | None = None,
        key: KeySource | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.audit = audit
        self.ttl_s = ttl_s
        self.records: RecordStore = records or FileRecords(state_dir / "approvals", audit)
        self.key: KeySource = key or FileKey(state_dir / "approval.key", audit)

    # -- the signing key -------------------------------------------------------------------------
    def check_key(self) -> bytes | None:
        """The signing key, validated; None when there is none yet. `ApprovalError` when it is
        unusable (see the module docstring)."""
        return self.key.read()

    def init_key(self) -> bytes:
        """`python -m agents init-approval-key`: make the key; refused when one exists."""
        if self.key.read() is not None:
            raise ApprovalError(f"approval key {self.key.where} exists already: not replaced")
        return self.key.create()

    def _verifying_key(self) -> bytes:
        """The key to check a record with: never made here. A key deleted while records exist
        must not be silently replaced (every record would then read as altered)."""
        key = self.key.read()
        if key is None:
            raise _key_refused(
                self.audit,
                self.key.where,
                "is missing, so no approval can be verified (restore it; or run "
                "`python -m agents init-approval-key` and ask for new decisions)",
            )
        return key

    def _signing_key(self) -> bytes:
        """The key to sign a new record with: made on first use only while no record exists
        and only for a key file (a shared secret is made by `init-approval-key`)."""
        key = self.key.read()
        if key is not None:
            return key
        if self.records.ids():
            return self._verifying_key()  # refuses: records exist that the lost key signed
        if not isinstance(self.key, FileKey):
            raise _key_refused(
                self.audit,
                self.key.where,
                "does not exist: create it with `python -m agents init-approval-key`",
            )
        return self.key.create()

    @staticmethod
    def _signature(record: ApprovalRecord, key: bytes) -> str:
        blob = json.dumps(record.body(), sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(key, blob, hashlib.sha256).hexdigest()

    # -- records ---------------------------------------------------------------------------------
    def location(self, approval_id: str) -> str:
        return self.records.location(approval_id)

    @staticmethod
    def _text(record: ApprovalRecord) -> str:
        return json.dumps(asdict(record), indent=2, sort_keys=True) + "\n"

    @contextlib.contextmanager
    def _locked(self, approval_id: str) -> Iterator[None]:
        """The request's compare-and-set lock (a flock for files; nothing for DynamoDB, whose
        conditional writes are the compare-and-set)."""
        _check_id(approval_id)
        try:
            with self.records.locked(approval_id):
                yield
        except _Busy as exc:
            raise self._refuse(approval_id, str(exc)) from None

    def load(self, approval_id: str, *, on_record: bool = True) -> ApprovalRecord:
        """The verified record. A damaged or altered one is refused, and (with `on_record`, for
        a decision or a use) put on the audit log; listings (`all`, `damaged`) pass False, so
        that every `status` does not repeat the same line (`damaged` records each once)."""
        text = self.records.read(_check_id(approval_id))
        if text is None:
            raise UnknownApproval(f"no approval request {approval_id}")
        try:
            record = _parse_record(approval_id, text)
        except _Damage as exc:
            if on_record:
                self._note("approval.damaged", approval_id, str(exc))
            raise ApprovalError(f"approval {approval_id} is damaged ({exc}): refused") from exc
        expected = self._signature(record, self._verifying_key())
        if not hmac.compare_digest(record.signature, expected):
            if on_record:
                self._note("approval.tampered", approval_id, "altered after it was signed")
            raise ApprovalError(f"approval {approval_id} was altered after it was signed: refused")
        return record

    def _note(self, event: str, approval_id: str, why: str, *, once: bool = False) -> None:
        with contextlib.suppress(OSError):  # a full disk must not hide the refusal itself
            if once and any(
                r.get("event") == event and r.get("approval") == approval_id and r.get("why") == why
                for r in self.audit.records()
            ):
                return
            self.audit.append(event, approval=approval_id, why=why)

    def all(self) -> list[ApprovalRecord]:
        """Every intact record; damaged ones are left out (see `damaged`)."""
        found = []
        for approval_id in self.records.ids():
            try:
                found.append(self.load(approval_id, on_record=False))
            except (ApprovalError, UnknownApproval):
                continue
        return found

    def damaged(self) -> list[tuple[str, str, str | None, str]]:
        """(id, location, stack, why) of every record that cannot be used: unreadable, wrong
        shape, altered, or a stray file. The stack is read from the unverified record, None when
        even that fails. Raises `ApprovalError` when the key itself is unusable."""
        if self.check_key() is None:
            return [
                (i, self.location(i), self._claimed_stack(i), "no signing key to verify it")
                for i in self.records.ids()
            ]
        found = []
        for approval_id in self.records.ids():
            try:
                self.load(approval_id, on_record=False)
            except (ApprovalError, UnknownApproval) as exc:
                self._note("approval.damaged", approval_id, str(exc), once=True)
                found.append(
                    (
                        approval_id,
                        self.location(approval_id),
                        self._claimed_stack(approval_id),
                        str(exc),
                    )
                )
        return found

    def _claimed_stack(self, approval_id: str) -> str | None:
        """The stack a damaged record claims, for reporting and repair only (never trusted)."""
        try:
            text = self.records.read(approval_id)
            stack = json.loads(text or "")["proposal"]["stack"]
        except (ToolchainError, _Damage, ValueError, KeyError, TypeError, RecursionError):
            return None
        return stack if isinstance(stack, str) else None

    def move_aside(self, approval_id: str, stamp: str) -> tuple[str, Path]:
        """`repair`: withdraw a damaged record, keeping a copy; (its location, the copy)."""
        return self.records.move_aside(approval_id, self.state_dir / "approvals", stamp)

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
        record.signature = self._signature(record, self._signing_key())
        self.records.create(record.id, self._text(record))
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

    def _refuse(self, approval_id: str, why: str, **fields: Any) -> ApprovalError:
        self.audit.append("approval.refused", approval=approval_id, why=why, **fields)
        return ApprovalError(f"approval {approval_id} refused: {why}")

    def _swap(
        self, approval_id: str, record: ApprovalRecord, previous: str, *, used: bool = False
    ) -> None:
        """The compare-and-set: `record` replaces the stored one only if that one still
        carries the signature `previous` (and, for a use, the request was never used)."""
        record.signature = self._signature(record, self._verifying_key())
        try:
            self.records.replace(approval_id, previous, self._text(record), used=used)
        except _Conflict:
            raise self._refuse(
                approval_id,
                "another decision or use of it landed first",
                stack=record.proposal.get("stack"),
            ) from None

    def decide(
        self, approval_id: str, *, approve: bool, by: str, reason: str = ""
    ) -> ApprovalRecord:
        """A human's decision on a request: a compare-and-set from `pending`, so of two decisions
        at once exactly one wins and the other is refused."""
        with self._locked(approval_id):
            record = self.load(approval_id)
            previous = record.signature
            stack = record.proposal.get("stack")
            if record.status != "pending":
                raise self._refuse(
                    approval_id,
                    f"it is already {record.status} (by {record.decided_by or 'nobody'}), "
                    "not pending",
                    stack=stack,
                    by=by,
                )
            if record.expired:
                raise self._refuse(
                    approval_id, f"it expired at {record.expires_at}", stack=stack, by=by
                )
            record.status = "approved" if approve else "rejected"
            record.decided_by = by
            record.decided_at = _now().isoformat()
            if reason:
                record.reasons.append(reason)
            self._swap(approval_id, record, previous)
            self.audit.append(
                "approval.decided",
                approval=approval_id,
                by=by,
                status=record.status,
                reason=reason,
                stack=stack,
            )
            return record

    def consume(self, approval_id: str, proposal: Proposal) -> ApprovalRecord:
        """Use an approval for the change about to run; refused unless everything matches. A
        compare-and-set from `approved` to `consumed` under the request's lock: single use."""
        who = {"stack": proposal.stack, "persona": proposal.persona}
        with self._locked(approval_id):
            record = self.load(approval_id)
            previous = record.signature

            def refuse(why: str) -> ApprovalError:
                return self._refuse(approval_id, why, operation=proposal.operation, **who)

            if record.status != "approved":
                raise refuse(f"it is {record.status}")
            # Single use even against a record restored from a copy: the used marker (the
            # append-only audit log's line, or the table's `used#<id>` item) remembers it.
            if self.records.used(approval_id):
                raise refuse("it was already used (its use is on record)")
            if record.expired:
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
            self._swap(approval_id, record, previous, used=True)
            self.audit.append(
                "approval.consumed", approval=approval_id, digest=proposal.digest, **who
            )
            return record


class _Busy(Exception):
    """The request's lock stayed held (file records only)."""


def _stored_signature(text: str | None) -> str | None:
    try:
        value = json.loads(text or "").get("signature")
    except (ValueError, AttributeError, RecursionError):  # RecursionError: nested too deep
        return None
    return value if isinstance(value, str) else None


def _write_all(fd: int, data: bytes) -> None:
    written = os.write(fd, data)
    if written != len(data):  # a nearly full disk: refuse rather than keep a short key
        raise OSError(f"short write ({written} of {len(data)} bytes)")


class _Damage(Exception):
    """What is wrong with a record read back (internal to `_parse_record`)."""


def _check_id(approval_id: str) -> str:
    if not isinstance(approval_id, str) or not APPROVAL_ID.fullmatch(approval_id):
        raise UnknownApproval(f"{approval_id!r} is not an approval id")
    return approval_id


def _timestamp(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise _Damage(f"{name} is not a timestamp")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Damage(f"{name}: {exc}") from None
    if parsed.tzinfo is None:
        raise _Damage(f"{name} has no time zone")


def _parse_record(approval_id: str, text: str) -> ApprovalRecord:
    """A record read back, with every field's type checked; `_Damage` says what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Damage(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:  # deeper than the decoder recurses: unreadable, so damaged too
        raise _Damage("not JSON: nested too deep to read") from None
    if not isinstance(data, dict):
        raise _Damage("not a JSON object")
    expected = set(ApprovalRecord.__dataclass_fields__)
    if set(data) != expected:
        missing, extra = sorted(expected - set(data)), sorted(set(data) - expected)
        raise _Damage(f"fields missing {missing}, unexpected {extra}")
    if data["id"] != approval_id:
        raise _Damage(f"holds id {data['id']!r}")
    proposal = data["proposal"]
    if not isinstance(proposal, dict) or not all(
        isinstance(proposal.get(k), str) for k in ("stack", "persona", "operation")
    ):
        raise _Damage("proposal lacks its stack, persona or operation")
    if data["status"] not in STATUSES:
        raise _Damage(f"unknown status {data['status']!r}")
    for name in ("digest", "signature"):
        if not isinstance(data[name], str) or not _HEX64.match(data[name]):
            raise _Damage(f"{name} is not a SHA-256 hex digest")
    if not isinstance(data["reasons"], list) or not all(
        isinstance(r, str) for r in data["reasons"]
    ):
        raise _Damage("reasons is not a list of strings")
    for name in ("requested_at", "expires_at"):
        _timestamp(data[name], name)
    for name in ("decided_at", "consumed_at"):
        if data[name] is not None:
            _timestamp(data[name], name)
    if data["decided_by"] is not None and not isinstance(data["decided_by"], str):
        raise _Damage("decided_by is not a string")
    return ApprovalRecord(**data)


def pending(records: Sequence[ApprovalRecord]) -> list[ApprovalRecord]:
    return [r for r in records if r.status == "pending"]
