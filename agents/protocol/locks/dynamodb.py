"""The DynamoDB lock backend: agents on several machines coordinate through one table.

Table: string keys `pk` (partition) and `sk` (sort), on-demand billing, TTL on `expires_epoch`
(`ensure_table` creates it so). All items of a stack share `pk = "stack#<stack>"`:

    sk = "counter"                      last_token N, queue_version N      (never expires)
    sk = "lease"                        owner, persona, operation, token N, acquired_at N,
                                        expires_at N, request_id, expires_epoch N
    sk = "waiter#<request_id>"          owner, persona, operation, priority N, enqueued_at N,
                                        heartbeat_at N, expires_at N, expires_epoch N
    sk = "cooldown#<persona>#<operation>"  until N, expires_epoch N
    sk = "record#<key>"                 value (JSON text), token N, written_at N  (never expires)

Times are epoch seconds as exact decimal strings (`repr` of the float). `expires_epoch` (whole
seconds, an hour after `expires_at`) exists only so that DynamoDB's TTL eventually deletes dead
leases, waiters and cooldowns; every decision compares `expires_at`/`until` with the caller's
clock, so correctness never depends on when (or whether) TTL deletes an item.

Taking a free stack is one `TransactWriteItems`:
  - the counter: `ADD last_token 1`, on condition that `last_token` and `queue_version` still
    have the values read before the decision (`attribute_not_exists` for a new stack);
  - the lease: `Put` on condition `attribute_not_exists(pk) OR expires_at <= :now`;
  - the request's own waiter item: `Delete`.
So the token is exactly the previous one plus one, and two acquirers cannot both win. Registering
a waiter `ADD`s 1 to `queue_version` in the same transaction as its `Put`, and the decision reads
the counter *before* querying the waiters: a waiter that registers after the counter was read
changes `queue_version` and cancels the take, so a newcomer can never slip in ahead of a
higher-priority waiter it did not see (Query is only read-committed; the counter check makes the
decision serialisable). Heartbeats do not touch the counter: they only keep an entry alive, and
an `UpdateItem` on condition `expires_at > :now` refuses to revive one that lapsed (the request
then registers again, which bumps the version).

Renew is an `UpdateItem` of the lease on condition `token = :token AND owner = :owner AND
expires_at > :now`; release a `DeleteItem` on `token` and `owner`; `fenced_write` a transaction of
a `ConditionCheck` of the lease (same condition as renew) and the record's `Put` (on condition that
the stored record's token is not newer). Reads are strongly consistent.

IAM for an agent: dynamodb:GetItem, PutItem, UpdateItem, DeleteItem, Query and
ConditionCheckItem on the table (transactions are authorised per contained action);
`ensure_table` also needs CreateTable, DescribeTable, DescribeTimeToLive and UpdateTimeToLive.

Clock skew: see `agents.protocol.locks`; the acquirer's clock stamps `expires_at` and the next
acquirer's
clock judges it, so the lease TTL must far exceed the skew between the agents' machines.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from agents.protocol.locks import (
    Clock,
    Lease,
    LeaseLost,
    LockStoreError,
    LockUnavailable,
    Record,
    Sleep,
    StaleLease,
    Waiter,
    check_name,
    check_positive,
    check_record_key,
    check_stack,
)
from agents.protocol.locks.base import (
    DEFAULT_WAITER_TTL_S,
    LockRequest,
    PollingBackend,
    lost_message,
    may_take,
    stale_message,
)

TTL_ATTRIBUTE = "expires_epoch"
# How long after expiry DynamoDB's TTL may delete an item: kept a while for post-mortems.
EXPIRY_GRACE_S = 3600
COUNTER = "counter"
LEASE = "lease"
WAITER = "waiter#"
COOLDOWN = "cooldown#"
RECORD = "record#"
# Cancelled takes (another process registered or took the stack meanwhile) retried at once.
TAKE_ATTEMPTS = 3
REGISTER_ATTEMPTS = 20

Item = dict[str, dict[str, Any]]


class _ConditionFailed(Exception):
    pass


class _Cancelled(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons


def dynamodb_client(region: str, endpoint_url: str | None = None) -> Any:
    """A DynamoDB client with bounded timeouts and standard retries (throttling, 5xx)."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=5,
        read_timeout=10,
    )
    return boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url, config=config)


