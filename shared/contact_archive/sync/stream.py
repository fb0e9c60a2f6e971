"""SyncFunction: the ledger table's stream drives the vendors (the table is its own outbox).

Each record names a contact; every link its new image shows in flight (or archived by its vendor
and still without restore material) is synced (`link_sync.py`), which reads the contact afresh,
so a stale, duplicate or out-of-order record acts on the current state and repeats nothing
already done. Then what the record's write made true is announced: the batch's announcements
together once its records are done (10 to a PutEvents, not a call per record); should that fail,
the records they came from fail, and their retry announces again. A transient vendor error
fails the record (reported in `batchItemFailures`): Lambda retries it, bisecting the batch, and
after the last attempt it goes to the dead-letter queue; a vendor asking to wait longer (a quota)
makes the link wait instead (`deferral.py`). Whatever becomes of a record, a link it left in
flight is the sweeper's once due (`sweeper.py`). A record that cannot be read is skipped, never
retried; with too little time left, the records not started are handed back.

A tombstone (an erased contact) with vendors still to be asked has them asked
(`sync/erasure.py`); the write that leaves none to ask announces `ContactErased`, once
(`announcements/erasures.py`: the tombstone notes it, after the event went out). A record naming
a link its contact no longer has (or a contact no longer there) can never succeed either: the
link is skipped, counted, and the record goes on. The one other item acted on is a customer change that a webhook kept (a vendor archived a whole
customer): it is fanned out to that customer's contacts (`inbound/customer_changes.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from contact_archive.announcements.contact_changes import announcements, latest_change
from contact_archive.announcements.erasures import (
    ERASED,
    completes_erasure,
    erasure_announcement,
)
from contact_archive.announcements.publisher import Announcement, EventPublisher
from contact_archive.inbound.customer_changes import apply_customer_change, customer_change_of
from contact_archive.ledger.errors import ContactNotFound, UnknownLink
from contact_archive.ledger.models import Contact, LinkState, iso, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.contacts import contact_from_item
from contact_archive.ledger.tombstones import Tombstone
from contact_archive.observability import count, logger, milliseconds
from contact_archive.sync.deferral import defer_link
from contact_archive.sync.erasure import erase_at_vendors, tombstone_image
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from contact_archive.sync.vendor_archived import needs_material
from contact_archive.vendors.client import ClientFor
from contact_archive.vendors.errors import TransientVendorError

# What the stream syncs at once; a `waiting` link is the sweeper's, from its `retry_at` on.
SYNC_NOW = frozenset({LinkState.ARCHIVING, LinkState.RESTORING})
# A vendor asking to wait longer than this makes the link wait instead of failing the record.
STREAM_WAITS_SECONDS = 60.0
# A record is not started with less than this left: one vendor call's retries take up to 20 s.
HAND_BACK_MS = 25_000

# The metric of each announcement: the vendors settled a change (or failed a link). Named apart
# from the API's `ContactArchived` / `ContactRestored`, which count ledger changes, the moment
# they are asked for.
ANNOUNCED_METRICS = {
    "ContactArchived": "ContactArchiveSettled",
    "ContactPartiallyArchived": "ContactArchivePartiallySettled",
    "ContactRestored": "ContactRestoreSettled",
    "VendorSyncFailed": "VendorSyncFailed",
    "ContactErased": "ContactErasureSettled",
}
SETTLED = frozenset({"ContactArchived", "ContactPartiallyArchived", "ContactRestored"})

# A batch whose every record failed is reported like any other, record by record, so that the
# retries, bisection and the dead-letter queue treat each record on its own.
processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)


def contact_image(image: dict[str, Any] | None) -> Contact | None:
    """A stream image as a contact, or None for the table's other items (refs, keys, pages)."""
    if not image or image.get("type", {}).get("S") != "contact":
        return None
    return contact_from_item(image)


