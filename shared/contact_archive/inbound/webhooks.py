"""Inbound vendor webhooks: `POST /webhooks/{vendor}/{tenant_id}` from the vendor to the ledger.

The vendor cannot use the API's authorizer, so the URL names the tenant, and the signature proves
it: it is keyed by that tenant's own signing secret (`vendors/signing_secrets.py`: a secret of its
own deployed, apart from the vendor credentials), so a delivery signed for another tenant, or by
anyone else, never verifies here.

Order matters: the secret first (a URL without one is a 404), the signature over the raw bytes
next (401, nothing read or written), only then the body (400 if it is not the vendor's envelope).
A contact's change is applied at once (`vendor_changes.apply_vendor_report`, deduplicated by the
vendor's notification id); a change to a whole customer (Sequence `CUSTOMER_ARCHIVED`) is kept
with its delivery and fanned out by SyncFunction from the table's stream (`customer_changes.py`).

Nothing here logs or returns the body, the signature or the secret.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import SecretStr

from contact_archive.inbound.errors import (
    WebhookBodyMalformed,
    WebhookNotConfigured,
    WebhookUnauthenticated,
)
from contact_archive.inbound.vendor_changes import (
    DELIVERY_RETENTION_SECONDS,
    Applied,
    VendorReport,
    apply_vendor_report,
)
from contact_archive.ledger.errors import DuplicateDelivery
from contact_archive.ledger.models import HistoryAction, LinkState, Vendor, iso
from contact_archive.ledger.records import CustomerChange, Delivery
from contact_archive.ledger.store import LedgerStore
from contact_archive.observability import count, logger
from contact_archive.vendors.intercom import webhook as intercom_webhook
from contact_archive.vendors.sequence import webhook as sequence_webhook
from contact_archive.vendors.signing_secrets import SigningSecrets
from contact_archive.vendors.webhooks import (
    MalformedReason,
    NotificationKind,
    Subject,
    VendorNotification,
    WebhookMalformed,
    WebhookSignatureInvalid,
)

# The vendors that send webhooks; the others (Routera, Constant Contact) are polled.
WEBHOOK_VENDORS = frozenset({Vendor.INTERCOM, Vendor.SEQUENCE})
ACTOR_NAME = "webhook"
# The longest notification or vendor id taken (a key holds it; the API takes vendor ids this long).
MAX_ID_BYTES = 256
STATES = {
    NotificationKind.ARCHIVED: LinkState.ARCHIVED,
    NotificationKind.UNARCHIVED: LinkState.ACTIVE,
    NotificationKind.DELETED: LinkState.UNRECOVERABLE,
}


class WebhookOutcome(StrEnum):
    """What a delivery did: `Applied`'s outcomes, and two of its own."""

    RECORDED = Applied.RECORDED.value
    MIRRORED = Applied.MIRRORED.value
    ALREADY_KNOWN = Applied.ALREADY_KNOWN.value
    STALE = Applied.STALE.value
    NOT_LINKED = Applied.NOT_LINKED.value
    UNKNOWN_CONTACT = Applied.UNKNOWN_CONTACT.value  # recorded and ignored
    DUPLICATE = Applied.DUPLICATE.value
    IGNORED = "ignored"  # a topic this service does not act on: nothing written
    QUEUED = "queued"  # a whole customer's change: SyncFunction applies it from the stream


# Accepted, but what it asks for was not (yet) applied: unknown contact, or fanned out later.
ACCEPTED_FOR_LATER = frozenset({WebhookOutcome.UNKNOWN_CONTACT, WebhookOutcome.QUEUED})


@dataclass(frozen=True)
class InboundWebhook:
    """One request to the webhook URL, as received: nothing in it is trusted yet."""

    vendor: str  # the URL's `{vendor}`
    tenant_id: str  # the URL's `{tenant_id}` (already checked to be a well-formed tenant id)
    body: str | None  # as API Gateway hands it over
    base64_encoded: bool  # API Gateway base64-encodes bodies it does not take for text
    headers: Mapping[str, str]

    def raw_body(self, vendor: Vendor) -> bytes:
        """The bytes the vendor sent, and signed."""
        if not self.base64_encoded:
            # surrogatepass: a body with a lone surrogate cannot have been signed as sent; it
            # must fail the signature, not the encoding.
            return (self.body or "").encode("utf-8", errors="surrogatepass")
        try:
            return base64.b64decode(self.body or "", validate=True)
        except (binascii.Error, ValueError):
            raise WebhookBodyMalformed(
                f"{vendor.value} webhook refused: the body is not valid base64",
                vendor.value,
                "not_base64",
            ) from None


def webhook_vendor(name: str) -> Vendor:
    """The vendor a URL names, if it sends webhooks; else `WebhookNotConfigured` (404)."""
    vendor = next((vendor for vendor in WEBHOOK_VENDORS if vendor.value == name), None)
    if vendor is None:
        raise WebhookNotConfigured()
    return vendor


