"""Archive and restore a contact, and send the failed links of its change through sync again.

The ledger change is one conditional write (`ledger/store/status.py`); the vendors follow through
the table's stream (`sync/`), link by link.
"""

from __future__ import annotations

from dataclasses import dataclass

from contact_archive.contacts.reading import get_contact
from contact_archive.ledger.errors import VersionConflict
from contact_archive.ledger.models import (
    Actor,
    ChangeAction,
    Clock,
    Contact,
    LinkState,
    Vendor,
    utc_now,
)
from contact_archive.ledger.store import LedgerStore


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
    result = store.status.change(
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


RETRY_ATTEMPTS = 3


def retry_failed_links(store: LedgerStore, tenant_id: str, contact_id: str) -> tuple[Contact, int]:
    """Send a contact's failed links through vendor sync again; returns the contact and how
    many links were retried (0: nothing had failed, a no-op)."""
    contact = get_contact(store, tenant_id, contact_id)
    for _ in range(RETRY_ATTEMPTS):
        failed = [v for v in contact.links if contact.link_state(v) is LinkState.FAILED]
        if not failed or contact.pending is None:
            return contact, 0
        retried = store.links.retry(tenant_id, contact_id, failed, contact.pending.change_id)
        if retried is not None:
            return retried, len(failed)
        contact = get_contact(store, tenant_id, contact_id)  # a settle or a change won: look again
    raise VersionConflict(contact.version, contact.version)
