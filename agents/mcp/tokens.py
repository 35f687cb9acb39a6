"""Bearer tokens of the MCP server's HTTP transport: the store, and the verifier the SDK calls.

A token is `bat_<id>_<secret>` ("baseline agents token"): `<id>` is 12 hex characters, `<secret>`
is `secrets.token_urlsafe(32)` (256 random bits). The id in front lets the verifier find the
record without a scan (and without comparing against every hash), lets the audit log name the
token without holding it, and gives secret scanners a fixed pattern to catch a leaked one.

Only a hash is stored: HMAC-SHA256 keyed with a per-token random salt over `<id>:<secret>`,
compared with `hmac.compare_digest`. The secret is 256 random bits, so a slow password hash would
buy nothing; the salt and the id in the message make equal secrets hash differently and a hash
copied onto another record useless. The token itself is printed once by `create`/`rotate` and
never written anywhere.

Each record has an id, a name, scopes (`read`; `operate` is reserved: no tool needs it today, and
the server refuses with 403 any token without `read`), created/expiry times (every token expires)
and a status:

- `active`: works until it expires.
- `rotated`: replaced by a new token (same name and scopes, a fresh lifetime as long as the old
  one's), and still works until `grace_until`. The default grace is one hour: long enough to put
  the new token in a client's config and redeploy it, short enough that a token someone rotated
  because it leaked stops working the same morning. Pass `--grace 0` to end it at once.
- `revoked`: refused from the moment the store changes.

Every change of the file store (create, rotate, revoke) is put on the audit log as
`mcp.token-created`, `mcp.token-rotated` or `mcp.token-revoked` with the token's id, name and who
ran it (never the token); a record that cannot be written undoes the change.

Where the records live (fail closed everywhere: a store that cannot be trusted refuses every
request, it is never read as an empty, open store):

- `<state_dir>/mcp-tokens.json` (the default): a regular file, mode 0600, owned by the user running
  the server, not a symlink, JSON of the exact shape `_parse_store` checks. Every change takes an
  exclusive `flock` on `mcp-tokens.json.lock`, reads and checks the store, and writes the new one
  with `toolchain.export.write_atomic` (a 0600 temporary file, fsynced, renamed over the old), so a
  reader sees the old store or the new, never a part. The verifier stats the file on every request
  and re-reads it when its inode, size, mtime or ctime changed: a rotation or revocation takes
  effect on the next request, without a restart.
- the DynamoDB lock table (`AGENTS_MCP_TOKEN_STORE=dynamodb`; `AGENTS_DYNAMODB_TABLE`, `_REGION`,
  `_ENDPOINT_URL`), for a server on the cluster managed from an operator's machine: one item per
  token in the reserved partition `pk = "mcp-tokens"` (beside the locks' `stack#<stack>` and the
  approvals' `approvals` partitions), `sk = "token#<id>"`, holding `record` (the JSON text of one
  record, the exact shape `_record` checks), `rev` (the item's revision, 1 when created, one more
  at each change) and `expires_epoch` (the table's TTL attribute: the item goes 30 days after its
  token expired; a token whose item is gone is unknown, so refused). Every change is one
  `TransactWriteItems` with a `ClientRequestToken` (a retried request is not applied twice): a
  create `Put`s on `attribute_not_exists(pk)`, a revoke `Put`s on `rev = <the revision read>`, a
  rotation `Put`s the retired record on that condition and the new one on `attribute_not_exists`
  together. A write that loses a race (the condition failed) reads again and decides again on
  what is there now, so two operators rotating at once never lose an update: different tokens do
  not touch the same item, and of two rotations of one token exactly one wins (the other is told
  the token is already rotated; no orphan successor is written). Every change first reads and
  checks the whole partition: a damaged store is never written to. The verifier re-reads the
  partition (one strongly consistent `Query`) at most every `AGENTS_MCP_TOKEN_REFRESH_S` (5 s):
  a create, rotation or revocation takes effect on every server within that window; a read that
  fails, or any item not of the exact shape, refuses every request until a later read succeeds
  (never the last good set, never an empty one).
- a Secrets Manager secret holding the same JSON, when `AGENTS_MCP_TOKENS_SECRET` names one (for
  servers on several machines). The verifier re-reads it every `refresh_s` (30 s): a revocation
  takes up to that long there. This source is read-only: manage tokens in a file store with the
  CLI, then upload the file (it holds only hashes) with `aws secretsmanager put-secret-value`.

`AGENTS_MCP_TOKEN_STORE` (`file`, `dynamodb` or `secretsmanager`) picks the store; unset, it is
`secretsmanager` when `AGENTS_MCP_TOKENS_SECRET` is set, else `file`. Over HTTP, `StoreGate`
answers every request 503 (JSON, with the reason: `damaged`, `unreachable` or `unusable`) while
the store is refused, before any token is looked at.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import hmac
import json
import logging
import math
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from agents import AgentsError, InputError, first_line

if TYPE_CHECKING:
    from mcp.server.auth.provider import AccessToken

    from agents.protocol.audit import AuditLog
    from agents.protocol.settings import AgentSettings

Clock = Callable[[], float]
Status = Literal["active", "rotated", "revoked"]

STORE_VERSION = 1
STORE_FILE = "mcp-tokens.json"
STORE_MAX_BYTES = 1024 * 1024
SECRET_ENV = "AGENTS_MCP_TOKENS_SECRET"
SCOPES = ("read", "operate")
READ_SCOPE = "read"
DEFAULT_TTL_DAYS = 90
MAX_TTL_DAYS = 365
DEFAULT_GRACE_S = 3600.0
MAX_GRACE_S = 7 * 86_400.0
LOCK_TIMEOUT_S = 10.0
SECRETS_REFRESH_S = 30.0
STORE_ENV = "AGENTS_MCP_TOKEN_STORE"
STORE_KINDS = ("file", "dynamodb", "secretsmanager")
DYNAMODB_PARTITION = "mcp-tokens"
DYNAMODB_ITEM = "token#"
DYNAMODB_REFRESH_S = 5.0
DYNAMODB_MAX_TOKENS = 10_000
DYNAMODB_RETAIN_S = 30 * 86_400  # the TTL deletes an item this long after its token expired
DYNAMODB_RECORD_MAX_CHARS = 4096
WRITE_ATTEMPTS = 5

TOKEN_PREFIX = "bat"
TOKEN_ID = re.compile(r"[0-9a-f]{12}")
TOKEN = re.compile(rf"{TOKEN_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})")
TOKEN_MAX_CHARS = 100
TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,63}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")

log = logging.getLogger("agents.mcp")


class TokenStoreError(AgentsError):
    """The token store cannot be used (damaged, wrong mode, unreadable, busy); one line naming
    it and the fault."""

    reason = "unusable"  # what the HTTP server's 503 says (never the store's name or path)


class TokenStoreDamaged(TokenStoreError, InputError):
    """The store holds something not of the exact shape: refused, and the command line exits 2
    (a person must fix or delete it)."""

    reason = "damaged"


class TokenStoreUnreachable(TokenStoreError):
    """The shared store cannot be reached or used (no network path, no credentials, no table,
    throttled): refused until a later read succeeds."""

    reason = "unreachable"


class TokenError(InputError):
    """A token operation the user asked for cannot be done (unknown id, wrong status, a bad
    name or scope)."""


class _BadJson(InputError):
    """`toolchain.inputs.parse_json`'s error, re-raised as a `TokenStoreError`."""


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: float
    expires_at: float
    status: Status
    salt: str
    hash: str
    rotated_at: float | None = None
    grace_until: float | None = None
    replaced_by: str | None = None
    rotated_from: str | None = None
    revoked_at: float | None = None

    def valid_until(self) -> float:
        """Until when the token is accepted (-inf once revoked)."""
        if self.status == "revoked":
            return -math.inf
        if self.status == "rotated":
            return min(self.expires_at, self.grace_until or -math.inf)
        return self.expires_at

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.hash, _digest(bytes.fromhex(self.salt), self.id, secret))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "scopes": list(self.scopes)}

    def public(self, now: float) -> dict[str, Any]:
        """What `list` shows: no salt, no hash; times as ISO 8601 UTC."""
        state: str = self.status
        if state != "revoked" and self.valid_until() <= now:
            state = "expired" if self.status == "active" else "rotated (grace over)"
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "status": state,
            "createdAt": _iso(self.created_at),
            "expiresAt": _iso(self.expires_at),
            "graceUntil": _iso(self.grace_until),
            "replacedBy": self.replaced_by,
            "rotatedFrom": self.rotated_from,
            "revokedAt": _iso(self.revoked_at),
        }