def carried_by_job(contact: Contact, key: str) -> bool:
    """A link in flight for a bulk job's change: the job carries it (in bulk at a vendor with
    bulk endpoints, paced in parallel at the others). Should the job not settle it, the sweeper
    syncs it alone once due."""
    change = contact.link_change(key)
    return change is not None and change.job_id is not None and contact.link_state(key) in SYNC_NOW


def sync_links_of(
    record: dict[str, Any], store: LedgerStore, client_for: ClientFor
) -> list[Announcement]:
    """Sync the links the record shows in flight; what its write made true, to announce."""
    change = customer_change_of(record)
    if change is not None:
        # A vendor changed a whole customer (webhook): fan it out to the customer's contacts.
        apply_customer_change(store, client_for, change)
        return []
    images = record.get("dynamodb") or {}
    try:
        tombstone = tombstone_image(images.get("NewImage"))
        new = contact_image(images.get("NewImage")) if tombstone is None else None
        old = contact_image(images.get("OldImage")) if tombstone is None else None
    except (ValidationError, TypeError, ValueError):
        # Retrying cannot make it readable, and failing it would hold its shard back through
        # every retry: skip it. The contact's own item is intact, and its links in flight are
        # the sweeper's once due.
        logger.error(
            "stream record unreadable: skipped",
            extra={"event_id": record.get("eventID"), "sequence": images.get("SequenceNumber")},
        )
        count("StreamRecordUnreadable")
        return []
    if tombstone is not None:
        # An erased contact: the vendors still to be asked are (`sync/erasure.py`).
        if tombstone.in_flight:
            erase_at_vendors(store, client_for, tombstone.tenant_id, tombstone.contact_id)
            return []
        return erasure_completed(store, images.get("OldImage"), tombstone)
    if new is None:
        return []
    unavailable: list[TransientVendorError] = []
    for key, link in new.links.items():
        if new.link_state(key) not in SYNC_NOW and not needs_material(link, new.pending):
            continue
        if carried_by_job(new, key):
            continue  # the job sends it (`jobs/bulk_vendors.py`, `jobs/paced_vendors.py`)
        try:
            outcome = sync_link(store, client_for, new.tenant_id, new.contact_id, key).outcome
        except (UnknownLink, ContactNotFound):
            # The contact no longer has the link (a register dropped it since): no retry can
            # sync it, and failing the record would send it to the dead-letter queue.
            logger.warning(
                "stream record names a link the contact no longer has: skipped",
                extra={
                    "event_id": record.get("eventID"),
                    "contact_id": new.contact_id,
                    "link": key,
                },
            )
            count("StreamLinkGone")
            continue
        except TransientVendorError as error:
            if (error.retry_after or 0) <= STREAM_WAITS_SECONDS:
                unavailable.append(error)  # one vendor down must not hold the others back
                continue
            # Longer than a stream record should wait (a quota): the link waits, the sweeper
            # takes it up again when the vendor said.
            outcome = defer_link(store, new.tenant_id, new.contact_id, key, error, utc_now).outcome
        count(f"LinkSync{outcome.value.title().replace('_', '')}")
        if outcome is SyncOutcome.FAILED:
            logger.warning(
                "vendor sync failed",
                extra={"contact_id": new.contact_id, "link": key},
            )
    if unavailable:
        raise unavailable[0]  # the record is retried; links already settled are skipped then
    found = announcements(old, new)
    if any(announcement.detail_type in SETTLED for announcement in found):
        record_sync_lag(new)
    return found


def erasure_completed(
    store: LedgerStore, old_image: dict[str, Any] | None, tombstone: Tombstone
) -> list[Announcement]:
    """`ContactErased` if the record's write completed the erasure and it was not announced
    yet (the tombstone read again: a redelivered record finds the note)."""
    if not completes_erasure(old_image, tombstone):
        return []
    current = store.erasures.get(tombstone.tenant_id, tombstone.contact_id)
    if current is None or not current.complete or current.announced_at is not None:
        return []
    return [erasure_announcement(current)]


