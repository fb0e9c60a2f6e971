"""Vendor-originated changes applied to the ledger (moto): recorded with the vendor as source,
never echoed back, deduplicated by notification id, ordered by when the vendor made them, and
mirrored to the other vendors only when the tenant asks."""

from __future__ import annotations

import os
from typing import Any

import pytest

from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.contacts.reading import contact_history, get_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.inbound.vendor_changes import Applied, VendorReport, apply_vendor_report
from contact_archive.ledger.models import (
    ContactStatus,
    HistoryAction,
    LinkState,
    Vendor,
    VendorChangePolicy,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.history import HISTORY_INLINE_MAX
from contact_archive.ledger.store.keys import contact_pk
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from contact_archive.vendors.client import VendorClient
from tests.ledger_helpers import OTHER_TENANT, TENANT, change, register
from tests.support import RequestCounter

INTERCOM_ID = "ic-1"
LINKS = [
    LinkInput(Vendor.INTERCOM, INTERCOM_ID),
    LinkInput(Vendor.ROUTERA, "rt-1"),
    LinkInput(Vendor.SEQUENCE, "sq-1", "customer-1"),
]


def report(
    state: LinkState, occurred_at: str = "2026-11-23T10:00:00.000Z", tenant: str = TENANT
) -> VendorReport:
    return VendorReport(
        tenant_id=tenant,
        vendor=Vendor.INTERCOM,
        vendor_id=INTERCOM_ID,
        state=state,
        occurred_at=occurred_at,
        action=HistoryAction.VENDOR_CHANGED,
        actor_name="webhook",
        details={"topic": "contact.archived"},
    )


def never_called(tenant_id: str, vendor: Vendor) -> VendorClient:
    raise AssertionError(f"{vendor.value} was called")


@pytest.fixture
def grace(store: LedgerStore) -> str:
    register(store, "grace", LINKS)
    return "grace"


def test_a_vendor_archive_is_recorded_on_its_link_only(store: LedgerStore, grace: str) -> None:
    # When Intercom says it archived Grace's contact
    applied = apply_vendor_report(store, report(LinkState.ARCHIVED), notification_id="n-1")
    # Then the Intercom link is archived, with a history event from Intercom; nothing else
    # moved, and the contact says that some of its links are archived
    assert applied.outcome is Applied.RECORDED and applied.was is LinkState.ACTIVE
    contact = get_contact(store, TENANT, grace)
    assert contact.status is ContactStatus.PARTIALLY_ARCHIVED and contact.pending is None
    assert contact.link_state(Vendor.INTERCOM) is LinkState.ARCHIVED
    assert contact.link_state(Vendor.ROUTERA) is LinkState.ACTIVE
    event = contact_history(store, TENANT, grace)[-1]
    assert (event.action, event.actor, event.source) == (
        "vendor_changed",
        "webhook",
        "vendor:intercom",
    )
    assert event.details == {
        "vendor": "intercom",
        "link": "intercom",
        "vendor_id": INTERCOM_ID,
        "state": "archived",
        "ledger_state": "active",
        "occurred_at": "2026-11-23T10:00:00.000Z",
        "topic": "contact.archived",
    }


def test_a_redelivered_notification_changes_nothing(store: LedgerStore, grace: str) -> None:
    # Given a notification applied once
    apply_vendor_report(store, report(LinkState.ARCHIVED), notification_id="n-1")
    version = get_contact(store, TENANT, grace).version
    # When it is delivered again
    applied = apply_vendor_report(store, report(LinkState.ARCHIVED), notification_id="n-1")
    # Then it is a duplicate and the contact is untouched
    assert applied.outcome is Applied.DUPLICATE
    assert get_contact(store, TENANT, grace).version == version


def test_the_echo_of_our_own_archive_changes_nothing(store: LedgerStore, grace: str) -> None:
    # Given Grace archived through the API, the Intercom link still in flight
    archive_contact(store, change(grace))
    version = get_contact(store, TENANT, grace).version
    # When Intercom's webhook for that archive comes in
    applied = apply_vendor_report(store, report(LinkState.ARCHIVED), notification_id="n-1")
    # Then the ledger already knew: no write, no history
    assert applied.outcome is Applied.ALREADY_KNOWN and applied.was is LinkState.ARCHIVING
    assert get_contact(store, TENANT, grace).version == version


def test_an_older_change_arriving_late_is_ignored(store: LedgerStore, grace: str) -> None:
    # Given Intercom's unarchive at 10:05 applied after its archive at 10:00...
    apply_vendor_report(
        store, report(LinkState.ARCHIVED, "2026-11-23T10:00:00.000Z"), notification_id="a"
    )
    apply_vendor_report(
        store, report(LinkState.ACTIVE, "2026-11-23T10:05:00.000Z"), notification_id="b"
    )
    # When an archive from 10:01 is delivered late
    applied = apply_vendor_report(
        store, report(LinkState.ARCHIVED, "2026-11-23T10:01:00.000Z"), notification_id="c"
    )
    # Then it is stale and the link stays active
    assert applied.outcome is Applied.STALE
    assert get_contact(store, TENANT, grace).link_state(Vendor.INTERCOM) is LinkState.ACTIVE


def test_an_unknown_contact_is_kept_and_ignored(store: LedgerStore, grace: str) -> None:
    unknown = VendorReport(
        TENANT, Vendor.INTERCOM, "nobody", LinkState.ARCHIVED, "2026-11-23T10:00:00.000Z",
        HistoryAction.VENDOR_CHANGED, "webhook",
    )  # fmt: skip
    assert (
        apply_vendor_report(store, unknown, notification_id="n-9").outcome
        is Applied.UNKNOWN_CONTACT
    )
    # A redelivery of it is recognised too
    assert apply_vendor_report(store, unknown, notification_id="n-9").outcome is Applied.DUPLICATE


def test_a_report_never_reaches_another_tenants_contact(store: LedgerStore, grace: str) -> None:
    # When tenant B's webhook names tenant A's Intercom id
    applied = apply_vendor_report(
        store, report(LinkState.ARCHIVED, tenant=OTHER_TENANT), notification_id="n-1"
    )
    # Then no contact is found, and tenant A's contact is untouched
    assert applied.outcome is Applied.UNKNOWN_CONTACT
    assert get_contact(store, TENANT, grace).link_state(Vendor.INTERCOM) is LinkState.ACTIVE


def test_under_mirror_the_contact_is_archived_at_the_other_vendors_only(
    store: LedgerStore, grace: str
) -> None:
    # Given a tenant that mirrors vendor changes
    store.tenant_settings.update(
        TENANT, vendor_change_policy=VendorChangePolicy.MIRROR, at="2026-11-23T09:00:00.000Z"
    )
    # When Intercom archives Grace by itself
    applied = apply_vendor_report(store, report(LinkState.ARCHIVED), notification_id="n-1")
    # Then Grace is archived, and the change goes to Routera and Sequence, not back to Intercom
    assert applied.outcome is Applied.MIRRORED
    contact = get_contact(store, TENANT, grace)
    assert contact.status is ContactStatus.ARCHIVED
    assert {key: contact.link_state(key) for key in contact.links} == {
        "intercom": LinkState.ARCHIVED,
        "routera": LinkState.ARCHIVING,
        "sequence:customer-1": LinkState.ARCHIVING,
    }
    history = contact_history(store, TENANT, grace)
    assert [(e.action, e.source) for e in history[-2:]] == [
        ("vendor_changed", "vendor:intercom"),
        ("archived", "vendor:intercom"),
    ]


def test_a_vendor_delete_is_recorded_and_never_called_again(store: LedgerStore, grace: str) -> None:
    # Given Intercom deleted Grace's contact, and Grace is archived afterwards
    apply_vendor_report(store, report(LinkState.UNRECOVERABLE), notification_id="n-1")
    archive_contact(store, change(grace))
    # When the Intercom link is synced
    outcome = sync_link(store, never_called, TENANT, grace, Vendor.INTERCOM).outcome
    # Then it settles as unrecoverable without a call, and says why
    assert outcome is SyncOutcome.SETTLED_WITHOUT_CALL
    contact = get_contact(store, TENANT, grace)
    assert contact.link_state(Vendor.INTERCOM) is LinkState.UNRECOVERABLE
    assert contact.link(Vendor.INTERCOM).unrecoverable_reason == (
        "deleted at intercom: a deleted contact cannot be restored"
    )
    # And a restore of that link alone is refused as nothing to do: it cannot come back
    assert not restore_contact(store, change(grace, vendors=["intercom"])).changed


def test_dynamodb_requests_per_report(
    store: LedgerStore, grace: str, counter: RequestCounter
) -> None:
    # A recorded change: find by vendor id, read the contact, one transaction, read the policy
    apply_vendor_report(store, report(LinkState.ARCHIVED), notification_id="n-1")
    assert counter.calls == {"GetItem": 3, "TransactWriteItems": 1}
    # A duplicate: the same reads, and the transaction refused
    counter.reset()
    apply_vendor_report(store, report(LinkState.ARCHIVED), notification_id="n-1")
    assert counter.calls == {"GetItem": 2, "PutItem": 1}
    # An unknown contact: one read, one delivery kept
    counter.reset()
    apply_vendor_report(
        store, report(LinkState.ARCHIVED, tenant=OTHER_TENANT), notification_id="n-2"
    )
    assert counter.calls == {"GetItem": 1, "PutItem": 1}


@pytest.mark.parametrize("from_webhook", [True, False], ids=["webhook", "reconcile"])
def test_a_contact_changed_only_at_its_vendor_keeps_its_item_small(
    store: LedgerStore, ledger_table: Any, grace: str, from_webhook: bool
) -> None:
    # Given Intercom archiving and unarchiving Grace 40 times by itself
    for number in range(40):
        state = LinkState.ARCHIVED if number % 2 == 0 else LinkState.ACTIVE
        applied = apply_vendor_report(
            store,
            report(state, f"2026-11-23T10:{number:02d}:00.000Z"),
            notification_id=f"n-{number}" if from_webhook else None,
        )
        assert applied.outcome is Applied.RECORDED
    # Then the item holds no more history than it keeps inline, and none of it is lost
    item = ledger_table.get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": contact_pk(TENANT, grace)}, "sk": {"S": "CONTACT"}},
    )["Item"]
    assert len(item["history"]["L"]) <= HISTORY_INLINE_MAX
    history = contact_history(store, TENANT, grace)
    assert [event.version for event in history] == list(range(1, 42))
