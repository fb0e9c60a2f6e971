"""Recorded vendor payloads: laid out in pairs, and each maps to the contact recorded beside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.constant_contact import mapper as constant_contact
from contact_archive.vendors.intercom import mapper as intercom
from contact_archive.vendors.routera import mapper as routera
from contact_archive.vendors.sequence import mapper as sequence
from tests.vendors.recorded import RecordedPayloads
from tests.vendors.sequence import CUSTOMER_ID as SEQUENCE_CUSTOMER_ID


def recorded_in(tmp_path: Path, *names: str) -> RecordedPayloads:
    payloads = tmp_path / "payloads"
    payloads.mkdir()
    for name in names:
        (payloads / name).write_text("{}")
    return RecordedPayloads(str(tmp_path / "test_mapper.py"))


def test_a_complete_layout_has_no_problems(tmp_path: Path) -> None:
    recorded = recorded_in(
        tmp_path, "contact_a.json", "contact_a.expected.json", "list_x.json", "error_y.json"
    )
    assert recorded.layout_problems() == []
    assert [path.name for path in recorded.contacts] == ["contact_a.json"]


def test_missing_results_orphans_and_strangers_are_named(tmp_path: Path) -> None:
    recorded = recorded_in(tmp_path, "contact_a.json", "contact_b.expected.json", "webhook_z.json")
    assert recorded.layout_problems() == [
        "contact_a.json has no contact_a.expected.json",
        "contact_b.expected.json has no contact payload",
        "webhook_z.json is not a contact, list or error payload",
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


@pytest.mark.parametrize("vendor", MAPPERS)
def test_each_vendors_payloads_come_in_pairs(vendor: str) -> None:
    assert RECORDED[vendor].layout_problems() == []


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
