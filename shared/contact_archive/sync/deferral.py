"""Links whose vendor said to come back later: a quota spent, a `Retry-After` longer than a
stream record can wait, an outage outliving the stream's retries. The link waits, with its
`retry_at`, `last_error` and attempts, and the contact is due for the sweeper at its earliest
wait, so that it resumes by itself whatever became of the stream record (kept 24 hours)."""

from __future__ import annotations

from datetime import datetime, timedelta

from contact_archive.ledger.models import (
    IN_FLIGHT,
    STUCK_AFTER,
    Clock,
    Contact,
    LinkDeferral,
    LinkState,
    iso,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.outcomes import LinkSync, SyncOutcome
from contact_archive.sync.vendor_archived import needs_material
from contact_archive.vendors.errors import TransientVendorError

FIRST_WAIT = timedelta(minutes=1)  # doubled with each attempt...
LONGEST_BACKOFF = timedelta(hours=1)  # ...up to this, unless the vendor asks for longer
LONGEST_WAIT = timedelta(days=1)  # a vendor's own `retry_after` is trusted up to this


def wait_for(error: TransientVendorError, attempts: int) -> timedelta:
    """How long a link waits after its `attempts`-th transient failure: the vendor's own word
    when it gave one, else an exponential backoff."""
    doublings = min(max(attempts - 1, 0), 16)
    backoff = min(FIRST_WAIT * (1 << doublings), LONGEST_BACKOFF)
    asked = timedelta(seconds=error.retry_after) if error.retry_after else timedelta(0)
    return min(max(backoff, asked), LONGEST_WAIT)


def defer_link(
    store: LedgerStore,
    tenant_id: str,
    contact_id: str,
    link_key: str,
    error: TransientVendorError,
    clock: Clock,
) -> LinkSync:
    """Make the link wait for its vendor (`waiting`); `SUPERSEDED` when a newer change applies
    to it meanwhile, `NOTHING_PENDING` when it settled meanwhile."""
    contact = store.contacts.get(tenant_id, contact_id)
    link = contact.links.get(link_key) if contact else None
    if contact is None or link is None:
        return LinkSync(SyncOutcome.SUPERSEDED)
    change = link.change_under(contact.pending)
    if change is None or link.settled_change_id == change.change_id:
        return LinkSync(SyncOutcome.NOTHING_PENDING, link.vendor_id)
    now = clock()
    attempts = link.attempts + 1
    retry_at = iso(now + wait_for(error, attempts))
    due_at = min(filter(None, (retry_at, next_due_at(contact, now, ignoring=link_key))))
    deferred = store.links.defer(
        LinkDeferral(
            tenant_id=tenant_id,
            contact_id=contact_id,
            link_key=link_key,
            vendor_id=link.vendor_id,
            change_id=change.change_id,
            change_version=change.version,
            retry_at=retry_at,
            error=str(error),
            attempts=attempts,
            at=iso(now),
            due_at=due_at,
        )
    )
    return LinkSync(SyncOutcome.WAITING if deferred else SyncOutcome.SUPERSEDED, link.vendor_id)


def next_due_at(contact: Contact, now: datetime, *, ignoring: str | None = None) -> str | None:
    """When the sweeper should next look at the contact: its earliest wait, or `STUCK_AFTER`
    from now for a link still in flight (or still to take material from); None when every link
    has settled."""
    times = []
    for key, link in contact.links.items():
        if key == ignoring:
            continue
        state = contact.link_state(key)
        if state is LinkState.WAITING and link.retry_at is not None:
            times.append(link.retry_at)
        elif state in IN_FLIGHT or needs_material(link, contact.pending):
            times.append(iso(now + STUCK_AFTER))
    return min(times, default=None)
