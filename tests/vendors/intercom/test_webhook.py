"""Intercom webhooks: `X-Hub-Signature` verification and `notification_event` parsing.

The recorded bodies in `payloads/webhook_*.json` (and what they parse to) are checked by
`tests/vendors/test_recorded.py`; here are the signature and the refusals.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.intercom import webhook
from contact_archive.vendors.webhooks import (
    MalformedReason,
    NotificationKind,
    SignatureFailure,
    Subject,
    WebhookError,
    WebhookMalformed,
    WebhookSignatureInvalid,
)
from devtools.webhooks import TEST_WEBHOOK_SECRET
from tests.vendors.recorded import RecordedPayloads

RECORDED = RecordedPayloads(__file__)
SECRET = SecretStr(TEST_WEBHOOK_SECRET)
BODY = RECORDED.load_bytes("webhook_contact_archived")


def _sign(body: bytes, secret: str = TEST_WEBHOOK_SECRET) -> dict[str, str]:
    """The header as Intercom documents it, computed here independently of the module under test."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature": f"sha1={digest}", "Content-Type": "application/json"}


def _refusal(body: bytes, headers: dict[str, str], secret: SecretStr = SECRET) -> SignatureFailure:
    with pytest.raises(WebhookSignatureInvalid) as refused:
        webhook.verify(body, headers, secret)
    assert refused.value.vendor is Vendor.INTERCOM
    return refused.value.reason


def _body(**changes: Any) -> bytes:
    document = json.loads(BODY)
    document.update(changes)
    return json.dumps(document).encode()


# -- verify ------------------------------------------------------------------------------------


def test_a_correctly_signed_delivery_verifies() -> None:
    # Given the recorded body signed with the app's client secret
    headers = _sign(BODY)
    # When it is verified, Then it is accepted
    webhook.verify(BODY, headers, SECRET)
    # And the module's own signature is the same header value
    assert webhook.signature(BODY, SECRET) == headers["X-Hub-Signature"]


@pytest.mark.parametrize("name", ["x-hub-signature", "X-HUB-SIGNATURE", "X-Hub-Signature"])
def test_the_header_name_is_case_insensitive(name: str) -> None:
    # Given the signature under any spelling of the header name
    headers = {name: _sign(BODY)["X-Hub-Signature"]}
    # When it is verified, Then it is accepted
    webhook.verify(BODY, headers, SECRET)


def test_upper_case_hex_is_accepted() -> None:
    # Given the right signature written in upper-case hex
    value = _sign(BODY)["X-Hub-Signature"]
    # Then it verifies: hex case is not part of the HMAC
    webhook.verify(BODY, {"X-Hub-Signature": "sha1=" + value[5:].upper()}, SECRET)


def test_a_missing_header_is_refused() -> None:
    # Given a delivery without X-Hub-Signature
    # When it is verified, Then it is refused as missing
    assert _refusal(BODY, {"Content-Type": "application/json"}) is SignatureFailure.MISSING_HEADER


@pytest.mark.parametrize(
    "value",
    [
        "",
        "sha1",
        "sha1=",
        "0" * 40,
        "sha256=" + "0" * 40,
        "sha1=" + "0" * 39,
        "sha1=" + "0" * 41,
        "sha1=" + "z" * 40,
        "sha1=" + "é" * 40,
        "sha1=" + "0" * 64,
    ],
    ids=[
        "empty",
        "scheme only",
        "no digest",
        "no scheme",
        "other scheme",
        "short",
        "long",
        "not hex",
        "not ascii",
        "sha256 length",
    ],
)
def test_a_malformed_header_is_refused(value: str) -> None:
    # Given a header that is not sha1=<40 hex digits>
    # When it is verified, Then it is refused as malformed
    assert _refusal(BODY, {"X-Hub-Signature": value}) is SignatureFailure.MALFORMED_HEADER


def test_a_forged_signature_is_refused() -> None:
    # Given a well-formed signature that is not the body's HMAC
    headers = {"X-Hub-Signature": "sha1=" + "ab" * 20}
    # When it is verified, Then it is refused as a mismatch
    assert _refusal(BODY, headers) is SignatureFailure.MISMATCH


def test_a_signature_made_with_another_secret_is_refused() -> None:
    # Given the body signed with a different client secret
    headers = _sign(BODY, secret="someone-elses-secret")
    # When it is verified with the tenant's secret, Then it is refused
    assert _refusal(BODY, headers) is SignatureFailure.MISMATCH


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body: body[:-2] + bytes([body[-2] ^ 0x01]) + body[-1:],
        lambda body: body + b" ",
        lambda body: body.replace(b"5ba682d23d7cf92bef87bfd4", b"5ba682d23d7cf92bef87bfd5"),
    ],
    ids=["one bit flipped", "one byte appended", "contact id changed by one digit"],
)
def test_a_body_changed_after_signing_is_refused(tamper: Any) -> None:
    # Given a signature over the original body
    headers = _sign(BODY)
    # When a body differing by one byte is verified with it, Then it is refused
    assert _refusal(tamper(BODY), headers) is SignatureFailure.MISMATCH


def test_an_empty_secret_refuses_everything() -> None:
    # Given a tenant whose configured secret is empty, and a body "signed" with the empty key
    headers = _sign(BODY, secret="")
    # When it is verified, Then it is refused: an empty key authenticates nothing
    assert _refusal(BODY, headers, SecretStr("")) is SignatureFailure.NO_SECRET


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given hmac.compare_digest replaced by a spy that records its calls
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    # When a valid delivery is verified
    webhook.verify(BODY, _sign(BODY), SECRET)
    # Then the signature went through compare_digest, once
    assert len(calls) == 1
    # And its answer decides: a spy saying "different" refuses even the right signature
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: False)
    assert _refusal(BODY, _sign(BODY)) is SignatureFailure.MISMATCH


