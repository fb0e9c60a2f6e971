"""An erased contact's vendors, told from its tombstone (`contacts/erasure.py`).

The tombstone's stream record brings it here (it is in the due index while vendors are still to
be asked, so the stream's filter passes it, and the sweeper takes it up should the record run
out of retries). Each link still `erasing` is asked of its vendor: a vendor with a permanent
delete (`DeletingClient`: Intercom) deletes its contact, the others archive theirs. The outcome
is written on the tombstone's link, once (a redelivered record asks no vendor again for a link
already answered). Transient vendor errors propagate, after every other link was tried: the
record is retried, or the link waits for the sweeper.

The contact's partition is purged again first: a purge the erasing request did not finish is
finished here.

A restore that was already on its way to a vendor when the erasure began (a stream record being
synced, a job's unit) can land after the erasure's own call. Its settle then finds the
tombstone and is refused (`links.py`: a link write needs a contact), and the restoring step
hands the link back here (`archive_again_if_erased`): `erasing` again at the id the vendor now
shows, asked at once, and due for the sweeper should the vendor be down. The erasure's call is
the last one.
"""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.models import STUCK_AFTER, Clock, iso, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.erasures import is_tombstone, tombstone_from_item
from contact_archive.ledger.tombstones import ErasedLink, ErasedLinkState, Tombstone
from contact_archive.observability import count, logger
from contact_archive.vendors.client import ClientFor, DeletingClient, LinkRef
from contact_archive.vendors.errors import (
    AlreadyInTargetState,
    PermanentVendorError,
    TransientVendorError,
    VendorNotConfigured,
    VendorNotFound,
)


def tombstone_image(image: dict[str, Any] | None) -> Tombstone | None:
    """A stream image as a tombstone, or None for every other item."""
    if not image or not is_tombstone(image):
        return None
    return tombstone_from_item(image)


def erase_at_vendors(
    store: LedgerStore,
    client_for: ClientFor,
    tenant_id: str,
    contact_id: str,
    clock: Clock = utc_now,
) -> int:
    """Ask each vendor still to be asked; how many answered. Raises the first transient error
    once every link was tried."""
    tombstone = store.erasures.get(tenant_id, contact_id)
    if tombstone is None:
        return 0
    store.erasures.purge(tenant_id, contact_id)
    unavailable: list[TransientVendorError] = []
    answered = 0
    for key in tombstone.in_flight:
        try:
            state, error = _ask(client_for, tenant_id, tombstone.links[key])
        except TransientVendorError as transient:
            unavailable.append(transient)
            continue
        reopened = tombstone.links[key].reopened
        if store.erasures.settle_link(
            tenant_id, contact_id, key, state, iso(clock()), error, reopened=reopened
        ):
            answered += 1
            count(f"Erased{state.value.title()}")
        if state is ErasedLinkState.FAILED:
            logger.warning("a vendor did not erase", extra={"contact_id": contact_id, "link": key})
    if unavailable:
        raise unavailable[0]
    store.erasures.done(tenant_id, contact_id)
    return answered


def archive_again_if_erased(
    store: LedgerStore,
    client_for: ClientFor,
    tenant_id: str,
    contact_id: str,
    link_key: str,
    vendor_id: str,
    clock: Clock = utc_now,
) -> bool:
    """A restore of the link landed at its vendor (as `vendor_id`) but could not be settled: if
    the contact was erased meanwhile, the link's vendor is asked again to erase it; whether it
    was. A vendor still down leaves the tombstone due: its stream record, or the sweeper."""
    if store.erasures.get(tenant_id, contact_id) is None:
        return False  # a newer change won: it has its own sync
    due_at = iso(clock() + STUCK_AFTER)
    if not store.erasures.reopen_link(tenant_id, contact_id, link_key, vendor_id, due_at):
        return False
    count("RestoreAfterErasure")
    logger.warning(
        "a restore landed after the contact's erasure: erased again",
        extra={"contact_id": contact_id, "link": link_key},
    )
    try:
        erase_at_vendors(store, client_for, tenant_id, contact_id, clock)
    except TransientVendorError:
        logger.warning("the vendor is down: the erasure asks again", extra={"link": link_key})
    return True


def _ask(
    client_for: ClientFor, tenant_id: str, link: ErasedLink
) -> tuple[ErasedLinkState, str | None]:
    try:
        client = client_for(tenant_id, link.vendor)
    except VendorNotConfigured:
        return ErasedLinkState.FAILED, f"vendor_not_configured: no {link.vendor.value} credentials"
    ref = LinkRef(link.vendor_id, link.scope)
    try:
        if isinstance(client, DeletingClient):
            deleted = client.delete(ref)
            return (ErasedLinkState.GONE if deleted.already else ErasedLinkState.DELETED), None
        client.archive(ref)
    except AlreadyInTargetState:
        pass
    except VendorNotFound:
        return ErasedLinkState.GONE, None
    except PermanentVendorError as refused:
        return ErasedLinkState.FAILED, f"vendor_refused: {refused}"
    return ErasedLinkState.ARCHIVED, None
