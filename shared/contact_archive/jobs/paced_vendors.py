"""A unit's links at vendors without bulk endpoints (Sequence, Routera, Intercom): carried by the
job itself, one vendor call per link as the stream's sync makes it (`sync/link_sync.py`, the same
idempotent step), but many at once: a few links per vendor in parallel, each vendor paced by the
fleet's shared limits (`vendors/fleet`), and the vendors side by side. Left to the stream, they
went one record at a time, ten records to a batch, behind the job's own writes.

A transient vendor error leaves the link in flight: the unit's next look carries it again. A
vendor asking to wait longer than a look (a quota) makes the link wait (`sync/deferral.py`), for
the sweeper. Nothing new starts once the invocation is short of time; the next look goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from contact_archive.ledger.job_records import JobRecord
from contact_archive.ledger.models import Clock, Contact, LinkState, Vendor, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.observability import count, logger
from contact_archive.sync.deferral import defer_link
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from contact_archive.vendors.client import BULK_VENDORS, ClientFor
from contact_archive.vendors.errors import TransientVendorError

IN_FLIGHT = frozenset({LinkState.ARCHIVING, LinkState.RESTORING})
# Links of one vendor synced at once. Their pacer, not this, sets the vendor's pace; the three
# vendors together stay within one container's DynamoDB connection pool (botocore's 10).
PARALLEL_PER_VENDOR = 3
# A vendor asking to wait longer than this makes the link wait for the sweeper instead.
LOOK_WAITS_SECONDS = 60.0
# Nothing new starts with less than this left: one vendor call's retries take up to 20 s.
RESERVE_SECONDS = 30.0


def carry_paced_links(
    store: LedgerStore,
    client_for: ClientFor,
    job: JobRecord,
    contacts: list[Contact],
    time_left: Callable[[], float],
    clock: Clock = utc_now,
) -> int:
    """Sync the job's links in flight at vendors without bulk endpoints; how many were synced
    (0: nothing was written)."""
    by_vendor: dict[Vendor, list[tuple[str, str]]] = {}
    for contact in contacts:
        for key, link in contact.links.items():
            change = contact.link_change(key)
            if (
                link.vendor not in BULK_VENDORS
                and change is not None
                and change.job_id == job.job_id
                and contact.link_state(key) in IN_FLIGHT
            ):
                by_vendor.setdefault(link.vendor, []).append((contact.contact_id, key))
    if not by_vendor:
        return 0

    def one(contact_id: str, key: str) -> bool:
        if time_left() < RESERVE_SECONDS:
            return False
        try:
            outcome = sync_link(store, client_for, job.tenant_id, contact_id, key, clock).outcome
        except TransientVendorError as error:
            if (error.retry_after or 0) <= LOOK_WAITS_SECONDS:
                count("JobLinkUnavailable")  # still in flight: the unit's next look tries again
                return True
            outcome = defer_link(store, job.tenant_id, contact_id, key, error, clock).outcome
        count(f"JobLink{outcome.value.title().replace('_', '')}")
        if outcome is SyncOutcome.FAILED:
            logger.warning("vendor sync failed", extra={"contact_id": contact_id, "link": key})
        return True

    def vendor_links(links: list[tuple[str, str]]) -> int:
        with ThreadPoolExecutor(max_workers=PARALLEL_PER_VENDOR) as pool:
            return sum(pool.map(lambda pair: one(*pair), links))

    with ThreadPoolExecutor(max_workers=len(by_vendor)) as vendors:
        return sum(vendors.map(vendor_links, by_vendor.values()))
