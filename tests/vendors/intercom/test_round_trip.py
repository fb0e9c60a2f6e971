"""A whole Intercom contact through archive and restore, field by field: a contact holding every
writable field of 2.10 is snapshotted, archived, restored (unarchived) a day later and fetched
raw again; every field comes back but the ones Intercom sets itself, so `not_restored` is empty,
as `mapper.NOT_RESTORED` says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.intercom import mapper
from tests.fakes import FakeTime
from tests.vendors.intercom.case import IntercomCase
from tests.vendors.recorded import load_spec, resolve_schema
from tests.vendors.sandboxed import ABSENT

# Every writable field of the 2.10 contact (`create_contact_request`, `update_contact_request`)
EVERY_WRITABLE_FIELD: dict[str, Any] = {
    "role": "user",
    "external_id": "crm-4711",
    "email": "ada@example.com",
    "phone": "+353871234567",
    "name": "Ada King Lovelace",
    "avatar": "https://example.com/avatars/ada.png",
    "signed_up_at": 1_600_000_000,
    "last_seen_at": 1_716_000_000,
    "owner_id": 991,
    "unsubscribed_from_emails": True,
    "custom_attributes": {"plan": "pro", "seats": 12, "beta": True, "spend": 155.5},
}
# How the contact shows what it was given, where that differs from the request
SHOWN_AS = {"avatar": {"type": "avatar", "image_url": "https://example.com/avatars/ada.png"}}
IDENTITY = {"id"}  # the contact's id: the same one comes back, as it must
SET_BY_INTERCOM = {"updated_at"}  # moves when Intercom archives and unarchives


@pytest.fixture
def case() -> Iterator[IntercomCase]:
    with IntercomCase() as case:
        yield case


def raw(case: IntercomCase, contact_id: str) -> dict[str, Any]:
    """The contact as Intercom's API shows it, through the API."""
    answer = case.http.get(f"/contacts/{contact_id}", headers=case.api_headers())
    assert answer.status_code == 200
    contact: dict[str, Any] = answer.json()
    return contact


def test_every_writable_field_is_a_field_of_the_specs_requests() -> None:
    spec = load_spec("intercom-2.10.yaml")
    schemas = spec["components"]["schemas"]
    for name in ("create_contact_request", "update_contact_request"):
        assert set(resolve_schema(spec, schemas[name])["properties"]) == set(EVERY_WRITABLE_FIELD)


def test_archive_and_restore_keep_every_field_of_the_contact(
    case: IntercomCase, clock: FakeTime
) -> None:
    # Given a contact created with every writable field, and holding each of them
    created = case.http.post("/contacts", json=EVERY_WRITABLE_FIELD, headers=case.api_headers())
    assert created.status_code == 200
    ref = LinkRef(created.json()["id"])
    before = raw(case, ref.vendor_id)
    assert {key: before[key] for key in EVERY_WRITABLE_FIELD} == {
        **EVERY_WRITABLE_FIELD,
        **SHOWN_AS,
    }

    # When it is snapshotted and archived as the sync does, restored a day later, and fetched
    snapshot = case.client.take_snapshot(ref)
    case.client.archive(ref)
    clock.now += 86_400
    result = case.client.restore(ref, snapshot)
    after = raw(case, ref.vendor_id)

    # Then, field by field, every field but those set aside comes back as it was...
    compared = (before.keys() | after.keys()) - IDENTITY - SET_BY_INTERCOM
    assert compared >= set(EVERY_WRITABLE_FIELD)
    changed = {
        key: (before.get(key, ABSENT), after.get(key, ABSENT))
        for key in sorted(compared)
        if before.get(key, ABSENT) != after.get(key, ABSENT)
    }
    assert changed == {}
    # ...so nothing is reported as not restored, as the mapper's constant says
    assert set(result.not_restored) == set(changed) == set(mapper.NOT_RESTORED)
    # And of those set aside: the same id came back, and Intercom moved `updated_at`
    assert after["id"] == before["id"] == result.vendor_id
    assert after["updated_at"] > before["updated_at"]
