"""Sequence sandbox: the contact endpoints a client uses, the vendor's quirks, its auth, injected
faults, and responses checked against the vendor's own spec (2024-07-30) and the mapper."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest

from contact_archive.vendors.sequence import mapper
from contact_archive.vendors.sequence.types import Contact, ContactResponseModel
from devtools.sandboxes.base import Faults
from devtools.sandboxes.sequence import SequenceSandbox
from tests.sandboxes.vendor_api import VendorApi
from tests.vendors.recorded import load_spec, resolve

BASE_URL = "https://sandbox.sequencehq.com/api"  # the spec's server
CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret"
CUSTOMER = "customer-1"
NOW = datetime(2024, 8, 1, 12, 0, 0, tzinfo=UTC)
NOW_TEXT = "2024-08-01T12:00:00Z"


def basic(client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


API = VendorApi(BASE_URL, {"Authorization": basic(), "Sequence-Version": "2024-07-30"})
NEW_CONTACT = {"name": "Ada Lovelace", "email": "ada@example.com", "billingPreference": "PRIMARY"}


def sandbox_with(faults: Faults | None = None) -> SequenceSandbox:
    sandbox = SequenceSandbox(CLIENT_ID, CLIENT_SECRET, faults=faults, clock=lambda: NOW)
    sandbox.add_customer(CUSTOMER)
    return sandbox


@pytest.fixture
def sandbox() -> SequenceSandbox:
    return sandbox_with()


def contact_schema() -> dict[str, Any]:
    spec = load_spec("sequence-2024-07-30.json")
    schema: dict[str, Any] = resolve(spec, spec["components"]["schemas"]["Contact"])
    return schema


def assert_spec_contact(contact: dict[str, Any]) -> None:
    """Exactly the spec's `Contact` keys (`archivedAt` only once archived), all strings, a
    billing preference from the spec's enum, and a clean mapping through the mapper."""
    schema = contact_schema()
    expected = set(schema["properties"]) - (
        {"archivedAt"} if "archivedAt" not in contact else set()
    )
    assert set(contact) == expected
    assert set(schema["required"]) <= set(contact)
    assert all(isinstance(value, str) for value in contact.values())
    spec = load_spec("sequence-2024-07-30.json")
    preference = resolve(spec, schema["properties"]["billingPreference"])
    assert contact["billingPreference"] in preference["enum"]
    canonical = mapper.to_canonical(cast(Contact, contact), scope=CUSTOMER)
    assert canonical.vendor_id == contact["id"]
    assert canonical.email == contact["email"]
    assert canonical.archived == ("archivedAt" in contact)


# Endpoints.


def test_create_answers_201_with_a_new_contact(
    sandbox: SequenceSandbox, client: httpx.Client
) -> None:
    # Given a customer without contacts
    # When a contact is created
    response = client.post(f"/customers/{CUSTOMER}/contacts", json=NEW_CONTACT)
    # Then it is 201 with the spec's Contact, a new id and no archivedAt, and it is stored
    assert response.status_code == 201
    created = response.json()
    assert_spec_contact(created)
    assert {key: created[key] for key in NEW_CONTACT} == NEW_CONTACT
    assert created["createdAt"] == created["updatedAt"] == NOW_TEXT
    assert sandbox.contact(CUSTOMER, created["id"]) == created
    second = client.post(f"/customers/{CUSTOMER}/contacts", json=NEW_CONTACT).json()
    assert second["id"] != created["id"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada@example.com", "billingPreference": "NONE"},
        {**NEW_CONTACT, "billingPreference": "SOMETIMES"},
        {**NEW_CONTACT, "name": ""},
        ["not", "an", "object"],
    ],
)
def test_create_refuses_an_invalid_body(client: httpx.Client, body: object) -> None:
    # When a create lacks a required field or has a wrong value
    response = client.post(f"/customers/{CUSTOMER}/contacts", json=body)
    # Then it is a 400
    assert response.status_code == 400


