"""Recorded vendor payloads: laid out in pairs, and each maps to the contact (or, for a webhook
body, parses to the notification) recorded beside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.constant_contact import mapper as constant_contact
from contact_archive.vendors.intercom import mapper as intercom
from contact_archive.vendors.intercom import webhook as intercom_webhook
from contact_archive.vendors.routera import mapper as routera
from contact_archive.vendors.sequence import mapper as sequence
from contact_archive.vendors.sequence import webhook as sequence_webhook
from contact_archive.vendors.webhooks import VendorNotification
from tests.vendors.recorded import RecordedPayloads
from tests.vendors.sequence import CUSTOMER_ID as SEQUENCE_CUSTOMER_ID
from tests.vendors.sequence import DELIVERED_AT as SEQUENCE_DELIVERED_AT


def recorded_in(tmp_path: Path, *names: str) -> RecordedPayloads:
    payloads = tmp_path / "payloads"
    payloads.mkdir()
    for name in names:
        (payloads / name).write_text("{}")
    return RecordedPayloads(str(tmp_path / "test_mapper.py"))


def test_a_complete_layout_has_no_problems(tmp_path: Path) -> None:
    recorded = recorded_in(
        tmp_path,
        "contact_a.json",
        "contact_a.expected.json",
        "webhook_w.json",
        "webhook_w.expected.json",
        "list_x.json",
        "error_y.json",
    )
    assert recorded.layout_problems() == []
    assert [path.name for path in recorded.contacts] == ["contact_a.json"]
    assert [path.name for path in recorded.webhooks] == ["webhook_w.json"]


def test_missing_results_orphans_and_strangers_are_named(tmp_path: Path) -> None:
    recorded = recorded_in(
        tmp_path,
        "contact_a.json",
        "contact_b.expected.json",
        "webhook_v.json",
        "webhook_w.expected.json",
        "other_z.json",
    )
    assert recorded.layout_problems() == [
        "contact_a.json has no contact_a.expected.json",
        "contact_b.expected.json has no contact payload",
        "other_z.json is not a contact, webhook, list or error payload",
        "webhook_v.json has no webhook_v.expected.json",
        "webhook_w.expected.json has no webhook payload",
    ]


def test_an_empty_directory_is_a_problem(tmp_path: Path) -> None:
    assert recorded_in(tmp_path).layout_problems() == ["no contact payloads recorded"]


# Every vendor's recorded payloads, mapped by that vendor's mapper.

VENDORS = Path(__file__).resolve().parent
MAPPERS: dict[str, Callable[[Any], VendorContact]] = {
    "sequence": lambda payload: sequence.to_canonical(payload, scope=SEQUENCE_CUSTOMER_ID),
    "routera": routera.to_canonical,
    "intercom": intercom.to_canonical,
    "constant_contact": constant_contact.to_canonical,
}
RECORDED = {
    vendor: RecordedPayloads(str(VENDORS / vendor / "test_mapper.py")) for vendor in MAPPERS
}
CONTACTS = [(vendor, path) for vendor, recorded in RECORDED.items() for path in recorded.contacts]


# The contact forms each vendor documents, each recorded once.
DOCUMENTED_CONTACT_FORMS = {
    # Active with each billing preference, and archived
    "sequence": {
        "contact_active_billing_none",
        "contact_active_billing_primary",
        "contact_active_billing_standard",
        "contact_archived",
    },
    # Active, and archived as a timestamp or as a boolean
    "routera": {"contact_active", "contact_archived_boolean", "contact_archived_timestamp"},
    # The full contact (active, created, archived) and both short answers
    "intercom": {
        "contact_active",
        "contact_created",
        "contact_archived",
        "contact_archive_response",
        "contact_unarchive_response",
    },
    # An active contact with lists, a deleted one, and one fetched without lists
    "constant_contact": {
        "contact_active_with_list_memberships",
        "contact_deleted",
        "contact_without_list_memberships",
    },
}


@pytest.mark.parametrize("vendor", MAPPERS)
def test_each_vendors_payloads_come_in_pairs(vendor: str) -> None:
    assert RECORDED[vendor].layout_problems() == []


@pytest.mark.parametrize("vendor", MAPPERS)
def test_every_documented_contact_form_is_recorded(vendor: str) -> None:
    # Given the vendor's payload directory
    # Then it holds one contact payload per form the vendor documents
    assert {path.stem for path in RECORDED[vendor].contacts} == DOCUMENTED_CONTACT_FORMS[vendor]


@pytest.mark.parametrize(
    ("vendor", "payload_path"), CONTACTS, ids=[f"{v}-{p.stem}" for v, p in CONTACTS]
)
def test_every_recorded_contact_maps_to_its_expected_contact(
    vendor: str, payload_path: Path
) -> None:
    # Given a recorded vendor payload / When its vendor's mapper maps it
    contact = MAPPERS[vendor](RECORDED[vendor].load(payload_path.name))
    # Then it is exactly the canonical contact recorded beside it
    assert contact.model_dump(mode="json") == RECORDED[vendor].expected_for(payload_path)


# Every vendor's recorded webhook bodies, parsed by that vendor's webhook parser.

PARSERS: dict[str, Callable[[bytes], VendorNotification]] = {
    "intercom": intercom_webhook.parse,
    # Sequence's envelope has no time: the signed delivery time stands in where it is needed.
    "sequence": lambda body: sequence_webhook.parse(body, delivered_at=SEQUENCE_DELIVERED_AT),
}
WEBHOOKS = [(vendor, path) for vendor in PARSERS for path in RECORDED[vendor].webhooks]


def test_every_vendor_with_webhooks_has_recorded_deliveries() -> None:
    # Given the vendors that send webhooks, Then each has a recorded delivery per contact topic
    topics = {
        vendor: {RECORDED[vendor].load(path.name)[key] for path in RECORDED[vendor].webhooks}
        for vendor, key in (("intercom", "topic"), ("sequence", "notificationType"))
    }
    assert {"contact.archived", "contact.unarchived", "contact.deleted"} < topics["intercom"]
    assert "CUSTOMER_ARCHIVED" in topics["sequence"]
    # And at least one topic the service ignores, per vendor
    assert topics["intercom"] - set(intercom_webhook.TOPICS)
    assert topics["sequence"] - {sequence_webhook.CUSTOMER_ARCHIVED}


@pytest.mark.parametrize(
    ("vendor", "payload_path"), WEBHOOKS, ids=[f"{v}-{p.stem}" for v, p in WEBHOOKS]
)
def test_every_recorded_webhook_parses_to_its_expected_notification(
    vendor: str, payload_path: Path
) -> None:
    # Given a recorded webhook body, byte for byte as the vendor sent it
    body = RECORDED[vendor].load_bytes(payload_path.name)
    # When its vendor's parser reads it
    notification = PARSERS[vendor](body)
    # Then it is exactly the notification recorded beside it
    assert notification.model_dump(mode="json") == RECORDED[vendor].expected_for(payload_path)
