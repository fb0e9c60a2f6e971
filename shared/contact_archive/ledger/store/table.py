"""The ledger table: the one botocore client every item store shares, and the one place where
DynamoDB's refusals become exceptions the stores act on.

A refused condition is `ConditionFailed` (with the item as it was, when the request asked for
it); a cancelled transaction is `TransactionRefused` (with one reason per write). Any other
`ClientError` is not ours to interpret and goes up as it came.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_GET_LIMIT = 100  # keys per BatchGetItem
BATCH_GET_ATTEMPTS = 5  # unprocessed keys are asked for again this many times
BATCH_WRITE_LIMIT = 25  # requests per BatchWriteItem
BATCH_WRITE_ATTEMPTS = 8  # unprocessed requests are sent again this many times

Key = dict[str, dict[str, str]]


class ConditionFailed(Exception):
    """A write's condition did not hold; `item` is the item as it was, when it was asked for
    (`ReturnValuesOnConditionCheckFailure`), else None."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("the condition of a write did not hold")
        self.item = item


class TransactionRefused(Exception):
    """A transaction was cancelled: nothing of it was written. `reasons` holds one entry per
    write, in order (`Code` is `None` for the writes that were not the cause)."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("a transaction was cancelled")
        self.reasons = reasons

    def condition_failed(self, position: int) -> bool:
        """Whether the write at `position` was refused by its condition."""
        return (
            position < len(self.reasons)
            and self.reasons[position].get("Code") == "ConditionalCheckFailed"
        )

    def first_failed(self) -> int | None:
        """The position of the first write refused by its condition, if any was."""
        return next(
            (position for position in range(len(self.reasons)) if self.condition_failed(position)),
            None,
        )

    def item_at(self, position: int) -> dict[str, Any]:
        """The item the write at `position` found, when it asked for it; else empty."""
        return cast("dict[str, Any]", self.reasons[position].get("Item", {}))


@contextmanager
def refusals_translated() -> Iterator[None]:
    """DynamoDB's refused conditions and cancelled transactions, as this module's exceptions."""
    try:
        yield
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(
                cast("dict[str, Any] | None", error.response.get("Item"))
            ) from None
        if code == "TransactionCanceledException":
            reasons = error.response.get("CancellationReasons", [])
            raise TransactionRefused(cast("list[dict[str, Any]]", reasons)) from None
        raise


class Table:
    """The ledger table, one request per method; every request names the table itself."""

    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def get(self, key: Key, **options: Any) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.name, Key=cast(Any, key), **options).get("Item")
        return cast("dict[str, Any] | None", item)

    def put(self, **request: Any) -> None:
        with refusals_translated():
            self.client.put_item(TableName=self.name, **request)

    def update(self, **request: Any) -> dict[str, Any]:
        """The `UpdateItem` answer: its `Attributes` when the request asked for them."""
        with refusals_translated():
            response = self.client.update_item(TableName=self.name, **request)
        return cast("dict[str, Any]", response)

    def delete(self, **request: Any) -> None:
        with refusals_translated():
            self.client.delete_item(TableName=self.name, **request)

    def query(self, **request: Any) -> dict[str, Any]:
        return cast("dict[str, Any]", self.client.query(TableName=self.name, **request))

    def transact(self, writes: list[dict[str, Any]]) -> None:
        """All of `writes` or none; each is `{"Put" | "Update" | "Delete": request}` without
        the table name, which is added here."""
        items = [
            {kind: {"TableName": self.name, **request} for kind, request in write.items()}
            for write in writes
        ]
        with refusals_translated():
            self.client.transact_write_items(TransactItems=cast(Any, items))

    def batch_get(
        self, keys: list[Key], projection: str, names: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Every item of `keys` that exists (consistent reads), one BatchGetItem per 100 keys;
        unprocessed keys (throttling) are asked for again with a short backoff, a few times,
        before giving up."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                "Keys": keys[start : start + BATCH_GET_LIMIT],
                "ProjectionExpression": projection,
                "ConsistentRead": True,
            }
            if names:
                request["ExpressionAttributeNames"] = names
            items += self._batch_get_all(request)
        return items

    def _batch_get_all(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for attempt in range(BATCH_GET_ATTEMPTS):
            response = self.client.batch_get_item(RequestItems={self.name: cast(Any, request)})
            items += response.get("Responses", {}).get(self.name, [])
            unprocessed = response.get("UnprocessedKeys", {}).get(self.name)
            if not unprocessed:
                return items
            request = dict(unprocessed)
            time.sleep(0.05 * 2**attempt)
        raise RuntimeError("DynamoDB left keys of a batch read unprocessed")

    def batch_write(self, requests: list[dict[str, Any]]) -> None:
        """`PutRequest` / `DeleteRequest`s, 25 to a BatchWriteItem; unprocessed ones (throttling)
        are sent again with a growing pause, a few times, before giving up."""
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            batch = requests[start : start + BATCH_WRITE_LIMIT]
            for attempt in range(BATCH_WRITE_ATTEMPTS):
                response = self.client.batch_write_item(RequestItems={self.name: cast(Any, batch)})
                batch = cast(
                    "list[dict[str, Any]]", response.get("UnprocessedItems", {}).get(self.name, [])
                )
                if not batch:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))
            else:
                raise RuntimeError("DynamoDB left items of a batch write unprocessed")