class Issued(NamedTuple):
    """A new token: its id, and the token itself (shown once, never stored)."""

    id: str
    token: str


def _digest(salt: bytes, token_id: str, secret: str) -> str:
    return hmac.new(salt, f"{token_id}:{secret}".encode(), hashlib.sha256).hexdigest()


def _new_record(
    name: str, scopes: tuple[str, ...], now: float, lifetime_s: float, taken: Mapping[str, Any]
) -> tuple[TokenRecord, str]:
    token_id = secrets.token_hex(6)
    while token_id in taken:  # 48 bits: a clash is all but impossible, and harmless when caught
        token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    record = TokenRecord(
        id=token_id,
        name=name,
        scopes=scopes,
        created_at=now,
        expires_at=now + lifetime_s,
        status="active",
        salt=salt.hex(),
        hash=_digest(salt, token_id, secret),
    )
    return record, f"{TOKEN_PREFIX}_{token_id}_{secret}"


def check_name(name: str) -> str:
    if not TOKEN_NAME.fullmatch(name):
        raise TokenError(
            f"token name {name[:80]!r}: 1 to 64 letters, digits, spaces and ._@:- "
            "(starting with a letter or digit)"
        )
    return name


def check_scopes(scopes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise TokenError(f"token scopes {list(scopes)}: choose from {', '.join(SCOPES)}")
    return tuple(sorted(set(scopes)))


# -- the store's shape ---------------------------------------------------------------------------
_FIELDS = frozenset(TokenRecord.__dataclass_fields__)
_OPTIONAL_TIMES = ("rotated_at", "grace_until", "revoked_at")


class _Shape(Exception):
    """What is wrong with a store document (internal; becomes a `TokenStoreError`)."""


# The last second a date can be written in (`_iso`): a time beyond it (`1e300`, an integer of 400
# digits) is a damaged store, not a crash when the store is listed.
_LATEST = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC).timestamp()


def _time(value: object, name: str) -> float:
    # Compared before any float(): an integer too large for a float is refused, not raised on;
    # NaN fails the comparison too.
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= _LATEST:
        raise _Shape(f"{name} is not a time between 1970 and 9999")
    return float(value)


