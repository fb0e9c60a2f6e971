"""The store's per-link changes, run against moto (integration/) and DynamoDB Local
(dynamodb_local/): the conditions on link changes, the listing filters on links, the external
id index. Subclassed by the same classes as `StoreCases`."""

from __future__ import annotations

import pytest

from contact_archive.contacts.addressing import ContactName, resolve_contact_id
from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.contacts.reading import contact_history, get_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.errors import AmbiguousContact
from contact_archive.ledger.models import ContactStatus, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from tests.ledger_helpers import TENANT, change, register, sync_outcome
from tests.support import RequestCounter

TWO_CUSTOMERS = [
    LinkInput(Vendor.SEQUENCE, "seq-a", "cus-a"),
    LinkInput(Vendor.SEQUENCE, "seq-b", "cus-b"),
    LinkInput(Vendor.INTERCOM, "ic-1"),
]


class LinkStoreCases:
    def test_archiving_some_links_is_one_read_and_one_write(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        register(store, "c-1")
        counter.reset()
        # When one link is archived
        outcome = archive_contact(store, change("c-1", vendors=["intercom"]))
        # Then the contact was read once and written once, conditional on what was read
        assert counter.calls == {"GetItem": 1, "UpdateItem": 1}
        contact = outcome.contact
        assert contact.status is ContactStatus.PARTIALLY_ARCHIVED
        assert contact.link_state(Vendor.INTERCOM) is LinkState.ARCHIVING
        assert contact.link_state(Vendor.ROUTERA) is LinkState.ACTIVE
        assert contact.link(Vendor.INTERCOM).change is not None
        assert contact.link(Vendor.INTERCOM).change.version == contact.version

    def test_a_settle_for_a_change_a_newer_one_replaced_is_refused(
        self, store: LedgerStore
    ) -> None:
        # Given Intercom archived on its own, then every link restored
        register(store, "c-1")
        alone = archive_contact(store, change("c-1", vendors=["intercom"])).contact
        restoring = restore_contact(store, change("c-1")).contact
        # Then the first change's outcome for Intercom is refused, the newer one's accepted
        assert not store.links.settle(sync_outcome(alone, Vendor.INTERCOM, LinkState.ARCHIVED))
        assert store.links.settle(sync_outcome(restoring, Vendor.INTERCOM, LinkState.ACTIVE))
        contact = get_contact(store, TENANT, "c-1")
        assert contact.link_state(Vendor.INTERCOM) is LinkState.ACTIVE
        assert contact.status is ContactStatus.ACTIVE
        # And a link's own change newer than the contact's wins over it
        again = archive_contact(store, change("c-1", vendors=["intercom"])).contact
        assert not store.links.settle(sync_outcome(restoring, Vendor.INTERCOM, LinkState.ACTIVE))
        assert store.links.settle(sync_outcome(again, Vendor.INTERCOM, LinkState.ARCHIVED))

    def test_links_of_one_vendor_are_listed_and_changed_by_scope(self, store: LedgerStore) -> None:
        register(store, "grace", TWO_CUSTOMERS)
        register(store, "other", [LinkInput(Vendor.SEQUENCE, "seq-c", "cus-c")])
        archive_contact(store, change("grace", vendors=["sequence:cus-b"]))
        contact = get_contact(store, TENANT, "grace")
        assert {key: contact.link_state(key) for key in contact.links} == {
            "sequence:cus-a": LinkState.ACTIVE,
            "sequence:cus-b": LinkState.ARCHIVING,
            "intercom": LinkState.ACTIVE,
        }

        def listed(**filters: object) -> list[str]:
            found, _ = store.contacts.list_page(
                TENANT, status=None, email=None, limit=10, start_key=None, **filters
            )
            return sorted(contact.contact_id for contact in found)

        assert listed(vendor=Vendor.SEQUENCE) == ["grace", "other"]
        assert listed(vendor=Vendor.INTERCOM) == ["grace"]
        assert listed(vendor=Vendor.SEQUENCE, link="sequence:cus-b") == ["grace"]
        assert listed(vendor=Vendor.SEQUENCE, link="sequence:cus-c") == ["other"]
        assert listed(vendor=Vendor.ROUTERA) == []

    def test_a_contact_is_named_by_external_id_email_or_vendor_id(self, store: LedgerStore) -> None:
        register(store, "grace", TWO_CUSTOMERS, email="grace@example.com", external_id="ext-grace")
        register(store, "twin", [], email="Grace@Example.com")
        by_external = store.contacts.find_by_external_id(TENANT, "ext-grace")
        assert [contact.contact_id for contact in by_external] == ["grace"]
        name = ContactName(vendor=Vendor.SEQUENCE, vendor_id="seq-b")
        assert resolve_contact_id(store, TENANT, name) == "grace"
        with pytest.raises(AmbiguousContact) as refused:
            resolve_contact_id(store, TENANT, ContactName(email="GRACE@example.com"))
        assert refused.value.details == {"by": "email", "candidates": ["grace", "twin"]}

    def test_history_says_which_links_changed(self, store: LedgerStore) -> None:
        register(store, "grace", TWO_CUSTOMERS)
        archive_contact(store, change("grace", vendors=["sequence"]))
        event = contact_history(store, TENANT, "grace")[-1]
        assert event.action == "archived"
        assert event.details == {"links": ["sequence:cus-a", "sequence:cus-b"]}
