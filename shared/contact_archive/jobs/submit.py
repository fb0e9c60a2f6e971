"""Submitting a job: the job and its work units written, its first messages sent.

Names given in the request (contact ids, emails, vendor ids) are cut into units here, so that
the job's size is known at once; a filter is cut by the planning messages (`planning.py`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from contact_archive.jobs.queue import JobMessage, JobQueue
from contact_archive.ledger.errors import JobNotQueued
from contact_archive.ledger.job_records import (
    JobAction,
    JobFailure,
    JobRecord,
    JobStatus,
    SelectorKind,
    Tally,
)
from contact_archive.ledger.models import Actor, Clock, iso, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.jobs import pack

# Contacts per work unit: one SQS message, one Constant Contact export and ten delete
# activities of 500, well inside a worker's 15 minutes.
UNIT_SIZE = 5_000
# A unit's names stay well below DynamoDB's 400 KB item, compressed.
UNIT_BYTES = 300_000


@dataclass(frozen=True)
class JobRequest:
    tenant_id: str
    action: JobAction
    actor: Actor
    selector: SelectorKind
    names: list[Any]  # contact ids, emails, or [vendor, vendor_id] pairs; empty for a filter
    filter: dict[str, str] | None = None
    reason: str | None = None
    vendors: list[str] | None = None


def new_job_id(now: float | None = None) -> str:
    """Sortable by creation time (a tenant's jobs are listed newest first)."""
    millis = int((now if now is not None else time.time()) * 1000)
    return f"job_{millis:013x}{os.urandom(5).hex()}"


def submit_job(
    store: LedgerStore, queue: JobQueue, request: JobRequest, clock: Clock = utc_now
) -> JobRecord:
    at = iso(clock())
    job_id = new_job_id()
    names = _distinct(request.selector, request.names)
    units = [] if request.selector is SelectorKind.FILTER else cut_units(names)
    record = JobRecord(
        tenant_id=request.tenant_id,
        job_id=job_id,
        action=request.action,
        status=JobStatus.QUEUED,
        selector_kind=request.selector,
        selector_size=None if request.selector is SelectorKind.FILTER else len(names),
        filter=request.filter,
        reason=request.reason,
        vendors=request.vendors,
        actor=request.actor.name,
        created_at=at,
        updated_at=at,
        units=None if request.selector is SelectorKind.FILTER else len(units),
        counts=Tally(total=len(names)),
    )
    store.jobs.create(record, [pack(unit) for unit in units])
    messages = (
        [JobMessage("plan", request.tenant_id, job_id)]
        if request.selector is SelectorKind.FILTER
        else [JobMessage("unit", request.tenant_id, job_id, unit=n) for n in range(len(units))]
    )
    if messages:
        try:
            queue.send(messages)
        except Exception as error:
            # Its work never reached the queue: the job fails now rather than stay queued for
            # ever (the request is a 424, and its Idempotency-Key is released for a retry).
            why = JobFailure(contact_id=None, vendor=None, reason="job_not_queued: SQS refused")
            failed = record.model_copy(update={"failures": [why]})
            store.jobs.save_counts(failed, status=JobStatus.FAILED, now=at)
            raise JobNotQueued(job_id) from error
    else:  # nothing named: done at once
        store.jobs.save_counts(record, status=JobStatus.SUCCEEDED, now=at)
        return store.jobs.get(request.tenant_id, job_id) or record
    return record


def cut_units(names: list[Any]) -> list[list[Any]]:
    """Units of `UNIT_SIZE` names, halved while one would pack larger than `UNIT_BYTES`."""
    units: list[list[Any]] = []
    pending = [names[i : i + UNIT_SIZE] for i in range(0, len(names), UNIT_SIZE)]
    while pending:
        unit = pending.pop(0)
        if len(unit) > 1 and len(pack(unit)) > UNIT_BYTES:
            middle = len(unit) // 2
            pending[:0] = [unit[:middle], unit[middle:]]
            continue
        units.append(unit)
    return units


def _distinct(selector: SelectorKind, names: list[Any]) -> list[Any]:
    """Each name once (emails in any case are one), in the order given."""
    if selector is SelectorKind.EMAILS:
        return list(dict.fromkeys(str(email).lower() for email in names))
    if selector is SelectorKind.VENDOR_IDS:
        pairs = dict.fromkeys((str(vendor), str(vendor_id)) for vendor, vendor_id in names)
        return [list(pair) for pair in pairs]
    return list(dict.fromkeys(names))