def test_list_hides_archived_contacts_unless_asked(
    sandbox: SequenceSandbox, client: httpx.Client
) -> None:
    # Given an active and an archived contact
    active = sandbox.add_contact(CUSTOMER, name="Active One", email="a@example.com")
    archived = sandbox.add_contact(
        CUSTOMER, email="b@example.com", archivedAt="2024-07-31T00:00:00Z"
    )
    # When the contacts are listed without and with includeArchived
    default = client.get(f"/customers/{CUSTOMER}/contacts")
    explicit_false = client.get(f"/customers/{CUSTOMER}/contacts?includeArchived=false")
    everything = client.get(f"/customers/{CUSTOMER}/contacts?includeArchived=true")
    # Then only includeArchived=true shows the archived one, all in one `items` answer
    assert default.status_code == explicit_false.status_code == everything.status_code == 200
    assert default.json() == explicit_false.json() == {"items": [active]}
    assert everything.json() == {"items": [active, archived]}
    for item in everything.json()["items"]:
        assert_spec_contact(item)
    listed = cast(ContactResponseModel, everything.json())
    assert mapper.list_page(listed) == ([active, archived], None)


def test_list_refuses_a_non_boolean_include_archived(client: httpx.Client) -> None:
    assert client.get(f"/customers/{CUSTOMER}/contacts?includeArchived=yes").status_code == 400


def test_unknown_customer_is_404(client: httpx.Client) -> None:
    # Given no customer "nobody" (not documented: the sandbox answers 404)
    assert client.get("/customers/nobody/contacts").status_code == 404
    assert client.post("/customers/nobody/contacts", json=NEW_CONTACT).status_code == 404
    assert client.post("/customers/nobody/contacts/x/archive").status_code == 404


def test_archive_sets_archived_at_and_answers_the_contact(
    sandbox: SequenceSandbox, client: httpx.Client
) -> None:
    # Given an active contact
    contact = sandbox.add_contact(CUSTOMER, **NEW_CONTACT)
    # When it is archived
    response = client.post(f"/customers/{CUSTOMER}/contacts/{contact['id']}/archive")
    # Then it is 200 with the Contact now carrying archivedAt, and the store agrees
    assert response.status_code == 200
    archived = response.json()
    assert_spec_contact(archived)
    assert archived == {**contact, "archivedAt": NOW_TEXT, "updatedAt": NOW_TEXT}
    assert sandbox.contact(CUSTOMER, contact["id"]) == archived
    assert mapper.to_canonical(cast(Contact, archived), scope=CUSTOMER).archived is True


def test_archiving_twice_returns_the_contact_again(
    sandbox: SequenceSandbox, client: httpx.Client
) -> None:
    # Given a contact archived earlier
    contact = sandbox.add_contact(CUSTOMER, archivedAt="2024-07-01T00:00:00Z")
    # When it is archived again
    response = client.post(f"/customers/{CUSTOMER}/contacts/{contact['id']}/archive")
    # Then it is 200 with the contact unchanged (its first archivedAt kept)
    assert response.status_code == 200
    assert response.json() == contact


def test_archiving_an_unknown_contact_is_404(client: httpx.Client) -> None:
    assert client.post(f"/customers/{CUSTOMER}/contacts/missing/archive").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_there_is_no_unarchive(sandbox: SequenceSandbox, client: httpx.Client, method: str) -> None:
    # Given an archived contact
    contact = sandbox.add_contact(CUSTOMER, archivedAt=NOW_TEXT)
    # When a client tries an unarchive endpoint
    response = client.request(method, f"/customers/{CUSTOMER}/contacts/{contact['id']}/unarchive")
    # Then no such endpoint exists and the contact stays archived
    assert response.status_code == 404
    assert sandbox.contact(CUSTOMER, contact["id"]) == contact


def test_update_is_out_of_scope(sandbox: SequenceSandbox, client: httpx.Client) -> None:
    contact = sandbox.add_contact(CUSTOMER)
    response = client.put(f"/customers/{CUSTOMER}/contacts/{contact['id']}", json=NEW_CONTACT)
    assert response.status_code == 404


# Auth.

