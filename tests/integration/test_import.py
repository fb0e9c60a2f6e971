"""`POST /contacts/import`: a vendor's contacts linked to ledger contacts by email, one person
one contact across vendors, and a second import that changes nothing. Driven through
RegisterFunction with the `events/import_contacts.json` sample, vendors in their sandboxes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contact_archive.contacts.importing import ImportCommand, ImportResult, import_contacts
from contact_archive.contacts.reading import get_contact
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.credentials import RouteraCredentials
from contact_archive.vendors.registry import VendorClients
from contact_archive.vendors.routera.client import RouteraClient
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import ALICE, sandbox_clients
from tests.support import API_TENANT, Functions, RequestCounter, api_event, body_of


@pytest.fixture
def clients(stack: SandboxStack, monkeypatch: pytest.MonkeyPatch) -> VendorClients:
    """The tenant's clients on the sandboxes, as the import route's."""
    clients = sandbox_clients(stack, stack.credentials(API_TENANT))
    monkeypatch.setattr("contact_archive.api.register_routes.get_vendor_clients", lambda: clients)
    return clients


@pytest.fixture
def api(functions: Functions, clients: VendorClients) -> Functions:
    """The API's functions, their vendor clients on the sandboxes (RegisterFunction imports)."""
    return functions


def post_import(api: Functions, body: dict[str, Any], tenant: str = API_TENANT) -> dict[str, Any]:
    return api("register", api_event("import_contacts", body=body, tenant=tenant))


def test_one_person_in_two_vendors_becomes_one_contact_with_two_links(
    api: Functions, stack: SandboxStack, store: LedgerStore
) -> None:
    # Given Ada in Intercom and in Constant Contact (her email cased differently), Bob only in
    # Constant Contact
    ada_intercom = stack.intercom.add_contact(email="Ada@Example.com", name="Ada Lovelace")
    ada_cc = stack.constant_contact.add_contact(
        email="ada@example.com", first_name="Ada", last_name="Lovelace", list_ids=["list-1"]
    )
    stack.constant_contact.add_contact(email="bob@example.com", first_name="Bob")
    # When both vendors are imported
    from_intercom = post_import(api, {"vendor": "intercom"})
    from_cc = post_import(api, {"vendor": "constant_contact"})
    # Then Ada is one contact linked to both; Bob is a contact of his own
    assert from_intercom["statusCode"] == 200, from_intercom["body"]
    assert body_of(from_intercom) | {"conflict_samples": []} == {
        "vendor": "intercom",
        "created": 1,
        "linked": 0,
        "unchanged": 0,
        "skipped_archived": 0,
        "skipped_erased": 0,
        "conflicts": 0,
        "conflict_samples": [],
        "complete": True,
        "next_cursor": None,
    }
    assert (body_of(from_cc)["created"], body_of(from_cc)["linked"]) == (1, 1)
    ada_ids = {
        contact.contact_id
        for contact in store.contacts.find_by_email(API_TENANT, "ada@example.com")
    }
    assert len(ada_ids) == 1
    ada = get_contact(store, API_TENANT, ada_ids.pop())
    assert {vendor: link.vendor_id for vendor, link in ada.links.items()} == {
        Vendor.INTERCOM: ada_intercom["id"],
        Vendor.CONSTANT_CONTACT: ada_cc["contact_id"],
    }
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    assert len(store.contacts.find_by_email(API_TENANT, "bob@example.com")) == 1


def test_a_second_import_changes_nothing_and_writes_nothing(
    api: Functions, stack: SandboxStack, store: LedgerStore
) -> None:
    # Given an import already done
    for number in range(5):
        stack.routera.add_contact(email=f"person{number}@example.com", first_name=f"P{number}")
    assert body_of(post_import(api, {"vendor": "routera"}))["created"] == 5
    counter = RequestCounter(store.client)
    # When it runs again
    again = post_import(api, {"vendor": "routera"})
    # Then every contact is unchanged, read once by its vendor id, and nothing is written
    assert body_of(again)["unchanged"] == 5
    assert body_of(again)["created"] == body_of(again)["linked"] == 0
    assert counter.calls == {"GetItem": 5, "BatchGetItem": 1}  # and the page's erased emails


