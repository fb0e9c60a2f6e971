"""A vendor change to a whole customer, fanned out to its contacts (SyncFunction, from the stream).

Sequence's `CUSTOMER_ARCHIVED` names a customer, not a contact: every link scoped to that
customer is archived at Sequence. The ledger has no index by scope, so the webhook only keeps a
`CustomerChange` item (with its delivery, in one write) and answers at once; that item's stream
record lands here. The customer's contacts are listed through the vendor's client and each one
is applied as a vendor report of its own, under the notification id `<notification>:<contact>`,
so a redelivered stream record (a retry, a redrive) applies nothing twice.

A transient vendor error fails the record, which the stream retries; a tenant without
credentials, or a customer the vendor no longer lists, is logged and dropped: retrying would
not help.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from contact_archive.inbound.vendor_changes import Applied, VendorReport, apply_vendor_report
from contact_archive.ledger.models import Clock, HistoryAction, utc_now
from contact_archive.ledger.records import CustomerChange
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.deliveries import customer_change_from_item
from contact_archive.ledger.store.keys import CUSTOMER_CHANGE_TYPE
from contact_archive.observability import count, logger
from contact_archive.vendors.client import ClientFor, all_contacts
from contact_archive.vendors.errors import PermanentVendorError, VendorNotConfigured, VendorNotFound

WEBHOOK_ACTOR = "webhook"


def customer_change_of(record: dict[str, Any]) -> CustomerChange | None:
    """The change a stream record carries, if it is the insert of a customer change item."""
    images = record.get("dynamodb") or {}
    image = images.get("NewImage")
    if not image or image.get("type", {}).get("S") != CUSTOMER_CHANGE_TYPE:
        return None
    if record.get("eventName", "INSERT") != "INSERT":
        return None  # its expiry (REMOVE) or a rewrite: nothing to do again
    return customer_change_from_item(image)


def apply_customer_change(
    store: LedgerStore, client_for: ClientFor, change: CustomerChange, *, clock: Clock = utc_now
) -> Counter[Applied]:
    """Apply `change` to each contact the vendor lists for the customer; what each one did."""
    outcomes: Counter[Applied] = Counter()
    where = {
        "tenant_id": change.tenant_id,
        "vendor": change.vendor.value,
        "notification_id": change.notification_id,
    }
    try:
        client = client_for(change.tenant_id, change.vendor)
        contacts = list(all_contacts(client, change.customer_id))
    except (VendorNotConfigured, PermanentVendorError, VendorNotFound) as error:
        logger.warning("customer change dropped", extra={**where, "error": type(error).__name__})
        count("CustomerChangeDropped")
        return outcomes
    for contact in contacts:
        report = VendorReport(
            tenant_id=change.tenant_id,
            vendor=change.vendor,
            vendor_id=contact.vendor_id,
            state=change.state,
            occurred_at=change.occurred_at,
            action=HistoryAction.VENDOR_CHANGED,
            actor_name=WEBHOOK_ACTOR,
            details={
                "topic": change.topic,
                "notification_id": change.notification_id,
                "customer_id": change.customer_id,
            },
        )
        applied = apply_vendor_report(
            store,
            report,
            notification_id=f"{change.notification_id}:{contact.vendor_id}",
            clock=clock,
        )
        outcomes[applied.outcome] += 1
    logger.info(
        "customer change applied",
        extra={**where, "contacts": len(contacts), **{k.value: v for k, v in outcomes.items()}},
    )
    for outcome, number in outcomes.items():
        count(f"Webhook{outcome.value.title().replace('_', '')}", number)
    return outcomes
