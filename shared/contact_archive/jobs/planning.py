"""Cutting a filter into work units: the tenant's contacts the filter selects, read page by page
from the index that answers it, written as units of contact ids and sent to the worker. A
planning message that runs short of time sends itself on with where it stopped.

A vendor's (or scope's) listing without a status is ordered by status, and the job's own units
move contacts between statuses while the planning pages on: a contact archived early would be
met again further on. So such a filter is read one status at a time, and only the statuses the
job moves contacts away from (those already where it puts them would only be skipped); within
one status, a contact leaving it behind the cursor is neither missed nor met twice.
"""

from __future__ import annotations

from collections.abc import Callable

from contact_archive.jobs.queue import JobMessage, JobQueue
from contact_archive.jobs.submit import UNIT_SIZE
from contact_archive.ledger.job_records import JobAction, JobRecord
from contact_archive.ledger.models import (
    ContactStatus,
    Vendor,
    iso,
    link_key,
    utc_now,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.jobs import pack

PAGE_SIZE = 1_000  # contacts per index page read (DynamoDB stops a page at 1 MB anyway)
PLAN_RESERVE_SECONDS = 60.0
# The statuses a job moves contacts away from: what a vendor filter without a status reads.
MOVED_FROM = {
    JobAction.ARCHIVE: [ContactStatus.ACTIVE, ContactStatus.PARTIALLY_ARCHIVED],
    JobAction.RESTORE: [ContactStatus.ARCHIVED, ContactStatus.PARTIALLY_ARCHIVED],
    JobAction.ERASE: list(ContactStatus),  # an erased contact leaves every listing
}


def plan_filter(
    store: LedgerStore,
    queue: JobQueue,
    job: JobRecord,
    message: JobMessage,
    time_left: Callable[[], float],
) -> None:
    """Go on cutting the job's filter into units from `message.cursor`; stop (and send the rest
    on) with under a minute left."""
    selection = job.filter or {}
    status = ContactStatus(selection["status"]) if selection.get("status") else None
    vendor = Vendor(selection["vendor"]) if selection.get("vendor") else None
    scope = selection.get("scope")
    domain = selection.get("email_domain")
    link = link_key(vendor, scope) if vendor is not None and scope else None
    # A listing by a tenant's contact ids (no vendor) keeps its order: one pass, any status.
    statuses: list[ContactStatus | None] = [status]
    if status is None and vendor is not None:
        statuses = list(MOVED_FROM[job.action])
    position = message.cursor or {"status": 0, "key": None}
    stage, cursor = int(position["status"]), position["key"]
    unit, total = message.unit, message.total
    batch: list[str] = []
    while True:
        contacts, cursor = store.contacts.list_page(
            job.tenant_id,
            status=statuses[stage],
            vendor=vendor,
            email=None,
            limit=PAGE_SIZE,
            start_key=cursor,
            link=link,
        )
        batch += [
            contact.contact_id
            for contact in contacts
            if domain is None or _in_domain(contact.email, domain)
        ]
        if cursor is None and stage + 1 < len(statuses):
            stage += 1  # this status read to its end: the next one, from its start
            continue
        while len(batch) >= UNIT_SIZE or (cursor is None and batch):
            unit_ids, batch = batch[:UNIT_SIZE], batch[UNIT_SIZE:]
            _write_unit(store, queue, job, unit, unit_ids)
            unit, total = unit + 1, total + len(unit_ids)
        if cursor is None:
            store.jobs.set_units(job.tenant_id, job.job_id, unit, total, iso(utc_now()))
            if unit == 0:  # the filter selects nobody: done at once
                from contact_archive.jobs.progress import summarize

                planned = store.jobs.get(job.tenant_id, job.job_id)
                if planned is not None:
                    summarize(store, planned, iso(utc_now()))
            return
        if time_left() < PLAN_RESERVE_SECONDS:
            if batch:  # a short unit rather than names carried over in a message
                _write_unit(store, queue, job, unit, batch)
                unit, total = unit + 1, total + len(batch)
            onward = {"status": stage, "key": cursor}
            queue.send([JobMessage("plan", job.tenant_id, job.job_id, unit, onward, total)])
            return


def _write_unit(
    store: LedgerStore, queue: JobQueue, job: JobRecord, unit: int, contact_ids: list[str]
) -> None:
    """A unit, written before its message is sent (a message never names a missing unit)."""
    store.jobs.put_unit(job.tenant_id, job.job_id, unit, pack(contact_ids))
    queue.send([JobMessage("unit", job.tenant_id, job.job_id, unit=unit)])


def _in_domain(email: str | None, domain: str) -> bool:
    return email is not None and email.lower().rpartition("@")[2] == domain.lower()
