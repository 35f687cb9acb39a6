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
- a Secrets Manager secret holding the same JSON, when `AGENTS_MCP_TOKENS_SECRET` names one (for
  servers on several machines). The verifier re-reads it every `refresh_s` (30 s): a revocation
  takes up to that long there. This source is read-only: manage tokens in a file store with the
  CLI, then upload the file (it holds only hashes) with `aws secretsmanager put-secret-value`.
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

from agents import AgentsError, InputError

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


def _time(value: object, name: str) -> float:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(float(value))
        or value < 0
    ):
        raise _Shape(f"{name} is not a finite time")
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
        raise TokenStoreError(f"{exc}: refused") from None
    try:
        return _records_of(doc)
    except _Shape as exc:
        raise TokenStoreError(f"{where}: not an MCP token store ({exc}): refused") from None


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
        if not (isinstance(ttl_days, int | float) and 0 < ttl_days <= MAX_TTL_DAYS):
            raise TokenError(f"token lifetime {ttl_days!r} days: 1 to {MAX_TTL_DAYS}")
        with self._locked() as records:
            record, token = _new_record(name, chosen, self.clock(), ttl_days * 86_400, records)
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
        if not 0 <= grace_s <= MAX_GRACE_S:
            raise TokenError(f"grace {grace_s!r} s: 0 to {MAX_GRACE_S:.0f}")
        with self._locked() as records:
            old = _get(records, token_id)
            now = self.clock()
            if old.status != "active" or old.expires_at <= now:
                state = old.status if old.status != "active" else "expired"
                raise TokenError(
                    f"token {token_id} is {state}: only an active token can be rotated "
                    "(create a new one)"
                )
            new, token = _new_record(
                old.name, old.scopes, now, old.expires_at - old.created_at, records
            )
            new = replace(new, rotated_from=old.id)
            retired = replace(
                old, status="rotated", rotated_at=now, grace_until=now + grace_s, replaced_by=new.id
            )
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
            raise TokenStoreError(f"{self.where}: cannot be read ({exc}): refused") from exc
        text = value.get("SecretString")
        if not isinstance(text, str):
            raise TokenStoreError(f"{self.where}: holds no text (SecretString): refused")
        data = text.encode()
        if len(data) > STORE_MAX_BYTES:
            raise TokenStoreError(f"{self.where}: larger than {STORE_MAX_BYTES} bytes: refused")
        return _parse_store(data, self.where)

    def list(self) -> list[dict[str, Any]]:
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


def open_token_source(
    settings: AgentSettings,
    *,
    clock: Clock = time.time,
    environ: Mapping[str, str] | None = None,
    client: Any = None,
) -> TokenFile | SecretsManagerTokens:
    """The file store `<state_dir>/mcp-tokens.json`, or the secret `AGENTS_MCP_TOKENS_SECRET`."""
    secret_id = tokens_secret(settings, environ)
    if secret_id is None:
        from agents.protocol.audit import AuditLog  # noqa: PLC0415

        return TokenFile(
            settings.state_dir / STORE_FILE, clock=clock, audit=AuditLog(settings.audit_log)
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
    return SecretsManagerTokens(client, secret_id, clock=clock)


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

    def records(self) -> dict[str, TokenRecord] | None:
        """The current records, re-read when the source changed; None while it is refused."""
        with self._lock:
            signature = self.source.signature()
            if signature != self._signature:
                try:
                    self._records, self._refused = self.source.read(), None
                except TokenStoreError as exc:
                    self._records, self._refused = {}, str(exc)
                    log.error(  # noqa: TRY400 - one line, no traceback: the message says it all
                        "MCP token store refused, every request gets 401: %s", exc
                    )
                except Exception as exc:  # noqa: BLE001 - fail closed on anything unforeseen
                    self._records, self._refused = {}, f"{type(exc).__name__}: {exc}"
                    log.error(  # noqa: TRY400
                        "MCP token store %s unreadable, every request gets 401: %s",
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


__all__ = [
    "BearerTokenVerifier",
    "Issued",
    "SecretsManagerTokens",
    "TokenError",
    "TokenFile",
    "TokenRecord",
    "TokenSource",
    "TokenStoreError",
    "Verdict",
    "open_token_source",
    "tokens_secret",
]
