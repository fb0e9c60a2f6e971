"""Vendor-id refs: one item per (tenant, vendor, vendor id) naming the contact it belongs to.

They make a vendor id unique within a tenant and let webhooks, reconciliation and import find a
contact by a vendor's id without a scan. They are written in the same transaction as the contact
(`contacts.py`, `links.py`); a ref of an old id stays, since it still names the same person.
"""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store.keys import VENDOR_REF_TYPE, vendor_ref_key
from contact_archive.ledger.store.table import Table


def ref_put(tenant_id: str, contact_id: str, vendor: Vendor, vendor_id: str) -> dict[str, Any]:
    """The write that gives `vendor_id` to the contact, unless another contact holds it."""
    return {
        "Item": {
            **vendor_ref_key(tenant_id, vendor, vendor_id),
            "type": {"S": VENDOR_REF_TYPE},
            "tenant_id": {"S": tenant_id},
            "contact_id": {"S": contact_id},
            "vendor": {"S": vendor.value},
            "vendor_id": {"S": vendor_id},
        },
        "ConditionExpression": "attribute_not_exists(pk) OR contact_id = :me",
        "ExpressionAttributeValues": {":me": {"S": contact_id}},
    }


def ref_delete(tenant_id: str, contact_id: str, vendor: Vendor, vendor_id: str) -> dict[str, Any]:
    """The write that frees `vendor_id`, if the contact holds it."""
    return {
        "Key": vendor_ref_key(tenant_id, vendor, vendor_id),
        "ConditionExpression": "attribute_not_exists(pk) OR contact_id = :me",
        "ExpressionAttributeValues": {":me": {"S": contact_id}},
    }


class VendorRefStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def find(self, tenant_id: str, vendor: Vendor, vendor_id: str) -> str | None:
        """The id of the tenant's contact linked to `vendor_id`, if any."""
        item = self._table.get(
            vendor_ref_key(tenant_id, vendor, vendor_id),
            ProjectionExpression="contact_id",
            ConsistentRead=True,
        )
        return item["contact_id"]["S"] if item else None

    def find_many(self, tenant_id: str, vendor: Vendor, vendor_ids: list[str]) -> dict[str, str]:
        """{vendor_id: contact_id} for those of `vendor_ids` the tenant has linked: one
        BatchGetItem per 100 ids (a vendor's page of contacts), not a read per id."""
        keys = [
            vendor_ref_key(tenant_id, vendor, vendor_id) for vendor_id in dict.fromkeys(vendor_ids)
        ]
        return {
            item["vendor_id"]["S"]: item["contact_id"]["S"]
            for item in self._table.batch_get(keys, "vendor_id, contact_id", {})
        }
