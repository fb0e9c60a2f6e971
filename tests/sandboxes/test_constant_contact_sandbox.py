"""The Constant Contact sandbox through a real httpx client: delete, revive, paging, status
filters, throttling, auth, faults and spec shapes. Bulk activities are in
`test_constant_contact_activities.py`, the PUT's limits, consent and the daily quota in
`test_constant_contact_put_rules.py`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.constant_contact import mapper
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.sandboxes.vendor_api import VendorApi
from tests.vendors.constant_contact.case import LISTS, START
from tests.vendors.recorded import load_spec, resolve

TOKEN = "test-cc-token"


def bearer(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


API = VendorApi("https://api.cc.email", bearer(TOKEN))


class FakeClock:
    """Moves 1 s per request unless `step` says otherwise, so only throttle tests hit the limit."""

    def __init__(self, now: float = START, step: float = 1.0) -> None:
        self.now = now
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> ConstantContactSandbox:
    return ConstantContactSandbox(TOKEN, clock=clock)


@pytest.fixture(scope="module")
def contact_properties() -> set[str]:
    spec = load_spec("constant-contact-v3-contacts.yml")
    schema: dict[str, Any] = resolve(spec, spec["definitions"]["ContactResource"])
    return set(schema["properties"])


def _canonical(payload: dict[str, Any], properties: set[str]) -> VendorContact:
    """Checks a contact against `ContactResource` and maps it."""
    assert set(payload) <= properties, set(payload) - properties
    return mapper.to_canonical(payload)  # type: ignore[arg-type]


def _fetch(client: httpx.Client, contact_id: str) -> dict[str, Any]:
    response = client.get(f"/v3/contacts/{contact_id}", params={"include": "list_memberships"})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# -- fetch ----------------------------------------------------------------------------------


def test_fetch_includes_list_memberships_only_when_asked(
    sandbox: ConstantContactSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given a contact on two lists
    added = sandbox.add_contact(email="ada@example.com", first_name="Ada", list_ids=LISTS)
    # When fetched with and without include=list_memberships
    with_lists = _fetch(client, added["contact_id"])
    without = client.get(f"/v3/contacts/{added['contact_id']}").json()
    # Then only the first carries the lists; both fit the spec and map cleanly
    assert _canonical(with_lists, contact_properties).list_ids == tuple(LISTS)
    assert "list_memberships" not in without
    assert _canonical(without, contact_properties).list_ids is None
    assert with_lists["email_address"]["address"] == "ada@example.com"
    assert with_lists["created_at"].endswith("+00:00")


def test_fetch_of_an_unknown_contact_is_404(client: httpx.Client) -> None:
    response = client.get("/v3/contacts/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()[0]["error_key"] == "contacts.api.not_found"


def test_fetch_rejects_an_unknown_include(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    added = sandbox.add_contact()
    response = client.get(f"/v3/contacts/{added['contact_id']}", params={"include": "secrets"})
    assert response.status_code == 400


# -- delete ---------------------------------------------------------------------------------


def test_delete_keeps_the_contact_with_a_date_and_drops_its_list_memberships(
    sandbox: ConstantContactSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given a contact on two lists
    added = sandbox.add_contact(email="del@example.com", list_ids=LISTS)
    # When it is deleted
    response = client.delete(f"/v3/contacts/{added['contact_id']}")
    # Then 204, and it is still readable: deleted today (a date) and on no list
    assert response.status_code == 204 and response.content == b""
    fetched = _fetch(client, added["contact_id"])
    assert fetched["deleted_at"] == "2026-03-17"
    assert fetched["list_memberships"] == []
    canonical = _canonical(fetched, contact_properties)
    assert canonical.archived is True and canonical.list_ids == ()


def test_delete_of_an_unknown_contact_is_404(client: httpx.Client) -> None:
    assert client.delete("/v3/contacts/nope").status_code == 404


# -- revive by PUT --------------------------------------------------------------------------


def test_put_with_update_source_account_revives_with_the_saved_memberships(
    sandbox: ConstantContactSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given a contact whose restore material was saved before it was deleted
    added = sandbox.add_contact(email="rev@example.com", first_name="Rae", list_ids=LISTS)
    saved = mapper.snapshot(_fetch(client, added["contact_id"]))  # type: ignore[arg-type]
    client.delete(f"/v3/contacts/{added['contact_id']}")
    # When the whole contact is PUT back from the snapshot
    response = client.put(
        f"/v3/contacts/{added['contact_id']}", json=dict(mapper.revive_body(saved))
    )
    # Then it is active again, on the same lists, with the same fields
    assert response.status_code == 200
    revived = _fetch(client, added["contact_id"])
    assert "deleted_at" not in revived
    canonical = _canonical(revived, contact_properties)
    assert canonical.archived is False and canonical.list_ids == tuple(LISTS)
    assert (canonical.email, canonical.first_name) == ("rev@example.com", "Rae")
    assert _canonical(response.json(), contact_properties).list_ids == tuple(LISTS)


def test_put_overwrites_properties_left_out_but_keeps_subresources(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given a contact with a job title, on a list
    added = sandbox.add_contact(job_title="Poet", first_name="Old", list_ids=LISTS[:1])
    # When PUT without the job title nor the lists
    body = {
        "update_source": "Contact",
        "email_address": {"address": added["email_address"]["address"]},
        "first_name": "New",
    }
    assert client.put(f"/v3/contacts/{added['contact_id']}", json=body).status_code == 200
    # Then the job title is gone and the list membership stays
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None
    assert stored["first_name"] == "New" and "job_title" not in stored
    assert stored["list_memberships"] == LISTS[:1]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email_address": {"address": "a@example.com"}}, 400),  # no update_source
        ({"update_source": "Account"}, 400),  # no email_address
        ({"update_source": "Account", "email_address": {"address": "a@x.io"}, "id": 1}, 400),
        ({"update_source": "Contact", "email_address": {"address": "a@example.com"}}, 409),
    ],
)
def test_put_rejects_bodies_that_cannot_revive(
    sandbox: ConstantContactSandbox, client: httpx.Client, body: dict[str, Any], status: int
) -> None:
    # Given a deleted contact
    added = sandbox.add_contact(deleted_at="2026-01-02")
    # When PUT with a body that cannot revive it, then it is refused and stays deleted
    assert client.put(f"/v3/contacts/{added['contact_id']}", json=body).status_code == status
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and stored["deleted_at"] == "2026-01-02"


def test_put_of_an_unknown_contact_is_404(client: httpx.Client) -> None:
    body = {"update_source": "Account", "email_address": {"address": "a@example.com"}}
    assert client.put("/v3/contacts/nope", json=body).status_code == 404


# -- list -----------------------------------------------------------------------------------


def _list_ids(client: httpx.Client, **params: Any) -> list[str]:
    """Every contact id across pages, following `_links.next.href`."""
    ids: list[str] = []
    response = client.get("/v3/contacts", params=params)
    while True:
        assert response.status_code == 200, response.text
        contacts, following = mapper.list_page(response.json())
        ids += [contact["contact_id"] for contact in contacts]
        if following is None:
            return ids
        response = client.get(following)


def test_status_filters_select_active_deleted_or_all(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given two active contacts and one deleted
    first = sandbox.add_contact()["contact_id"]
    gone = sandbox.add_contact(deleted_at="2026-01-02")["contact_id"]
    last = sandbox.add_contact()["contact_id"]
    # When listed by each status, then the default leaves deleted contacts out
    assert _list_ids(client) == [first, last]
    assert _list_ids(client, status="active") == [first, last]
    assert _list_ids(client, status="deleted") == [gone]
    assert _list_ids(client, status="all") == [first, gone, last]


def test_list_pages_by_links_next_and_counts_when_asked(
    sandbox: ConstantContactSandbox, client: httpx.Client, contact_properties: set[str]
) -> None:
    # Given five contacts on a list
    ids = [sandbox.add_contact(list_ids=LISTS[:1])["contact_id"] for _ in range(5)]
    # When listed two at a time with their lists and a count
    first = client.get(
        "/v3/contacts",
        params={"limit": 2, "include": "list_memberships", "include_count": "true"},
    ).json()
    # Then pages follow `_links.next.href` to the end, each contact in the spec's shape
    assert first["contacts_count"] == 5
    assert first["_links"]["next"]["href"].startswith("/v3/contacts?cursor=")
    for contact in first["contacts"]:
        assert _canonical(contact, contact_properties).list_ids == tuple(LISTS[:1])
    assert _list_ids(client, limit=2, include="list_memberships") == ids
    last = client.get("/v3/contacts", params={"limit": 5}).json()
    assert "_links" not in last and "contacts_count" not in last


def test_updated_after_finds_recently_deleted_contacts(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given two deleted contacts, one of them deleted after a checkpoint
    early = sandbox.add_contact()["contact_id"]
    late = sandbox.add_contact()["contact_id"]
    client.delete(f"/v3/contacts/{early}")
    checkpoint = datetime.fromtimestamp(clock.now + 0.5, UTC).isoformat()
    client.delete(f"/v3/contacts/{late}")
    # When deletes are polled for since the checkpoint
    found = _list_ids(client, status="deleted", updated_after=checkpoint)
    # Then only the later one is found
    assert found == [late]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"status": "unsubscribed"},
        {"include": "nope"},
        {"updated_after": "yesterday"},
        {"cursor": "!!"},
    ],
)
def test_list_rejects_bad_parameters(client: httpx.Client, params: dict[str, Any]) -> None:
    response = client.get("/v3/contacts", params=params)
    assert response.status_code == 400
    assert mapper.error_message(response.json())


def test_list_accepts_the_maximum_limit(client: httpx.Client) -> None:
    assert client.get("/v3/contacts", params={"limit": 500}).status_code == 200


# -- throttling and auth --------------------------------------------------------------------


def test_more_than_four_requests_a_second_are_throttled_without_rate_headers(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given a clock that moves 0.1 s per request
    clock.step = 0.1
    # When six requests come within 0.6 s, then one a second after the first
    burst = [client.get("/v3/contacts") for _ in range(6)]
    clock.now += 0.5
    after = client.get("/v3/contacts")
    # Then the fifth and sixth are throttled, and the limit frees up a second later
    assert [response.status_code for response in burst] == [200, 200, 200, 200, 429, 429]
    assert burst[4].json() == [{"error_key": "throttled", "error_message": "Too many requests"}]
    assert mapper.is_throttled(burst[4].json())
    assert not any(key.lower().startswith("x-ratelimit") for key in burst[4].headers)
    assert "retry-after" not in burst[4].headers
    assert after.status_code == 200


def test_auth_is_checked_before_the_limit(clock: FakeClock) -> None:
    # Given two tokens sharing a sandbox whose clock stands still
    clock.step = 0.0
    sandbox = ConstantContactSandbox(TOKEN, clock=clock)
    # When one token spends its four requests
    with API.client(sandbox) as client:
        assert [client.get("/v3/contacts").status_code for _ in range(5)][-1] == 429
    # Then a bad token is still told 401, not 429: auth comes first
    with API.client(sandbox, bearer("other")) as other:
        assert other.get("/v3/contacts").status_code == 401


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_bad_token_is_401(sandbox: ConstantContactSandbox, token: str | None) -> None:
    added = sandbox.add_contact(list_ids=LISTS)
    with API.client(sandbox, bearer(token)) as client:
        response = client.delete(f"/v3/contacts/{added['contact_id']}")
    assert response.status_code == 401
    assert response.json() == [{"error_key": "unauthorized", "error_message": "Unauthorized"}]
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and "deleted_at" not in stored


def test_a_second_delete_answers_204_or_404_as_chosen(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given a deleted contact (what a second DELETE answers is not documented)
    added = sandbox.add_contact(deleted_at="2026-03-01")
    path = f"/v3/contacts/{added['contact_id']}"
    # When it is deleted again, by default and then with the other plausible answer
    first = client.delete(path)
    sandbox.delete_deleted_status = 404
    second = client.delete(path)
    # Then 204 keeps the first date, 404 says not found; it stays deleted either way
    assert (first.status_code, second.status_code) == (204, 404)
    assert second.json()[0]["error_key"] == "contacts.api.not_found"
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and stored["deleted_at"] == "2026-03-01"
