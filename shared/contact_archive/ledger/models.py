"""Domain models: a contact, its vendor links, the pending change and the history events, and
the changes the store is asked to make to them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Identifiers as they may appear in keys and URLs: the API, commands and webhooks check them.
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
CONTACT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"


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


Clock = Callable[[], datetime]


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


def history_entry(
    at: str, action: HistoryAction, actor: Actor, reason: str | None, details: dict[str, Any] | None
) -> dict[str, Any]:
    """A history event as it is written, before the store gives it its version."""
    return {
        "at": at,
        "action": action.value,
        "actor": actor.name,
        "source": actor.source,
        "reason": reason,
        "details": details,
    }


@dataclass(frozen=True)
class StatusChange:
    """What an archive or restore did (`changed` False: the contact already was there)."""

    contact: Contact
    changed: bool


@dataclass(frozen=True)
class LinkSettlement:
    """One link's outcome for one pending change (see `LinkStore.settle`)."""

    tenant_id: str
    contact_id: str
    vendor: Vendor
    vendor_id: str  # the id the vendor was called with
    change_id: str
    state: LinkState
    at: str
    actor: Actor
    attempts: int = 1
    error: str | None = None
    new_vendor_id: str | None = None  # set when a restore re-created the vendor contact


@dataclass(frozen=True)
class VendorStateChange:
    """A link's state as its vendor reports it (see `LinkStore.record_vendor_state`)."""

    tenant_id: str
    contact_id: str
    vendor: Vendor
    vendor_id: str
    state: LinkState
    occurred_at: str  # when the vendor changed it
    expected_version: int  # the contact's version the decision to record was made on
    event: dict[str, Any]  # the history entry (`history_entry`)
