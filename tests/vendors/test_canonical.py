"""Helpers every vendor mapper shares: timestamps and names."""

from __future__ import annotations

import pytest

from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.vendors.canonical import (
    VendorContact,
    iso_from_text,
    iso_from_unix,
    join_name,
    split_name,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-11-07T05:31:56Z", "2023-11-07T05:31:56.000Z"),
        ("2023-11-07T07:31:56+02:00", "2023-11-07T05:31:56.000Z"),
        ("2023-11-07T05:31:56.123456Z", "2023-11-07T05:31:56.123Z"),
        ("2015-03-17", "2015-03-17T00:00:00.000Z"),
        ("2023-11-07T05:31:56", "2023-11-07T05:31:56.000Z"),
        (None, None),
        ("", None),
    ],
)
def test_iso_from_text(text: str | None, expected: str | None) -> None:
    assert iso_from_text(text) == expected


def test_iso_from_unix() -> None:
    assert iso_from_unix(1699335116) == "2023-11-07T05:31:56.000Z"
    assert iso_from_unix(None) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", ("Ada", "Lovelace")),
        ("Augusta Ada King", ("Augusta Ada", "King")),
        ("Cher", ("Cher", None)),
        ("  ", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_name(name: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_name(name) == expected


def test_join_name() -> None:
    assert join_name("Ada", "Lovelace") == "Ada Lovelace"
    assert join_name(None, "Lovelace") == "Lovelace"
    assert join_name(None, None) is None


def test_link_state_follows_archived() -> None:
    active = VendorContact(vendor=Vendor.INTERCOM, vendor_id="1")
    assert active.link_state is LinkState.ACTIVE
    archived = active.model_copy(update={"archived": True})
    assert archived.link_state is LinkState.ARCHIVED
