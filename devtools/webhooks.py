"""Signed webhook deliveries as Intercom and Sequence send them: for tests, samples and sandboxes.

A `SignedDelivery` is the headers and the exact body bytes of one POST; the signature is made by
the same functions the service verifies with (`vendors/<vendor>/webhook.py`), so what verifies
here verifies there.

`TEST_WEBHOOK_SECRET` signs every delivery unless told otherwise. It is a published test value,
not a secret: configure it as a tenant's signing secret only locally and in tests.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.intercom import webhook as intercom_webhook
from contact_archive.vendors.intercom.types import NotificationEvent
from contact_archive.vendors.sequence import webhook as sequence_webhook
from contact_archive.vendors.sequence.types import Notification

TEST_WEBHOOK_SECRET = "contact-archive-test-secret"  # noqa: S105 - documented test value
INTERCOM_TEST_APP_ID = "sandbox-app"
SEQUENCE_TEST_ACCOUNT_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class SignedDelivery:
    """One webhook request: what the vendor would POST to `/webhooks/{vendor}/{tenant_id}`."""

    vendor: Vendor
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def encode(document: object) -> bytes:
    """Compact JSON, as vendors send it; signatures cover these bytes exactly."""
    return json.dumps(document, separators=(",", ":")).encode()


# -- Intercom ----------------------------------------------------------------------------------


def sign_intercom(body: bytes, secret: str = TEST_WEBHOOK_SECRET) -> SignedDelivery:
    """`body` with the headers of Intercom's "Signed notifications" example."""
    return SignedDelivery(
        vendor=Vendor.INTERCOM,
        body=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "intercom-parrot-service-client/1.0",
            intercom_webhook.SIGNATURE_HEADER: intercom_webhook.signature(body, SecretStr(secret)),
        },
    )


def intercom_notification(
    topic: str,
    contact_id: str,
    *,
    created_at: int,
    external_id: str | None = None,
    app_id: str = INTERCOM_TEST_APP_ID,
    notification_id: str | None = None,
) -> NotificationEvent:
    """The `notification_event` for a contact topic. The item has the 2.10 spec's short shapes
    (`contact_archived`, `contact_unarchived`, `contact_deleted`); other topics get a bare
    contact reference."""
    item: dict[str, Any] = {"type": "contact", "id": contact_id, "external_id": external_id}
    if topic in ("contact.archived", "contact.unarchived"):
        item["archived"] = topic == "contact.archived"
    elif topic == "contact.deleted":
        item["deleted"] = True
    return {
        "type": "notification_event",
        "id": notification_id or f"notif_{uuid.uuid4()}",
        "topic": topic,
        "app_id": app_id,
        "data": {"type": "notification_event_data", "item": item},
        "created_at": created_at,
    }


def intercom_delivery(
    topic: str,
    contact_id: str,
    *,
    created_at: int,
    external_id: str | None = None,
    app_id: str = INTERCOM_TEST_APP_ID,
    notification_id: str | None = None,
    secret: str = TEST_WEBHOOK_SECRET,
) -> SignedDelivery:
    """A signed Intercom delivery of `topic` about one contact."""
    notification = intercom_notification(
        topic,
        contact_id,
        created_at=created_at,
        external_id=external_id,
        app_id=app_id,
        notification_id=notification_id,
    )
    return sign_intercom(encode(notification), secret)


# -- Sequence ----------------------------------------------------------------------------------


def sign_sequence(
    body: bytes, *, delivered_at: datetime, secret: str = TEST_WEBHOOK_SECRET
) -> SignedDelivery:
    """`body` with `Sequence-Signature: t=<delivered_at in ms>,s=<HMAC-SHA256 of "t.body">`."""
    value = sequence_webhook.signature(
        body, SecretStr(secret), sequence_webhook.unix_ms(delivered_at)
    )
    return SignedDelivery(
        vendor=Vendor.SEQUENCE,
        body=body,
        headers={"Content-Type": "application/json", sequence_webhook.SIGNATURE_HEADER: value},
    )


def sequence_notification(
    notification_type: str,
    customer_id: str,
    *,
    account_id: str = SEQUENCE_TEST_ACCOUNT_ID,
    resource: dict[str, Any] | None = None,
) -> Notification:
    """The envelope for a customer notification. `resource` defaults to `{"id": customer_id}`,
    the one `Customer` field a parser relies on; pass a fuller `Customer` (with `archivedAt`)
    to say when it was archived. `resourceType`/`resourceId` are left out: the docs do not say
    what they hold for customers, and both are optional."""
    return {
        "notificationType": notification_type,
        "sequenceAccountId": account_id,
        "resource": resource if resource is not None else {"id": customer_id},
    }


def sequence_delivery(
    notification_type: str,
    customer_id: str,
    *,
    delivered_at: datetime,
    account_id: str = SEQUENCE_TEST_ACCOUNT_ID,
    resource: dict[str, Any] | None = None,
    secret: str = TEST_WEBHOOK_SECRET,
) -> SignedDelivery:
    """A signed Sequence delivery of `notification_type` about one customer."""
    notification = sequence_notification(
        notification_type, customer_id, account_id=account_id, resource=resource
    )
    return sign_sequence(encode(notification), delivered_at=delivered_at, secret=secret)


# -- sending one to the local API (`make run`) ---------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m devtools.send_webhook intercom contact.archived <contact id>` or
    `python -m devtools.send_webhook sequence CUSTOMER_ARCHIVED <customer id>`: sign a delivery
    with the test secret and POST it to the local API's webhook URL; prints the answer."""
    import argparse
    import time
    from datetime import UTC

    import httpx

    parser = argparse.ArgumentParser(
        prog="python -m devtools.send_webhook", description=main.__doc__
    )
    parser.add_argument("vendor", choices=[Vendor.INTERCOM.value, Vendor.SEQUENCE.value])
    parser.add_argument("topic", help="contact.archived, contact.unarchived, contact.deleted, ...")
    parser.add_argument("subject", help="the Intercom contact id, or the Sequence customer id")
    parser.add_argument("--tenant", default="dev-tenant")
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the local API")
    parser.add_argument("--secret", default=TEST_WEBHOOK_SECRET)
    args = parser.parse_args(argv)
    if args.vendor == Vendor.INTERCOM.value:
        delivery = intercom_delivery(
            args.topic, args.subject, created_at=int(time.time()), secret=args.secret
        )
    else:
        delivery = sequence_delivery(
            args.topic, args.subject, delivered_at=datetime.now(UTC), secret=args.secret
        )
    url = f"{args.url.rstrip('/')}/webhooks/{args.vendor}/{args.tenant}"
    try:
        response = httpx.post(url, content=delivery.body, headers=delivery.headers, timeout=10)
    except httpx.TransportError as error:
        print(f"POST {url} failed: {error} (is `make run` going?)")
        return 1
    print(f"POST {url} -> {response.status_code} {response.text}")
    return 0 if response.status_code < 400 else 1
