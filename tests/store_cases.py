"""Ledger store behaviour, run against moto (integration/) and DynamoDB Local (dynamodb_local/).

Each tier subclasses `StoreCases` and provides the fixtures `store` (a LedgerStore on a fresh
table) and `counter` (a RequestCounter on the store's client).
"""

from __future__ import annotations

import pytest

from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.contacts.reading import ListQuery, contact_history, get_contact, list_contacts
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.cursor import CursorCodec
from contact_archive.ledger.errors import (
    ContactNotFound,
    IdempotencyKeyReused,
    InvalidCursor,
    UnknownLink,
    VendorIdTaken,
    VersionConflict,
)
from contact_archive.ledger.idempotency import request_hash, run_once
from contact_archive.ledger.models import ContactStatus, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.history import HISTORY_INLINE_MAX
from tests.ledger_helpers import OTHER_TENANT, TENANT, change, register, sync_outcome
from tests.support import RequestCounter

CODEC = CursorCodec(b"k" * 32, ttl_seconds=3600)


class StoreCases:
    def test_register_creates_an_active_contact_with_active_links(self, store: LedgerStore) -> None:
        # Given / When
        register(store, "c-1")
        # Then
        contact = get_contact(store, TENANT, "c-1")
        assert contact.status is ContactStatus.ACTIVE
        assert contact.version == 1
        assert {key: contact.link_state(key) for key in contact.links} == dict.fromkeys(
            ["sequence:customer-1", "routera", "intercom", "constant_contact"], LinkState.ACTIVE
        )
        assert contact.link(Vendor.SEQUENCE).scope == "customer-1"
        assert [event.action for event in contact_history(store, TENANT, "c-1")] == ["registered"]

    def test_archive_is_one_request_and_marks_every_link_archiving(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        register(store, "c-1")
        counter.reset()
        # When
        outcome = archive_contact(store, change("c-1", reason="left the company"))
        # Then
        assert counter.calls == {"UpdateItem": 1}
        assert outcome.changed
        contact = outcome.contact
        assert contact.status is ContactStatus.ARCHIVED
        assert contact.version == 2
        assert contact.status_reason == "left the company"
        assert contact.archived_by == "alice"
        assert {contact.link_state(vendor) for vendor in contact.links} == {LinkState.ARCHIVING}
        events = contact_history(store, TENANT, "c-1")
        assert [(e.version, e.action, e.reason) for e in events] == [
            (1, "registered", None),
            (2, "archived", "left the company"),
        ]

    def test_archiving_an_archived_contact_is_a_noop_without_history(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        register(store, "c-1")
        archive_contact(store, change("c-1"))
        counter.reset()
        # When
        outcome = archive_contact(store, change("c-1", reason="again"))
        # Then: still one request, nothing changed
        assert counter.total == 1
        assert not outcome.changed
        assert outcome.contact.version == 2
        assert len(contact_history(store, TENANT, "c-1")) == 2

    def test_restore_marks_links_restoring_and_restoring_an_active_contact_is_a_noop(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        register(store, "c-1")
        archive_contact(store, change("c-1"))
        counter.reset()
        restored = restore_contact(store, change("c-1", reason="back"))
        assert counter.calls == {"UpdateItem": 1}
        assert restored.contact.status is ContactStatus.ACTIVE
        assert {restored.contact.link_state(v) for v in restored.contact.links} == {
            LinkState.RESTORING
        }
        again = restore_contact(store, change("c-1"))
        assert not again.changed and again.contact.version == 3

    def test_archive_can_name_vendors(self, store: LedgerStore) -> None:
        register(store, "c-1")
        contact = archive_contact(store, change("c-1", vendors=[Vendor.INTERCOM])).contact
        assert contact.link_state(Vendor.INTERCOM) is LinkState.ARCHIVING
        assert contact.link_state(Vendor.ROUTERA) is LinkState.ACTIVE

    def test_archive_naming_an_unlinked_vendor_is_refused_and_changes_nothing(
        self, store: LedgerStore
    ) -> None:
        register(store, "c-1", [LinkInput(Vendor.INTERCOM, "ic-1")])
        with pytest.raises(UnknownLink):
            archive_contact(store, change("c-1", vendors=[Vendor.ROUTERA]))
        assert get_contact(store, TENANT, "c-1").version == 1

    def test_stale_version_is_a_conflict_and_changes_nothing(self, store: LedgerStore) -> None:
        register(store, "c-1")
        with pytest.raises(VersionConflict) as raised:
            archive_contact(store, change("c-1", expected_version=7))
        assert raised.value.details == {"expected_version": 7, "current_version": 1}
        assert get_contact(store, TENANT, "c-1").status is ContactStatus.ACTIVE
        archived = archive_contact(store, change("c-1", expected_version=1))
        assert archived.contact.version == 2

    def test_unknown_contact_is_not_found(self, store: LedgerStore) -> None:
        with pytest.raises(ContactNotFound):
            archive_contact(store, change("nobody"))
        with pytest.raises(ContactNotFound):
            get_contact(store, TENANT, "nobody")
        with pytest.raises(ContactNotFound):
            contact_history(store, TENANT, "nobody")

    def test_tenants_never_see_each_other(self, store: LedgerStore) -> None:
        register(store, "c-1")
        with pytest.raises(ContactNotFound):
            archive_contact(store, change("c-1", tenant=OTHER_TENANT))
        page = list_contacts(store, CODEC, ListQuery(OTHER_TENANT, status=None))
        assert page.items == []
        # the same vendor id may belong to a contact in another tenant
        register(store, "c-1", tenant=OTHER_TENANT)
        assert store.vendor_refs.find(OTHER_TENANT, Vendor.INTERCOM, "ic-1") == "c-1"

    def test_get_is_one_request(self, store: LedgerStore, counter: RequestCounter) -> None:
        register(store, "c-1")
        counter.reset()
        get_contact(store, TENANT, "c-1")
        assert counter.calls == {"GetItem": 1}

    def test_a_vendor_id_belongs_to_one_contact(self, store: LedgerStore) -> None:
        register(store, "c-1", [LinkInput(Vendor.INTERCOM, "ic-1")])
        with pytest.raises(VendorIdTaken) as raised:
            register(store, "c-2", [LinkInput(Vendor.INTERCOM, "ic-1")])
        assert raised.value.details["contact_id"] == "c-1"
        with pytest.raises(ContactNotFound):
            get_contact(store, TENANT, "c-2")  # nothing of c-2 was written

    def test_changing_a_vendor_id_moves_the_lookup(self, store: LedgerStore) -> None:
        register(store, "c-1", [LinkInput(Vendor.INTERCOM, "ic-1")])
        register(store, "c-1", [LinkInput(Vendor.INTERCOM, "ic-2")])
        assert store.vendor_refs.find(TENANT, Vendor.INTERCOM, "ic-1") is None
        assert store.vendor_refs.find(TENANT, Vendor.INTERCOM, "ic-2") == "c-1"
        register(store, "c-2", [LinkInput(Vendor.INTERCOM, "ic-1")])  # the old id is free again
        events = contact_history(store, TENANT, "c-1")
        assert events[-1].action == "updated"
        assert events[-1].details == {
            "fields": [],
            "linked": ["intercom"],
            "unlinked": ["intercom"],
        }

    def test_registering_the_same_contact_twice_changes_nothing(self, store: LedgerStore) -> None:
        register(store, "c-1")
        register(store, "c-1")
        assert get_contact(store, TENANT, "c-1").version == 1

    def test_lookup_by_email_ignores_case(self, store: LedgerStore) -> None:
        register(store, "c-1", email="Ada.Lovelace@Example.com")
        found = store.contacts.find_by_email(TENANT, "ada.lovelace@example.COM")
        assert [contact.contact_id for contact in found] == ["c-1"]

    def test_list_pages_are_one_query_each_and_cover_every_contact_once(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        for number in range(7):
            register(store, f"c-{number}", [])
        for number in (1, 3, 5):
            archive_contact(store, change(f"c-{number}"))
        seen: list[str] = []
        cursor = None
        counter.reset()
        pages = 0
        while True:
            page = list_contacts(
                store, CODEC, ListQuery(TENANT, status=ContactStatus.ACTIVE, limit=2, cursor=cursor)
            )
            pages += 1
            seen += [contact.contact_id for contact in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == ["c-0", "c-2", "c-4", "c-6"]
        assert counter.calls == {"Query": pages}
        archived = list_contacts(store, CODEC, ListQuery(TENANT, status=ContactStatus.ARCHIVED))
        assert [c.contact_id for c in archived.items] == ["c-5", "c-3", "c-1"]  # newest first
        every = list_contacts(store, CODEC, ListQuery(TENANT, status=None, limit=100))
        assert len(every.items) == 7

    def test_list_filters_by_vendor_and_email(self, store: LedgerStore) -> None:
        register(store, "c-1", [LinkInput(Vendor.INTERCOM, "ic-1")], email="one@example.com")
        register(store, "c-2", [LinkInput(Vendor.ROUTERA, "rt-2")], email="two@example.com")
        by_vendor = list_contacts(
            store, CODEC, ListQuery(TENANT, status=None, vendor=Vendor.ROUTERA)
        )
        assert [c.contact_id for c in by_vendor.items] == ["c-2"]
        by_email = list_contacts(
            store, CODEC, ListQuery(TENANT, status=ContactStatus.ACTIVE, email="ONE@example.com")
        )
        assert [c.contact_id for c in by_email.items] == ["c-1"]

    def test_list_items_carry_no_history(self, store: LedgerStore) -> None:
        register(store, "c-1")
        raw = store.client.query(  # checking the index projection itself
            TableName=store.table.name,
            IndexName="by_tenant",
            KeyConditionExpression="tenant_pk = :t",
            ExpressionAttributeValues={":t": {"S": f"TENANT#{TENANT}"}},
        )
        assert raw["Items"] and all("history" not in item for item in raw["Items"])

    def test_a_cursor_from_another_tenant_or_query_is_refused(self, store: LedgerStore) -> None:
        for number in range(3):
            register(store, f"c-{number}", [])
        page = list_contacts(store, CODEC, ListQuery(TENANT, status=None, limit=1))
        assert page.next_cursor
        with pytest.raises(InvalidCursor):
            list_contacts(
                store, CODEC, ListQuery(OTHER_TENANT, status=None, cursor=page.next_cursor)
            )
        with pytest.raises(InvalidCursor):
            list_contacts(
                store,
                CODEC,
                ListQuery(TENANT, status=ContactStatus.ACTIVE, cursor=page.next_cursor),
            )

    def test_idempotent_replay_is_one_request_and_repeats_no_change(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        register(store, "c-1")

        def archive() -> tuple[int, dict[str, object]]:
            contact = archive_contact(store, change("c-1")).contact
            return 200, {"version": contact.version}

        fingerprint = request_hash("archive", "c-1", {})
        first, replayed = run_once(store, TENANT, "key-1", fingerprint, archive, ttl_seconds=60)
        assert first == (200, {"version": 2}) and not replayed
        restore_contact(store, change("c-1"))
        counter.reset()
        again, replayed = run_once(store, TENANT, "key-1", fingerprint, archive, ttl_seconds=60)
        assert again == first and replayed
        assert counter.total == 1
        assert get_contact(store, TENANT, "c-1").status is ContactStatus.ACTIVE
        with pytest.raises(IdempotencyKeyReused):
            run_once(store, TENANT, "key-1", request_hash("other"), archive, ttl_seconds=60)

    def test_failed_operation_releases_its_idempotency_key(self, store: LedgerStore) -> None:
        def missing() -> tuple[int, dict[str, object]]:
            archive_contact(store, change("nobody"))
            return 200, {}

        for _ in range(2):  # the second attempt is not blocked by the first
            with pytest.raises(ContactNotFound):
                run_once(store, TENANT, "key-2", request_hash("x"), missing, ttl_seconds=60)

    def test_long_histories_move_to_pages_and_read_back_whole(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        # Given a contact archived and restored many times
        register(store, "c-1")
        for _ in range(30):
            archive_contact(store, change("c-1"))
            restore_contact(store, change("c-1"))
        # Then its item holds only recent events
        item = store.client.get_item(  # checking the stored shape itself
            TableName=store.table.name,
            Key={"pk": {"S": f"TENANT#{TENANT}#CONTACT#c-1"}, "sk": {"S": "CONTACT"}},
        )["Item"]
        assert len(item["history"]["L"]) <= HISTORY_INLINE_MAX
        assert int(item["history_spilled"]["N"]) > 0
        # and the history reads back whole, in order, in two requests
        counter.reset()
        events = contact_history(store, TENANT, "c-1")
        assert counter.total == 2
        assert [event.version for event in events] == list(range(1, 62))
        assert [event.action for event in events[1:3]] == ["archived", "restored"]
        assert get_contact(store, TENANT, "c-1").version == 61

    # -- vendor links: snapshots and outcomes ------------------------------------------------

    def test_a_snapshot_is_kept_only_for_the_archive_still_pending(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        # Given an archived contact
        register(store, "c-1")
        archive = archive_contact(store, change("c-1")).contact.pending
        assert archive is not None
        counter.reset()
        # When its Routera snapshot is saved for that archive
        saved = store.links.save_snapshot(
            TENANT,
            "c-1",
            Vendor.ROUTERA,
            vendor_id="rt-1",
            change_id=archive.change_id,
            change_version=archive.version,
            snapshot={"id": "rt-1", "fields": {"email": "c-1@example.com"}},
        )
        # Then one write keeps it on the link
        assert saved and counter.calls == {"UpdateItem": 1}
        link = get_contact(store, TENANT, "c-1").links[Vendor.ROUTERA]
        assert link.snapshot == {"id": "rt-1", "fields": {"email": "c-1@example.com"}}
        assert link.snapshot_change_id == archive.change_id
        # And once a restore replaced the archive, a late snapshot for it is refused
        restore_contact(store, change("c-1"))
        late = store.links.save_snapshot(
            TENANT,
            "c-1",
            Vendor.ROUTERA,
            vendor_id="rt-1",
            change_id=archive.change_id,
            change_version=archive.version,
            snapshot={"id": "rt-1", "fields": {}},
        )
        assert not late
        assert get_contact(store, TENANT, "c-1").links[Vendor.ROUTERA].snapshot == {
            "id": "rt-1",
            "fields": {"email": "c-1@example.com"},
        }

    def test_settling_a_link_records_its_outcome_once_and_never_a_stale_one(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        # Given an archive pending for every link
        register(store, "c-1")
        archived = archive_contact(store, change("c-1")).contact
        assert archived.pending is not None
        settlement = sync_outcome(archived, Vendor.INTERCOM, LinkState.ARCHIVED)
        counter.reset()
        # When Intercom's outcome is recorded
        assert store.links.settle(settlement)
        # Then one write settles that link alone, without a new version
        assert counter.calls == {"UpdateItem": 1}
        contact = get_contact(store, TENANT, "c-1")
        assert contact.link_state(Vendor.INTERCOM) is LinkState.ARCHIVED
        assert contact.link_state(Vendor.ROUTERA) is LinkState.ARCHIVING
        assert contact.version == archived.version
        assert contact.links[Vendor.INTERCOM].synced_at == settlement.at
        # And after a restore, the archive's late outcome changes nothing
        restore_contact(store, change("c-1"))
        assert not store.links.settle(settlement)
        assert get_contact(store, TENANT, "c-1").link_state(Vendor.INTERCOM) is (
            LinkState.RESTORING
        )

    def test_a_recreated_vendor_contact_is_relinked_with_the_old_id_in_history(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        # Given a restore pending after an archive
        register(store, "c-1")
        archive_contact(store, change("c-1"))
        restoring = restore_contact(store, change("c-1")).contact
        assert restoring.pending is not None
        settlement = sync_outcome(
            restoring, Vendor.SEQUENCE, LinkState.ACTIVE, new_vendor_id="seq-2"
        )
        counter.reset()
        # When Sequence re-created the contact as seq-2
        assert store.links.settle(settlement)
        # Then one transaction moves the link, bumps the version and keeps the old id
        assert counter.calls == {"TransactWriteItems": 1}
        contact = get_contact(store, TENANT, "c-1")
        assert contact.link(Vendor.SEQUENCE).vendor_id == "seq-2"
        assert contact.link_state(Vendor.SEQUENCE) is LinkState.ACTIVE
        assert contact.version == restoring.version + 1
        last = contact_history(store, TENANT, "c-1")[-1]
        assert (last.action, last.source) == ("relinked", "sync")
        assert last.details == {
            "vendor": "sequence",
            "link": "sequence:customer-1",
            "old_vendor_id": "seq-1",
            "new_vendor_id": "seq-2",
        }
        # And both ids still lead to the contact; a duplicate outcome is refused
        assert store.vendor_refs.find(TENANT, Vendor.SEQUENCE, "seq-2") == "c-1"
        assert store.vendor_refs.find(TENANT, Vendor.SEQUENCE, "seq-1") == "c-1"
        assert not store.links.settle(settlement)
        assert get_contact(store, TENANT, "c-1").version == restoring.version + 1

    def test_a_customer_change_is_kept_once_with_its_delivery(
        self, store: LedgerStore, counter: RequestCounter
    ) -> None:
        from contact_archive.ledger.errors import DuplicateDelivery
        from contact_archive.ledger.records import CustomerChange, Delivery
        from contact_archive.ledger.store.deliveries import customer_change_from_item
        from contact_archive.ledger.store.keys import customer_change_pk

        # Given a whole customer's change (Sequence CUSTOMER_ARCHIVED) and its delivery
        change = CustomerChange(
            tenant_id=TENANT,
            vendor=Vendor.SEQUENCE,
            customer_id="customer-1",
            state=LinkState.ARCHIVED,
            occurred_at="2026-11-23T10:00:00.000Z",
            topic="CUSTOMER_ARCHIVED",
            notification_id="sha256:abc",
            expires_at=4_000_000_000,
        )
        delivery = Delivery(
            TENANT,
            Vendor.SEQUENCE,
            "sha256:abc",
            "queued",
            "2026-11-23T10:00:01.000Z",
            4_000_000_000,
        )
        counter.reset()
        # When it is queued: one transaction keeps both
        store.deliveries.queue_customer_change(change, delivery)
        assert counter.calls == {"TransactWriteItems": 1}
        key = {
            "pk": {"S": customer_change_pk(TENANT, Vendor.SEQUENCE, "sha256:abc")},
            "sk": {"S": "CUSTOMER_CHANGE"},
        }
        item = store.client.get_item(TableName=store.table.name, Key=key)["Item"]
        assert customer_change_from_item(item) == change
        # And the same delivery again is refused as a duplicate, writing nothing
        with pytest.raises(DuplicateDelivery):
            store.deliveries.queue_customer_change(change, delivery)
