"""`ContactErased`: an erasure is complete, every vendor of the contact has answered.

Derived from one stream record of the contact's key, like the contact changes
(`contact_changes.py`): the write that left no vendor still to be asked (the erasure itself when
nothing was left to ask, else the last vendor's answer) announces it. Announced once per
erasure: the tombstone notes that it went out (`ErasureStore.mark_announced`), and a record of it
coming again (a redelivery, or a vendor asked again after a restore landed late) finds the note.
Should the note itself be lost after the event went out, consumers deduplicate on
`detail.contact_id` with the detail type (a contact is erased once, for good).

It carries no personal data: ids, times, and each vendor's answer; not the vendor ids (they
find the person at the vendor), nor who asked or why (free text).
"""

from __future__ import annotations

from typing import Any

from contact_archive.announcements.publisher import Announcement
from contact_archive.ledger.tombstones import ErasedLinkState, Tombstone

ERASED = "ContactErased"
# The vendor no longer shows the person: deleted for good, archived, or no longer had them.
CONFIRMED = frozenset({ErasedLinkState.DELETED, ErasedLinkState.ARCHIVED, ErasedLinkState.GONE})


def completes_erasure(old_image: dict[str, Any] | None, new: Tombstone) -> bool:
    """Whether the write from `old_image` to the tombstone `new` completed its erasure: no vendor
    is left to ask now, and before it there was the contact itself or a vendor to ask."""
    if not new.complete or new.announced_at is not None:
        return False
    if not old_image:
        return True
    kind = old_image.get("type", {}).get("S")
    if kind == "contact":
        return True
    links = old_image.get("links", {}).get("M", {})
    return any(
        link.get("M", {}).get("state", {}).get("S") == ErasedLinkState.ERASING.value
        for link in links.values()
    )


def erasure_announcement(tombstone: Tombstone) -> Announcement:
    links = sorted(tombstone.links.items())
    return Announcement(
        ERASED,
        {
            "tenant_id": tombstone.tenant_id,
            "contact_id": tombstone.contact_id,
            "status": "erased",
            "erased_at": tombstone.erased_at,
            "version": tombstone.version,
            "links": [
                {"vendor": link.vendor.value, "link": key, "state": link.state.value}
                for key, link in links
            ],
            "vendors_confirmed": sorted(
                {link.vendor.value for _, link in links if link.state in CONFIRMED}
            ),
            "vendors_failed": sorted(
                {link.vendor.value for _, link in links if link.state is ErasedLinkState.FAILED}
            ),
        },
    )
