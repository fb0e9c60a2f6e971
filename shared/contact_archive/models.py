"""Domain models: a contact, its vendor links, the pending change and the history events."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Vendor(StrEnum):
    SEQUENCE = "sequence"
    ROUTERA = "routera"
    INTERCOM = "intercom"
    CONSTANT_CONTACT = "constant_contact"


class ContactStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class LinkState(StrEnum):
    ACTIVE = "active"
    ARCHIVING = "archiving"
    ARCHIVED = "archived"
    RESTORING = "restoring"
    FAILED = "failed"
    DELETED = "deleted"  # deleted at the vendor (Intercom `contact.deleted`): it cannot come back


class ChangeAction(StrEnum):
    ARCHIVE = "archive"
    RESTORE = "restore"


class HistoryAction(StrEnum):
    REGISTERED = "registered"
    UPDATED = "updated"
    ARCHIVED = "archived"
    RESTORED = "restored"
    RELINKED = "relinked"  # a restore re-created the vendor contact under a new id
    VENDOR_CHANGED = "vendor_changed"  # a vendor told us (webhook) it changed a contact itself
    DRIFT_DETECTED = "drift_detected"  # reconciliation found a vendor disagreeing with the ledger


class VendorChangePolicy(StrEnum):
    """What a tenant wants done when a vendor changes a contact by itself."""

    RECORD = "record"  # the link's new state and a history event: the ledger only
    MIRROR = "mirror"  # also archive or restore the contact at every other vendor


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a `Z`: fixed width, so strings sort as times do."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


class DomainModel(BaseModel):
    # defer_build: a model's validator is built on first use, not at import (cold starts).
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class PendingChange(DomainModel):
    """An archive or restore the vendors have not all caught up with yet."""

    change_id: str
    action: ChangeAction
    vendors: tuple[Vendor, ...] | None = None  # None: every link of the contact
    requested_at: str

    def applies_to(self, vendor: Vendor) -> bool:
        return self.vendors is None or vendor in self.vendors


class VendorLink(DomainModel):
    vendor: Vendor
    vendor_id: str
    scope: str | None = None  # e.g. Sequence's customer id
    settled_state: LinkState = LinkState.ACTIVE  # the state the vendor was last known to be in
    settled_change_id: str | None = None  # the pending change this link last settled
    snapshot: dict[str, Any] | None = None  # what the vendor needs for a restore
    snapshot_change_id: str | None = None  # the archive the snapshot was taken for
    vendor_changed_at: str | None = None  # when the vendor last changed it by itself
    # The restore a re-create was sent for: a retry of it looks for what that attempt made.
    recreate_change_id: str | None = None
    last_error: str | None = None
    attempts: int = 0
    synced_at: str | None = None
    linked_at: str | None = None

    def state_under(self, pending: PendingChange | None) -> LinkState:
        """The link's state as callers see it: in flight while a pending change names it."""
        if (
            pending is not None
            and pending.applies_to(self.vendor)
            and self.settled_change_id != pending.change_id
        ):
            return (
                LinkState.ARCHIVING
                if pending.action is ChangeAction.ARCHIVE
                else LinkState.RESTORING
            )
        return self.settled_state


class HistoryEvent(DomainModel):
    version: int
    at: str
    action: HistoryAction
    actor: str
    source: str
    reason: str | None = None
    details: dict[str, Any] | None = None


class Contact(DomainModel):
    tenant_id: str
    contact_id: str
    external_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    status: ContactStatus = ContactStatus.ACTIVE
    status_reason: str | None = None
    status_changed_at: str
    archived_at: str | None = None
    archived_by: str | None = None
    restored_at: str | None = None
    restored_by: str | None = None
    version: int = Field(ge=1)
    created_at: str
    updated_at: str
    links: dict[Vendor, VendorLink] = Field(default_factory=dict)
    pending: PendingChange | None = None

    def link_state(self, vendor: Vendor) -> LinkState:
        return self.links[vendor].state_under(self.pending)


class Actor(DomainModel):
    """Who asked for a change, and through which door."""

    name: str
    source: str  # "api", "event:<EventBridge source>", later "vendor:<name>"
