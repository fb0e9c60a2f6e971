"""Outgoing events: what other services learn when vendors have caught up, or failed to.

Derived from one stream record's old and new contact images, so each is announced by the one
write that made it true: `ContactArchived` / `ContactPartiallyArchived` / `ContactRestored`
(by the status it leaves) when the last link of a change settles, `VendorSyncFailed` when a link turns `failed`. Delivery is at least once (a redelivered
record announces again): consumers deduplicate on `detail.change_id` with the detail type (and
the vendor, for failures).
"""

from __future__ import annotations

from typing import Any

from contact_archive.announcements.publisher import Announcement
from contact_archive.ledger.models import (
    IN_FLIGHT,
    Contact,
    ContactStatus,
    LinkState,
    PendingChange,
)

# What is announced when every link of a change has settled, by the status it leaves.
SETTLED_AS = {
    ContactStatus.ARCHIVED: "ContactArchived",
    ContactStatus.PARTIALLY_ARCHIVED: "ContactPartiallyArchived",
    ContactStatus.ACTIVE: "ContactRestored",
}


def announcements(old: Contact | None, new: Contact) -> list[Announcement]:
    if latest_change(new) is None:
        return []
    found = [
        Announcement(
            "VendorSyncFailed",
            {
                **_about(new),
                "vendor": link.vendor.value,
                "link": key,
                "vendor_id": link.vendor_id,
                "error": link.last_error,
                "attempts": link.attempts,
            },
        )
        for key, link in new.links.items()
        if new.link_state(key) is LinkState.FAILED
        and (old is None or key not in old.links or old.link_state(key) is not LinkState.FAILED)
    ]
    if _settled(new) and not (_same_change(old, new) and _settled(old)):
        found.append(Announcement(SETTLED_AS[new.status], _about(new)))
    return found


def latest_change(contact: Contact) -> PendingChange | None:
    """The contact's most recent archive or restore: of every link, or of some."""
    changes = [contact.pending, *(link.change for link in contact.links.values())]
    made = [change for change in changes if change is not None]
    return max(made, key=lambda change: change.version, default=None)


def _about(contact: Contact) -> dict[str, Any]:
    change = latest_change(contact)
    assert change is not None
    return {
        "tenant_id": contact.tenant_id,
        "contact_id": contact.contact_id,
        "change_id": change.change_id,
        "status": contact.status.value,
        "version": contact.version,
        "links": [
            {
                "vendor": link.vendor.value,
                "link": key,
                "vendor_id": link.vendor_id,
                "state": state.value,
            }
            for key, link in sorted(contact.links.items())
            for state in [contact.link_state(key)]
        ],
    }


def _settled(contact: Contact | None) -> bool:
    return contact is not None and all(
        contact.link_state(key) not in IN_FLIGHT for key in contact.links
    )


def _same_change(old: Contact | None, new: Contact) -> bool:
    return old is not None and latest_change(old) == latest_change(new)
