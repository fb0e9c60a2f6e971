"""Reconciliation's store calls on DynamoDB Local's real semantics: the watermark's claim, lease
and conditional save, the batch lookups (more than one batch), the ledger walk's resumable
cursor, and a whole run against the sandboxes."""

from __future__ import annotations

from collections.abc import Callable

from contact_archive.contacts.reading import get_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.inbound.reconcile import Limits, reconcile
from contact_archive.inbound.reconcile_checks import Stop
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.records import Watermark
from contact_archive.ledger.store import LedgerStore
from contact_archive.vendors.credential_sources import JsonSource
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import (
    OTHER_TENANT,
    TENANT,
    Announced,
    archive_behind_the_ledgers_back,
    register,
    register_at_vendors,
    sandbox_clients,
)


def claim(store: LedgerStore, run_id: str, now: str, until: str) -> Watermark | None:
    return store.watermarks.claim(TENANT, Vendor.ROUTERA, run_id=run_id, now=now, lease_until=until)


def test_a_watermark_is_claimed_once_saved_by_its_holder_and_taken_over_when_its_lease_ends(
    store: LedgerStore,
) -> None:
    # A first claim creates it; a second, while the lease lasts, is refused
    first = claim(store, "r1", "2026-11-23T10:00:00.000Z", "2026-11-23T10:05:00.000Z")
    assert first == Watermark(TENANT, Vendor.ROUTERA)
    assert claim(store, "r2", "2026-11-23T10:01:00.000Z", "2026-11-23T10:06:00.000Z") is None
    # Its holder saves where it got to, which releases it
    moved = Watermark(TENANT, Vendor.ROUTERA, cursor="archived:100", pass_started_at="t0")
    assert store.watermarks.save(moved, run_id="r1", now="2026-11-23T10:02:00.000Z")
    assert not store.watermarks.save(moved, run_id="r1", now="2026-11-23T10:02:01.000Z")
    # The next claim reads it back; once that claim's lease ended, another run takes over
    second = claim(store, "r2", "2026-11-23T10:03:00.000Z", "2026-11-23T10:04:00.000Z")
    assert second is not None
    assert (second.cursor, second.pass_started_at, second.version) == ("archived:100", "t0", 1)
    third = claim(store, "r3", "2026-11-23T10:04:00.001Z", "2026-11-23T10:09:00.000Z")
    assert third is not None
    assert not store.watermarks.save(third, run_id="r2", now="2026-11-23T10:05:00.000Z")
    assert store.watermarks.save(third, run_id="r3", now="2026-11-23T10:05:00.000Z")
    saved = store.watermarks.get(TENANT, Vendor.ROUTERA)
    assert saved is not None and saved.version == 2


def test_batch_lookups_span_several_batches_and_stay_in_the_tenant(store: LedgerStore) -> None:
    # Given 120 contacts with a Routera link each, and another tenant with one of the same ids
    for number in range(120):
        register(store, f"c-{number:03d}", [LinkInput(Vendor.ROUTERA, f"rt-{number}")])
    register(store, "b-1", [LinkInput(Vendor.ROUTERA, "rt-999")], tenant=OTHER_TENANT)
    ids = [f"rt-{number}" for number in range(120)] + ["rt-999", "rt-unknown"]
    # When they are looked up by vendor id, then read
    found = store.vendor_refs.find_many(TENANT, Vendor.ROUTERA, ids)
    contacts = store.contacts.get_many(TENANT, sorted(found.values()))
    # Then every linked one of the tenant's came back, and nothing of the other tenant's
    assert len(found) == 120 and "rt-999" not in found
    assert found["rt-7"] == "c-007"
    assert len(contacts) == 120
    assert contacts["c-007"].links[Vendor.ROUTERA].vendor_id == "rt-7"


def test_a_ledger_walk_goes_on_after_the_contact_it_stopped_at(store: LedgerStore) -> None:
    for number in range(5):
        links = [LinkInput(Vendor.INTERCOM, f"ic-{number}")] if number != 2 else []
        register(store, f"c-{number}", links)
    seen: list[str] = []
    after: str | None = None
    while True:
        contacts, after = store.contacts.list_linked(TENANT, Vendor.INTERCOM, after=after, limit=2)
        seen += [contact.contact_id for contact in contacts]
        if after is None:
            break
    assert seen == ["c-0", "c-1", "c-3", "c-4"]  # c-2 has no Intercom link
    resumed, _ = store.contacts.list_linked(TENANT, Vendor.INTERCOM, after="c-1", limit=10)
    assert [contact.contact_id for contact in resumed] == ["c-3", "c-4"]


def test_a_run_finds_drift_at_every_vendor_once(store: LedgerStore, stack: SandboxStack) -> None:
    # Given a contact archived behind the ledger's back at every vendor
    clients = sandbox_clients(stack)
    links = register_at_vendors(store, stack, "grace")
    archive_behind_the_ledgers_back(clients, *links)
    announced = Announced()
    run: Callable[[], list[Stop]] = lambda: [  # noqa: E731
        pair.stopped
        for pair in reconcile(
            store, clients, JsonSource(stack.credentials(TENANT)), announced, limits=Limits()
        ).pairs
    ]
    # When two runs follow each other
    assert run() == [Stop.PASS_COMPLETE] * 4
    assert run() == [Stop.PASS_COMPLETE] * 4
    # Then every link is archived, and each drift was announced once
    contact = get_contact(store, TENANT, "grace")
    assert {contact.link_state(vendor) for vendor in Vendor} == {LinkState.ARCHIVED}
    assert sorted(event.detail["vendor"] for event in announced.events) == sorted(
        vendor.value for vendor in Vendor
    )
