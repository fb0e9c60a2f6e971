"""A state per link, through the API (each function in-process, on a moto table): archive and
restore act on the links named, the contact's status follows (active, partially archived,
archived), one person can hold several links of one vendor (one per Sequence customer), and a
contact can be named by email, external id or a vendor's id."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support import Functions, api_event, body_of, link_states_of, load_event

ADA = "c-1001"


def change(
    functions: Functions, action: str, body: dict[str, Any], contact_id: str = ADA
) -> dict[str, Any]:
    event = api_event(
        f"{action}_contact", body=body, contact_id=contact_id, headers=fresh_idempotency_key()
    )
    response = functions(action, event)
    assert response["statusCode"] == 200, response["body"]
    contact: dict[str, Any] = body_of(response)
    return contact


def fresh_idempotency_key() -> dict[str, str]:
    """Each change of a test is a request of its own (the samples carry one key)."""
    return {"Idempotency-Key": uuid.uuid4().hex}


def listed(functions: Functions, **query: str) -> list[str]:
    response = functions("list", api_event("list_contacts", query=query))
    assert response["statusCode"] == 200, response["body"]
    return [contact["id"] for contact in body_of(response)["items"]]


def history(functions: Functions, contact_id: str = ADA) -> list[dict[str, Any]]:
    response = functions("list", api_event("contact_history", contact_id=contact_id))
    items: list[dict[str, Any]] = body_of(response)["items"]
    return items


def test_a_partial_archive_then_the_rest(functions: Functions, registered: dict[str, Any]) -> None:
    # When Ada is archived at Intercom only
    contact = change(functions, "archive", {"vendors": ["intercom"], "reason": "support only"})
    # Then that link alone is archiving, and Ada is partially archived, listed as such
    assert contact["status"] == "partially_archived"
    assert link_states_of(contact) == {
        "intercom": "archiving",
        "routera": "active",
        "sequence": "active",
        "constant_contact": "active",
    }
    assert listed(functions, status="partially_archived") == [ADA]
    assert listed(functions, status="active") == []
    assert history(functions)[-1]["details"] == {"links": ["intercom"]}
    # When Constant Contact follows, then everything else
    contact = change(functions, "archive", {"vendors": ["constant_contact"]})
    assert link_states_of(contact)["constant_contact"] == "archiving"
    assert contact["status"] == "partially_archived"
    contact = change(functions, "archive", {})
    # Then every link is archiving and Ada is archived
    assert contact["status"] == "archived"
    assert set(link_states_of(contact).values()) == {"archiving"}
    assert history(functions)[-1]["details"] == {"links": "all"}
    # And archiving a link already archived changes nothing
    again = change(functions, "archive", {"vendors": ["intercom"]})
    assert again["version"] == contact["version"]
    # When Intercom alone comes back, Ada is partially archived again
    contact = change(functions, "restore", {"vendors": ["intercom"]})
    assert contact["status"] == "partially_archived"
    assert link_states_of(contact)["intercom"] == "restoring"


def test_a_link_the_contact_does_not_have_is_refused(
    functions: Functions, registered: dict[str, Any]
) -> None:
    response = functions(
        "archive", api_event("archive_contact", body={"vendors": ["sequence:other-customer"]})
    )
    assert response["statusCode"] == 422
    assert body_of(response)["error"]["code"] == "unknown_link"
    assert body_of(functions("list", load_event("get_contact")))["version"] == 1


@pytest.fixture
def two_customers(functions: Functions) -> dict[str, Any]:
    """Grace, a Sequence contact of two customers (and at Intercom)."""
    links = [
        {"vendor": "sequence", "vendor_id": "seq-a", "scope": "cus-a"},
        {"vendor": "sequence", "vendor_id": "seq-b", "scope": "cus-b"},
        {"vendor": "intercom", "vendor_id": "ic-grace"},
    ]
    body = {"email": "grace@example.com", "external_id": "crm-7", "links": links}
    response = functions("register", api_event("register_contact", body=body, contact_id="grace"))
    assert response["statusCode"] == 201, response["body"]
    contact: dict[str, Any] = body_of(response)
    return contact


def test_several_links_of_one_vendor_are_kept_and_changed_apart(
    functions: Functions, two_customers: dict[str, Any]
) -> None:
    # Then Grace holds a link per Sequence customer, each named by vendor and scope
    assert [link["key"] for link in two_customers["links"]] == [
        "intercom",
        "sequence:cus-a",
        "sequence:cus-b",
    ]
    # When she is archived at customer A only
    contact = change(functions, "archive", {"vendors": ["sequence:cus-a"]}, "grace")
    states = {link["key"]: link["state"] for link in contact["links"]}
    assert states == {
        "intercom": "active",
        "sequence:cus-a": "archiving",
        "sequence:cus-b": "active",
    }
    # And a listing by vendor and scope finds her under either customer, none under a third
    assert listed(functions, status="all", vendor="sequence", scope="cus-b") == ["grace"]
    assert listed(functions, status="all", vendor="sequence", scope="cus-c") == []
    # When every Sequence link is restored by naming the vendor
    contact = change(functions, "restore", {"vendors": ["sequence"]}, "grace")
    states = {link["key"]: link["state"] for link in contact["links"]}
    assert states == {
        "intercom": "active",
        "sequence:cus-a": "restoring",
        "sequence:cus-b": "active",
    }
    assert contact["status"] == "active"


def test_the_same_scope_twice_updates_that_link_rather_than_adding_one(
    functions: Functions, two_customers: dict[str, Any]
) -> None:
    links = [{"vendor": "sequence", "vendor_id": "seq-a2", "scope": "cus-a"}]
    body = {"email": "grace@example.com", "external_id": "crm-7", "links": links}
    response = functions("register", api_event("register_contact", body=body, contact_id="grace"))
    keys = {link["key"]: link["vendor_id"] for link in body_of(response)["links"]}
    assert keys == {"intercom": "ic-grace", "sequence:cus-a": "seq-a2", "sequence:cus-b": "seq-b"}


# -- naming a contact as callers know it ------------------------------------------------------


def by_name(functions: Functions, action: str, body: dict[str, Any]) -> dict[str, Any]:
    sample = "archive_contact_by_email" if action == "archive" else "restore_contact_by_vendor_id"
    return functions(action, api_event(sample, body=body, headers=fresh_idempotency_key()))


def test_archive_by_email_and_restore_by_a_vendor_id_use_the_samples(
    functions: Functions, registered: dict[str, Any]
) -> None:
    # When Ada is archived at Intercom by her email (the sample)
    archived = functions("archive", load_event("archive_contact_by_email"))
    assert archived["statusCode"] == 200
    assert link_states_of(body_of(archived))["intercom"] == "archiving"
    # and her Routera link archived, then restored by Routera's id for her (the sample)
    by_name(functions, "archive", {"external_id": "crm-42", "vendors": ["routera"]})
    restored = functions("restore", load_event("restore_contact_by_vendor_id"))
    assert restored["statusCode"] == 200
    contact = body_of(restored)
    assert contact["id"] == ADA
    assert link_states_of(contact)["routera"] == "restoring"
    assert link_states_of(contact)["intercom"] == "archiving"


def test_a_name_several_contacts_answer_to_is_a_conflict_listing_them(
    functions: Functions, registered: dict[str, Any]
) -> None:
    twin = {"email": "ADA@example.com", "first_name": "Ada"}
    functions("register", api_event("register_contact", body=twin, contact_id="c-twin"))
    response = by_name(functions, "archive", {"email": "ada@example.com"})
    assert response["statusCode"] == 409
    error = body_of(response)["error"]
    assert error["code"] == "ambiguous_contact"
    assert error["details"] == {"by": "email", "candidates": [ADA, "c-twin"]}
    assert "ada@example.com" not in response["body"].lower()
    # and nothing changed
    assert listed(functions, status="archived") == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "nobody@example.com"}, 404, "contact_not_found"),
        ({"vendor": "intercom", "vendor_id": "unknown"}, 404, "contact_not_found"),
        ({"external_id": "crm-999"}, 404, "contact_not_found"),
        ({}, 422, "validation_error"),
        ({"email": "ada@example.com", "external_id": "crm-42"}, 422, "validation_error"),
        ({"vendor": "intercom"}, 422, "validation_error"),
        ({"vendor_id": "rt-77"}, 422, "validation_error"),
    ],
)
def test_a_name_that_matches_no_one_or_is_not_one_name_is_refused(
    functions: Functions,
    registered: dict[str, Any],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    response = by_name(functions, "archive", body)
    assert (response["statusCode"], body_of(response)["error"]["code"]) == (status, code)
    assert listed(functions, status="active") == [ADA]


def test_contacts_are_listed_by_external_id_and_by_vendor_id(
    functions: Functions, registered: dict[str, Any]
) -> None:
    assert listed(functions, external_id="crm-42") == [ADA]
    assert listed(functions, external_id="CRM-42") == []  # exact, unlike emails
    assert listed(functions, vendor="routera", vendor_id="rt-77") == [ADA]
    assert listed(functions, vendor="routera", vendor_id="rt-78") == []
    response = functions("list", api_event("list_contacts", query={"vendor_id": "rt-77"}))
    assert (response["statusCode"], body_of(response)["error"]["code"]) == (422, "invalid_query")


def test_a_command_names_one_link_of_a_vendor(
    functions: Functions, two_customers: dict[str, Any]
) -> None:
    # Given the sample ArchiveContact command, naming Grace's link to customer B
    event = load_event("archive_contact_command")
    event["detail"] |= {"contact_id": "grace", "vendors": ["sequence:cus-b"]}
    # When ArchiveFunction takes it
    functions("archive", event)
    # Then that link alone is archiving
    contact = body_of(functions("list", api_event("get_contact", contact_id="grace")))
    states = {link["key"]: link["state"] for link in contact["links"]}
    assert states == {
        "intercom": "active",
        "sequence:cus-a": "active",
        "sequence:cus-b": "archiving",
    }
    # and a command naming no valid link is dropped with nothing changed
    event["detail"] |= {"vendors": ["sequence:"]}
    event["id"] = "another-command"
    functions("archive", event)
    again = body_of(functions("list", api_event("get_contact", contact_id="grace")))
    assert again["version"] == contact["version"]


def resolved(functions: Functions, query: dict[str, str]) -> dict[str, Any]:
    return functions("list", api_event("resolve_contact", query=query))


def test_one_contact_is_got_by_the_name_a_caller_knows(
    functions: Functions, registered: dict[str, Any]
) -> None:
    # The sample names Ada by her external id
    by_sample = functions("list", load_event("resolve_contact"))
    assert by_sample["statusCode"] == 200
    assert body_of(by_sample) == registered
    assert body_of(resolved(functions, {"email": "ADA@example.com"}))["id"] == ADA
    by_vendor = resolved(functions, {"vendor": "sequence", "vendor_id": "seq-contact-1"})
    assert body_of(by_vendor)["id"] == ADA
    # Several answering is a 409 listing them, none a 404, a half name a 422
    twin = {"email": "ada@example.com"}
    functions("register", api_event("register_contact", body=twin, contact_id="c-twin"))
    ambiguous = resolved(functions, {"email": "ada@example.com"})
    assert ambiguous["statusCode"] == 409
    assert body_of(ambiguous)["error"]["details"]["candidates"] == [ADA, "c-twin"]
    assert resolved(functions, {"external_id": "nobody"})["statusCode"] == 404
    assert resolved(functions, {"vendor": "intercom"})["statusCode"] == 422
    assert resolved(functions, {})["statusCode"] == 422


def test_the_id_of_the_resolve_route_cannot_be_a_contacts(functions: Functions) -> None:
    response = functions(
        "register", api_event("register_contact", body={"first_name": "R"}, contact_id="resolve")
    )
    assert response["statusCode"] == 422
    assert body_of(response)["error"]["code"] == "reserved_contact_id"
