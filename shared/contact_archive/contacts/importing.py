"""Import: bring a vendor's contacts under the ledger, one person one contact.

A vendor contact whose email is an erased person's is skipped: erasure keeps the email's keyed
hash, so that an import does not bring the person back. Each other vendor contact is matched in
this order: its vendor id is already linked (nothing to do);
a ledger contact has its email (case-insensitive) and no link to this vendor yet (link it);
otherwise a new contact is created. A new contact's id is derived from the tenant and the email,
so two imports racing for the same person (Intercom and Constant Contact at once) meet on the
same item instead of creating two contacts. Running an import again changes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.ledger.errors import ContactErased, VendorIdTaken, VersionConflict
from contact_archive.ledger.models import Actor, Clock, Contact, Vendor, link_key, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.tombstones import email_digest
from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.client import VendorClient
from contact_archive.vendors.errors import VendorCallFailed, VendorError

# One request imports at most this many vendor pages; the answer's cursor goes on from there.
DEFAULT_MAX_PAGES = 10
MATCH_ATTEMPTS = 3  # a concurrent register or import moved the contact: look again
CONFLICTS_REPORTED = 50  # the answer lists at most this many, the count covers all

# A fixed namespace: the same tenant and email give the same contact id on every run.
_CONTACT_ID_NAMESPACE = uuid.UUID("8b6f3a52-4a8e-4f55-9d0c-6f1b1d3e2a10")


class ImportResult(StrEnum):
    CREATED = "created"  # a new ledger contact with this link
    LINKED = "linked"  # linked to the ledger contact with the same email
    UNCHANGED = "unchanged"  # already linked: a re-run lands here
    SKIPPED_ARCHIVED = "skipped_archived"  # archived at the vendor: nothing to restore it from
    SKIPPED_ERASED = "skipped_erased"  # a person erased from the ledger: not brought back
    CONFLICT = "conflict"  # left alone, see `conflicts`


@dataclass(frozen=True)
class ImportCommand:
    tenant_id: str
    vendor: Vendor
    actor: Actor
    scope: str | None = None
    cursor: str | None = None  # the vendor's page cursor, from the previous answer
    max_pages: int = DEFAULT_MAX_PAGES
    # The key of the erased emails' hashes (`ledger/tombstones.py`): erased people are skipped.
    erasure_key: str | None = None


@dataclass
class ImportOutcome:
    counts: Counter[ImportResult] = field(default_factory=Counter)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    next_cursor: str | None = None  # None once the vendor has no more pages

    def record(self, result: ImportResult, conflict: dict[str, str] | None = None) -> None:
        self.counts[result] += 1
        if conflict is not None and len(self.conflicts) < CONFLICTS_REPORTED:
            self.conflicts.append(conflict)


def contact_id_for(tenant_id: str, vendor_contact: VendorContact) -> str:
    """The id a contact created by import gets: from the email when there is one (so vendors
    meet on it), else from the vendor id."""
    if vendor_contact.email:
        key = f"{tenant_id}:email:{vendor_contact.email.lower()}"
    else:
        key = f"{tenant_id}:{vendor_contact.vendor.value}:{vendor_contact.vendor_id}"
    return str(uuid.uuid5(_CONTACT_ID_NAMESPACE, key))


def import_contacts(
    store: LedgerStore, client: VendorClient, command: ImportCommand, clock: Clock = utc_now
) -> ImportOutcome:
    outcome = ImportOutcome()
    cursor = command.cursor
    for _ in range(command.max_pages):
        try:
            page = client.list_page(scope=command.scope, cursor=cursor)
        except VendorError as error:
            raise VendorCallFailed(
                command.vendor.value, str(error), retryable=error.retryable
            ) from None
        erased = _erased(store, command, page.contacts)
        for vendor_contact in page.contacts:
            if vendor_contact.vendor_id in erased:
                outcome.record(ImportResult.SKIPPED_ERASED)
                continue
            outcome.record(*_import_one(store, command, vendor_contact, clock))
        cursor = page.next_cursor
        if cursor is None:
            break
    outcome.next_cursor = cursor
    return outcome


def _erased(store: LedgerStore, command: ImportCommand, found: list[VendorContact]) -> set[str]:
    """The vendor ids of the page whose email is an erased person's: one batch read a page."""
    if command.erasure_key is None:
        return set()
    digests = {
        contact.vendor_id: email_digest(command.erasure_key, contact.email)
        for contact in found
        if contact.email
    }
    erased = store.erasures.erased_emails(command.tenant_id, list(digests.values()))
    return {vendor_id for vendor_id, digest in digests.items() if digest in erased}


