"""Routera sandbox, its write rules: a field the account does not define is a 400, an email or
external id another active contact holds a 409 (both not documented: chosen defensively), and the
two readings the reference leaves open as options (does an archived contact still hold its email;
does a `GET` answer an archived contact)."""

from __future__ import annotations

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from devtools.sandboxes.routera import RouteraSandbox
from tests.contracts.specs import contract_transport
from tests.sandboxes.test_routera_sandbox import (
    API,
    BASE_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    CUSTOM_FIELD,
    START,
    START_TEXT,
    token,
)
from tests.vendors.sandboxed import DateClock


@pytest.fixture
def clock() -> DateClock:
    return DateClock(START)


@pytest.fixture
def sandbox(clock: DateClock) -> RouteraSandbox:
    return RouteraSandbox(CLIENT_ID, CLIENT_SECRET, custom_fields=[CUSTOM_FIELD], clock=clock)


def refusal(response: httpx.Response, status: int, message: str) -> None:
    """Routera's error answer: the status and `{"message", "error": true}`."""
    assert response.status_code == status
    assert response.json() == {"message": message, "error": True}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_field_the_account_does_not_define_is_400_and_named_without_its_value(
    sandbox: RouteraSandbox, client: httpx.Client, method: str
) -> None:
    # Given an active contact, and an account that defines no `nickname` field
    contact = sandbox.add_contact(email="ada@example.com")
    path = "/contacts" if method == "POST" else f"/contacts/{contact['id']}"
    # When a create or an update names it
    fields = {"email": "grace@example.com", "nickname": "Amazing Grace"}
    response = client.request(method, path, json={"fields": fields})
    # Then it is refused with a 400 naming the field, not its value, and nothing is written
    refusal(response, 400, "Unknown fields: nickname")
    assert "Amazing Grace" not in response.text
    assert sandbox.archived_states() == {contact["id"]: False}
    assert sandbox.contact(contact["id"]) == contact


def test_every_default_field_and_a_defined_custom_one_are_taken(
    sandbox: RouteraSandbox, client: httpx.Client
) -> None:
    # When a contact is created with every default property and the account's custom field
    fields = {
        "external_id": "ext-001",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "contact_owner": "jane@example.com",
        CUSTOM_FIELD: "analytical",
    }
    response = client.post("/contacts", json={"fields": fields})
    # Then each one is stored as sent
    assert response.status_code == 201
    assert {key: response.json()[key] for key in fields} == fields


def test_a_custom_field_the_account_drops_is_refused_from_then_on(
    sandbox: RouteraSandbox, client: httpx.Client
) -> None:
    # Given a contact holding the custom field, which the account then drops
    kept = sandbox.add_contact(email="ada@example.com", **{CUSTOM_FIELD: "analytical"})
    sandbox.remove_field(CUSTOM_FIELD)
    # When a contact is created with it
    response = client.post(
        "/contacts", json={"fields": {"email": "grace@example.com", CUSTOM_FIELD: "difference"}}
    )
    # Then it is refused, and the stored contact keeps its value
    refusal(response, 400, f"Unknown fields: {CUSTOM_FIELD}")
    assert sandbox.contact(kept["id"]) == kept


def test_seeding_a_contact_with_a_custom_field_defines_it(
    sandbox: RouteraSandbox, client: httpx.Client
) -> None:
    # Given a contact seeded with a field the account had not defined
    sandbox.add_contact(email="ada@example.com", region="EMEA")
    # When another contact is created with it, Then it is taken
    created = client.post("/contacts", json={"fields": {"first_name": "G", "region": "AMER"}})
    assert created.status_code == 201
    assert created.json()["region"] == "AMER"


@pytest.mark.parametrize(
    ("field", "held", "sent"),
    [
        ("email", "ada@example.com", "Ada@Example.com"),  # an email compared without case
        ("external_id", "ext-001", "ext-001"),
    ],
)
def test_an_email_or_external_id_an_active_contact_holds_is_409(
    sandbox: RouteraSandbox, client: httpx.Client, field: str, held: str, sent: str
) -> None:
    # Given an active contact holding a value
    holder = sandbox.add_contact(first_name="Ada", **{field: held})
    # When another contact is created with it
    response = client.post("/contacts", json={"fields": {"first_name": "Grace", field: sent}})
    # Then it is 409 naming the field, never the value, and nothing is created
    refusal(response, 409, f"A contact with this {field} already exists")
    assert held.casefold() not in response.text.casefold()
    assert sandbox.archived_states() == {holder["id"]: False}


