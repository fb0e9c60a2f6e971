"""The vendor-neutral part of inbound webhooks: the notification's invariants and the helpers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contact_archive.ledger.models import Vendor
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
    load_object,
)


def _notification(**fields: object) -> VendorNotification:
    base: dict[str, object] = {
        "vendor": Vendor.INTERCOM,
        "notification_id": "notif_1",
        "topic": "contact.archived",
        "kind": NotificationKind.ARCHIVED,
        "subject": Subject.CONTACT,
        "vendor_id": "c1",
        "occurred_at": "2024-05-29T22:30:00.000Z",
    }
    return VendorNotification.model_validate(base | fields)


def test_a_complete_notification_is_frozen() -> None:
    # Given a valid notification
    notification = _notification()
    # When it is changed, Then it refuses: what was verified stays what is applied
    with pytest.raises(ValidationError):
        notification.vendor_id = "c2"  # type: ignore[misc]


@pytest.mark.parametrize(
    "missing", ["subject", "vendor_id", "occurred_at"], ids=lambda name: f"without {name}"
)
def test_a_notification_that_changes_a_link_names_its_subject_and_time(missing: str) -> None:
    # Given an archive notification lacking its subject, id or time
    # When it is built, Then it is refused
    with pytest.raises(ValidationError, match="needs a subject, id and time"):
        _notification(**{missing: None})


def test_an_ignored_notification_names_no_subject_and_may_have_no_time() -> None:
    # Given an ignored topic without subject or time, Then it is valid
    ignored = _notification(
        topic="ping", kind=NotificationKind.IGNORED, subject=None, vendor_id=None, occurred_at=None
    )
    assert ignored.kind is NotificationKind.IGNORED
    # But an ignored notification naming a contact is refused (it would look actionable)
    with pytest.raises(ValidationError, match="names no subject"):
        _notification(kind=NotificationKind.IGNORED)


def test_header_lookup_ignores_case() -> None:
    # Given headers as API Gateway may pass them, in any case
    headers = {"x-hub-signature": "sha1=abc", "Content-Type": "application/json"}
    # Then the lookup finds them whatever case is asked for, and None when absent
    assert header(Vendor.INTERCOM, headers, "X-Hub-Signature") == "sha1=abc"
    assert header(Vendor.INTERCOM, headers, "Sequence-Signature") is None


def test_one_header_given_twice_with_different_values_is_malformed() -> None:
    # Given two spellings of the signature header with different values
    headers = {"X-Hub-Signature": "sha1=aaa", "x-hub-signature": "sha1=bbb"}
    # When it is looked up, Then it is refused: which one was meant cannot be known
    with pytest.raises(WebhookSignatureInvalid) as refused:
        header(Vendor.INTERCOM, headers, "X-Hub-Signature")
    assert refused.value.reason is SignatureFailure.MALFORMED_HEADER
    # And the same value under two spellings is fine
    same = {"X-Hub-Signature": "sha1=aaa", "x-hub-signature": "sha1=aaa"}
    assert header(Vendor.INTERCOM, same, "X-Hub-Signature") == "sha1=aaa"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", MalformedReason.NOT_JSON),
        (b"{not json", MalformedReason.NOT_JSON),
        (b"\xff\xfe{}", MalformedReason.NOT_JSON),
        (b"[" * 100_000 + b"]" * 100_000, MalformedReason.NOT_JSON),
        (b"[]", MalformedReason.NOT_ENVELOPE),
        (b'"text"', MalformedReason.NOT_ENVELOPE),
        (b"null", MalformedReason.NOT_ENVELOPE),
    ],
    ids=["empty", "broken", "not utf-8", "nested too deep", "array", "string", "null"],
)
def test_a_body_that_is_not_a_json_object_is_malformed(
    body: bytes, reason: MalformedReason
) -> None:
    # Given a body that is not a JSON object
    # When it is loaded, Then it is malformed (a 400), never an unhandled error (a 5xx)
    with pytest.raises(WebhookMalformed) as refused:
        load_object(Vendor.SEQUENCE, body)
    assert refused.value.reason is reason
    assert refused.value.vendor is Vendor.SEQUENCE


def test_error_messages_carry_vendor_and_reason_code() -> None:
    # Given a refusal
    error = WebhookSignatureInvalid(Vendor.INTERCOM, SignatureFailure.MISMATCH, "no match")
    # Then its message names the vendor and the reason code
    assert str(error) == "intercom webhook refused: signature_mismatch: no match"


def test_body_digest_is_stable_and_tells_bodies_apart() -> None:
    # Given two bodies one byte apart
    # Then each digest is stable and they differ
    assert body_digest(b"{}") == body_digest(b"{}")
    assert body_digest(b"{}") != body_digest(b"{ }")
    assert body_digest(b"{}").startswith("sha256:")
