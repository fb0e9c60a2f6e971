"""Erasure: a contact item replaced by its tombstone, and everything else of the person removed.

`erase` is one transaction: the tombstone put over the contact item (conditional on the version
read, so that no change made meanwhile is lost), the contact's vendor-id refs deleted, and an
`erased_email` item keyed by the email's keyed hash put (imports look it up). Being a new item,
the tombstone holds none of the contact's attributes, so it is in no index: no listing or lookup
finds it, and its email, names and restore material are gone with the item.

What lives beside it in the contact's partition goes next (`purge`): history pages, and the
responses idempotency keys kept for the contact (each key leaves a pointer there,
`IdempotencyKeyStore.complete`). Then each link's vendor outcome is written on the tombstone
(`settle_link`). A vendor restore that was in flight when the erasure began and landed after it
puts its link back to `erasing` (`reopen_link`), so that the erasure's own archive comes last.
Once every vendor has answered, the `ContactErased` announcement is marked sent
(`mark_announced`), so that a redelivered stream record does not announce it again.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from contact_archive.ledger.encoding import from_item, to_item
from contact_archive.ledger.models import Contact
from contact_archive.ledger.store.keys import (
    CONTACT_TYPE,
    DUE_UPDATES,
    ERASED_CONTACT_TYPE,
    ERASED_EMAIL_TYPE,
    IDEMPOTENCY_POINTER_TYPE,
    contact_key,
    contact_pk,
    due_keys,
    due_values,
    erased_email_key,
    idempotency_key,
)
from contact_archive.ledger.store.table import ConditionFailed, Table, TransactionRefused
from contact_archive.ledger.store.vendor_refs import ref_delete
from contact_archive.ledger.tombstones import ErasedLinkState, Tombstone

ERASED_EMAILS_PROJECTION = "pk"
# A tombstone whole, by name (several are reserved words): what a job's progress reads.
TOMBSTONE_FIELDS = ("type", *Tombstone.model_fields)
TOMBSTONE_PROJECTION = ", ".join(f"#t{i}" for i in range(len(TOMBSTONE_FIELDS)))
TOMBSTONE_NAMES = {f"#t{i}": name for i, name in enumerate(TOMBSTONE_FIELDS)}


def tombstone_from_item(item: dict[str, Any]) -> Tombstone:
    return Tombstone.model_validate(from_item(item))


def is_tombstone(item: dict[str, Any]) -> bool:
    """Whether an item (or a stream image) is a tombstone."""
    kind: str | None = item.get("type", {}).get("S")
    return kind == ERASED_CONTACT_TYPE


class ErasureStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, tenant_id: str, contact_id: str) -> Tombstone | None:
        item = self._table.get(contact_key(tenant_id, contact_id), ConsistentRead=True)
        return tombstone_from_item(item) if item and is_tombstone(item) else None

    def get_many(self, tenant_id: str, contact_ids: list[str]) -> dict[str, Tombstone]:
        """{contact_id: tombstone} for those erased, one BatchGetItem per 100 ids."""
        keys = [contact_key(tenant_id, contact_id) for contact_id in dict.fromkeys(contact_ids)]
        items = self._table.batch_get(keys, TOMBSTONE_PROJECTION, TOMBSTONE_NAMES)
        found = (tombstone_from_item(item) for item in items if is_tombstone(item))
        return {tombstone.contact_id: tombstone for tombstone in found}

    def erase(self, contact: Contact, tombstone: Tombstone, *, due_at: str | None) -> bool:
        """Put the tombstone over the contact as read; False when the contact changed (or went)
        meanwhile: read it again. With links for vendors still to ask, the tombstone is due
        for the sweeper at `due_at`, should no stream record see them through."""
        key = contact_key(contact.tenant_id, contact.contact_id)
        data: dict[str, Any] = tombstone.model_dump(mode="json", exclude_none=True)
        if due_at is not None:
            data |= due_keys(contact.tenant_id, contact.contact_id, due_at)
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "Item": to_item({**data, "type": ERASED_CONTACT_TYPE}) | key,
                    "ConditionExpression": "#type = :contact AND version = :version",
                    "ExpressionAttributeNames": {"#type": "type"},
                    "ExpressionAttributeValues": {
                        ":contact": {"S": CONTACT_TYPE},
                        ":version": {"N": str(contact.version)},
                    },
                }
            },
            *(
                {"Delete": ref_delete(contact.tenant_id, contact.contact_id, vendor, vendor_id)}
                for vendor, vendor_id in {
                    (ln.vendor, ln.vendor_id) for ln in contact.links.values()
                }
            ),
        ]
        if tombstone.email_digest is not None:
            marker = erased_email_key(contact.tenant_id, tombstone.email_digest)
            writes.append(
                {
                    "Put": {
                        "Item": marker
                        | {
                            "type": {"S": ERASED_EMAIL_TYPE},
                            "erased_at": {"S": tombstone.erased_at},
                        }
                    }
                }
            )
        try:
            self._table.transact(writes)
        except TransactionRefused as refused:
            if refused.condition_failed(0):
                return False
            raise
        return True

    def purge(self, tenant_id: str, contact_id: str) -> int:
        """Delete what the contact's partition holds besides the tombstone (history pages,
        idempotency pointers) and the idempotency records the pointers name; how many items."""
        deletes: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND sk > :contact",
            "ExpressionAttributeValues": {
                ":pk": {"S": contact_pk(tenant_id, contact_id)},
                ":contact": {"S": "CONTACT"},
            },
            "ProjectionExpression": "pk, sk, #type, key_hash",
            "ExpressionAttributeNames": {"#type": "type"},
            "ConsistentRead": True,
        }
        while True:
            response = self._table.query(**query)
            for item in response.get("Items", []):
                deletes.append({"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}})
                if item.get("type", {}).get("S") == IDEMPOTENCY_POINTER_TYPE:
                    record = idempotency_key(tenant_id, item["key_hash"]["S"])
                    deletes.append({"DeleteRequest": {"Key": record}})
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        self._table.batch_write(deletes)
        return len(deletes)

    def settle_link(
        self,
        tenant_id: str,
        contact_id: str,
        link_key: str,
        state: ErasedLinkState,
        at: str,
        error: str | None = None,
        *,
        reopened: int = 0,
    ) -> bool:
        """Write what the link's vendor did, unless it was written already (False then), or
        the link was reopened since it was asked (`reopened`, as read then): that answer came
        before the restore that landed late, and the vendor is to be asked again."""
        sets = ["links.#link.#state = :state", "links.#link.settled_at = :at"]
        values: dict[str, Any] = {
            ":state": {"S": state.value},
            ":at": {"S": at},
            ":erasing": {"S": ErasedLinkState.ERASING.value},
            ":erased": {"S": ERASED_CONTACT_TYPE},
        }
        values[":reopened"] = {"N": str(reopened)}
        round_asked = (
            "(attribute_not_exists(links.#link.reopened) OR links.#link.reopened = :reopened)"
        )
        if error is not None:
            sets.append("links.#link.#error = :error")
            values[":error"] = {"S": error}
        names = {"#link": link_key, "#state": "state", "#type": "type"}
        if error is not None:
            names["#error"] = "error"
        try:
            self._table.update(
                Key=contact_key(tenant_id, contact_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=(
                    f"#type = :erased AND links.#link.#state = :erasing AND {round_asked}"
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ConditionFailed:
            return False
        return True

    def reopen_link(
        self, tenant_id: str, contact_id: str, link_key: str, vendor_id: str, due_at: str
    ) -> bool:
        """A restore sent before the erasure landed after it: the vendor shows the contact again
        (as `vendor_id`: a re-created contact has a new one, its archived predecessor stays
        archived). The link is `erasing` again, the tombstone due, so that its vendor is asked
        once more; False when the item is no tombstone or has no such link."""
        values: dict[str, Any] = {
            ":erasing": {"S": ErasedLinkState.ERASING.value},
            ":vendor_id": {"S": vendor_id},
            ":erased": {"S": ERASED_CONTACT_TYPE},
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
            **{k: {"S": v} for k, v in due_values(tenant_id, contact_id, due_at).items()},
        }
        sets = [
            "links.#link.#state = :erasing",
            "links.#link.vendor_id = :vendor_id",
            "links.#link.reopened = if_not_exists(links.#link.reopened, :zero) + :one",
        ]
        try:
            self._table.update(
                Key=contact_key(tenant_id, contact_id),
                UpdateExpression="SET "
                + ", ".join([*sets, *DUE_UPDATES])
                + " REMOVE links.#link.settled_at, links.#link.#error",
                ConditionExpression="#type = :erased AND attribute_exists(links.#link)",
                ExpressionAttributeNames={
                    "#link": link_key,
                    "#state": "state",
                    "#error": "error",
                    "#type": "type",
                },
                ExpressionAttributeValues=values,
            )
        except ConditionFailed:
            return False
        return True

    def mark_announced(self, tenant_id: str, contact_id: str, at: str) -> bool:
        """Note that the erasure's `ContactErased` went out; False when it had already (or the
        item is no tombstone)."""
        try:
            self._table.update(
                Key=contact_key(tenant_id, contact_id),
                UpdateExpression="SET announced_at = :at",
                ConditionExpression="#type = :erased AND attribute_not_exists(announced_at)",
                ExpressionAttributeNames={"#type": "type"},
                ExpressionAttributeValues={
                    ":at": {"S": at},
                    ":erased": {"S": ERASED_CONTACT_TYPE},
                },
            )
        except ConditionFailed:
            return False
        return True

    def done(self, tenant_id: str, contact_id: str) -> None:
        """Every vendor has answered: out of the due index."""
        with suppress(ConditionFailed):  # not a tombstone (any more): nothing to take out
            self._table.update(
                Key=contact_key(tenant_id, contact_id),
                UpdateExpression="REMOVE due_at, due_pk, due_sk",
                ConditionExpression="#type = :erased",
                ExpressionAttributeNames={"#type": "type"},
                ExpressionAttributeValues={":erased": {"S": ERASED_CONTACT_TYPE}},
            )

    def erased_emails(self, tenant_id: str, digests: list[str]) -> set[str]:
        """Which of these email digests belong to erased people of the tenant."""
        keys = [erased_email_key(tenant_id, digest) for digest in dict.fromkeys(digests)]
        items = self._table.batch_get(keys, ERASED_EMAILS_PROJECTION, {}) if keys else []
        prefix = f"TENANT#{tenant_id}#ERASED_EMAIL#"
        return {item["pk"]["S"].removeprefix(prefix) for item in items}
