"""Approval records in the DynamoDB lock table, for agents on several machines (issue 9).

Items (beside the locks' `stack#<stack>` partitions, in a partition of their own):

    pk = "approvals", sk = "record#<id>"   record (the signed JSON text), sig, stack, written_at
    pk = "approvals", sk = "used#<id>"     used_at                          (the used marker)

No TTL: records stay for the record. The compare-and-set of a decision is a conditional `PutItem`
on `sig = :previous` (the signature of the record the decision was made on); a use is one
`TransactWriteItems` of that `Put` and the used marker's `Put` on `attribute_not_exists(pk)`, so
two deciders (or two runners) on two machines cannot both win, and a record put back from an old
copy cannot be used twice. A record is made with `attribute_not_exists(pk)`.

IAM: the lock table's actions (GetItem, PutItem, Query, DeleteItem for `repair`) cover it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agents.protocol.approvals import (
    ApprovalError,
    _check_id,
    _Conflict,
    _Damage,
    _stored_signature,
)
from agents.protocol.locks.dynamodb import DynamoDBLockBackend, _Cancelled, _ConditionFailed
from toolchain.inputs import write_atomic

PARTITION = "approvals"
RECORD = "record#"
USED = "used#"


class DynamoDBRecords:
    def __init__(self, client: Any, table: str) -> None:
        # The lock backend's request helpers: the same error mapping (an unreachable table is
        # `LockUnavailable`, one line naming table and region) and the same transactions.
        self._db = DynamoDBLockBackend(client, table)
        self.where = f"dynamodb:{table}"

    def location(self, approval_id: str) -> str:
        return f"{self.where}/{PARTITION}/{RECORD}{_check_id(approval_id)}"

    @contextlib.contextmanager
    def locked(self, approval_id: str) -> Iterator[None]:
        # The conditional writes are the compare-and-set; there is nothing to hold.
        yield

    def _key(self, sk: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": PARTITION}, "sk": {"S": sk}}

    def read(self, approval_id: str) -> str | None:
        item = self._db._call(
            "get_item", Key=self._key(RECORD + _check_id(approval_id)), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        text = item.get("record", {}).get("S")
        if not isinstance(text, str):
            raise _Damage("the item holds no record text")
        return text

    def _put(self, approval_id: str, text: str) -> dict[str, Any]:
        return {
            "Item": {
                **self._key(RECORD + approval_id),
                "record": {"S": text},
                "sig": {"S": _stored_signature(text) or ""},
                "written_at": {"N": repr(time.time())},
            }
        }

    def create(self, approval_id: str, text: str) -> None:
        try:
            self._db._call(
                "put_item",
                **self._put(_check_id(approval_id), text),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except _ConditionFailed:
            raise ApprovalError(f"approval {approval_id} exists already: not replaced") from None

    def replace(self, approval_id: str, expected_signature: str, text: str, *, used: bool) -> None:
        put = {
            **self._put(_check_id(approval_id), text),
            "ConditionExpression": "sig = :previous",
            "ExpressionAttributeValues": {":previous": {"S": expected_signature}},
        }
        if not used:
            try:
                self._db._call("put_item", **put)
            except _ConditionFailed:
                raise _Conflict from None
            return
        marker = {
            "Item": {**self._key(USED + approval_id), "used_at": {"N": repr(time.time())}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        try:
            self._db._transact([{"Put": put}, {"Put": marker}])
        except _Cancelled:
            raise _Conflict from None

    def used(self, approval_id: str) -> bool:
        item = self._db._call(
            "get_item", Key=self._key(USED + _check_id(approval_id)), ConsistentRead=True
        ).get("Item")
        return item is not None

    def ids(self) -> list[str]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": PARTITION}, ":prefix": {"S": RECORD}},
            "ConsistentRead": True,
            "ProjectionExpression": "sk",
        }
        found = []
        while True:
            page = self._db._call("query", **kwargs)
            found += [item["sk"]["S"].removeprefix(RECORD) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return sorted(found)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def move_aside(self, approval_id: str, keep_dir: Path, stamp: str) -> tuple[str, Path]:
        """Copy the damaged item's text to `<keep_dir>/<id>.json.damaged-<stamp>`, then delete
        the item, on condition that it is still what was copied."""
        item = self._db._call(
            "get_item", Key=self._key(RECORD + _check_id(approval_id)), ConsistentRead=True
        ).get("Item")
        kept = keep_dir / f"{approval_id}.json.damaged-{stamp}"
        if item is None:
            return self.location(approval_id), kept
        keep_dir.mkdir(parents=True, exist_ok=True)
        text = item.get("record", {}).get("S")
        write_atomic(kept, text if isinstance(text, str) else repr(item))
        condition: dict[str, Any] = (
            {
                "ConditionExpression": "#r = :text",
                "ExpressionAttributeNames": {"#r": "record"},
                "ExpressionAttributeValues": {":text": {"S": text}},
            }
            if isinstance(text, str)
            else {
                "ConditionExpression": "attribute_not_exists(#r)",
                "ExpressionAttributeNames": {"#r": "record"},
            }
        )
        try:
            self._db._call("delete_item", Key=self._key(RECORD + approval_id), **condition)
        except _ConditionFailed:
            raise ApprovalError(
                f"approval {approval_id} changed while it was being repaired: run repair again"
            ) from None
        return self.location(approval_id), kept
