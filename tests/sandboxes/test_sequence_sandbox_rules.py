"""Sequence sandbox rules (`devtools/sandboxes/sequence_rules.py`): the rate limit per key, what a
create accepts, and a customer's PRIMARY billing contact, each answered as Sequence would (a 429,
or the 400 its spec declares, with the sandbox's `{"message": ...}` body)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.sequence import mapper
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.sandboxes.sequence_rules import LAST_PRIMARY, STANDARD_WITHOUT_PRIMARY
from tests.contracts.specs import contract_transport
from tests.sandboxes.test_sequence_sandbox import (
    API,
    BASE_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    CUSTOMER,
    NOW,
    basic,
)
from tests.vendors.sandboxed import DateClock

CONTACTS = f"/customers/{CUSTOMER}/contacts"
LIMIT = 3


def sandbox_on(clock: DateClock, **options: Any) -> SequenceSandbox:
    sandbox = SequenceSandbox(CLIENT_ID, CLIENT_SECRET, clock=clock, **options)
    sandbox.add_customer(CUSTOMER)
    return sandbox


@pytest.fixture
def clock() -> DateClock:
    return DateClock(NOW)


@pytest.fixture
def sandbox(clock: DateClock) -> SequenceSandbox:
    return sandbox_on(clock)


def contact(name: str, preference: str) -> dict[str, str]:
    return {"name": name, "email": f"{name.lower()}@example.com", "billingPreference": preference}


def archive(client: httpx.Client, contact_id: str) -> httpx.Response:
    return client.post(f"{CONTACTS}/{contact_id}/archive")


# -- the rate limit ----------------------------------------------------------------------------


def test_a_key_over_its_limit_in_a_minute_gets_429_without_retry_after(clock: DateClock) -> None:
    # Given a key allowed 3 requests a minute that made 3
    sandbox = sandbox_on(clock, requests_per_minute=LIMIT)
    with API.client(sandbox) as c:
        assert [c.get(CONTACTS).status_code for _ in range(LIMIT)] == [200] * LIMIT

        # When it makes another, a create, within the minute
        refused = c.post(CONTACTS, json=contact("Ada", "PRIMARY"))

    # Then it is a 429 with a message and no Retry-After (Sequence documents none), and the
    # create was not carried out
    assert refused.status_code == 429
    assert mapper.error_message(refused.json()) == "Too Many Requests"
    assert "Retry-After" not in refused.headers
    assert sandbox.archived_states() == {}


def test_the_window_slides_over_the_last_minute(clock: DateClock) -> None:
    # Given requests at 0s, 30s and 30s, with 3 allowed a minute
    sandbox = sandbox_on(clock, requests_per_minute=LIMIT)
    with API.client(sandbox) as c:
        statuses = [c.get(CONTACTS).status_code]
        clock.advance(timedelta(seconds=30))
        statuses += [c.get(CONTACTS).status_code, c.get(CONTACTS).status_code]
        # When more come just before the first is a minute old, at a minute, and again
        clock.advance(timedelta(seconds=30) - timedelta(microseconds=1))
        statuses.append(c.get(CONTACTS).status_code)
        clock.advance(timedelta(microseconds=1))
        statuses += [c.get(CONTACTS).status_code, c.get(CONTACTS).status_code]

    # Then only the one after the first left the window gets through
    assert statuses == [200, 200, 200, 429, 200, 429]


def test_each_key_has_its_own_window(clock: DateClock) -> None:
    # Given two keys of the account, the first over its limit
    sandbox = sandbox_on(clock, requests_per_minute=1)
    sandbox.add_key("second-key", "second-secret")
    with API.client(sandbox) as first:
        first_statuses = [first.get(CONTACTS).status_code, first.get(CONTACTS).status_code]
    headers = {
        "Authorization": basic("second-key", "second-secret"),
        "Sequence-Version": "2024-07-30",
    }
    with API.client(sandbox, headers) as second:
        # When the second key makes a request, Then its own minute is untouched
        second_status = second.get(CONTACTS).status_code

    assert (first_statuses, second_status) == ([200, 429], 200)


def test_refused_and_unauthenticated_requests_do_not_use_the_allowance(clock: DateClock) -> None:
    # Given a key allowed one request a minute, refused once over it, and a stranger's requests
    sandbox = sandbox_on(clock, requests_per_minute=1)
    with API.client(sandbox) as c:
        assert [c.get(CONTACTS).status_code, c.get(CONTACTS).status_code] == [200, 429]
        stranger = {"Authorization": basic(client_secret="wrong")}
        assert c.get(CONTACTS, headers=stranger).status_code == 401
        # When the first request is a minute old
        clock.advance(timedelta(minutes=1))
        # Then there is room for exactly one again: the 429 and the 401 took none
        assert [c.get(CONTACTS).status_code, c.get(CONTACTS).status_code] == [200, 429]


def test_the_default_limit_is_1500_a_minute(sandbox: SequenceSandbox) -> None:
    # Given the default sandbox (VENDORS.md: 1,500 a minute per key in the newer docs)
    with API.client(sandbox) as c:
        # When 1,501 requests come within the minute
        statuses = [c.get(CONTACTS).status_code for _ in range(1_501)]
    # Then the last one is refused
    assert statuses.count(200) == 1_500
    assert statuses[-1] == 429


def test_retry_after_when_the_sandbox_is_asked_to_send_it(clock: DateClock) -> None:
    # Given a sandbox sending Retry-After (not documented: off by default), 2 requests a minute,
    # made at 0s and 20.5s
    sandbox = sandbox_on(clock, requests_per_minute=2, retry_after_on_limit=True)
    with API.client(sandbox) as c:
        c.get(CONTACTS)
        clock.advance(timedelta(seconds=20.5))
        c.get(CONTACTS)
        # When a third comes at 30s
        clock.advance(timedelta(seconds=9.5))
        refused = c.get(CONTACTS)
        # Then it says to come back when the first leaves the window: in 30 s, and then it is let in
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "30")
        clock.advance(timedelta(seconds=30))
        assert c.get(CONTACTS).status_code == 200


# -- what a create accepts ----------------------------------------------------------------------

ADA = contact("Ada", "PRIMARY")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        pytest.param({"email": "a@example.com", "billingPreference": "NONE"}, "name", id="no-name"),
        pytest.param({"name": "Ada", "billingPreference": "NONE"}, "email", id="no-email"),
        pytest.param({"name": "Ada", "email": "a@example.com"}, "billingPreference", id="no-pref"),
        pytest.param({**ADA, "name": 42}, "name", id="name-not-a-string"),
        pytest.param({**ADA, "email": None}, "email", id="email-null"),
        pytest.param({**ADA, "email": ""}, "email", id="email-empty"),
        pytest.param({**ADA, "billingPreference": "primary"}, "billingPreference", id="enum-case"),
        pytest.param({**ADA, "billingPreference": "CC"}, "billingPreference", id="not-in-enum"),
    ],
)
def test_create_refuses_what_the_spec_refuses_and_says_which_field(
    sandbox: SequenceSandbox, client: httpx.Client, body: dict[str, Any], says: str
) -> None:
    # When a create lacks a required field, or one is not a string of the spec's enum
    response = client.post(CONTACTS, json=body)
    # Then it is a 400 naming the field, and nothing was created
    assert response.status_code == 400
    assert says in (mapper.error_message(response.json()) or "")
    assert sandbox.archived_states() == {}


# -- the PRIMARY billing contact ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("others", "status"),
    [
        pytest.param([], 400, id="alone"),
        pytest.param([("Pat", "PRIMARY", True)], 400, id="the-primary-archived"),
        pytest.param([("Pat", "NONE", False)], 400, id="only-none"),
        pytest.param([("Pat", "PRIMARY", False)], 201, id="a-primary"),
    ],
)
def test_a_standard_contact_needs_an_active_primary_one(
    sandbox: SequenceSandbox,
    client: httpx.Client,
    others: list[tuple[str, str, bool]],
    status: int,
) -> None:
    # Given the customer's other contacts
    for name, preference, archived in others:
        seeded = contact(name, preference)
        sandbox.add_contact(
            CUSTOMER, **seeded, **({"archivedAt": "2024-07-01T00:00:00Z"} if archived else {})
        )
    # When a STANDARD contact is created
    response = client.post(CONTACTS, json=contact("Ada", "STANDARD"))
    # Then only an active PRIMARY contact lets it in
    assert response.status_code == status
    if status == 400:
        assert mapper.error_message(response.json()) == STANDARD_WITHOUT_PRIMARY


@pytest.mark.parametrize("preference", ["PRIMARY", "NONE"])
def test_primary_and_none_contacts_are_created_whatever_the_others(
    sandbox: SequenceSandbox, client: httpx.Client, preference: str
) -> None:
    # Given a customer with a PRIMARY contact already (several are not forbidden)
    sandbox.add_contact(CUSTOMER, **contact("Pat", "PRIMARY"))
    # When another PRIMARY, or a NONE, contact is created, Then it is
    assert client.post(CONTACTS, json=contact("Ada", preference)).status_code == 201


def test_archiving_the_last_primary_while_others_receive_billing_is_400(
    sandbox: SequenceSandbox, client: httpx.Client
) -> None:
    # Given Ada the only PRIMARY contact, Bob STANDARD, and a PRIMARY contact archived earlier
    ada = sandbox.add_contact(CUSTOMER, **ADA)
    sandbox.add_contact(CUSTOMER, **contact("Bob", "STANDARD"))
    sandbox.add_contact(CUSTOMER, **contact("Pat", "PRIMARY"), archivedAt="2024-07-01T00:00:00Z")
    # When Ada is archived
    response = archive(client, ada["id"])
    # Then it is a 400 saying why, and she stays active
    assert response.status_code == 400
    assert mapper.error_message(response.json()) == LAST_PRIMARY
    assert sandbox.contact(CUSTOMER, ada["id"]) == ada


@pytest.mark.parametrize(
    "others",
    [
        pytest.param([], id="alone"),
        pytest.param([("Bob", "NONE")], id="no-one-else-receives-billing"),
        pytest.param([("Bob", "STANDARD"), ("Pat", "PRIMARY")], id="another-primary"),
    ],
)
def test_archiving_a_primary_the_rule_does_not_need_succeeds(
    sandbox: SequenceSandbox, client: httpx.Client, others: list[tuple[str, str]]
) -> None:
    # Given Ada PRIMARY and others no billing rule needs her for
    ada = sandbox.add_contact(CUSTOMER, **ADA)
    for name, preference in others:
        sandbox.add_contact(CUSTOMER, **contact(name, preference))
    # When she is archived, Then she is
    assert archive(client, ada["id"]).json()["archivedAt"] == "2024-08-01T12:00:00Z"


def test_the_billing_rule_does_not_stop_a_standard_archive_or_a_repeated_one(
    sandbox: SequenceSandbox, client: httpx.Client
) -> None:
    # Given (seeded as a vendor's data may be) an archived PRIMARY Ada and an active STANDARD Bob
    ada = sandbox.add_contact(CUSTOMER, **ADA, archivedAt="2024-07-01T00:00:00Z")
    bob = sandbox.add_contact(CUSTOMER, **contact("Bob", "STANDARD"))
    # When each is archived, Then both answers are the archived contact
    assert archive(client, ada["id"]).json() == ada
    assert archive(client, bob["id"]).status_code == 200


def test_a_contact_archived_in_the_dashboard_is_listed_archived(sandbox: SequenceSandbox) -> None:
    # Given Ada and Bob, both PRIMARY, and Carol STANDARD
    ada = sandbox.add_contact(CUSTOMER, **ADA)
    bob = sandbox.add_contact(CUSTOMER, **contact("Bob", "PRIMARY"))
    sandbox.add_contact(CUSTOMER, **contact("Carol", "STANDARD"))
    # When someone archives Ada in Sequence's dashboard
    archived = sandbox.archive_in_ui(CUSTOMER, ada["id"])
    # Then she is archived now, and the dashboard keeps the rule for Bob, the last PRIMARY one
    assert archived == {
        **ada,
        "archivedAt": "2024-08-01T12:00:00Z",
        "updatedAt": "2024-08-01T12:00:00Z",
    }
    with pytest.raises(ValueError, match="only PRIMARY"):
        sandbox.archive_in_ui(CUSTOMER, bob["id"])


# -- the refusals keep to the spec ----------------------------------------------------------------


def test_the_rules_answers_keep_to_the_spec(clock: DateClock) -> None:
    # Given the spec's contract around a sandbox allowing 3 requests a minute, a customer whose
    # only PRIMARY contact is Ada while Bob is STANDARD, and a customer without contacts
    sandbox = sandbox_on(clock, requests_per_minute=LIMIT)
    ada = sandbox.add_contact(CUSTOMER, **ADA)
    sandbox.add_contact(CUSTOMER, **contact("Bob", "STANDARD"))
    sandbox.add_customer("customer-2")
    transport = contract_transport(Vendor.SEQUENCE, sandbox)
    headers = {"Authorization": basic(), "Sequence-Version": "2024-07-30"}
    with httpx.Client(base_url=BASE_URL, transport=transport, headers=headers) as c:
        # When Ada's archive, a STANDARD create without a PRIMARY contact and a request over the
        # limit are refused
        seen = [
            archive(c, ada["id"]),
            c.post("/customers/customer-2/contacts", json=contact("Carol", "STANDARD")),
            c.get(CONTACTS),
            c.get(CONTACTS),
        ]
    # Then each answer is one the contract allows (400 declared by the spec, 429 by VENDORS.md)
    assert [response.status_code for response in seen] == [400, 400, 200, 429]
    assert transport.violations == []
    assert transport.checked == len(seen)
