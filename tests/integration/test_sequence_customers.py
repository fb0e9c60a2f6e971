"""One person, a Sequence contact of two customers (moto, the sandboxes as the vendors): an
import of each customer gives her one ledger contact with a link per customer, reconciliation
tells the customers apart, and a restore brings back the one link that was archived."""

from __future__ import annotations

from contact_archive.contacts.changes import restore_contact
from contact_archive.contacts.importing import ImportCommand, ImportResult, import_contacts
from contact_archive.contacts.reading import get_contact
from contact_archive.inbound.reconcile import Limits, reconcile
from contact_archive.ledger.models import ContactStatus, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import ALICE, TENANT, Announced, change, sandbox_clients


class OnlySequence:
    def configured(self) -> list[tuple[str, Vendor]]:
        return [(TENANT, Vendor.SEQUENCE)]


def test_a_person_of_two_customers_is_one_contact_whose_links_move_apart(
    store: LedgerStore, stack: SandboxStack
) -> None:
    clients = sandbox_clients(stack)
    client = clients(TENANT, Vendor.SEQUENCE)
    # Given Ada, a billing contact of customers A and B
    at_a = stack.sequence.add_contact(
        "cus-a", name="Ada Lovelace", email="ada@example.com", billingPreference="NONE"
    )
    at_b = stack.sequence.add_contact(
        "cus-b", name="Ada Lovelace", email="ada@example.com", billingPreference="NONE"
    )
    # When both customers are imported
    first = import_contacts(store, client, ImportCommand(TENANT, Vendor.SEQUENCE, ALICE, "cus-a"))
    second = import_contacts(store, client, ImportCommand(TENANT, Vendor.SEQUENCE, ALICE, "cus-b"))
    # Then she is one contact with a link per customer
    assert first.counts[ImportResult.CREATED] == 1 and second.counts[ImportResult.LINKED] == 1
    (ada,) = store.contacts.find_by_email(TENANT, "ada@example.com")
    assert {key: link.vendor_id for key, link in ada.links.items()} == {
        "sequence:cus-a": at_a["id"],
        "sequence:cus-b": at_b["id"],
    }
    # When customer B archives her in Sequence's dashboard and reconciliation runs
    stack.sequence.archive_in_ui("cus-b", at_b["id"])
    assert (
        reconcile(store, clients, OnlySequence(), Announced(), limits=Limits(), start=0).drifts == 1
    )
    # Then only B's link is archived, and Ada is partially archived
    ada = get_contact(store, TENANT, ada.contact_id)
    assert ada.link_state("sequence:cus-a") is LinkState.ACTIVE
    assert ada.link_state("sequence:cus-b") is LinkState.ARCHIVED
    assert ada.status is ContactStatus.PARTIALLY_ARCHIVED
    # When its material is taken and that link alone restored
    assert sync_link(store, clients, TENANT, ada.contact_id, "sequence:cus-b").outcome is (
        SyncOutcome.MATERIAL_TAKEN
    )
    restore_contact(store, change(ada.contact_id, vendors=["sequence:cus-b"]))
    outcome = sync_link(store, clients, TENANT, ada.contact_id, "sequence:cus-b").outcome
    # Then customer B has her again, under a new id; customer A's contact was never touched
    assert outcome is SyncOutcome.SETTLED
    ada = get_contact(store, TENANT, ada.contact_id)
    again = ada.links["sequence:cus-b"].vendor_id
    assert again != at_b["id"]
    restored = stack.sequence.contact("cus-b", again)
    assert restored is not None and restored["email"] == "ada@example.com"
    assert restored.get("archivedAt") is None
    assert ada.status is ContactStatus.ACTIVE
    assert stack.sequence.contact("cus-a", at_a["id"]) == at_a
