"""Retention: archived contacts are erased once they have been archived for the tenant's
`archived_retention_days` (`PUT /settings`, default 365).

The sweeper carries it (`sweeper.py`): an archive puts its contact in the due index, and once
every link has settled the sweeper, instead of taking the contact out of the index, leaves it
due again when its retention ends, or in `LOOK_AGAIN` if that is sooner, so that a retention
shortened later reaches it within that time. When it comes due archived and at rest for its
retention, it is erased (`contacts/erasure.py`, by the actor `retention`); a contact restored
meanwhile leaves the index as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from contact_archive.contacts.erasure import EraseCommand, erase_contact
from contact_archive.ledger.models import IN_FLIGHT, Actor, Clock, Contact, ContactStatus, iso
from contact_archive.ledger.store import LedgerStore

LOOK_AGAIN = timedelta(days=30)
RETENTION_ACTOR = Actor(name="retention", source="schedule:retention")


class Retention:
    """One sweep's view of the tenants' retention (each tenant's settings read once) and the
    erasure key (read when first needed)."""

    def __init__(self, store: LedgerStore, erasure_key: Callable[[], str]) -> None:
        self._store = store
        self._erasure_key = erasure_key
        self._days: dict[str, int] = {}

    def days(self, tenant_id: str) -> int:
        if tenant_id not in self._days:
            self._days[tenant_id] = self._store.tenant_settings.get(
                tenant_id
            ).archived_retention_days
        return self._days[tenant_id]

    def ends_at(self, contact: Contact) -> datetime | None:
        """When the contact's retention ends: None unless it is archived with every link at rest."""
        if contact.status is not ContactStatus.ARCHIVED or any(
            contact.link_state(key) in IN_FLIGHT for key in contact.links
        ):
            return None
        archived_at = datetime.fromisoformat(contact.status_changed_at.replace("Z", "+00:00"))
        return archived_at + timedelta(days=self.days(contact.tenant_id))

    def next_look(self, contact: Contact, now: datetime) -> str | None:
        """When the sweeper should look at an archived contact at rest again (None: never)."""
        ends = self.ends_at(contact)
        return iso(min(ends, now + LOOK_AGAIN)) if ends is not None else None

    def erase_if_due(self, contact: Contact, clock: Clock) -> bool:
        """Erase the contact if its retention has ended; whether it was erased."""
        ends = self.ends_at(contact)
        if ends is None or ends > clock():
            return False
        command = EraseCommand(
            tenant_id=contact.tenant_id,
            contact_id=contact.contact_id,
            actor=RETENTION_ACTOR,
            reason=f"archived for {self.days(contact.tenant_id)} days (archived_retention_days)",
        )
        return erase_contact(self._store, command, self._erasure_key(), clock).erased