def signing_secret(secrets: SigningSecrets, tenant_id: str, vendor: Vendor) -> SecretStr:
    """The tenant's signing secret for `vendor`; `WebhookNotConfigured` (404) when it has none."""
    try:
        secret = secrets.signing_secret(tenant_id, vendor)
    except ValueError:
        # The stored credentials do not parse: an operator's problem, not the sender's.
        logger.warning(
            "webhook credentials are invalid",
            extra={"tenant_id": tenant_id, "vendor": vendor.value},
        )
        raise WebhookNotConfigured() from None
    if secret is None:
        raise WebhookNotConfigured()
    return secret


def check_endpoint(secrets: SigningSecrets, vendor_name: str, tenant_id: str) -> Vendor:
    """Intercom's `HEAD` check: the URL answers only where a secret is configured."""
    vendor = webhook_vendor(vendor_name)
    signing_secret(secrets, tenant_id, vendor)
    return vendor


def receive_webhook(
    store: LedgerStore, secrets: SigningSecrets, request: InboundWebhook, *, now: datetime
) -> WebhookOutcome:
    """Verify, parse and apply one delivery. `now` (timezone-aware) is the time the request
    arrived: Sequence's replay window is measured from it, and history events carry it."""
    vendor = webhook_vendor(request.vendor)
    secret = signing_secret(secrets, request.tenant_id, vendor)
    where = {"tenant_id": request.tenant_id, "vendor": vendor.value}
    body = request.raw_body(vendor)
    try:
        notification = _verified_notification(vendor, body, request.headers, secret, now)
    except WebhookSignatureInvalid as refused:
        logger.info("webhook refused", extra={**where, "reason": refused.reason.value})
        count("WebhookRefused")
        raise WebhookUnauthenticated(str(refused), vendor.value, refused.reason.value) from None
    except WebhookMalformed as malformed:
        logger.info("webhook malformed", extra={**where, "reason": malformed.reason.value})
        count("WebhookMalformed")
        raise WebhookBodyMalformed(str(malformed), vendor.value, malformed.reason.value) from None
    where["notification_id"] = notification.notification_id
    outcome = _apply(store, request.tenant_id, notification, now)
    logger.info(
        "webhook received",
        extra={**where, "topic": notification.topic[:64], "outcome": outcome.value},
    )
    return outcome


def _verified_notification(
    vendor: Vendor, body: bytes, headers: Mapping[str, str], secret: SecretStr, now: datetime
) -> VendorNotification:
    """The signature first, over the exact bytes received; the body is read only once it holds."""
    if vendor is Vendor.INTERCOM:
        intercom_webhook.verify(body, headers, secret)
        delivered_at = None
    else:
        delivered_at = sequence_webhook.verify(body, headers, secret, now)
    try:
        if delivered_at is None:
            notification = intercom_webhook.parse(body)
        else:
            notification = sequence_webhook.parse(body, delivered_at=delivered_at)
    except WebhookMalformed:
        raise
    except (ValueError, OverflowError, OSError):
        # A signed body with values no envelope has (a time past year 9999, a model refusing
        # a field): malformed, never a crash.
        raise WebhookMalformed(
            vendor, MalformedReason.BAD_ITEM, "a value is out of range"
        ) from None
    ids = (notification.notification_id, notification.vendor_id or "")
    if any(len(value.encode()) > MAX_ID_BYTES for value in ids):
        # Ids become parts of table keys, which have a size limit.
        raise WebhookMalformed(vendor, MalformedReason.BAD_ITEM, "an id is too long")
    return notification


def _apply(
    store: LedgerStore, tenant_id: str, notification: VendorNotification, now: datetime
) -> WebhookOutcome:
    subject_id, occurred_at = notification.vendor_id, notification.occurred_at
    # Any kind but IGNORED has both (the model validates it).
    if notification.kind is NotificationKind.IGNORED or subject_id is None or occurred_at is None:
        return WebhookOutcome.IGNORED
    state = STATES[notification.kind]
    if notification.subject is Subject.CUSTOMER:
        change = CustomerChange(
            tenant_id=tenant_id,
            vendor=notification.vendor,
            customer_id=subject_id,
            state=state,
            occurred_at=occurred_at,
            topic=notification.topic,
            notification_id=notification.notification_id,
            # On the wall clock, as the store's duplicate check reads it.
            expires_at=int(time.time()) + DELIVERY_RETENTION_SECONDS,
        )
        return _queue_customer_change(store, change, now)
    report = VendorReport(
        tenant_id=tenant_id,
        vendor=notification.vendor,
        vendor_id=subject_id,
        state=state,
        occurred_at=occurred_at,
        action=HistoryAction.VENDOR_CHANGED,
        actor_name=ACTOR_NAME,
        details={"topic": notification.topic, "notification_id": notification.notification_id},
    )
    applied = apply_vendor_report(
        store, report, notification_id=notification.notification_id, clock=lambda: now
    )
    return WebhookOutcome(applied.outcome.value)


def _queue_customer_change(
    store: LedgerStore, change: CustomerChange, now: datetime
) -> WebhookOutcome:
    delivery = Delivery(
        tenant_id=change.tenant_id,
        vendor=change.vendor,
        notification_id=change.notification_id,
        outcome=WebhookOutcome.QUEUED.value,
        at=iso(now),
        expires_at=change.expires_at,
    )
    try:
        store.deliveries.queue_customer_change(change, delivery)
    except DuplicateDelivery:
        return WebhookOutcome.DUPLICATE
    return WebhookOutcome.QUEUED
