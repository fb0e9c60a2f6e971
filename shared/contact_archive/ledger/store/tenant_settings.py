"""Tenant settings: one item per tenant holding the choices it made (its vendor-change policy,
how long archived contacts are kept before they are erased)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contact_archive.ledger.models import VendorChangePolicy
from contact_archive.ledger.store.keys import SETTINGS_TYPE, settings_key
from contact_archive.ledger.store.table import Table

DEFAULT_RETENTION_DAYS = 365


@dataclass(frozen=True)
class TenantSettings:
    vendor_change_policy: VendorChangePolicy = VendorChangePolicy.RECORD
    # Archived contacts are erased this long after they were archived (`sync/retention.py`).
    archived_retention_days: int = DEFAULT_RETENTION_DAYS


class TenantSettingsStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings; the defaults for what it never chose."""
        item = self._table.get(
            settings_key(tenant_id),
            ProjectionExpression="vendor_change_policy, archived_retention_days",
        )
        return _settings_of(item or {})

    def vendor_change_policy(self, tenant_id: str) -> VendorChangePolicy:
        """The tenant's policy for vendor-originated changes; `record` unless it chose one."""
        return self.get(tenant_id).vendor_change_policy

    def update(
        self,
        tenant_id: str,
        *,
        at: str,
        vendor_change_policy: VendorChangePolicy | None = None,
        archived_retention_days: int | None = None,
    ) -> TenantSettings:
        """Set the settings given, leave the others; the settings as they now are."""
        sets = ["#type = :type", "updated_at = :at"]
        values: dict[str, Any] = {":type": {"S": SETTINGS_TYPE}, ":at": {"S": at}}
        if vendor_change_policy is not None:
            sets.append("vendor_change_policy = :policy")
            values[":policy"] = {"S": vendor_change_policy.value}
        if archived_retention_days is not None:
            sets.append("archived_retention_days = :days")
            values[":days"] = {"N": str(archived_retention_days)}
        response = self._table.update(
            Key=settings_key(tenant_id),
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return _settings_of(response["Attributes"])


def _settings_of(item: dict[str, Any]) -> TenantSettings:
    policy = item.get("vendor_change_policy", {}).get("S")
    days = item.get("archived_retention_days", {}).get("N")
    return TenantSettings(
        vendor_change_policy=VendorChangePolicy(policy) if policy else VendorChangePolicy.RECORD,
        archived_retention_days=int(days) if days else DEFAULT_RETENTION_DAYS,
    )
