"""Signed webhook deliveries from `devtools/webhooks.py` and the sandboxes: each one verifies with
the documented test secret and parses to what the vendor's change means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.intercom import webhook as intercom_webhook
from contact_archive.vendors.sequence import webhook as sequence_webhook
from contact_archive.vendors.webhooks import (
    NotificationKind,
    SignatureFailure,
    Subject,
    WebhookSignatureInvalid,
)
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.webhooks import (
    INTERCOM_TEST_APP_ID,
    SEQUENCE_TEST_ACCOUNT_ID,
    TEST_WEBHOOK_SECRET,
    intercom_delivery,
    sequence_delivery,
)

SECRET = SecretStr(TEST_WEBHOOK_SECRET)
NOW = 1_717_000_000  # UNIX seconds
MOMENT = datetime(2025, 8, 28, 12, 0, 30, tzinfo=UTC)


def test_the_test_secret_is_the_documented_one() -> None:
    assert TEST_WEBHOOK_SECRET == "contact-archive-test-secret"


@pytest.mark.parametrize(
    ("topic", "kind"),
    [
        ("contact.archived", NotificationKind.ARCHIVED),
        ("contact.unarchived", NotificationKind.UNARCHIVED),
        ("contact.deleted", NotificationKind.DELETED),
        ("ping", NotificationKind.IGNORED),
    ],
)
def test_intercom_deliveries_verify_and_parse(topic: str, kind: NotificationKind) -> None:
    # Given a signed Intercom delivery of a topic about contact c1
    delivery = intercom_delivery(topic, "c1", created_at=NOW, external_id="ext-1")
    # When the service would verify and parse it
    intercom_webhook.verify(delivery.body, delivery.headers, SECRET)
    notification = intercom_webhook.parse(delivery.body)
    # Then it is that topic's change, at that time, from the test app
    assert delivery.vendor is Vendor.INTERCOM
    assert notification.kind is kind
    assert notification.vendor_account_id == INTERCOM_TEST_APP_ID
    assert notification.occurred_at == "2024-05-29T16:26:40.000Z"
    if kind is not NotificationKind.IGNORED:
        assert (notification.subject, notification.vendor_id) == (Subject.CONTACT, "c1")


def test_each_intercom_delivery_has_its_own_notification_id() -> None:
    first = intercom_delivery("contact.archived", "c1", created_at=NOW)
    second = intercom_delivery("contact.archived", "c1", created_at=NOW)
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["id"].startswith("notif_")


def test_a_delivery_signed_with_another_secret_does_not_verify() -> None:
    # Given a delivery signed with a secret other than the tenant's
    delivery = intercom_delivery("contact.archived", "c1", created_at=NOW, secret="other")
    # Then verifying it with the test secret refuses it
    with pytest.raises(WebhookSignatureInvalid) as refused:
        intercom_webhook.verify(delivery.body, delivery.headers, SECRET)
    assert refused.value.reason is SignatureFailure.MISMATCH


def test_sequence_deliveries_verify_within_the_window_and_parse() -> None:
    # Given a signed CUSTOMER_ARCHIVED about customer cus-1, delivered at MOMENT
    delivery = sequence_delivery("CUSTOMER_ARCHIVED", "cus-1", delivered_at=MOMENT)
    # When the service verifies it a minute later and parses it
    delivered_at = sequence_webhook.verify(
        delivery.body, delivery.headers, SECRET, MOMENT + timedelta(minutes=1)
    )
    notification = sequence_webhook.parse(delivery.body, delivered_at=delivered_at)
    # Then it archives the customer's links, timed at delivery (no archivedAt was given)
    assert (notification.kind, notification.subject, notification.vendor_id) == (
        NotificationKind.ARCHIVED,
        Subject.CUSTOMER,
        "cus-1",
    )
    assert notification.vendor_account_id == SEQUENCE_TEST_ACCOUNT_ID
    assert notification.occurred_at == "2025-08-28T12:00:30.000Z"
    # And replayed ten minutes later, the same delivery is refused
    with pytest.raises(WebhookSignatureInvalid) as refused:
        sequence_webhook.verify(
            delivery.body, delivery.headers, SECRET, MOMENT + timedelta(minutes=10)
        )
    assert refused.value.reason is SignatureFailure.TIMESTAMP_TOO_OLD


# -- the sandboxes -----------------------------------------------------------------------------


def test_intercom_auto_unarchive_produces_the_signed_unarchived_delivery() -> None:
    # Given an archived contact in the Intercom sandbox
    sandbox = IntercomSandbox(clock=lambda: float(NOW))
    contact = sandbox.add_contact(email="ada@example.com", external_id="ext-7", archived=True)
    # When Intercom unarchives it by itself (the person logged in again)
    delivery = sandbox.auto_unarchive(contact["id"])
    # Then the contact is active, and the delivery is the matching signed contact.unarchived
    assert sandbox.contact(contact["id"])["archived"] is False  # type: ignore[index]
    intercom_webhook.verify(delivery.body, delivery.headers, SECRET)
    notification = intercom_webhook.parse(delivery.body)
    assert notification.topic == "contact.unarchived"
    assert (notification.kind, notification.vendor_id) == (
        NotificationKind.UNARCHIVED,
        contact["id"],
    )
    assert delivery.json()["data"]["item"]["external_id"] == "ext-7"


def test_intercom_archive_in_ui_produces_the_signed_archived_delivery() -> None:
    # Given an active contact, and a sandbox with its own app id and secret
    sandbox = IntercomSandbox(
        clock=lambda: float(NOW), app_id="app-9", webhook_secret="tenant-9-secret"
    )
    contact = sandbox.add_contact(email="ada@example.com")
    # When someone archives it in Intercom's UI
    delivery = sandbox.archive_in_ui(contact["id"])
    # Then it is archived, and the delivery verifies with that sandbox's secret only
    assert sandbox.contact(contact["id"])["archived"] is True  # type: ignore[index]
    intercom_webhook.verify(delivery.body, delivery.headers, SecretStr("tenant-9-secret"))
    with pytest.raises(WebhookSignatureInvalid):
        intercom_webhook.verify(delivery.body, delivery.headers, SECRET)
    notification = intercom_webhook.parse(delivery.body)
    assert (notification.kind, notification.vendor_id, notification.vendor_account_id) == (
        NotificationKind.ARCHIVED,
        contact["id"],
        "app-9",
    )


def test_sequence_archive_customer_in_ui_produces_the_signed_customer_archived() -> None:
    # Given a Sequence customer with a contact
    sandbox = SequenceSandbox(clock=lambda: MOMENT)
    contact = sandbox.add_contact("cus-1", name="Ada Lovelace", email="ada@example.com")
    # When the customer is archived in Sequence's dashboard
    delivery = sandbox.archive_customer_in_ui("cus-1")
    # Then the delivery verifies at that moment and archives the customer's links
    delivered_at = sequence_webhook.verify(delivery.body, delivery.headers, SECRET, MOMENT)
    notification = sequence_webhook.parse(delivery.body, delivered_at=delivered_at)
    assert (notification.kind, notification.subject, notification.vendor_id) == (
        NotificationKind.ARCHIVED,
        Subject.CUSTOMER,
        "cus-1",
    )
    assert notification.occurred_at == "2025-08-28T12:00:30.000Z"
    assert sandbox.customer_archived_at("cus-1") == "2025-08-28T12:00:30Z"
    # And the resource carries the customer's contacts, which are left as they were
    assert delivery.json()["resource"]["contacts"] == [contact]
    assert "archivedAt" not in sandbox.contact("cus-1", contact["id"])  # type: ignore[operator]


def test_sequence_archiving_an_unknown_customer_is_an_error() -> None:
    with pytest.raises(KeyError):
        SequenceSandbox(clock=lambda: MOMENT).archive_customer_in_ui("nobody")