def test_an_import_links_contacts_registered_by_hand_and_reports_what_it_left(
    api: Functions, stack: SandboxStack, store: LedgerStore
) -> None:
    # Given a registered contact with Ada's email, and one already linked to another Intercom id
    ada_body = {"email": "ada@example.com", "first_name": "Ada"}
    put = api("register", api_event("register_contact", contact_id="c-ada", body=ada_body))
    assert put["statusCode"] == 201
    eve_link = {"vendor": "intercom", "vendor_id": "6650aaaaaaaaaaaaaaaaaaaa"}
    eve_body = {"email": "eve@example.com", "links": [eve_link]}
    api("register", api_event("register_contact", contact_id="c-eve", body=eve_body))
    ada = stack.intercom.add_contact(email="ADA@example.com")
    eve = stack.intercom.add_contact(email="eve@example.com")
    stack.intercom.add_contact(email="gone@example.com", archived=True)
    # When Intercom is imported
    answer = body_of(post_import(api, {"vendor": "intercom"}))
    # Then Ada's contact gains the link, Eve's conflict is reported by vendor id only
    assert (answer["linked"], answer["created"], answer["conflicts"]) == (1, 0, 1)
    assert answer["conflict_samples"] == [
        {
            "vendor": "intercom",
            "vendor_id": eve["id"],
            "reason": "contact c-eve is already linked to another intercom contact",
        }
    ]
    assert get_contact(store, API_TENANT, "c-ada").links[Vendor.INTERCOM].vendor_id == ada["id"]
    assert "eve@example.com" not in json.dumps(answer)


def test_archived_vendor_contacts_are_counted_not_imported(
    api: Functions, stack: SandboxStack, store: LedgerStore
) -> None:
    stack.constant_contact.add_contact(email="left@example.com", deleted_at="2026-01-02")
    stack.constant_contact.add_contact(email="here@example.com")
    answer = body_of(post_import(api, {"vendor": "constant_contact"}))
    assert (answer["created"], answer["skipped_archived"]) == (1, 1)
    assert store.contacts.find_by_email(API_TENANT, "left@example.com") == []


def test_a_long_import_goes_on_from_its_cursor(store: LedgerStore, stack: SandboxStack) -> None:
    # Given more Routera contacts than one call imports (one page of 10 per call here)
    for number in range(25):
        stack.routera.add_contact(email=f"p{number}@example.com")
    credentials = JsonSource(stack.credentials(API_TENANT)).load(API_TENANT, Vendor.ROUTERA)
    assert isinstance(credentials, RouteraCredentials)
    http = httpx.Client(base_url=credentials.base_url, transport=stack.routera.transport())
    client = RouteraClient(credentials, http, page_size=10)
    first = import_contacts(
        store, client, ImportCommand(API_TENANT, Vendor.ROUTERA, ALICE, max_pages=1)
    )
    assert first.next_cursor is not None
    # When the import goes on from the cursor
    rest = import_contacts(
        store,
        client,
        ImportCommand(API_TENANT, Vendor.ROUTERA, ALICE, cursor=first.next_cursor, max_pages=10),
    )
    # Then every contact was imported exactly once
    assert first.counts[ImportResult.CREATED] == 10
    assert rest.counts[ImportResult.CREATED] == 15
    assert rest.next_cursor is None


def test_import_cursors_are_signed_and_bound_to_the_tenant(
    api: Functions, stack: SandboxStack
) -> None:
    for number in range(3):
        stack.intercom.add_contact(email=f"p{number}@example.com")
    tampered = post_import(api, {"vendor": "intercom", "cursor": "eyJ4IjoxfQ.forged"})
    assert tampered["statusCode"] == 400
    assert body_of(tampered)["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("body", "tenant", "status", "code"),
    [
        ({"vendor": "sequence"}, API_TENANT, 422, "validation_error"),
        ({"vendor": "myspace"}, API_TENANT, 422, "validation_error"),
        ({"vendor": "intercom", "extra": 1}, API_TENANT, 422, "validation_error"),
        ({"vendor": "intercom"}, "tenant-without-credentials", 409, "vendor_not_configured"),
    ],
)
def test_bad_imports_are_clear_4xx_and_change_nothing(
    api: Functions,
    store: LedgerStore,
    body: dict[str, Any],
    tenant: str,
    status: int,
    code: str,
) -> None:
    counter = RequestCounter(store.client)
    response = post_import(api, body, tenant=tenant)
    assert response["statusCode"] == status, response["body"]
    assert body_of(response)["error"]["code"] == code
    assert counter.total == 0


def test_a_vendor_refusing_the_credentials_is_a_424_without_the_secret(
    functions: Functions, stack: SandboxStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = stack.credentials(API_TENANT)
    credentials[API_TENANT]["intercom"]["access_token"] = "wrong-token-SECRET"
    clients = sandbox_clients(stack, credentials)
    monkeypatch.setattr("contact_archive.api.register_routes.get_vendor_clients", lambda: clients)
    response = post_import(functions, {"vendor": "intercom"})
    assert response["statusCode"] == 424
    error = body_of(response)["error"]
    assert error["code"] == "vendor_call_failed"
    assert error["details"] == {"vendor": "intercom", "retryable": False}
    assert "SECRET" not in response["body"]
