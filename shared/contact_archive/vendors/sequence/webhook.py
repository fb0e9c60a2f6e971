"""Sequence webhooks: `Sequence-Signature` verification and the notification envelope.

What Sequence documents (docs.sequencehq.com "Webhooks" and "Webhook events"; `VENDORS.md`; the
`NotificationType` enum and `webhookSecret` of `vendor-specs/sequence-2024-07-30.json`):

- header `Sequence-Signature: t=<unix ms>,s=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed by the
  notification policy's `webhookSecret`; `t` is the delivery time;
- body `{notificationType, sequenceAccountId, resourceType?, resourceId?, resource?}`, where
  `resource` is the state of the resource the notification is about.

Only `CUSTOMER_ARCHIVED` concerns contacts: it names a customer, and archives every link scoped
to that customer. Sequence has no notification for a single contact; every other type is ignored.

Not documented, so decided here:
- a replay window: Sequence names none; we refuse `t` more than 5 minutes old or ahead;
- a notification id: the envelope has none, so the body's SHA-256 stands in (a retry of the same
  body is a duplicate; `t` is per delivery and is left out);
- a time of the change: the envelope has none; `resource.archivedAt` when present, else `t`;
- which id names the customer: `resource` is a `Customer`, whose `id` is the customer id; the
  docs' only example has a `resourceId` that differs from `resource.id`, so `resourceId` is used
  only when there is no `resource`;
- `CUSTOMER_DELETED` appears in an older version of the docs' event list but not in the 2024-07-30
  `NotificationType` enum: it is ignored like any other type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from contact_archive.ledger.models import Vendor, iso
from contact_archive.vendors.canonical import iso_from_text
from contact_archive.vendors.webhooks import (
    MalformedReason,
    NotificationKind,
    SignatureFailure,
    Subject,
    VendorNotification,
    WebhookMalformed,
    WebhookSignatureInvalid,
    body_digest,
    header,
    hmac_hex,
    is_hex,
    load_object,
    require_secret,
    signatures_match,
)

VENDOR = Vendor.SEQUENCE
SIGNATURE_HEADER = "Sequence-Signature"
TOLERANCE = timedelta(minutes=5)
CUSTOMER_ARCHIVED = "CUSTOMER_ARCHIVED"
_SHA256_HEX_LENGTH = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
# 13 digits covers every millisecond timestamp until the year 2286; more is not a timestamp.
_MAX_TIMESTAMP_DIGITS = 13


def signature(raw_body: bytes, secret: SecretStr, timestamp_ms: int) -> str:
    """The `Sequence-Signature` value Sequence sends for this body at `timestamp_ms` (also used
    to sign test deliveries in `devtools/webhooks.py`)."""
    return f"t={timestamp_ms},s={_digest(raw_body, secret, str(timestamp_ms))}"


def unix_ms(moment: datetime) -> int:
    """A timezone-aware datetime as whole UNIX milliseconds, without float rounding."""
    if moment.tzinfo is None:
        raise ValueError("sequence webhook: `now` must be timezone-aware")
    return (moment - _EPOCH) // _MILLISECOND


def verify(
    raw_body: bytes, headers: Mapping[str, str], secret: SecretStr, now: datetime
) -> datetime:
    """Accept the delivery only if the signature over `t.body` holds and `t` is within 5 minutes
    of `now` either way. Returns the signed delivery time, which `parse` needs.

    The signature is checked before the time, so a stale timestamp is reported only for a
    delivery Sequence really sent (a replay), and a forgery is always a mismatch."""
    require_secret(VENDOR, secret)
    value = header(VENDOR, headers, SIGNATURE_HEADER)
    if value is None:
        raise WebhookSignatureInvalid(
            VENDOR, SignatureFailure.MISSING_HEADER, f"no {SIGNATURE_HEADER} header"
        )
    timestamp, candidates = _parse_header(value)
    expected = _digest(raw_body, secret, timestamp)
    # Every candidate is compared (no early exit), in case Sequence ever sends one per secret.
    matched = [signatures_match(expected, candidate) for candidate in candidates]
    if not any(matched):
        raise WebhookSignatureInvalid(
            VENDOR, SignatureFailure.MISMATCH, "signature does not match the body"
        )
    age_ms = unix_ms(now) - int(timestamp)
    window_ms = TOLERANCE // _MILLISECOND
    if age_ms > window_ms:
        raise WebhookSignatureInvalid(
            VENDOR, SignatureFailure.TIMESTAMP_TOO_OLD, "timestamp older than 5 minutes"
        )
    if -age_ms > window_ms:
        raise WebhookSignatureInvalid(
            VENDOR, SignatureFailure.TIMESTAMP_IN_FUTURE, "timestamp more than 5 minutes ahead"
        )
    return _EPOCH + int(timestamp) * _MILLISECOND


def parse(raw_body: bytes, *, delivered_at: datetime) -> VendorNotification:
    """A verified body as a `VendorNotification`; `WebhookMalformed` if it is not an envelope.

    `delivered_at` is what `verify` returned: the envelope itself carries no time."""
    document = load_object(VENDOR, raw_body)
    notification_type = _text(document, "notificationType")
    account_id = _text(document, "sequenceAccountId")
    resource = document.get("resource")
    if resource is not None and not isinstance(resource, Mapping):
        raise _malformed(MalformedReason.NOT_ENVELOPE, "resource is not an object")
    for key in ("resourceType", "resourceId"):
        if document.get(key) is not None and not isinstance(document[key], str):
            raise _malformed(MalformedReason.NOT_ENVELOPE, f"{key} is not a string")

    if notification_type != CUSTOMER_ARCHIVED:
        return VendorNotification(
            vendor=VENDOR,
            notification_id=body_digest(raw_body),
            topic=notification_type,
            kind=NotificationKind.IGNORED,
            vendor_account_id=account_id,
            occurred_at=iso(delivered_at),
        )
    return VendorNotification(
        vendor=VENDOR,
        notification_id=body_digest(raw_body),
        topic=notification_type,
        kind=NotificationKind.ARCHIVED,
        subject=Subject.CUSTOMER,
        vendor_id=_customer_id(document, resource),
        vendor_account_id=account_id,
        occurred_at=_archived_at(resource) or iso(delivered_at),
    )


def _parse_header(value: str) -> tuple[str, list[str]]:
    """`t=<digits>,s=<64 hex>` into the timestamp and the signature(s).

    Exactly one `t`; one or more `s`; other keys are ignored, so a scheme Sequence extends later
    (as Stripe's did) still verifies. Anything else is malformed."""
    timestamps: list[str] = []
    candidates: list[str] = []
    for part in value.split(","):
        key, separator, item = part.strip().partition("=")
        if not separator:
            raise _bad_header("an element is not key=value")
        if key == "t":
            timestamps.append(item)
        elif key == "s":
            candidates.append(item)
    if len(timestamps) != 1 or not candidates:
        raise _bad_header("needs one t= and an s=")
    timestamp = timestamps[0]
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise _bad_header("t is not UNIX milliseconds")
    if not all(is_hex(candidate, _SHA256_HEX_LENGTH) for candidate in candidates):
        raise _bad_header("s is not 64 hex digits")
    return timestamp, candidates


def _digest(raw_body: bytes, secret: SecretStr, timestamp: str) -> str:
    # The timestamp exactly as sent: re-formatting it could change the signed bytes.
    return hmac_hex(secret, timestamp.encode("ascii") + b"." + raw_body, hashlib.sha256)


def _customer_id(document: Mapping[str, Any], resource: Mapping[str, Any] | None) -> str:
    customer_id = resource.get("id") if resource is not None else document.get("resourceId")
    if not isinstance(customer_id, str) or not customer_id:
        raise _malformed(MalformedReason.BAD_ITEM, "CUSTOMER_ARCHIVED names no customer id")
    return customer_id


def _archived_at(resource: Mapping[str, Any] | None) -> str | None:
    archived_at = resource.get("archivedAt") if resource is not None else None
    if archived_at is None:
        return None
    if not isinstance(archived_at, str):
        raise _malformed(MalformedReason.BAD_ITEM, "resource.archivedAt is not a timestamp")
    try:
        return iso_from_text(archived_at)
    except ValueError:
        raise _malformed(
            MalformedReason.BAD_ITEM, "resource.archivedAt is not a timestamp"
        ) from None


def _text(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(MalformedReason.NOT_ENVELOPE, f"no {key}")
    return value


def _bad_header(detail: str) -> WebhookSignatureInvalid:
    return WebhookSignatureInvalid(
        VENDOR, SignatureFailure.MALFORMED_HEADER, f"{SIGNATURE_HEADER}: {detail}"
    )


def _malformed(reason: MalformedReason, detail: str) -> WebhookMalformed:
    return WebhookMalformed(VENDOR, reason, detail)
