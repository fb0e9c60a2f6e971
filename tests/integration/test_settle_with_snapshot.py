"""An archive settled together with its restore material (what a bulk job writes for each
Constant Contact link): one write, the material read back as `save_snapshot` keeps it, refused
like any settle once a newer change applies; an item of the earlier layout gets two writes (moto)."""

from __future__ import annotations

from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.models import LinkSettlement, LinkState, PendingChange, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.keys import contact_key
from tests.ledger_helpers import SETTLED_AT, SYNC, TENANT, change, register
from tests.support import RequestCounter

MATERIAL = {"list_ids": ["list-1", "list-2"]}


def archived(store: LedgerStore, contact_id: str) -> PendingChange:
    """The contact registered with its Constant Contact link, and archived: the change."""
    register(store, contact_id, [LinkInput(Vendor.CONSTANT_CONTACT, f"cc-{contact_id}")])
    pending = archive_contact(store, change(contact_id)).contact.pending
    assert pending is not None and pending.version is not None
    return pending


def settlement(contact_id: str, pending: PendingChange) -> LinkSettlement:
    assert pending.version is not None
    return LinkSettlement(
        tenant_id=TENANT,
        contact_id=contact_id,
        vendor=Vendor.CONSTANT_CONTACT,
        link_key="constant_contact",
        vendor_id=f"cc-{contact_id}",
        change_id=pending.change_id,
        change_version=pending.version,
        state=LinkState.ARCHIVED,
        at=SETTLED_AT,
        actor=SYNC,
        attempts=0,
        snapshot=MATERIAL,
    )


def test_an_archive_is_settled_with_its_material_in_one_write(
    store: LedgerStore, counter: RequestCounter
) -> None:
    # Given an archived contact whose link the vendor archived, its material in the answer
    pending = archived(store, "c-1")
    counter.reset()

    # When the link is settled with it
    settled = store.links.settle(settlement("c-1", pending))

    # Then one UpdateItem made the link archived and kept the material for its restore
    assert settled
    assert counter.calls == {"UpdateItem": 1}
    contact = store.contacts.get(TENANT, "c-1")
    assert contact is not None
    link = contact.links["constant_contact"]
    assert contact.link_state("constant_contact") is LinkState.ARCHIVED
    assert (link.snapshot, link.snapshot_change_id) == (MATERIAL, pending.change_id)


def test_a_newer_change_refuses_the_settle_and_its_material(store: LedgerStore) -> None:
    # Given an archive restored before its outcome came back
    pending = archived(store, "c-2")
    restore_contact(store, change("c-2"))

    # When the archive's outcome arrives with its material
    settled = store.links.settle(settlement("c-2", pending))

    # Then nothing of it is written
    assert not settled
    contact = store.contacts.get(TENANT, "c-2")
    assert contact is not None
    assert contact.links["constant_contact"].snapshot is None


def test_an_item_of_the_earlier_layout_gets_its_material_and_settle_in_two_writes(
    store: LedgerStore, counter: RequestCounter
) -> None:
    # Given an archived contact whose item has no snapshots map (written before the layout)
    pending = archived(store, "c-3")
    store.table.client.update_item(
        TableName=store.table.name,
        Key=contact_key(TENANT, "c-3"),
        UpdateExpression="REMOVE snapshots",
    )
    counter.reset()

    # When the link is settled with its material
    settled = store.links.settle(settlement("c-3", pending))

    # Then both are written all the same
    assert settled
    contact = store.contacts.get(TENANT, "c-3")
    assert contact is not None
    assert contact.link_state("constant_contact") is LinkState.ARCHIVED
    assert contact.links["constant_contact"].snapshot == MATERIAL
    assert counter.calls["UpdateItem"] >= 3  # refused for the missing map, then the two
