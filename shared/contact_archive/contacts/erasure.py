"""Erase a contact: its personal data leaves the ledger, its vendors are told, a tombstone stays.

One conditional transaction replaces the contact item with its tombstone (`ledger/tombstones.py`:
ids, times, who and why, the links' vendor ids, a keyed hash of the email) and frees its vendor
ids; then the contact's partition is purged (history pages, the responses idempotency keys kept
for it). Afterwards the contact answers 410 `contact_erased`, no listing or lookup finds it, and
no item holds its email or names. The vendors follow from the tombstone's stream record
(`sync/erasure.py`): Intercom, which has a permanent delete, deletes its contact; the others
archive theirs (already archived ones are left as they are).

Erasing an erased contact changes nothing and answers its tombstone again.
"""

from __future__ import annotations

from dataclasses import dataclass

from contact_archive.ledger.errors import ConcurrentUpdate, ContactNotFound
from contact_archive.ledger.models import (
    STUCK_AFTER,
    Actor,
    Clock,
    Contact,
    LinkState,
    Vendor,
    VendorLink,
    iso,
    utc_now,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.tombstones import (
    ErasedLink,
    ErasedLinkState,
    Tombstone,
    email_digest,
)

ERASE_ATTEMPTS = 5  # a change made meanwhile: read the contact again
# Vendors with a permanent delete: asked for it even when their contact is archived already.
DELETING_VENDORS = frozenset({Vendor.INTERCOM})


@dataclass(frozen=True)
class EraseCommand:
    tenant_id: str
    contact_id: str
    actor: Actor
    reason: str | None = None


@dataclass(frozen=True)
class EraseOutcome:
    tombstone: Tombstone
    erased: bool  # False: it was erased before


def erase_contact(
    store: LedgerStore, command: EraseCommand, erasure_key: str, clock: Clock = utc_now
) -> EraseOutcome:
    for _ in range(ERASE_ATTEMPTS):
        contact = store.contacts.get(command.tenant_id, command.contact_id)
        if contact is None:
            earlier = store.erasures.get(command.tenant_id, command.contact_id)
            if earlier is None:
                raise ContactNotFound(command.contact_id)
            store.erasures.purge(command.tenant_id, command.contact_id)  # a purge cut short
            return EraseOutcome(earlier, erased=False)
        now = clock()
        tombstone = tombstone_of(contact, command, erasure_key, iso(now))
        due_at = iso(now + STUCK_AFTER) if tombstone.in_flight else None
        if store.erasures.erase(contact, tombstone, due_at=due_at):
            store.erasures.purge(command.tenant_id, command.contact_id)
            return EraseOutcome(tombstone, erased=True)
    raise ConcurrentUpdate()


def tombstone_of(contact: Contact, command: EraseCommand, erasure_key: str, at: str) -> Tombstone:
    return Tombstone(
        tenant_id=contact.tenant_id,
        contact_id=contact.contact_id,
        erased_at=at,
        erased_by=command.actor.name,
        source=command.actor.source,
        reason=command.reason,
        email_digest=email_digest(erasure_key, contact.email) if contact.email else None,
        created_at=contact.created_at,
        version=contact.version + 1,
        links={
            key: _erased_link(link, contact.link_state(key), at)
            for key, link in contact.links.items()
        },
    )


def _erased_link(link: VendorLink, state: LinkState, at: str) -> ErasedLink:
    """What the link's vendor is still to do (`state`: the link's, as the contact shows it):
    nothing for a contact it no longer has, nor (but for a vendor that deletes) for one it has
    archived with no change under way."""
    base = {"vendor": link.vendor, "vendor_id": link.vendor_id, "scope": link.scope}
    if state is LinkState.UNRECOVERABLE:
        return ErasedLink(**base, state=ErasedLinkState.GONE, settled_at=at)
    if state is LinkState.ARCHIVED and link.vendor not in DELETING_VENDORS:
        return ErasedLink(**base, state=ErasedLinkState.ARCHIVED, settled_at=at)
    return ErasedLink(**base, state=ErasedLinkState.ERASING)
