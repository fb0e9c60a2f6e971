"""Sequence webhooks: `Sequence-Signature` (with its 5-minute window) and envelope parsing.

The recorded bodies in `payloads/webhook_*.json` (and what they parse to) are checked by
`tests/vendors/test_recorded.py`; here are the signature, the window and the refusals.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any, get_args

import pytest
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.sequence import webhook
from contact_archive.vendors.sequence.types import NotificationType
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
from tests.vendors.recorded import RecordedPayloads, load_spec
from tests.vendors.sequence import CUSTOMER_ID, DELIVERED_AT

RECORDED = RecordedPayloads(__file__)
SECRET = SecretStr(TEST_WEBHOOK_SECRET)
BODY = RECORDED.load_bytes("webhook_customer_archived")
T = 1_756_382_430_123  # DELIVERED_AT in UNIX milliseconds
NOW = DELIVERED_AT
MS = timedelta(milliseconds=1)


def _sign(body: bytes, t: int = T, secret: str = TEST_WEBHOOK_SECRET) -> dict[str, str]:
    """The header as Sequence documents it, computed here independently of the module."""
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Sequence-Signature": f"t={t},s={digest}", "Content-Type": "application/json"}


def _refusal(
    body: bytes, headers: dict[str, str], now: datetime = NOW, secret: SecretStr = SECRET
) -> SignatureFailure:
    with pytest.raises(WebhookSignatureInvalid) as refused:
        webhook.verify(body, headers, secret, now)
    assert refused.value.vendor is Vendor.SEQUENCE
    return refused.value.reason


def _body(**changes: Any) -> bytes:
    document = json.loads(BODY)
    document.update(changes)
    return json.dumps(document).encode()


def _without(*keys: str) -> bytes:
    document = json.loads(BODY)
    for key in keys:
        del document[key]
    return json.dumps(document).encode()


def test_the_test_timestamp_is_the_delivery_time() -> None:
    assert webhook.unix_ms(DELIVERED_AT) == T


def test_notification_types_match_the_spec_enum() -> None:
    # Given the spec's NotificationType enum, Then the Literal allows exactly its values
    spec = load_spec("sequence-2024-07-30.json")
    assert set(get_args(NotificationType)) == set(
        spec["components"]["schemas"]["NotificationType"]["enum"]
    )
    assert webhook.CUSTOMER_ARCHIVED in get_args(NotificationType)


# -- verify ------------------------------------------------------------------------------------


def test_a_correctly_signed_delivery_verifies_and_gives_its_time() -> None:
    # Given the recorded body signed at T
    headers = _sign(BODY)
    # When it is verified at T
    delivered = webhook.verify(BODY, headers, SECRET, NOW)
    # Then it is accepted, and the signed time is returned
    assert delivered == DELIVERED_AT
    # And the module's own signature is the same header value
    assert webhook.signature(BODY, SECRET, T) == headers["Sequence-Signature"]


@pytest.mark.parametrize("name", ["sequence-signature", "SEQUENCE-SIGNATURE", "Sequence-Signature"])
def test_the_header_name_is_case_insensitive(name: str) -> None:
    # Given the signature under any spelling (Sequence's docs write it both ways)
    headers = {name: _sign(BODY)["Sequence-Signature"]}
    # Then it verifies
    webhook.verify(BODY, headers, SECRET, NOW)


def test_spaces_and_unknown_keys_in_the_header_are_tolerated() -> None:
    # Given the documented pair with spaces and an extra key Sequence might add later
    t_part, s_part = _sign(BODY)["Sequence-Signature"].split(",")
    headers = {"Sequence-Signature": f" {t_part} , v0=whatever , {s_part} "}
    # Then it verifies on t and s alone
    webhook.verify(BODY, headers, SECRET, NOW)


def test_one_valid_signature_among_several_is_enough() -> None:
    # Given two s= values (as during a secret rotation), only the second right
    t_part, s_part = _sign(BODY)["Sequence-Signature"].split(",")
    headers = {"Sequence-Signature": f"{t_part},s={'0' * 64},{s_part}"}
    # Then it verifies
    webhook.verify(BODY, headers, SECRET, NOW)


def test_a_missing_header_is_refused() -> None:
    assert _refusal(BODY, {"Content-Type": "application/json"}) is SignatureFailure.MISSING_HEADER


S = "0" * 64


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        f"t={T}",
        f"s={S}",
        f"t=,s={S}",
        f"t=abc,s={S}",
        f"t=-5,s={S}",
        f"t=1.5,s={S}",
        f"t=\uff11\uff12\uff13,s={S}",  # full-width digits: str.isdigit() is True
        f"t={'9' * 14},s={S}",
        f"t={T},t={T},s={S}",
        f"t={T},s={'0' * 63}",
        f"t={T},s={'z' * 64}",
        f"t={T},s={'é' * 64}",
        f"t={T};s={S}",
    ],
    ids=[
        "empty",
        "garbage",
        "no s",
        "no t",
        "empty t",
        "t not a number",
        "negative t",
        "fractional t",
        "non-ascii digits",
        "t too long",
        "two t",
        "short s",
        "s not hex",
        "s not ascii",
        "wrong separator",
    ],
)
def test_a_malformed_header_is_refused(value: str) -> None:
    # Given a header that is not t=<ms>,s=<64 hex>
    # When it is verified, Then it is refused as malformed
    assert _refusal(BODY, {"Sequence-Signature": value}) is SignatureFailure.MALFORMED_HEADER


def test_a_forged_signature_is_refused() -> None:
    assert _refusal(BODY, {"Sequence-Signature": f"t={T},s={'ab' * 32}"}) is (
        SignatureFailure.MISMATCH
    )


def test_a_signature_made_with_another_secret_is_refused() -> None:
    assert _refusal(BODY, _sign(BODY, secret="whsec_someone_else")) is SignatureFailure.MISMATCH


def test_a_body_changed_by_one_byte_is_refused() -> None:
    # Given a signature over the original body, and the body with one byte changed
    headers = _sign(BODY)
    changed = BODY.replace(CUSTOMER_ID.encode(), (CUSTOMER_ID[:-1] + "6").encode())
    assert changed != BODY and len(changed) == len(BODY)
    # When it is verified, Then it is refused
    assert _refusal(changed, headers) is SignatureFailure.MISMATCH


def test_a_timestamp_changed_after_signing_is_refused() -> None:
    # Given a real signature whose t was moved forward (to dodge the replay window)
    signature = _sign(BODY)["Sequence-Signature"].split(",")[1]
    headers = {"Sequence-Signature": f"t={T + 60_000},{signature}"}
    # When it is verified a minute later, Then it is refused: t is part of what is signed
    assert _refusal(BODY, headers, NOW + timedelta(minutes=1)) is SignatureFailure.MISMATCH


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(0), True),
        (timedelta(minutes=5) - MS, True),
        (timedelta(minutes=5), True),
        (timedelta(minutes=5) + MS, False),
        (timedelta(hours=1), False),
    ],
    ids=["now", "5 min - 1 ms old", "exactly 5 min old", "5 min + 1 ms old", "an hour old"],
)
def test_old_timestamps_are_refused_after_five_minutes(offset: timedelta, accepted: bool) -> None:
    # Given a correctly signed delivery, verified `offset` after its timestamp
    headers = _sign(BODY)
    now = NOW + offset
    # Then it is accepted up to 5 minutes, refused as too old from 5 min + 1 ms (a replay)
    if accepted:
        assert webhook.verify(BODY, headers, SECRET, now) == DELIVERED_AT
    else:
        assert _refusal(BODY, headers, now) is SignatureFailure.TIMESTAMP_TOO_OLD


@pytest.mark.parametrize(
    ("ahead", "accepted"),
    [(timedelta(minutes=5), True), (timedelta(minutes=5) + MS, False), (timedelta(days=1), False)],
    ids=["5 min ahead", "5 min + 1 ms ahead", "a day ahead"],
)
def test_future_timestamps_are_refused_beyond_five_minutes(
    ahead: timedelta, accepted: bool
) -> None:
    # Given a correctly signed delivery whose timestamp is ahead of our clock
    headers = _sign(BODY, t=T + ahead // MS)
    # Then clock skew up to 5 minutes is accepted, anything further is refused
    if accepted:
        webhook.verify(BODY, headers, SECRET, NOW)
    else:
        assert _refusal(BODY, headers) is SignatureFailure.TIMESTAMP_IN_FUTURE


def test_a_forgery_with_a_stale_timestamp_is_a_mismatch() -> None:
    # Given a forged signature and an old timestamp
    headers = {"Sequence-Signature": f"t={T},s={'ab' * 32}"}
    # Then the signature is checked first: the refusal says forged, not stale
    assert _refusal(BODY, headers, NOW + timedelta(hours=1)) is SignatureFailure.MISMATCH


def test_an_empty_secret_refuses_everything() -> None:
    assert _refusal(BODY, _sign(BODY, secret=""), secret=SecretStr("")) is (
        SignatureFailure.NO_SECRET
    )


def test_a_naive_clock_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        webhook.verify(BODY, _sign(BODY), SECRET, NOW.replace(tzinfo=None))


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given hmac.compare_digest replaced by a spy
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    # When a valid delivery is verified, Then the signature went through compare_digest
    webhook.verify(BODY, _sign(BODY), SECRET, NOW)
    assert len(calls) == 1
    # And its answer decides
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: False)
    assert _refusal(BODY, _sign(BODY)) is SignatureFailure.MISMATCH


def test_refusals_never_reveal_the_secret_the_signature_or_the_body() -> None:
    # Given every kind of refusal, for a recognisable secret
    raw_secret = "whsec_s3cr3t_never_shown"
    secret = SecretStr(raw_secret)
    good = _sign(BODY, secret=raw_secret)["Sequence-Signature"]
    late = NOW + timedelta(hours=1)
    cases: list[tuple[bytes, dict[str, str], datetime]] = [
        (BODY, {}, NOW),
        (BODY, {"Sequence-Signature": "t=x,s=y"}, NOW),
        (BODY, {"Sequence-Signature": f"t={T},s={'ab' * 32}"}, NOW),
        (BODY + b" ", {"Sequence-Signature": good}, NOW),
        (BODY, {"Sequence-Signature": good}, late),
    ]
    errors: list[WebhookError] = []
    for body, headers, now in cases:
        with pytest.raises(WebhookSignatureInvalid) as refused:
            webhook.verify(body, headers, secret, now)
        errors.append(refused.value)
    with pytest.raises(WebhookMalformed) as malformed:
        webhook.parse(b'{"notificationType":"CUSTOMER_ARCHIVED"}', delivered_at=NOW)
    errors.append(malformed.value)
    # Then no message or repr has the secret, the signature or the body's contents
    for error in errors:
        for text in (str(error), repr(error), repr(error.args)):
            assert "s3cr3t" not in text
            assert good.split("s=")[1] not in text
            assert CUSTOMER_ID not in text
            assert "Fintech" not in text


# -- parse -------------------------------------------------------------------------------------


@pytest.mark.parametrize("notification_type", ["CUSTOMER_UPDATED", "INVOICE_ISSUED", "NEW_TYPE"])
def test_other_notification_types_are_ignored(notification_type: str) -> None:
    # Given a valid envelope of a type the service does not act on (even one not in the enum)
    notification = webhook.parse(_body(notificationType=notification_type), delivered_at=NOW)
    # Then it is ignored, timed at delivery, with no subject
    assert notification.kind is NotificationKind.IGNORED
    assert notification.topic == notification_type
    assert notification.occurred_at == "2025-08-28T12:00:30.123Z"
    assert notification.vendor_id is None


def test_customer_archived_without_a_resource_names_the_customer_by_resource_id() -> None:
    # Given CUSTOMER_ARCHIVED with only the optional resourceId
    body = json.dumps(
        {"notificationType": "CUSTOMER_ARCHIVED", "sequenceAccountId": "a", "resourceId": "cus-1"}
    ).encode()
    # When it is parsed
    notification = webhook.parse(body, delivered_at=NOW)
    # Then the customer is resourceId, and the time is the delivery's (no archivedAt to read)
    assert (notification.subject, notification.vendor_id) == (Subject.CUSTOMER, "cus-1")
    assert notification.occurred_at == "2025-08-28T12:00:30.123Z"


def test_the_customer_is_resource_id_over_resource_id_field() -> None:
    # Given a resource and a resourceId that differ (as in the docs' only example)
    notification = webhook.parse(_body(resourceId="something-else"), delivered_at=NOW)
    # Then the customer is the resource's own id
    assert notification.vendor_id == CUSTOMER_ID


def test_a_redelivered_body_has_the_same_notification_id() -> None:
    # Given the same body delivered twice (t differs, the body does not), and another body
    first = webhook.parse(BODY, delivered_at=NOW)
    again = webhook.parse(BODY, delivered_at=NOW + timedelta(minutes=1))
    other = webhook.parse(_body(sequenceAccountId="another"), delivered_at=NOW)
    # Then the redelivery is recognisable as a duplicate, the other body is not
    assert first.notification_id == again.notification_id
    assert other.notification_id != first.notification_id


def test_malformed_json_is_refused() -> None:
    with pytest.raises(WebhookMalformed) as refused:
        webhook.parse(BODY[:-10], delivered_at=NOW)
    assert refused.value.reason is MalformedReason.NOT_JSON


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_without("notificationType"), MalformedReason.NOT_ENVELOPE),
        (_body(notificationType=""), MalformedReason.NOT_ENVELOPE),
        (_body(notificationType=["CUSTOMER_ARCHIVED"]), MalformedReason.NOT_ENVELOPE),
        (_without("sequenceAccountId"), MalformedReason.NOT_ENVELOPE),
        (_body(resource="customer"), MalformedReason.NOT_ENVELOPE),
        (_body(resourceId=5), MalformedReason.NOT_ENVELOPE),
        (_body(resourceType={}), MalformedReason.NOT_ENVELOPE),
        (_without("resource"), MalformedReason.BAD_ITEM),
        (_body(resource={"archivedAt": "2025-08-28T12:00:00Z"}), MalformedReason.BAD_ITEM),
        (_body(resource={"id": 7}), MalformedReason.BAD_ITEM),
        (_body(resource={"id": CUSTOMER_ID, "archivedAt": "yesterday"}), MalformedReason.BAD_ITEM),
        (_body(resource={"id": CUSTOMER_ID, "archivedAt": 1756382400}), MalformedReason.BAD_ITEM),
    ],
    ids=[
        "no notificationType",
        "empty notificationType",
        "notificationType not a string",
        "no sequenceAccountId",
        "resource not an object",
        "resourceId not a string",
        "resourceType not a string",
        "CUSTOMER_ARCHIVED naming no customer",
        "resource without id",
        "resource id not a string",
        "archivedAt not a timestamp",
        "archivedAt a number",
    ],
)
def test_a_body_that_is_not_the_envelope_is_refused(body: bytes, reason: MalformedReason) -> None:
    # Given a JSON body that is not Sequence's notification envelope (or names no customer)
    # When it is parsed, Then it is malformed with the reason
    with pytest.raises(WebhookMalformed) as refused:
        webhook.parse(body, delivered_at=NOW)
    assert refused.value.reason is reason
