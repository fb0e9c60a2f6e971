"""Applying one work unit: its names resolved to contacts, and each contact archived or restored
in the ledger with the job's change, once, however often the unit's message comes.

A change the job made carries its id, so that a redelivered unit recognises the contacts it
already changed (its own change) from those that were already where the job would put them
(skipped). What applying came to is kept on the unit (`JobStore.save_applied`), and a message
coming again after that goes straight to the unit's links.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from contact_archive.contacts.changes import ChangeCommand, archive_contact, restore_contact
from contact_archive.contacts.erasure import EraseCommand, erase_contact
from contact_archive.ledger.errors import ContactErased, ContactNotFound, DomainError, UnknownLink
from contact_archive.ledger.job_records import JobAction, JobRecord, SelectorKind
from contact_archive.ledger.models import (
    Actor,
    Clock,
    Contact,
    Vendor,
    utc_now,
)
from contact_archive.ledger.store import LedgerStore

# Ledger writes of a unit in flight at once: DynamoDB takes them in parallel, and one
# container's connection pool (botocore's default of 10) stays the limit.
PARALLEL_WRITES = 8


@dataclass
class Applied:
    """What applying a unit came to: the contacts the job changed, and the names it did not
    change, with why."""

    members: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"name", "reason"}
    failed: list[dict[str, str]] = field(default_factory=list)  # {"name", "reason"}

    def as_data(self) -> dict[str, Any]:
        return {"members": self.members, "skipped": self.skipped, "failed": self.failed}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Applied:
        return cls(list(data["members"]), list(data["skipped"]), list(data["failed"]))

    @property
    def total(self) -> int:
        return len(self.members) + len(self.skipped) + len(self.failed)


def job_actor(job: JobRecord) -> Actor:
    return Actor(name=job.actor, source=f"job:{job.job_id}")


def apply_unit(
    store: LedgerStore,
    job: JobRecord,
    names: list[Any],
    clock: Clock = utc_now,
    erasure_key: Callable[[], str] | None = None,
) -> Applied:
    applied = Applied()
    contact_ids = _resolve(store, job, names, applied)
    if job.action is JobAction.ERASE:
        if erasure_key is None:
            raise RuntimeError("no erasure key: this worker cannot erase")
        key = erasure_key()
        return _applied(
            applied, contact_ids, lambda contact_id: _erase(store, job, key, contact_id, clock)
        )
    change = archive_contact if job.action is JobAction.ARCHIVE else restore_contact

    def one(contact_id: str) -> tuple[str, str | None, str | None]:
        """(contact id, why it was skipped, why it failed): both None when the job changed it."""
        command = ChangeCommand(
            tenant_id=job.tenant_id,
            contact_id=contact_id,
            actor=job_actor(job),
            reason=job.reason,
            vendors=job.vendors,
            job_id=job.job_id,
        )
        try:
            outcome = change(store, command, clock)
        except ContactNotFound:
            return contact_id, "contact_not_found", None
        except ContactErased:
            return contact_id, "contact_erased", None
        except UnknownLink as error:
            return contact_id, f"unknown_link: {error.message}", None
        except DomainError as error:
            return contact_id, None, f"{error.code}: {error.message}"
        if outcome.changed or changed_by(outcome.contact, job.job_id):
            return contact_id, None, None
        return contact_id, f"already_{_target_word(job.action)}", None

    return _applied(applied, contact_ids, one)


Outcome = tuple[str, str | None, str | None]  # (contact id, why skipped, why failed)


def _applied(applied: Applied, contact_ids: list[str], one: Callable[[str], Outcome]) -> Applied:
    """`one` over the contacts, in parallel, sorted into what the job changed and did not."""
    with ThreadPoolExecutor(max_workers=PARALLEL_WRITES) as pool:
        for contact_id, skipped, failed in pool.map(one, contact_ids):
            if skipped:
                applied.skipped.append({"name": contact_id, "reason": skipped})
            elif failed:
                applied.failed.append({"name": contact_id, "reason": failed})
            else:
                applied.members.append(contact_id)
    return applied


def _erase(store: LedgerStore, job: JobRecord, key: str, contact_id: str, clock: Clock) -> Outcome:
    """Erase one contact for the job; a contact erased before is the job's when its tombstone
    names the job (an earlier delivery of the unit), else skipped."""
    command = EraseCommand(job.tenant_id, contact_id, job_actor(job), job.reason)
    try:
        outcome = erase_contact(store, command, key, clock)
    except ContactNotFound:
        return contact_id, "contact_not_found", None
    except DomainError as error:
        return contact_id, None, f"{error.code}: {error.message}"
    if outcome.erased or outcome.tombstone.source == job_actor(job).source:
        return contact_id, None, None
    return contact_id, "already_erased", None


def changed_by(contact: Contact, job_id: str) -> bool:
    """Whether the change that applies to any of the contact's links (or the contact's own) is
    the job's: then the job made it, in an earlier delivery of the same unit."""
    if contact.pending is not None and contact.pending.job_id == job_id:
        return True
    return any(
        (change := contact.link_change(key)) is not None and change.job_id == job_id
        for key in contact.links
    )


def _resolve(store: LedgerStore, job: JobRecord, names: list[Any], applied: Applied) -> list[str]:
    """The contact ids the names stand for; names that stand for none are skipped."""
    if job.selector_kind in (SelectorKind.CONTACT_IDS, SelectorKind.FILTER):
        return [str(name) for name in names]
    if job.selector_kind is SelectorKind.EMAILS:
        return _by_email(store, job.tenant_id, [str(name) for name in names], applied)
    return _by_vendor_id(store, job.tenant_id, names, applied)


def _by_email(store: LedgerStore, tenant_id: str, emails: list[str], applied: Applied) -> list[str]:
    """Every contact an email names (the email index; any case): one Query per email."""

    def find(email: str) -> list[str]:
        return [contact.contact_id for contact in store.contacts.find_by_email(tenant_id, email)]

    found: list[str] = []
    with ThreadPoolExecutor(max_workers=PARALLEL_WRITES) as pool:
        for email, contact_ids in zip(emails, pool.map(find, emails), strict=True):
            if not contact_ids:
                applied.skipped.append({"name": email, "reason": "no_contact_with_this_email"})
            found += contact_ids
    return list(dict.fromkeys(found))


def _by_vendor_id(
    store: LedgerStore, tenant_id: str, pairs: Iterable[Any], applied: Applied
) -> list[str]:
    """The contacts vendor ids name (the vendor-id refs, read in batches per vendor)."""
    by_vendor: dict[Vendor, list[str]] = {}
    for vendor, vendor_id in pairs:
        by_vendor.setdefault(Vendor(vendor), []).append(str(vendor_id))
    found: list[str] = []
    for vendor, vendor_ids in by_vendor.items():
        refs = store.vendor_refs.find_many(tenant_id, vendor, vendor_ids)
        for vendor_id in vendor_ids:
            if vendor_id in refs:
                found.append(refs[vendor_id])
            else:
                name = f"{vendor.value}:{vendor_id}"
                applied.skipped.append({"name": name, "reason": "no_contact_with_this_vendor_id"})
    return list(dict.fromkeys(found))


def _target_word(action: JobAction) -> str:
    return "archived" if action is JobAction.ARCHIVE else "active"
