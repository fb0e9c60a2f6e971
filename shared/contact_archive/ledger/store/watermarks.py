"""Reconciliation watermarks: where each tenant's vendor check stands, and who holds it.

One item per tenant and vendor (`inbound/reconcile.py`). A run claims it with a conditional
write and a lease, so overlapping runs never work on the same tenant's vendor, and saves it (and
releases the claim) when it stops, only if it still holds it.
"""

from __future__ import annotations

from typing import Any

from contact_archive.ledger.encoding import from_item, to_attribute
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.records import Watermark
from contact_archive.ledger.store.keys import RECONCILE_TYPE, watermark_key
from contact_archive.ledger.store.table import ConditionFailed, Table


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


class WatermarkStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def claim(
        self, tenant_id: str, vendor: Vendor, *, run_id: str, now: str, lease_until: str
    ) -> Watermark | None:
        """Take the tenant's vendor for one run, until `lease_until` (ISO 8601 UTC), and read
        where it stands, in one conditional write. None when another run holds it: two
        overlapping runs never check, nor advance, the same tenant's vendor at once."""
        try:
            response = self._table.update(
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
        except ConditionFailed:
            return None
        return _watermark_from_item(response["Attributes"])

    def save(self, watermark: Watermark, *, run_id: str, now: str) -> bool:
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
            self._table.update(
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
        except ConditionFailed:
            return False
        return True

    def get(self, tenant_id: str, vendor: Vendor) -> Watermark | None:
        item = self._table.get(watermark_key(tenant_id, vendor), ConsistentRead=True)
        return _watermark_from_item(item) if item else None
