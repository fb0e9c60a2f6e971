"""What Intercom's and Sequence's webhook modules do alike, once per vendor: a signed delivery
verifies; a missing, malformed or forged signature, another secret, a changed body or an empty
secret is refused, in constant time and without showing the secret, the signature or the body; a
body that is not JSON or not the vendor's envelope is malformed; a topic the service does not act
on is ignored. The vendors' own forms are in their `webhook_case.py`; their quirks (Sequence's
time window, Intercom's hex case...) in their `test_webhook.py`."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from datetime import timedelta

import pytest
from pydantic import SecretStr

from contact_archive.vendors.webhooks import (
    MalformedReason,
    NotificationKind,
    SignatureFailure,
    WebhookError,
    WebhookMalformed,
    WebhookSignatureInvalid,
)
from devtools.webhooks import TEST_WEBHOOK_SECRET
from tests.vendors.cases import WEBHOOKS
from tests.vendors.deliveries import ON_TIME, SECRET, NotEnvelope, Tamper, WebhookCase

EACH_VENDOR = pytest.mark.parametrize("webhook", WEBHOOKS, ids=lambda webhook: webhook.id)


def each_vendors_examples(
    name: str, examples: Callable[[WebhookCase], Iterable[tuple[object, str]]]
) -> pytest.MarkDecorator:
    """Parametrise `webhook` and `name` with each vendor's examples (an example and its id)."""
    return pytest.mark.parametrize(
        ("webhook", name),
        [
            pytest.param(webhook, example, id=f"{webhook.id}-{label}")
            for webhook in WEBHOOKS
            for example, label in examples(webhook)
        ],
    )


# -- verify ------------------------------------------------------------------------------------


@EACH_VENDOR
def test_a_correctly_signed_delivery_verifies(webhook: WebhookCase) -> None:
    # Given the recorded body signed with the tenant's secret
    headers = webhook.sign(webhook.body, TEST_WEBHOOK_SECRET)
    # When it is verified, Then it is accepted (Sequence answers the signed time)
    assert webhook.verify(webhook.body, headers, SECRET, ON_TIME) == webhook.verified
    # And the module's own signature is the same header value
    assert webhook.signature(webhook.body, SECRET) == headers[webhook.header]


@each_vendors_examples(
    "name",
    lambda webhook: (
        (name, name) for name in (webhook.header.lower(), webhook.header.upper(), webhook.header)
    ),
)
def test_the_header_name_is_case_insensitive(webhook: WebhookCase, name: str) -> None:
    # Given the signature under any spelling of the header name (Sequence's docs write it both
    # ways)
    headers = {name: webhook.sign(webhook.body, TEST_WEBHOOK_SECRET)[webhook.header]}
    # When it is verified, Then it is accepted
    webhook.verify(webhook.body, headers, SECRET, ON_TIME)


@EACH_VENDOR
def test_a_missing_header_is_refused(webhook: WebhookCase) -> None:
    # Given a delivery without the signature header
    # When it is verified, Then it is refused as missing
    assert webhook.refusal(webhook.body, {"Content-Type": "application/json"}) is (
        SignatureFailure.MISSING_HEADER
    )


@each_vendors_examples("value", lambda webhook: webhook.malformed)
def test_a_malformed_header_is_refused(webhook: WebhookCase, value: str) -> None:
    # Given a header that is not the vendor's documented form
    # When it is verified, Then it is refused as malformed
    assert (
        webhook.refusal(webhook.body, {webhook.header: value}) is SignatureFailure.MALFORMED_HEADER
    )


@EACH_VENDOR
def test_a_forged_signature_is_refused(webhook: WebhookCase) -> None:
    # Given a well-formed signature that is not the body's HMAC
    # When it is verified, Then it is refused as a mismatch
    assert (
        webhook.refusal(webhook.body, {webhook.header: webhook.forged}) is SignatureFailure.MISMATCH
    )


@EACH_VENDOR
def test_a_signature_made_with_another_secret_is_refused(webhook: WebhookCase) -> None:
    # Given the body signed with a different secret
    headers = webhook.sign(webhook.body, "someone-elses-secret")
    # When it is verified with the tenant's secret, Then it is refused
    assert webhook.refusal(webhook.body, headers) is SignatureFailure.MISMATCH


@each_vendors_examples(
    "tamper", lambda webhook: ((tamper, tamper.id) for tamper in webhook.tampered)
)
def test_a_body_changed_after_signing_is_refused(webhook: WebhookCase, tamper: Tamper) -> None:
    # Given a signature over the original body, and the body changed by one byte
    headers = webhook.sign(webhook.body, TEST_WEBHOOK_SECRET)
    changed = tamper.change(webhook.body)
    assert changed != webhook.body and len(changed) == len(webhook.body) + tamper.grown
    # When it is verified with that signature, Then it is refused
    assert webhook.refusal(changed, headers) is SignatureFailure.MISMATCH


