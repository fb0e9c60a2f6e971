"""Reading the ledger: a contact, its history, and pages of contacts behind signed cursors."""

from __future__ import annotations

from dataclasses import dataclass

from contact_archive.ledger.cursor import CursorCodec, query_fingerprint
from contact_archive.ledger.errors import ContactNotFound
from contact_archive.ledger.models import Contact, ContactStatus, HistoryEvent, Vendor, link_key
from contact_archive.ledger.store import LedgerStore


def get_contact(store: LedgerStore, tenant_id: str, contact_id: str) -> Contact:
    """The contact; `ContactNotFound`, or `ContactErased` (410) for one erased."""
    return store.contacts.read(tenant_id, contact_id)


def contact_history(store: LedgerStore, tenant_id: str, contact_id: str) -> list[HistoryEvent]:
    history = store.history.get(tenant_id, contact_id)
    if history is None:
        raise ContactNotFound(contact_id)
    return history


@dataclass(frozen=True)
class ListQuery:
    tenant_id: str
    status: ContactStatus | None  # None: every status
    vendor: Vendor | None = None
    scope: str | None = None  # with `vendor`: only contacts holding that one link
    vendor_id: str | None = None  # with `vendor`: the contact holding that vendor id
    email: str | None = None
    external_id: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class ContactPage:
    items: list[Contact]
    next_cursor: str | None


def list_contacts(store: LedgerStore, codec: CursorCodec, query: ListQuery) -> ContactPage:
    if query.vendor is not None and query.vendor_id is not None:
        return _by_vendor_id(store, query, query.vendor, query.vendor_id)
    link = link_key(query.vendor, query.scope) if query.vendor and query.scope else None
    fingerprint = query_fingerprint(
        status=query.status.value if query.status else "all",
        vendor=query.vendor.value if query.vendor else None,
        email=query.email.lower() if query.email else None,
        link=link,
        external_id=query.external_id,
    )
    start_key = codec.decode(query.cursor, query.tenant_id, fingerprint) if query.cursor else None
    items, last_key = store.contacts.list_page(
        query.tenant_id,
        status=query.status,
        vendor=query.vendor,
        email=query.email,
        limit=query.limit,
        start_key=start_key,
        link=link,
        external_id=query.external_id,
    )
    next_cursor = codec.encode(query.tenant_id, fingerprint, last_key) if last_key else None
    return ContactPage(items, next_cursor)


def _by_vendor_id(
    store: LedgerStore, query: ListQuery, vendor: Vendor, vendor_id: str
) -> ContactPage:
    """The one contact a vendor id names (its ref item, then the contact), as a page: empty when
    none does or it is not in the status asked for."""
    contact_id = store.vendor_refs.find(query.tenant_id, vendor, vendor_id)
    contact = store.contacts.get(query.tenant_id, contact_id) if contact_id else None
    if contact is None or (query.status is not None and contact.status is not query.status):
        return ContactPage([], None)
    return ContactPage([contact], None)
