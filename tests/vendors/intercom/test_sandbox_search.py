"""The Intercom sandbox's `POST /contacts/search`: the `=` filters on email and external id this
project needs, `AND`/`OR` groups within the spec's limits, pagination in the body, what search
leaves out (archived: chosen; merged and deleted: documented), and Intercom's documented delay
before a new contact is searchable."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contact_archive.vendors.intercom import mapper
from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime
from tests.vendors.intercom.sandbox_api import by_email
from tests.vendors.recorded import load_spec


def found(api: httpx.Client, body: dict[str, Any]) -> list[str]:
    """The ids one search answers, after checking it is a 200 `contact_list`."""
    response = api.post("/contacts/search", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["type"] == "list"
    return [contact["id"] for contact in response.json()["data"]]


def test_search_by_email_finds_every_contact_holding_it(
    intercom: IntercomSandbox, api: httpx.Client
) -> None:
    # Given a user and a lead with one email, and another user
    user = intercom.add_contact(email="ada@example.com", external_id="u-1")["id"]
    lead = intercom.add_contact(email="ada@example.com", role="lead")["id"]
    intercom.add_contact(email="grace@example.com")
    # When contacts are searched by that email
    response = api.post("/contacts/search", json=by_email("ada@example.com"))
    # Then both come back whole, counted, on one page
    body = response.json()
    assert [contact["id"] for contact in body["data"]] == [user, lead]
    assert body["data"][0]["external_id"] == "u-1" and "archived" not in body["data"][0]
    assert body["total_count"] == 2
    assert body["pages"] == {"type": "pages", "page": 1, "per_page": 50, "total_pages": 1}


def test_search_by_external_id_and_by_groups(intercom: IntercomSandbox, api: httpx.Client) -> None:
    # Given two users
    ada = intercom.add_contact(email="ada@example.com", external_id="u-1")["id"]
    grace = intercom.add_contact(email="grace@example.com", external_id="u-2")["id"]
    external = {"field": "external_id", "operator": "=", "value": "u-2"}
    email = by_email("ada@example.com")["query"]
    # When searched by external id, and by AND / OR groups (nested once)
    # Then each answers the contacts its filters match
    assert found(api, {"query": external}) == [grace]
    assert found(api, {"query": {"operator": "OR", "value": [external, email]}}) == [ada, grace]
    assert found(api, {"query": {"operator": "AND", "value": [external, email]}}) == []
    nested = {"operator": "AND", "value": [{"operator": "OR", "value": [external, email]}, email]}
    assert found(api, {"query": nested}) == [ada]


def test_search_pages_by_starting_after_in_the_body(
    intercom: IntercomSandbox, api: httpx.Client
) -> None:
    # Given five users, one email each, and a search for all five
    ids = [intercom.add_contact(email=f"p{n}@example.com")["id"] for n in range(5)]
    everyone = {
        "operator": "OR",
        "value": [by_email(f"p{n}@example.com")["query"] for n in range(5)],
    }
    # When read two per page, following `pages.next.starting_after`
    seen: list[str] = []
    pagination: dict[str, Any] = {"per_page": 2}
    pages = 0
    while True:
        body = api.post("/contacts/search", json={"query": everyone, "pagination": pagination})
        contacts, cursor = mapper.list_page(body.json())
        seen += [contact["id"] for contact in contacts]
        pages += 1
        if cursor is None:
            break
        pagination = {"per_page": 2, "starting_after": cursor}
    # Then every match comes once, over three pages
    assert seen == ids and pages == 3


def test_search_leaves_out_archived_deleted_and_merged_contacts(
    intercom: IntercomSandbox, api: httpx.Client
) -> None:
    # Given four contacts with one email: one archived, one deleted, one lead merged into a user
    archived = intercom.add_contact(email="x@example.com", archived=True)["id"]
    deleted = intercom.add_contact(email="x@example.com", external_id="gone")["id"]
    lead = intercom.add_contact(email="x@example.com", role="lead")["id"]
    user = intercom.add_contact(email="other@example.com")["id"]
    assert api.delete(f"/contacts/{deleted}").status_code == 200
    assert api.post("/contacts/merge", json={"from": lead, "into": user}).status_code == 200
    # When searched by that email
    # Then none shows: merged and deleted ones as documented, archived ones as chosen
    assert found(api, by_email("x@example.com")) == []
    # And a sandbox set to show archived contacts in search (the other possible reading) does
    intercom.search_shows_archived = True
    assert found(api, by_email("x@example.com")) == [archived]


def test_a_contact_created_by_the_api_is_searchable_only_after_the_delay(
    intercom: IntercomSandbox, api: httpx.Client, fake_time: FakeTime
) -> None:
    # Given Intercom's "Contact Creation Delay", here two minutes, and a contact seeded earlier
    intercom.search_delay_seconds = 120
    seeded = intercom.add_contact(email="old@example.com")["id"]
    # When a contact is created through the API
    created = api.post("/contacts", json={"email": "new@example.com"}).json()["id"]
    # Then it is fetched and listed at once, but searched only once the delay is over
    assert api.get(f"/contacts/{created}").status_code == 200
    assert found(api, by_email("new@example.com")) == []
    assert found(api, by_email("old@example.com")) == [seeded]
    fake_time.now += 120
    assert found(api, by_email("new@example.com")) == [created]


TWO_DEEP = {"operator": "AND", "value": [{"operator": "OR", "value": [by_email("a")["query"]]}]}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "query is required"),
        ({"query": by_email("a")["query"], "sort": {}}, "unknown fields"),
        ({"query": {"field": "email", "operator": "=", "value": 7}}, "takes a string"),
        ({"query": {"field": "email", "operator": "like", "value": "a"}}, "accepted operators"),
        ({"query": {"field": "name", "operator": "=", "value": "Ada"}}, "sandbox: searching"),
        ({"query": {"field": "email", "operator": "~", "value": "a"}}, "sandbox: operator"),
        ({"query": {"operator": "AND", "value": []}}, "non-empty list"),
        (
            {"query": {"operator": "OR", "value": [by_email(str(n))["query"] for n in range(16)]}},
            "at most 15 filters",
        ),
        ({"query": {"operator": "AND", "value": [TWO_DEEP]}}, "at most 2 groups deep"),
        ({"query": by_email("a")["query"], "pagination": {"per_page": 151}}, "per_page"),
        ({"query": by_email("a")["query"], "pagination": {"starting_after": "x"}}, "not valid"),
    ],
    ids=[
        "no query",
        "undeclared field",
        "value of the wrong type",
        "unknown operator",
        "field the sandbox does not serve",
        "operator the sandbox does not serve",
        "empty group",
        "16 filters in a group",
        "three groups deep",
        "page too large",
        "unknown cursor",
    ],
)
def test_a_search_intercom_or_the_sandbox_cannot_run_is_a_400_error_list(
    api: httpx.Client, body: dict[str, Any], says: str
) -> None:
    # When a search outside the spec's rules (or the sandbox's subset) is posted
    response = api.post("/contacts/search", json=body)
    # Then it is refused with an error list that says why
    assert response.status_code == 400
    message = mapper.error_message(response.json())
    assert message is not None and says in message


def test_search_is_how_2_10_finds_by_external_id(
    intercom: IntercomSandbox, api: httpx.Client
) -> None:
    # Given the 2.10 spec: it has no `GET /contacts/find_by_external_id`
    spec_paths = load_spec("intercom-2.10.yaml")["paths"]
    assert not [name for name in spec_paths if "find_by_external_id" in name]
    # When a contact is looked up that way in the sandbox, then it is a contact id like any
    # other, and unknown; the search finds it
    added = intercom.add_contact(email="e@example.com", external_id="u-1")["id"]
    by_path = api.get("/contacts/find_by_external_id", params={"external_id": "u-1"})
    assert by_path.status_code == 404
    query = {"field": "external_id", "operator": "=", "value": "u-1"}
    assert found(api, {"query": query}) == [added]
