"""Links a vendor archived by itself (a webhook, or drift found by reconciliation): their restore
material taken while the vendor still shows the contact, or the link marked `unrecoverable`,
with why, when nothing can be had."""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.models import (
    ChangeAction,
    Clock,
    Contact,
    HistoryAction,
    LinkState,
    PendingChange,
    VendorLink,
    VendorStateChange,
    derived_status,
    history_entry,
    iso,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.outcomes import SYNC_ACTOR, LinkSync, SyncOutcome
from contact_archive.vendors.client import LinkRef, RestoreStrategy, VendorClient
from contact_archive.vendors.errors import VendorNotFound


def needs_material(link: VendorLink, pending: PendingChange | None) -> bool:
    """An archived link with no restore material taken for the archive it settled: one its
    vendor made by itself (or one found already done), whose contact the vendor may still show."""
    change = link.change_under(pending)
    return (
        change is not None
        and change.action is ChangeAction.ARCHIVE
        and link.settled_state is LinkState.ARCHIVED
        and link.settled_change_id == change.change_id
        and link.snapshot_change_id != change.change_id
    )


def take_material(
    store: LedgerStore, client: VendorClient, contact: Contact, link: VendorLink, clock: Clock
) -> LinkSync:
    """Save what a restore of a vendor-archived link will need, from the vendor's archived view;
    where the vendor shows nothing to restore from, the link becomes `unrecoverable`, with why.
    A vendor that unarchives by id needs only the id, saved without a call (so that the link is
    not looked at again)."""
    change = link.change_under(contact.pending)
    assert change is not None
    try:
        if client.restore_strategy is RestoreStrategy.UNARCHIVE:
            snapshot: dict[str, Any] = {"id": link.vendor_id}  # all an unarchive needs
        else:
            snapshot = client.take_snapshot(LinkRef(link.vendor_id, link.scope))
    except VendorNotFound:
        reason = (
            f"{link.vendor.value} no longer shows the archived contact: there is nothing to"
            " restore it from"
        )
        marked = mark_unrecoverable(store, contact, link, reason, iso(clock()))
        return LinkSync(
            SyncOutcome.UNRECOVERABLE if marked else SyncOutcome.SUPERSEDED, link.vendor_id
        )
    saved = store.links.save_snapshot(
        contact.tenant_id,
        contact.contact_id,
        link.key,
        vendor_id=link.vendor_id,
        change_id=change.change_id,
        change_version=change.version,
        snapshot=snapshot,
    )
    return LinkSync(SyncOutcome.MATERIAL_TAKEN if saved else SyncOutcome.SUPERSEDED, link.vendor_id)


def mark_unrecoverable(
    store: LedgerStore,
    contact: Contact,
    link: VendorLink,
    reason: str,
    at: str,
    *,
    settles: str | None = None,
) -> bool:
    """Record that a link's vendor contact cannot come back, with the status that follows
    (unrecoverable links do not count in it), settling the change `settles` if one was in
    flight; False if the contact changed meanwhile."""
    links = [
        other.model_copy(update={"settled_state": LinkState.UNRECOVERABLE})
        if other.key == link.key
        else other
        for other in contact.links.values()
    ]
    status = derived_status(links, contact.pending)
    details = {"vendor": link.vendor.value, "link": link.key, "vendor_id": link.vendor_id}
    return store.links.record_vendor_state(
        VendorStateChange(
            tenant_id=contact.tenant_id,
            contact_id=contact.contact_id,
            vendor=link.vendor,
            link_key=link.key,
            vendor_id=link.vendor_id,
            state=LinkState.UNRECOVERABLE,
            occurred_at=at,
            expected_version=contact.version,
            event=history_entry(at, HistoryAction.UNRECOVERABLE, SYNC_ACTOR, reason, details),
            status=status,
            status_changed=status is not contact.status,
            unrecoverable_reason=reason,
            settled_change_id=settles,
        ),
        None,
    )
