"""Sequence's webhook deliveries for the shared webhook tests: `Sequence-Signature: t=<unix
ms>,s=<hex>`, the HMAC-SHA256 of `t.body` taken within five minutes, and its notification
envelope."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.sequence import webhook
from contact_archive.vendors.webhooks import MalformedReason
from devtools.webhooks import TEST_WEBHOOK_SECRET
from tests.vendors.deliveries import NotEnvelope, Tamper, WebhookCase, changed, without
from tests.vendors.recorded import RecordedPayloads
from tests.vendors.sequence import CUSTOMER_ID, DELIVERED_AT

RECORDED = RecordedPayloads(__file__)
SECRET = SecretStr(TEST_WEBHOOK_SECRET)
BODY = RECORDED.load_bytes("webhook_customer_archived")
T = 1_756_382_430_123  # DELIVERED_AT in UNIX milliseconds
NOW = DELIVERED_AT
S = "0" * 64
NOT_ENVELOPE = MalformedReason.NOT_ENVELOPE
BAD_ITEM = MalformedReason.BAD_ITEM


def sign(body: bytes, secret: str = TEST_WEBHOOK_SECRET, t: int = T) -> dict[str, str]:
    """The header as Sequence documents it, computed here independently of the module."""
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Sequence-Signature": f"t={t},s={digest}", "Content-Type": "application/json"}


def verify(body: bytes, headers: Mapping[str, str], secret: SecretStr, late: timedelta) -> datetime:
    return webhook.verify(body, headers, secret, NOW + late)


SEQUENCE = WebhookCase(
    vendor=Vendor.SEQUENCE,
    header="Sequence-Signature",
    body=BODY,
    sign=sign,
    signature=lambda body, secret: webhook.signature(body, secret, T),
    verify=verify,
    verified=DELIVERED_AT,  # the signed time
    parse=lambda body: webhook.parse(body, delivered_at=NOW),
    forged=f"t={T},s={'ab' * 32}",
    malformed=(
        ("", "empty"),
        ("garbage", "garbage"),
        (f"t={T}", "no s"),
        (f"s={S}", "no t"),
        (f"t=,s={S}", "empty t"),
        (f"t=abc,s={S}", "t not a number"),
        (f"t=-5,s={S}", "negative t"),
        (f"t=1.5,s={S}", "fractional t"),
        (f"t=\uff11\uff12\uff13,s={S}", "non-ascii digits"),  # str.isdigit() is True for them
        (f"t={'9' * 14},s={S}", "t too long"),
        (f"t={T},t={T},s={S}", "two t"),
        (f"t={T},s={'0' * 63}", "short s"),
        (f"t={T},s={'z' * 64}", "s not hex"),
        (f"t={T},s={'é' * 64}", "s not ascii"),
        (f"t={T};s={S}", "wrong separator"),
    ),
    tampered=(
        Tamper(
            lambda body: body.replace(CUSTOMER_ID.encode(), (CUSTOMER_ID[:-1] + "6").encode()),
            0,
            "customer id changed by one digit",
        ),
    ),
    replay_window=webhook.TOLERANCE,
    not_envelopes=(
        NotEnvelope(without(BODY, "notificationType"), NOT_ENVELOPE, "no notificationType"),
        NotEnvelope(changed(BODY, notificationType=""), NOT_ENVELOPE, "empty notificationType"),
        NotEnvelope(
            changed(BODY, notificationType=["CUSTOMER_ARCHIVED"]),
            NOT_ENVELOPE,
            "notificationType not a string",
        ),
        NotEnvelope(without(BODY, "sequenceAccountId"), NOT_ENVELOPE, "no sequenceAccountId"),
        NotEnvelope(changed(BODY, resource="customer"), NOT_ENVELOPE, "resource not an object"),
        NotEnvelope(changed(BODY, resourceId=5), NOT_ENVELOPE, "resourceId not a string"),
        NotEnvelope(changed(BODY, resourceType={}), NOT_ENVELOPE, "resourceType not a string"),
        NotEnvelope(without(BODY, "resource"), BAD_ITEM, "CUSTOMER_ARCHIVED naming no customer"),
        NotEnvelope(
            changed(BODY, resource={"archivedAt": "2025-08-28T12:00:00Z"}),
            BAD_ITEM,
            "resource without id",
        ),
        NotEnvelope(changed(BODY, resource={"id": 7}), BAD_ITEM, "resource id not a string"),
        NotEnvelope(
            changed(BODY, resource={"id": CUSTOMER_ID, "archivedAt": "yesterday"}),
            BAD_ITEM,
            "archivedAt not a timestamp",
        ),
        NotEnvelope(
            changed(BODY, resource={"id": CUSTOMER_ID, "archivedAt": 1756382400}),
            BAD_ITEM,
            "archivedAt a number",
        ),
    ),
    # Types the service does not act on, even one not in the spec's enum
    ignored=("CUSTOMER_UPDATED", "INVOICE_ISSUED", "NEW_TYPE"),
    with_topic=lambda body, notification_type: changed(body, notificationType=notification_type),
    # Timed at delivery: the envelope carries no time of its own
    ignored_fields={"occurred_at": "2025-08-28T12:00:30.123Z"},
    unparsable=b'{"notificationType":"CUSTOMER_ARCHIVED"}',
    never_shown=(CUSTOMER_ID, "Fintech"),
)
