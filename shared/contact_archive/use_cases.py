"""Use cases: what the service does, independent of HTTP and EventBridge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contact_archive.cursor import CursorCodec, query_fingerprint
from contact_archive.errors import ContactNotFound, LinkLocked, VersionConflict
from contact_archive.models import (
    Actor,
    ChangeAction,
    Contact,
    ContactStatus,
    HistoryAction,
    HistoryEvent,
    LinkState,
    Vendor,
    VendorLink,
    iso,
    utc_now,
)
from contact_archive.store import ConcurrentUpdate, LedgerStore, history_entry

# A register that loses a race re-reads and tries again this many times before giving up.
REGISTER_ATTEMPTS = 5

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ChangeCommand:
    tenant_id: str
    contact_id: str
    actor: Actor
    reason: str | None = None
    vendors: list[Vendor] | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangeOutcome:
    contact: Contact
    changed: bool  # False when the contact already was in the target status


def archive_contact(
    store: LedgerStore, command: ChangeCommand, clock: Clock = utc_now
) -> ChangeOutcome:
    return _change(store, command, ChangeAction.ARCHIVE, clock)


def restore_contact(
    store: LedgerStore, command: ChangeCommand, clock: Clock = utc_now
) -> ChangeOutcome:
    return _change(store, command, ChangeAction.RESTORE, clock)


def _change(
    store: LedgerStore, command: ChangeCommand, action: ChangeAction, clock: Clock
) -> ChangeOutcome:
    result = store.change_status(
        command.tenant_id,
        command.contact_id,
        action,
        actor=command.actor,
        reason=command.reason,
        vendors=_unique(command.vendors),
        expected_version=command.expected_version,
        now=clock(),
    )
    return ChangeOutcome(result.contact, result.changed)


def _unique(vendors: list[Vendor] | None) -> list[Vendor] | None:
    return list(dict.fromkeys(vendors)) if vendors else None


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
        current = store.get_contact(command.tenant_id, command.contact_id)
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
                latest = store.get_contact(command.tenant_id, command.contact_id)
                raise VersionConflict(
                    command.expected_version or (current.version if current else 0),
                    latest.version if latest else 0,
                ) from None
    raise AssertionError("unreachable")


def _register_once(
    store: LedgerStore, command: RegisterCommand, current: Contact | None, now: datetime
) -> RegisterOutcome:
    at = iso(now)
    links: dict[Vendor, VendorLink] = dict(current.links) if current else {}
    refs_added: list[tuple[Vendor, str]] = []
    refs_removed: list[tuple[Vendor, str]] = []
    for wanted in {link.vendor: link for link in command.links}.values():
        existing = links.get(wanted.vendor)
        if existing and (existing.vendor_id, existing.scope) == (wanted.vendor_id, wanted.scope):
            continue
        if existing and current is not None:
            state = existing.state_under(current.pending)
            if state is not LinkState.ACTIVE:
                raise LinkLocked(wanted.vendor.value, state.value)
            refs_removed.append((existing.vendor, existing.vendor_id))
        links[wanted.vendor] = VendorLink(
            vendor=wanted.vendor,
            vendor_id=wanted.vendor_id,
            scope=wanted.scope,
            settled_state=LinkState.ACTIVE,
            # On an active contact a new link has nothing to catch up with; on an archived one
            # it stays unsettled, so that the pending archive reaches this vendor too.
            settled_change_id=_settled_for(current),
            linked_at=at,
        )
        if not existing or existing.vendor_id != wanted.vendor_id:
            refs_added.append((wanted.vendor, wanted.vendor_id))
    profile = {
        "email": command.email,
        "first_name": command.first_name,
        "last_name": command.last_name,
        "external_id": command.external_id,
    }
    if current is not None:
        unchanged_profile = all(getattr(current, name) == value for name, value in profile.items())
        if unchanged_profile and links == current.links:
            return RegisterOutcome(current, created=False, changed=False)
        contact = current.model_copy(
            update={**profile, "links": links, "version": current.version + 1, "updated_at": at}
        )
        changed_fields = sorted(
            name for name, value in profile.items() if getattr(current, name) != value
        )
        action = HistoryAction.UPDATED
    else:
        contact = Contact(
            tenant_id=command.tenant_id,
            contact_id=command.contact_id,
            email=command.email,
            first_name=command.first_name,
            last_name=command.last_name,
            external_id=command.external_id,
            status=ContactStatus.ACTIVE,
            status_changed_at=at,
            version=1,
            created_at=at,
            updated_at=at,
            links=links,
        )
        changed_fields = sorted(name for name, value in profile.items() if value is not None)
        action = HistoryAction.REGISTERED
    details: dict[str, Any] = {
        "fields": changed_fields,
        "linked": sorted(vendor.value for vendor, _ in refs_added),
        "unlinked": sorted(vendor.value for vendor, _ in refs_removed),
    }
    store.save_contact(
        contact,
        previous_version=current.version if current else None,
        event=history_entry(at, action, command.actor, None, details),
        refs_added=refs_added,
        refs_removed=refs_removed,
    )
    return RegisterOutcome(contact, created=current is None, changed=True)


def _settled_for(current: Contact | None) -> str | None:
    if current is None or current.pending is None or current.status is ContactStatus.ARCHIVED:
        return None
    return current.pending.change_id


def get_contact(store: LedgerStore, tenant_id: str, contact_id: str) -> Contact:
    contact = store.get_contact(tenant_id, contact_id)
    if contact is None:
        raise ContactNotFound(contact_id)
    return contact


def contact_history(store: LedgerStore, tenant_id: str, contact_id: str) -> list[HistoryEvent]:
    history = store.get_history(tenant_id, contact_id)
    if history is None:
        raise ContactNotFound(contact_id)
    return history


@dataclass(frozen=True)
class ListQuery:
    tenant_id: str
    status: ContactStatus | None  # None: every status
    vendor: Vendor | None = None
    email: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class ContactPage:
    items: list[Contact]
    next_cursor: str | None


def list_contacts(store: LedgerStore, codec: CursorCodec, query: ListQuery) -> ContactPage:
    fingerprint = query_fingerprint(
        status=query.status.value if query.status else "all",
        vendor=query.vendor.value if query.vendor else None,
        email=query.email.lower() if query.email else None,
    )
    start_key = codec.decode(query.cursor, query.tenant_id, fingerprint) if query.cursor else None
    items, last_key = store.list_contacts(
        query.tenant_id,
        status=query.status,
        vendor=query.vendor,
        email=query.email,
        limit=query.limit,
        start_key=start_key,
    )
    next_cursor = codec.encode(query.tenant_id, fingerprint, last_key) if last_key else None
    return ContactPage(items, next_cursor)


RETRY_ATTEMPTS = 3


def retry_failed_links(store: LedgerStore, tenant_id: str, contact_id: str) -> tuple[Contact, int]:
    """Send a contact's failed links through vendor sync again; returns the contact and how
    many links were retried (0: nothing had failed, a no-op)."""
    contact = get_contact(store, tenant_id, contact_id)
    for _ in range(RETRY_ATTEMPTS):
        failed = [v for v in contact.links if contact.link_state(v) is LinkState.FAILED]
        if not failed or contact.pending is None:
            return contact, 0
        retried = store.retry_links(tenant_id, contact_id, failed, contact.pending.change_id)
        if retried is not None:
            return retried, len(failed)
        contact = get_contact(store, tenant_id, contact_id)  # a settle or a change won: look again
    raise VersionConflict(contact.version, contact.version)
