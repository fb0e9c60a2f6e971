"""The erasure's conditional writes against a restore in flight, run against moto (integration/)
and DynamoDB Local (dynamodb_local/): a link write meant for the contact never lands on its
tombstone, an answer from before a late restore is not taken for the round after it, and the
erasure is noted announced once. Subclassed by the same classes as `StoreCases`."""

from __future__ import annotations

from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.contacts.erasure import EraseCommand, erase_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.models import LinkSettlement, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.keys import contact_key
from contact_archive.ledger.tombstones import ErasedLinkState
from tests.ledger_helpers import ALICE, TENANT, change, register, sync_outcome

LINK = LinkInput(Vendor.CONSTANT_CONTACT, "cc-1")
AT = "2026-11-30T05:00:00+00:00"


def restoring_then_erased(store: LedgerStore) -> tuple[str, LinkSettlement]:
    """Her one link restoring (archived, then restored in the ledger), then her erased: the
    link's key, and the settle a sync read before the erasure would write."""
    register(store, "c-1", [LINK])
    archive_contact(store, change("c-1"))
    archiving = store.contacts.read(TENANT, "c-1")
    store.links.settle(sync_outcome(archiving, Vendor.CONSTANT_CONTACT, LinkState.ARCHIVED))
    restore_contact(store, change("c-1"))
    contact = store.contacts.read(TENANT, "c-1")
    stale = sync_outcome(contact, Vendor.CONSTANT_CONTACT, LinkState.ACTIVE)
    erase_contact(store, EraseCommand(TENANT, "c-1", ALICE), "key")
    (key,) = contact.links
    return key, stale


class ErasureStoreCases:
    def test_a_settle_read_before_the_erasure_is_refused_by_the_tombstone(
        self, store: LedgerStore
    ) -> None:
        # Given a restore's settle read before her erasure
        key, stale = restoring_then_erased(store)
        before = store.table.get(contact_key(TENANT, "c-1"), ConsistentRead=True)
        # When it is written, and a re-create's mark and a wait for the same change
        settled = store.links.settle(stale)
        marked = store.links.mark_recreate(
            TENANT,
            "c-1",
            key,
            vendor_id=LINK.vendor_id,
            change_id=stale.change_id,
            change_version=stale.change_version,
        )
        # Then none of them lands: the tombstone is as the erasure left it
        assert (settled, marked) == (False, False)
        assert store.table.get(contact_key(TENANT, "c-1"), ConsistentRead=True) == before

    def test_an_answer_from_before_a_late_restore_does_not_settle_the_reopened_link(
        self, store: LedgerStore
    ) -> None:
        # Given her tombstone, the link still to ask, and asked once (round 0)
        key, _ = restoring_then_erased(store)
        tombstone = store.erasures.get(TENANT, "c-1")
        assert tombstone is not None and tombstone.links[key].state is ErasedLinkState.ERASING
        # When a restore lands late and reopens the link before that answer is written
        assert store.erasures.reopen_link(TENANT, "c-1", key, LINK.vendor_id, AT)
        # Then the answer of round 0 is refused, and the answer of round 1 is written
        archived = ErasedLinkState.ARCHIVED
        assert not store.erasures.settle_link(TENANT, "c-1", key, archived, AT, reopened=0)
        assert store.erasures.settle_link(TENANT, "c-1", key, archived, AT, reopened=1)
        settled = store.erasures.get(TENANT, "c-1")
        assert settled is not None and settled.links[key].state is archived
        assert settled.links[key].reopened == 1

    def test_the_erasure_is_noted_announced_once(self, store: LedgerStore) -> None:
        restoring_then_erased(store)
        assert store.erasures.mark_announced(TENANT, "c-1", AT)
        assert not store.erasures.mark_announced(TENANT, "c-1", "2026-12-01T00:00:00+00:00")
        tombstone = store.erasures.get(TENANT, "c-1")
        assert tombstone is not None and tombstone.announced_at == AT
        # And neither a reopen nor a note lands on a contact that is not erased
        register(store, "c-2", [LinkInput(Vendor.INTERCOM, "ic-2")])
        assert not store.erasures.mark_announced(TENANT, "c-2", AT)
        assert not store.erasures.reopen_link(TENANT, "c-2", "intercom", "ic-2", AT)