def _import_one(
    store: LedgerStore, command: ImportCommand, found: VendorContact, clock: Clock
) -> tuple[ImportResult, dict[str, str] | None]:
    tenant_id = command.tenant_id
    if store.vendor_refs.find(tenant_id, found.vendor, found.vendor_id):
        return ImportResult.UNCHANGED, None
    if found.archived:
        return ImportResult.SKIPPED_ARCHIVED, None
    link = LinkInput(found.vendor, found.vendor_id, found.scope or command.scope)
    for _ in range(MATCH_ATTEMPTS):
        candidates = _same_person(store, tenant_id, found)
        try:
            if not candidates:
                # A new contact, created only if no one made it meanwhile.
                _register(store, command, found, link, contact_id_for(tenant_id, found), clock)
                return ImportResult.CREATED, None
            if len(candidates) > 1:
                return ImportResult.CONFLICT, _conflict(
                    found, "several ledger contacts have this email"
                )
            (contact,) = candidates
            if link_key(link.vendor, link.scope) in contact.links:
                return ImportResult.CONFLICT, _conflict(
                    found,
                    f"contact {contact.contact_id} is already linked to another"
                    f" {found.vendor.value} contact",
                )
            # The same person: the link added, the profile kept as the ledger has it.
            _register(store, command, contact, link, contact.contact_id, clock, contact.version)
            return ImportResult.LINKED, None
        except VersionConflict:
            continue  # created or changed meanwhile: match again
        except ContactErased:
            return ImportResult.SKIPPED_ERASED, None  # its id is an erased contact's
        except VendorIdTaken:
            return ImportResult.UNCHANGED, None  # a concurrent import linked it first
    return ImportResult.CONFLICT, _conflict(found, "the contact kept changing; import again")


def _register(
    store: LedgerStore,
    command: ImportCommand,
    profile: VendorContact | Contact,
    link: LinkInput,
    contact_id: str,
    clock: Clock,
    expected_version: int | None = None,
) -> None:
    """Register `contact_id` with `profile`'s fields and `link`: created (must not exist yet)
    without an `expected_version`, else updated at that version."""
    register_contact(
        store,
        RegisterCommand(
            tenant_id=command.tenant_id,
            contact_id=contact_id,
            actor=command.actor,
            email=profile.email,
            first_name=profile.first_name,
            last_name=profile.last_name,
            external_id=profile.external_id,
            links=[link],
            expected_version=expected_version,
            create_only=expected_version is None,
        ),
        clock,
    )


def _same_person(store: LedgerStore, tenant_id: str, found: VendorContact) -> list[Contact]:
    """Ledger contacts with the vendor contact's email: the one an earlier import created (read
    consistently, since the email index lags a fresh write) and any registered by other means."""
    if not found.email:
        created = store.contacts.get(tenant_id, contact_id_for(tenant_id, found))
        return [created] if created else []
    ids = {contact.contact_id for contact in store.contacts.find_by_email(tenant_id, found.email)}
    ids.add(contact_id_for(tenant_id, found))
    # Read each consistently: the index may hold an older version than the item.
    contacts = (store.contacts.get(tenant_id, contact_id) for contact_id in sorted(ids))
    return [contact for contact in contacts if contact is not None]


def _conflict(found: VendorContact, why: str) -> dict[str, str]:
    # The vendor id only: emails are personal data and the answer may end up in logs.
    return {"vendor": found.vendor.value, "vendor_id": found.vendor_id, "reason": why}