def record_sync_lag(contact: Contact) -> None:
    """`SyncLag`: from the change's request to its last link settled, in milliseconds."""
    change = latest_change(contact)
    if change is None or not change.requested_at:
        return  # a change written before its time was kept
    try:
        requested = datetime.fromisoformat(change.requested_at)
    except ValueError:
        return  # a metric never stops a sync
    if requested.tzinfo is None:
        requested = requested.replace(tzinfo=UTC)
    milliseconds("SyncLag", max(0.0, (utc_now() - requested).total_seconds() * 1000))


def _publish(publisher: EventPublisher, found: list[Announcement]) -> None:
    publisher.publish(found)
    for announcement in found:
        count(ANNOUNCED_METRICS.get(announcement.detail_type, announcement.detail_type))


def _once(found: list[Announcement]) -> list[Announcement]:
    """The batch's announcements, an erasure's only once (two records of it in one batch)."""
    erased: set[tuple[str, str]] = set()
    kept = []
    for announcement in found:
        if announcement.detail_type == ERASED:
            about = (announcement.detail["tenant_id"], announcement.detail["contact_id"])
            if about in erased:
                continue
            erased.add(about)
        kept.append(announcement)
    return kept


def _note_erasures_announced(store: LedgerStore, published: list[Announcement]) -> None:
    """Note on each tombstone that its `ContactErased` went out. A note that cannot be written
    only risks the event going out again, which consumers deduplicate: logged, not raised."""
    now = iso(utc_now())
    for announcement in published:
        if announcement.detail_type != ERASED:
            continue
        detail = announcement.detail
        try:
            store.erasures.mark_announced(detail["tenant_id"], detail["contact_id"], now)
        except Exception as error:  # noqa: BLE001 - the event is out: the batch stands
            logger.warning(
                "noting an erasure announced failed",
                extra={"contact_id": detail["contact_id"], "error": type(error).__name__},
            )


def _sequence_number(record: DynamoDBRecord) -> str:
    """The record's id in `batchItemFailures`, as the batch processor reports it."""
    return str(record.dynamodb.sequence_number) if record.dynamodb else ""


class OutOfTime(Exception):
    """Too little of the invocation is left to sync another record: it is handed back."""


def handle_stream(
    event: dict[str, Any],
    context: LambdaContext,
    store: LedgerStore,
    client_for: ClientFor,
    publisher: EventPublisher,
) -> dict[str, Any]:
    """The batch, record by record; once less than `HAND_BACK_MS` of the invocation is left,
    the records not yet started are reported failed, for Lambda to send again, rather than cut
    off by the timeout halfway through a vendor call. The records' announcements are published
    together at the end."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    to_announce: dict[str, list[Announcement]] = {}  # by the sequence number of their record

    def handle(record: DynamoDBRecord) -> None:
        if callable(remaining) and remaining() < HAND_BACK_MS:
            count("StreamRecordHandedBack")
            raise OutOfTime
        found = sync_links_of(record.raw_event, store, client_for)
        if found:
            to_announce[_sequence_number(record)] = found

    response: dict[str, Any] = dict(
        process_partial_response(
            event=event, record_handler=handle, processor=processor, context=context
        )
    )
    if to_announce:
        batch = _once([item for found in to_announce.values() for item in found])
        try:
            _publish(publisher, batch)
        except Exception as error:  # noqa: BLE001 - any failure to announce fails the records
            logger.warning(
                "announcing failed: the records come again", extra={"error": type(error).__name__}
            )
            failures = list(response.get("batchItemFailures", []))
            failed = {failure["itemIdentifier"] for failure in failures}
            failures += [{"itemIdentifier": seq} for seq in to_announce if seq not in failed]
            response["batchItemFailures"] = failures
        else:
            _note_erasures_announced(store, batch)
    return response
