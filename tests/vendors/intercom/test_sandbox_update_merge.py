"""The Intercom sandbox's `PUT /contacts/{id}` (the writable fields of `update_contact_request`,
nothing else) and `POST /contacts/merge` (a lead into a user; the lead is gone), and every new
endpoint held against the 2.10 spec."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.intercom import mapper
from devtools.sandboxes.intercom import IntercomSandbox
from tests.contracts.specs import contract_transport
from tests.fakes import FakeTime
from tests.vendors.intercom.sandbox_api import API, START, by_email

ALL_WRITABLE: dict[str, Any] = {
    "role": "user",
    "external_id": "ext-9",
    "email": "new@example.org",
    "phone": "+353871234567",
    "name": "Ada King",
    "avatar": "https://example.com/ada.png",
    "signed_up_at": 1_600_000_000,
    "last_seen_at": 1_700_000_000,
    "owner_id": 123,
    "unsubscribed_from_emails": True,
    "custom_attributes": {"plan": "pro"},
}


# -- update ---------------------------------------------------------------------------------


def test_update_writes_every_writable_field(
    intercom: IntercomSandbox, api: httpx.Client, fake_time: FakeTime
) -> None:
    # Given a contact with a custom attribute, a while after it was made
    added = intercom.add_contact(email="ada@example.com", custom_attributes={"tier": 1})
    fake_time.now += 30
    # When every writable field is updated
    response = api.put(f"/contacts/{added['id']}", json=ALL_WRITABLE)
    # Then the contact answered (and fetched) holds them, as the contact schema shows them
    assert response.status_code == 200
    body = response.json()
    assert body == api.get(f"/contacts/{added['id']}").json()
    shown = {key: body[key] for key in ALL_WRITABLE}
    assert shown == {
        **ALL_WRITABLE,
        "avatar": {"type": "avatar", "image_url": "https://example.com/ada.png"},
        "custom_attributes": {"tier": 1, "plan": "pro"},  # the others kept (chosen)
    }
    assert body["email_domain"] == "example.org"
    assert (body["created_at"], body["updated_at"]) == (int(START), int(START) + 30)


def test_update_sets_nullable_fields_to_null(intercom: IntercomSandbox, api: httpx.Client) -> None:
    added = intercom.add_contact(email="n@example.com", phone="+1", name="N", owner_id=5)
    body = api.put(
        f"/contacts/{added['id']}", json={"phone": None, "name": None, "owner_id": None}
    ).json()
    assert (body["phone"], body["name"], body["owner_id"]) == (None, None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"created_at": 1}, "created_at"),
        ({"has_hard_bounced": True}, "has_hard_bounced"),
        ({"archived": True}, "archived"),
        ({"email": None}, "email"),
        ({"last_seen_at": "now"}, "last_seen_at"),
        ({"role": "admin"}, "role"),
    ],
    ids=["created_at", "has_hard_bounced", "archived", "null email", "time as text", "role"],
)
def test_update_refuses_read_only_and_mistyped_fields(
    intercom: IntercomSandbox, api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    # Given a contact
    added = intercom.add_contact(email="ro@example.com")
    # When an update sends a field update_contact_request does not declare, or a wrong value
    response = api.put(f"/contacts/{added['id']}", json=body)
    # Then it is a 400 naming the field, and the contact is unchanged
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert intercom.contact(added["id"]) == added


def test_an_archived_deleted_or_unknown_contact_cannot_be_updated(
    intercom: IntercomSandbox, api: httpx.Client
) -> None:
    # Given an archived contact and a deleted one
    archived = intercom.add_contact(email="a@example.com", archived=True)
    deleted = intercom.add_contact(email="d@example.com")["id"]
    api.delete(f"/contacts/{deleted}")
    # When each, and an unknown one, is updated
    answers = [
        api.put(f"/contacts/{contact_id}", json={"name": "X"})
        for contact_id in (archived["id"], deleted, "0" * 24)
    ]
    # Then each is 404 as its fetch is, and the archived one is unchanged
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert intercom.contact(archived["id"]) == archived


def test_an_update_to_another_users_email_conflicts(
    intercom: IntercomSandbox, api: httpx.Client
) -> None:
    # Given two users
    taken = intercom.add_contact(email="taken@example.com")
    other = intercom.add_contact(email="other@example.com")
    # When one is given the other's email, then it conflicts as a create would
    response = api.put(f"/contacts/{other['id']}", json={"email": "taken@example.com"})
    assert response.status_code == 409
    assert taken["id"] in response.json()["errors"][0]["message"]


# -- merge ----------------------------------------------------------------------------------


def test_merging_a_lead_into_a_user_removes_the_lead(
    intercom: IntercomSandbox, api: httpx.Client, fake_time: FakeTime
) -> None:
    # Given a lead and a user
    lead = intercom.add_contact(email="lead@example.com", role="lead")["id"]
    user = intercom.add_contact(email="user@example.com", external_id="u-1")["id"]
    fake_time.now += 10
    # When the lead is merged into the user
    response = api.post("/contacts/merge", json={"from": lead, "into": user})
    # Then the user is answered, and the lead is gone: not fetched, listed nor searched
    assert response.status_code == 200
    assert response.json()["id"] == user and response.json()["updated_at"] == int(START) + 10
    assert api.get(f"/contacts/{lead}").status_code == 404
    assert [contact["id"] for contact in api.get("/contacts").json()["data"]] == [user]
    assert api.post("/contacts/search", json=by_email("lead@example.com")).json()["data"] == []
    assert api.post(f"/contacts/{lead}/unarchive").status_code == 404
    assert intercom.merged_into(lead) == user and intercom.contact(lead) is None
    assert intercom.effects == {"merged": 1}


@pytest.mark.parametrize(
    ("source", "target", "status", "field"),
    [
        ("user", "other user", 400, "from"),
        ("lead", "other lead", 400, "into"),
        ("lead", "lead", 400, "from"),
        ("lead", "unknown", 404, None),
        ("archived lead", "user", 404, None),
        ("lead", None, 400, "into"),
    ],
    ids=["from a user", "into a lead", "into itself", "unknown", "archived lead", "no into"],
)
def test_a_merge_other_than_a_lead_into_a_user_is_refused(
    intercom: IntercomSandbox,
    api: httpx.Client,
    source: str,
    target: str | None,
    status: int,
    field: str | None,
) -> None:
    # Given contacts of each kind
    ids = {
        "user": intercom.add_contact(email="u@example.com")["id"],
        "other user": intercom.add_contact(email="u2@example.com")["id"],
        "lead": intercom.add_contact(email="l@example.com", role="lead")["id"],
        "other lead": intercom.add_contact(email="l2@example.com", role="lead")["id"],
        "archived lead": intercom.add_contact(role="lead", archived=True)["id"],
        "unknown": "0" * 24,
    }
    body = {"from": ids[source]} | ({} if target is None else {"into": ids[target]})
    # When they are merged, then it is refused and nothing is removed
    response = api.post("/contacts/merge", json=body)
    assert response.status_code == status
    assert response.json()["errors"][0].get("field") == field
    assert intercom.effects == {}


# -- the new endpoints keep to the spec -------------------------------------------------------


def test_delete_update_merge_and_search_keep_to_the_spec(intercom: IntercomSandbox) -> None:
    # Given the sandbox behind the 2.10 contract
    user = intercom.add_contact(email="ada@example.com", external_id="7")["id"]
    lead = intercom.add_contact(email="lead@example.com", role="lead")["id"]
    other = intercom.add_contact(email="grace@example.com")["id"]
    archived = intercom.add_contact(email="arch@example.com", archived=True)["id"]
    transport = contract_transport(Vendor.INTERCOM, intercom)
    search = by_email("ada@example.com")
    with httpx.Client(base_url=API.base_url, transport=transport, headers=dict(API.headers)) as api:
        # When each new endpoint is called, with answers of each kind
        first_page = api.post("/contacts/search", json={**search, "pagination": {"per_page": 1}})
        seen = [
            first_page.status_code,
            api.post(
                "/contacts/search",
                json={"query": {"operator": "OR", "value": [search["query"]]}},
            ).status_code,
            api.put(f"/contacts/{user}", json=ALL_WRITABLE).status_code,
            api.put(f"/contacts/{other}", json={"email": "new@example.org"}).status_code,  # 409
            api.put(f"/contacts/{archived}", json={"name": "X"}).status_code,  # 404
            api.post("/contacts/merge", json={"from": lead, "into": user}).status_code,
            api.post("/contacts/merge", json={"from": lead, "into": user}).status_code,  # 404
            api.delete(f"/contacts/{other}").status_code,
            api.delete(f"/contacts/{other}").status_code,  # 404
            api.post("/contacts/search", json={"query": search["query"], "x": 1}).status_code,
        ]
    # Then every request and answer is the spec's, but the undeclared search field sent
    assert seen == [200, 200, 200, 409, 404, 200, 404, 200, 404, 400]
    assert transport.violations == [
        "POST /contacts/search: request body: Additional properties are not allowed ('x' was"
        " unexpected)"
    ]
    assert transport.checked == len(seen)
    assert mapper.list_page(first_page.json())[1] is None  # one match: no next page
