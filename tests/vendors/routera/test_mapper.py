"""Routera mapper: recorded payloads to the canonical contact, snapshots back to the documented
`POST /contacts {"fields": {...}}` body, list pages and error bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contact_archive.vendors.routera import mapper
from contact_archive.vendors.routera.types import Contact, ContactList
from tests.vendors.recorded import RecordedPayloads

# Routera's default contact properties, plus the two always present and `archived_by`.
DOCUMENTED_CONTACT_KEYS = {
    "id",
    "first_name",
    "last_name",
    "email",
    "contact_owner",
    "external_id",
    "archived",
    "created_at",
    "updated_at",
    "archived_by",
}


RECORDED = RecordedPayloads(__file__)
CONTACT_PAYLOADS = RECORDED.contacts
load = RECORDED.load


# Recorded payloads


def test_every_documented_form_of_archived_is_recorded() -> None:
    # Given the recorded contacts
    forms = {type(json.loads(path.read_text())["archived"]).__name__ for path in CONTACT_PAYLOADS}
    values = {json.loads(path.read_text())["archived"] for path in CONTACT_PAYLOADS}
    # Then `false`, `true` and a timestamp are among them
    assert forms == {"bool", "str"}
    assert {False, True} <= values


def test_contact_type_has_the_documented_keys() -> None:
    # Given the documented properties, Then the TypedDict has exactly them, and the always-present
    # ones are required
    assert (
        set(Contact.__required_keys__) | set(Contact.__optional_keys__) == DOCUMENTED_CONTACT_KEYS
    )
    assert set(Contact.__required_keys__) == {"id", "created_at", "updated_at", "archived"}


# to_canonical


@pytest.mark.parametrize(
    ("archived", "state"),
    [
        (False, (False, None)),
        (None, (False, None)),
        ("", (False, None)),
        (True, (True, None)),
        ("2026-05-28T12:00:00.000Z", (True, "2026-05-28T12:00:00.000Z")),
        ("2026-05-28T14:00:00+02:00", (True, "2026-05-28T12:00:00.000Z")),
        ("<string>", (True, None)),
    ],
)
def test_archived_state_reads_false_a_timestamp_or_a_boolean(
    archived: object, state: tuple[bool, str | None]
) -> None:
    # Given a value of `archived`, When it is read, Then it gives the flag and the time if any
    assert mapper.archived_state(archived) == state


def test_archived_by_is_kept_only_on_an_archived_contact() -> None:
    # Given an active contact that nevertheless carries `archived_by`
    payload: Any = {**load("contact_active.json"), "archived_by": "user-uuid"}
    # When it is mapped
    contact = mapper.to_canonical(payload)
    # Then it is active and nobody archived it
    assert contact.archived is False
    assert contact.archived_by is None


def test_an_archived_contact_without_archived_by_has_no_archiver() -> None:
    # Given an archived contact without `archived_by` (not documented, read defensively)
    payload: Any = load("contact_archived_timestamp.json")
    del payload["archived_by"]
    # When it is mapped
    contact = mapper.to_canonical(payload)
    # Then it is archived, by nobody known
    assert contact.archived is True
    assert contact.archived_by is None


def test_nullable_fields_map_to_none() -> None:
    # Given a contact whose nullable fields are null
    payload: Any = {
        **load("contact_active.json"),
        "external_id": None,
        "first_name": None,
        "email": None,
    }
    # When it is mapped
    contact = mapper.to_canonical(payload)
    # Then they are None, and the rest is kept
    assert (contact.external_id, contact.first_name, contact.email) == (None, None, None)
    assert contact.last_name == "Lovelace"


def test_scope_is_passed_through() -> None:
    # Given a contact, When it is mapped with and without a scope, Then the scope is the one given
    payload: Contact = load("contact_active.json")
    assert mapper.to_canonical(payload).scope is None
    assert mapper.to_canonical(payload, scope="account").scope == "account"


# snapshot, create_body


@pytest.mark.parametrize("payload_path", CONTACT_PAYLOADS, ids=lambda path: path.stem)
def test_snapshot_to_create_body_keeps_the_contact_fields(payload_path: Path) -> None:
    # Given a recorded contact
    payload: Any = json.loads(payload_path.read_text())
    # When it is snapshotted, stored as JSON, and turned into a create request
    saved = json.loads(json.dumps(mapper.snapshot(payload)))
    body = mapper.create_body(saved)
    # Then the request sets every field the contact had, and none Routera sets itself
    assert body == {
        "fields": {
            key: payload[key]
            for key in ("external_id", "first_name", "last_name", "email", "contact_owner")
        }
    }
    assert saved["id"] == payload["id"]


def test_snapshot_keeps_custom_fields_and_leaves_out_nulls() -> None:
    # Given a contact read with a custom property and a null external id
    payload: Any = {**load("contact_archived_timestamp.json"), "phone": "+1 555 0100"}
    payload["external_id"] = None
    # When it is snapshotted and turned into a create request
    body = mapper.create_body(mapper.snapshot(payload))
    # Then the custom field is set again, and the null one is not sent
    assert body["fields"]["phone"] == "+1 555 0100"
    assert "external_id" not in body["fields"]
    assert set(body["fields"]).isdisjoint(mapper.SYSTEM_KEYS)


def test_create_body_never_sends_keys_routera_sets_itself() -> None:
    # Given a hand-made snapshot that lists system keys among its fields
    saved = {"id": "old", "fields": {"email": "ada@example.com", "id": "old", "archived": False}}
    # When the create request is built, Then only the contact field is sent
    assert mapper.create_body(saved) == {"fields": {"email": "ada@example.com"}}


@pytest.mark.parametrize(
    ("saved", "reason"),
    [
        ({"id": "old"}, "no fields"),
        ({"id": "old", "fields": []}, "no fields"),
        ({"id": "old", "fields": {"contact_owner": "jane@example.com"}}, "none of"),
        ({"id": "old", "fields": {"email": "", "first_name": None}}, "none of"),
    ],
)
def test_create_body_refuses_a_snapshot_routera_would_reject(
    saved: dict[str, Any], reason: str
) -> None:
    # Given a snapshot without any of email, first name or last name
    # When the create request is built, Then it fails saying why
    with pytest.raises(ValueError, match=reason):
        mapper.create_body(saved)


# What a restore cannot write back, and duplicates


def test_not_restored_lists_what_routera_sets_itself_on_a_re_create() -> None:
    # Given Routera's contact keys, Then what a restore never writes back is among the keys it
    # sets itself, each with a reason, and the archive state is not among them (a restore
    # changes it on purpose)
    assert set(mapper.NOT_RESTORED) == {"id", "created_at", "updated_at"}
    assert set(mapper.NOT_RESTORED) < mapper.SYSTEM_KEYS
    assert all(reason.strip() for reason in mapper.NOT_RESTORED.values())


@pytest.mark.parametrize(
    ("fields", "also"),
    [
        ({"email": "ada@example.com", "region": "EMEA"}, {}),
        ({"email": "ada@example.com", "archived_by": "u-1"}, {"archived_by"}),
        ({"email": "ada@example.com", "id": "old"}, {}),  # already reported, with its reason
    ],
)
def test_not_restored_adds_the_snapshot_keys_a_create_cannot_take(
    fields: dict[str, Any], also: set[str]
) -> None:
    # Given a snapshot, When what its re-create cannot write back is read
    reported = mapper.not_restored({"id": "old", "fields": fields})
    # Then it is NOT_RESTORED and each key of its fields that create_body leaves out
    assert reported == {**dict.fromkeys(also, mapper.READ_ONLY_REASON), **mapper.NOT_RESTORED}
    sent = mapper.create_body({"id": "old", "fields": fields})["fields"]
    assert set(fields) - set(sent) <= set(reported)


@pytest.mark.parametrize(
    ("contact", "shared"),
    [
        ({"email": "ADA@example.com ", "external_id": "crm-42"}, ["email", "external_id"]),
        ({"email": "grace@example.com", "external_id": "crm-42"}, ["external_id"]),
        ({"email": "ada@example.com", "external_id": None}, ["email"]),
        ({"email": None, "external_id": "crm-43"}, []),
        ({"email": "", "external_id": ""}, []),
    ],
)
def test_shared_unique_fields_compares_emails_without_case(
    contact: dict[str, Any], shared: list[str]
) -> None:
    # Given a re-create's body and an active contact
    body: Any = {"fields": {"email": "ada@example.com", "external_id": "crm-42"}}
    payload: Any = {"id": "c-1", **contact}
    # When the fields it holds as the body sets them are read, Then an email's case is ignored
    assert mapper.shared_unique_fields(payload, body) == shared


# list_page


def test_recorded_list_page_is_the_last() -> None:
    # Given a recorded page shorter than its limit
    payload: ContactList = load("list_contacts.json")
    # When it is read
    contacts, next_offset = mapper.list_page(payload)
    # Then it holds its contacts, and there is no next page
    assert [mapper.to_canonical(contact).vendor_id for contact in contacts] == [
        "550e8400-e29b-41d4-a716-446655440000"
    ]
    assert next_offset is None


@pytest.mark.parametrize(
    ("size", "limit", "offset", "count", "next_offset"),
    [
        pytest.param(10, 10, 0, 25, 10, id="full page, total ahead"),
        pytest.param(10, 10, 10, 25, 20, id="full middle page, total ahead"),
        pytest.param(5, 10, 20, 25, None, id="short page"),
        pytest.param(10, 10, 10, 20, None, id="full page reaching the total"),
        pytest.param(10, 10, 30, 10, 40, id="count as page size, full page"),
        pytest.param(3, 10, 30, 3, None, id="count as page size, short page"),
        pytest.param(0, 10, 40, 0, None, id="empty page"),
    ],
)
def test_list_page_next_offset(
    size: int, limit: int, offset: int, count: int, next_offset: int | None
) -> None:
    # Given a page of `size` contacts
    contact: Contact = load("contact_active.json")
    page_contacts: list[Contact] = [contact.copy() for _ in range(size)]
    payload: ContactList = {
        "data": page_contacts,
        "pagination": {"limit": limit, "offset": offset, "count": count},
    }
    # When it is read
    contacts, found = mapper.list_page(payload)
    # Then it gives every contact and the next offset, if any
    assert len(contacts) == size
    assert found == next_offset


def test_list_page_without_pagination_is_the_last() -> None:
    # Given a page lacking its pagination block (read defensively)
    payload: Any = {"data": [load("contact_active.json")]}
    # When it is read, Then there is no next page
    contacts, next_offset = mapper.list_page(payload)
    assert len(contacts) == 1
    assert next_offset is None


# error_message


def test_error_message_of_the_recorded_error_body() -> None:
    # Given Routera's 401 body, When its message is read, Then it is Routera's own text
    assert mapper.error_message(load("error_unauthorized.json")) == (
        "Unauthorized: missing account context"
    )


@pytest.mark.parametrize(
    "body",
    [None, "", "Bad Gateway", [], {}, {"error": True}, {"message": ""}, {"message": 404}],
)
def test_error_message_is_none_without_a_message(body: object) -> None:
    # Given a body that is not Routera's error body, When read, Then there is no message
    assert mapper.error_message(body) is None


def test_error_message_is_bounded() -> None:
    # Given an error body with a very long message, When read, Then it is cut to a bounded length
    body = {"message": "x" * 10_000, "error": True}
    assert mapper.error_message(body) == "x" * mapper.ERROR_MESSAGE_LIMIT
