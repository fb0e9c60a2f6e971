"""Tenant settings: one item per tenant holding the choices it made (its vendor-change policy)."""

from __future__ import annotations

from contact_archive.ledger.models import VendorChangePolicy
from contact_archive.ledger.store.keys import SETTINGS_TYPE, settings_key
from contact_archive.ledger.store.table import Table


class TenantSettingsStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def vendor_change_policy(self, tenant_id: str) -> VendorChangePolicy:
        """The tenant's policy for vendor-originated changes; `record` unless it chose one."""
        item = self._table.get(settings_key(tenant_id), ProjectionExpression="vendor_change_policy")
        chosen = (item or {}).get("vendor_change_policy", {}).get("S")
        return VendorChangePolicy(chosen) if chosen else VendorChangePolicy.RECORD

    def set_vendor_change_policy(
        self, tenant_id: str, policy: VendorChangePolicy, *, at: str
    ) -> None:
        self._table.update(
            Key=settings_key(tenant_id),
            UpdateExpression="SET #type = :type, vendor_change_policy = :policy, updated_at = :at",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues={
                ":type": {"S": SETTINGS_TYPE},
                ":policy": {"S": policy.value},
                ":at": {"S": at},
            },
        )