@EACH_VENDOR
def test_an_empty_secret_refuses_everything(webhook: WebhookCase) -> None:
    # Given a tenant whose configured secret is empty, and a body "signed" with the empty key
    headers = webhook.sign(webhook.body, "")
    # When it is verified, Then it is refused: an empty key authenticates nothing
    assert (
        webhook.refusal(webhook.body, headers, secret=SecretStr("")) is SignatureFailure.NO_SECRET
    )


@EACH_VENDOR
def test_the_comparison_is_constant_time(
    webhook: WebhookCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given hmac.compare_digest replaced by a spy that records its calls
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    # When a valid delivery is verified
    headers = webhook.sign(webhook.body, TEST_WEBHOOK_SECRET)
    webhook.verify(webhook.body, headers, SECRET, ON_TIME)
    # Then the signature went through compare_digest, once
    assert len(calls) == 1
    # And its answer decides: a spy saying "different" refuses even the right signature
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: False)
    assert webhook.refusal(webhook.body, headers) is SignatureFailure.MISMATCH


@EACH_VENDOR
def test_refusals_never_reveal_the_secret_the_signature_or_the_body(webhook: WebhookCase) -> None:
    # Given every kind of refusal, for a body and a secret with recognisable contents
    raw_secret = "whsec_s3cr3t-value-never-shown"
    secret = SecretStr(raw_secret)
    good = webhook.sign(webhook.body, raw_secret)[webhook.header]
    refused: list[tuple[bytes, dict[str, str], timedelta]] = [
        (webhook.body, {}, ON_TIME),
        *((webhook.body, {webhook.header: value}, ON_TIME) for value, _ in webhook.malformed),
        (webhook.body, {webhook.header: webhook.forged}, ON_TIME),
        (webhook.body + b" ", {webhook.header: good}, ON_TIME),
    ]
    if webhook.replay_window is not None:
        refused.append((webhook.body, {webhook.header: good}, timedelta(hours=1)))
    errors: list[WebhookError] = []
    for body, headers, late in refused:
        with pytest.raises(WebhookSignatureInvalid) as raised:
            webhook.verify(body, headers, secret, late)
        errors.append(raised.value)
    with pytest.raises(WebhookMalformed) as malformed:
        webhook.parse(webhook.unparsable)
    errors.append(malformed.value)
    # Then no message or repr contains the secret, the expected signature or any of the body
    digest = good.rsplit("=", 1)[1]
    for error in errors:
        for text in (str(error), repr(error), repr(error.args)):
            assert "s3cr3t" not in text
            assert digest not in text
            for content in webhook.never_shown:
                assert content not in text
    # And the secret's own repr is masked
    assert "s3cr3t" not in repr(secret)


# -- parse -------------------------------------------------------------------------------------


@each_vendors_examples("topic", lambda webhook: ((topic, topic) for topic in webhook.ignored))
def test_other_topics_are_ignored(webhook: WebhookCase, topic: str) -> None:
    # Given a valid envelope of a topic the service does not act on
    # When it is parsed
    notification = webhook.parse(webhook.with_topic(webhook.body, topic))
    # Then it is ignored, with no subject
    assert notification.kind is NotificationKind.IGNORED
    assert notification.topic == topic
    assert notification.vendor_id is None and notification.subject is None
    assert {
        key: getattr(notification, key) for key in webhook.ignored_fields
    } == webhook.ignored_fields


@EACH_VENDOR
def test_malformed_json_is_refused(webhook: WebhookCase) -> None:
    # Given a body that is not JSON, When it is parsed, Then it is malformed
    with pytest.raises(WebhookMalformed) as refused:
        webhook.parse(webhook.body[:-5])
    assert refused.value.reason is MalformedReason.NOT_JSON


@each_vendors_examples(
    "not_envelope", lambda webhook: ((body, body.id) for body in webhook.not_envelopes)
)
def test_a_body_that_is_not_the_envelope_is_refused(
    webhook: WebhookCase, not_envelope: NotEnvelope
) -> None:
    # Given a JSON body that is not (or contradicts) the vendor's notification envelope, or names
    # no subject
    # When it is parsed, Then it is malformed with the reason
    with pytest.raises(WebhookMalformed) as refused:
        webhook.parse(not_envelope.body)
    assert refused.value.reason is not_envelope.reason
    assert refused.value.vendor is webhook.vendor
