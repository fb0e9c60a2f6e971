"""Register many new contacts at once on a fresh table: what `register_contact` would write, in
`BatchWriteItem`s of 25 items, for tests' Given-steps (10,000 contacts in seconds, not minutes).

The items are not built here: `register_contact` itself runs against a client that records its
writes instead of sending them (its reads find nothing, as on a table without these contacts), so
the contact items, their history and their vendor-id refs are exactly registration's. What is
left out is only what a new contact's writes would check: their conditions (the contact and its
refs do not exist yet). So the table must hold none of these contacts or vendor ids; a vendor id
named twice fails the batch that holds it (DynamoDB refuses a key twice in one request).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from itertools import batched
from typing import TYPE_CHECKING, Any, cast

from devtools import REPO_ROOT

if str(REPO_ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "shared"))  # the layer: registration itself
from contact_archive.contacts.register import RegisterCommand, register_contact
from contact_archive.ledger.models import Clock, utc_now
from contact_archive.ledger.store import LedgerStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_WRITE_LIMIT = 25  # items per BatchWriteItem
WRITE_ATTEMPTS = 8  # unprocessed items are sent again this many times
WORKERS = 4


class _RecordingClient:
    """The DynamoDB calls a registration makes, recorded rather than sent."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {}  # no such contact yet: registration creates it

    def put_item(self, *, Item: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.items.append(Item)
        return {}

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        for write in TransactItems:
            ((kind, request),) = write.items()
            if kind != "Put":  # a new contact only puts; anything else is not a registration
                raise ValueError(f"a new contact's registration wrote a {kind}")
            self.items.append(request["Item"])
        return {}


def registration_items(
    commands: Iterable[RegisterCommand], table_name: str, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Every item registering `commands` on a table without them writes, in order."""
    recorder = _RecordingClient()
    store = LedgerStore(cast("DynamoDBClient", recorder), table_name)
    for command in commands:
        register_contact(store, command, clock)
    return recorder.items


def register_new_contacts(
    store: LedgerStore,
    commands: Iterable[RegisterCommand],
    clock: Clock = utc_now,
    workers: int = WORKERS,
) -> int:
    """Write to `store`'s table what registering `commands` writes (they must all be new to it);
    how many items were written."""
    client, table_name = store.table.client, store.table.name
    items = registration_items(commands, table_name, clock)

    def write(batch: tuple[dict[str, Any], ...]) -> None:
        requests: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in batch]
        for _ in range(WRITE_ATTEMPTS):
            response = client.batch_write_item(RequestItems={table_name: cast(Any, requests)})
            requests = cast(Any, response.get("UnprocessedItems", {}).get(table_name, []))
            if not requests:
                return
        raise RuntimeError(f"{len(requests)} items stayed unprocessed")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(write, batched(items, BATCH_WRITE_LIMIT, strict=False)))
    return len(items)
