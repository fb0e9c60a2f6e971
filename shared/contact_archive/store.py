"""The ledger store: the only module that talks to DynamoDB.

One table (see docs/architecture.md). A contact is one item holding its status, version, vendor
links, pending change and its most recent history events, so that an archive or a restore is one
conditional `UpdateItem` that returns the new contact, and a history event can never be missing
for a change nor exist without one. Older events move to history pages (items with a TTL) so the
contact item stays small. Vendor ids and idempotency keys are items of their own.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from contact_archive.attribute_values import from_item, to_attribute, to_item
from contact_archive.errors import (
    ContactNotFound,
    InvalidCursor,
    UnknownLink,
    VendorIdTaken,
    VersionConflict,
)
from contact_archive.models import (
    Actor,
    ChangeAction,
    Contact,
    ContactStatus,
    HistoryAction,
    HistoryEvent,
    LinkState,
    Vendor,
    VendorChangePolicy,
    iso,
)

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

STATUS_INDEX = "by_status"
TENANT_INDEX = "by_tenant"
EMAIL_INDEX = "by_email"

# Everything of a contact item but its history: what GetItem reads and the indexes project.
CONTACT_FIELDS = (
    "tenant_id",
    "contact_id",
    "external_id",
    "email",
    "first_name",
    "last_name",
    "status",
    "status_reason",
    "status_changed_at",
    "archived_at",
    "archived_by",
    "restored_at",
    "restored_by",
    "version",
    "created_at",
    "updated_at",
    "links",
    "pending",
)
_CONTACT_PROJECTION = ", ".join(f"#f{i}" for i in range(len(CONTACT_FIELDS)))
_CONTACT_PROJECTION_NAMES = {f"#f{i}": name for i, name in enumerate(CONTACT_FIELDS)}


def contact_pk(tenant_id: str, contact_id: str) -> str:
    return f"TENANT#{tenant_id}#CONTACT#{contact_id}"


def vendor_ref_pk(tenant_id: str, vendor: Vendor, vendor_id: str) -> str:
    return f"TENANT#{tenant_id}#VENDOR#{vendor.value}#{vendor_id}"


def idempotency_pk(tenant_id: str, key_hash: str) -> str:
    return f"TENANT#{tenant_id}#IDEMPOTENCY#{key_hash}"


def delivery_pk(tenant_id: str, vendor: Vendor, notification_id: str) -> str:
    return f"TENANT#{tenant_id}#DELIVERY#{vendor.value}#{notification_id}"


def settings_key(tenant_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"TENANT#{tenant_id}"}, "sk": {"S": "SETTINGS"}}


def _contact_key(tenant_id: str, contact_id: str) -> dict[str, Any]:
    return {"pk": {"S": contact_pk(tenant_id, contact_id)}, "sk": {"S": "CONTACT"}}


def _index_keys(contact: Contact) -> dict[str, Any]:
    """The attributes that place a contact in the status, tenant and email indexes."""
    keys: dict[str, Any] = {
        "status_pk": f"TENANT#{contact.tenant_id}#STATUS#{contact.status.value}",
        "status_sk": f"{contact.status_changed_at}#{contact.contact_id}",
        "tenant_pk": f"TENANT#{contact.tenant_id}",
        "tenant_sk": contact.contact_id,
        "email_pk": None,
        "email_sk": None,
    }
    if contact.email:
        keys["email_pk"] = f"TENANT#{contact.tenant_id}#EMAIL#{contact.email.lower()}"
        keys["email_sk"] = contact.contact_id
    return keys


def _contact_attributes(contact: Contact) -> dict[str, Any]:
    attributes = contact.model_dump(mode="json")
    attributes.update(_index_keys(contact))
    return attributes


def contact_from_item(item: dict[str, Any]) -> Contact:
    return Contact.model_validate(from_item(item))


# History events stay on the contact item until more than this many are there; then all but the
# newest HISTORY_KEEP_INLINE move to a history page. Events are JSON strings: cheap to parse.
HISTORY_INLINE_MAX = 30
HISTORY_KEEP_INLINE = 10


def _history_events(encoded: list[str], first_version: int) -> list[HistoryEvent]:
    # Each version appends exactly one event, so position gives the version.
    return [
        HistoryEvent.model_validate({**json.loads(event), "version": first_version + offset})
        for offset, event in enumerate(encoded)
    ]


def _encode_event(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), sort_keys=True)


def history_entry(
    at: str, action: HistoryAction, actor: Actor, reason: str | None, details: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "at": at,
        "action": action.value,
        "actor": actor.name,
        "source": actor.source,
        "reason": reason,
        "details": details,
    }


@dataclass(frozen=True)
class StatusChange:
    contact: Contact
    changed: bool


@dataclass(frozen=True)
class IdempotencyRecord:
    request_hash: str
    state: str  # "in_progress" or "completed"
    status_code: int | None
    response: dict[str, Any] | None


@dataclass(frozen=True)
class LinkSettlement:
    """One link's outcome for one pending change (see `LedgerStore.settle_link`)."""

    tenant_id: str
    contact_id: str
    vendor: Vendor
    vendor_id: str  # the id the vendor was called with
    change_id: str
    state: LinkState
    at: str
    actor: Actor
    attempts: int = 1
    error: str | None = None
    new_vendor_id: str | None = None  # set when a restore re-created the vendor contact


