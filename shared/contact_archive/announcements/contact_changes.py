"""Outgoing events: what other services learn when vendors have caught up, or failed to.

Derived from one stream record's old and new contact images, so each is announced by the one
write that made it true: `ContactArchived` / `ContactRestored` when the last link of a change
settles, `VendorSyncFailed` when a link turns `failed`. Delivery is at least once (a redelivered
record announces again): consumers deduplicate on `detail.change_id` with the detail type (and
the vendor, for failures).
"""

from __future__ import annotations

from typing import Any

from contact_archive.announcements.publisher import Announcement
from contact_archive.ledger.models import ChangeAction, Contact, LinkState

IN_FLIGHT = frozenset({LinkState.ARCHIVING, LinkState.RESTORING})


def announcements(old: Contact | None, new: Contact) -> list[Announcement]:
    pending = new.pending
    if pending is None:
        return []
    found = [
        Announcement(
            "VendorSyncFailed",
            {
                **_about(new),
                "vendor": vendor.value,
                "vendor_id": link.vendor_id,
                "error": link.last_error,
                "attempts": link.attempts,
            },
        )
        for vendor, link in new.links.items()
        if new.link_state(vendor) is LinkState.FAILED
        and (old is None or old.link_state(vendor) is not LinkState.FAILED)
    ]
    if _settled(new) and not (_same_change(old, new) and _settled(old)):
        archived = pending.action is ChangeAction.ARCHIVE
        found.append(
            Announcement("ContactArchived" if archived else "ContactRestored", _about(new))
        )
    return found


def _about(contact: Contact) -> dict[str, Any]:
    assert contact.pending is not None
    return {
        "tenant_id": contact.tenant_id,
        "contact_id": contact.contact_id,
        "change_id": contact.pending.change_id,
        "status": contact.status.value,
        "version": contact.version,
        "links": [
            {"vendor": vendor.value, "vendor_id": link.vendor_id, "state": state.value}
            for vendor, link in sorted(contact.links.items())
            for state in [contact.link_state(vendor)]
        ],
    }


def _settled(contact: Contact | None) -> bool:
    return contact is not None and all(
        contact.link_state(vendor) not in IN_FLIGHT for vendor in contact.links
    )


def _same_change(old: Contact | None, new: Contact) -> bool:
    return (
        old is not None
        and old.pending is not None
        and new.pending is not None
        and old.pending.change_id == new.pending.change_id
    )