def _record(raw: object, index: int) -> TokenRecord:
    where = f"tokens[{index}]"
    if not isinstance(raw, dict):
        raise _Shape(f"{where} is not an object")
    if set(raw) != _FIELDS:
        extra, missing = sorted(set(raw) - _FIELDS), sorted(_FIELDS - set(raw))
        raise _Shape(f"{where} has unknown fields {extra} or lacks {missing}")
    token_id = raw["id"]
    if not isinstance(token_id, str) or not TOKEN_ID.fullmatch(token_id):
        raise _Shape(f"{where}.id is not 12 hex characters")
    where = f"token {token_id}"
    if not isinstance(raw["name"], str) or not TOKEN_NAME.fullmatch(raw["name"]):
        raise _Shape(f"{where}: name is not a token name")
    scopes = raw["scopes"]
    if (
        not isinstance(scopes, list)
        or not all(isinstance(s, str) and s in SCOPES for s in scopes)
        or len(set(scopes)) != len(scopes)
    ):
        raise _Shape(f"{where}: scopes is not a list of {', '.join(SCOPES)}")
    if raw["status"] not in ("active", "rotated", "revoked"):
        raise _Shape(f"{where}: status is not active, rotated or revoked")
    if not isinstance(raw["salt"], str) or not _HEX32.fullmatch(raw["salt"]):
        raise _Shape(f"{where}: salt is not 32 hex characters")
    if not isinstance(raw["hash"], str) or not _HEX64.fullmatch(raw["hash"]):
        raise _Shape(f"{where}: hash is not 64 hex characters")
    times = {k: _time(raw[k], f"{where}: {k}") for k in ("created_at", "expires_at")}
    optional = {
        k: None if raw[k] is None else _time(raw[k], f"{where}: {k}") for k in _OPTIONAL_TIMES
    }
    for link in ("replaced_by", "rotated_from"):
        if raw[link] is not None and not (
            isinstance(raw[link], str) and TOKEN_ID.fullmatch(raw[link])
        ):
            raise _Shape(f"{where}: {link} is not a token id")
    if raw["status"] == "rotated" and (optional["grace_until"] is None or not raw["replaced_by"]):
        raise _Shape(f"{where}: a rotated token needs grace_until and replaced_by")
    if raw["status"] == "revoked" and optional["revoked_at"] is None:
        raise _Shape(f"{where}: a revoked token needs revoked_at")
    return TokenRecord(
        id=token_id,
        name=raw["name"],
        scopes=tuple(scopes),
        status=raw["status"],
        salt=raw["salt"],
        hash=raw["hash"],
        replaced_by=raw["replaced_by"],
        rotated_from=raw["rotated_from"],
        created_at=times["created_at"],
        expires_at=times["expires_at"],
        rotated_at=optional["rotated_at"],
        grace_until=optional["grace_until"],
        revoked_at=optional["revoked_at"],
    )


def _parse_store(data: bytes, where: str) -> dict[str, TokenRecord]:
    """The records of a store document, by id; `TokenStoreError` for anything but the exact
    shape (a version-1 object with a list of complete, well-typed records, ids unique)."""
    from toolchain.inputs import parse_json  # noqa: PLC0415

    try:
        doc = parse_json(data, where, "MCP token store", error=_BadJson)
    except _BadJson as exc:
        raise TokenStoreDamaged(f"{exc}: refused") from None
    try:
        return _records_of(doc)
    except _Shape as exc:
        raise TokenStoreDamaged(f"{where}: not an MCP token store ({exc}): refused") from None


def _records_of(doc: object) -> dict[str, TokenRecord]:
    if not isinstance(doc, dict) or set(doc) != {"version", "tokens"}:
        raise _Shape("not an object with exactly `version` and `tokens`")
    if doc["version"] != STORE_VERSION or isinstance(doc["version"], bool):
        raise _Shape(f"version {doc['version']!r} is not {STORE_VERSION}")
    if not isinstance(doc["tokens"], list):
        raise _Shape("tokens is not a list")
    records: dict[str, TokenRecord] = {}
    for index, raw in enumerate(doc["tokens"]):
        record = _record(raw, index)
        if record.id in records:
            raise _Shape(f"token id {record.id} appears twice")
        records[record.id] = record
    return records


def _render_store(records: Mapping[str, TokenRecord]) -> str:
    doc = {"version": STORE_VERSION, "tokens": [r.to_json() for r in records.values()]}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


# -- sources -------------------------------------------------------------------------------------
class TokenSource(Protocol):
    where: str

    def signature(self) -> object:
        """Changes whenever the records may have changed (the verifier re-reads then)."""

    def read(self) -> dict[str, TokenRecord]:
        """The records by id; `TokenStoreError` when the store cannot be trusted."""


