"""Deliveries and customer changes: what vendors told the ledger, kept for a while.

A delivery is a vendor notification already applied, kept (TTL) so that a redelivery changes
nothing: its conditional put is part of the write that applies it (`links.py` for a contact's
change). A customer change is a vendor's change to a whole customer, kept with its delivery for
SyncFunction to fan out from the item's stream record (`inbound/customer_changes.py`).
"""

from __future__ import annotations

import time
from typing import Any

from contact_archive.ledger.encoding import from_item, to_item
from contact_archive.ledger.errors import DuplicateDelivery
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.records import CustomerChange, Delivery
from contact_archive.ledger.store.keys import (
    CUSTOMER_CHANGE_TYPE,
    DELIVERY_TYPE,
    customer_change_pk,
    delivery_pk,
)
from contact_archive.ledger.store.table import ConditionFailed, Table, TransactionRefused


def delivery_put(delivery: Delivery) -> dict[str, Any]:
    """The put that keeps `delivery`, refused when the same notification was kept before."""
    item = {
        "pk": delivery_pk(delivery.tenant_id, delivery.vendor, delivery.notification_id),
        "sk": "DELIVERY",
        "type": DELIVERY_TYPE,
        "tenant_id": delivery.tenant_id,
        "vendor": delivery.vendor.value,
        "notification_id": delivery.notification_id,
        "outcome": delivery.outcome,
        "at": delivery.at,
        "expires_at": delivery.expires_at,
    }
    return {
        "Item": to_item(item),
        # A kept delivery past its TTL but not yet removed no longer counts.
        "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
        "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
    }


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


class DeliveryStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def claim(self, delivery: Delivery) -> None:
        """Keep a notification that changes nothing; `DuplicateDelivery` if it came before."""
        try:
            self._table.put(**delivery_put(delivery))
        except ConditionFailed:
            raise DuplicateDelivery from None

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
        try:
            self._table.transact(
                [{"Put": delivery_put(delivery)}, {"Put": {"Item": to_item(item)}}]
            )
        except TransactionRefused as refused:
            if refused.condition_failed(0):
                raise DuplicateDelivery from None
            raise
