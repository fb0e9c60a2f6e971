"""The one interface every vendor client implements, and what its calls answer.

A client speaks to one vendor account (one tenant's credentials). The sync and import use cases
see only this interface: which HTTP calls a vendor needs, how it authenticates and how it
restores is each client's business (`vendors/<vendor>/client.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact


class RestoreStrategy(StrEnum):
    UNARCHIVE = "unarchive"  # the vendor has an unarchive call (Intercom)
    REVIVE = "revive"  # a write of the saved contact brings the same id back (Constant Contact)
    RECREATE = "recreate"  # create again from the saved fields, link the new id (Sequence, Routera)


@dataclass(frozen=True)
class LinkRef:
    """Which vendor contact: its id, and the scope it lives in where the vendor has one
    (Sequence's customer id)."""

    vendor_id: str
    scope: str | None = None


@dataclass(frozen=True)
class ArchiveResult:
    already: bool = False  # the vendor already had it archived: success, nothing was changed


@dataclass(frozen=True)
class DeleteResult:
    already: bool = False  # the vendor had no such contact any more: success, nothing deleted


@dataclass(frozen=True)
class RestoreResult:
    vendor_id: str  # the id the contact has now: a new one after a re-create
    replaced_vendor_id: str | None = None  # the old id, when a re-create replaced it
    already: bool = False  # the vendor already had it active: success, nothing was changed
    # What the restore could not write back, field by field, with why (a vendor that lets no
    # one set a creation time or consent history): kept in the restore's history event.
    not_restored: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactPage:
    contacts: list[VendorContact]
    next_cursor: str | None  # opaque; None after the last page


class VendorClient(Protocol):
    vendor: ClassVar[Vendor]
    restore_strategy: ClassVar[RestoreStrategy]

    def fetch(self, ref: LinkRef) -> VendorContact:
        """The contact as the vendor holds it; `VendorNotFound` if it cannot be found."""
        ...

    def take_snapshot(self, ref: LinkRef) -> dict[str, Any]:
        """The restore material, read from the vendor before archiving (saved in the link)."""
        ...

    def archive(self, ref: LinkRef) -> ArchiveResult:
        """Archive the contact; archiving an archived one is a success with `already=True`."""
        ...

    def restore(self, ref: LinkRef, snapshot: Mapping[str, Any] | None) -> RestoreResult:
        """Bring the contact back with the vendor's strategy, from the saved snapshot."""
        ...

    def list_page(self, *, scope: str | None = None, cursor: str | None = None) -> ContactPage:
        """One page of the account's contacts, archived ones included where the vendor lists
        them; pass the previous page's `next_cursor` to go on."""
        ...


# Whether a vendor id already belongs to another contact of the ledger: a contact made for
# someone else with the same fields is not the one a lost re-create made.
type Taken = Callable[[str], bool]


def nothing_taken(vendor_id: str) -> bool:
    return False


@runtime_checkable
class RecreatingClient(VendorClient, Protocol):
    """A client whose restore creates a new contact (`RestoreStrategy.RECREATE`): the one vendor
    call that is not safe to repeat, so a retry must first look for what an attempt made."""

    def restore(
        self, ref: LinkRef, snapshot: Mapping[str, Any] | None, *, taken: Taken = nothing_taken
    ) -> RestoreResult:
        """Re-create the contact, at most once: after an answer that may have been lost, the
        contact it made (`find_recreated`) is taken rather than a second one created."""
        ...

    def find_recreated(
        self, ref: LinkRef, snapshot: Mapping[str, Any] | None, *, taken: Taken = nothing_taken
    ) -> str | None:
        """The id of the contact an earlier restore of `ref` from `snapshot` created, if one
        did: an active contact, other than the archived one and not `taken`, holding exactly
        the fields a re-create sends. None when there is none (a restore may then create it)."""
        ...


def all_contacts(client: VendorClient, scope: str | None = None) -> Iterator[VendorContact]:
    """Every contact of the account (or scope), page by page."""
    cursor: str | None = None
    while True:
        page = client.list_page(scope=scope, cursor=cursor)
        yield from page.contacts
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


@runtime_checkable
class DeletingClient(Protocol):
    """A client whose vendor deletes a contact for good (Intercom): erasure asks for it."""

    def delete(self, ref: LinkRef) -> DeleteResult: ...


# The client of a tenant's vendor, as the sync and inbound use cases ask for it.
type ClientFor = Callable[[str, Vendor], VendorClient]  # (tenant_id, vendor) -> its client


# Vendors whose bulk endpoints a job uses instead of one call per contact (`jobs/bulk_vendors.py`).
BULK_VENDORS = frozenset({Vendor.CONSTANT_CONTACT})


@dataclass(frozen=True)
class BulkItemResult:
    """What a bulk archive or restore did to one vendor contact."""

    vendor_id: str
    outcome: Literal["done", "already", "not_found", "failed"]
    material: Mapping[str, Any] | None = None  # an archive: what a restore needs back
    error: str | None = None  # a short reason, without personal data
    not_restored: Mapping[str, str] = field(default_factory=dict)  # a restore: field -> why


@runtime_checkable
class BulkClient(Protocol):
    """A vendor client with bulk endpoints (see `BULK_VENDORS`)."""

    def archive_bulk(self, vendor_ids: Sequence[str]) -> dict[str, BulkItemResult]: ...

    def restore_bulk(
        self, items: Mapping[str, Mapping[str, Any] | None]
    ) -> dict[str, BulkItemResult]: ...
