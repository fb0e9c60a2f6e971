"""A contact's history: its recent events on the contact item, older ones on history pages.

Each event is a compact JSON string appended to the contact item's `history` list by the very
write that makes the change, so a change never lacks its event. Event N belongs to version N.
Once more than `HISTORY_INLINE_MAX` events sit on the item, all but the newest
`HISTORY_KEEP_INLINE` move to a `history_page` item with a TTL (the retention), so the contact
item stays a few KB.
"""

from __future__ import annotations

import json
import time
from contextlib import suppress
from typing import Any

from contact_archive.ledger.encoding import from_item, to_item
from contact_archive.ledger.errors import ContactErased
from contact_archive.ledger.models import HistoryEvent
from contact_archive.ledger.store.keys import (
    ERASED_CONTACT_TYPE,
    HISTORY_PAGE_TYPE,
    contact_key,
    contact_pk,
    history_page_sk,
)
from contact_archive.ledger.store.table import Table, TransactionRefused

HISTORY_INLINE_MAX = 30
HISTORY_KEEP_INLINE = 10


def encode_event(event: dict[str, Any]) -> str:
    """A history entry (`models.history_entry`) as it is stored: JSON, cheap to parse."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True)


def _decode_events(encoded: list[str], first_version: int) -> list[HistoryEvent]:
    # Each version appends exactly one event, so position gives the version.
    return [
        HistoryEvent.model_validate({**json.loads(event), "version": first_version + offset})
        for offset, event in enumerate(encoded)
    ]


class HistoryStore:
    def __init__(self, table: Table, *, retention_days: int) -> None:
        self._table = table
        self._retention_days = retention_days

    def get(self, tenant_id: str, contact_id: str) -> list[HistoryEvent] | None:
        """Every event, oldest first: one read, plus one query once older events were paged out.
        None for no contact; `ContactErased` for an erased one."""
        item = self._table.get(
            contact_key(tenant_id, contact_id),
            ProjectionExpression="#history, history_spilled, #type",
            ExpressionAttributeNames={"#history": "history", "#type": "type"},
            ConsistentRead=True,
        )
        if not item:
            return None
        if item.get("type", {}).get("S") == ERASED_CONTACT_TYPE:
            raise ContactErased(contact_id)  # its history went with it
        contact = from_item(item)
        spilled = int(contact.get("history_spilled", 0))
        events: list[HistoryEvent] = []
        if spilled:
            for page in self._pages(tenant_id, contact_id):
                events += _decode_events(page["events"], page["first_version"])
            events = [event for event in events if event.version <= spilled]
        return events + _decode_events(contact["history"], spilled + 1)

    def _pages(self, tenant_id: str, contact_id: str) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :page)",
            "ExpressionAttributeValues": {
                ":pk": {"S": contact_pk(tenant_id, contact_id)},
                ":page": {"S": "HISTORY#"},
            },
            "ConsistentRead": True,
        }
        while True:
            response = self._table.query(**query)
            pages += [from_item(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return pages
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def page_out_written(self, tenant_id: str, contact_id: str) -> None:
        """`page_out` for a write that returned no item (a transaction): read it first."""
        item = self._table.get(contact_key(tenant_id, contact_id), ConsistentRead=True)
        if item:
            self.page_out(item)

    def page_out(self, item: dict[str, Any]) -> None:
        """Move all but the newest events of a contact item to a history page, if it has many.

        Conditional on the version the caller just wrote: if the contact changed meanwhile, the
        write that changed it pages out instead. Never fails the caller's change.
        """
        if len(item.get("history", {}).get("L", [])) <= HISTORY_INLINE_MAX:
            return
        contact = from_item(item)
        inline: list[str] = contact["history"]
        spilled = int(contact.get("history_spilled", 0))
        moving = len(inline) - HISTORY_KEEP_INLINE
        key = contact_key(contact["tenant_id"], contact["contact_id"])
        page = {
            "pk": key["pk"]["S"],
            "sk": history_page_sk(spilled + 1),
            "type": HISTORY_PAGE_TYPE,
            "first_version": spilled + 1,
            "events": inline[:moving],
            "expires_at": int(time.time()) + self._retention_days * 86400,
        }
        removals = ", ".join(f"#history[{index}]" for index in range(moving))
        trim = {
            "Key": key,
            "UpdateExpression": f"SET history_spilled = :spilled REMOVE {removals}",
            "ConditionExpression": "version = :version",
            "ExpressionAttributeNames": {"#history": "history"},
            "ExpressionAttributeValues": {
                ":spilled": {"N": str(spilled + moving)},
                ":version": {"N": str(contact["version"])},
            },
        }
        new_page = {"Item": to_item(page), "ConditionExpression": "attribute_not_exists(pk)"}
        # Refused: the contact moved on, and its newer write pages out.
        with suppress(TransactionRefused):
            self._table.transact([{"Put": new_page}, {"Update": trim}])
