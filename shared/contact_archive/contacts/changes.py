"""Archive and restore a contact, all its links or some, and send the failed links of its
changes through sync again.

Every link at once is one conditional write (`ledger/store/status.py`). Some links are named
by the caller (`vendors`: a vendor for all its links, or one link's key such as
`sequence:<customer>`): the contact is read, the links not already heading there get their own
change, and the status that follows is written in the same conditional write. The vendors
follow through the table's stream (`sync/`), link by link.
"""

from __future__ import annotations

from dataclasses import dataclass

from contact_archive.contacts.reading import get_contact
from contact_archive.ledger.errors import ConcurrentUpdate, UnknownLink, VersionConflict
from contact_archive.ledger.models import (
    STUCK_AFTER,
    Actor,
    ChangeAction,
    Clock,
    Contact,
    ContactStatus,
    LinkState,
    PendingChange,
    Vendor,
    VendorLink,
    derived_status,
    iso,
    utc_now,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.status import LinksChange

# Changes of some links that lose a race with another write read the contact again this often.
CHANGE_ATTEMPTS = 5
# The metric a ledger change counts, asked for over HTTP or by a command event: the moment the
# ledger changes, not when the vendors settle it (SyncFunction's `ContactArchiveSettled`, ...).
LEDGER_METRICS = {ChangeAction.ARCHIVE: "ContactArchived", ChangeAction.RESTORE: "ContactRestored"}


@dataclass(frozen=True)
class ChangeCommand:
    tenant_id: str
    contact_id: str
    actor: Actor
    reason: str | None = None
    vendors: list[str] | None = None  # vendors or link keys; None: every link
    expected_version: int | None = None
    job_id: str | None = None  # the bulk job asking (`jobs/`)


@dataclass(frozen=True)
class ChangeOutcome:
    contact: Contact
    changed: bool  # False when every link named already was (or was heading) there


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
    if not command.vendors:
        result = store.status.change(
            command.tenant_id,
            command.contact_id,
            action,
            actor=command.actor,
            reason=command.reason,
            expected_version=command.expected_version,
            now=clock(),
            job_id=command.job_id,
        )
        return ChangeOutcome(result.contact, result.changed)
    return _change_links(store, command, action, clock)


def _change_links(
    store: LedgerStore, command: ChangeCommand, action: ChangeAction, clock: Clock
) -> ChangeOutcome:
    assert command.vendors
    target = LinkState.ARCHIVED if action is ChangeAction.ARCHIVE else LinkState.ACTIVE
    for _ in range(CHANGE_ATTEMPTS):
        contact = get_contact(store, command.tenant_id, command.contact_id)
        if command.expected_version is not None and contact.version != command.expected_version:
            raise VersionConflict(command.expected_version, contact.version)
        named = selected_links(contact, command.vendors)
        moving = [
            link.key
            for link in named
            if link.target_under(contact.pending) is not target
            and link.settled_state is not LinkState.UNRECOVERABLE
        ]
        if not moving:
            return ChangeOutcome(contact, changed=False)
        status = _status_after(contact, moving, action)
        written = store.status.change_links(
            LinksChange(
                tenant_id=contact.tenant_id,
                contact_id=contact.contact_id,
                action=action,
                link_keys=moving,
                status=status,
                status_changed=status is not contact.status,
                expected_version=contact.version,
                actor=command.actor,
                reason=command.reason,
                job_id=command.job_id,
            ),
            now=clock(),
        )
        if written is not None:
            return ChangeOutcome(written.contact, changed=True)
        if command.expected_version is not None:
            current = get_contact(store, command.tenant_id, command.contact_id)
            raise VersionConflict(command.expected_version, current.version)
    raise ConcurrentUpdate(command.contact_id)


def selected_links(contact: Contact, selectors: list[str]) -> list[VendorLink]:
    """The links that `selectors` name: a vendor stands for all its links, a link key for one.
    `UnknownLink` names every selector the contact has no link for."""
    named: dict[str, VendorLink] = {}
    unknown = []
    for selector in dict.fromkeys(selectors):
        if selector in contact.links:
            named[selector] = contact.links[selector]
            continue
        of_vendor = contact.links_of(Vendor(selector)) if selector in set(Vendor) else []
        if not of_vendor:
            unknown.append(selector)
        named |= {link.key: link for link in of_vendor}
    if unknown:
        raise UnknownLink(unknown)
    return list(named.values())


def _status_after(contact: Contact, moving: list[str], action: ChangeAction) -> ContactStatus:
    """The contact's status once the `moving` links have their new change."""
    change = PendingChange(
        change_id="", action=action, requested_at="", version=contact.version + 1
    )
    links = [
        link.model_copy(update={"change": change}) if key in moving else link
        for key, link in contact.links.items()
    ]
    return derived_status(links, contact.pending)


RETRY_ATTEMPTS = 3


def retry_failed_links(
    store: LedgerStore, tenant_id: str, contact_id: str, clock: Clock = utc_now
) -> tuple[Contact, int]:
    """Send a contact's links through vendor sync again: those that failed, those waiting for
    their vendor, and those in flight past their due time (a lost stream record left them).
    Returns the contact and how many links went (0: nothing to send, a no-op)."""
    contact = get_contact(store, tenant_id, contact_id)
    for _ in range(RETRY_ATTEMPTS):
        now = clock()
        failed = _changes_of(contact, LinkState.FAILED)
        waiting = _changes_of(contact, LinkState.WAITING)
        in_flight: dict[str, str] = {}
        if contact.due_at is not None and contact.due_at <= iso(now):
            # Past their due time: a lost stream record left them (not on their way now).
            in_flight = _changes_of(contact, LinkState.ARCHIVING) | _changes_of(
                contact, LinkState.RESTORING
            )
        if not (failed or waiting or in_flight):
            return contact, 0
        due_at = iso(now + STUCK_AFTER)
        retried = store.links.retry(
            tenant_id, contact_id, failed=failed, waiting=waiting, due_at=due_at
        )
        if retried is not None:
            return retried, len(failed) + len(waiting) + len(in_flight)
        contact = get_contact(store, tenant_id, contact_id)  # a settle or a change won: look again
    raise VersionConflict(contact.version, contact.version)


def _changes_of(contact: Contact, state: LinkState) -> dict[str, str]:
    """The links in `state`, each with the change it is in that state for."""
    return {
        key: change.change_id
        for key in contact.links
        if contact.link_state(key) is state and (change := contact.link_change(key)) is not None
    }
