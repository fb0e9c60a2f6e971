"""SweepFunction: on a schedule, links that no stream record settled are driven again.

A change puts its contact in the due index (`ledger/store/due.py`) for `STUCK_AFTER` later, and a
waiting link at its `retry_at`. The sweeper pages through what is due, shard by shard, and for
each contact syncs every link still in flight whose time has come (`link_sync.sync_link`, the
same idempotent step as the stream's): a transient vendor error makes the link wait again, with a
longer backoff. Then the contact moves to its next due time, or out of the index once every link
has settled, or (archived at rest) to when its retention ends (`retention.py`), where it is
erased. So a record lost to the stream's 24 hours, a vendor down for a day or a spent quota
leave no link in flight for good. Nothing new is started once the invocation's time runs short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.ledger.models import Clock, LinkState, iso, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.due import DueEntry, all_shards
from contact_archive.observability import count, logger
from contact_archive.sync.deferral import defer_link, next_due_at
from contact_archive.sync.erasure import erase_at_vendors
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from contact_archive.sync.retention import Retention
from contact_archive.sync.vendor_archived import needs_material
from contact_archive.vendors.client import ClientFor
from contact_archive.vendors.errors import TransientVendorError

PAGE_SIZE = 50
RESERVE_MS = 30_000  # nothing new starts with less left: a vendor call retries up to 20 s
ERASURE_RETRY = timedelta(minutes=15)  # an erased contact's vendor still down: asked again then
DRIVEN = frozenset({LinkState.ARCHIVING, LinkState.RESTORING, LinkState.WAITING})


@dataclass
class SweepResult:
    contacts: int = 0  # due contacts looked at
    links: int = 0  # links driven
    waiting: int = 0  # of which left waiting for their vendor again
    erased: int = 0  # archived contacts whose retention had ended
    stopped: str = "done"  # or "time": the next run goes on (the index still holds the rest)


def sweep(
    store: LedgerStore,
    client_for: ClientFor,
    *,
    short_of_time: Callable[[], bool] = lambda: False,
    clock: Clock = utc_now,
    page_size: int = PAGE_SIZE,
    erasure_key: Callable[[], str] = lambda: _no_erasure_key(),
) -> SweepResult:
    """Drive every contact due by now, shard after shard, until done or short of time; erase
    those archived past their tenant's retention (`retention.py`)."""
    result = SweepResult()
    retention = Retention(store, erasure_key)
    until = iso(clock())
    for shard in all_shards():
        start: dict[str, Any] | None = None
        while True:
            entries, start = store.due.page(shard, until, page_size, start)
            for entry in entries:
                if short_of_time():
                    result.stopped = "time"
                    return result
                _sweep_contact(store, client_for, retention, entry, clock, result)
            if start is None:
                break
    return result


def _no_erasure_key() -> str:
    raise RuntimeError("no erasure key: the sweeper cannot erase contacts past their retention")


def _sweep_contact(
    store: LedgerStore,
    client_for: ClientFor,
    retention: Retention,
    entry: DueEntry,
    clock: Clock,
    result: SweepResult,
) -> None:
    result.contacts += 1
    contact = store.contacts.get(entry.tenant_id, entry.contact_id)
    if contact is None:
        _sweep_tombstone(store, client_for, entry, clock, result)
        return
    if retention.erase_if_due(contact, clock):
        result.erased += 1
        count("RetentionErased")
        return
    now = iso(clock())
    for key, link in contact.links.items():
        state = contact.link_state(key)
        if state is LinkState.WAITING and (link.retry_at or now) > now:
            continue  # not yet
        if state not in DRIVEN and not needs_material(link, contact.pending):
            continue
        result.links += 1
        try:
            outcome = sync_link(store, client_for, entry.tenant_id, entry.contact_id, key, clock)
        except TransientVendorError as error:
            outcome = defer_link(store, entry.tenant_id, entry.contact_id, key, error, clock)
        if outcome.outcome is SyncOutcome.WAITING:
            result.waiting += 1
        count(f"Swept{outcome.outcome.value.title().replace('_', '')}")
    swept = store.contacts.get(entry.tenant_id, entry.contact_id)
    moment = clock()
    # Links still on their way come first; an archive at rest, when its retention ends.
    due_at = None
    if swept is not None:
        due_at = next_due_at(swept, moment) or retention.next_look(swept, moment)
    store.due.reschedule(entry, due_at)


def _sweep_tombstone(
    store: LedgerStore,
    client_for: ClientFor,
    entry: DueEntry,
    clock: Clock,
    result: SweepResult,
) -> None:
    """An erased contact whose vendors are not all asked yet (or none at all: out of the
    index). A vendor still down keeps it due, later."""
    tombstone = store.erasures.get(entry.tenant_id, entry.contact_id)
    if tombstone is None or not tombstone.in_flight:
        store.due.reschedule(entry, None)
        return
    result.links += len(tombstone.in_flight)
    try:
        erase_at_vendors(store, client_for, entry.tenant_id, entry.contact_id, clock)
    except TransientVendorError:
        result.waiting += 1
        store.due.reschedule(entry, iso(clock() + ERASURE_RETRY))


def handle_sweep(
    event: dict[str, Any],
    context: LambdaContext,
    store: LedgerStore,
    client_for: ClientFor,
    erasure_key: Callable[[], str],
) -> dict[str, Any]:
    """The schedule's invocation: sweep, log and answer the counts (never a contact's data)."""
    del event  # a schedule's event says nothing the sweep needs
    remaining = getattr(context, "get_remaining_time_in_millis", None)

    def short_of_time() -> bool:
        return callable(remaining) and remaining() < RESERVE_MS

    result = sweep(store, client_for, short_of_time=short_of_time, erasure_key=erasure_key)
    # Gauges, once a run: the links the sweep found still in flight past their time, and those
    # of them left waiting for their vendor again.
    count("LinksInFlight", result.links)
    count("LinksWaiting", result.waiting)
    logger.info("swept", extra=asdict(result))
    return asdict(result)
