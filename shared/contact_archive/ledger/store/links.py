"""What vendor sync and vendor changes write on one link of a contact item.

A link's state is derived: the change that applies to it (its own, or the contact's if newer)
marks it in flight until the sync records the link as settled for that change id. Every write
here is conditional on no newer change applying to the link and on the link still naming the
vendor id that was called (or, for a vendor's own change, on the contact's version), so a stale
or duplicate outcome never overwrites newer state: the write answers False and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from contact_archive.ledger.encoding import to_attribute
from contact_archive.ledger.errors import DuplicateDelivery, VendorIdTaken
from contact_archive.ledger.models import (
    Contact,
    HistoryAction,
    LinkDeferral,
    LinkSettlement,
    VendorStateChange,
    history_entry,
)
from contact_archive.ledger.records import Delivery
from contact_archive.ledger.store.contacts import contact_from_item
from contact_archive.ledger.store.deliveries import delivery_put
from contact_archive.ledger.store.history import HISTORY_INLINE_MAX, HistoryStore, encode_event
from contact_archive.ledger.store.keys import (
    CONTACT_TYPE,
    DUE_UPDATES,
    contact_key,
    due_values,
)
from contact_archive.ledger.store.snapshots import (
    SnapshotWrite,
    save_snapshot,
    settle_with_snapshot,
)
from contact_archive.ledger.store.table import ConditionFailed, Table, TransactionRefused
from contact_archive.ledger.store.vendor_refs import ref_put
from contact_archive.ledger.store.vendor_state import vendor_state_update

# The item is still a contact (an erased contact's tombstone keeps its links' vendor ids, so
# without this a write for a change made before the erasure would land on it), the link still
# names the vendor id called, and no change newer than the one acted on applies.
CURRENT_LINK = (
    "#type = :contact AND #links.#link.vendor_id = :vendor_id"
    " AND (attribute_not_exists(pending_version) OR pending_version <= :change_version)"
    " AND (attribute_not_exists(#links.#link.change.version)"  # `change` may be null
    " OR #links.#link.change.version <= :change_version)"
)
CURRENT_LINK_NAMES = {"#type": "type", "#links": "links"}
CURRENT_LINK_VALUES = {":contact": {"S": CONTACT_TYPE}}


class LinkStore:
    def __init__(self, table: Table, history: HistoryStore) -> None:
        self._table = table
        self._history = history

    def save_snapshot(
        self,
        tenant_id: str,
        contact_id: str,
        link_key: str,
        *,
        vendor_id: str,
        change_id: str,
        change_version: int,
        snapshot: dict[str, Any],
    ) -> bool:
        """Keep a link's restore material, taken for the archive `change_id` (ours, or one the
        vendor made by itself). Written only while no newer change applies to the link and the
        link still points at `vendor_id`; False when either moved on (a newer change won).

        The material goes to the base-only `snapshots` map, which no index projects
        (`snapshots.py`)."""
        condition_values = CURRENT_LINK_VALUES | {
            ":change_version": {"N": str(change_version)},
            ":vendor_id": {"S": vendor_id},
        }
        write = SnapshotWrite(
            tenant_id, contact_id, link_key, change_id, snapshot, CURRENT_LINK, condition_values
        )
        return save_snapshot(self._table, write)

    def mark_recreate(
        self,
        tenant_id: str,
        contact_id: str,
        link_key: str,
        *,
        vendor_id: str,
        change_id: str,
        change_version: int,
    ) -> bool:
        """Note, before a re-create is sent for the restore `change_id`, that one was: should the
        answer be lost or the sync die before settling, its retry looks for the created contact
        instead of creating another. Same conditions and answer as `save_snapshot`."""
        values = {"recreate_change_id": {"S": change_id}}
        return self._set_on_current_link(
            tenant_id, contact_id, link_key, vendor_id, change_version, values
        )

    def _set_on_current_link(
        self,
        tenant_id: str,
        contact_id: str,
        link_key: str,
        vendor_id: str,
        change_version: int,
        values: dict[str, dict[str, Any]],
    ) -> bool:
        """SET fields of one link, while no newer change applies and the link is `vendor_id`."""
        names = CURRENT_LINK_NAMES | {"#link": link_key}
        assignments = []
        attribute_values: dict[str, dict[str, Any]] = CURRENT_LINK_VALUES | {
            ":change_version": {"N": str(change_version)},
            ":vendor_id": {"S": vendor_id},
        }
        for index, (field, value) in enumerate(values.items()):
            names[f"#f{index}"] = field
            attribute_values[f":v{index}"] = value
            assignments.append(f"#links.#link.#f{index} = :v{index}")
        try:
            self._table.update(
                Key=contact_key(tenant_id, contact_id),
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression=CURRENT_LINK,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
            )
        except ConditionFailed:
            return False
        return True

    def retry(
        self,
        tenant_id: str,
        contact_id: str,
        *,
        failed: dict[str, str],
        waiting: dict[str, str],
        due_at: str,
    ) -> Contact | None:
        """Put links back in flight now (each: link key -> the change it failed or waits for):
        the write's stream record has SyncFunction try them again, and links in flight that a
        lost stream record left behind go with it. Conditional on each link still being where
        it was; None when one moved on meanwhile (a change or a settle)."""
        names: dict[str, str] = {"#links": "links"}
        values: dict[str, Any] = {
            ":failed": {"S": "failed"},
            ":none": {"NULL": True},
            **{k: to_attribute(v) for k, v in due_values(tenant_id, contact_id, due_at).items()},
        }
        conditions = ["attribute_exists(pk)"]
        sets = list(DUE_UPDATES)
        for position, (key, change_id) in enumerate(failed.items()):
            names[f"#f{position}"] = key
            values[f":f{position}"] = {"S": change_id}
            link = f"#links.#f{position}"
            conditions.append(
                f"{link}.settled_state = :failed AND {link}.settled_change_id = :f{position}"
            )
            sets.append(f"{link}.settled_change_id = :none")
        for position, (key, change_id) in enumerate(waiting.items()):
            names[f"#w{position}"] = key
            values[f":w{position}"] = {"S": change_id}
            link = f"#links.#w{position}"
            conditions.append(f"{link}.retry_change_id = :w{position}")
            sets += [f"{link}.retry_change_id = :none", f"{link}.retry_at = :none"]
        request: dict[str, Any] = {
            "Key": contact_key(tenant_id, contact_id),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }
        if failed or waiting:
            request["ExpressionAttributeNames"] = names
        else:
            del values[":failed"], values[":none"]
        try:
            response = self._table.update(**request)
        except ConditionFailed:
            return None
        return contact_from_item(response["Attributes"])

    def defer(self, deferral: LinkDeferral) -> bool:
        """Record that a link's vendor asked to be called again later: the link waits (`retry_at`,
        its error and attempts kept) and the contact is due for the sweeper then. Same conditions
        as `settle`; False when a newer change applies to the link (its own sync takes over)."""
        values = {
            ":change": deferral.change_id,
            ":change_version": deferral.change_version,
            ":vendor_id": deferral.vendor_id,
            ":retry_at": deferral.retry_at,
            ":error": deferral.error,
            ":attempts": deferral.attempts,
            ":now": deferral.at,
            **due_values(deferral.tenant_id, deferral.contact_id, deferral.due_at),
        }
        sets = [
            "#links.#link.retry_change_id = :change",
            "#links.#link.retry_at = :retry_at",
            "#links.#link.last_error = :error",
            "#links.#link.attempts = :attempts",
            "#links.#link.synced_at = :now",
            *DUE_UPDATES,
        ]
        try:
            self._table.update(
                Key=contact_key(deferral.tenant_id, deferral.contact_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=CURRENT_LINK,
                ExpressionAttributeNames=CURRENT_LINK_NAMES | {"#link": deferral.link_key},
                ExpressionAttributeValues=CURRENT_LINK_VALUES
                | {k: to_attribute(v) for k, v in values.items()},
            )
        except ConditionFailed:
            return False
        return True

    def settle(self, settlement: LinkSettlement) -> bool:
        """Record what a vendor call did to one link, for the change that asked for it.

        False when a newer change applies to the link or the link moved to another vendor id.
        A re-created vendor contact also moves the link to its new id: the contact's version goes
        up with a `relinked` history event keeping the old id, and the new id gets its ref item,
        all in one transaction. The old id's ref stays: it still names this person.
        """
        update = _settlement(settlement)
        new_id = settlement.new_vendor_id
        if settlement.snapshot is not None:
            return self._settle_with_snapshot(settlement, settlement.snapshot, update)
        try:
            if new_id is not None and new_id != settlement.vendor_id:
                self._relink(settlement, new_id, update)
            elif settlement.not_restored:
                _add_event(update, settlement, HistoryAction.LINK_RESTORED, {})
                self._table.update(**update)
            else:
                self._table.update(**update)
        except ConditionFailed:
            return False
        return True

    def _settle_with_snapshot(
        self, settlement: LinkSettlement, snapshot: dict[str, Any], update: dict[str, Any]
    ) -> bool:
        """An archive settled with its restore material in one write (`snapshots.py`); an item
        of the earlier layout gets the material kept first, then the settle."""
        if settlement.not_restored or settlement.new_vendor_id is not None:
            raise ValueError("restore material comes with an archive's settle only")
        written = settle_with_snapshot(self._table, update, snapshot)
        if written is not None:
            return written
        kept = self.save_snapshot(
            settlement.tenant_id,
            settlement.contact_id,
            settlement.link_key,
            vendor_id=settlement.vendor_id,
            change_id=settlement.change_id,
            change_version=settlement.change_version,
            snapshot=snapshot,
        )
        return kept and self.settle(replace(settlement, snapshot=None))

    def _relink(self, settlement: LinkSettlement, new_id: str, update: dict[str, Any]) -> None:
        ids = {"old_vendor_id": settlement.vendor_id, "new_vendor_id": new_id}
        _add_event(update, settlement, HistoryAction.RELINKED, ids)
        update["UpdateExpression"] += ", #links.#link.vendor_id = :new_id"
        update["ExpressionAttributeValues"][":new_id"] = {"S": new_id}
        ref = ref_put(settlement.tenant_id, settlement.contact_id, settlement.vendor, new_id)
        try:
            self._table.transact([{"Update": update}, {"Put": ref}])
        except TransactionRefused as refused:
            if refused.condition_failed(0):
                raise ConditionFailed(None) from None
            raise VendorIdTaken(settlement.vendor.value, new_id, None) from None

    def record_vendor_state(self, change: VendorStateChange, delivery: Delivery | None) -> bool:
        """Set a link's settled state as its vendor changed it, with a history event, version
        +1, and (when it came as a notification) the delivery kept: all or nothing.

        Conditional on the contact's version (False: it changed since it was read; read again)
        and on the link still naming `vendor_id`. `DuplicateDelivery` if the notification came
        before; then nothing is written.
        """
        update = vendor_state_update(change)
        if delivery is None:
            try:
                response = self._table.update(**update, ReturnValues="ALL_NEW")
            except ConditionFailed:
                return False
            self._history.page_out(response["Attributes"])
            return True
        try:
            self._table.transact([{"Put": delivery_put(delivery)}, {"Update": update}])
        except TransactionRefused as refused:
            if refused.condition_failed(0):
                raise DuplicateDelivery from None
            return False
        if change.expected_version + 1 > HISTORY_INLINE_MAX:
            # A transaction returns no item: read it to see whether its history wants paging
            # out (only once the contact has had more changes than the item keeps inline).
            self._history.page_out_written(change.tenant_id, change.contact_id)
        return True


def _add_event(
    update: dict[str, Any],
    settlement: LinkSettlement,
    action: HistoryAction,
    details: dict[str, Any],
) -> None:
    """Add a history event (and so a version) to a settle: a relink, or a restore that could
    not bring every field back (`not_restored`, field by field, with why)."""
    details = {"vendor": settlement.vendor.value, "link": settlement.link_key, **details}
    if settlement.not_restored:
        details["not_restored"] = settlement.not_restored
    event = history_entry(settlement.at, action, settlement.actor, None, details)
    update["UpdateExpression"] += (
        ", version = version + :one, updated_at = :now, history = list_append(history, :event)"
    )
    update["ExpressionAttributeValues"] |= {
        ":one": {"N": "1"},
        ":event": to_attribute([encode_event(event)]),
    }


def _settlement(settlement: LinkSettlement) -> dict[str, Any]:
    """The update that records a link's outcome, conditional on its change still applying."""
    values = {
        ":change": settlement.change_id,
        ":change_version": settlement.change_version,
        ":vendor_id": settlement.vendor_id,
        ":state": settlement.state.value,
        ":now": settlement.at,
        ":attempts": settlement.attempts,
        ":error": settlement.error,
    }
    sets = [
        "#links.#link.settled_state = :state",
        "#links.#link.settled_change_id = :change",
        "#links.#link.synced_at = :now",
        "#links.#link.attempts = :attempts",
        "#links.#link.last_error = :error",
    ]
    return {
        "Key": contact_key(settlement.tenant_id, settlement.contact_id),
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": CURRENT_LINK,
        "ExpressionAttributeNames": CURRENT_LINK_NAMES | {"#link": settlement.link_key},
        "ExpressionAttributeValues": CURRENT_LINK_VALUES
        | {k: to_attribute(v) for k, v in values.items()},
    }
