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
"""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.models import Clock, iso, utc_now
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
        if store.erasures.settle_link(tenant_id, contact_id, key, state, iso(clock()), error):
            answered += 1
            count(f"Erased{state.value.title()}")
        if state is ErasedLinkState.FAILED:
            logger.warning("a vendor did not erase", extra={"contact_id": contact_id, "link": key})
    if unavailable:
        raise unavailable[0]
    store.erasures.done(tenant_id, contact_id)
    return answered


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