@dataclass(frozen=True)
class Delivery:
    """A vendor's notification, kept (until `expires_at`) so a redelivery changes nothing."""

    tenant_id: str
    vendor: Vendor
    notification_id: str
    outcome: str  # what applying it did, for whoever looks a delivery up
    at: str
    expires_at: int  # UNIX seconds: the table's TTL


@dataclass(frozen=True)
class VendorStateChange:
    """A link's state as its vendor reports it (see `LedgerStore.record_vendor_state`)."""

    tenant_id: str
    contact_id: str
    vendor: Vendor
    vendor_id: str
    state: LinkState
    occurred_at: str  # when the vendor changed it
    expected_version: int  # the contact's version the decision to record was made on
    event: dict[str, Any]  # the history entry (`history_entry`)


@dataclass(frozen=True)
class CustomerChange:
    """A vendor changed every contact of one of its customers (Sequence `CUSTOMER_ARCHIVED`).

    The ledger has no index by a link's scope, so the webhook only keeps this item; its stream
    record has SyncFunction list the customer's contacts at the vendor and apply each one
    (`customer_changes.py`). Kept until `expires_at`, like the delivery it came with."""

    tenant_id: str
    vendor: Vendor
    customer_id: str  # the scope of the links it concerns (`VendorLink.scope`)
    state: LinkState
    occurred_at: str
    topic: str
    notification_id: str
    expires_at: int


CUSTOMER_CHANGE_TYPE = "vendor_customer_change"


def customer_change_pk(tenant_id: str, vendor: Vendor, notification_id: str) -> str:
    return f"TENANT#{tenant_id}#CUSTOMER_CHANGE#{vendor.value}#{notification_id}"


def customer_change_from_item(item: dict[str, Any]) -> CustomerChange:
    """A stream image of a `CUSTOMER_CHANGE_TYPE` item (`KeyError`/`ValueError` if it is not)."""
    plain = from_item(item)
    return CustomerChange(
        tenant_id=str(plain["tenant_id"]),
        vendor=Vendor(plain["vendor"]),
        customer_id=str(plain["customer_id"]),
        state=LinkState(plain["state"]),
        occurred_at=str(plain["occurred_at"]),
        topic=str(plain["topic"]),
        notification_id=str(plain["notification_id"]),
        expires_at=int(plain["expires_at"]),
    )


class DuplicateDelivery(Exception):
    """The notification was applied before: nothing was written."""


class ConcurrentUpdate(Exception):
    """The contact changed between read and write; the caller decides whether to retry."""


# -- reconciliation: where each tenant's vendor check stands ----------------------------------

RECONCILE_TYPE = "reconcile_watermark"
BATCH_GET_LIMIT = 100  # keys per BatchGetItem
BATCH_GET_ATTEMPTS = 5  # unprocessed keys are asked for again this many times


def watermark_key(tenant_id: str, vendor: Vendor) -> dict[str, Any]:
    return {"pk": {"S": f"TENANT#{tenant_id}"}, "sk": {"S": f"RECONCILE#{vendor.value}"}}


@dataclass(frozen=True)
class Watermark:
    """How far reconciliation of one tenant's vendor has got (`reconcile.py`)."""

    tenant_id: str
    vendor: Vendor
    cursor: str | None = None  # where the current pass stopped; None: the next run starts one
    high_water: str | None = None  # a pass looks for vendor changes after this time
    pass_started_at: str | None = None  # when the current pass began
    passes: int = 0  # passes completed
    version: int = 0  # +1 on every save


def _watermark_from_item(item: dict[str, Any]) -> Watermark:
    plain = from_item(item)
    return Watermark(
        tenant_id=str(plain["tenant_id"]),
        vendor=Vendor(plain["vendor"]),
        cursor=plain.get("cursor"),
        high_water=plain.get("high_water"),
        pass_started_at=plain.get("pass_started_at"),
        passes=int(plain.get("passes") or 0),
        version=int(plain.get("version") or 0),
    )


