"""Bringing one vendor link in line with the change that applies to it.

The ledger says what should be (the link's own change, or the contact's if newer: archive or
restore); this module makes one vendor agree and records the outcome on the link. Each step is
safe to repeat: a link already settled for its change is left alone, a snapshot is taken once
per archive, a re-create is marked before it is sent (a retry looks for what it made), and every
write is conditional on no newer change applying to the link (a newer change has its own sync).

An erasure outranks any restore. A contact erased before its record (a replay, a redrive, a
sweep, a job's look) is not synced at all (`ERASED`); a restore is sent only after the link is
read again, or marked, and found still current, so that no read from before an erasure sends
one; and a restore that was on its way as the erasure began and landed after it is archived
again by the erasure's own step (`erasure.archive_again_if_erased`): the erasure comes last.
"""

from __future__ import annotations

from dataclasses import dataclass

from contact_archive.ledger.errors import ContactErased, ContactNotFound, UnknownLink
from contact_archive.ledger.models import (
    ChangeAction,
    Clock,
    Contact,
    LinkSettlement,
    LinkState,
    PendingChange,
    VendorLink,
    iso,
    utc_now,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.observability import logger
from contact_archive.sync.erasure import archive_again_if_erased
from contact_archive.sync.outcomes import SYNC_ACTOR, LinkSync, SyncOutcome
from contact_archive.sync.vendor_archived import mark_unrecoverable, needs_material, take_material
from contact_archive.vendors.client import (
    ClientFor,
    LinkRef,
    RecreatingClient,
    RestoreResult,
    RestoreStrategy,
    VendorClient,
)
from contact_archive.vendors.errors import PermanentVendorError, VendorNotConfigured, VendorNotFound


def sync_link(
    store: LedgerStore,
    client_for: ClientFor,
    tenant_id: str,
    contact_id: str,
    link_key: str,
    clock: Clock = utc_now,
) -> LinkSync:
    """Archive or restore one link's vendor contact as the change that applies to it asks; or,
    for a link its vendor archived by itself, take the restore material while the vendor still
    shows the contact.

    Transient vendor errors propagate: the caller retries, or defers the link
    (`sync/deferral.py`). Permanent ones, a vendor that no longer knows the contact and a vendor
    the tenant has no credentials for mark the link `failed`.
    """
    try:
        contact = store.contacts.get(tenant_id, contact_id, refuse_erased=True)
    except ContactErased:
        return LinkSync(SyncOutcome.ERASED)
    if contact is None:
        raise ContactNotFound(contact_id)
    link = contact.links.get(link_key)
    if link is None:
        raise UnknownLink([link_key])
    change = link.change_under(contact.pending)
    if change is None or link.settled_change_id == change.change_id:
        if needs_material(link, contact.pending):
            material_client = _client(client_for, contact, link)
            if material_client is not None:
                return take_material(store, material_client, contact, link, clock)
        return LinkSync(SyncOutcome.NOTHING_PENDING, link.vendor_id)
    settlement = _Settlement(store, contact, link, change, clock)
    if link.settled_state in (change.target, LinkState.UNRECOVERABLE):
        # Archived and restored again before any sync ran: the vendor never moved. Or the
        # vendor's contact cannot come back: there is nothing left to call.
        return settlement.record(link.settled_state, SyncOutcome.SETTLED_WITHOUT_CALL)
    client = _client(client_for, contact, link)
    if client is None:
        error = f"{NOT_CONFIGURED}: no {link.vendor.value} credentials for this tenant"
        return settlement.record(LinkState.FAILED, SyncOutcome.FAILED, error=error)
    try:
        done = _carry_out(store, client, contact, link, change)
    except ContactErased:
        return LinkSync(SyncOutcome.ERASED, link.vendor_id)  # erased since it was read
    except VendorNotFound as error:
        if change.action is ChangeAction.RESTORE and (
            client.restore_strategy is RestoreStrategy.UNARCHIVE
        ):
            # Unarchive works by id on an archived contact: a 404 means it is gone for good.
            reason = (
                f"{link.vendor.value} no longer has the contact (deleted, or merged into"
                " another): it cannot be unarchived"
            )
            marked = mark_unrecoverable(
                store, contact, link, reason, iso(clock()), settles=change.change_id
            )
            outcome = SyncOutcome.UNRECOVERABLE if marked else SyncOutcome.SUPERSEDED
            return LinkSync(outcome, link.vendor_id)
        return settlement.record(LinkState.FAILED, SyncOutcome.FAILED, error=str(error))
    except PermanentVendorError as error:
        return settlement.record(LinkState.FAILED, SyncOutcome.FAILED, error=str(error))
    if done is None:
        return LinkSync(SyncOutcome.SUPERSEDED, link.vendor_id)
    synced = settlement.record(change.target, SyncOutcome.SETTLED, restored=done)
    # The vendor shows the contact again, and a newer change won: it has its own sync, unless
    # that was an erasure, which archives it again.
    restored = synced.outcome is SyncOutcome.SUPERSEDED and change.action is ChangeAction.RESTORE
    if restored and archive_again_if_erased(
        store, client_for, contact.tenant_id, contact.contact_id, link.key, done.vendor_id
    ):
        return LinkSync(SyncOutcome.ERASED, done.vendor_id)
    return synced


NOT_CONFIGURED = "vendor_not_configured"


def _client(client_for: ClientFor, contact: Contact, link: VendorLink) -> VendorClient | None:
    """The tenant's client for the link's vendor; None, logged, when the tenant has none: its
    links fail at once (retrying cannot make credentials appear), and `POST /contacts/{id}/sync`
    sends them again once the credentials are there."""
    try:
        return client_for(contact.tenant_id, link.vendor)
    except VendorNotConfigured:
        logger.warning(
            "no credentials for the vendor: the link fails",
            extra={"tenant_id": contact.tenant_id, "vendor": link.vendor.value, "link": link.key},
        )
        return None


@dataclass(frozen=True)
class _Settlement:
    """Recording one link's outcome for the change it was synced for."""

    store: LedgerStore
    contact: Contact
    link: VendorLink
    change: PendingChange
    clock: Clock

    def record(
        self,
        state: LinkState,
        outcome: SyncOutcome,
        *,
        error: str | None = None,
        restored: RestoreResult | None = None,
    ) -> LinkSync:
        """`outcome` if the link settled in `state`; `SUPERSEDED` if a newer change won."""
        new_id = None
        if restored is not None and restored.vendor_id != self.link.vendor_id:
            new_id = restored.vendor_id
        settled = self.store.links.settle(
            LinkSettlement.of(
                self.contact,
                self.link,
                self.change,
                state,
                at=iso(self.clock()),
                actor=SYNC_ACTOR,
                error=error,
                new_vendor_id=new_id,
                not_restored=dict(restored.not_restored) if restored else None,
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
    change: PendingChange,
) -> RestoreResult | None:
    """Archive or restore at the vendor: what a restore did (an archive answers an empty
    result), or None when a newer change took over first."""
    ref = LinkRef(link.vendor_id, link.scope)
    if change.action is ChangeAction.ARCHIVE:
        if not _save_snapshot(store, client, contact, link, change, ref):
            return None
        client.archive(ref)
        return RestoreResult(vendor_id=link.vendor_id)
    return _restore(store, client, contact, link, change, ref)


def _save_snapshot(
    store: LedgerStore,
    client: VendorClient,
    contact: Contact,
    link: VendorLink,
    change: PendingChange,
    ref: LinkRef,
) -> bool:
    """Take the restore material before archiving, once per archive: a retry reuses it (the
    vendor may already have archived, and an archived contact can no longer be read)."""
    if link.snapshot_change_id == change.change_id:
        return True
    try:
        snapshot = client.take_snapshot(ref)
    except VendorNotFound:
        if client.restore_strategy is not RestoreStrategy.UNARCHIVE:
            raise
        # Intercom shows no archived contact (archived in its UI already): its unarchive
        # needs the id only, and the archive call tells archived from deleted.
        snapshot = {"id": link.vendor_id}
    return store.links.save_snapshot(
        contact.tenant_id,
        contact.contact_id,
        link.key,
        vendor_id=link.vendor_id,
        change_id=change.change_id,
        change_version=change.version,
        snapshot=snapshot,
    )


def _restore(
    store: LedgerStore,
    client: VendorClient,
    contact: Contact,
    link: VendorLink,
    change: PendingChange,
    ref: LinkRef,
) -> RestoreResult | None:
    """Bring the vendor's contact back; what the restore did, or None when a newer change
    took over. Unarchive and revive are safe to repeat; a re-create is not, so the attempt is
    marked on the link before it is sent, and a later run for the same restore (after a lost
    answer, a crash before settling) first looks for the contact that attempt made. Nothing is
    sent unless the link, marked or read again just before, is still in flight for `change`:
    a contact erased since it was first read is not brought back (`ContactErased`)."""
    if not isinstance(client, RecreatingClient):
        if not _still_current(store, contact, link, change):
            return None
        return client.restore(ref, link.snapshot)

    def taken(vendor_id: str) -> bool:
        owner = store.vendor_refs.find(contact.tenant_id, link.vendor, vendor_id)
        return owner not in (None, contact.contact_id)

    if link.recreate_change_id == change.change_id:
        if not _still_current(store, contact, link, change):
            return None
        found = client.find_recreated(ref, link.snapshot, taken=taken)
        if found is not None:
            return RestoreResult(vendor_id=found, replaced_vendor_id=link.vendor_id)
    elif not store.links.mark_recreate(
        contact.tenant_id,
        contact.contact_id,
        link.key,
        vendor_id=link.vendor_id,
        change_id=change.change_id,
        change_version=change.version,
    ):
        return None
    return client.restore(ref, link.snapshot, taken=taken)


def _still_current(
    store: LedgerStore, contact: Contact, link: VendorLink, change: PendingChange
) -> bool:
    """Right before a restore is sent: the contact read again finds the link still in flight
    for `change` at the same vendor id. `ContactErased` when it was erased since the first
    read (a credentials fetch, a token renewal, a sibling link's calls ago)."""
    fresh = store.contacts.get(contact.tenant_id, contact.contact_id, refuse_erased=True)
    current = fresh.links.get(link.key) if fresh is not None else None
    if fresh is None or current is None or current.vendor_id != link.vendor_id:
        return False
    now = current.change_under(fresh.pending)
    return (
        now is not None
        and now.change_id == change.change_id
        and current.settled_change_id != change.change_id
    )
