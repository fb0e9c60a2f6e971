"""Domain models: a contact, its vendor links, the pending change and the history events, and
the changes the store is asked to make to them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Identifiers as they may appear in keys and URLs: the API, commands and webhooks check them.
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
CONTACT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
# How callers name links: a vendor (all its links), or a vendor and a scope (`link_key`).
# A scope holds no whitespace and no control character (NUL, escapes, DEL).
LINK_SELECTOR_PATTERN = (
    r"^(sequence|routera|intercom|constant_contact)"
    r"(:[^\s:\x00-\x1f\x7f][^\s\x00-\x1f\x7f]{0,255})?$"
)
MAX_LINKS = 50  # links per contact: one per vendor, one per Sequence customer


class Vendor(StrEnum):
    SEQUENCE = "sequence"
    ROUTERA = "routera"
    INTERCOM = "intercom"
    CONSTANT_CONTACT = "constant_contact"


class ContactStatus(StrEnum):
    """Derived from the links: whether all, some or none of them are (to be) archived."""

    ACTIVE = "active"
    PARTIALLY_ARCHIVED = "partially_archived"
    ARCHIVED = "archived"


class LinkState(StrEnum):
    ACTIVE = "active"
    ARCHIVING = "archiving"
    ARCHIVED = "archived"
    RESTORING = "restoring"
    # In flight, but the vendor said to come back later (a quota, a long outage): tried again
    # from `retry_at` on by the sweeper, whatever became of the stream record.
    WAITING = "waiting"
    FAILED = "failed"
    # The vendor's contact cannot come back (deleted at the vendor, no restore material to be
    # had): the link says why in `unrecoverable_reason`, and no longer counts in the status.
    UNRECOVERABLE = "unrecoverable"


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
    LINK_RESTORED = "link_restored"  # a vendor brought a link back, not every field with it
    UNRECOVERABLE = "unrecoverable"  # a link's vendor contact cannot come back (details: why)


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
    """An archive or restore asked for: of every link (the contact's `pending`) or of one link
    (the link's `change`). Of the two, the one made at the higher contact `version` applies to
    a link; `version` 0 is a change written before versions were kept."""

    change_id: str
    action: ChangeAction
    requested_at: str
    version: int = 0
    # The bulk job that asked for it (`jobs/`): a job's redelivered work recognises its own
    # change, and the job, not the stream, carries it to vendors with bulk endpoints.
    job_id: str | None = None

    @property
    def target(self) -> LinkState:
        return LinkState.ARCHIVED if self.action is ChangeAction.ARCHIVE else LinkState.ACTIVE


def new_change(
    action: ChangeAction, at: str, version: int = 0, job_id: str | None = None
) -> PendingChange:
    return PendingChange(
        change_id=uuid.uuid4().hex, action=action, requested_at=at, version=version, job_id=job_id
    )


def link_key(vendor: Vendor, scope: str | None) -> str:
    """How a link is named in the contact's `links` and by callers: the vendor, or the vendor
    and its scope where the vendor scopes contacts (a Sequence contact of customer `c` is
    `sequence:c`), so that one person can be a contact of several customers."""
    return vendor.value if scope is None else f"{vendor.value}:{scope}"


class VendorLink(DomainModel):
    vendor: Vendor
    vendor_id: str
    scope: str | None = None  # e.g. Sequence's customer id
    change: PendingChange | None = None  # an archive or restore of this link alone
    settled_state: LinkState = LinkState.ACTIVE  # the state the vendor was last known to be in
    settled_change_id: str | None = None  # the change this link last settled
    snapshot: dict[str, Any] | None = None  # what the vendor needs for a restore
    snapshot_change_id: str | None = None  # the archive the snapshot was taken for
    vendor_changed_at: str | None = None  # when the vendor last changed it by itself
    # The restore a re-create was sent for: a retry of it looks for what that attempt made.
    recreate_change_id: str | None = None
    # When the vendor asked us to come back, for the change `retry_change_id` (`waiting`).
    retry_at: str | None = None
    retry_change_id: str | None = None
    unrecoverable_reason: str | None = None
    last_error: str | None = None
    attempts: int = 0
    synced_at: str | None = None
    linked_at: str | None = None

    @property
    def key(self) -> str:
        return link_key(self.vendor, self.scope)

    def change_under(self, pending: PendingChange | None) -> PendingChange | None:
        """The change that applies to this link: its own, or the contact's if that is newer."""
        if self.change is None:
            return pending
        if pending is None or self.change.version > pending.version:
            return self.change
        return pending

    def state_under(self, pending: PendingChange | None) -> LinkState:
        """The link's state as callers see it: in flight while a change it has not settled
        applies to it."""
        change = self.change_under(pending)
        if change is not None and self.settled_change_id != change.change_id:
            if self.retry_change_id == change.change_id:
                return LinkState.WAITING
            return (
                LinkState.ARCHIVING
                if change.action is ChangeAction.ARCHIVE
                else LinkState.RESTORING
            )
        return self.settled_state

    def target_under(self, pending: PendingChange | None) -> LinkState:
        """Where the ledger wants this link: what its change asks, else where it was found."""
        change = self.change_under(pending)
        if change is not None:
            return change.target
        return LinkState.ARCHIVED if self.settled_state is LinkState.ARCHIVED else LinkState.ACTIVE


IN_FLIGHT = frozenset({LinkState.ARCHIVING, LinkState.RESTORING, LinkState.WAITING})
# How long the stream has to settle a change before the sweeper drives its links itself: more
# than the stream's own retries of a record take.
STUCK_AFTER = timedelta(minutes=15)


def derived_status(links: Iterable[VendorLink], pending: PendingChange | None) -> ContactStatus:
    """A contact's status from its links' targets: all archived, some, or none. Unrecoverable
    links do not count; a contact with no other link follows its own (contact-wide) change."""
    targets = {
        link.target_under(pending)
        for link in links
        if link.settled_state is not LinkState.UNRECOVERABLE
    }
    if not targets:
        archived = pending is not None and pending.action is ChangeAction.ARCHIVE
        return ContactStatus.ARCHIVED if archived else ContactStatus.ACTIVE
    if targets == {LinkState.ARCHIVED}:
        return ContactStatus.ARCHIVED
    if LinkState.ARCHIVED in targets:
        return ContactStatus.PARTIALLY_ARCHIVED
    return ContactStatus.ACTIVE


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
    links: dict[str, VendorLink] = Field(default_factory=dict)  # by `link_key`
    pending: PendingChange | None = None  # the latest archive or restore of every link
    # When the sweeper should look at the contact's links in flight, if the stream has not
    # settled them by then (kept in the `by_due` index until the sweeper finds nothing to do).
    due_at: str | None = None

    def link(self, name: str) -> VendorLink:
        """The link named by its key, or by its vendor where the vendor has one link only;
        `KeyError` when there is no such link or the vendor has several."""
        if name in self.links:
            return self.links[name]
        of_vendor = [link for link in self.links.values() if link.vendor.value == name]
        if len(of_vendor) != 1:
            raise KeyError(name)
        return of_vendor[0]

    def link_state(self, name: str) -> LinkState:
        return self.link(name).state_under(self.pending)

    def link_change(self, name: str) -> PendingChange | None:
        return self.link(name).change_under(self.pending)

    def links_of(self, vendor: Vendor) -> list[VendorLink]:
        return [link for link in self.links.values() if link.vendor is vendor]

    def link_by_vendor_id(self, vendor: Vendor, vendor_id: str) -> VendorLink | None:
        for link in self.links.values():
            if link.vendor is vendor and link.vendor_id == vendor_id:
                return link
        return None


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
    link_key: str
    vendor_id: str  # the id the vendor was called with
    change_id: str
    change_version: int  # the version of the change: a newer one for the link refuses this
    state: LinkState
    at: str
    actor: Actor
    attempts: int = 1
    error: str | None = None
    new_vendor_id: str | None = None  # set when a restore re-created the vendor contact
    not_restored: dict[str, str] = field(default_factory=dict)  # field -> why (a restore)
    # The archive's restore material, when it came with the vendor's answer (a bulk archive
    # reads it with the archive): kept in the same write as the settle.
    snapshot: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        contact: Contact,
        link: VendorLink,
        change: PendingChange,
        state: LinkState,
        *,
        at: str,
        actor: Actor,
        error: str | None = None,
        new_vendor_id: str | None = None,
        not_restored: dict[str, str] | None = None,
        snapshot: dict[str, Any] | None = None,
    ) -> LinkSettlement:
        """The settlement of `link` for `change`, as the sync and the jobs worker record it: a
        failure counts one more attempt, anything else starts the count again."""
        return cls(
            tenant_id=contact.tenant_id,
            contact_id=contact.contact_id,
            vendor=link.vendor,
            link_key=link.key,
            vendor_id=link.vendor_id,
            change_id=change.change_id,
            change_version=change.version,
            state=state,
            at=at,
            actor=actor,
            attempts=link.attempts + 1 if state is LinkState.FAILED else 0,
            error=error,
            new_vendor_id=new_vendor_id,
            not_restored=not_restored or {},
            snapshot=snapshot,
        )


@dataclass(frozen=True)
class VendorStateChange:
    """A link's state as its vendor reports it (see `LinkStore.record_vendor_state`): settled
    at once for the link's new `change` (archive or restore, made by the vendor), or
    `unrecoverable` with why."""

    tenant_id: str
    contact_id: str
    vendor: Vendor
    link_key: str
    vendor_id: str
    state: LinkState
    occurred_at: str  # when the vendor changed it
    expected_version: int  # the contact's version the decision to record was made on
    event: dict[str, Any]  # the history entry (`history_entry`)
    status: ContactStatus  # the contact's status with the link in its new state
    status_changed: bool
    change: PendingChange | None = None  # None for `unrecoverable`
    unrecoverable_reason: str | None = None
    settled_change_id: str | None = None  # `unrecoverable` settles the change in flight, if any
    due_at: str | None = None  # when the sweeper should look (restore material still to take)


@dataclass(frozen=True)
class LinkDeferral:
    """A link whose vendor said to come back later, for the change it was synced for (see
    `LinkStore.defer`): it waits until `retry_at`, and the contact is due for the sweeper then."""

    tenant_id: str
    contact_id: str
    link_key: str
    vendor_id: str
    change_id: str
    change_version: int
    retry_at: str
    error: str
    attempts: int
    at: str
    due_at: str  # the contact's next due time: the earliest of its waits