class LedgerStore:
    def __init__(
        self, client: DynamoDBClient, table_name: str, *, history_retention_days: int = 730
    ) -> None:
        self._client = client
        self._table = table_name
        self._history_retention_days = history_retention_days

    # -- contacts ---------------------------------------------------------------------------

    def get_contact(self, tenant_id: str, contact_id: str) -> Contact | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=_contact_key(tenant_id, contact_id),
            ProjectionExpression=_CONTACT_PROJECTION,
            ExpressionAttributeNames=_CONTACT_PROJECTION_NAMES,
            ConsistentRead=True,
        )
        item = response.get("Item")
        return contact_from_item(item) if item else None

    def get_history(self, tenant_id: str, contact_id: str) -> list[HistoryEvent] | None:
        """Every event, oldest first: one read, plus one query once older events were paged out."""
        response = self._client.get_item(
            TableName=self._table,
            Key=_contact_key(tenant_id, contact_id),
            ProjectionExpression="#history, history_spilled",
            ExpressionAttributeNames={"#history": "history"},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None
        contact = from_item(item)
        spilled = int(contact.get("history_spilled", 0))
        events: list[HistoryEvent] = []
        if spilled:
            for page in self._history_pages(tenant_id, contact_id):
                events += _history_events(page["events"], page["first_version"])
            events = [event for event in events if event.version <= spilled]
        return events + _history_events(contact["history"], spilled + 1)

    def _history_pages(self, tenant_id: str, contact_id: str) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :page)",
            "ExpressionAttributeValues": {
                ":pk": {"S": contact_pk(tenant_id, contact_id)},
                ":page": {"S": "HISTORY#"},
            },
            "ConsistentRead": True,
        }
        while True:
            response = self._client.query(**query)
            pages += [from_item(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return pages
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _page_out_history(self, item: dict[str, Any]) -> None:
        """Move all but the newest events of a contact item to a history page, if it has many.

        Conditional on the version the caller just wrote: if the contact changed meanwhile, the
        write that changed it pages out instead. Never fails the caller's change.
        """
        if len(item.get("history", {}).get("L", [])) <= HISTORY_INLINE_MAX:
            return
        contact = from_item(item)
        inline: list[str] = contact["history"]
        spilled = int(contact.get("history_spilled", 0))
        moving = len(inline) - HISTORY_KEEP_INLINE
        key = _contact_key(contact["tenant_id"], contact["contact_id"])
        expires_at = int(time.time()) + self._history_retention_days * 86400
        page = {
            "pk": key["pk"]["S"],
            "sk": f"HISTORY#{spilled + 1:012d}",
            "type": "history_page",
            "first_version": spilled + 1,
            "events": inline[:moving],
            "expires_at": expires_at,
        }
        removals = ", ".join(f"#history[{index}]" for index in range(moving))
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(page),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": key,
                            "UpdateExpression": f"SET history_spilled = :spilled REMOVE {removals}",
                            "ConditionExpression": "version = :version",
                            "ExpressionAttributeNames": {"#history": "history"},
                            "ExpressionAttributeValues": {
                                ":spilled": {"N": str(spilled + moving)},
                                ":version": {"N": str(contact["version"])},
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise

    def change_status(
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
        archiving = action is ChangeAction.ARCHIVE
        source = ContactStatus.ACTIVE if archiving else ContactStatus.ARCHIVED
        target = ContactStatus.ARCHIVED if archiving else ContactStatus.ACTIVE
        at = iso(now)
        pending = {
            "change_id": uuid.uuid4().hex,
            "action": action.value,
            "vendors": [vendor.value for vendor in vendors] if vendors else None,
            "requested_at": at,
        }
        event = history_entry(
            at,
            HistoryAction.ARCHIVED if archiving else HistoryAction.RESTORED,
            actor,
            reason,
            {"vendors": pending["vendors"]} if vendors else None,
        )
        stamp = "archived" if archiving else "restored"
        names = {"#status": "status"}
        values: dict[str, Any] = {
            ":from": source.value,
            ":to": target.value,
            ":reason": reason,
            ":now": at,
            ":one": 1,
            ":pending": pending,
            ":status_pk": f"TENANT#{tenant_id}#STATUS#{target.value}",
            ":status_sk": f"{at}#{contact_id}",
            ":actor": actor.name,
            ":event": [_encode_event(event)],
        }
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
        conditions = ["attribute_exists(pk)", "#status = :from"]
        if expected_version is not None:
            conditions.append("version = :expected")
            values[":expected"] = expected_version
        for position, vendor in enumerate(vendors or []):
            names["#links"] = "links"
            names[f"#v{position}"] = vendor.value
            conditions.append(f"attribute_exists(#links.#v{position})")
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_contact_key(tenant_id, contact_id),
                UpdateExpression="SET " + ", ".join(updates),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    key: to_attribute(value) for key, value in values.items()
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # The old item comes back with the failure: no second request to find out why.
            return self._explain_refused_change(
                error, contact_id, target, vendors, expected_version
            )
        self._page_out_history(response["Attributes"])
        return StatusChange(contact_from_item(response["Attributes"]), changed=True)

    @staticmethod
    def _explain_refused_change(
        error: ClientError,
        contact_id: str,
        target: ContactStatus,
        vendors: list[Vendor] | None,
        expected_version: int | None,
    ) -> StatusChange:
        old = cast("dict[str, Any] | None", error.response.get("Item"))
        if not old:
            raise ContactNotFound(contact_id) from None
        contact = contact_from_item(old)
        if expected_version is not None and contact.version != expected_version:
            raise VersionConflict(expected_version, contact.version) from None
        missing = [vendor.value for vendor in vendors or [] if vendor not in contact.links]
        if missing:
            raise UnknownLink(missing) from None
        if contact.status is target:
            return StatusChange(contact, changed=False)
        raise error  # a condition we did not write; never expected

    # -- vendor links -------------------------------------------------------------------------

    def save_snapshot(
        self,
        tenant_id: str,
        contact_id: str,
        vendor: Vendor,
        *,
        vendor_id: str,
        change_id: str,
        snapshot: dict[str, Any],
    ) -> bool:
        """Keep a link's restore material, taken for the archive `change_id`.

        Written only while that change is still pending and the link still points at `vendor_id`;
        False when either moved on (a newer change won: its own sync takes over).
        """
        return self._set_on_pending_link(
            tenant_id,
            contact_id,
            vendor,
            vendor_id=vendor_id,
            change_id=change_id,
            values={"snapshot": to_attribute(snapshot), "snapshot_change_id": {"S": change_id}},
        )

    def mark_recreate(
        self, tenant_id: str, contact_id: str, vendor: Vendor, *, vendor_id: str, change_id: str
    ) -> bool:
        """Note, before a re-create is sent for the restore `change_id`, that one was: should the
        answer be lost or the sync die before settling, its retry looks for the created contact
        instead of creating another. Same conditions and answer as `save_snapshot`."""
        return self._set_on_pending_link(
            tenant_id,
            contact_id,
            vendor,
            vendor_id=vendor_id,
            change_id=change_id,
            values={"recreate_change_id": {"S": change_id}},
        )

    def _set_on_pending_link(
        self,
        tenant_id: str,
        contact_id: str,
        vendor: Vendor,
        *,
        vendor_id: str,
        change_id: str,
        values: dict[str, dict[str, Any]],
    ) -> bool:
        """SET fields of one link, while `change_id` is pending and the link is `vendor_id`."""
        names = {"#links": "links", "#vendor": vendor.value}
        assignments = []
        attribute_values: dict[str, dict[str, Any]] = {
            ":change": {"S": change_id},
            ":vendor_id": {"S": vendor_id},
        }
        for index, (field, value) in enumerate(values.items()):
            names[f"#f{index}"] = field
            attribute_values[f":v{index}"] = value
            assignments.append(f"#links.#vendor.#f{index} = :v{index}")
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_contact_key(tenant_id, contact_id),
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression=(
                    "pending.change_id = :change AND #links.#vendor.vendor_id = :vendor_id"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def retry_links(
        self, tenant_id: str, contact_id: str, vendors: list[Vendor], change_id: str
    ) -> Contact | None:
        """Put failed links of the pending change back in flight: the write's stream record
        has SyncFunction try them again. Conditional on each still being failed for that change;
        None when one moved on meanwhile (a newer change or a settle won)."""
        names: dict[str, str] = {"#links": "links"}
        values: dict[str, Any] = {":change": {"S": change_id}, ":failed": {"S": "failed"}}
        conditions = ["pending.change_id = :change"]
        sets = []
        for position, vendor in enumerate(vendors):
            names[f"#v{position}"] = vendor.value
            link = f"#links.#v{position}"
            conditions.append(
                f"{link}.settled_state = :failed AND {link}.settled_change_id = :change"
            )
            sets.append(f"{link}.settled_change_id = :none")
        values[":none"] = {"NULL": True}
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_contact_key(tenant_id, contact_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return contact_from_item(response["Attributes"])

    def settle_link(self, settlement: LinkSettlement) -> bool:
        """Record what a vendor call did to one link, for the change that asked for it.

        Conditional on that change still being pending and the link still pointing at the vendor
        id that was called, so a stale or duplicate outcome never overwrites newer state (False).
        A re-created vendor contact also moves the link to its new id: the contact's version goes
        up with a `relinked` history event keeping the old id, and the new id gets its ref item,
        all in one transaction. The old id's ref stays: it still names this person.
        """
        names = {"#links": "links", "#vendor": settlement.vendor.value}
        values: dict[str, Any] = {
            ":change": settlement.change_id,
            ":vendor_id": settlement.vendor_id,
            ":state": settlement.state.value,
            ":now": settlement.at,
            ":attempts": settlement.attempts,
            ":error": settlement.error,
        }
        sets = [
            "#links.#vendor.settled_state = :state",
            "#links.#vendor.settled_change_id = :change",
            "#links.#vendor.synced_at = :now",
            "#links.#vendor.attempts = :attempts",
            "#links.#vendor.last_error = :error",
        ]
        condition = "pending.change_id = :change AND #links.#vendor.vendor_id = :vendor_id"
        new_id = settlement.new_vendor_id
        if new_id is None or new_id == settlement.vendor_id:
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=_contact_key(settlement.tenant_id, settlement.contact_id),
                    UpdateExpression="SET " + ", ".join(sets),
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={k: to_attribute(v) for k, v in values.items()},
                )
            except ClientError as error:
                if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return False
                raise
            return True
        event = history_entry(
            settlement.at,
            HistoryAction.RELINKED,
            settlement.actor,
            None,
            {
                "vendor": settlement.vendor.value,
                "old_vendor_id": settlement.vendor_id,
                "new_vendor_id": new_id,
            },
        )
        values |= {":new_id": new_id, ":one": 1, ":event": [_encode_event(event)]}
        sets += [
            "#links.#vendor.vendor_id = :new_id",
            "version = version + :one",
            "updated_at = :now",
            "history = list_append(history, :event)",
        ]
        ref = {
            "pk": vendor_ref_pk(settlement.tenant_id, settlement.vendor, new_id),
            "sk": "VENDOR_REF",
            "type": "vendor_ref",
            "tenant_id": settlement.tenant_id,
            "contact_id": settlement.contact_id,
            "vendor": settlement.vendor.value,
            "vendor_id": new_id,
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _contact_key(settlement.tenant_id, settlement.contact_id),
                            "UpdateExpression": "SET " + ", ".join(sets),
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": {
                                k: to_attribute(v) for k, v in values.items()
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(ref),
                            "ConditionExpression": "attribute_not_exists(pk) OR contact_id = :me",
                            "ExpressionAttributeValues": {":me": {"S": settlement.contact_id}},
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise VendorIdTaken(settlement.vendor.value, new_id, None) from None
        return True

    def save_contact(
        self,
        contact: Contact,
        *,
        previous_version: int | None,
        event: dict[str, Any],
        refs_added: list[tuple[Vendor, str]],
        refs_removed: list[tuple[Vendor, str]],
    ) -> None:
        """Write a registered or updated contact with its vendor-id refs, all or nothing.

        `previous_version` None means the contact must not exist yet. Raises `VendorIdTaken`
        when a vendor id belongs to another contact and `ConcurrentUpdate` when the contact
        changed since it was read.
        """
        attributes = _contact_attributes(contact)
        key = _contact_key(contact.tenant_id, contact.contact_id)
        contact_write: dict[str, Any]
        if previous_version is None:
            item = {**attributes, "pk": key["pk"]["S"], "sk": "CONTACT", "type": "contact"}
            item["history"] = [_encode_event(event)]
            item = {name: value for name, value in item.items() if value is not None}
            contact_write = {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        else:
            names: dict[str, str] = {}
            values: dict[str, Any] = {
                ":previous": previous_version,
                ":event": [_encode_event(event)],
            }
            sets, removes = [], []
            for position, (name, value) in enumerate(attributes.items()):
                names[f"#a{position}"] = name
                if value is None:
                    removes.append(f"#a{position}")
                else:
                    sets.append(f"#a{position} = :a{position}")
                    values[f":a{position}"] = value
            sets.append("history = list_append(history, :event)")
            expression = (
                "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
            )
            contact_write = {
                "Update": {
                    "TableName": self._table,
                    "Key": key,
                    "UpdateExpression": expression,
                    "ConditionExpression": "version = :previous",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {k: to_attribute(v) for k, v in values.items()},
                }
            }
        writes = [contact_write]
        for vendor, vendor_id in refs_added:
            writes.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            "pk": {"S": vendor_ref_pk(contact.tenant_id, vendor, vendor_id)},
                            "sk": {"S": "VENDOR_REF"},
                            "type": {"S": "vendor_ref"},
                            "tenant_id": {"S": contact.tenant_id},
                            "contact_id": {"S": contact.contact_id},
                            "vendor": {"S": vendor.value},
                            "vendor_id": {"S": vendor_id},
                        },
                        "ConditionExpression": "attribute_not_exists(pk) OR contact_id = :me",
                        "ExpressionAttributeValues": {":me": {"S": contact.contact_id}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        for vendor, vendor_id in refs_removed:
            writes.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {
                            "pk": {"S": vendor_ref_pk(contact.tenant_id, vendor, vendor_id)},
                            "sk": {"S": "VENDOR_REF"},
                        },
                        "ConditionExpression": "attribute_not_exists(pk) OR contact_id = :me",
                        "ExpressionAttributeValues": {":me": {"S": contact.contact_id}},
                    }
                }
            )
        self._write_all(writes, refs_added, contact.contact_id)
        if previous_version is not None and contact.version % HISTORY_KEEP_INLINE == 0:
            # Registers return no item to look at; every tenth version, check the history size.
            current = self._client.get_item(
                TableName=self._table, Key=key, ConsistentRead=True
            ).get("Item")
            if current:
                self._page_out_history(current)

    def _write_all(
        self, writes: list[dict[str, Any]], refs_added: list[tuple[Vendor, str]], contact_id: str
    ) -> None:
        if len(writes) == 1:
            ((kind, request),) = writes[0].items()
            call = self._client.put_item if kind == "Put" else self._client.update_item
            try:
                call(**request)
            except ClientError as error:
                if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    raise ConcurrentUpdate(contact_id) from None
                raise
            return
        try:
            self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            for position, reason in enumerate(reasons):
                if reason.get("Code") != "ConditionalCheckFailed":
                    continue
                if position == 0:
                    raise ConcurrentUpdate(contact_id) from None
                if position <= len(refs_added):
                    vendor, vendor_id = refs_added[position - 1]
                    other = from_item(cast("dict[str, Any]", reason.get("Item", {}))).get(
                        "contact_id"
                    )
                    raise VendorIdTaken(vendor.value, vendor_id, other) from None
                raise ConcurrentUpdate(contact_id) from None
            raise

    def list_contacts(
        self,
        tenant_id: str,
        *,
        status: ContactStatus | None,
        vendor: Vendor | None,
        email: str | None,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[Contact], dict[str, Any] | None]:
        """One Query per page, on the index that answers the question.

        `status` None means every status. The email index holds a handful of contacts per
        address, so filtering it by status throws little away. The vendor filter is a
        FilterExpression: a page may then hold fewer than `limit` contacts (still one request).
        """
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        filters: list[str] = []
        query: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        if email:
            query["IndexName"] = EMAIL_INDEX
            query["KeyConditionExpression"] = "email_pk = :key"
            values[":key"] = f"TENANT#{tenant_id}#EMAIL#{email.lower()}"
            if status is not None:
                names["#status"] = "status"
                values[":status"] = status.value
                filters.append("#status = :status")
        elif status is None:
            query["IndexName"] = TENANT_INDEX
            query["KeyConditionExpression"] = "tenant_pk = :key"
            values[":key"] = f"TENANT#{tenant_id}"
        else:
            query["IndexName"] = STATUS_INDEX
            query["KeyConditionExpression"] = "status_pk = :key"
            query["ScanIndexForward"] = False  # most recently changed first
            values[":key"] = f"TENANT#{tenant_id}#STATUS#{status.value}"
        if vendor is not None:
            names["#links"] = "links"
            names["#vendor"] = vendor.value
            filters.append("attribute_exists(#links.#vendor)")
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
        if names:
            query["ExpressionAttributeNames"] = names
        query["ExpressionAttributeValues"] = {k: to_attribute(v) for k, v in values.items()}
        if start_key:
            query["ExclusiveStartKey"] = start_key
        try:
            response = self._client.query(**query)
        except ClientError as error:
            if start_key and error.response["Error"]["Code"] == "ValidationException":
                raise InvalidCursor("it does not fit this query") from None
            raise
        contacts = [contact_from_item(item) for item in response.get("Items", [])]
        return contacts, response.get("LastEvaluatedKey")

    # -- vendor-originated changes ----------------------------------------------------------

    def claim_delivery(self, delivery: Delivery) -> None:
        """Keep a notification that changes nothing; `DuplicateDelivery` if it came before."""
        try:
            self._client.put_item(**self._delivery_put(delivery))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise DuplicateDelivery from None
            raise

    def record_vendor_state(self, change: VendorStateChange, delivery: Delivery | None) -> bool:
        """Set a link's settled state as its vendor changed it, with a history event, version
        +1, and (when it came as a notification) the delivery kept: all or nothing.

        Conditional on the contact's version (False: it changed since it was read; read again)
        and on the link still naming `vendor_id`. `DuplicateDelivery` if the notification came
        before; then nothing is written.
        """
        names = {"#links": "links", "#vendor": change.vendor.value}
        values = {
            ":state": change.state.value,
            ":occurred": change.occurred_at,
            ":now": change.event["at"],
            ":one": 1,
            ":version": change.expected_version,
            ":vendor_id": change.vendor_id,
            ":event": [_encode_event(change.event)],
        }
        sets = [
            "#links.#vendor.settled_state = :state",
            "#links.#vendor.vendor_changed_at = :occurred",
            "#links.#vendor.synced_at = :now",
            "version = version + :one",
            "updated_at = :now",
            "history = list_append(history, :event)",
        ]
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": _contact_key(change.tenant_id, change.contact_id),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "version = :version AND #links.#vendor.vendor_id = :vendor_id",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {k: to_attribute(v) for k, v in values.items()},
        }
        if delivery is None:
            try:
                response = self._client.update_item(**update, ReturnValues="ALL_NEW")
            except ClientError as error:
                if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return False
                raise
            self._page_out_history(response["Attributes"])
            return True
        try:
            items: list[Any] = [{"Put": self._delivery_put(delivery)}, {"Update": update}]
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise DuplicateDelivery from None
            return False
        if change.expected_version + 1 > HISTORY_INLINE_MAX:
            # A transaction returns no item: read it to see whether its history wants paging
            # out (only once the contact has had more changes than the item keeps inline).
            written = self._client.get_item(
                TableName=self._table,
                Key=_contact_key(change.tenant_id, change.contact_id),
                ConsistentRead=True,
            )
            self._page_out_history(written.get("Item", {}))
        return True

    def _delivery_put(self, delivery: Delivery) -> dict[str, Any]:
        item = {
            "pk": delivery_pk(delivery.tenant_id, delivery.vendor, delivery.notification_id),
            "sk": "DELIVERY",
            "type": "delivery",
            "tenant_id": delivery.tenant_id,
            "vendor": delivery.vendor.value,
            "notification_id": delivery.notification_id,
            "outcome": delivery.outcome,
            "at": delivery.at,
            "expires_at": delivery.expires_at,
        }
        return {
            "TableName": self._table,
            "Item": to_item(item),
            # A kept delivery past its TTL but not yet removed no longer counts.
            "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
            "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
        }

    def get_vendor_change_policy(self, tenant_id: str) -> VendorChangePolicy:
        """The tenant's policy for vendor-originated changes; `record` unless it chose one."""
        response = self._client.get_item(
            TableName=self._table,
            Key=settings_key(tenant_id),
            ProjectionExpression="vendor_change_policy",
        )
        chosen = response.get("Item", {}).get("vendor_change_policy", {}).get("S")
        return VendorChangePolicy(chosen) if chosen else VendorChangePolicy.RECORD

    def set_vendor_change_policy(
        self, tenant_id: str, policy: VendorChangePolicy, *, at: str
    ) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=settings_key(tenant_id),
            UpdateExpression="SET #type = :type, vendor_change_policy = :policy, updated_at = :at",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues={
                ":type": {"S": "tenant_settings"},
                ":policy": {"S": policy.value},
                ":at": {"S": at},
            },
        )

    def find_contact_id_by_vendor_id(
        self, tenant_id: str, vendor: Vendor, vendor_id: str
    ) -> str | None:
        response = self._client.get_item(
            TableName=self._table,
            Key={
                "pk": {"S": vendor_ref_pk(tenant_id, vendor, vendor_id)},
                "sk": {"S": "VENDOR_REF"},
            },
            ProjectionExpression="contact_id",
            ConsistentRead=True,
        )
        item = response.get("Item")
        return item["contact_id"]["S"] if item else None

    def find_contacts_by_email(self, tenant_id: str, email: str) -> list[Contact]:
        contacts, _ = self.list_contacts(
            tenant_id, status=None, vendor=None, email=email, limit=100, start_key=None
        )
        return contacts

    # -- reconciliation -----------------------------------------------------------------------

    def claim_watermark(
        self, tenant_id: str, vendor: Vendor, *, run_id: str, now: str, lease_until: str
    ) -> Watermark | None:
        """Take the tenant's vendor for one run, until `lease_until` (ISO 8601 UTC), and read
        where it stands, in one conditional write. None when another run holds it: two
        overlapping runs never check, nor advance, the same tenant's vendor at once."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=watermark_key(tenant_id, vendor),
                UpdateExpression=(
                    "SET #type = :type, tenant_id = :tenant, vendor = :vendor,"
                    " run_id = :run, lease_until = :until, claimed_at = :now"
                ),
                ConditionExpression="attribute_not_exists(lease_until) OR lease_until < :now",
                ExpressionAttributeNames={"#type": "type"},
                ExpressionAttributeValues={
                    ":type": {"S": RECONCILE_TYPE},
                    ":tenant": {"S": tenant_id},
                    ":vendor": {"S": vendor.value},
                    ":run": {"S": run_id},
                    ":until": {"S": lease_until},
                    ":now": {"S": now},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return _watermark_from_item(response["Attributes"])

    def save_watermark(self, watermark: Watermark, *, run_id: str, now: str) -> bool:
        """Store where the run got to and release the claim, if the run still holds it; False
        when it lost it (its lease ran out and another run took over): nothing is written."""
        values = {
            ":cursor": watermark.cursor,
            ":high": watermark.high_water,
            ":started": watermark.pass_started_at,
            ":passes": watermark.passes,
            ":zero": 0,
            ":one": 1,
            ":now": now,
            ":run": run_id,
        }
        try:
            self._client.update_item(
                TableName=self._table,
                Key=watermark_key(watermark.tenant_id, watermark.vendor),
                UpdateExpression=(
                    "SET #cursor = :cursor, high_water = :high, pass_started_at = :started,"
                    " passes = :passes, version = if_not_exists(version, :zero) + :one,"
                    " updated_at = :now REMOVE run_id, lease_until"
                ),
                ConditionExpression="run_id = :run",
                ExpressionAttributeNames={"#cursor": "cursor"},
                ExpressionAttributeValues={k: to_attribute(v) for k, v in values.items()},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_watermark(self, tenant_id: str, vendor: Vendor) -> Watermark | None:
        item = self._client.get_item(
            TableName=self._table, Key=watermark_key(tenant_id, vendor), ConsistentRead=True
        ).get("Item")
        return _watermark_from_item(item) if item else None

    def list_linked_contacts(
        self, tenant_id: str, vendor: Vendor, *, after: str | None, limit: int
    ) -> tuple[list[Contact], str | None]:
        """One page (one Query on the tenant index) of the tenant's contacts linked to `vendor`,
        in contact id order, from after the contact id `after`; and the contact id to go on
        after (None at the end). A page may hold fewer than `limit` (the vendor filter)."""
        start_key = None
        if after is not None:
            start_key = {
                **_contact_key(tenant_id, after),
                "tenant_pk": {"S": f"TENANT#{tenant_id}"},
                "tenant_sk": {"S": after},
            }
        contacts, last_key = self.list_contacts(
            tenant_id, status=None, vendor=vendor, email=None, limit=limit, start_key=start_key
        )
        return contacts, (last_key["tenant_sk"]["S"] if last_key else None)

    def find_contact_ids_by_vendor_ids(
        self, tenant_id: str, vendor: Vendor, vendor_ids: list[str]
    ) -> dict[str, str]:
        """{vendor_id: contact_id} for those of `vendor_ids` the tenant has linked: one
        BatchGetItem per 100 ids (a vendor's page of contacts), not a read per id."""
        keys = [
            {"pk": {"S": vendor_ref_pk(tenant_id, vendor, vendor_id)}, "sk": {"S": "VENDOR_REF"}}
            for vendor_id in dict.fromkeys(vendor_ids)
        ]
        found: dict[str, str] = {}
        for item in self._batch_get(keys, "vendor_id, contact_id", {}):
            found[item["vendor_id"]["S"]] = item["contact_id"]["S"]
        return found

    def get_contacts(self, tenant_id: str, contact_ids: list[str]) -> dict[str, Contact]:
        """{contact_id: contact} for those that exist, one BatchGetItem per 100 ids."""
        keys = [_contact_key(tenant_id, contact_id) for contact_id in dict.fromkeys(contact_ids)]
        contacts = (
            contact_from_item(item)
            for item in self._batch_get(keys, _CONTACT_PROJECTION, _CONTACT_PROJECTION_NAMES)
        )
        return {contact.contact_id: contact for contact in contacts}

    def _batch_get(
        self, keys: list[dict[str, Any]], projection: str, names: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Every item of `keys` that exists (consistent reads); unprocessed keys (throttling)
        are asked for again with a short backoff, a few times, before giving up."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                "Keys": keys[start : start + BATCH_GET_LIMIT],
                "ProjectionExpression": projection,
                "ConsistentRead": True,
            }
            if names:
                request["ExpressionAttributeNames"] = names
            for attempt in range(BATCH_GET_ATTEMPTS):
                response = self._client.batch_get_item(
                    RequestItems={self._table: cast(Any, request)}
                )
                items += response.get("Responses", {}).get(self._table, [])
                unprocessed = response.get("UnprocessedKeys", {}).get(self._table)
                if not unprocessed:
                    break
                request = dict(unprocessed)
                time.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("DynamoDB left keys of a batch read unprocessed")
        return items

    # -- idempotency ------------------------------------------------------------------------

    def claim_idempotency_key(
        self,
        tenant_id: str,
        key_hash: str,
        request_hash: str,
        *,
        now: int,
        expires_at: int,
        lock_seconds: int,
    ) -> IdempotencyRecord | None:
        """Claim a key for this request; returns the existing record if someone holds it."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": idempotency_pk(tenant_id, key_hash)},
                    "sk": {"S": "IDEMPOTENCY"},
                    "type": {"S": "idempotency"},
                    "request_hash": {"S": request_hash},
                    "state": {"S": "in_progress"},
                    "locked_until": {"N": str(now + lock_seconds)},
                    "expires_at": {"N": str(expires_at)},
                },
                # Expired records linger until TTL removes them; an abandoned claim unlocks.
                ConditionExpression=(
                    "attribute_not_exists(pk) OR expires_at < :now"
                    " OR (#state = :in_progress AND locked_until < :now)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":now": {"N": str(now)},
                    ":in_progress": {"S": "in_progress"},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = from_item(cast("dict[str, Any]", error.response.get("Item", {})))
            return IdempotencyRecord(
                request_hash=old.get("request_hash", ""),
                state=old.get("state", "in_progress"),
                status_code=old.get("status_code"),
                response=json.loads(old["response"]) if "response" in old else None,
            )
        return None

    def complete_idempotency_key(
        self, tenant_id: str, key_hash: str, status_code: int, response: dict[str, Any]
    ) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": idempotency_pk(tenant_id, key_hash)}, "sk": {"S": "IDEMPOTENCY"}},
            UpdateExpression="SET #state = :completed, status_code = :code, #response = :response",
            ExpressionAttributeNames={"#state": "state", "#response": "response"},
            ExpressionAttributeValues={
                ":completed": {"S": "completed"},
                ":code": {"N": str(status_code)},
                ":response": {"S": json.dumps(response, separators=(",", ":"))},
            },
        )

    def release_idempotency_key(self, tenant_id: str, key_hash: str) -> None:
        self._client.delete_item(
            TableName=self._table,
            Key={"pk": {"S": idempotency_pk(tenant_id, key_hash)}, "sk": {"S": "IDEMPOTENCY"}},
        )

    # -- vendor changes to a whole customer (fanned out by SyncFunction) ---------------------

    def queue_customer_change(self, change: CustomerChange, delivery: Delivery) -> None:
        """Keep the delivery and the change item together, in one transaction: the item's
        stream record does the work. `DuplicateDelivery` (nothing written) if it came before."""
        item = {
            "pk": customer_change_pk(change.tenant_id, change.vendor, change.notification_id),
            "sk": "CUSTOMER_CHANGE",
            "type": CUSTOMER_CHANGE_TYPE,
            "tenant_id": change.tenant_id,
            "vendor": change.vendor.value,
            "customer_id": change.customer_id,
            "state": change.state.value,
            "occurred_at": change.occurred_at,
            "topic": change.topic,
            "notification_id": change.notification_id,
            "expires_at": change.expires_at,
        }
        writes: list[Any] = [
            {"Put": self._delivery_put(delivery)},
            {"Put": {"TableName": self._table, "Item": to_item(item)}},
        ]
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise DuplicateDelivery from None
            raise
