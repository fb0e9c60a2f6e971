"""The due index: contacts whose links the stream may not have settled, by when to look.

A change puts its contact in the index (`STUCK_AFTER` from then), a waiting link at its
`retry_at`; the sweeper pages through what is due, drives the links, and moves the contact to its
next due time or out of the index. Each move is conditional on the entry it read, so a change
that came meanwhile keeps its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contact_archive.ledger.encoding import to_attribute
from contact_archive.ledger.store.keys import (
    DUE_INDEX,
    DUE_SHARDS,
    DUE_UPDATES,
    contact_key,
    due_values,
)
from contact_archive.ledger.store.table import ConditionFailed, Table


@dataclass(frozen=True)
class DueEntry:
    tenant_id: str
    contact_id: str
    due_sk: str  # the entry as read: a move is conditional on it


def all_shards() -> list[str]:
    return [f"DUE#{number:02d}" for number in range(DUE_SHARDS)]


class DueStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def page(
        self, shard: str, until: str, limit: int, start_key: dict[str, Any] | None = None
    ) -> tuple[list[DueEntry], dict[str, Any] | None]:
        """One Query of a shard of the index: contacts due at `until` (ISO) or before, earliest
        first; and where to go on from (None at the end)."""
        query: dict[str, Any] = {
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "due_pk = :shard AND due_sk <= :until",
            "ExpressionAttributeValues": {
                ":shard": {"S": shard},
                ":until": {"S": f"{until}~"},  # `~` sorts after the `#` that ends the time
            },
            "Limit": limit,
        }
        if start_key:
            query["ExclusiveStartKey"] = start_key
        response = self._table.query(**query)
        entries = []
        for item in response.get("Items", []):
            due_sk = item["due_sk"]["S"]
            _, tenant_id, contact_id = due_sk.split("#", 2)
            entries.append(DueEntry(tenant_id, contact_id, due_sk))
        return entries, response.get("LastEvaluatedKey")

    def reschedule(self, entry: DueEntry, due_at: str | None) -> bool:
        """Move the contact to `due_at`, or out of the index (None); False when its entry is no
        longer the one read (a change or a wait moved it meanwhile: that one stands)."""
        update: dict[str, Any] = {
            "Key": contact_key(entry.tenant_id, entry.contact_id),
            "ConditionExpression": "due_sk = :seen",
        }
        values: dict[str, Any] = {":seen": entry.due_sk}
        if due_at is None:
            update["UpdateExpression"] = "REMOVE due_at, due_pk, due_sk"
        else:
            update["UpdateExpression"] = "SET " + ", ".join(DUE_UPDATES)
            values |= due_values(entry.tenant_id, entry.contact_id, due_at)
        update["ExpressionAttributeValues"] = {k: to_attribute(v) for k, v in values.items()}
        try:
            self._table.update(**update)
        except ConditionFailed:
            return False
        return True
