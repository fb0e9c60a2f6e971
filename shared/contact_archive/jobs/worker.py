"""JobWorkerFunction: the jobs queue's messages, each a unit to apply (or look at again) or a
filter to cut into units. Failed messages are reported one by one (partial batch responses) and
come again after the queue's visibility timeout; on its last delivery a unit that still fails is
given up (its contacts counted failed, with why) rather than left running for ever, and whatever
cannot even be given up goes to the dead-letter queue, which raises an alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.jobs.bulk_vendors import carry_bulk_links
from contact_archive.jobs.paced_vendors import carry_paced_links
from contact_archive.jobs.planning import plan_filter
from contact_archive.jobs.progress import summarize, unit_progress
from contact_archive.jobs.queue import JobMessage, JobQueue
from contact_archive.jobs.work import Applied, apply_unit
from contact_archive.ledger.job_records import (
    JobFailure,
    JobRecord,
    JobStatus,
    Tally,
    UnitProgress,
    UnitState,
)
from contact_archive.ledger.models import Clock, iso, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.observability import count, logger
from contact_archive.vendors.client import ClientFor

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@dataclass(frozen=True)
class WorkerSettings:
    max_receives: int  # the queue's maxReceiveCount: the last delivery gives a unit up
    check_seconds: int  # the first wait before a unit's links are looked at again
    check_max_seconds: int = 900  # the longest (SQS's longest delay)
    # The erased emails' key, for erasure jobs (read when first needed).
    erasure_key: Callable[[], str] | None = None


def handle_jobs(
    event: dict[str, Any],
    context: LambdaContext,
    store: LedgerStore,
    client_for: ClientFor,
    queue: JobQueue,
    settings: WorkerSettings,
) -> dict[str, Any]:
    remaining = getattr(context, "get_remaining_time_in_millis", None)

    def time_left() -> float:
        return remaining() / 1000 if callable(remaining) else 900.0

    def handle(record: SQSRecord) -> None:
        message = JobMessage.parse(record.body)
        receives = int(record.attributes.approximate_receive_count or 1)
        try:
            if message.kind == "plan":
                _plan(store, queue, message, time_left)
            else:
                process_unit(store, client_for, queue, message, settings, time_left=time_left)
        except Exception as error:
            if message.kind != "unit" or receives < settings.max_receives:
                logger.warning(
                    "job message failed: it comes again",
                    extra={
                        "job_id": message.job_id,
                        "unit": message.unit,
                        "error": type(error).__name__,
                    },
                )
                raise
            give_up_unit(store, message, error)

    response = process_partial_response(
        event=event, record_handler=handle, processor=processor, context=context
    )
    return dict(response)


def _plan(store: LedgerStore, queue: JobQueue, message: JobMessage, time_left: Any) -> None:
    job = store.jobs.get(message.tenant_id, message.job_id)
    if job is None or job.status.finished:
        return
    store.jobs.start(job.tenant_id, job.job_id, iso(utc_now()))
    plan_filter(store, queue, job, message, time_left)


def process_unit(
    store: LedgerStore,
    client_for: ClientFor,
    queue: JobQueue,
    message: JobMessage,
    settings: WorkerSettings,
    clock: Clock = utc_now,
    time_left: Callable[[], float] = lambda: 900.0,
) -> UnitProgress | None:
    """Apply the unit once, carry its links (the bulk vendors' in a few requests, the others'
    paced, both at once), count where it stands; while links are still on their way, look
    again later (the same message, delayed, backing off)."""
    job = store.jobs.get(message.tenant_id, message.job_id)
    unit = store.jobs.unit(message.tenant_id, message.job_id, message.unit)
    if job is None or unit is None:
        logger.warning("a job message for no job: dropped", extra={"job_id": message.job_id})
        return None
    names, applied_data = unit
    if applied_data is None:
        if job.status is JobStatus.CANCELLED:
            return _record(store, job, _cancelled(message.unit, len(names)), clock)
        store.jobs.start(job.tenant_id, job.job_id, iso(clock()))
        applied = apply_unit(store, job, names, clock, settings.erasure_key)
        # The names (emails among them) are not needed once applied: dropped, so that a job
        # keeps no one's email for its 90 days, and an erasure finds none left behind.
        store.jobs.save_applied(
            job.tenant_id, job.job_id, message.unit, applied.as_data(), forget=len(names)
        )
        count("JobContactsChanged", len(applied.members))
    else:
        applied = Applied.from_data(applied_data)
    contacts = store.contacts.get_many(job.tenant_id, applied.members)
    members = list(contacts.values())
    # Side by side: the paced vendors' calls go on while the bulk activities are polled.
    with ThreadPoolExecutor(max_workers=2) as pool:
        paced = pool.submit(carry_paced_links, store, client_for, job, members, time_left, clock)
        bulk = pool.submit(carry_bulk_links, store, client_for, job, members, clock)
    carried = paced.result() + bulk.result()  # either's error fails the message: it comes again
    # Unless links were just carried (their outcomes are newer than what was read), the
    # contacts read stand for the count: a look at a unit of 5,000 reads them once, not twice.
    progress = unit_progress(
        store, job, message.unit, len(names), applied, None if carried else contacts
    )
    if progress.state is UnitState.APPLIED:
        progress = _look_again(store, queue, job, message, progress, settings)
    return _record(store, job, progress, clock)


def _look_again(
    store: LedgerStore,
    queue: JobQueue,
    job: JobRecord,
    message: JobMessage,
    progress: UnitProgress,
    settings: WorkerSettings,
) -> UnitProgress:
    """Send the unit's next look, delayed, backing off; unless a delivery of the same message
    sent it already (the progress counts the looks sent): every copy of a message sending its
    own would double the looks at each round of duplicates."""
    looks = message.total + 1  # a unit message's `total` counts its looks
    sent = max(
        (p.looks for p in store.jobs.progress(job.tenant_id, job.job_id) if p.unit == message.unit),
        default=0,
    )
    if sent < looks:
        delay = min(settings.check_max_seconds, settings.check_seconds * 2 ** min(looks - 1, 7))
        queue.send(
            [JobMessage("unit", job.tenant_id, job.job_id, message.unit, total=looks)],
            delay_seconds=delay,
        )
    return progress.model_copy(update={"looks": max(sent, looks)})


def give_up_unit(store: LedgerStore, message: JobMessage, error: Exception) -> None:
    """The unit's last delivery failed too: what it did not settle counts failed, with why."""
    job = store.jobs.get(message.tenant_id, message.job_id)
    unit = store.jobs.unit(message.tenant_id, message.job_id, message.unit)
    if job is None or unit is None:
        return
    names = len(unit[0])
    reason = f"job_unit_failed: {type(error).__name__} on every delivery"
    progress = UnitProgress(
        unit=message.unit,
        names=names,
        state=UnitState.SETTLED,
        counts=Tally(total=names, failed=names),
        failures=[JobFailure(contact_id=None, vendor=None, reason=reason)],
        gave_up=True,
    )
    logger.error(
        "a job unit failed every delivery", extra={"job_id": job.job_id, "unit": message.unit}
    )
    count("JobUnitGaveUp")
    _record(store, job, progress, utc_now)


def _cancelled(unit: int, names: int) -> UnitProgress:
    return UnitProgress(
        unit=unit,
        names=names,
        state=UnitState.CANCELLED,
        counts=Tally(total=names, skipped=names),
    )


def _record(
    store: LedgerStore, job: JobRecord, progress: UnitProgress, clock: Clock
) -> UnitProgress:
    store.jobs.save_progress(job.tenant_id, job.job_id, progress)
    summarize(store, job, iso(clock()))
    if progress.state is UnitState.SETTLED:
        count("JobUnitSettled")  # the dashboard's job progress, with JobContactsChanged
    return progress
