"""Changes a vendor made by itself (told by a webhook, or found by reconciliation), applied to
the ledger: the link's new state and a history event whose source names the vendor.

Nothing is sent back to the vendor the change came from. A report that matches what the ledger
already knows or is doing (often the echo of our own archive) changes nothing, and so does one
older than the last change recorded for that link. The tenant's policy decides whether the rest
of the contact follows: `record` (the ledger only) or `mirror` (archive or restore it at every
other vendor, through the normal sync).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from contact_archive.contacts.changes import ChangeCommand, archive_contact, restore_contact
from contact_archive.ledger.errors import ConcurrentUpdate, DuplicateDelivery
from contact_archive.ledger.models import (
    STUCK_AFTER,
    Actor,
    ChangeAction,
    Clock,
    Contact,
    HistoryAction,
    LinkState,
    Vendor,
    VendorChangePolicy,
    VendorLink,
    VendorStateChange,
    derived_status,
    history_entry,
    iso,
    new_change,
    utc_now,
)
from contact_archive.ledger.records import Delivery
from contact_archive.ledger.store import LedgerStore

# A notification is kept this long: vendors redeliver for hours, Intercom for up to a day or two.
DELIVERY_RETENTION_SECONDS = 7 * 86400
# Writes that lose a race with another change read the contact again this many times.
RECORD_ATTEMPTS = 5

# Where a link in flight is heading: a vendor reporting that state tells nothing new.
_HEADING_TO = {LinkState.ARCHIVING: LinkState.ARCHIVED, LinkState.RESTORING: LinkState.ACTIVE}


@dataclass(frozen=True)
class VendorReport:
    """What a vendor says one of its contacts now is."""

    tenant_id: str
    vendor: Vendor
    vendor_id: str
    state: LinkState  # ACTIVE, ARCHIVED or UNRECOVERABLE (deleted at the vendor)
    occurred_at: str  # ISO 8601 UTC: when the vendor changed it
    action: HistoryAction  # VENDOR_CHANGED (a webhook) or DRIFT_DETECTED (reconciliation)
    actor_name: str  # "webhook" or "reconcile"
    details: dict[str, Any] = field(default_factory=dict)  # topic, notification id, ...
    reason: str | None = None  # for UNRECOVERABLE: why it cannot come back

    @property
    def actor(self) -> Actor:
        return Actor(name=self.actor_name, source=f"vendor:{self.vendor.value}")


class Applied(StrEnum):
    RECORDED = "recorded"  # the link's new state is in the ledger
    MIRRORED = "mirrored"  # ...and the contact is being archived or restored everywhere else
    ALREADY_KNOWN = "already_known"  # the ledger already has it, or is making it so
    STALE = "stale"  # older than the vendor change last recorded for this link
    NOT_LINKED = "not_linked"  # the id is an old one of the contact (a re-created link)
    UNKNOWN_CONTACT = "unknown_contact"  # no contact of the tenant has this vendor id
    DUPLICATE = "duplicate"  # this notification was applied before


@dataclass(frozen=True)
class AppliedReport:
    outcome: Applied
    contact_id: str | None = None
    was: LinkState | None = None  # the link's state in the ledger before
    link_key: str | None = None


def apply_vendor_report(
    store: LedgerStore,
    report: VendorReport,
    *,
    notification_id: str | None = None,
    clock: Clock = utc_now,
) -> AppliedReport:
    """Apply one report. With a `notification_id` (a webhook) the delivery is kept, in the same
    write as the change, so a redelivery answers `DUPLICATE` and changes nothing."""
    application = _Application(store, report, notification_id, iso(clock()))
    contact_id = store.vendor_refs.find(report.tenant_id, report.vendor, report.vendor_id)
    if contact_id is None:
        return application.unchanged(Applied.UNKNOWN_CONTACT, None)
    applied, linked = application.record(contact_id)
    if applied.outcome is not Applied.RECORDED:
        return applied
    policy = store.tenant_settings.vendor_change_policy(report.tenant_id)
    others = [key for key in linked if key != applied.link_key]
    if policy is VendorChangePolicy.MIRROR and _mirror(
        store, report, contact_id, others=others, clock=clock
    ):
        return AppliedReport(Applied.MIRRORED, contact_id, applied.was)
    return applied


@dataclass(frozen=True)
class _Application:
    """One report being applied at `at`, with the notification it came in, if any."""

    store: LedgerStore
    report: VendorReport
    notification_id: str | None
    at: str

    def record(self, contact_id: str) -> tuple[AppliedReport, list[str]]:
        """Record the link's new state, unless there is nothing new to record; what it did, and
        the contact's link keys. A write that loses a race reads the contact again."""
        report = self.report
        for _ in range(RECORD_ATTEMPTS):
            contact = self.store.contacts.get(report.tenant_id, contact_id)
            link = contact.link_by_vendor_id(report.vendor, report.vendor_id) if contact else None
            if contact is None or link is None:
                return self.unchanged(Applied.NOT_LINKED, contact_id), []
            was = link.state_under(contact.pending)
            if link.vendor_changed_at is not None and link.vendor_changed_at >= report.occurred_at:
                return self.unchanged(Applied.STALE, contact_id, was), []
            if report.state in (was, _HEADING_TO.get(was)):
                return self.unchanged(Applied.ALREADY_KNOWN, contact_id, was), []
            change = self._state_change(contact, link, was)
            try:
                if self.store.links.record_vendor_state(change, self.delivery(Applied.RECORDED)):
                    recorded = AppliedReport(Applied.RECORDED, contact_id, was, link.key)
                    return recorded, list(contact.links)
            except DuplicateDelivery:
                return AppliedReport(Applied.DUPLICATE, contact_id, was), []
        raise ConcurrentUpdate(contact_id)

    def _state_change(
        self, contact: Contact, link: VendorLink, was: LinkState
    ) -> VendorStateChange:
        """The link settled at once for a change the vendor made (an archive or a restore), or
        `unrecoverable` for a contact the vendor deleted; the status that follows with it."""
        report = self.report
        change = None
        reason = None
        if report.state is LinkState.UNRECOVERABLE:
            reason = report.reason or (
                f"deleted at {report.vendor.value}: a deleted contact cannot be restored"
            )
            moved = link.model_copy(update={"settled_state": LinkState.UNRECOVERABLE})
        else:
            action = (
                ChangeAction.ARCHIVE
                if report.state is LinkState.ARCHIVED
                else (ChangeAction.RESTORE)
            )
            change = new_change(action, self.at, contact.version + 1)
            moved = link.model_copy(update={"change": change, "settled_state": report.state})
        links = [moved if other.key == link.key else other for other in contact.links.values()]
        status = derived_status(links, contact.pending)
        details = {
            "vendor": report.vendor.value,
            "link": link.key,
            "vendor_id": report.vendor_id,
            "state": report.state.value,
            "ledger_state": was.value,
            "occurred_at": report.occurred_at,
            **report.details,
        }
        return VendorStateChange(
            tenant_id=report.tenant_id,
            contact_id=contact.contact_id,
            vendor=report.vendor,
            link_key=link.key,
            vendor_id=report.vendor_id,
            state=report.state,
            occurred_at=report.occurred_at,
            expected_version=contact.version,
            event=history_entry(self.at, report.action, report.actor, reason, details),
            status=status,
            status_changed=status is not contact.status,
            change=change,
            unrecoverable_reason=reason,
            # The stream takes it up (material for an archive, the announcement); the sweeper
            # if the stream does not.
            due_at=iso(datetime.fromisoformat(self.at) + STUCK_AFTER),
        )

    def delivery(self, outcome: Applied) -> Delivery | None:
        """The notification kept with `outcome`; None when the report came without one."""
        if self.notification_id is None:
            return None
        return Delivery(
            tenant_id=self.report.tenant_id,
            vendor=self.report.vendor,
            notification_id=self.notification_id,
            outcome=outcome.value,
            at=self.at,
            expires_at=int(time.time()) + DELIVERY_RETENTION_SECONDS,
        )

    def unchanged(
        self, outcome: Applied, contact_id: str | None, was: LinkState | None = None
    ) -> AppliedReport:
        """`outcome` without a change to the contact; its notification kept all the same."""
        kept = self.delivery(outcome)
        if kept is not None:
            try:
                self.store.deliveries.claim(kept)
            except DuplicateDelivery:
                return AppliedReport(Applied.DUPLICATE, contact_id, was)
        return AppliedReport(outcome, contact_id, was)


def _mirror(
    store: LedgerStore, report: VendorReport, contact_id: str, *, others: list[str], clock: Clock
) -> bool:
    """Archive or restore the contact as its vendor did, at its other links only (the one it
    came from already is there, and the contact's status already follows it)."""
    if not others or report.state is LinkState.UNRECOVERABLE:
        return False
    command = ChangeCommand(
        tenant_id=report.tenant_id,
        contact_id=contact_id,
        actor=report.actor,
        reason=f"{report.state.value} at {report.vendor.value}",
        vendors=others,
    )
    if report.state is LinkState.ACTIVE:
        return restore_contact(store, command, clock).changed
    return archive_contact(store, command, clock).changed
