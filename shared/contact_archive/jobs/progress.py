"""Where a job stands: each unit's contacts and links read back and counted, and the units'
counts summed into the job's.

A link counts for the job while the change that applies to it is the job's: settled where the
job asked (succeeded), failed or unrecoverable at its vendor (failed, with why), or still on its
way (pending; a link waiting for a vendor that is down stays pending as long as the vendor
does). A newer change of the same link made after the job's is the caller's: skipped.
"""

from __future__ import annotations

from collections.abc import Mapping

from contact_archive.jobs.work import Applied, changed_by
from contact_archive.ledger.job_records import (
    FAILURES_KEPT,
    JobAction,
    JobFailure,
    JobRecord,
    JobStatus,
    Tally,
    UnitProgress,
    UnitState,
)
from contact_archive.ledger.models import Contact, LinkState
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.tombstones import ErasedLinkState

FAILED_LINK = frozenset({LinkState.FAILED, LinkState.UNRECOVERABLE})


def unit_progress(
    store: LedgerStore,
    job: JobRecord,
    unit: int,
    names: int,
    applied: Applied,
    contacts: Mapping[str, Contact] | None = None,
) -> UnitProgress:
    """The unit's counts now: from `contacts` when the caller has just read them, else read
    here (one BatchGetItem per 100 of its contacts)."""
    if job.action is JobAction.ERASE:
        return _erasure_progress(store, job, unit, names, applied)
    if contacts is None:
        contacts = store.contacts.get_many(job.tenant_id, applied.members)
    counts, failures = _applying_counts(applied)
    vendor_counts: dict[str, Tally] = {}
    pending = False
    for contact_id in applied.members:
        contact = contacts.get(contact_id)
        if contact is None:  # gone since (an erasure)
            counts.skipped += 1
            continue
        outcome = _count_links(contact, job.job_id, vendor_counts, failures)
        if outcome == "pending":
            pending = True
        elif outcome == "failed":
            counts.failed += 1
        elif outcome == "skipped":
            counts.skipped += 1
        else:
            counts.succeeded += 1
    return _progress(unit, names, pending, counts, vendor_counts, failures)


def _applying_counts(applied: Applied) -> tuple[Tally, list[JobFailure]]:
    """What applying the unit already settled: its names skipped or failed, with why."""
    counts = Tally(total=applied.total, skipped=len(applied.skipped), failed=len(applied.failed))
    failures = [
        JobFailure(contact_id=None, vendor=None, reason=f"{item['name']}: {item['reason']}")
        for item in applied.failed
    ]
    return counts, failures


def _progress(
    unit: int,
    names: int,
    pending: bool,
    counts: Tally,
    vendor_counts: dict[str, Tally],
    failures: list[JobFailure],
) -> UnitProgress:
    return UnitProgress(
        unit=unit,
        names=names,
        state=UnitState.APPLIED if pending else UnitState.SETTLED,
        counts=counts,
        vendor_counts=vendor_counts,
        failures=failures[:FAILURES_KEPT],
    )


def _count_links(
    contact: Contact, job_id: str, vendor_counts: dict[str, Tally], failures: list[JobFailure]
) -> str:
    """Count the contact's links in `vendor_counts`; what the contact counts as: pending while
    a link of the job's is on its way, failed when one failed, skipped when a newer change
    took every link over, else succeeded (a contact without links included)."""
    ours = pending = failed = False
    for key, link in sorted(contact.links.items()):
        change = contact.link_change(key)
        if change is None or change.job_id != job_id:
            continue  # not the job's link, or a newer change took it over
        ours = True
        tally = vendor_counts.setdefault(link.vendor.value, Tally())
        tally.total += 1
        state = contact.link_state(key)
        if state is change.target:
            tally.succeeded += 1
        elif state in FAILED_LINK:
            tally.failed += 1
            failed = True
            reason = link.unrecoverable_reason or link.last_error or state.value
            failures.append(
                JobFailure(contact_id=contact.contact_id, vendor=link.vendor.value, reason=reason)
            )
        else:
            pending = True
    if pending:
        return "pending"
    if failed:
        return "failed"
    if ours or not contact.links or changed_by(contact, job_id):
        return "succeeded"
    return "skipped"


def _erasure_progress(
    store: LedgerStore, job: JobRecord, unit: int, names: int, applied: Applied
) -> UnitProgress:
    """An erasure job's unit: its contacts' tombstones read back, each link counted done once
    its vendor answered (deleted, archived, gone), failed with why, or pending."""
    tombstones = store.erasures.get_many(job.tenant_id, applied.members)
    counts, failures = _applying_counts(applied)
    vendor_counts: dict[str, Tally] = {}
    pending = False
    for contact_id in applied.members:
        tombstone = tombstones.get(contact_id)
        states = set()
        for link in tombstone.links.values() if tombstone else ():
            tally = vendor_counts.setdefault(link.vendor.value, Tally())
            tally.total += 1
            states.add(link.state)
            if link.state is ErasedLinkState.ERASING:
                continue
            if link.state is ErasedLinkState.FAILED:
                tally.failed += 1
                failures.append(
                    JobFailure(
                        contact_id=contact_id,
                        vendor=link.vendor.value,
                        reason=link.error or "failed",
                    )
                )
            else:
                tally.succeeded += 1
        if ErasedLinkState.ERASING in states:
            pending = True
        elif ErasedLinkState.FAILED in states:
            counts.failed += 1
        else:
            counts.succeeded += 1
    return _progress(unit, names, pending, counts, vendor_counts, failures)


def summarize(store: LedgerStore, job: JobRecord, now: str) -> JobRecord:
    """The job's counts summed over its units' progress, and the status they lead to; saved on
    the job (for `GET /jobs`) unless another worker saved a later sum first."""
    progress = sorted(store.jobs.progress(job.tenant_id, job.job_id), key=lambda p: p.unit)
    counts = Tally(total=job.counts.total)
    vendor_counts: dict[str, Tally] = {}
    failures: list[JobFailure] = []
    for unit in progress:
        # A unit's names may stand for more contacts (an email shared by two) or fewer.
        extra = unit.counts.total - unit.names
        counts = counts.plus(unit.counts.model_copy(update={"total": extra}))
        for vendor, tally in unit.vendor_counts.items():
            vendor_counts[vendor] = vendor_counts.get(vendor, Tally()).plus(tally)
        failures += unit.failures[: FAILURES_KEPT - len(failures)]
    done = sum(1 for unit in progress if unit.state is not UnitState.APPLIED)
    finished = job.units is not None and done >= job.units
    status = job.status
    if status is not JobStatus.CANCELLED:
        if finished:
            status = JobStatus.FAILED if any(u.gave_up for u in progress) else JobStatus.SUCCEEDED
        elif progress:
            status = JobStatus.RUNNING
    summed = job.model_copy(
        update={
            "counts": counts,
            "vendor_counts": vendor_counts,
            "failures": failures,
            "status": status,
            "updated_at": now if status is not job.status else job.updated_at,
            "finished_at": now if status.finished and job.finished_at is None else job.finished_at,
        }
    )
    if not job.status.finished or job.status is JobStatus.CANCELLED:
        store.jobs.save_counts(summed, status=status, now=now)
    return summed
