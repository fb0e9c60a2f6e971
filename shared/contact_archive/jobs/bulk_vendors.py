"""A unit's links at vendors with bulk endpoints (`vendors.client.BULK_VENDORS`): carried by the
job in a few requests instead of one call per contact from the stream (Constant Contact: ten
delete activities of 500 for a unit of 5,000, instead of 10,000 calls and the daily quota).

Only links still in flight for the job's own change are sent; each outcome is written on its
link as the stream's sync would write it, conditional on no newer change, so that a unit coming
again sends nothing already settled. The restore material a bulk archive read goes in the same
write as the settled state (the vendor call is over before either is written): one write per link
instead of two, and one stream record.

A bulk restore goes only to the links still in flight when the unit's contacts are read again
right before it (one erased since the unit read them is not revived); and one that lands after
an erasure all the same is archived again by the erasure (`sync/erasure.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from contact_archive.jobs.work import PARALLEL_WRITES
from contact_archive.ledger.job_records import JobAction, JobRecord
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
from contact_archive.observability import count, logger
from contact_archive.sync.erasure import archive_again_if_erased
from contact_archive.vendors.client import (
    BULK_VENDORS,
    BulkClient,
    BulkItemResult,
    ClientFor,
)
from contact_archive.vendors.errors import TransientVendorError, VendorNotConfigured

NOT_FOUND = "vendor_not_found: the vendor no longer has this contact"
IN_FLIGHT = frozenset({LinkState.ARCHIVING, LinkState.RESTORING})
# Who settles the links a job carries itself (the stream's sync is `sync`).
JOB_SYNC_ACTOR = Actor(name="job", source="job")


@dataclass(frozen=True)
class _Link:
    contact: Contact
    link: VendorLink
    change: PendingChange


def carry_bulk_links(
    store: LedgerStore,
    client_for: ClientFor,
    job: JobRecord,
    contacts: list[Contact],
    clock: Clock = utc_now,
) -> int:
    """Archive or restore, vendor by vendor in bulk, the job's links still in flight; how many
    links were carried (sent, or failed for want of credentials): 0 when nothing was written.
    A transient vendor error propagates (the unit's message comes again)."""
    by_vendor: dict[Vendor, list[_Link]] = {}
    for contact in contacts:
        for key, link in contact.links.items():
            change = contact.link_change(key)
            if (
                link.vendor in BULK_VENDORS
                and change is not None
                and change.job_id == job.job_id
                and contact.link_state(key) in IN_FLIGHT
            ):
                by_vendor.setdefault(link.vendor, []).append(_Link(contact, link, change))
    carried = 0
    for vendor, links in by_vendor.items():
        try:
            client = client_for(job.tenant_id, vendor)
        except VendorNotConfigured:
            for item in links:
                _settle(store, item, LinkState.FAILED, clock, error=_not_configured(vendor))
            carried += len(links)
            continue
        if not isinstance(client, BulkClient):  # a vendor listed without its bulk calls
            continue
        if job.action is not JobAction.ARCHIVE:
            links = _still_in_flight(store, job.tenant_id, links)
        carried += len(links)
        if not links:
            continue
        if job.action is JobAction.ARCHIVE:
            try:
                results = client.archive_bulk([item.link.vendor_id for item in links])
            except TransientVendorError as error:
                # Cut short after reading the restore material: keep it before the message
                # comes again, since a contact deleted meanwhile has lost its lists.
                _keep_material(store, links, getattr(error, "material", None) or {})
                raise
        else:
            results = client.restore_bulk(
                {item.link.vendor_id: item.link.snapshot for item in links}
            )
        outcomes = [(item, results.get(item.link.vendor_id)) for item in links]
        with ThreadPoolExecutor(max_workers=PARALLEL_WRITES) as pool:
            list(pool.map(lambda p: _record(store, client_for, p[0], p[1], clock), outcomes))
        count(f"JobBulk{vendor.value.title().replace('_', '')}Links", len(links))
    return carried


def _still_in_flight(store: LedgerStore, tenant_id: str, links: list[_Link]) -> list[_Link]:
    """The links still in flight for the same change at the same vendor id, their contacts read
    again (one BatchGetItem per 100): a contact erased, or changed again, since the unit read
    it is left out."""
    fresh = store.contacts.get_many(tenant_id, [item.contact.contact_id for item in links])
    kept = []
    for item in links:
        contact = fresh.get(item.contact.contact_id)
        link = contact.links.get(item.link.key) if contact is not None else None
        if contact is None or link is None or link.vendor_id != item.link.vendor_id:
            continue
        change = contact.link_change(link.key)
        if change is None or change.change_id != item.change.change_id:
            continue
        if contact.link_state(link.key) in IN_FLIGHT:
            kept.append(_Link(contact, link, change))
    if len(kept) < len(links):
        logger.info(
            "links changed before their bulk call: left out", extra={"left": len(links) - len(kept)}
        )
    return kept


def _keep_material(
    store: LedgerStore, links: list[_Link], material: Mapping[str, Mapping[str, Any]]
) -> None:
    for item in links:
        found = material.get(item.link.vendor_id)
        if found is not None and item.link.snapshot_change_id != item.change.change_id:
            store.links.save_snapshot(
                item.contact.tenant_id,
                item.contact.contact_id,
                item.link.key,
                vendor_id=item.link.vendor_id,
                change_id=item.change.change_id,
                change_version=item.change.version,
                snapshot=dict(found),
            )


def _record(
    store: LedgerStore,
    client_for: ClientFor,
    item: _Link,
    result: BulkItemResult | None,
    clock: Clock,
) -> None:
    if result is None or result.outcome == "failed":
        error = result.error if result and result.error else "the bulk call gave no outcome"
        _settle(store, item, LinkState.FAILED, clock, error=error)
        return
    if result.outcome == "not_found":
        _settle(store, item, LinkState.FAILED, clock, error=NOT_FOUND)
        return
    fresh = item.link.snapshot_change_id != item.change.change_id
    snapshot = None
    if item.change.action is ChangeAction.ARCHIVE and result.material is not None and fresh:
        snapshot = dict(result.material)
    settled = _settle(
        store,
        item,
        item.change.target,
        clock,
        not_restored=dict(result.not_restored),
        snapshot=snapshot,
    )
    if not settled and item.change.action is ChangeAction.RESTORE:
        contact = item.contact
        archive_again_if_erased(
            store,
            client_for,
            contact.tenant_id,
            contact.contact_id,
            item.link.key,
            item.link.vendor_id,
            clock,
        )


def _settle(
    store: LedgerStore,
    item: _Link,
    state: LinkState,
    clock: Clock,
    *,
    error: str | None = None,
    not_restored: dict[str, str] | None = None,
    snapshot: dict[str, Any] | None = None,
) -> bool:
    settled = store.links.settle(
        LinkSettlement.of(
            item.contact,
            item.link,
            item.change,
            state,
            at=iso(clock()),
            actor=JOB_SYNC_ACTOR,
            error=error,
            not_restored=not_restored,
            snapshot=snapshot,
        )
    )
    if not settled:
        logger.info(
            "a newer change took the link over",
            extra={"contact_id": item.contact.contact_id, "link": item.link.key},
        )
    return settled


def _not_configured(vendor: Vendor) -> str:
    return f"vendor_not_configured: no {vendor.value} credentials for this tenant"
