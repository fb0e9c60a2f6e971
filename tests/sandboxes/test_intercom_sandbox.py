"""The Intercom sandbox through a real httpx client: endpoints, quirks, auth, faults, spec shapes.

Its search, update, merge and minute allowances are tested in `tests/vendors/intercom/`
(`test_sandbox_*.py`), beside the client's tests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contact_archive.vendors.intercom import mapper
from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime
from tests.sandboxes.vendor_api import VendorApi
from tests.vendors.recorded import load_spec, resolve

TOKEN = "test-intercom-token"
API = VendorApi(
    "https://api.intercom.io",
    {"Authorization": f"Bearer {TOKEN}", "Intercom-Version": "2.10"},
)


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime(1_717_000_000.0)


@pytest.fixture
def sandbox(clock: FakeTime) -> IntercomSandbox:
    return IntercomSandbox(TOKEN, clock=clock)


@pytest.fixture(scope="module")
def contact_properties() -> set[str]:
    spec = load_spec("intercom-2.10.yaml")
    schema: dict[str, Any] = resolve(spec, spec["components"]["schemas"]["contact"])
    return set(schema["properties"])


def _assert_spec_contact(payload: dict[str, Any], properties: set[str]) -> None:
    assert set(payload) <= properties | {"archived"}, set(payload) - properties
    assert mapper.to_canonical(payload).vendor_id == payload["id"]  # type: ignore[arg-type]


# -- fetch ----------------------------------------------------------------------------------


def test_fetch_returns_an_active_contact_in_the_specs_shape(
    sandbox: IntercomSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given an active contact
    added = sandbox.add_contact(email="ada@example.com", name="Ada Lovelace", external_id="7")
    # When it is fetched
    response = client.get(f"/contacts/{added['id']}")
    # Then it comes back whole, with UNIX-second timestamps, and maps to an active contact
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "contact" and body["email"] == "ada@example.com"
    assert body["created_at"] == 1_717_000_000 and isinstance(body["updated_at"], int)
    _assert_spec_contact(body, contact_properties)
    canonical = mapper.to_canonical(body)
    assert canonical.archived is False and canonical.email == "ada@example.com"
    assert (canonical.first_name, canonical.last_name) == ("Ada", "Lovelace")


def test_an_archived_contact_cannot_be_fetched(
    sandbox: IntercomSandbox, client: httpx.Client
) -> None:
    # Given an archived contact
    added = sandbox.add_contact(email="gone@example.com", archived=True)
    # When it is fetched by id
    response = client.get(f"/contacts/{added['id']}")
    # Then Intercom answers 404 with an error list, though the contact still exists
    assert response.status_code == 404
    assert response.json()["type"] == "error.list"
    assert mapper.error_message(response.json()) == "not_found: User Not Found"
    assert sandbox.contact(added["id"]) is not None


def test_an_unknown_contact_is_not_found(client: httpx.Client) -> None:
    assert client.get("/contacts/000000000000000000000000").status_code == 404


# -- list -----------------------------------------------------------------------------------


def test_list_pages_by_starting_after_and_leaves_archived_contacts_out(
    sandbox: IntercomSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given five contacts, two of them archived
    active = [sandbox.add_contact(email=f"a{i}@example.com")["id"] for i in range(3)]
    sandbox.add_contact(email="x@example.com", archived=True)
    sandbox.add_contact(email="y@example.com", archived=True)
    # When listed two per page, following `pages.next.starting_after`
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"per_page": 2}
    while True:
        body = client.get("/contacts", params=params).json()
        pages.append(body)
        contacts, cursor = mapper.list_page(body)
        seen += [contact["id"] for contact in contacts]
        for contact in contacts:
            _assert_spec_contact(dict(contact), contact_properties)
        if cursor is None:
            break
        params = {"per_page": 2, "starting_after": cursor}
    # Then only the active contacts appear, once each, over two pages
    assert seen == active
    assert [page["total_count"] for page in pages] == [3, 3]
    assert pages[0]["type"] == "list" and pages[0]["pages"]["type"] == "pages"
    assert pages[0]["pages"]["next"]["per_page"] == 2
    assert "next" not in pages[1]["pages"]


def test_a_contact_archived_mid_listing_disappears_from_later_pages(
    sandbox: IntercomSandbox, client: httpx.Client
) -> None:
    # Given four contacts and a first page of two
    ids = [sandbox.add_contact(email=f"p{i}@example.com")["id"] for i in range(4)]
    first = client.get("/contacts", params={"per_page": 2}).json()
    # When the last contact of that page and one ahead are archived before the next page
    client.post(f"/contacts/{ids[1]}/archive")
    client.post(f"/contacts/{ids[2]}/archive")
    cursor = first["pages"]["next"]["starting_after"]
    second = client.get("/contacts", params={"per_page": 2, "starting_after": cursor}).json()
    # Then the cursor still resumes after its contact and the archived one is skipped
    assert [contact["id"] for contact in second["data"]] == [ids[3]]


@pytest.mark.parametrize(
    "params", [{"per_page": 0}, {"per_page": 151}, {"starting_after": "not-a-cursor"}]
)
def test_list_rejects_bad_paging(client: httpx.Client, params: dict[str, Any]) -> None:
    response = client.get("/contacts", params=params)
    assert response.status_code == 400 and response.json()["type"] == "error.list"


# -- create ---------------------------------------------------------------------------------


def test_create_makes_a_user_contact(
    sandbox: IntercomSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # When a contact is created with an email, name and external id
    response = client.post(
        "/contacts", json={"email": "new@example.com", "name": "New Person", "external_id": "x1"}
    )
    # Then it is a user contact, fetchable and listed
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "user" and body["email_domain"] == "example.com"
    _assert_spec_contact(body, contact_properties)
    assert client.get(f"/contacts/{body['id']}").json()["external_id"] == "x1"
    assert [contact["id"] for contact in client.get("/contacts").json()["data"]] == [body["id"]]


def test_create_takes_the_mappers_body(client: httpx.Client) -> None:
    # Given a canonical contact mapped to Intercom's create body
    canonical = mapper.to_canonical(
        {"type": "contact", "id": "1", "email": "m@example.com", "name": "Mia Mapper"}
    )
    # When posted
    response = client.post("/contacts", json=dict(mapper.create_body(canonical)))
    # Then it comes back as the same person
    assert response.status_code == 200
    assert mapper.to_canonical(response.json()).email == "m@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No Email"}, None),
        ({"email": "a@example.com", "role": "admin"}, "role"),
        ({"email": "a@example.com", "archived": True}, "archived"),
        ({"email": "a@example.com", "created_at": 1}, "created_at"),
        ({"email": 7}, "email"),
        ({"email": "a@example.com", "signed_up_at": "yesterday"}, "signed_up_at"),
        ({"email": "a@example.com", "owner_id": True}, "owner_id"),
        ({"email": "a@example.com", "custom_attributes": ["plan"]}, "custom_attributes"),
    ],
    ids=[
        "no email, external id or role",
        "unknown role",
        "undeclared field",
        "read-only field",
        "email not a string",
        "time not UNIX seconds",
        "owner not an integer",
        "custom attributes not an object",
    ],
)
def test_create_rejects_invalid_bodies(
    client: httpx.Client, body: dict[str, Any], field: str | None
) -> None:
    # When a body the create_contact_request schema does not allow is posted
    response = client.post("/contacts", json=body)
    # Then it is a 400 error list naming the field at fault, and nothing is made
    assert response.status_code == 400 and response.json()["type"] == "error.list"
    assert response.json()["errors"][0].get("field") == field
    assert client.get("/contacts").json()["total_count"] == 0


def test_a_lead_can_be_created_with_its_role_alone(client: httpx.Client) -> None:
    # Given the spec's create_contact_request: anyOf email, external_id or role is required
    # When a lead is created with nothing but its role
    response = client.post("/contacts", json={"role": "lead"})
    # Then it is made
    assert response.status_code == 200 and response.json()["role"] == "lead"


def test_create_conflicts_with_an_existing_user(
    sandbox: IntercomSandbox, client: httpx.Client
) -> None:
    existing = sandbox.add_contact(email="dup@example.com")
    response = client.post("/contacts", json={"email": "dup@example.com"})
    assert response.status_code == 409
    assert existing["id"] in response.json()["errors"][0]["message"]


# -- archive and unarchive ------------------------------------------------------------------


def test_archive_answers_the_short_form_and_hides_the_contact(
    sandbox: IntercomSandbox, client: httpx.Client
) -> None:
    # Given an active contact with an external id
    added = sandbox.add_contact(email="arch@example.com", external_id="70")
    # When it is archived
    response = client.post(f"/contacts/{added['id']}/archive")
    # Then Intercom answers the short form, and the contact is gone from fetch and list
    assert response.status_code == 200
    assert response.json() == {
        "type": "contact",
        "id": added["id"],
        "external_id": "70",
        "archived": True,
    }
    assert mapper.to_canonical(response.json()).archived is True
    assert client.get(f"/contacts/{added['id']}").status_code == 404
    assert client.get("/contacts").json()["data"] == []
    stored = sandbox.contact(added["id"])
    assert stored is not None and stored["archived"] is True


def test_archiving_twice_answers_200_again(sandbox: IntercomSandbox, client: httpx.Client) -> None:
    # Given an archived contact
    added = sandbox.add_contact(email="twice@example.com")
    client.post(f"/contacts/{added['id']}/archive")
    # When it is archived again
    response = client.post(f"/contacts/{added['id']}/archive")
    # Then the answer is 200 and archived, as the first time
    assert response.status_code == 200 and response.json()["archived"] is True


def test_unarchive_brings_the_contact_back(sandbox: IntercomSandbox, client: httpx.Client) -> None:
    # Given an archived contact
    added = sandbox.add_contact(email="back@example.com")
    client.post(f"/contacts/{added['id']}/archive")
    # When it is unarchived by its kept id
    response = client.post(f"/contacts/{added['id']}/unarchive")
    # Then it is active again: fetchable and listed with its fields unchanged
    assert response.status_code == 200
    assert response.json() == {
        "type": "contact",
        "id": added["id"],
        "external_id": None,
        "archived": False,
    }
    fetched = client.get(f"/contacts/{added['id']}").json()
    assert fetched["email"] == "back@example.com"
    assert [contact["id"] for contact in client.get("/contacts").json()["data"]] == [added["id"]]


def test_archive_and_unarchive_of_an_unknown_contact_are_404(client: httpx.Client) -> None:
    assert client.post("/contacts/nope/archive").status_code == 404
    assert client.post("/contacts/nope/unarchive").status_code == 404


def test_intercom_unarchives_by_itself_when_the_person_logs_in(
    sandbox: IntercomSandbox, client: httpx.Client, clock: FakeTime
) -> None:
    # Given an archived contact
    added = sandbox.add_contact(email="login@example.com", archived=True)
    # When the person logs in again, later
    clock.now += 3600
    sandbox.auto_unarchive(added["id"])
    # Then the contact is active without any call of ours, seen at that time
    fetched = client.get(f"/contacts/{added['id']}").json()
    assert fetched["last_seen_at"] == int(clock.now) == fetched["updated_at"]
    stored = sandbox.contact(added["id"])
    assert stored is not None and stored["archived"] is False


# -- delete ---------------------------------------------------------------------------------


def test_delete_answers_contact_deleted_and_the_contact_is_gone_for_good(
    sandbox: IntercomSandbox, client: httpx.Client
) -> None:
    # Given an active contact with an external id
    added = sandbox.add_contact(email="del@example.com", external_id="d-1")
    # When it is deleted
    response = client.delete(f"/contacts/{added['id']}")
    # Then Intercom answers `contact_deleted`...
    assert response.status_code == 200
    assert response.json() == {
        "type": "contact",
        "id": added["id"],
        "external_id": "d-1",
        "deleted": True,
    }
    # ...and the contact is nowhere: not fetched, listed or searched, nor archived or
    # unarchived, a second delete included
    by_id = f"/contacts/{added['id']}"
    search = {"query": {"field": "email", "operator": "=", "value": "del@example.com"}}
    assert client.get(by_id).status_code == 404
    assert client.get("/contacts").json()["data"] == []
    assert client.post("/contacts/search", json=search).json()["data"] == []
    answers = [
        client.post(f"{by_id}/unarchive"),
        client.post(f"{by_id}/archive"),
        client.delete(by_id),
    ]
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert {mapper.error_message(answer.json()) for answer in answers} == {
        "not_found: User Not Found"
    }
    assert sandbox.contact(added["id"]) is None
    assert sandbox.effects == {"deleted": 1}


def test_an_archived_contact_cannot_be_deleted_as_it_cannot_be_fetched(
    sandbox: IntercomSandbox, client: httpx.Client
) -> None:
    # Given an archived contact (2.10 does not say whether one can be deleted: the sandbox
    # answers as for every other call by id but archive and unarchive)
    added = sandbox.add_contact(email="arch-del@example.com", archived=True)
    # When it is deleted
    response = client.delete(f"/contacts/{added['id']}")
    # Then it is 404 and the contact stays, archived
    assert response.status_code == 404 and response.json()["type"] == "error.list"
    stored = sandbox.contact(added["id"])
    assert stored is not None and stored["archived"] is True


def test_deleting_an_unknown_contact_is_404(client: httpx.Client) -> None:
    assert client.delete("/contacts/000000000000000000000000").status_code == 404


# -- auth and version ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Intercom-Version": "2.10"},
        {"Authorization": "Bearer wrong", "Intercom-Version": "2.10"},
        {"Authorization": TOKEN, "Intercom-Version": "2.10"},
    ],
)
def test_a_bad_token_is_401_with_an_error_list(
    sandbox: IntercomSandbox, headers: dict[str, str]
) -> None:
    added = sandbox.add_contact(email="auth@example.com")
    with API.client(sandbox, headers) as client:
        response = client.post(f"/contacts/{added['id']}/archive")
    assert response.status_code == 401
    assert mapper.error_message(response.json()) == "unauthorized: Access Token Invalid"
    stored = sandbox.contact(added["id"])
    assert stored is not None and stored["archived"] is False


@pytest.mark.parametrize("version", [None, "2.9"])
def test_the_intercom_version_header_is_required(
    sandbox: IntercomSandbox, version: str | None
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if version is not None:
        headers["Intercom-Version"] = version
    with API.client(sandbox, headers) as client:
        response = client.get("/contacts")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "intercom_version_invalid"
