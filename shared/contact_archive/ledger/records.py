"""The ledger's records besides contacts: vendor deliveries and customer changes (inbound),
reconciliation watermarks, and idempotency keys. Plain values; the store reads and writes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contact_archive.ledger.models import LinkState, Vendor


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
class CustomerChange:
    """A vendor changed every contact of one of its customers (Sequence `CUSTOMER_ARCHIVED`).

    The ledger has no index by a link's scope, so the webhook only keeps this item; its stream
    record has SyncFunction list the customer's contacts at the vendor and apply each one
    (`inbound/customer_changes.py`). Kept until `expires_at`, like the delivery it came with."""

    tenant_id: str
    vendor: Vendor
    customer_id: str  # the scope of the links it concerns (`VendorLink.scope`)
    state: LinkState
    occurred_at: str
    topic: str
    notification_id: str
    expires_at: int


@dataclass(frozen=True)
class Watermark:
    """How far reconciliation of one tenant's vendor has got (`inbound/reconcile.py`)."""

    tenant_id: str
    vendor: Vendor
    cursor: str | None = None  # where the current pass stopped; None: the next run starts one
    high_water: str | None = None  # a pass looks for vendor changes after this time
    pass_started_at: str | None = None  # when the current pass began
    passes: int = 0  # passes completed
    version: int = 0  # +1 on every save


@dataclass(frozen=True)
class IdempotencyRecord:
    """An Idempotency-Key someone claimed: its request, and its response once completed."""

    request_hash: str
    state: str  # "in_progress" or "completed"
    status_code: int | None
    response: dict[str, Any] | None
