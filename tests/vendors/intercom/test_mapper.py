"""Intercom 2.10 payloads to the canonical contact and back, checked against the vendor's spec.

`payloads/contact_archived.json` is the spec's `GET /contacts/{id}` example with `archived: true`
added: the 2.10 `contact` schema has no `archived`, so no recorded full archived contact exists;
the key is what the short archive answer and the `contact.archived` topic carry.
"""

from __future__ import annotations

from typing import Any

import pytest

from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.intercom import mapper
from tests.vendors.recorded import RecordedPayloads, load_spec, resolve_schema

RECORDED = RecordedPayloads(__file__)
_payload = RECORDED.load
# A canonical contact with every field a create body takes
ADA = VendorContact(
    vendor=Vendor.INTERCOM,
    vendor_id="old",
    email="ada@example.com",
    first_name="Ada",
    last_name="Lovelace",
    external_id="ext-1",
)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec("intercom-2.10.yaml")


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """Every property a schema allows, through `$ref`s and `oneOf`/`anyOf`/`allOf` branches."""
    schema = resolve_schema(spec, schema)
    names = set(schema.get("properties", {}))
    for combinator in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(combinator, []):
            names |= _properties(spec, branch)
    return names


def test_unix_seconds_and_name_are_converted() -> None:
    # Given the spec's full contact: created 1717021791, named "Joe Bloggs"
    # When it is mapped
    contact = mapper.to_canonical(_payload("contact_active"))
    # Then the times are ISO UTC and the name is split, and the link is active
    assert contact.created_at == "2024-05-29T22:29:51.000Z"
    assert (contact.first_name, contact.last_name) == ("Joe", "Bloggs")
    assert contact.link_state is LinkState.ACTIVE


def test_archive_and_unarchive_answers_give_the_link_state() -> None:
    # When the short answers to archive and unarchive are mapped
    archived = mapper.to_canonical(_payload("contact_archive_response"))
    unarchived = mapper.to_canonical(_payload("contact_unarchive_response"))
    # Then they say archived and active, with no archive time (Intercom gives none)
    assert archived.link_state is LinkState.ARCHIVED and archived.archived_at is None
    assert unarchived.link_state is LinkState.ACTIVE


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "contact", "external_id": "70", "archived": True},
        {"type": "contact", "id": "", "archived": True},
        {"type": "contact", "id": "1", "external_id": "70"},
        {"type": "contact", "id": "1", "archived": "true"},
        {"type": "user", "id": "1", "archived": True},
    ],
    ids=[
        "no id",
        "empty id",
        "short answer without archived",
        "archived not boolean",
        "not a contact",
    ],
)
def test_short_answer_missing_a_required_key_is_refused(payload: dict[str, Any]) -> None:
    # Given a payload lacking type, id or archived (required, as in 2.11)
    # When it is mapped, Then it is refused
    with pytest.raises(ValueError, match="intercom"):
        mapper.to_canonical(payload)  # type: ignore[arg-type]


def test_snapshot_is_the_id_and_what_names_the_person() -> None:
    # Given a full contact about to be archived
    # When its restore material is taken
    material = mapper.snapshot(_payload("contact_active"))
    # Then it is the id (all unarchive needs), and the role, email and external id a search
    # for the person takes after a 404: nothing more
    assert material == {
        "id": "6657ac5f6abd0166b52ae242",
        "role": "user",
        "email": "joe@bloggs.com",
        "external_id": "70",
    }


def test_a_snapshot_of_what_is_not_a_contact_is_refused() -> None:
    with pytest.raises(ValueError, match="not a contact"):
        mapper.snapshot({"type": "user", "id": "1"})  # type: ignore[typeddict-item]


def test_a_restore_writes_everything_back() -> None:
    # Intercom's restore is an unarchive of the same contact: no field is ever left behind
    assert dict(mapper.NOT_RESTORED) == {}


def test_the_delete_answer_says_whether_it_deleted() -> None:
    # Given the spec's answer to DELETE /contacts/{id}, and the same saying not deleted
    answer = {"id": "6657ac616abd0166b52ae243", "external_id": "70", "type": "contact"}
    # Then `deleted` reads it, and refuses what is not a `contact_deleted`
    assert mapper.deleted({**answer, "deleted": True}) is True  # type: ignore[typeddict-item]
    assert mapper.deleted({**answer, "deleted": False}) is False  # type: ignore[typeddict-item]
    for wrong in ({**answer, "deleted": "yes"}, {"type": "user", "id": "1", "deleted": True}):
        with pytest.raises(ValueError, match="contact_deleted"):
            mapper.deleted(wrong)  # type: ignore[arg-type]


