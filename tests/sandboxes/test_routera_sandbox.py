"""Routera sandbox: the token and contact endpoints a client uses, the vendor's quirks (404 on a
second DELETE, 409 on PATCH of an archived contact), token expiry, injected faults, and responses
checked against Routera's documented shapes and the mapper. Its write rules are in
`test_routera_rules_sandbox.py`."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest

from contact_archive.vendors.routera import mapper
from contact_archive.vendors.routera.types import Contact, ContactList
from devtools.sandboxes.base import Faults
from devtools.sandboxes.routera import RouteraSandbox
from tests.sandboxes.vendor_api import VendorApi
from tests.vendors.sandboxed import DateClock

BASE_URL = "https://api.routera.io"
CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret"
START = datetime(2026, 5, 28, 12, 0, 0, tzinfo=UTC)
START_TEXT = "2026-05-28T12:00:00.000Z"
CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
}
UNAUTHORIZED = {"message": "Unauthorized: missing account context", "error": True}
# The default properties of the reference's DELETE page (`archived_by` only once archived).
DEFAULT_KEYS = {
    "id",
    "external_id",
    "first_name",
    "last_name",
    "email",
    "contact_owner",
    "created_at",
    "updated_at",
    "archived",
}


@pytest.fixture
def clock() -> DateClock:
    return DateClock(START)


# A custom field the account defines: Routera objects are flat, custom fields beside the default.
CUSTOM_FIELD = "favourite_engine"


@pytest.fixture
def sandbox(clock: DateClock) -> RouteraSandbox:
    return RouteraSandbox(
        CLIENT_ID, CLIENT_SECRET, token_ttl=3600, custom_fields=[CUSTOM_FIELD], clock=clock
    )


def token(client: httpx.Client) -> str:
    response = client.post("/oauth2/token", data=CREDENTIALS)
    assert response.status_code == 200
    access_token: str = response.json()["access_token"]
    return access_token


API = VendorApi(BASE_URL, sign_in=lambda client: {"Authorization": f"Bearer {token(client)}"})


def assert_documented_contact(contact: dict[str, Any]) -> None:
    """The default properties, `archived` false or an ISO timestamp, `archived_by` exactly when
    archived, and a clean mapping through the mapper."""
    archived = contact["archived"]
    assert archived is False or isinstance(archived, str)
    expected = DEFAULT_KEYS | ({"archived_by"} if archived else set())
    assert expected <= set(contact)
    assert ("archived_by" in contact) == bool(archived)
    canonical = mapper.to_canonical(cast(Contact, contact))
    assert canonical.vendor_id == contact["id"]
    assert canonical.archived == bool(archived)
    assert canonical.email == contact["email"]


# Token.


@pytest.mark.parametrize("as_json", [False, True])
def test_client_credentials_give_a_bearer_token(sandbox: RouteraSandbox, as_json: bool) -> None:
    with API.client(sandbox) as c:
        # When the client credentials are posted as a form or as JSON
        if as_json:
            response = c.post("/oauth2/token", json=CREDENTIALS)
        else:
            response = c.post("/oauth2/token", data=CREDENTIALS)
        # Then the answer is an opaque access token with its lifetime, and it opens the API
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 3600
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert c.get("/contacts", headers=headers).status_code == 200
    assert sandbox.token_requests == 1


def test_credentials_may_come_in_a_basic_header(sandbox: RouteraSandbox) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    with API.client(sandbox) as c:
        response = c.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**CREDENTIALS, "client_secret": "wrong"}, 401),
        ({**CREDENTIALS, "client_id": "someone-else"}, 401),
        ({"grant_type": "client_credentials"}, 401),
        ({**CREDENTIALS, "grant_type": "password"}, 400),
    ],
)
def test_bad_token_requests_are_refused(
    sandbox: RouteraSandbox, body: dict[str, str], status: int
) -> None:
    with API.client(sandbox) as c:
        response = c.post("/oauth2/token", data=body)
    assert response.status_code == status
    assert "access_token" not in response.json()
    assert CLIENT_SECRET not in response.text


def test_each_token_request_is_counted(sandbox: RouteraSandbox) -> None:
    with API.client(sandbox) as c:
        first, second = token(c), token(c)
    assert first != second
    assert sandbox.token_requests == 2


# Bearer auth.

ENDPOINTS: list[tuple[str, str, object]] = [
    ("GET", "/contacts", None),
    ("GET", "/contacts/any", None),
    ("POST", "/contacts", {"fields": {"email": "ada@example.com"}}),
    ("PATCH", "/contacts/any", {"fields": {"first_name": "Ada"}}),
    ("DELETE", "/contacts/any", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize("authorization", [None, "Bearer not-issued", "Basic abc", "Bearer "])
def test_requests_without_a_valid_bearer_are_401(
    sandbox: RouteraSandbox, method: str, path: str, body: object, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with API.client(sandbox, headers) as c:
        response = c.request(method, path, json=body)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert mapper.error_message(response.json()) == UNAUTHORIZED["message"]


def test_an_expired_token_is_401(
    sandbox: RouteraSandbox, client: httpx.Client, clock: DateClock
) -> None:
    # Given a token issued an hour ago (its lifetime)
    assert client.get("/contacts").status_code == 200
    clock.now = START + timedelta(seconds=3599)
    assert client.get("/contacts").status_code == 200
    # When the clock reaches its expiry
    clock.now = START + timedelta(seconds=3600)
    response = client.get("/contacts")
    # Then it is refused as the vendor does, and a new token works again
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    client.headers["Authorization"] = f"Bearer {token(client)}"
    assert client.get("/contacts").status_code == 200
    assert sandbox.token_requests == 2


# Contacts.


def test_create_answers_the_new_contact(sandbox: RouteraSandbox, client: httpx.Client) -> None:
    # When a contact is created from fields, a custom one included
    fields = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    response = client.post("/contacts", json={"fields": {**fields, CUSTOM_FIELD: "analytical"}})
    # Then it is 201 with a flat object: a new id, the fields, timestamps, not archived
    assert response.status_code == 201
    created = response.json()
    assert_documented_contact(created)
    assert {key: created[key] for key in fields} == fields
    assert created[CUSTOM_FIELD] == "analytical"
    assert created["archived"] is False
    assert created["created_at"] == created["updated_at"] == START_TEXT
    assert sandbox.contact(created["id"]) == created
    other = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}
    assert client.post("/contacts", json={"fields": other}).json()["id"] != created["id"]


def test_create_takes_a_snapshot_back(sandbox: RouteraSandbox, client: httpx.Client) -> None:
    # Given a contact archived after its snapshot was taken
    original = sandbox.add_contact(email="ada@example.com", first_name="Ada", external_id="ext-1")
    saved = mapper.snapshot(cast(Contact, original))
    assert client.delete(f"/contacts/{original['id']}").status_code == 200
    # When it is re-created from the snapshot
    response = client.post("/contacts", json=mapper.create_body(saved))
    # Then a new active contact holds the same fields
    assert response.status_code == 201
    recreated = response.json()
    assert recreated["id"] != original["id"]
    assert {k: recreated[k] for k in saved["fields"]} == saved["fields"]
    assert recreated["archived"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"fields": {"contact_owner": "jane@example.com"}},
        {"fields": {"email": "ada@example.com", "archived": True}},
        {"fields": "ada@example.com"},
        {"email": "ada@example.com"},
    ],
)
def test_create_refuses_an_invalid_body(client: httpx.Client, body: object) -> None:
    assert client.post("/contacts", json=body).status_code == 400


def test_get_answers_active_and_archived_contacts(
    sandbox: RouteraSandbox, client: httpx.Client
) -> None:
    active = sandbox.add_contact(email="a@example.com")
    archived = sandbox.add_contact(email="b@example.com", archived=START_TEXT, archived_by="u-1")
    for contact in (active, archived):
        response = client.get(f"/contacts/{contact['id']}")
        assert response.status_code == 200
        assert response.json() == contact
        assert_documented_contact(response.json())
    assert client.get("/contacts/missing").status_code == 404


def test_list_pages_active_or_archived_contacts(
    sandbox: RouteraSandbox, client: httpx.Client
) -> None:
    # Given five active and two archived contacts
    active = [sandbox.add_contact(email=f"a{n}@example.com") for n in range(5)]
    archived = [
        sandbox.add_contact(email=f"b{n}@example.com", archived=START_TEXT, archived_by="u-1")
        for n in range(2)
    ]
    # When active contacts are listed two at a time
    pages = []
    offset: int | None = 0
    while offset is not None:
        response = client.get(
            "/contacts", params={"archived": "false", "limit": 2, "offset": offset}
        )
        assert response.status_code == 200
        body = cast(ContactList, response.json())
        assert body["pagination"] == {"limit": 2, "offset": offset, "count": 5}
        page, offset = mapper.list_page(body)
        pages.append(page)
    # Then every active contact comes once, in order, and the mapper stops after the last page
    assert [contact for page in pages for contact in page] == active
    assert len(pages) == 3
    # And archived=true lists the archived ones only
    response = client.get("/contacts?archived=true&limit=100")
    assert response.json() == {
        "data": archived,
        "pagination": {"limit": 100, "offset": 0, "count": 2},
    }
    for contact in response.json()["data"]:
        assert_documented_contact(contact)
    # And without `archived` the list holds active contacts (not documented: chosen here)
    assert client.get("/contacts?limit=100").json()["data"] == active


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=ten", "offset=-1", "offset=x", "archived=maybe"]
)
def test_list_refuses_bad_parameters(client: httpx.Client, query: str) -> None:
    response = client.get(f"/contacts?{query}")
    assert response.status_code == 400
    assert response.json()["error"] is True


@pytest.mark.parametrize("limit", [1, 100])
def test_list_accepts_limits_from_1_to_100(client: httpx.Client, limit: int) -> None:
    assert client.get("/contacts", params={"limit": limit}).status_code == 200


def test_delete_archives_and_answers_the_object(
    sandbox: RouteraSandbox, client: httpx.Client, clock: DateClock
) -> None:
    # Given an active contact
    contact = sandbox.add_contact(email="ada@example.com", first_name="Ada")
    clock.now = START + timedelta(minutes=5)
    # When it is deleted
    response = client.delete(f"/contacts/{contact['id']}")
    # Then it is 200 with the object: archived at an ISO timestamp, by the API client
    assert response.status_code == 200
    archived = response.json()
    assert_documented_contact(archived)
    assert archived == {
        **contact,
        "archived": "2026-05-28T12:05:00.000Z",
        "archived_by": CLIENT_ID,
        "updated_at": "2026-05-28T12:05:00.000Z",
    }
    canonical = mapper.to_canonical(cast(Contact, archived))
    assert canonical.archived
    assert (canonical.archived_at or "").startswith("2026-05-28T12:05:00")
    assert sandbox.contact(contact["id"]) == archived


def test_a_second_delete_is_404(sandbox: RouteraSandbox, client: httpx.Client) -> None:
    # Given a contact already archived
    contact = sandbox.add_contact(email="ada@example.com")
    first = client.delete(f"/contacts/{contact['id']}")
    # When it is deleted again
    second = client.delete(f"/contacts/{contact['id']}")
    # Then it is 404 "not found or already archived", and the archive is unchanged
    assert second.status_code == 404
    assert second.json() == {"message": "Object not found or already archived", "error": True}
    assert sandbox.contact(contact["id"]) == first.json()
    assert client.delete("/contacts/missing").status_code == 404


def test_delete_without_an_id_is_400(client: httpx.Client) -> None:
    assert client.delete("/contacts/").status_code == 400


def test_patch_updates_an_active_contact(
    sandbox: RouteraSandbox, client: httpx.Client, clock: DateClock
) -> None:
    contact = sandbox.add_contact(email="ada@example.com", first_name="Ada")
    clock.now = START + timedelta(minutes=1)
    response = client.patch(f"/contacts/{contact['id']}", json={"fields": {"last_name": "King"}})
    assert response.status_code == 200
    assert response.json() == {
        **contact,
        "last_name": "King",
        "updated_at": "2026-05-28T12:01:00.000Z",
    }
    assert sandbox.contact(contact["id"]) == response.json()
    assert client.patch("/contacts/missing", json={"fields": {}}).status_code == 404


def test_patch_of_an_archived_contact_is_409(sandbox: RouteraSandbox, client: httpx.Client) -> None:
    # Given an archived contact
    contact = sandbox.add_contact(email="ada@example.com")
    archived = client.delete(f"/contacts/{contact['id']}").json()
    # When a client tries to un-archive or update it
    response = client.patch(f"/contacts/{contact['id']}", json={"fields": {"archived": False}})
    other = client.patch(f"/contacts/{contact['id']}", json={"fields": {"first_name": "Ada"}})
    # Then it is 409 "Object is archived" and nothing changes
    assert response.status_code == other.status_code == 409
    assert response.json() == {"message": "Object is archived", "error": True}
    assert sandbox.contact(contact["id"]) == archived


# Fault injection.


@contextmanager
def faulty(faults: Faults) -> Iterator[tuple[RouteraSandbox, httpx.Client]]:
    """A sandbox with faults switched on after the client has its token."""
    sandbox = RouteraSandbox(CLIENT_ID, CLIENT_SECRET, clock=DateClock(START))
    with API.signed_in(sandbox) as client:
        sandbox.faults = faults
        yield sandbox, client


def test_server_errors_at_rate_one_answer_503_every_time() -> None:
    with faulty(Faults(server_error_rate=1.0)) as (sandbox, client):
        statuses = {client.request(m, p, json=b).status_code for m, p, b in ENDPOINTS}
        assert client.post("/oauth2/token", data=CREDENTIALS).status_code == 503
    assert statuses == {503}
    assert sandbox.token_requests == 2  # faulted requests count: the vendor saw them


def test_throttle_at_rate_one_answers_429_with_retry_after() -> None:
    with faulty(Faults(throttle_rate=1.0, retry_after_seconds=3)) as (_, client):
        response = client.get("/contacts")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"


def test_timeout_at_rate_one_raises_read_timeout() -> None:
    with faulty(Faults(timeout_rate=1.0)) as (sandbox, client):
        with pytest.raises(httpx.ReadTimeout):
            client.post("/contacts", json={"fields": {"email": "ada@example.com"}})
        # And nothing was created behind the timeout
        sandbox.faults = Faults()
        assert client.get("/contacts").json()["data"] == []


def test_a_partial_fault_rate_with_a_fixed_seed_is_deterministic() -> None:
    def statuses() -> list[int]:
        with faulty(Faults(server_error_rate=0.3, seed=7)) as (_, client):
            return [client.get("/contacts").status_code for _ in range(100)]

    first = statuses()
    assert first.count(503) == 33
    assert first.count(200) == 67
    assert statuses() == first
