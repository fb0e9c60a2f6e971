"""Naming a contact as callers know it: by email, by external id, or by a vendor's id.

Each is answered from an index the ledger keeps anyway (the email and external id indexes, the
vendor-id refs), never a scan. More than one match is an `AmbiguousContact` listing the
candidates' ids, so that the caller picks one; none is `NoMatchingContact`.
"""

from __future__ import annotations

from dataclasses import dataclass

from contact_archive.ledger.errors import AmbiguousContact, NoMatchingContact
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore


@dataclass(frozen=True)
class ContactName:
    """One of: an email (any case), an external id (exact), or a vendor and its id."""

    email: str | None = None
    external_id: str | None = None
    vendor: Vendor | None = None
    vendor_id: str | None = None

    @property
    def by(self) -> str:
        if self.email is not None:
            return "email"
        if self.external_id is not None:
            return "external_id"
        return "vendor_id"


def resolve_contact_id(store: LedgerStore, tenant_id: str, name: ContactName) -> str:
    """The id of the one contact of the tenant that `name` names."""
    if name.email is not None:
        candidates = [c.contact_id for c in store.contacts.find_by_email(tenant_id, name.email)]
    elif name.external_id is not None:
        found = store.contacts.find_by_external_id(tenant_id, name.external_id)
        candidates = [contact.contact_id for contact in found]
    else:
        assert name.vendor is not None and name.vendor_id is not None
        owner = store.vendor_refs.find(tenant_id, name.vendor, name.vendor_id)
        candidates = [owner] if owner is not None else []
    if not candidates:
        raise NoMatchingContact(name.by)
    if len(candidates) > 1:
        raise AmbiguousContact(name.by, sorted(candidates))
    return candidates[0]
