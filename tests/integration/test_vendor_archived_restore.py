"""Restoring what a vendor archived by itself, per vendor (moto, with the vendor sandboxes as the
vendors): someone archives a contact in the vendor's own UI, reconciliation records the drift,
the sync takes the restore material from the vendor's archived view, and a restore of that link
alone brings the vendor's contact back with its fields. Where no material can be had, the link
says so (`unrecoverable`, with why) instead of failing forever."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contact_archive.contacts.changes import restore_contact
from contact_archive.contacts.reading import contact_history, get_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.inbound.reconcile import Limits, reconcile
from contact_archive.ledger.models import ContactStatus, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import IN_PROCESS_BASE_URLS, SandboxStack
from tests.integration.vendor_contacts import LISTS, seed, vendor_view
from tests.ledger_helpers import TENANT, Announced, change, register, sandbox_clients

RESTORE_LIST = "list-restored"


class OnlyTenantA:
    def __init__(self, vendor: Vendor) -> None:
        self._vendor = vendor

    def configured(self) -> list[tuple[str, Vendor]]:
        return [(TENANT, self._vendor)]


def clients_for(stack: SandboxStack, *, restore_list: str | None = None) -> VendorClients:
    document = stack.credentials(TENANT)
    if restore_list is not None:
        document[TENANT][Vendor.CONSTANT_CONTACT.value]["restore_list_id"] = restore_list
    return sandbox_clients(stack, document)


def archived_in_the_vendors_ui(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, vendor: Vendor
) -> tuple[str, dict[str, Any]]:
    """Ada, linked to her contact at the vendor and to one at Intercom (which stays active),
    archived in the vendor's own UI and found by a reconciliation run: the vendor id, and how
    the vendor showed her before."""
    vendor_id, scope = seed(stack, vendor)
    before = vendor_view(stack, vendor, vendor_id)
    other = stack.intercom.add_contact(email="ada.support@example.com", name="Ada L")
    links = [LinkInput(vendor, vendor_id, scope)]
    if vendor is not Vendor.INTERCOM:
        links.append(LinkInput(Vendor.INTERCOM, other["id"]))
    register(store, "ada", links, email="ada@example.com")
    if vendor is Vendor.INTERCOM:
        stack.intercom.archive_in_ui(vendor_id)
    else:
        clients(TENANT, vendor).archive(LinkRef(vendor_id, scope))
    result = reconcile(store, clients, OnlyTenantA(vendor), Announced(), limits=Limits(), start=0)
    assert result.drifts == 1
    return vendor_id, before


def sync(store: LedgerStore, clients: VendorClients, vendor: Vendor) -> SyncOutcome:
    """The sync of Ada's link to the vendor, as SyncFunction runs it for a stream record."""
    key = get_contact(store, TENANT, "ada").link(vendor).key
    return sync_link(store, clients, TENANT, "ada", key).outcome


