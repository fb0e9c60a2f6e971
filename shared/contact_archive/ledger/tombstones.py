"""What is left of an erased contact: its tombstone.

Erasure (`contacts/erasure.py`) replaces the contact item with a tombstone under the same key:
the ids, when, by whom and why, each link's vendor and vendor id with what its vendor was asked
to do, and a keyed hash of the email (`email_digest`), so that an import does not bring the
person back. No email, name, snapshot or history event is left in it.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from contact_archive.ledger.models import DomainModel, Vendor


class ErasedLinkState(StrEnum):
    ERASING = "erasing"  # the vendor is still to be asked
    DELETED = "deleted"  # the vendor deleted its contact for good (Intercom)
    ARCHIVED = "archived"  # the vendor offers no permanent delete: its contact is archived
    GONE = "gone"  # the vendor no longer had the contact
    FAILED = "failed"  # the vendor refused for good, or no credentials: `error` says why


class ErasedLink(DomainModel):
    vendor: Vendor
    vendor_id: str
    scope: str | None = None
    state: ErasedLinkState
    error: str | None = None
    settled_at: str | None = None
    # How often a restore that landed after the erasure put the link back to `erasing`: an
    # answer is written only for the round it was asked in (`ErasureStore.settle_link`).
    reopened: int = 0


class Tombstone(DomainModel):
    tenant_id: str
    contact_id: str
    erased_at: str
    erased_by: str
    source: str
    reason: str | None = None
    email_digest: str | None = None
    created_at: str
    version: int
    links: dict[str, ErasedLink]
    announced_at: str | None = None  # when `ContactErased` went out on the bus

    @property
    def complete(self) -> bool:
        """Every vendor has answered (deleted, archived, gone, or failed for good)."""
        return not self.in_flight

    @property
    def in_flight(self) -> list[str]:
        """The link keys whose vendor is still to be asked."""
        return [key for key, link in self.links.items() if link.state is ErasedLinkState.ERASING]


def email_digest(key: str, email: str) -> str:
    """The keyed hash (HMAC-SHA256) of an email as the ledger matches it: trimmed, any case."""
    normalized = email.strip().lower().encode()
    return hmac.new(key.encode(), normalized, hashlib.sha256).hexdigest()
