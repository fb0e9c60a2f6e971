"""Sequence's webhook quirks: the timestamp `Sequence-Signature` signs (and its 5-minute window),
the header's tolerated forms, its notification types, and the customer a notification names.
What Sequence's webhooks share with Intercom's (the signature and its refusals, the envelope and
its refusals) is in `tests/vendors/test_webhook_deliveries.py`; the recorded bodies in
`payloads/webhook_*.json` (and what they parse to) are checked by `tests/vendors/test_recorded.py`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import get_args

import pytest

from contact_archive.vendors.sequence import webhook
from contact_archive.vendors.sequence.types import NotificationType
from contact_archive.vendors.webhooks import SignatureFailure, Subject
from tests.vendors.deliveries import changed
from tests.vendors.recorded import load_spec
from tests.vendors.sequence import CUSTOMER_ID, DELIVERED_AT
from tests.vendors.sequence.webhook_case import BODY, NOW, SECRET, SEQUENCE, T, sign

MS = timedelta(milliseconds=1)


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


def test_spaces_and_unknown_keys_in_the_header_are_tolerated() -> None:
    # Given the documented pair with spaces and an extra key Sequence might add later
    t_part, s_part = sign(BODY)["Sequence-Signature"].split(",")
    headers = {"Sequence-Signature": f" {t_part} , v0=whatever , {s_part} "}
    # Then it verifies on t and s alone
    webhook.verify(BODY, headers, SECRET, NOW)


def test_one_valid_signature_among_several_is_enough() -> None:
    # Given two s= values (as during a secret rotation), only the second right
    t_part, s_part = sign(BODY)["Sequence-Signature"].split(",")
    headers = {"Sequence-Signature": f"{t_part},s={'0' * 64},{s_part}"}
    # Then it verifies
    webhook.verify(BODY, headers, SECRET, NOW)


def test_a_timestamp_changed_after_signing_is_refused() -> None:
    # Given a real signature whose t was moved forward (to dodge the replay window)
    signature = sign(BODY)["Sequence-Signature"].split(",")[1]
    headers = {"Sequence-Signature": f"t={T + 60_000},{signature}"}
    # When it is verified a minute later, Then it is refused: t is part of what is signed
    assert SEQUENCE.refusal(BODY, headers, late=timedelta(minutes=1)) is SignatureFailure.MISMATCH


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
    headers = sign(BODY)
    now = NOW + offset
    # Then it is accepted up to 5 minutes, refused as too old from 5 min + 1 ms (a replay)
    if accepted:
        assert webhook.verify(BODY, headers, SECRET, now) == DELIVERED_AT
    else:
        assert SEQUENCE.refusal(BODY, headers, late=offset) is SignatureFailure.TIMESTAMP_TOO_OLD


@pytest.mark.parametrize(
    ("ahead", "accepted"),
    [(timedelta(minutes=5), True), (timedelta(minutes=5) + MS, False), (timedelta(days=1), False)],
    ids=["5 min ahead", "5 min + 1 ms ahead", "a day ahead"],
)
def test_future_timestamps_are_refused_beyond_five_minutes(
    ahead: timedelta, accepted: bool
) -> None:
    # Given a correctly signed delivery whose timestamp is ahead of our clock
    headers = sign(BODY, t=T + ahead // MS)
    # Then clock skew up to 5 minutes is accepted, anything further is refused
    if accepted:
        webhook.verify(BODY, headers, SECRET, NOW)
    else:
        assert SEQUENCE.refusal(BODY, headers) is SignatureFailure.TIMESTAMP_IN_FUTURE


def test_a_forgery_with_a_stale_timestamp_is_a_mismatch() -> None:
    # Given a forged signature and an old timestamp
    headers = {"Sequence-Signature": f"t={T},s={'ab' * 32}"}
    # Then the signature is checked first: the refusal says forged, not stale
    assert SEQUENCE.refusal(BODY, headers, late=timedelta(hours=1)) is SignatureFailure.MISMATCH


def test_a_naive_clock_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        webhook.verify(BODY, sign(BODY), SECRET, NOW.replace(tzinfo=None))


# -- parse -------------------------------------------------------------------------------------


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
    notification = webhook.parse(changed(BODY, resourceId="something-else"), delivered_at=NOW)
    # Then the customer is the resource's own id
    assert notification.vendor_id == CUSTOMER_ID


def test_a_redelivered_body_has_the_same_notification_id() -> None:
    # Given the same body delivered twice (t differs, the body does not), and another body
    first = webhook.parse(BODY, delivered_at=NOW)
    again = webhook.parse(BODY, delivered_at=NOW + timedelta(minutes=1))
    other = webhook.parse(changed(BODY, sequenceAccountId="another"), delivered_at=NOW)
    # Then the redelivery is recognisable as a duplicate, the other body is not
    assert first.notification_id == again.notification_id
    assert other.notification_id != first.notification_id
