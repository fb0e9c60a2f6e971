"""Archive and restore: a contact's status and its links' changes, in one conditional write.

Every link at once (`change`): one `UpdateItem` sets the contact-wide change, which applies to
each link unless the link has a newer change of its own, so the write needs no read and no link
names. A refused write explains itself from the old item DynamoDB returns with the refusal, so an
archive of an archived contact (a successful no-op) or a stale version costs no second request.

Some links (`change_links`): the caller has read the contact and worked out the new status; the
write sets each named link's own change and is conditional on the version it read.

Both put the contact in the due index for `STUCK_AFTER` from now: should the stream not settle
its links by then, the sweeper drives them (`sync/sweeper.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contact_archive.ledger.encoding import to_attribute
from contact_archive.ledger.errors import ContactErased, ContactNotFound, VersionConflict
from contact_archive.ledger.models import (
    STUCK_AFTER,
    Actor,
    ChangeAction,
    ContactStatus,
    HistoryAction,
    StatusChange,
    history_entry,
    iso,
    new_change,
)
from contact_archive.ledger.store.contacts import contact_from_item
from contact_archive.ledger.store.erasures import is_tombstone
from contact_archive.ledger.store.history import HistoryStore, encode_event
from contact_archive.ledger.store.keys import (
    CONTACT_TYPE,
    DUE_UPDATES,
    contact_key,
    due_values,
    listing_sk,
    status_pk,
    status_sk,
)
from contact_archive.ledger.store.table import ConditionFailed, Table

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class _Direction:
    target: ContactStatus
    history: HistoryAction
    stamp: str  # the attribute it sets to `{at, by}`: `archived` or `restored`


DIRECTIONS = {
    ChangeAction.ARCHIVE: _Direction(ContactStatus.ARCHIVED, HistoryAction.ARCHIVED, "archived"),
    ChangeAction.RESTORE: _Direction(ContactStatus.ACTIVE, HistoryAction.RESTORED, "restored"),
}


@dataclass(frozen=True)
class LinksChange:
    """An archive or restore of some links, decided on the contact read at `expected_version`."""

    tenant_id: str
    contact_id: str
    action: ChangeAction
    link_keys: list[str]
    status: ContactStatus  # the contact's status once the links have their new change
    status_changed: bool
    expected_version: int
    actor: Actor
    reason: str | None
    job_id: str | None = None  # the bulk job asking (`jobs/`)


class StatusStore:
    def __init__(self, table: Table, history: HistoryStore) -> None:
        self._table = table
        self._history = history

    def change(
        self,
        tenant_id: str,
        contact_id: str,
        action: ChangeAction,
        *,
        actor: Actor,
        reason: str | None,
        expected_version: int | None,
        now: datetime,
        job_id: str | None = None,
    ) -> StatusChange:
        """Archive or restore every link in one conditional write; a contact already there (all
        its links archived, or none) is a no-op."""
        direction = DIRECTIONS[action]
        at = iso(now)
        change = new_change(action, at, job_id=job_id)
        details: dict[str, Any] = {"links": "all"} | ({"job_id": job_id} if job_id else {})
        event = history_entry(at, direction.history, actor, reason, details)
        values: dict[str, Any] = {
            ":to": direction.target.value,
            ":contact": CONTACT_TYPE,
            ":pending": change.model_dump(mode="json", exclude={"version"}, exclude_none=True),
            **_status_values(tenant_id, contact_id, direction.target, at),
            **_stamp_values(actor, reason, at, event),
            **due_values(tenant_id, contact_id, iso(now + STUCK_AFTER)),
        }
        # A contact, not its tombstone (an erased contact: `erasures.py`), not already there.
        conditions = ["#type = :contact", "#status <> :to"]
        if expected_version is not None:
            conditions.append("version = :expected")
            values[":expected"] = expected_version
        updates = [
            "#status = :to",
            "pending = :pending",
            "pending_version = version + :one",
            *_STATUS_UPDATES,
            *_STAMP_UPDATES,
            *DUE_UPDATES,
        ]
        try:
            response = self._table.update(
                Key=contact_key(tenant_id, contact_id),
                UpdateExpression="SET " + ", ".join(updates),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames={
                    "#status": "status",
                    "#stamp": direction.stamp,
                    "#type": "type",
                },
                ExpressionAttributeValues={k: to_attribute(v) for k, v in values.items()},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as refused:
            return _explain(refused, contact_id, direction.target, expected_version)
        self._history.page_out(response["Attributes"])
        return StatusChange(contact_from_item(response["Attributes"]), changed=True)

    def change_links(self, change: LinksChange, *, now: datetime) -> StatusChange | None:
        """Give each named link its own archive or restore, with the contact's new status; None
        when the contact is no longer at `expected_version` (read it again and decide again)."""
        direction = DIRECTIONS[change.action]
        at = iso(now)
        version = change.expected_version + 1
        link_change = new_change(change.action, at, version, change.job_id).model_dump(
            mode="json", exclude_none=True
        )
        details: dict[str, Any] = {"links": change.link_keys}
        if change.job_id:
            details["job_id"] = change.job_id
        event = history_entry(at, direction.history, change.actor, change.reason, details)
        names: dict[str, str] = {"#links": "links", "#stamp": direction.stamp}
        values: dict[str, Any] = {
            ":expected": change.expected_version,
            ":link_change": link_change,
            **_stamp_values(change.actor, change.reason, at, event),
            **due_values(change.tenant_id, change.contact_id, iso(now + STUCK_AFTER)),
        }
        updates = [f"#links.#l{i}.change = :link_change" for i in range(len(change.link_keys))]
        names |= {f"#l{i}": key for i, key in enumerate(change.link_keys)}
        updates += [*_STAMP_UPDATES, *DUE_UPDATES]
        if change.status_changed:
            values[":to"] = change.status.value
            values |= _status_values(change.tenant_id, change.contact_id, change.status, at)
            names["#status"] = "status"
            updates += ["#status = :to", *_STATUS_UPDATES]
        try:
            response = self._table.update(
                Key=contact_key(change.tenant_id, change.contact_id),
                UpdateExpression="SET " + ", ".join(updates),
                ConditionExpression="version = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={k: to_attribute(v) for k, v in values.items()},
                ReturnValues="ALL_NEW",
            )
        except ConditionFailed:
            return None
        self._history.page_out(response["Attributes"])
        return StatusChange(contact_from_item(response["Attributes"]), changed=True)


_STATUS_UPDATES = (
    "status_changed_at = :now",
    "status_pk = :status_pk",
    "status_sk = :status_sk",
    "listing_sk = :listing_sk",
)


def _status_values(
    tenant_id: str, contact_id: str, status: ContactStatus, at: str
) -> dict[str, Any]:
    return {
        ":status_pk": status_pk(tenant_id, status.value),
        ":status_sk": status_sk(at, contact_id),
        ":listing_sk": listing_sk(status.value, at, contact_id),
    }


def _stamp_values(
    actor: Actor, reason: str | None, at: str, event: dict[str, Any]
) -> dict[str, Any]:
    return {
        ":reason": reason,
        ":now": at,
        ":one": 1,
        ":stamp": {"at": at, "by": actor.name},  # `archived` or `restored`
        ":event": [encode_event(event)],
    }


# `#stamp` names the direction's `archived` or `restored` attribute (`contact_items.py`).
_STAMP_UPDATES = (
    "status_reason = :reason",
    "#stamp = :stamp",
    "updated_at = :now",
    "version = version + :one",
    "history = list_append(history, :event)",
)


def _explain(
    refused: ConditionFailed,
    contact_id: str,
    target: ContactStatus,
    expected_version: int | None,
) -> StatusChange:
    """Why a change was refused, from the old item that came back with the refusal."""
    if not refused.item:
        raise ContactNotFound(contact_id) from None
    if is_tombstone(refused.item):
        raise ContactErased(contact_id) from None
    contact = contact_from_item(refused.item)
    if expected_version is not None and contact.version != expected_version:
        raise VersionConflict(expected_version, contact.version) from None
    if contact.status is target:
        return StatusChange(contact, changed=False)
    raise refused  # a condition we did not write; never expected
