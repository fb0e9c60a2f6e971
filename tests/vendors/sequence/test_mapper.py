"""Sequence mapper: recorded payloads to the canonical contact, snapshots back to a create request
that the vendor's own OpenAPI (2024-07-30) accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.sequence import mapper
from contact_archive.vendors.sequence.types import (
    Contact,
    ContactBillingPreference,
    ContactRequestModel,
    ContactResponseModel,
)
from tests.vendors.recorded import RecordedPayloads, load_spec
from tests.vendors.recorded import resolve as resolve_in
from tests.vendors.sequence import CUSTOMER_ID

CREATE_PATH = "/customers/{customer}/contacts"

RECORDED = RecordedPayloads(__file__)
CONTACT_PAYLOADS = RECORDED.contacts
load = RECORDED.load


def spec() -> dict[str, Any]:
    return load_spec("sequence-2024-07-30.json")


def resolve(node: Any) -> Any:
    return resolve_in(spec(), node)


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = resolve({"$ref": f"#/components/schemas/{name}"})
    return found


def create_request_schema() -> dict[str, Any]:
    operation = spec()["paths"][CREATE_PATH]["post"]
    request_body = resolve(operation["requestBody"])
    found: dict[str, Any] = resolve(request_body["content"]["application/json"]["schema"])
    return found


def typed_keys(typed_dict: Any) -> set[str]:
    return set(typed_dict.__required_keys__) | set(typed_dict.__optional_keys__)


# Recorded payloads


def test_every_billing_preference_the_spec_allows_is_recorded() -> None:
    # Given the recorded contacts
    recorded = {json.loads(path.read_text())["billingPreference"] for path in CONTACT_PAYLOADS}
    # Then every value of the spec's enum is among them
    assert recorded == set(schema("ContactBillingPreference")["enum"])


# to_canonical


def test_archived_at_marks_the_contact_archived_at_that_time() -> None:
    # Given an archived contact (the answer of the archive call)
    payload: Contact = load("contact_archived.json")
    # When it is mapped
    contact = mapper.to_canonical(payload, scope=CUSTOMER_ID)
    # Then it is archived at `archivedAt`, normalised to UTC with milliseconds
    assert contact.archived is True
    assert contact.archived_at == "2023-06-28T16:47:00.000Z"


def test_a_null_archived_at_counts_as_active() -> None:
    # Given a contact whose optional `archivedAt` is null rather than absent
    payload: Any = {**load("contact_active_billing_none.json"), "archivedAt": None}
    # When it is mapped
    contact = mapper.to_canonical(payload, scope=CUSTOMER_ID)
    # Then it is active
    assert contact.archived is False
    assert contact.archived_at is None


def test_scope_is_the_customer_the_contact_was_read_under() -> None:
    # Given a contact, which carries no customer field of its own
    payload: Contact = load("contact_active_billing_none.json")
    # When it is mapped with and without a customer
    with_customer = mapper.to_canonical(payload, scope=CUSTOMER_ID)
    without_customer = mapper.to_canonical(payload)
    # Then the scope is the customer given, if any
    assert with_customer.scope == CUSTOMER_ID
    assert without_customer.scope is None


def test_name_is_split_into_first_and_last_name() -> None:
    # Given a contact with a three-word name
    payload: Any = {**load("contact_active_billing_none.json"), "name": "Augusta Ada King"}
    # When it is mapped
    contact = mapper.to_canonical(payload, scope=CUSTOMER_ID)
    # Then the last word is the last name
    assert (contact.first_name, contact.last_name) == ("Augusta Ada", "King")


def test_billing_preference_stays_out_of_the_canonical_contact() -> None:
    # Given the same contact with each billing preference
    payloads = [
        json.loads(path.read_text())
        for path in CONTACT_PAYLOADS
        if path.name.startswith("contact_active_billing_")
    ]
    # When each is mapped
    dumps = [mapper.to_canonical(payload).model_dump(mode="json") for payload in payloads]
    # Then none of them shows it, and they map alike
    assert len(dumps) == 3
    assert all("billingPreference" not in dump for dump in dumps)
    assert all(dump == dumps[0] for dump in dumps)
    assert set(VendorContact.model_fields) & {"billingPreference", "billing_preference"} == set()


# snapshot, create_body, create_path


@pytest.mark.parametrize("payload_path", CONTACT_PAYLOADS, ids=lambda path: path.stem)
def test_snapshot_to_create_body_keeps_name_email_and_billing_preference(
    payload_path: Path,
) -> None:
    # Given a recorded contact
    payload: Contact = json.loads(payload_path.read_text())
    # When it is snapshotted, stored as JSON, and turned into a create request
    saved = json.loads(json.dumps(mapper.snapshot(payload, scope=CUSTOMER_ID)))
    body = mapper.create_body(saved)
    # Then the request re-creates the same contact under the same customer
    assert body == {
        "name": payload["name"],
        "email": payload["email"],
        "billingPreference": payload["billingPreference"],
    }
    assert mapper.create_path(saved) == f"/customers/{CUSTOMER_ID}/contacts"
    assert saved["id"] == payload["id"]
    assert saved["customer"] == CUSTOMER_ID


def test_create_path_escapes_the_customer_id() -> None:
    # Given a snapshot whose customer id holds characters that are not path-safe
    saved = {**mapper.snapshot(load("contact_archived.json"), scope="a/b c")}
    # When the path is built
    path = mapper.create_path(saved)
    # Then the customer id stays one path segment
    assert path == "/customers/a%2Fb%20c/contacts"


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"name": None}, "name"),
        ({"email": ""}, "email"),
        ({"billingPreference": "SOMETIMES"}, "billingPreference"),
    ],
)
def test_create_body_refuses_a_snapshot_it_cannot_restore(
    change: dict[str, Any], missing: str
) -> None:
    # Given a snapshot lacking a field the create request requires
    saved = {**mapper.snapshot(load("contact_archived.json"), scope=CUSTOMER_ID), **change}
    # When the create request is built, Then it fails naming the field, not its value
    with pytest.raises(ValueError, match=missing):
        mapper.create_body(saved)


def test_create_path_refuses_a_snapshot_without_customer() -> None:
    # Given a snapshot without its customer
    saved = {**mapper.snapshot(load("contact_archived.json"), scope=CUSTOMER_ID), "customer": None}
    # When the path is built, Then it fails
    with pytest.raises(ValueError, match="customer"):
        mapper.create_path(saved)


# list_page


def test_list_page_holds_every_contact_and_no_next_page() -> None:
    # Given the recorded list of a customer's contacts
    payload: ContactResponseModel = load("list_contacts.json")
    # When it is read as a page
    contacts, next_page = mapper.list_page(payload)
    # Then it holds every contact, and Sequence has no pagination
    assert [contact["id"] for contact in contacts] == ["9a1e38a9-4dc9-776f-f974-4e7ee9f4d6cc"]
    assert next_page is None
    assert mapper.to_canonical(contacts[0], scope=CUSTOMER_ID).archived is True


def test_list_page_of_a_customer_without_contacts_is_empty() -> None:
    # Given a customer without contacts
    payload: ContactResponseModel = {"items": []}
    # When it is read as a page, Then it is empty and the last
    assert mapper.list_page(payload) == ([], None)


# error_message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "Customer not found"}, "Customer not found"),
        ({"error": "Unauthorized"}, "Unauthorized"),
        (
            {"errors": [{"message": "name is required"}, "email is invalid"]},
            "name is required; email is invalid",
        ),
        ("Internal Server Error", "Internal Server Error"),
        ({}, None),
        (None, None),
        ("", None),
        ([1, 2], None),
        ({"message": 42}, None),
    ],
)
def test_error_message_reads_the_usual_error_shapes(body: object, message: str | None) -> None:
    # Given an error body (Sequence documents none: 400/401/500 have empty content)
    # When its message is read
    found = mapper.error_message(body)
    # Then it is the vendor's text, or None when there is none
    assert found == message


def test_error_message_is_bounded() -> None:
    # Given an error body with a very long message
    body = {"message": "x" * 10_000}
    # When its message is read, Then it is cut to a bounded length
    assert mapper.error_message(body) == "x" * mapper.ERROR_MESSAGE_LIMIT


# The vendor's own spec


def test_create_body_matches_the_spec_request_schema() -> None:
    # Given the request schema of POST /customers/{customer}/contacts
    request_schema = create_request_schema()
    properties = set(request_schema["properties"])
    # When a create request is built from each recorded contact
    for payload_path in CONTACT_PAYLOADS:
        body = mapper.create_body(
            mapper.snapshot(json.loads(payload_path.read_text()), scope=CUSTOMER_ID)
        )
        # Then every key is a property, every required property is there, values are allowed
        assert set(body) <= properties, payload_path.name
        assert set(request_schema["required"]) <= set(body), payload_path.name
        billing_schema = resolve(request_schema["properties"]["billingPreference"])
        assert body["billingPreference"] in billing_schema["enum"]


def test_create_path_is_a_path_of_the_spec() -> None:
    # Given the spec's paths, Then the create path template is one of them, with a POST
    assert "post" in spec()["paths"][CREATE_PATH]


@pytest.mark.parametrize(
    ("typed_dict", "schema_name"),
    [
        (Contact, "Contact"),
        (ContactRequestModel, "ContactRequestModel"),
        (ContactResponseModel, "ContactResponseModel"),
    ],
)
def test_types_match_the_spec_schemas(typed_dict: Any, schema_name: str) -> None:
    # Given a schema of the spec and its TypedDict
    found = schema(schema_name)
    # Then they have the same properties and the same required ones
    assert typed_keys(typed_dict) == set(found["properties"])
    assert set(typed_dict.__required_keys__) == set(found["required"])


def test_billing_preference_values_match_the_spec_enum() -> None:
    # Given the spec's enum, Then the Literal allows exactly its values
    assert set(get_args(ContactBillingPreference)) == set(
        schema("ContactBillingPreference")["enum"]
    )


# What a restore cannot write back, and the billing rule


def test_not_restored_names_contact_fields_no_create_can_set() -> None:
    # Given the spec's contact and its create body
    contact_fields = set(schema("Contact")["properties"])
    writable = set(create_request_schema()["properties"])
    # Then what a restore can never write back is a contact field the create does not take
    assert set(mapper.NOT_RESTORED) <= contact_fields - writable
    assert set(mapper.NOT_RESTORED) == {"id", "createdAt"}
    assert all(reason.strip() for reason in mapper.NOT_RESTORED.values())


def billing_contact(contact_id: str, preference: str, *, archived: bool = False) -> Contact:
    contact: Contact = {
        "id": contact_id,
        "name": "Someone",
        "email": f"{contact_id}@example.com",
        "billingPreference": preference,  # type: ignore[typeddict-item]
        "createdAt": "2024-08-01T12:00:00Z",
        "updatedAt": "2024-08-01T12:00:00Z",
    }
    if archived:
        contact["archivedAt"] = "2024-08-01T12:00:00Z"
    return contact


@pytest.mark.parametrize(
    ("preference", "fallback"),
    [("STANDARD", "NONE"), ("PRIMARY", None), ("NONE", None)],
)
def test_only_a_standard_create_has_a_none_fallback(preference: str, fallback: str | None) -> None:
    # Given a create body of each billing preference
    body: ContactRequestModel = {
        "name": "Ada",
        "email": "ada@example.com",
        "billingPreference": preference,  # type: ignore[typeddict-item]
    }
    # When its fallback is asked for, Then only STANDARD (the one the rule refuses) has one
    found = mapper.without_billing(body)
    assert (found or {}).get("billingPreference") == fallback
    assert mapper.recreate_bodies(body) == ([body] if found is None else [body, found])


@pytest.mark.parametrize(
    ("others", "last"),
    [
        pytest.param([("b", "STANDARD", False)], True, id="a-standard-needs-her"),
        pytest.param(
            [("b", "STANDARD", False), ("p", "PRIMARY", True)],
            True,
            id="the-other-primary-archived",
        ),
        pytest.param([("b", "STANDARD", False), ("p", "PRIMARY", False)], False, id="another"),
        pytest.param([("b", "NONE", False)], False, id="no-one-else-receives"),
        pytest.param([("b", "STANDARD", True)], False, id="the-standard-archived"),
        pytest.param([], False, id="alone"),
    ],
)
def test_is_last_primary_follows_the_specs_rule(
    others: list[tuple[str, str, bool]], last: bool
) -> None:
    # Given Ada PRIMARY and the customer's other contacts
    contacts = [billing_contact("ada", "PRIMARY")] + [
        billing_contact(contact_id, preference, archived=archived)
        for contact_id, preference, archived in others
    ]
    # Then she is the last PRIMARY contact only while an active one receives billing without her
    assert mapper.is_last_primary(contacts, "ada") is last


def test_is_last_primary_is_false_for_a_contact_not_primary_or_not_active() -> None:
    contacts = [
        billing_contact("ada", "STANDARD"),
        billing_contact("bob", "PRIMARY", archived=True),
        billing_contact("cat", "STANDARD"),
    ]
    assert not mapper.is_last_primary(contacts, "ada")
    assert not mapper.is_last_primary(contacts, "bob")
    assert not mapper.is_last_primary(contacts, "missing")