def ensure_table(client: Any, name: str, *, wait_s: float = 120.0) -> bool:
    """Create the lock table (pk/sk strings, on demand) unless it exists, and turn on TTL on
    `expires_epoch`; True if it was created. Safe to call from several agents at once. No way to
    reach DynamoDB is one line naming the table and the region (`LockUnavailable`)."""
    try:
        return _ensure_table(client, name, wait_s=wait_s)
    except BotoCoreError as exc:
        raise LockUnavailable(
            f"DynamoDB table {name!r} in {client.meta.region_name} cannot be reached ({exc})"
        ) from exc


def _ensure_table(client: Any, name: str, *, wait_s: float) -> bool:
    created = False
    try:
        table = client.describe_table(TableName=name)["Table"]
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise LockStoreError(f"DynamoDB table {name!r}: cannot describe it ({exc})") from exc
        try:
            client.create_table(
                TableName=name,
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            created = True
        except ClientError as create_exc:
            if _code(create_exc) != "ResourceInUseException":  # another agent created it
                raise LockStoreError(
                    f"DynamoDB table {name!r}: cannot create it ({create_exc})"
                ) from create_exc
        delay = 1
        client.get_waiter("table_exists").wait(
            TableName=name,
            WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(wait_s / delay))},
        )
        table = client.describe_table(TableName=name)["Table"]
    keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
    if keys != {"pk": "HASH", "sk": "RANGE"}:
        raise LockStoreError(
            f"DynamoDB table {name!r} has keys {keys}; the lock table needs pk (HASH) and sk "
            "(RANGE), both strings: choose another AGENTS_DYNAMODB_TABLE"
        )
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    return created


