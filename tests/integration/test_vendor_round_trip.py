"""A round trip per vendor: register, archive (snapshot saved first), restore, through the
ledger and each vendor's client against its sandbox. The vendor ends as it was before the
archive; Sequence and Routera come back under a new id, linked, with the old id in history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.contacts.reading import contact_history, get_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import SandboxStack
from tests.integration.vendor_contacts import seed, vendor_view
from tests.ledger_helpers import TENANT, change, register, sandbox_clients
from tests.support import RequestCounter


@pytest.fixture
def clients(stack: SandboxStack) -> VendorClients:
    return sandbox_clients(stack)


def sync_all(store: LedgerStore, clients: Callable[..., Any], contact_id: str) -> set[SyncOutcome]:
    contact = get_contact(store, TENANT, contact_id)
    return {
        sync_link(store, clients, TENANT, contact_id, vendor).outcome for vendor in contact.links
    }


def archived_and_synced(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, vendor: Vendor
) -> None:
    """Contact c-1, linked to a contact of its own at the vendor, archived, and the archive
    synced."""
    register(store, "c-1", [LinkInput(vendor, *seed(stack, vendor))])
    archive_contact(store, change("c-1"))
    sync_all(store, clients, "c-1")


@pytest.mark.parametrize("vendor", list(Vendor))
def test_a_round_trip_leaves_the_vendor_as_it_was_before_the_archive(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, vendor: Vendor
) -> None:
    # Given a contact linked to its vendor contact
    vendor_id, scope = seed(stack, vendor)
    before = vendor_view(stack, vendor, vendor_id)
    assert before["archived"] is False
    register(store, "c-1", [LinkInput(vendor, vendor_id, scope)], email="ada@example.com")

    # When it is archived and the link synced
    archive_contact(store, change("c-1", reason="left"))
    assert sync_all(store, clients, "c-1") == {SyncOutcome.SETTLED}

    # Then the vendor archived it, and the restore material was saved before that
    assert vendor_view(stack, vendor, vendor_id)["archived"] is True
    archived = get_contact(store, TENANT, "c-1")
    assert archived.link_state(vendor) is LinkState.ARCHIVED
    assert archived.link(vendor).snapshot

    # When it is restored and synced again
    restore_contact(store, change("c-1", reason="back"))
    assert sync_all(store, clients, "c-1") == {SyncOutcome.SETTLED}

    # Then the vendor holds the contact as before the archive, under the id the link names
    restored = get_contact(store, TENANT, "c-1")
    link = restored.link(vendor)
    assert restored.link_state(vendor) is LinkState.ACTIVE
    assert vendor_view(stack, vendor, link.vendor_id) == before
    history = contact_history(store, TENANT, "c-1")
    if vendor in (Vendor.SEQUENCE, Vendor.ROUTERA):
        # re-created: a new id is linked, the old one is kept in history and still resolves
        assert link.vendor_id != vendor_id
        assert history[-1].action == "relinked"
        assert history[-1].details is not None
        assert {k: v for k, v in history[-1].details.items() if k != "not_restored"} == {
            "vendor": vendor.value,
            "link": link.key,
            "old_vendor_id": vendor_id,
            "new_vendor_id": link.vendor_id,
        }
        # what a re-create cannot bring back is said, field by field
        assert set(history[-1].details["not_restored"]) >= {"id"}
        assert store.vendor_refs.find(TENANT, vendor, vendor_id) == "c-1"
        assert store.vendor_refs.find(TENANT, vendor, link.vendor_id) == "c-1"
    else:
        # unarchived or revived: the same id is back
        assert link.vendor_id == vendor_id
        actions = [event.action for event in history]
        assert actions[:3] == ["registered", "archived", "restored"]
        # and whatever the vendor would not take back is said, in one more event
        assert actions[3:] in ([], ["link_restored"])


@pytest.mark.parametrize("vendor", list(Vendor))
def test_a_redelivered_sync_repeats_no_vendor_call(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, vendor: Vendor
) -> None:
    # Given an archive already synced
    archived_and_synced(store, stack, clients, vendor)
    seen = len(stack.sandboxes[vendor].requests)
    # When the same sync runs again (a redelivered stream record)
    outcomes = sync_all(store, clients, "c-1")
    # Then nothing is pending and the vendor saw no request
    assert outcomes == {SyncOutcome.NOTHING_PENDING}
    assert len(stack.sandboxes[vendor].requests) == seen


def test_archived_then_restored_before_any_sync_calls_no_vendor(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, ledger_table: Any
) -> None:
    # Given a contact linked to all four vendors, archived and restored before sync ran
    register(store, "c-1", [LinkInput(vendor, *seed(stack, vendor)) for vendor in Vendor])
    archive_contact(store, change("c-1"))
    restore_contact(store, change("c-1"))
    counter = RequestCounter(store.client)
    # When sync runs for every link
    outcomes = sync_all(store, clients, "c-1")
    # Then every link settles active without a single vendor request, one read + one write each
    assert outcomes == {SyncOutcome.SETTLED_WITHOUT_CALL}
    assert all(not sandbox.requests for sandbox in stack.sandboxes.values())
    assert counter.calls == {"GetItem": 5, "UpdateItem": 4}
    contact = get_contact(store, TENANT, "c-1")
    assert {contact.link_state(vendor) for vendor in Vendor} == {LinkState.ACTIVE}


@pytest.mark.parametrize("vendor", [Vendor.SEQUENCE, Vendor.ROUTERA])
def test_a_sync_that_died_after_a_re_create_links_that_contact_instead_of_creating_another(
    store: LedgerStore,
    stack: SandboxStack,
    clients: VendorClients,
    vendor: Vendor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an archived contact being restored, and a sync that dies (a Lambda timeout) right
    # after the vendor made the new contact, before anything was recorded
    archived_and_synced(store, stack, clients, vendor)
    restore_contact(store, change("c-1"))
    client = clients(TENANT, vendor)
    made: list[str] = []

    def restore_then_die(*args: Any, **kwargs: Any) -> Any:
        made.append(type(client).restore(client, *args, **kwargs).vendor_id)
        raise TimeoutError("Task timed out")

    monkeypatch.setattr(client, "restore", restore_then_die)
    with pytest.raises(TimeoutError):
        sync_all(store, clients, "c-1")
    monkeypatch.undo()
    assert get_contact(store, TENANT, "c-1").link_state(vendor) is LinkState.RESTORING

    # When the stream retries the record
    outcomes = sync_all(store, clients, "c-1")

    # Then the contact the dead attempt made is linked, and the vendor was asked to create once
    assert outcomes == {SyncOutcome.SETTLED}
    contact = get_contact(store, TENANT, "c-1")
    assert contact.link_state(vendor) is LinkState.ACTIVE
    assert contact.link(vendor).vendor_id == made[0]
    creates = "/api/customers/customer-1/contacts" if vendor is Vendor.SEQUENCE else "/contacts"
    assert stack.sandboxes[vendor].calls("POST", creates) == 1
