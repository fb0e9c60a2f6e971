"""Helpers for the tests that drive the ledger's use cases directly, not through the API: the
tenants and the actors, Given-steps that register and change contacts, contacts made at the
vendor sandboxes and the clients that reach them, and a publisher that keeps what it announces.

The API tests' tenant, the events/ samples and the handlers are in tests/support.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from contact_archive.announcements.publisher import Announcement
from contact_archive.contacts.changes import ChangeCommand
from contact_archive.contacts.reading import get_contact
from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.ledger.models import Actor, Contact, LinkSettlement, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import SandboxStack

TENANT = "tenant-a"
OTHER_TENANT = "tenant-b"  # a second tenant, to show that tenants never see each other
ALICE = Actor(name="alice", source="api")  # who registers, archives and restores
SYNC = Actor(name="sync", source="sync")  # who settles the links
CUSTOMER = "customer-1"  # the Sequence customer whose contacts are linked
LIST_ID = "07936f78-662a-11eb-af0a-fa163e56c9b0"  # the Constant Contact list they are on
SETTLED_AT = "2026-11-23T10:00:00.000Z"  # when the sync settles a link

# A link at every vendor, by made-up ids: for tests that never call a vendor.
ALL_LINKS = [
    LinkInput(Vendor.SEQUENCE, "seq-1", CUSTOMER),
    LinkInput(Vendor.ROUTERA, "rt-1"),
    LinkInput(Vendor.INTERCOM, "ic-1"),
    LinkInput(Vendor.CONSTANT_CONTACT, "cc-1"),
]


# -- the ledger ------------------------------------------------------------------------------------


def register(
    store: LedgerStore,
    contact_id: str,
    links: list[LinkInput] | None = None,
    *,
    tenant: str = TENANT,
    email: str | None = None,
    external_id: str | None = None,
) -> None:
    """Alice registers the contact (as Ada, at `<contact_id>@example.com`), linked to every
    vendor by `ALL_LINKS` unless `links` are given."""
    register_contact(
        store,
        RegisterCommand(
            tenant_id=tenant,
            contact_id=contact_id,
            actor=ALICE,
            email=email or f"{contact_id}@example.com",
            first_name="Ada",
            external_id=external_id,
            links=links if links is not None else ALL_LINKS,
        ),
    )


def change(
    contact_id: str,
    *,
    tenant: str = TENANT,
    reason: str | None = None,
    vendors: list[str] | None = None,
    expected_version: int | None = None,
) -> ChangeCommand:
    """Alice's archive or restore of the contact: `archive_contact(store, change("c-1"))`."""
    return ChangeCommand(
        tenant_id=tenant,
        contact_id=contact_id,
        actor=ALICE,
        reason=reason,
        vendors=vendors,
        expected_version=expected_version,
    )


def link_states(
    store: LedgerStore, contact_id: str, tenant: str = TENANT
) -> dict[Vendor, LinkState]:
    """The state of each of the contact's links (one per vendor), as the ledger has it now."""
    contact = get_contact(store, tenant, contact_id)
    return {link.vendor: contact.link_state(key) for key, link in contact.links.items()}


def sync_outcome(
    contact: Contact, vendor: Vendor, state: LinkState, new_vendor_id: str | None = None
) -> LinkSettlement:
    """What the sync reports for the vendor's link once it has carried out the change that
    applies to it (`new_vendor_id`: the vendor re-created the contact under that id)."""
    link = contact.link(vendor)
    change = link.change_under(contact.pending)
    assert change is not None, "only a change is settled"
    return LinkSettlement(
        tenant_id=contact.tenant_id,
        contact_id=contact.contact_id,
        vendor=vendor,
        link_key=link.key,
        vendor_id=link.vendor_id,
        change_id=change.change_id,
        change_version=change.version,
        state=state,
        at=SETTLED_AT,
        actor=SYNC,
        new_vendor_id=new_vendor_id,
    )


# -- the vendor sandboxes --------------------------------------------------------------------------


def at_vendor(stack: SandboxStack, vendor: Vendor, number: int = 0) -> LinkInput:
    """Person `number` made a contact at the vendor's sandbox: the link that names it."""
    email = f"person{number}@example.com"
    if vendor is Vendor.SEQUENCE:
        found = stack.sequence.add_contact(CUSTOMER, name=f"Person {number}", email=email)
        return LinkInput(vendor, found["id"], CUSTOMER)
    if vendor is Vendor.ROUTERA:
        return LinkInput(vendor, stack.routera.add_contact(email=email, first_name="P")["id"])
    if vendor is Vendor.INTERCOM:
        return LinkInput(vendor, stack.intercom.add_contact(email=email, name="P")["id"])
    found = stack.constant_contact.add_contact(email=email, list_ids=[LIST_ID])
    return LinkInput(vendor, found["contact_id"])


def register_at_vendors(
    store: LedgerStore,
    stack: SandboxStack,
    contact_id: str,
    vendors: Iterable[Vendor] = tuple(Vendor),
    *,
    number: int = 0,
    tenant: str = TENANT,
) -> list[LinkInput]:
    """Registers the contact, linked to a contact of its own made at each vendor's sandbox (every
    vendor unless named): returns its links."""
    links = [at_vendor(stack, vendor, number) for vendor in vendors]
    register(store, contact_id, links, tenant=tenant)
    return links


def archive_behind_the_ledgers_back(
    clients: VendorClients, *links: LinkInput, tenant: str = TENANT
) -> None:
    """Someone archives (deletes) the linked contacts in the vendors' own UIs: the vendors
    change, and nobody tells the ledger."""
    for link in links:
        clients(tenant, link.vendor).archive(LinkRef(link.vendor_id, link.scope))


def no_wait(seconds: float) -> None:
    """A sleep that returns at once: the clients' retries and rate limits wait for nothing."""


def sandbox_clients(
    stack: SandboxStack,
    credentials: dict[str, Any] | None = None,
    *,
    sleep: Callable[[float], None] = no_wait,
) -> VendorClients:
    """Vendor clients that reach the sandboxes, with these credentials (tenant A's, on the
    sandboxes' accounts, unless given)."""
    document = stack.credentials(TENANT) if credentials is None else credentials
    return VendorClients(JsonSource(document), transports=stack.transports(), sleep=sleep)


# -- announcements ---------------------------------------------------------------------------------


class Announced:
    """The publisher: keeps what would go to EventBridge."""

    def __init__(self) -> None:
        self.events: list[Announcement] = []

    def publish(self, announcements: list[Announcement]) -> None:
        self.events += announcements

    def drifts(self) -> list[dict[str, Any]]:
        return [
            event.detail for event in self.events if event.detail_type == "ContactDriftDetected"
        ]
