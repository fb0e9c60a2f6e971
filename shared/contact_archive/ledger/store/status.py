"""Archive and restore: a contact's status changed in one conditional `UpdateItem`.

The write sets the new status and its index keys, bumps the version, appends the history event
and records the pending change the vendor sync will carry out, and returns the new contact. A
refused write explains itself from the old item DynamoDB returns with the refusal, so an archive
of an archived contact (a successful no-op), a stale version or an unknown link costs no second
request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contact_archive.ledger.encoding import to_attribute
from contact_archive.ledger.errors import ContactNotFound, UnknownLink, VersionConflict
from contact_archive.ledger.models import (
    Actor,
    ChangeAction,
    ContactStatus,
    HistoryAction,
    StatusChange,
    Vendor,
    history_entry,
    iso,
)
from contact_archive.ledger.store.contacts import contact_from_item
from contact_archive.ledger.store.history import HistoryStore, encode_event
from contact_archive.ledger.store.keys import contact_key, status_pk, status_sk
from contact_archive.ledger.store.table import ConditionFailed, Table

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class _Direction:
    source: ContactStatus
    target: ContactStatus
    history: HistoryAction
    stamp: str  # the `<stamp>_at` / `<stamp>_by` attributes it sets


DIRECTIONS = {
    ChangeAction.ARCHIVE: _Direction(
        ContactStatus.ACTIVE, ContactStatus.ARCHIVED, HistoryAction.ARCHIVED, "archived"
    ),
    ChangeAction.RESTORE: _Direction(
        ContactStatus.ARCHIVED, ContactStatus.ACTIVE, HistoryAction.RESTORED, "restored"
    ),
}


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
        vendors: list[Vendor] | None,
        expected_version: int | None,
        now: datetime,
    ) -> StatusChange:
        """Archive or restore in one conditional write; a contact already there is a no-op."""
        direction = DIRECTIONS[action]
        at = iso(now)
        names = {"#status": "status"}
        values = _status_values(tenant_id, contact_id, action, actor, reason, vendors, at)
        conditions = ["attribute_exists(pk)", "#status = :from"]
        if expected_version is not None:
            conditions.append("version = :expected")
            values[":expected"] = expected_version
        for position, vendor in enumerate(vendors or []):
            names["#links"] = "links"
            names[f"#v{position}"] = vendor.value
            conditions.append(f"attribute_exists(#links.#v{position})")
        try:
            response = self._table.update(
                Key=contact_key(tenant_id, contact_id),
                UpdateExpression=_status_update(direction.stamp),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={k: to_attribute(v) for k, v in values.items()},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionFailed as refused:
            return _explain(refused, contact_id, direction.target, vendors, expected_version)
        self._history.page_out(response["Attributes"])
        return StatusChange(contact_from_item(response["Attributes"]), changed=True)


def _status_values(
    tenant_id: str,
    contact_id: str,
    action: ChangeAction,
    actor: Actor,
    reason: str | None,
    vendors: list[Vendor] | None,
    at: str,
) -> dict[str, Any]:
    """The new status, its index keys, the pending change and the history event."""
    direction = DIRECTIONS[action]
    vendor_names = [vendor.value for vendor in vendors] if vendors else None
    pending = {
        "change_id": uuid.uuid4().hex,
        "action": action.value,
        "vendors": vendor_names,
        "requested_at": at,
    }
    details = {"vendors": vendor_names} if vendors else None
    event = history_entry(at, direction.history, actor, reason, details)
    return {
        ":from": direction.source.value,
        ":to": direction.target.value,
        ":reason": reason,
        ":now": at,
        ":one": 1,
        ":pending": pending,
        ":status_pk": status_pk(tenant_id, direction.target.value),
        ":status_sk": status_sk(at, contact_id),
        ":actor": actor.name,
        ":event": [encode_event(event)],
    }


def _status_update(stamp: str) -> str:
    updates = [
        "#status = :to",
        "status_reason = :reason",
        "status_changed_at = :now",
        f"{stamp}_at = :now",
        f"{stamp}_by = :actor",
        "updated_at = :now",
        "version = version + :one",
        "pending = :pending",
        "status_pk = :status_pk",
        "status_sk = :status_sk",
        "history = list_append(history, :event)",
    ]
    return "SET " + ", ".join(updates)


def _explain(
    refused: ConditionFailed,
    contact_id: str,
    target: ContactStatus,
    vendors: list[Vendor] | None,
    expected_version: int | None,
) -> StatusChange:
    """Why a change was refused, from the old item that came back with the refusal."""
    if not refused.item:
        raise ContactNotFound(contact_id) from None
    contact = contact_from_item(refused.item)
    if expected_version is not None and contact.version != expected_version:
        raise VersionConflict(expected_version, contact.version) from None
    missing = [vendor.value for vendor in vendors or [] if vendor not in contact.links]
    if missing:
        raise UnknownLink(missing) from None
    if contact.status is target:
        return StatusChange(contact, changed=False)
    raise refused  # a condition we did not write; never expected