@pytest.mark.parametrize("vendor", [Vendor.SEQUENCE, Vendor.ROUTERA, Vendor.INTERCOM])
def test_a_link_archived_in_the_vendors_ui_is_restored_alone_with_its_fields(
    store: LedgerStore, stack: SandboxStack, vendor: Vendor
) -> None:
    clients = clients_for(stack)
    # Given Ada archived in the vendor's UI, and the drift recorded
    vendor_id, before = archived_in_the_vendors_ui(store, stack, clients, vendor)
    drifted = get_contact(store, TENANT, "ada")
    assert drifted.link_state(vendor) is LinkState.ARCHIVED
    assert drifted.status is (
        ContactStatus.ARCHIVED if vendor is Vendor.INTERCOM else ContactStatus.PARTIALLY_ARCHIVED
    )
    # When the drift's stream record is synced: the material is taken while the vendor shows her
    # (Intercom unarchives by id: its id is all it keeps, without a call)
    calls = len(stack.sandboxes[vendor].requests)
    assert sync(store, clients, vendor) is SyncOutcome.MATERIAL_TAKEN
    assert get_contact(store, TENANT, "ada").link(vendor).snapshot is not None
    made = len(stack.sandboxes[vendor].requests) - calls
    assert made == (0 if vendor is Vendor.INTERCOM else 1)
    # and a redelivered record takes nothing again
    assert sync(store, clients, vendor) is SyncOutcome.NOTHING_PENDING
    # And that link alone is restored and synced
    restoring = restore_contact(store, change("ada", vendors=[vendor.value])).contact
    assert restoring.link_state(vendor) is LinkState.RESTORING
    if vendor is not Vendor.INTERCOM:
        assert restoring.link_state(Vendor.INTERCOM) is LinkState.ACTIVE  # not touched
    assert sync(store, clients, vendor) is SyncOutcome.SETTLED
    # Then the vendor shows Ada again with her fields, under the id the link names
    restored = get_contact(store, TENANT, "ada")
    assert restored.status is ContactStatus.ACTIVE
    assert restored.link_state(vendor) is LinkState.ACTIVE
    assert vendor_view(stack, vendor, restored.link(vendor).vendor_id) == before
    if vendor is Vendor.INTERCOM:
        assert restored.link(vendor).vendor_id == vendor_id
    else:
        last = contact_history(store, TENANT, "ada")[-1]
        assert last.action == "relinked" and last.details is not None
        assert "id" in last.details["not_restored"]


def test_a_contact_deleted_in_constant_contacts_ui_comes_back_on_the_restore_list(
    store: LedgerStore, stack: SandboxStack
) -> None:
    clients = clients_for(stack, restore_list=RESTORE_LIST)
    vendor = Vendor.CONSTANT_CONTACT
    # Given Ada deleted in Constant Contact's UI (which dropped her lists), the drift recorded
    # and its material taken from the deleted contact Constant Contact still shows
    vendor_id, before = archived_in_the_vendors_ui(store, stack, clients, vendor)
    assert sync(store, clients, vendor) is SyncOutcome.MATERIAL_TAKEN
    # When that link alone is restored
    restore_contact(store, change("ada", vendors=["constant_contact"]))
    assert sync(store, clients, vendor) is SyncOutcome.SETTLED
    # Then she is back, the same contact with her fields, on the tenant's restore list; the
    # lists Constant Contact dropped are named as not restored, with why
    after = vendor_view(stack, vendor, vendor_id)
    assert {**after, "list_memberships": None} == {**before, "list_memberships": None}
    assert before["list_memberships"] == LISTS and after["list_memberships"] == [RESTORE_LIST]
    last = contact_history(store, TENANT, "ada")[-1]
    assert last.action == "link_restored" and last.details is not None
    assert "list_memberships" in last.details["not_restored"]


def test_without_a_restore_list_the_outcome_is_permanent_and_says_how_to_fix_it(
    store: LedgerStore, stack: SandboxStack
) -> None:
    clients = clients_for(stack)
    vendor = Vendor.CONSTANT_CONTACT
    # Given Ada deleted in Constant Contact's UI and her material taken
    archived_in_the_vendors_ui(store, stack, clients, vendor)
    assert sync(store, clients, vendor) is SyncOutcome.MATERIAL_TAKEN
    # When that link is restored, with no restore list configured
    restore_contact(store, change("ada", vendors=["constant_contact"]))
    outcome = sync(store, clients, vendor)
    # Then the link fails for good (no retry, no dead letter), saying what to configure
    assert outcome is SyncOutcome.FAILED
    link = get_contact(store, TENANT, "ada").link(vendor)
    assert link.last_error is not None and "restore_list_id" in link.last_error


