"""Intercom webhooks: `X-Hub-Signature` verification and the `notification_event` envelope.

Signature (`VENDORS.md`; Intercom's "Signed notifications"): `X-Hub-Signature: sha1=<hex>`, the
hex HMAC-SHA1 of the raw body keyed by the app's client secret. Intercom signs no timestamp, so
replays cannot be refused by age here; deduplication by notification id is what stops them.

Topics acted on: `contact.archived`, `contact.unarchived`, `contact.deleted`; every other topic
(`ping`, conversations, ...) is acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import iso_from_unix
from contact_archive.vendors.webhooks import (
    MalformedReason,
    NotificationKind,
    SignatureFailure,
    Subject,
    VendorNotification,
    WebhookMalformed,
    WebhookSignatureInvalid,
    header,
    hmac_hex,
    is_hex,
    load_object,
    require_secret,
    signatures_match,
)

VENDOR = Vendor.INTERCOM
SIGNATURE_HEADER = "X-Hub-Signature"
_SCHEME = "sha1"
_SHA1_HEX_LENGTH = 40

TOPICS: dict[str, NotificationKind] = {
    "contact.archived": NotificationKind.ARCHIVED,
    "contact.unarchived": NotificationKind.UNARCHIVED,
    "contact.deleted": NotificationKind.DELETED,
}


def signature(raw_body: bytes, secret: SecretStr) -> str:
    """The `X-Hub-Signature` value Intercom sends for this body (also used to sign test
    deliveries in `devtools/webhooks.py`)."""
    return f"{_SCHEME}={hmac_hex(secret, raw_body, hashlib.sha1)}"


def verify(raw_body: bytes, headers: Mapping[str, str], secret: SecretStr) -> None:
    """Accept the delivery only if `X-Hub-Signature` is the HMAC-SHA1 of these exact bytes.

    Raises `WebhookSignatureInvalid` with the reason; returns nothing when the signature holds."""
    require_secret(VENDOR, secret)
    value = header(VENDOR, headers, SIGNATURE_HEADER)
    if value is None:
        raise WebhookSignatureInvalid(
            VENDOR, SignatureFailure.MISSING_HEADER, f"no {SIGNATURE_HEADER} header"
        )
    scheme, separator, given = value.strip().partition("=")
    if not separator or scheme.lower() != _SCHEME or not is_hex(given, _SHA1_HEX_LENGTH):
        raise WebhookSignatureInvalid(
            VENDOR,
            SignatureFailure.MALFORMED_HEADER,
            f"{SIGNATURE_HEADER} is not sha1=<40 hex digits>",
        )
    expected = hmac_hex(secret, raw_body, hashlib.sha1)
    if not signatures_match(expected, given):
        raise WebhookSignatureInvalid(
            VENDOR, SignatureFailure.MISMATCH, "signature does not match the body"
        )


def parse(raw_body: bytes) -> VendorNotification:
    """A verified body as a `VendorNotification`; `WebhookMalformed` if it is not an envelope.

    The envelope must have `type: notification_event`, `id`, `topic` and `app_id`. A contact topic
    also needs `created_at` (UNIX seconds) and `data.item` with `type: contact` and an `id`."""
    document = load_object(VENDOR, raw_body)
    if document.get("type") != "notification_event":
        raise _malformed(MalformedReason.NOT_ENVELOPE, "type is not notification_event")
    notification_id = _text(document, "id")
    topic = _text(document, "topic")
    app_id = _text(document, "app_id")
    created_at = document.get("created_at")
    # bool is an int in Python; `true` is not a time.
    if created_at is not None and (not isinstance(created_at, int) or isinstance(created_at, bool)):
        raise _malformed(MalformedReason.NOT_ENVELOPE, "created_at is not UNIX seconds")
    occurred_at = iso_from_unix(created_at)

    kind = TOPICS.get(topic)
    if kind is None:
        return VendorNotification(
            vendor=VENDOR,
            notification_id=notification_id,
            topic=topic,
            kind=NotificationKind.IGNORED,
            vendor_account_id=app_id,
            occurred_at=occurred_at,
        )
    if occurred_at is None:
        raise _malformed(MalformedReason.NOT_ENVELOPE, f"{topic} without created_at")
    return VendorNotification(
        vendor=VENDOR,
        notification_id=notification_id,
        topic=topic,
        kind=kind,
        subject=Subject.CONTACT,
        vendor_id=_contact_id(document, kind),
        vendor_account_id=app_id,
        occurred_at=occurred_at,
    )


def _contact_id(document: Mapping[str, Any], kind: NotificationKind) -> str:
    """The contact's id from `data.item`, refusing an item that contradicts its topic.

    Intercom does not document these items in 2.10; we accept the spec's `contact_archived`,
    `contact_unarchived` and `contact_deleted` shapes and a full `contact` (no flags at all), and
    refuse only a flag that says the opposite of the topic."""
    data = document.get("data")
    item = data.get("item") if isinstance(data, Mapping) else None
    if not isinstance(item, Mapping):
        raise _malformed(MalformedReason.NOT_ENVELOPE, "no data.item object")
    if item.get("type") != "contact":
        raise _malformed(MalformedReason.BAD_ITEM, "data.item is not a contact")
    contact_id = item.get("id")
    if not isinstance(contact_id, str) or not contact_id:
        raise _malformed(MalformedReason.BAD_ITEM, "data.item has no id")
    contradiction = {
        NotificationKind.ARCHIVED: ("archived", False),
        NotificationKind.UNARCHIVED: ("archived", True),
        NotificationKind.DELETED: ("deleted", False),
    }[kind]
    if contradiction[0] in item and item[contradiction[0]] is contradiction[1]:
        raise _malformed(
            MalformedReason.BAD_ITEM, f"data.item {contradiction[0]} contradicts the topic"
        )
    return contact_id


def _text(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(MalformedReason.NOT_ENVELOPE, f"no {key}")
    return value


def _malformed(reason: MalformedReason, detail: str) -> WebhookMalformed:
    return WebhookMalformed(VENDOR, reason, detail)
