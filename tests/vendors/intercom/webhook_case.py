"""Intercom's webhook deliveries for the shared webhook tests: `X-Hub-Signature: sha1=<hex>`, the
HMAC-SHA1 of the raw body keyed by the app's client secret (no time signed), and the
`notification_event` envelope."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import timedelta

from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.intercom import webhook
from contact_archive.vendors.webhooks import MalformedReason
from devtools.webhooks import TEST_WEBHOOK_SECRET
from tests.vendors.deliveries import NotEnvelope, Tamper, WebhookCase, changed, without
from tests.vendors.recorded import RecordedPayloads

RECORDED = RecordedPayloads(__file__)
SECRET = SecretStr(TEST_WEBHOOK_SECRET)
BODY = RECORDED.load_bytes("webhook_contact_archived")
CONTACT_ID = "5ba682d23d7cf92bef87bfd4"  # the contact the recorded delivery names
NOT_ENVELOPE = MalformedReason.NOT_ENVELOPE
BAD_ITEM = MalformedReason.BAD_ITEM


def sign(body: bytes, secret: str = TEST_WEBHOOK_SECRET) -> dict[str, str]:
    """The header as Intercom documents it, computed here independently of the module under test."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature": f"sha1={digest}", "Content-Type": "application/json"}


def verify(body: bytes, headers: Mapping[str, str], secret: SecretStr, late: timedelta) -> None:
    webhook.verify(body, headers, secret)  # Intercom signs no time: how late does not matter


def contact_item(**fields: object) -> dict[str, object]:
    return {"item": {"type": "contact", **fields}}


INTERCOM = WebhookCase(
    vendor=Vendor.INTERCOM,
    header="X-Hub-Signature",
    body=BODY,
    sign=sign,
    signature=webhook.signature,
    verify=verify,
    verified=None,
    parse=webhook.parse,
    forged="sha1=" + "ab" * 20,
    malformed=(
        ("", "empty"),
        ("sha1", "scheme only"),
        ("sha1=", "no digest"),
        ("0" * 40, "no scheme"),
        ("sha256=" + "0" * 40, "other scheme"),
        ("sha1=" + "0" * 39, "short"),
        ("sha1=" + "0" * 41, "long"),
        ("sha1=" + "z" * 40, "not hex"),
        ("sha1=" + "é" * 40, "not ascii"),
        ("sha1=" + "0" * 64, "sha256 length"),
    ),
    tampered=(
        Tamper(lambda body: body[:-2] + bytes([body[-2] ^ 0x01]) + body[-1:], 0, "one bit flipped"),
        Tamper(lambda body: body + b" ", 1, "one byte appended"),
        Tamper(
            lambda body: body.replace(CONTACT_ID.encode(), (CONTACT_ID[:-1] + "5").encode()),
            0,
            "contact id changed by one digit",
        ),
    ),
    replay_window=None,
    not_envelopes=(
        NotEnvelope(without(BODY, "id"), NOT_ENVELOPE, "envelope missing id"),
        NotEnvelope(changed(BODY, id=""), NOT_ENVELOPE, "empty id"),
        NotEnvelope(changed(BODY, id=42), NOT_ENVELOPE, "id not a string"),
        NotEnvelope(without(BODY, "topic"), NOT_ENVELOPE, "no topic"),
        NotEnvelope(without(BODY, "app_id"), NOT_ENVELOPE, "no app_id"),
        NotEnvelope(changed(BODY, type="event"), NOT_ENVELOPE, "wrong type"),
        NotEnvelope(without(BODY, "type"), NOT_ENVELOPE, "no type"),
        NotEnvelope(without(BODY, "created_at"), NOT_ENVELOPE, "contact topic without created_at"),
        NotEnvelope(changed(BODY, created_at="1717021800"), NOT_ENVELOPE, "created_at a string"),
        NotEnvelope(changed(BODY, created_at=True), NOT_ENVELOPE, "created_at a boolean"),
        NotEnvelope(without(BODY, "data"), NOT_ENVELOPE, "no data"),
        NotEnvelope(changed(BODY, data={"item": "contact"}), NOT_ENVELOPE, "item not an object"),
        NotEnvelope(
            changed(BODY, data={"item": {"type": "user", "id": "1"}}),
            BAD_ITEM,
            "item not a contact",
        ),
        NotEnvelope(changed(BODY, data=contact_item()), BAD_ITEM, "item without id"),
        NotEnvelope(changed(BODY, data=contact_item(id="")), BAD_ITEM, "item with empty id"),
        NotEnvelope(
            changed(BODY, data=contact_item(id="1", archived=False)),
            BAD_ITEM,
            "archived topic, item not archived",
        ),
        NotEnvelope(
            changed(BODY, topic="contact.unarchived", data=contact_item(id="1", archived=True)),
            BAD_ITEM,
            "unarchived topic, item archived",
        ),
        NotEnvelope(
            changed(BODY, topic="contact.deleted", data=contact_item(id="1", deleted=False)),
            BAD_ITEM,
            "deleted topic, item not deleted",
        ),
    ),
    ignored=("ping", "contact.user.created", "conversation.user.created"),
    # A valid envelope of another topic (its item is not read)
    with_topic=lambda body, topic: changed(
        body, topic=topic, data={"type": "notification_event_data", "item": {"type": "ping"}}
    ),
    # Its id, to acknowledge it once
    ignored_fields={"notification_id": "notif_5c0b8f3e-6a3a-4b7e-9a51-1f0e4d2c7a01"},
    unparsable=b'{"type":"notification_event","topic":"s3cr3t-value-never-shown"}',
    never_shown=(CONTACT_ID, "notification_event"),
)