def test_a_contact_the_vendor_no_longer_shows_becomes_unrecoverable_with_why(
    store: LedgerStore, stack: SandboxStack
) -> None:
    clients = clients_for(stack)
    vendor = Vendor.ROUTERA
    # Given Ada archived in Routera's UI, and then gone from Routera altogether
    vendor_id, _ = archived_in_the_vendors_ui(store, stack, clients, vendor)
    stack.routera.forget(vendor_id)
    # When the drift's record is synced
    outcome = sync(store, clients, vendor)
    # Then the link says it cannot come back, and no longer counts in her status
    assert outcome is SyncOutcome.UNRECOVERABLE
    contact = get_contact(store, TENANT, "ada")
    assert contact.link_state(vendor) is LinkState.UNRECOVERABLE
    assert contact.link(vendor).unrecoverable_reason == (
        "routera no longer shows the archived contact: there is nothing to restore it from"
    )
    assert contact.status is ContactStatus.ACTIVE
    assert contact_history(store, TENANT, "ada")[-1].action == "unrecoverable"


# -- Intercom: a 404 is archived, deleted or merged -------------------------------------------


def intercom_api(stack: SandboxStack) -> httpx.Client:
    """Intercom's API as someone else's app would call it (the sandbox's own account)."""
    return httpx.Client(
        transport=stack.intercom.transport(),
        base_url=IN_PROCESS_BASE_URLS[Vendor.INTERCOM],
        headers={"Authorization": f"Bearer {stack.intercom.token}", "Intercom-Version": "2.10"},
    )


def reconciled_intercom(store: LedgerStore, clients: VendorClients) -> None:
    reconcile(store, clients, OnlyTenantA(Vendor.INTERCOM), Announced(), limits=Limits(), start=0)


def test_an_intercom_contact_deleted_there_is_unrecoverable_once_a_restore_meets_it(
    store: LedgerStore, stack: SandboxStack
) -> None:
    clients = clients_for(stack)
    # Given Ada's Intercom contact deleted at Intercom (which shows it as it shows an archived
    # one: not at all), and reconciliation recording it archived
    made = stack.intercom.add_contact(email="ada@example.com", name="Ada Lovelace")
    register(store, "ada", [LinkInput(Vendor.INTERCOM, made["id"])], email="ada@example.com")
    assert intercom_api(stack).delete(f"/contacts/{made['id']}").is_success
    reconciled_intercom(store, clients)
    assert get_contact(store, TENANT, "ada").link_state(Vendor.INTERCOM) is LinkState.ARCHIVED
    # When that link is restored
    restore_contact(store, change("ada", vendors=["intercom"]))
    outcome = sync(store, clients, Vendor.INTERCOM)
    # Then the unarchive's 404 says it is gone for good: unrecoverable, not a failure to retry
    assert outcome is SyncOutcome.UNRECOVERABLE
    contact = get_contact(store, TENANT, "ada")
    assert contact.link_state(Vendor.INTERCOM) is LinkState.UNRECOVERABLE
    assert contact.link(Vendor.INTERCOM).unrecoverable_reason == (
        "intercom no longer has the contact (deleted, or merged into another): it cannot be"
        " unarchived"
    )


def test_an_intercom_lead_merged_into_a_user_is_not_taken_for_archived(
    store: LedgerStore, stack: SandboxStack
) -> None:
    clients = clients_for(stack)
    # Given Ada linked to her Intercom lead, which Intercom then merges into her user
    lead = stack.intercom.add_contact(role="lead", email="ada@example.com", name="Ada")
    user = stack.intercom.add_contact(role="user", email="ada@example.com", name="Ada Lovelace")
    register(store, "ada", [LinkInput(Vendor.INTERCOM, lead["id"])], email="ada@example.com")
    merged = intercom_api(stack).post(
        "/contacts/merge", json={"from": lead["id"], "into": user["id"]}
    )
    assert merged.is_success
    # When reconciliation meets the lead's 404
    reconciled_intercom(store, clients)
    # Then the link says where the person went, rather than that she was archived
    contact = get_contact(store, TENANT, "ada")
    link = contact.link(Vendor.INTERCOM)
    assert contact.link_state(Vendor.INTERCOM) is LinkState.UNRECOVERABLE
    assert link.unrecoverable_reason is not None and user["id"] in link.unrecoverable_reason
    assert contact_history(store, TENANT, "ada")[-1].action == "drift_detected"
