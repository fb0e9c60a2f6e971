"""Archiving some links, then the rest, per vendor (moto, with the vendor sandboxes as the
vendors): each vendor archives only when its link is named, the others are never called, and
the contact's status follows its links."""

from __future__ import annotations

import pytest

from contact_archive.contacts.changes import archive_contact
from contact_archive.contacts.reading import get_contact
from contact_archive.ledger.models import ContactStatus, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import TENANT, change, register_at_vendors, sandbox_clients


def sync_every_link(store: LedgerStore, stack: SandboxStack) -> set[SyncOutcome]:
    clients = sandbox_clients(stack)
    contact = get_contact(store, TENANT, "ada")
    return {sync_link(store, clients, TENANT, "ada", key).outcome for key in contact.links}


@pytest.mark.parametrize("vendor", list(Vendor))
def test_one_link_archived_then_the_rest(
    store: LedgerStore, stack: SandboxStack, vendor: Vendor
) -> None:
    # Given Ada linked to a contact of her own at each vendor
    register_at_vendors(store, stack, "ada")
    # When only the vendor's link is archived and the links synced
    archived = archive_contact(store, change("ada", vendors=[vendor.value])).contact
    assert archived.status is ContactStatus.PARTIALLY_ARCHIVED
    assert sync_every_link(store, stack) == {SyncOutcome.SETTLED, SyncOutcome.NOTHING_PENDING}
    # Then that vendor archived her, and no other vendor was asked to
    assert {name: sandbox.effects["archived"] for name, sandbox in stack.sandboxes.items()} == {
        other: int(other is vendor) for other in Vendor
    }
    contact = get_contact(store, TENANT, "ada")
    assert {link.vendor: contact.link_state(key) for key, link in contact.links.items()} == {
        other: LinkState.ARCHIVED if other is vendor else LinkState.ACTIVE for other in Vendor
    }
    # When the rest are archived
    rest = archive_contact(store, change("ada")).contact
    assert rest.status is ContactStatus.ARCHIVED
    sync_every_link(store, stack)
    # Then every vendor has her archived, the first one still once
    assert {name: sandbox.effects["archived"] for name, sandbox in stack.sandboxes.items()} == (
        dict.fromkeys(Vendor, 1)
    )
    contact = get_contact(store, TENANT, "ada")
    assert {contact.link_state(key) for key in contact.links} == {LinkState.ARCHIVED}