def test_refusals_never_reveal_the_secret_the_signature_or_the_body() -> None:
    # Given every kind of refusal, for a body and secret with recognisable contents
    secret = SecretStr("s3cr3t-value-never-shown")
    good = _sign(BODY, secret="s3cr3t-value-never-shown")["X-Hub-Signature"]
    cases: list[tuple[bytes, dict[str, str]]] = [
        (BODY, {}),
        (BODY, {"X-Hub-Signature": "sha1=" + "é" * 40}),
        (BODY, {"X-Hub-Signature": "sha1=" + "ab" * 20}),
        (BODY + b" ", {"X-Hub-Signature": good}),
    ]
    errors: list[WebhookError] = []
    for body, headers in cases:
        with pytest.raises(WebhookSignatureInvalid) as refused:
            webhook.verify(body, headers, secret)
        errors.append(refused.value)
    with pytest.raises(WebhookMalformed) as malformed:
        webhook.parse(b'{"type":"notification_event","topic":"s3cr3t-value-never-shown"}')
    errors.append(malformed.value)
    # Then no message or repr contains the secret, the expected signature or any of the body
    for error in errors:
        for text in (str(error), repr(error), repr(error.args)):
            assert "s3cr3t" not in text
            assert good[5:] not in text
            assert "5ba682d23d7cf92bef87bfd4" not in text
            assert "notification_event" not in text
    # And the secret's own repr is masked
    assert "s3cr3t" not in repr(secret)


# -- parse -------------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["ping", "contact.user.created", "conversation.user.created"])
def test_other_topics_are_ignored(topic: str) -> None:
    # Given a valid envelope of a topic the service does not act on (its item is not read)
    body = _body(topic=topic, data={"type": "notification_event_data", "item": {"type": "ping"}})
    # When it is parsed
    notification = webhook.parse(body)
    # Then it is ignored, with its id (to acknowledge once) and no subject
    assert notification.kind is NotificationKind.IGNORED
    assert notification.topic == topic
    assert notification.notification_id == "notif_5c0b8f3e-6a3a-4b7e-9a51-1f0e4d2c7a01"
    assert notification.vendor_id is None and notification.subject is None


def test_a_full_contact_item_is_accepted() -> None:
    # Given contact.archived whose item is a full 2.10 contact (which has no `archived` key)
    item = RECORDED.load("contact_active")
    item.pop("archived", None)
    body = _body(data={"type": "notification_event_data", "item": item})
    # When it is parsed, Then the contact's id is the subject
    notification = webhook.parse(body)
    assert (notification.kind, notification.subject, notification.vendor_id) == (
        NotificationKind.ARCHIVED,
        Subject.CONTACT,
        "6657ac5f6abd0166b52ae242",
    )


def test_malformed_json_is_refused() -> None:
    # Given a body that is not JSON, When it is parsed, Then it is malformed
    with pytest.raises(WebhookMalformed) as refused:
        webhook.parse(BODY[:-5])
    assert refused.value.reason is MalformedReason.NOT_JSON


def _without(key: str) -> bytes:
    document = json.loads(BODY)
    del document[key]
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_without("id"), MalformedReason.NOT_ENVELOPE),
        (_body(id=""), MalformedReason.NOT_ENVELOPE),
        (_body(id=42), MalformedReason.NOT_ENVELOPE),
        (_without("topic"), MalformedReason.NOT_ENVELOPE),
        (_without("app_id"), MalformedReason.NOT_ENVELOPE),
        (_body(type="event"), MalformedReason.NOT_ENVELOPE),
        (_without("type"), MalformedReason.NOT_ENVELOPE),
        (_without("created_at"), MalformedReason.NOT_ENVELOPE),
        (_body(created_at="1717021800"), MalformedReason.NOT_ENVELOPE),
        (_body(created_at=True), MalformedReason.NOT_ENVELOPE),
        (_without("data"), MalformedReason.NOT_ENVELOPE),
        (_body(data={"item": "contact"}), MalformedReason.NOT_ENVELOPE),
        (_body(data={"item": {"type": "user", "id": "1"}}), MalformedReason.BAD_ITEM),
        (_body(data={"item": {"type": "contact"}}), MalformedReason.BAD_ITEM),
        (_body(data={"item": {"type": "contact", "id": ""}}), MalformedReason.BAD_ITEM),
        (
            _body(data={"item": {"type": "contact", "id": "1", "archived": False}}),
            MalformedReason.BAD_ITEM,
        ),
        (
            _body(
                topic="contact.unarchived",
                data={"item": {"type": "contact", "id": "1", "archived": True}},
            ),
            MalformedReason.BAD_ITEM,
        ),
        (
            _body(
                topic="contact.deleted",
                data={"item": {"type": "contact", "id": "1", "deleted": False}},
            ),
            MalformedReason.BAD_ITEM,
        ),
    ],
    ids=[
        "envelope missing id",
        "empty id",
        "id not a string",
        "no topic",
        "no app_id",
        "wrong type",
        "no type",
        "contact topic without created_at",
        "created_at a string",
        "created_at a boolean",
        "no data",
        "item not an object",
        "item not a contact",
        "item without id",
        "item with empty id",
        "archived topic, item not archived",
        "unarchived topic, item archived",
        "deleted topic, item not deleted",
    ],
)
def test_a_body_that_is_not_the_envelope_is_refused(body: bytes, reason: MalformedReason) -> None:
    # Given a JSON body that is not (or contradicts) Intercom's notification_event
    # When it is parsed, Then it is malformed with the reason
    with pytest.raises(WebhookMalformed) as refused:
        webhook.parse(body)
    assert refused.value.reason is reason
