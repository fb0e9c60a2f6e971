"""What an archive costs in write units, base table and indexes together, measured from the
items themselves: each write's item before and after, projected into every index as
template.yaml says (tests/unit/test_index_projections.py's sizing), for a contact linked to one
vendor and to four (docs/architecture.md's table).

An index write costs by its index item's size: an item entering or leaving an index is one put
or delete, one whose index keys change is both, one whose projected attributes change is an
update; the base item, the larger of its sizes before and after. One write unit per KB."""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3

from contact_archive.contacts.changes import archive_contact
from contact_archive.contacts.reading import get_contact
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.keys import contact_key
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from devtools.sandboxes.stack import SandboxStack
from devtools.template import load_template, table_definition
from tests.ledger_helpers import TENANT, change, register_at_vendors, sandbox_clients
from tests.unit.test_index_projections import item_size, projected

KB = 1024
CONTACT_WRITES = ("PutItem", "UpdateItem", "TransactWriteItems")


def units(size: int) -> int:
    return max(1, math.ceil(size / KB))


@dataclass
class WriteCosts:
    """Write units by where they went ('base' or an index), and the index writes' kinds."""

    units: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.units["base"] += units(max(item_size(before), item_size(after)))
        for name, index in _INDEXES.items():
            old, new = projected(before, index), projected(after, index)
            keys = [key["AttributeName"] for key in index["KeySchema"]]
            if old == new:  # out of it before and after, or the same in it
                continue
            if old is None or new is None:
                self.units[name] += units(item_size(old or new or {}))
                self.kinds["put" if old is None else "delete"] += 1
            elif any(old[key] != new[key] for key in keys):
                self.units[name] += units(item_size(old)) + units(item_size(new))
                self.kinds["delete and put"] += 1
            else:
                self.units[name] += units(max(item_size(old), item_size(new)))
                self.kinds["update"] += 1

    @property
    def total(self) -> int:
        return sum(self.units.values())

    @property
    def indexes(self) -> int:
        return self.total - self.units["base"]


_INDEXES = {
    index["IndexName"]: index
    for index in table_definition(load_template(), table_name="costs")["GlobalSecondaryIndexes"]
}


class ItemWatch:
    """The contact's item after each write the store makes (read by a client of its own)."""

    def __init__(self, store: LedgerStore, contact_id: str) -> None:
        self.raw = boto3.client("dynamodb")
        self.key = contact_key(TENANT, contact_id)
        self.item = self._read()
        self.costs = WriteCosts()
        store.client.meta.events.register("after-call.dynamodb", self._written)

    def _read(self) -> dict[str, Any]:
        table = os.environ["TABLE_NAME"]
        item: dict[str, Any] = self.raw.get_item(TableName=table, Key=self.key).get("Item", {})
        return item

    def _written(self, model: Any, **_: Any) -> None:
        if model.name not in CONTACT_WRITES:
            return
        now = self._read()
        if now != self.item:
            self.costs.add(self.item, now)
            self.item = now


def archived_and_synced(
    store: LedgerStore, stack: SandboxStack, vendors: list[Vendor]
) -> ItemWatch:
    register_at_vendors(store, stack, "ada", vendors)
    watch = ItemWatch(store, "ada")
    archive_contact(store, change("ada"))
    clients = sandbox_clients(stack)
    for key in get_contact(store, TENANT, "ada").links:
        assert sync_link(store, clients, TENANT, "ada", key).outcome is SyncOutcome.SETTLED
    return watch


def test_an_archive_of_one_link_is_one_write_unit_per_index_write(
    store: LedgerStore, stack: SandboxStack
) -> None:
    # Given a contact linked to Intercom, archived and synced (its snapshot saved, then settled)
    watch = archived_and_synced(store, stack, [Vendor.INTERCOM])
    # Then its indexes were written 15 times, each one write unit: the change moved it in the
    # status and Intercom indexes (a delete and a put each), updated it in the tenant and email
    # indexes and put it in the due index; the snapshot and the settle each updated it in the
    # four listing indexes it is in
    assert watch.costs.kinds == {"delete and put": 2, "update": 2 + 2 * 4, "put": 1}
    assert watch.costs.indexes == 2 * 2 + 10 + 1
    # And the base item, of 1 to 1.5 KB, took two units a write
    assert watch.costs.units["base"] == 3 * 2
    assert watch.costs.total == 21


def test_an_archive_of_four_links_is_at_most_two_write_units_per_index_write(
    store: LedgerStore, stack: SandboxStack
) -> None:
    # Given a contact linked to the four vendors (Sequence by customer), archived and synced
    watch = archived_and_synced(store, stack, list(Vendor))
    # Then the change moved it in the status, scope and four vendor indexes, updated it in the
    # tenant and email indexes and put it in the due index; each link's snapshot and settle
    # (eight writes) updated it in the eight listing indexes it is in
    assert watch.costs.kinds == {"delete and put": 6, "update": 2 + 8 * 8, "put": 1}
    index_writes = 6 * 2 + 66 + 1
    # And its index items (1 to 2 KB: four links' states, no snapshot) took one or two units
    assert index_writes < watch.costs.indexes <= 2 * index_writes
    assert watch.costs.units["base"] <= 9 * 4  # the base item grows to 3 KB with the snapshots
