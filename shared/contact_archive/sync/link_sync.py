"""Bringing one vendor link in line with its contact's pending change.

The ledger says what should be (`pending`: archive or restore); this module makes one vendor
agree and records the outcome on the link. Each step is safe to repeat: a link already settled
for the pending change is left alone, a snapshot is taken once per archive, a re-create is marked
before it is sent (a retry looks for what it made), and every write is conditional on the change
still being pending (a newer change has its own sync).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contact_archive.ledger.errors import ContactNotFound, UnknownLink
from contact_archive.ledger.models import (
    Actor,
    ChangeAction,
    Clock,
    Contact,
    LinkSettlement,
    LinkState,
    PendingChange,
    Vendor,
    VendorLink,
    iso,
    utc_now,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.vendors.client import ClientFor, LinkRef, RecreatingClient, VendorClient
from contact_archive.vendors.errors import PermanentVendorError, VendorNotFound

SYNC_ACTOR = Actor(name="sync", source="sync")


class SyncOutcome(StrEnum):
    NOTHING_PENDING = "nothing_pending"  # settled already, or no change names this link
    SETTLED = "settled"  # the vendor now agrees with the ledger
    SETTLED_WITHOUT_CALL = "settled_without_call"  # it already did: e.g. archived then restored
    FAILED = "failed"  # a permanent vendor error, recorded on the link
    SUPERSEDED = "superseded"  # a newer change took over while this one ran


@dataclass(frozen=True)
class LinkSync:
    outcome: SyncOutcome
    vendor_id: str | None = None  # the link's vendor id afterwards


def sync_link(
    store: LedgerStore,
    client_for: ClientFor,
    tenant_id: str,
    contact_id: str,
    vendor: Vendor,
    clock: Clock = utc_now,
) -> LinkSync:
    """Archive or restore `vendor`'s contact as the contact's pending change asks.

    Transient vendor errors propagate (the caller's retry, later the stream's, takes over);
    permanent ones and a vendor that no longer knows the contact mark the link `failed`.
    """
    contact = store.contacts.get(tenant_id, contact_id)
    if contact is None:
        raise ContactNotFound(contact_id)
    link = contact.links.get(vendor)
    if link is None:
        raise UnknownLink([vendor.value])
    pending = contact.pending
    if pending is None or link.state_under(pending) not in (
        LinkState.ARCHIVING,
        LinkState.RESTORING,
    ):
        return LinkSync(SyncOutcome.NOTHING_PENDING, link.vendor_id)
    target = LinkState.ARCHIVED if pending.action is ChangeAction.ARCHIVE else LinkState.ACTIVE
    settlement = _Settlement(store, contact, link, pending, clock)
    if link.settled_state in (target, LinkState.DELETED):
        # Archived and restored again before any sync ran: the vendor never moved. Or the vendor
        # deleted the contact: there is nothing left to call.
        return settlement.record(link.settled_state, SyncOutcome.SETTLED_WITHOUT_CALL)
    client = client_for(tenant_id, vendor)
    try:
        carried_out, new_id = _carry_out(store, client, contact, link, pending)
    except (PermanentVendorError, VendorNotFound) as error:
        return settlement.record(LinkState.FAILED, SyncOutcome.FAILED, error=str(error))
    if not carried_out:
        return LinkSync(SyncOutcome.SUPERSEDED, link.vendor_id)
    return settlement.record(target, SyncOutcome.SETTLED, new_id=new_id)


@dataclass(frozen=True)
class _Settlement:
    """Recording one link's outcome for the pending change it was synced for."""

    store: LedgerStore
    contact: Contact
    link: VendorLink
    pending: PendingChange
    clock: Clock

    def record(
        self,
        state: LinkState,
        outcome: SyncOutcome,
        *,
        error: str | None = None,
        new_id: str | None = None,
    ) -> LinkSync:
        """`outcome` if the link settled in `state`; `SUPERSEDED` if a newer change won."""
        settled = self.store.links.settle(
            LinkSettlement(
                tenant_id=self.contact.tenant_id,
                contact_id=self.contact.contact_id,
                vendor=self.link.vendor,
                vendor_id=self.link.vendor_id,
                change_id=self.pending.change_id,
                state=state,
                at=iso(self.clock()),
                actor=SYNC_ACTOR,
                attempts=self.link.attempts + 1 if state is LinkState.FAILED else 0,
                error=error,
                new_vendor_id=new_id,
            )
        )
        return LinkSync(
            outcome if settled else SyncOutcome.SUPERSEDED, new_id or self.link.vendor_id
        )


def _carry_out(
    store: LedgerStore,
    client: VendorClient,
    contact: Contact,
    link: VendorLink,
    pending: PendingChange,
) -> tuple[bool, str | None]:
    """Archive or restore at the vendor: whether it was done (False: a newer change took over
    first), and the vendor id a re-create gave the contact, if it changed."""
    ref = LinkRef(link.vendor_id, link.scope)
    if pending.action is ChangeAction.ARCHIVE:
        if not _save_snapshot(store, client, contact, link, pending, ref):
            return False, None
        client.archive(ref)
        return True, None
    restored_id = _restore(store, client, contact, link, pending, ref)
    if restored_id is None:
        return False, None
    return True, (restored_id if restored_id != link.vendor_id else None)


def _save_snapshot(
    store: LedgerStore,
    client: VendorClient,
    contact: Contact,
    link: VendorLink,
    pending: PendingChange,
    ref: LinkRef,
) -> bool:
    """Take the restore material before archiving, once per archive: a retry reuses it (the
    vendor may already have archived, and an archived contact can no longer be read)."""
    if link.snapshot_change_id == pending.change_id:
        return True
    return store.links.save_snapshot(
        contact.tenant_id,
        contact.contact_id,
        link.vendor,
        vendor_id=link.vendor_id,
        change_id=pending.change_id,
        snapshot=client.take_snapshot(ref),
    )


def _restore(
    store: LedgerStore,
    client: VendorClient,
    contact: Contact,
    link: VendorLink,
    pending: PendingChange,
    ref: LinkRef,
) -> str | None:
    """Bring the vendor's contact back; its vendor id afterwards, or None when a newer change
    took over. Unarchive and revive are safe to repeat; a re-create is not, so the attempt is
    marked on the link before it is sent, and a later run for the same restore (after a lost
    answer, a crash before settling) first looks for the contact that attempt made."""
    if not isinstance(client, RecreatingClient):
        return client.restore(ref, link.snapshot).vendor_id

    def taken(vendor_id: str) -> bool:
        owner = store.vendor_refs.find(contact.tenant_id, link.vendor, vendor_id)
        return owner not in (None, contact.contact_id)

    if link.recreate_change_id == pending.change_id:
        found = client.find_recreated(ref, link.snapshot, taken=taken)
        if found is not None:
            return found
    elif not store.links.mark_recreate(
        contact.tenant_id,
        contact.contact_id,
        link.vendor,
        vendor_id=link.vendor_id,
        change_id=pending.change_id,
    ):
        return None
    return client.restore(ref, link.snapshot, taken=taken).vendor_id