def test_an_update_to_another_active_contacts_email_is_409_to_its_own_is_200(
    sandbox: RouteraSandbox, client: httpx.Client
) -> None:
    # Given two active contacts
    ada = sandbox.add_contact(email="ada@example.com")
    grace = sandbox.add_contact(email="grace@example.com")
    # When Grace is given Ada's email, Then it is refused and Grace is unchanged
    taken = client.patch(f"/contacts/{grace['id']}", json={"fields": {"email": "ada@example.com"}})
    refusal(taken, 409, "A contact with this email already exists")
    assert sandbox.contact(grace["id"]) == grace
    # And Ada may be written with her own email
    own = client.patch(f"/contacts/{ada['id']}", json={"fields": {"email": "ada@example.com"}})
    assert own.status_code == 200


def test_an_archived_contact_does_not_hold_its_email_or_external_id_by_default(
    sandbox: RouteraSandbox, client: httpx.Client
) -> None:
    # Given a contact archived
    fields = {"email": "ada@example.com", "external_id": "ext-001"}
    archived = sandbox.add_contact(**fields)
    assert client.delete(f"/contacts/{archived['id']}").status_code == 200
    # When a contact is created with her email and external id (a re-create)
    response = client.post("/contacts", json={"fields": fields})
    # Then it is created (not documented: the reading under which a re-create works)
    assert response.status_code == 201
    assert sandbox.archived_states() == {archived["id"]: True, response.json()["id"]: False}


def test_an_archived_contact_may_be_made_to_hold_its_email_still(clock: DateClock) -> None:
    # Given a sandbox where archived contacts keep their email and external id against duplicates
    sandbox = RouteraSandbox(CLIENT_ID, CLIENT_SECRET, archived_keep_identity=True, clock=clock)
    archived = sandbox.add_contact(email="ada@example.com", archived=START_TEXT, archived_by="u-1")
    # When a contact is created with her email
    with API.signed_in(sandbox) as client:
        response = client.post("/contacts", json={"fields": {"email": "ada@example.com"}})
    # Then it is refused as a duplicate
    refusal(response, 409, "A contact with this email already exists")
    assert sandbox.archived_states() == {archived["id"]: True}


def test_a_get_of_an_archived_contact_may_be_made_404_the_list_still_shows_it(
    clock: DateClock,
) -> None:
    # Given a sandbox whose GET by id does not answer archived contacts (not documented either way)
    sandbox = RouteraSandbox(CLIENT_ID, CLIENT_SECRET, get_answers_archived=False, clock=clock)
    active = sandbox.add_contact(email="ada@example.com")
    archived = sandbox.add_contact(email="b@example.com", archived=START_TEXT, archived_by="u-1")
    with API.signed_in(sandbox) as client:
        # When each is fetched by id, Then only the active one is answered
        assert client.get(f"/contacts/{active['id']}").json() == active
        refusal(client.get(f"/contacts/{archived['id']}"), 404, "Object not found")
        # And the archived list still holds the archived one
        listed = client.get("/contacts", params={"archived": "true"}).json()["data"]
    assert listed == [archived]


def test_the_write_rules_answer_within_routeras_contract(sandbox: RouteraSandbox) -> None:
    # Given the sandbox behind Routera's contract, and an active contact
    holder = sandbox.add_contact(email="ada@example.com")
    transport = contract_transport(Vendor.ROUTERA, sandbox)
    with httpx.Client(base_url=BASE_URL, transport=transport) as c:
        c.headers["Authorization"] = f"Bearer {token(c)}"
        # When the rules refuse a create and an update
        statuses = [
            c.post("/contacts", json={"fields": {"email": "ADA@example.com"}}).status_code,
            c.post("/contacts", json={"fields": {"email": "g@example.com", "x": 1}}).status_code,
            c.patch(f"/contacts/{holder['id']}", json={"fields": {"y": 2}}).status_code,
        ]
    # Then each answer keeps to the documented error shape
    assert statuses == [409, 400, 400]
    assert transport.violations == []
