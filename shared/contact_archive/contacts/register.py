"""Register a contact: create it, or update its profile and vendor links.

Links are upserted by vendor and scope (`link_key`: one per vendor, one per Sequence customer)
and never dropped (a dropped link would drop what it needs to be
restored); a link holding restore material cannot be re-pointed until the contact is active. A
register reads the contact, then writes it with its vendor-id refs in one transaction,
conditional on the version it read: a lost race reads again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contact_archive.ledger.errors import (
    ConcurrentUpdate,
    ContactNotFound,
    LinkLocked,
    VersionConflict,
)
from contact_archive.ledger.models import (
    IN_FLIGHT,
    STUCK_AFTER,
    Actor,
    ChangeAction,
    Clock,
    Contact,
    ContactStatus,
    HistoryAction,
    LinkState,
    PendingChange,
    Vendor,
    VendorLink,
    derived_status,
    history_entry,
    iso,
    link_key,
    new_change,
    utc_now,
)
from contact_archive.ledger.store import LedgerStore

# A register that loses a race re-reads and tries again this many times before giving up.
REGISTER_ATTEMPTS = 5


@dataclass(frozen=True)
class LinkInput:
    vendor: Vendor
    vendor_id: str
    scope: str | None = None


@dataclass(frozen=True)
class RegisterCommand:
    tenant_id: str
    contact_id: str
    actor: Actor
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    external_id: str | None = None
    links: list[LinkInput] = field(default_factory=list)
    expected_version: int | None = None
    create_only: bool = False  # refuse (VersionConflict) if the contact already exists


@dataclass(frozen=True)
class RegisterOutcome:
    contact: Contact
    created: bool
    changed: bool


def register_contact(
    store: LedgerStore, command: RegisterCommand, clock: Clock = utc_now
) -> RegisterOutcome:
    """Create a contact or update its profile and links.

    Profile fields are replaced as given. Links are upserted by vendor: a link the request does
    not mention is kept, because dropping it would drop the material needed to restore it.
    """
    for attempt in range(REGISTER_ATTEMPTS):
        # An erased contact's id stays its tombstone's: registering it again is a 410.
        current = store.contacts.get(command.tenant_id, command.contact_id, refuse_erased=True)
        if command.create_only and current is not None:
            raise VersionConflict(0, current.version)
        if command.expected_version is not None:
            if current is None:
                raise ContactNotFound(command.contact_id)
            if current.version != command.expected_version:
                raise VersionConflict(command.expected_version, current.version)
        try:
            return _register_once(store, command, current, clock())
        except ConcurrentUpdate:
            if (
                command.expected_version is not None
                or command.create_only
                or attempt == REGISTER_ATTEMPTS - 1
            ):
                latest = store.contacts.get(
                    command.tenant_id, command.contact_id, refuse_erased=True
                )
                raise VersionConflict(
                    command.expected_version or (current.version if current else 0),
                    latest.version if latest else 0,
                ) from None
    raise AssertionError("unreachable")


@dataclass
class _LinkChanges:
    """The contact's links after a register, and the vendor ids it gains and gives up."""

    links: dict[str, VendorLink]
    added: list[tuple[Vendor, str]] = field(default_factory=list)
    removed: list[tuple[Vendor, str]] = field(default_factory=list)


def _register_once(
    store: LedgerStore, command: RegisterCommand, current: Contact | None, now: datetime
) -> RegisterOutcome:
    at = iso(now)
    links = _upserted_links(command, current, at)
    profile = {
        "email": command.email,
        "first_name": command.first_name,
        "last_name": command.last_name,
        "external_id": command.external_id,
    }
    if current is not None:
        unchanged_profile = all(getattr(current, name) == value for name, value in profile.items())
        if unchanged_profile and links.links == current.links:
            return RegisterOutcome(current, created=False, changed=False)
        status = derived_status(links.links.values(), current.pending)
        in_flight = any(
            link.state_under(current.pending) in IN_FLIGHT for link in links.links.values()
        )
        contact = current.model_copy(
            update={
                **profile,
                "links": links.links,
                "version": current.version + 1,
                "updated_at": at,
                "status": status,
                "status_changed_at": (
                    current.status_changed_at if status is current.status else at
                ),
                # A link made on an archived contact is in flight: the sweeper's if need be.
                "due_at": iso(now + STUCK_AFTER) if in_flight else current.due_at,
            }
        )
        changed_fields = [
            name for name, value in profile.items() if getattr(current, name) != value
        ]
        action = HistoryAction.UPDATED
    else:
        contact = Contact(
            **profile,
            tenant_id=command.tenant_id,
            contact_id=command.contact_id,
            status=ContactStatus.ACTIVE,
            status_changed_at=at,
            version=1,
            created_at=at,
            updated_at=at,
            links=links.links,
        )
        changed_fields = [name for name, value in profile.items() if value is not None]
        action = HistoryAction.REGISTERED
    details: dict[str, Any] = {
        "fields": sorted(changed_fields),
        "linked": sorted(vendor.value for vendor, _ in links.added),
        "unlinked": sorted(vendor.value for vendor, _ in links.removed),
    }
    store.contacts.save(
        contact,
        previous_version=current.version if current else None,
        event=history_entry(at, action, command.actor, None, details),
        refs_added=links.added,
        refs_removed=links.removed,
    )
    return RegisterOutcome(contact, created=current is None, changed=True)


def _upserted_links(command: RegisterCommand, current: Contact | None, at: str) -> _LinkChanges:
    """The links as the command asks: each vendor and scope it names linked as given, the
    others kept."""
    changes = _LinkChanges(dict(current.links) if current else {})
    wanted_links = {link_key(link.vendor, link.scope): link for link in command.links}
    for key, wanted in wanted_links.items():
        existing = changes.links.get(key)
        if existing and (existing.vendor_id, existing.scope) == (wanted.vendor_id, wanted.scope):
            continue
        if existing and current is not None:
            state = existing.state_under(current.pending)
            if state is not LinkState.ACTIVE:
                raise LinkLocked(wanted.vendor.value, state.value)
            changes.removed.append((existing.vendor, existing.vendor_id))
        change = _linked_active(current, at)
        changes.links[key] = VendorLink(
            vendor=wanted.vendor,
            vendor_id=wanted.vendor_id,
            scope=wanted.scope,
            change=change,
            settled_state=LinkState.ACTIVE,
            settled_change_id=change.change_id if change else None,
            linked_at=at,
        )
        if not existing or existing.vendor_id != wanted.vendor_id:
            changes.added.append((wanted.vendor, wanted.vendor_id))
    return changes


def _linked_active(current: Contact | None, at: str) -> PendingChange | None:
    """A new link's own change: on an archived contact none, so that the contact's archive
    reaches this vendor too; on any other, a restore settled at once, so that an older archive
    of the contact does not apply to a link made after it."""
    if current is None or current.pending is None or current.status is ContactStatus.ARCHIVED:
        return None
    return new_change(ChangeAction.RESTORE, at, current.version + 1)