def test_search_body_is_one_equals_filter_with_its_page(spec: dict[str, Any]) -> None:
    # When the body of a search for an email is built, first and next page
    first = mapper.search_body("email", "ada@example.com", per_page=150, starting_after=None)
    following = mapper.search_body("email", "ada@example.com", per_page=150, starting_after="c")
    # Then it is a single `=` filter with the page asked for, in the spec's search_request
    assert first == {
        "query": {"field": "email", "operator": "=", "value": "ada@example.com"},
        "pagination": {"per_page": 150},
    }
    assert following["pagination"] == {"per_page": 150, "starting_after": "c"}
    schemas = spec["components"]["schemas"]
    assert set(first) <= set(schemas["search_request"]["properties"])
    assert set(first["query"]) <= set(schemas["single_filter_search_request"]["properties"])


def test_create_body_carries_role_email_name_and_external_id() -> None:
    # Given a canonical contact
    # When the create body is built
    body = mapper.create_body(ADA)
    # Then it is a user with the email, the joined name and the external id
    assert body == {
        "role": "user",
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "external_id": "ext-1",
    }


def test_create_body_leaves_out_missing_values_and_needs_email_or_external_id() -> None:
    # Given contacts with only an external id, and with neither email nor external id
    only_external_id = VendorContact(vendor=Vendor.INTERCOM, vendor_id="1", external_id="ext-1")
    anonymous = VendorContact(vendor=Vendor.INTERCOM, vendor_id="1", first_name="Ada")
    # Then the first gives a body without email or name, the second is refused
    assert mapper.create_body(only_external_id) == {"role": "user", "external_id": "ext-1"}
    with pytest.raises(ValueError, match="email or an external_id"):
        mapper.create_body(anonymous)


def test_create_body_keys_are_properties_of_the_create_request_schema(
    spec: dict[str, Any],
) -> None:
    # Given the request schema of POST /contacts
    request_schema = spec["paths"]["/contacts"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    allowed = _properties(spec, request_schema)
    # When a body with every canonical field is built
    body = mapper.create_body(ADA)
    # Then every key is a property the spec declares
    assert allowed >= {"role", "email", "name", "external_id"}
    assert set(body) <= allowed


def test_list_page_with_next_gives_the_starting_after_cursor() -> None:
    # Given a page whose pages.next carries a cursor
    contacts, cursor = mapper.list_page(_payload("list_page_with_next"))
    # Then the contacts and the cursor come back
    assert [contact["id"] for contact in contacts] == ["6657ac676abd0166b52ae248"]
    assert cursor == "WzE3MTcwMjE3OTkwMDAsIjY2NTdhYzY3NmFiZDAxNjZiNTJhZTI0OCIsMl0="


@pytest.mark.parametrize(
    "payload",
    [
        _payload("list_page_last"),
        {"type": "list", "data": [], "pages": None},
        {"type": "list", "data": [], "pages": {"type": "pages", "next": None}},
        {"type": "list", "data": [], "pages": {"next": {"starting_after": None}}},
    ],
    ids=["spec example", "pages null", "next null", "cursor null"],
)
def test_last_list_page_has_no_cursor(payload: Any) -> None:
    # Given the last page, in each nullable form the spec allows
    contacts, cursor = mapper.list_page(payload)
    # Then there is no next cursor
    assert contacts == []
    assert cursor is None


def test_error_list_gives_code_and_message() -> None:
    # Given the spec's 401 error list
    # Then its code and message come back as one line
    assert mapper.error_message(_payload("error_unauthorized")) == (
        "unauthorized: Access Token Invalid"
    )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "type": "error.list",
                "errors": [{"code": "not_found"}, {"code": "parameter_invalid", "message": "x"}],
            },
            "not_found; parameter_invalid: x",
        ),
        (_payload("contact_active"), None),
        ([{"error_key": "throttled"}], None),
        ("Bad Gateway", None),
        (None, None),
    ],
    ids=["several errors", "a contact", "another vendor's error", "text", "no body"],
)
def test_error_message_reads_only_error_lists(payload: Any, expected: str | None) -> None:
    # Given any body an Intercom call may answer with
    # Then only an error.list gives a message
    assert mapper.error_message(payload) == expected