ENDPOINTS = [
    ("GET", f"/customers/{CUSTOMER}/contacts", None),
    ("POST", f"/customers/{CUSTOMER}/contacts", NEW_CONTACT),
    ("POST", f"/customers/{CUSTOMER}/contacts/any/archive", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic(client_secret="wrong"),
        basic(client_id="someone-else"),
        "Bearer " + CLIENT_SECRET,
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
    ],
)
def test_wrong_or_missing_credentials_are_401(
    sandbox: SequenceSandbox,
    method: str,
    path: str,
    body: object,
    authorization: str | None,
) -> None:
    # Given a request without the right Basic credentials
    headers = {"Sequence-Version": "2024-07-30"}
    if authorization is not None:
        headers["Authorization"] = authorization
    with API.client(sandbox, headers) as c:
        # When it is sent
        response = c.request(method, path, json=body)
    # Then it is 401 with a JSON body that holds no secret, and nothing was created
    assert response.status_code == 401
    assert CLIENT_SECRET not in response.text
    assert mapper.error_message(response.json()) == "Unauthorized"
    assert client_contacts(sandbox) == []


@pytest.mark.parametrize("version", [None, "2023-01-01", ""])
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_missing_or_other_api_version_is_400(
    sandbox: SequenceSandbox, method: str, path: str, body: object, version: str | None
) -> None:
    # Given good credentials but no Sequence-Version 2024-07-30
    headers = {"Authorization": basic()}
    if version is not None:
        headers["Sequence-Version"] = version
    with API.client(sandbox, headers) as c:
        response = c.request(method, path, json=body)
    # Then it is 400 and nothing was created
    assert response.status_code == 400
    assert "Sequence-Version" in (mapper.error_message(response.json()) or "")
    assert client_contacts(sandbox) == []


def client_contacts(sandbox: SequenceSandbox) -> list[dict[str, Any]]:
    with API.client(sandbox) as c:
        items: list[dict[str, Any]] = c.get(
            f"/customers/{CUSTOMER}/contacts?includeArchived=true"
        ).json()["items"]
    return items


# Fault injection.


def test_server_errors_at_rate_one_answer_503_every_time() -> None:
    sandbox = sandbox_with(Faults(server_error_rate=1.0))
    with API.client(sandbox) as c:
        statuses = {c.request(m, p, json=b).status_code for m, p, b in ENDPOINTS * 3}
    assert statuses == {503}
    assert sandbox.calls("POST", f"/api/customers/{CUSTOMER}/contacts") == 3
    sandbox.faults = Faults()
    assert client_contacts(sandbox) == []


def test_throttle_at_rate_one_answers_429_with_retry_after() -> None:
    sandbox = sandbox_with(Faults(throttle_rate=1.0, retry_after_seconds=7))
    with API.client(sandbox) as c:
        response = c.get(f"/customers/{CUSTOMER}/contacts")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_timeout_at_rate_one_raises_read_timeout() -> None:
    sandbox = sandbox_with(Faults(timeout_rate=1.0))
    with (
        API.client(sandbox) as c,
        pytest.raises(httpx.ReadTimeout),
    ):
        c.post(f"/customers/{CUSTOMER}/contacts", json=NEW_CONTACT)
    assert sandbox.calls("POST", f"/api/customers/{CUSTOMER}/contacts") == 1
    sandbox.faults = Faults()
    assert client_contacts(sandbox) == []


def test_slow_responses_sleep_then_answer() -> None:
    slept: list[float] = []
    sandbox = SequenceSandbox(
        CLIENT_ID, CLIENT_SECRET, faults=Faults(slow_rate=1.0, slow_seconds=2.5), sleep=slept.append
    )
    sandbox.add_customer(CUSTOMER)
    with API.client(sandbox) as c:
        assert c.get(f"/customers/{CUSTOMER}/contacts").status_code == 200
    assert slept == [2.5]


def test_a_partial_fault_rate_with_a_fixed_seed_is_deterministic() -> None:
    def statuses() -> list[int]:
        sandbox = sandbox_with(Faults(server_error_rate=0.3, seed=7))
        with API.client(sandbox) as c:
            return [c.get(f"/customers/{CUSTOMER}/contacts").status_code for _ in range(100)]

    first = statuses()
    assert first.count(503) == 33
    assert first.count(200) == 67
    assert statuses() == first


def test_paths_can_be_served_at_the_root() -> None:
    # Given a sandbox without the spec's `/api` prefix
    sandbox = SequenceSandbox(CLIENT_ID, CLIENT_SECRET, base_path="")
    sandbox.add_customer(CUSTOMER)
    with replace(API, base_url="https://sequence.test").client(sandbox) as c:
        # Then the contacts are at /customers/...
        assert c.get(f"/customers/{CUSTOMER}/contacts").json() == {"items": []}