class TokenFile:
    """The file store (see the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = time.time,
        lock_timeout_s: float = LOCK_TIMEOUT_S,
        audit: AuditLog | None = None,
    ) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        self.clock = clock
        self.lock_timeout_s = lock_timeout_s
        # Where create, rotate and revoke are recorded (`mcp.token-created`, `-rotated`,
        # `-revoked`: ids, never a token); `open_token_source` gives the settings' audit log.
        self.audit = audit

    # reading
    def signature(self) -> object:
        try:
            st = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return ("error", exc.errno)
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode, st.st_uid)

    def read(self) -> dict[str, TokenRecord]:
        """The records; {} when the file does not exist (no token can then pass)."""
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            why = "is a symlink" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
            raise TokenStoreError(f"{self.where}: {why}: refused") from exc
        try:
            st = os.fstat(fd)
            self._check_file(st)
            data = b""
            while len(data) <= STORE_MAX_BYTES:
                chunk = os.read(fd, STORE_MAX_BYTES + 1 - len(data))
                if not chunk:
                    break
                data += chunk
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise TokenStoreError(f"{self.where}: cannot be read ({why}): refused") from exc
        finally:
            os.close(fd)
        if len(data) > STORE_MAX_BYTES:
            raise TokenStoreError(f"{self.where}: larger than {STORE_MAX_BYTES} bytes: refused")
        return _parse_store(data, self.where)

    def _check_file(self, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            raise TokenStoreError(f"{self.where}: not a regular file: refused")
        if st.st_mode & 0o077:
            raise TokenStoreError(
                f"{self.where}: mode {stat.S_IMODE(st.st_mode):04o}, readable or writable by "
                "others (must be 0600): refused; `chmod 600` it if its content is yours"
            )
        if st.st_uid != os.geteuid():
            raise TokenStoreError(
                f"{self.where}: owned by uid {st.st_uid}, not by this user "
                f"({os.geteuid()}): refused"
            )

    # changing
    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, TokenRecord]]:
        from agents.protocol.locks.file import flock_within  # noqa: PLC0415

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            if not flock_within(fd, self.lock_timeout_s):
                raise TokenStoreError(
                    f"{self.where}: another process has held its lock for "
                    f"{self.lock_timeout_s:.0f}s; nothing changed"
                )
            yield self.read()  # a store that cannot be trusted is never overwritten
        finally:
            os.close(fd)  # drops the flock

    def _write(self, records: Mapping[str, TokenRecord]) -> None:
        from toolchain.inputs import write_atomic  # noqa: PLC0415

        try:
            write_atomic(self.path, _render_store(records))  # mkstemp: the new file is 0600
        except OSError as exc:
            raise TokenStoreError(
                f"{self.where}: cannot be written ({exc.strerror or exc}); nothing changed"
            ) from exc

    def _commit(
        self,
        before: Mapping[str, TokenRecord],
        after: Mapping[str, TokenRecord],
        event: str,
        **fields: Any,
    ) -> None:
        """Write the new store, then its audit record (under the store's lock). A record that
        cannot be written puts the old store back: no token changes unaudited."""
        self._write(after)
        if self.audit is None:
            return
        try:
            self.audit.append(event, by=_login(), store=self.where, **fields)
        except (OSError, AgentsError) as exc:
            self._write(before)
            why = (getattr(exc, "strerror", None) or str(exc)).splitlines()[0]
            raise TokenStoreError(
                f"{self.where}: the audit log cannot be written ({why}); nothing changed"
            ) from exc

    def create(
        self,
        name: str,
        scopes: tuple[str, ...] | list[str] = (READ_SCOPE,),
        ttl_days: float = DEFAULT_TTL_DAYS,
    ) -> Issued:
        check_name(name)
        chosen = check_scopes(scopes)
        lifetime_s = _check_ttl(ttl_days) * 86_400
        with self._locked() as records:
            record, token = _new_record(name, chosen, self.clock(), lifetime_s, records)
            self._commit(
                records,
                {**records, record.id: record},
                "mcp.token-created",
                token_id=record.id,
                name=name,
                scopes=list(chosen),
                expires_at=_iso(record.expires_at),
            )
        return Issued(record.id, token)

    def rotate(self, token_id: str, grace_s: float = DEFAULT_GRACE_S) -> Issued:
        """A new token with the old one's name and scopes and a lifetime as long as the old
        one's; the old one works `grace_s` more seconds (see the module docstring)."""
        _check_grace(grace_s)
        with self._locked() as records:
            old = _get(records, token_id)
            retired, new, token = _rotation(old, records, self.clock(), grace_s)
            self._commit(
                records,
                {**records, old.id: retired, new.id: new},
                "mcp.token-rotated",
                token_id=new.id,
                rotated_from=old.id,
                name=old.name,
                grace_until=_iso(retired.grace_until),
                expires_at=_iso(new.expires_at),
            )
        return Issued(new.id, token)

    def revoke(self, token_id: str) -> TokenRecord:
        """Refused from the next request on; a rotated token's grace ends too."""
        with self._locked() as records:
            old = _get(records, token_id)
            if old.status == "revoked":
                return old
            revoked = replace(old, status="revoked", revoked_at=self.clock())
            self._commit(
                records,
                {**records, old.id: revoked},
                "mcp.token-revoked",
                token_id=old.id,
                name=old.name,
            )
        return revoked

    def list(self) -> list[dict[str, Any]]:
        return list_records(self.read(), self.clock())


def _login() -> str:
    """Who changes the store, for its audit record: the login name, else the uid."""
    import getpass  # noqa: PLC0415

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no USER and no passwd entry (a bare container)
        return f"uid {os.geteuid()}"


def _get(records: Mapping[str, TokenRecord], token_id: str) -> TokenRecord:
    if token_id not in records:
        shown = token_id if len(token_id) <= 40 else token_id[:37] + "..."
        raise TokenError(f"no MCP token with id {shown!r} (see `python -m agents mcp-token list`)")
    return records[token_id]


def list_records(records: Mapping[str, TokenRecord], now: float) -> list[dict[str, Any]]:
    """Every record without its salt and hash, oldest first."""
    return [r.public(now) for r in sorted(records.values(), key=lambda r: (r.created_at, r.id))]


class SecretsManagerTokens:
    """The records as a Secrets Manager secret (the same JSON as the file), read-only; re-read
    every `refresh_s` seconds. Mode bits do not apply: who may read or change it is the secret's
    IAM policy's business."""

    def __init__(
        self,
        client: Any,
        secret_id: str,
        *,
        refresh_s: float = SECRETS_REFRESH_S,
        clock: Clock = time.time,
    ) -> None:
        self.client = client
        self.secret_id = secret_id
        self.where = f"secretsmanager:{secret_id}"
        self.refresh_s = refresh_s
        self.clock = clock

    def signature(self) -> object:
        return math.floor(self.clock() / self.refresh_s)

    def read(self) -> dict[str, TokenRecord]:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            value = self.client.get_secret_value(SecretId=self.secret_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "") or str(exc)
            raise TokenStoreError(f"{self.where}: cannot be read ({code}): refused") from exc
        except BotoCoreError as exc:
            raise TokenStoreError(
                f"{self.where}: cannot be read ({first_line(exc)}): refused"
            ) from exc
        text = value.get("SecretString")
        if not isinstance(text, str):
            raise TokenStoreError(f"{self.where}: holds no text (SecretString): refused")
        data = text.encode()
        if len(data) > STORE_MAX_BYTES:
            raise TokenStoreError(f"{self.where}: larger than {STORE_MAX_BYTES} bytes: refused")
        return _parse_store(data, self.where)

    def list(self) -> list[dict[str, Any]]:
        return list_records(self.read(), self.clock())


class _Conflict(Exception):
    """A conditional write lost a race (internal: the writer reads again and decides again)."""


def _check_grace(grace_s: float) -> None:
    if not 0 <= grace_s <= MAX_GRACE_S:
        raise TokenError(f"grace {grace_s!r} s: 0 to {MAX_GRACE_S:.0f}")


def _rotation(
    old: TokenRecord, records: Mapping[str, TokenRecord], now: float, grace_s: float
) -> tuple[TokenRecord, TokenRecord, str]:
    """What rotating `old` at `now` writes, whatever the store: (old retired with its grace, the
    new record, the new token). Only an active, unexpired token rotates."""
    if old.status != "active" or old.expires_at <= now:
        state = old.status if old.status != "active" else "expired"
        raise TokenError(
            f"token {old.id} is {state}: only an active token can be rotated (create a new one)"
        )
    new, token = _new_record(old.name, old.scopes, now, old.expires_at - old.created_at, records)
    new = replace(new, rotated_from=old.id)
    retired = replace(
        old, status="rotated", rotated_at=now, grace_until=now + grace_s, replaced_by=new.id
    )
    return retired, new, token


def _check_ttl(ttl_days: float) -> float:
    if not (isinstance(ttl_days, int | float) and 0 < ttl_days <= MAX_TTL_DAYS):
        raise TokenError(f"token lifetime {ttl_days!r} days: 1 to {MAX_TTL_DAYS}")
    return float(ttl_days)


def _aws_code(exc: Any) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", "") or "")


# Cancellation reasons of a transaction that mean "someone else wrote first": read again, retry.
_RACE_REASONS = frozenset({"None", "ConditionalCheckFailed", "TransactionConflict"})
_ITEM_ATTRIBUTES = frozenset({"pk", "sk", "record", "rev", "expires_epoch"})


class DynamoDBTokens:
    """The records as items of the DynamoDB lock table (see the module docstring): read by the
    servers every `refresh_s`, changed from any machine with conditional writes."""

    def __init__(
        self,
        client: Any,
        table: str,
        *,
        refresh_s: float = DYNAMODB_REFRESH_S,
        clock: Clock = time.time,
        audit: AuditLog | None = None,
    ) -> None:
        if not (math.isfinite(refresh_s) and refresh_s > 0):
            raise InputError(f"MCP token refresh {refresh_s!r} s: a positive number")
        self.client = client
        self.table = table
        self.where = f"dynamodb:{table}/{DYNAMODB_PARTITION}"
        self.refresh_s = refresh_s
        self.clock = clock
        self.audit = audit  # as `TokenFile.audit`: create, rotate and revoke are recorded
        self.takes_effect = f"within {refresh_s:g} s on every server"

    # requests
    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            result: dict[str, Any] = getattr(self.client, method)(**kwargs)
        except ClientError as exc:
            code = _aws_code(exc)
            if code in ("TransactionCanceledException", "TransactionConflictException"):
                reasons = {str(r.get("Code")) for r in exc.response.get("CancellationReasons", [])}
                if reasons <= _RACE_REASONS:
                    raise _Conflict from exc
            if code == "ResourceNotFoundException":
                raise TokenStoreUnreachable(
                    f"{self.where}: table {self.table!r} in {self.client.meta.region_name} does "
                    "not exist (`python -m agents init-lock-table` creates it): refused"
                ) from exc
            raise TokenStoreUnreachable(
                f"{self.where}: {method} failed ({code or exc}): refused"
            ) from exc
        except BotoCoreError as exc:
            raise TokenStoreUnreachable(
                f"{self.where}: cannot be reached ({first_line(exc)}): refused"
            ) from exc
        return result

    def _key(self, token_id: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": DYNAMODB_PARTITION}, "sk": {"S": DYNAMODB_ITEM + token_id}}

    def _damaged(self, sk: object, why: str) -> TokenStoreDamaged:
        key = json.dumps({"pk": {"S": DYNAMODB_PARTITION}, "sk": {"S": str(sk)[:80]}})
        return TokenStoreDamaged(
            f"{self.where}: item {str(sk)[:80]!r} is not an MCP token record ({why}): refused; "
            f"fix or delete it (aws dynamodb delete-item --table-name {self.table} --key '{key}')"
        )

    def _from_item(self, item: Mapping[str, Any]) -> tuple[TokenRecord, int]:
        """The record and revision of one item; `TokenStoreDamaged` for anything else."""
        raw_sk = item.get("sk")
        sk = raw_sk.get("S") if isinstance(raw_sk, dict) else None
        if not isinstance(sk, str) or not sk.startswith(DYNAMODB_ITEM):
            raise self._damaged(sk, f"not a key of this partition (`{DYNAMODB_ITEM}<id>`)")
        if set(item) != _ITEM_ATTRIBUTES:
            extra, missing = (
                sorted(set(item) - _ITEM_ATTRIBUTES),
                sorted(_ITEM_ATTRIBUTES - set(item)),
            )
            raise self._damaged(sk, f"unknown attributes {extra} or lacks {missing}")
        text = item["record"].get("S") if isinstance(item["record"], dict) else None
        if not isinstance(text, str) or len(text) > DYNAMODB_RECORD_MAX_CHARS:
            raise self._damaged(
                sk, f"record is not a string of at most {DYNAMODB_RECORD_MAX_CHARS}"
            )
        try:
            record = _record(json.loads(text), 0)
        except (ValueError, RecursionError):  # not JSON, or nested past the decoder's depth
            raise self._damaged(sk, "record is not JSON") from None
        except _Shape as exc:
            raise self._damaged(sk, str(exc)) from None
        if sk != DYNAMODB_ITEM + record.id:
            raise self._damaged(sk, f"it holds token {record.id} under another key")
        numbers = {}
        for name in ("rev", "expires_epoch"):
            value = item[name].get("N") if isinstance(item[name], dict) else None
            if not isinstance(value, str) or not value.isdigit() or len(value) > 15:
                raise self._damaged(sk, f"{name} is not a whole number")
            numbers[name] = int(value)
        if numbers["rev"] < 1:
            raise self._damaged(sk, "rev is below 1")
        return record, numbers["rev"]

    def _snapshot(self) -> dict[str, tuple[TokenRecord, int]]:
        """Every record with its revision (one strongly consistent `Query` of the partition)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": DYNAMODB_PARTITION}},
            "ConsistentRead": True,
        }
        found: dict[str, tuple[TokenRecord, int]] = {}
        while True:
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                record, rev = self._from_item(item)
                found[record.id] = (record, rev)
            if len(found) > DYNAMODB_MAX_TOKENS:
                raise TokenStoreDamaged(
                    f"{self.where}: more than {DYNAMODB_MAX_TOKENS} token records: refused"
                )
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # reading
    def signature(self) -> object:
        """The current window of `refresh_s` seconds: the verifier reads again in the next."""
        return math.floor(self.clock() / self.refresh_s)

    def read(self) -> dict[str, TokenRecord]:
        """The records; {} for an empty partition (no token can then pass)."""
        return {token_id: record for token_id, (record, _) in self._snapshot().items()}

    # changing
    def _put(self, record: TokenRecord, rev: int, expect: int | None) -> dict[str, Any]:
        """A `Put` of `record` at revision `rev`: on `rev = expect`, or on the item not existing
        when `expect` is None."""
        text = json.dumps(record.to_json(), sort_keys=True, separators=(",", ":"))
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                **self._key(record.id),
                "record": {"S": text},
                "rev": {"N": str(rev)},
                "expires_epoch": {"N": str(math.ceil(record.expires_at) + DYNAMODB_RETAIN_S)},
            },
        }
        if expect is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#rev = :rev"
            put["ExpressionAttributeNames"] = {"#rev": "rev"}
            put["ExpressionAttributeValues"] = {":rev": {"N": str(expect)}}
        return {"Put": put}

    def _delete(self, token_id: str, expect: int) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": self._key(token_id),
                "ConditionExpression": "#rev = :rev",
                "ExpressionAttributeNames": {"#rev": "rev"},
                "ExpressionAttributeValues": {":rev": {"N": str(expect)}},
            }
        }

    def _transact(self, items: list[dict[str, Any]]) -> None:
        import uuid  # noqa: PLC0415

        # The same request token on botocore's retries: a write that timed out after it was
        # applied is not applied twice (nor refused as a lost race).
        self._call(
            "transact_write_items", TransactItems=items, ClientRequestToken=str(uuid.uuid4())
        )

    def _commit(self, items: list[dict[str, Any]], undo: list[dict[str, Any]], event: str,
                **fields: Any) -> None:  # fmt: skip
        """Write `items` (`_Conflict` when a condition failed), then the audit record; a record
        that cannot be written undoes the change (on condition it is still ours)."""
        self._transact(items)
        if self.audit is None:
            return
        try:
            self.audit.append(event, by=_login(), store=self.where, **fields)
        except (OSError, AgentsError) as exc:
            why = (getattr(exc, "strerror", None) or str(exc)).splitlines()[0]
            try:
                self._transact(undo)
            except (_Conflict, TokenStoreError):
                raise TokenStoreError(
                    f"{self.where}: the audit log cannot be written ({why}) and the change could "
                    "not be undone (changed meanwhile, or unreachable): see `mcp-token list`"
                ) from exc
            raise TokenStoreError(
                f"{self.where}: the audit log cannot be written ({why}); nothing changed"
            ) from exc

    def _busy(self, token_id: str) -> TokenStoreError:
        return TokenStoreError(
            f"{self.where}: token {token_id} changed under each of {WRITE_ATTEMPTS} attempts; "
            "nothing changed (try again)"
        )

    def create(
        self,
        name: str,
        scopes: tuple[str, ...] | list[str] = (READ_SCOPE,),
        ttl_days: float = DEFAULT_TTL_DAYS,
    ) -> Issued:
        check_name(name)
        chosen = check_scopes(scopes)
        lifetime_s = _check_ttl(ttl_days) * 86_400
        records = self._snapshot()  # a damaged store is never written to
        for _ in range(WRITE_ATTEMPTS):
            record, token = _new_record(name, chosen, self.clock(), lifetime_s, records)
            try:
                self._commit(
                    [self._put(record, 1, None)],
                    [self._delete(record.id, 1)],
                    "mcp.token-created",
                    token_id=record.id,
                    name=name,
                    scopes=list(chosen),
                    expires_at=_iso(record.expires_at),
                )
            except _Conflict:  # the id was taken meanwhile (48 random bits): draw another
                continue
            return Issued(record.id, token)
        raise self._busy("(new)")

    def rotate(self, token_id: str, grace_s: float = DEFAULT_GRACE_S) -> Issued:
        """As `TokenFile.rotate`; of two rotations of one token at once, exactly one wins."""
        _check_grace(grace_s)
        for _ in range(WRITE_ATTEMPTS):
            snapshot = self._snapshot()
            records = {k: r for k, (r, _) in snapshot.items()}
            old = _get(records, token_id)
            rev = snapshot[token_id][1]
            retired, new, token = _rotation(old, records, self.clock(), grace_s)
            try:
                self._commit(
                    [self._put(retired, rev + 1, rev), self._put(new, 1, None)],
                    [self._put(old, rev + 2, rev + 1), self._delete(new.id, 1)],
                    "mcp.token-rotated",
                    token_id=new.id,
                    rotated_from=old.id,
                    name=old.name,
                    grace_until=_iso(retired.grace_until),
                    expires_at=_iso(new.expires_at),
                )
            except _Conflict:  # changed meanwhile: decide again on what is there now
                continue
            return Issued(new.id, token)
        raise self._busy(token_id)

    def revoke(self, token_id: str) -> TokenRecord:
        """Refused by every server within `refresh_s`; a rotated token's grace ends too."""
        for _ in range(WRITE_ATTEMPTS):
            snapshot = self._snapshot()
            old = _get({k: r for k, (r, _) in snapshot.items()}, token_id)
            rev = snapshot[token_id][1]
            if old.status == "revoked":
                return old
            revoked = replace(old, status="revoked", revoked_at=self.clock())
            try:
                self._commit(
                    [self._put(revoked, rev + 1, rev)],
                    [self._put(old, rev + 2, rev + 1)],
                    "mcp.token-revoked",
                    token_id=old.id,
                    name=old.name,
                )
            except _Conflict:
                continue
            return revoked
        raise self._busy(token_id)

    def list(self) -> list[dict[str, Any]]:  # last: the name would shadow `list` in annotations
        return list_records(self.read(), self.clock())


def tokens_secret(settings: AgentSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The Secrets Manager secret named by `AGENTS_MCP_TOKENS_SECRET`, if any. Read from the
    settings when they grow a `mcp_tokens_secret` field, else from the environment; an empty
    value is refused (it would silently fall back to the file)."""
    value = getattr(settings, "mcp_tokens_secret", None)
    if value is None:
        value = (os.environ if environ is None else environ).get(SECRET_ENV)
    if value is None:
        return None
    if not str(value).strip():
        raise InputError(f"{SECRET_ENV} is empty: name a secret (or unset it for the file store)")
    return str(value).strip()


def token_store_kind(settings: AgentSettings, environ: Mapping[str, str] | None = None) -> str:
    """`file`, `dynamodb` or `secretsmanager`: `AGENTS_MCP_TOKEN_STORE`, or by default
    `secretsmanager` when `AGENTS_MCP_TOKENS_SECRET` names a secret, else `file`. A store and a
    secret that disagree are refused (the server and the operator could read different stores)."""
    secret_id = tokens_secret(settings, environ)
    kind = getattr(settings, "mcp_token_store", None)
    if kind is None:
        return "secretsmanager" if secret_id is not None else "file"
    if kind not in STORE_KINDS:
        raise InputError(f"{STORE_ENV}={kind!r}: choose from {', '.join(STORE_KINDS)}")
    if kind == "secretsmanager" and secret_id is None:
        raise InputError(
            f"{STORE_ENV}=secretsmanager needs {SECRET_ENV} (the secret's name or ARN)"
        )
    if kind != "secretsmanager" and secret_id is not None:
        raise InputError(
            f"{SECRET_ENV} is set but {STORE_ENV}={kind}: unset one of them (the tokens are read "
            "from one store)"
        )
    return str(kind)


def open_token_source(
    settings: AgentSettings,
    *,
    clock: Clock = time.time,
    environ: Mapping[str, str] | None = None,
    client: Any = None,
) -> TokenFile | DynamoDBTokens | SecretsManagerTokens:
    """The store `token_store_kind` names: the file `<state_dir>/mcp-tokens.json`, the lock
    table's `mcp-tokens` partition, or the secret `AGENTS_MCP_TOKENS_SECRET`."""
    kind = token_store_kind(settings, environ)
    if kind in ("file", "dynamodb"):
        from agents.protocol.audit import AuditLog  # noqa: PLC0415

        audit = AuditLog(settings.audit_log)
        if kind == "file":
            return TokenFile(settings.state_dir / STORE_FILE, clock=clock, audit=audit)
        if client is None:
            client = _dynamodb_client(settings)
        refresh_s = getattr(settings, "mcp_token_refresh_s", DYNAMODB_REFRESH_S)
        return DynamoDBTokens(
            client, settings.dynamodb_table, refresh_s=refresh_s, clock=clock, audit=audit
        )
    if client is None:
        import boto3  # noqa: PLC0415 - slow to import; only this path needs it
        from botocore.config import Config  # noqa: PLC0415

        client = boto3.client(
            "secretsmanager",
            region_name=settings.dynamodb_region,
            config=Config(
                retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10
            ),
        )
    return SecretsManagerTokens(client, str(tokens_secret(settings, environ)), clock=clock)


def _dynamodb_client(settings: AgentSettings) -> Any:
    """A client with short timeouts and one retry: the server reads under its verifier's lock,
    so an outage must cost the requests of one window a few seconds, not a minute (they are
    then refused with 503 until a later read succeeds)."""
    import boto3  # noqa: PLC0415 - slow to import; only the shared stores need it
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client(
        "dynamodb",
        region_name=settings.dynamodb_region,
        endpoint_url=settings.dynamodb_endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=4
        ),
    )


# -- the verifier --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """What the verifier decided: the record when the token is good, else why not."""

    record: TokenRecord | None
    why: str  # "ok", "malformed", "unknown", "wrong-secret", "expired", "rotated", "revoked",
    # "store-refused"
    token_id: str | None = None


class BearerTokenVerifier:
    """`mcp.server.auth.provider.TokenVerifier` over a `TokenSource`.

    It never raises (an exception in the SDK's authentication middleware would be a 500): every
    failure is None, which the SDK answers with 401. A store that cannot be trusted is logged
    once per version (one line on the `agents.mcp` logger) and refuses every token until it is
    fixed. A real but retired token (expired, past its grace, revoked; the secret matched) is
    also put on the audit log as `mcp.auth-refused` with its id, so the client that still uses
    it can be found; guessed or malformed tokens only go to the logger, so an unauthenticated
    caller cannot fill the audit log. The returned `AccessToken` carries the token's id in
    `token` and `client_id`, never the token: whatever logs it logs no secret."""

    def __init__(
        self, source: TokenSource, *, clock: Clock = time.time, audit: AuditLog | None = None
    ) -> None:
        self.source = source
        self.clock = clock
        self.audit = audit
        self._lock = threading.Lock()
        self._signature: object = object()  # never equal: the first request reads the store
        self._records: dict[str, TokenRecord] = {}
        self._refused: str | None = None
        self._reason = TokenStoreError.reason

    def refusal(self) -> str | None:
        """Why the store is refused (`damaged`, `unreachable`, `unusable`), None when it is not;
        as of the last read (`records()` reads when due)."""
        with self._lock:
            return None if self._refused is None else self._reason

    def records(self) -> dict[str, TokenRecord] | None:
        """The current records, re-read when the source changed; None while it is refused."""
        with self._lock:
            try:
                signature = self.source.signature()
            except Exception as exc:  # noqa: BLE001 - fail closed; read again on the next call
                signature = ("signature-failed", type(exc).__name__, time.monotonic())
            if signature != self._signature:
                try:
                    self._records, self._refused = self.source.read(), None
                except TokenStoreError as exc:
                    self._records, self._refused, self._reason = {}, str(exc), exc.reason
                    log.error(  # noqa: TRY400 - one line, no traceback: the message says it all
                        "MCP token store refused, every request is refused until it is fixed: %s",
                        exc,
                    )
                except Exception as exc:  # noqa: BLE001 - fail closed on anything unforeseen
                    self._records, self._refused = {}, f"{type(exc).__name__}: {exc}"
                    self._reason = TokenStoreError.reason
                    log.error(  # noqa: TRY400
                        "MCP token store %s unreadable, every request is refused: %s",
                        self.source.where,
                        self._refused.splitlines()[0] if self._refused else "",
                    )
                else:
                    if not self._records:
                        log.warning(
                            "MCP token store %s holds no token: every request gets 401 "
                            "(`python -m agents mcp-token create --name NAME`)",
                            self.source.where,
                        )
                self._signature = signature
            return None if self._refused is not None else self._records

    def check(self, token: str) -> Verdict:
        if len(token) > TOKEN_MAX_CHARS:
            return Verdict(None, "malformed")
        found = TOKEN.fullmatch(token)
        if not found:
            return Verdict(None, "malformed")
        token_id, secret = found.groups()
        records = self.records()
        if records is None:
            return Verdict(None, "store-refused", token_id)
        record = records.get(token_id)
        if record is None:
            return Verdict(None, "unknown", token_id)
        if not record.matches(secret):
            return Verdict(None, "wrong-secret", token_id)
        if record.status == "revoked":
            return Verdict(None, "revoked", token_id)
        if record.valid_until() <= self.clock():
            return Verdict(None, "expired" if record.status == "active" else "rotated", token_id)
        return Verdict(record, "ok", token_id)

    async def verify_token(self, token: str) -> AccessToken | None:
        import anyio.to_thread  # noqa: PLC0415

        try:
            # A thread: the Secrets Manager source makes a network call, the audit log fsyncs.
            return await anyio.to_thread.run_sync(self._verify, token)
        except Exception as exc:  # noqa: BLE001 - a raise here would be a 500; refuse instead
            log.error("MCP token check failed, refused: %s", type(exc).__name__)  # noqa: TRY400
            return None

    def _verify(self, token: str) -> AccessToken | None:
        from mcp.server.auth.provider import AccessToken  # noqa: PLC0415

        verdict = self.check(token)
        record = verdict.record
        if record is None:
            log.warning("MCP bearer token refused (%s) id=%s", verdict.why, verdict.token_id)
            if verdict.why in ("expired", "rotated", "revoked") and self.audit is not None:
                with contextlib.suppress(OSError):  # the refusal stands either way
                    self.audit.append("mcp.auth-refused", token_id=verdict.token_id,
                                      why=verdict.why)  # fmt: skip
            return None
        return AccessToken(
            token=record.id,
            client_id=record.id,
            scopes=list(record.scopes),
            expires_at=math.floor(record.valid_until()),
            claims={"name": record.name},
        )


class StoreGate:
    """ASGI middleware in front of the HTTP app: while the verifier's token store is refused
    (damaged, unreachable, not trusted), every HTTP request is answered 503 with a JSON reason
    and `Retry-After`, before any token is looked at, so a client and its operator can tell a
    broken store from a bad token (401). Fail closed: never the last good set, never an empty
    store; the store is read again when due (`records()`), so the first request after a fix
    passes. The reason names the kind of fault only; the server's log names the store and why."""

    def __init__(self, app: Any, verifier: BearerTokenVerifier) -> None:
        self.app = app
        self.verifier = verifier
        refresh = getattr(verifier.source, "refresh_s", 1.0)
        self.retry_after = str(max(1, math.ceil(refresh)))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            import anyio.to_thread  # noqa: PLC0415

            try:  # a thread: the shared stores are read over the network
                records = await anyio.to_thread.run_sync(self.verifier.records)
                reason = self.verifier.refusal() if records is None else None
            except Exception:  # noqa: BLE001 - fail closed
                records, reason = None, TokenStoreError.reason
            if records is None:
                body = json.dumps(
                    {
                        "error": "token_store_unavailable",
                        "reason": reason or TokenStoreError.reason,
                        "error_description": f"the MCP token store is {reason}: every request "
                        "is refused until it is fixed (the server's log says why)",
                    }
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 503,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", self.retry_after.encode()),
                            (b"cache-control", b"no-store"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


__all__ = [
    "BearerTokenVerifier",
    "DynamoDBTokens",
    "Issued",
    "SecretsManagerTokens",
    "StoreGate",
    "TokenError",
    "TokenFile",
    "TokenRecord",
    "TokenSource",
    "TokenStoreDamaged",
    "TokenStoreError",
    "TokenStoreUnreachable",
    "Verdict",
    "open_token_source",
    "token_store_kind",
    "tokens_secret",
]