class DynamoDBLockBackend(PollingBackend):
    """Locks, queue, cooldowns and records as items of one DynamoDB table."""

    def __init__(
        self,
        client: Any,
        table: str,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        waiter_ttl_s: float = DEFAULT_WAITER_TTL_S,
    ) -> None:
        super().__init__(clock=clock, sleep=sleep, waiter_ttl_s=waiter_ttl_s)
        self.client = client
        self.table = table

    def __repr__(self) -> str:
        return f"DynamoDBLockBackend({self.table!r})"

    # Requests.

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self.client, method)(TableName=self.table, **kwargs)
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise _ConditionFailed from exc
            raise self._store_error(method, exc) from exc
        except BotoCoreError as exc:
            raise self._store_error(method, exc) from exc
        return result

    def _transact(self, items: list[dict[str, Any]]) -> None:
        for entry in items:
            next(iter(entry.values()))["TableName"] = self.table
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _code(exc) in ("TransactionCanceledException", "TransactionConflictException"):
                reasons = exc.response.get("CancellationReasons") or []
                raise _Cancelled([str(r.get("Code", "?")) for r in reasons]) from exc
            raise self._store_error("transact_write_items", exc) from exc
        except BotoCoreError as exc:
            raise self._store_error("transact_write_items", exc) from exc

    def _store_error(self, method: str, exc: Exception) -> LockStoreError:
        where = f"DynamoDB table {self.table!r} in {self.client.meta.region_name}"
        if isinstance(exc, ClientError) and _code(exc) == "ResourceNotFoundException":
            return LockUnavailable(
                f"{where} does not exist: create it (`python -m agents init-lock-table`) or set "
                "AGENTS_DYNAMODB_TABLE"
            )
        if isinstance(exc, BotoCoreError) or (
            isinstance(exc, ClientError) and _code(exc) in _UNAVAILABLE_CODES
        ):
            return LockUnavailable(f"{where} cannot be reached or used: {method} failed ({exc})")
        return LockStoreError(f"{where}: {method} failed ({exc})")

    def _get(self, stack: str, sk: str) -> Item | None:
        item: Item | None = self._call("get_item", Key=_key(stack, sk), ConsistentRead=True).get(
            "Item"
        )
        return item

    def _query(self, stack: str, prefix: str) -> Iterator[Item]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _s(_pk(stack)), ":prefix": _s(prefix)},
            "ConsistentRead": True,
        }
        while True:
            page = self._call("query", **kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _waiters(self, stack: str) -> list[Waiter]:
        return [_waiter(stack, item) for item in self._query(stack, WAITER)]

    # The waiting loop's atomic steps.

    def _try_take(self, request: LockRequest) -> Lease | None:
        stack = request.stack
        for _ in range(TAKE_ATTEMPTS):
            now = self.clock()
            # While the stack is held, a poll costs one read. When it looks free, the counter is
            # read before the waiters (see the module docstring on queue_version); the lease read
            # may be stale by then, which the take's condition on the lease catches.
            held = self._get(stack, LEASE)
            if held is not None:
                if _str(held, "request_id") == request.request_id:
                    return _lease(stack, held)  # our own take, whose answer was lost and retried
                if _num(held, "expires_at") > now:
                    return None
            counter = self._get(stack, COUNTER)
            allowed, has_entry = may_take(request, self._waiters(stack), now)
            if not allowed:
                return None
            last = int(_num(counter, "last_token")) if counter and "last_token" in counter else 0
            lease = request.lease(last + 1, now)
            items: list[dict[str, Any]] = [
                {"Update": _counter_take(stack, counter)},
                {
                    "Put": {
                        "Item": _lease_item(lease, request.request_id),
                        "ConditionExpression": "attribute_not_exists(pk) OR #exp <= :now",
                        "ExpressionAttributeNames": {"#exp": "expires_at"},
                        "ExpressionAttributeValues": {":now": _n(now)},
                    }
                },
            ]
            if has_entry:
                items.append({"Delete": {"Key": _key(stack, WAITER + request.request_id)}})
            try:
                self._transact(items)
            except _Cancelled:
                continue
            return lease
        return None

    def _register(self, request: LockRequest) -> Waiter:
        for attempt in range(1, REGISTER_ATTEMPTS + 1):
            now = self.clock()
            waiter = request.waiter(now, now)
            try:
                self._transact(
                    [
                        {"Put": {"Item": _waiter_item(waiter)}},
                        {
                            "Update": {
                                "Key": _key(request.stack, COUNTER),
                                "UpdateExpression": "ADD #qv :one",
                                "ExpressionAttributeNames": {"#qv": "queue_version"},
                                "ExpressionAttributeValues": {":one": _n(1)},
                            }
                        },
                    ]
                )
            except _Cancelled:
                # A concurrent transaction touched the counter: back off a little, try again.
                self.sleep(0.005 * attempt)
                continue
            return waiter
        raise LockStoreError(
            f"DynamoDB table {self.table!r}: stack {request.stack!r}: could not register a waiter "
            f"in {REGISTER_ATTEMPTS} attempts (transaction conflicts); retry"
        )

    def _heartbeat(self, request: LockRequest) -> bool:
        now = self.clock()
        expires = now + request.waiter_ttl_s
        try:
            self._call(
                "update_item",
                Key=_key(request.stack, WAITER + request.request_id),
                UpdateExpression="SET #hb = :now, #exp = :exp, #ttl = :ttl",
                ConditionExpression="attribute_exists(pk) AND #exp > :now",
                ExpressionAttributeNames={
                    "#hb": "heartbeat_at",
                    "#exp": "expires_at",
                    "#ttl": TTL_ATTRIBUTE,
                },
                ExpressionAttributeValues={
                    ":now": _n(now),
                    ":exp": _n(expires),
                    ":ttl": _n(_epoch(expires)),
                },
            )
        except _ConditionFailed:
            return False
        return True

    def _withdraw(self, stack: str, request_id: str) -> None:
        self._call("delete_item", Key=_key(stack, WAITER + request_id))

    # Leases.

    def renew(self, lease: Lease, ttl_s: float) -> Lease:
        ttl_s = check_positive("ttl_s", ttl_s)
        now = self.clock()
        expires = now + ttl_s
        try:
            self._call(
                "update_item",
                Key=_key(lease.stack, LEASE),
                UpdateExpression="SET #exp = :exp, #ttl = :ttl",
                ConditionExpression=_CURRENT,
                ExpressionAttributeNames={**_CURRENT_NAMES, "#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    **_current_values(lease, now),
                    ":exp": _n(expires),
                    ":ttl": _n(_epoch(expires)),
                },
            )
        except _ConditionFailed:
            raise LeaseLost(lost_message(lease, self.holder(lease.stack))) from None
        return Lease(**{**lease.as_dict(), "expires_at": expires})

    def release(self, lease: Lease) -> None:
        with contextlib.suppress(_ConditionFailed):  # no longer ours: nothing to release
            self._call(
                "delete_item",
                Key=_key(lease.stack, LEASE),
                ConditionExpression="#token = :token AND #owner = :owner",
                ExpressionAttributeNames={"#token": "token", "#owner": "owner"},
                ExpressionAttributeValues={":token": _n(lease.token), ":owner": _s(lease.owner)},
            )

    def holder(self, stack: str) -> Lease | None:
        item = self._get(check_stack(stack), LEASE)
        if item is None or _num(item, "expires_at") <= self.clock():
            return None
        return _lease(stack, item)

    def check(self, lease: Lease) -> None:
        current = self.holder(lease.stack)
        if current is None or current.token != lease.token or current.owner != lease.owner:
            raise StaleLease(stale_message(lease, current))

    def fenced_write(self, lease: Lease, key: str, value: Any) -> None:
        check_record_key(key)
        text = json.dumps(value, sort_keys=True)
        now = self.clock()
        try:
            self._transact(
                [
                    {
                        "ConditionCheck": {
                            "Key": _key(lease.stack, LEASE),
                            "ConditionExpression": _CURRENT,
                            "ExpressionAttributeNames": _CURRENT_NAMES,
                            "ExpressionAttributeValues": _current_values(lease, now),
                        }
                    },
                    {
                        "Put": {
                            "Item": {
                                **_key(lease.stack, RECORD + key),
                                "value": _s(text),
                                "token": _n(lease.token),
                                "written_at": _n(now),
                            },
                            "ConditionExpression": "attribute_not_exists(pk) OR #token <= :token",
                            "ExpressionAttributeNames": {"#token": "token"},
                            "ExpressionAttributeValues": {":token": _n(lease.token)},
                        }
                    },
                ]
            )
        except _Cancelled:
            raise StaleLease(stale_message(lease, self.holder(lease.stack))) from None

    def read_record(self, stack: str, key: str) -> Record | None:
        item = self._get(check_stack(stack), RECORD + check_record_key(key))
        if item is None:
            return None
        return Record(
            stack=stack,
            key=key,
            value=_json(item, "value"),
            token=int(_num(item, "token")),
            written_at=_num(item, "written_at"),
        )

    def waiting(self, stack: str) -> list[Waiter]:
        now = self.clock()
        live = (w for w in self._waiters(check_stack(stack)) if w.live(now))
        return sorted(live, key=Waiter.rank)

    # Cooldowns.

    def cooldown_remaining(self, persona: str, stack: str, operation: str) -> float:
        item = self._get(check_stack(stack), _cooldown_sk(persona, operation))
        return 0.0 if item is None else max(0.0, _num(item, "until") - self.clock())

    def start_cooldown(self, persona: str, stack: str, operation: str, seconds: float) -> None:
        sk = _cooldown_sk(persona, operation)
        check_stack(stack)
        if not seconds > 0:
            return
        until = self.clock() + seconds
        with contextlib.suppress(_ConditionFailed):  # a longer cooldown is already running
            self._call(
                "put_item",
                Item={
                    **_key(stack, sk),
                    "until": _n(until),
                    TTL_ATTRIBUTE: _n(_epoch(until)),
                },
                ConditionExpression="attribute_not_exists(pk) OR #until < :until",
                ExpressionAttributeNames={"#until": "until"},
                ExpressionAttributeValues={":until": _n(until)},
            )


# A lease is current: same token and owner, not expired.
_CURRENT = "#token = :token AND #owner = :owner AND #exp > :now"
_CURRENT_NAMES = {"#token": "token", "#owner": "owner", "#exp": "expires_at"}


def _current_values(lease: Lease, now: float) -> dict[str, Any]:
    return {":token": _n(lease.token), ":owner": _s(lease.owner), ":now": _n(now)}


def _counter_take(stack: str, counter: Item | None) -> dict[str, Any]:
    """The counter's part of a take: the next token, if nobody took or registered meanwhile."""
    names = {"#last": "last_token"}
    values: dict[str, Any] = {":one": _n(1)}
    if counter is None:
        condition = "attribute_not_exists(pk)"
    else:
        names["#qv"] = "queue_version"
        parts = []
        for name, attr in (("#last", "last_token"), ("#qv", "queue_version")):
            if attr in counter:
                parts.append(f"{name} = :{attr}")
                values[f":{attr}"] = counter[attr]
            else:
                parts.append(f"attribute_not_exists({name})")
        condition = " AND ".join(parts)
    return {
        "Key": _key(stack, COUNTER),
        "UpdateExpression": "ADD #last :one",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _pk(stack: str) -> str:
    return f"stack#{stack}"


def _key(stack: str, sk: str) -> Item:
    return {"pk": _s(_pk(stack)), "sk": _s(sk)}


def _cooldown_sk(persona: str, operation: str) -> str:
    return f"{COOLDOWN}{check_name('persona', persona)}#{check_name('operation', operation)}"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    # repr round-trips a float exactly, so a Lease read back equals the one written.
    return {"N": repr(value) if isinstance(value, float) else str(int(value))}


def _malformed(item: Item, name: str) -> LockStoreError:
    # Fail closed: a hand-edited or foreign item refuses its stack with one line, never a crash.
    where = f"{_str(item, 'pk')}/{_str(item, 'sk')}" if name not in ("pk", "sk") else "an item"
    return LockStoreError(
        f"DynamoDB item {where}: attribute {name!r} is missing or malformed; the stack is "
        "refused until the item is repaired or deleted by hand"
    )


def _num(item: Item, name: str) -> float:
    try:
        value = float(item[name]["N"])
    except (KeyError, TypeError, ValueError):
        raise _malformed(item, name) from None
    if not math.isfinite(value):
        raise _malformed(item, name)
    return value


def _str(item: Item, name: str) -> str:
    if name not in item:
        return ""
    value = item[name].get("S") if isinstance(item[name], dict) else None
    if not isinstance(value, str):
        raise _malformed(item, name)
    return value


def _json(item: Item, name: str) -> Any:
    try:
        return json.loads(_str(item, name))
    except (ValueError, RecursionError):  # not JSON, or nested past the decoder's depth
        raise _malformed(item, name) from None


def _epoch(t: float) -> int:
    return math.ceil(t) + EXPIRY_GRACE_S


def _lease_item(lease: Lease, request_id: str) -> Item:
    return {
        **_key(lease.stack, LEASE),
        "owner": _s(lease.owner),
        "persona": _s(lease.persona),
        "operation": _s(lease.operation),
        "token": _n(lease.token),
        "acquired_at": _n(lease.acquired_at),
        "expires_at": _n(lease.expires_at),
        "request_id": _s(request_id),
        TTL_ATTRIBUTE: _n(_epoch(lease.expires_at)),
    }


def _lease(stack: str, item: Item) -> Lease:
    return Lease(
        stack=stack,
        owner=_str(item, "owner"),
        persona=_str(item, "persona"),
        operation=_str(item, "operation"),
        token=int(_num(item, "token")),
        acquired_at=_num(item, "acquired_at"),
        expires_at=_num(item, "expires_at"),
    )


def _waiter_item(waiter: Waiter) -> Item:
    return {
        **_key(waiter.stack, WAITER + waiter.request_id),
        "owner": _s(waiter.owner),
        "persona": _s(waiter.persona),
        "operation": _s(waiter.operation),
        "priority": _n(waiter.priority),
        "enqueued_at": _n(waiter.enqueued_at),
        "heartbeat_at": _n(waiter.heartbeat_at),
        "expires_at": _n(waiter.expires_at),
        TTL_ATTRIBUTE: _n(_epoch(waiter.expires_at)),
    }


def _waiter(stack: str, item: Item) -> Waiter:
    return Waiter(
        request_id=_str(item, "sk").removeprefix(WAITER),
        stack=stack,
        owner=_str(item, "owner"),
        persona=_str(item, "persona"),
        operation=_str(item, "operation"),
        priority=int(_num(item, "priority")),
        enqueued_at=_num(item, "enqueued_at"),
        heartbeat_at=_num(item, "heartbeat_at"),
        expires_at=_num(item, "expires_at"),
    )


# Errors that mean "no access at all" rather than a problem with what is stored.
_UNAVAILABLE_CODES = frozenset(
    {
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
