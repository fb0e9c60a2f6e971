"""The sandbox servers' back door (`POST /__sandbox__/contacts`, for `make seed`): many contacts a
request with the ids given, in every vendor's own shape; a second seed adds nothing; and none of
it is a vendor request (no request log, no quota, no injected fault)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devtools.sandboxes.base import Faults
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.routera import RouteraSandbox
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.sandboxes.server import serve

TIMEOUT = httpx.Timeout(5.0)
LIST_ID = "9d0e6a2c-0f5e-5b4a-8c39-3f3c1d6f4a11"


def people(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": f"00000000-0000-4000-8000-{number:012d}",
            "email": f"person{number}@example.com",
            "first_name": "Ada",
            "last_name": f"Number{number}",
            **extra,
        }
        for number in range(count)
    ]


def seed(url: str, contacts: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(f"{url}/__sandbox__/contacts", json={"contacts": contacts}, timeout=TIMEOUT)


def test_constant_contact_takes_a_batch_with_its_ids_and_lists_without_spending_quota() -> None:
    # Given a Constant Contact sandbox whose key may make one request a day, and that fails all
    sandbox = ConstantContactSandbox(daily_quota=1, faults=Faults(server_error_rate=1.0))
    contacts = people(1_200, list_ids=[LIST_ID])
    with serve(sandbox) as url:
        # When 1,200 contacts are seeded through the back door
        answer = seed(url, contacts)

    # Then each is there under its own id, on its list, with its name and email
    assert answer.status_code == 200 and answer.json() == {"created": 1_200, "existing": 0}
    stored = sandbox.contact(contacts[7]["id"])
    assert stored is not None
    assert stored["email_address"]["address"] == "person7@example.com"
    assert (stored["first_name"], stored["list_memberships"]) == ("Ada", [LIST_ID])
    # and no vendor request was made: nothing logged, the day's one request still unspent
    assert sandbox.requests == [] and sandbox.quota_used == 0 and not sandbox.effects


def test_a_second_seed_of_the_same_ids_adds_nothing_and_leaves_them_as_they_are() -> None:
    # Given an Intercom contact seeded, then archived by someone
    sandbox = IntercomSandbox()
    contacts = [{**person, "id": f"{number:024x}"} for number, person in enumerate(people(3))]
    with serve(sandbox) as url:
        assert seed(url, contacts[:1]).json() == {"created": 1, "existing": 0}
        sandbox.archive_in_ui(contacts[0]["id"])

        # When the same contacts and two more are seeded
        answer = seed(url, contacts)

    # Then only the new ones are added, and the archived one stays archived
    assert answer.json() == {"created": 2, "existing": 1}
    first = sandbox.contact(contacts[0]["id"])
    assert first is not None and first["archived"] is True
    assert [sandbox.contact(c["id"]) is not None for c in contacts] == [True, True, True]


@pytest.mark.parametrize("sandbox_type", [RouteraSandbox, SequenceSandbox])
def test_routera_and_sequence_contacts_keep_the_seeded_ids(
    sandbox_type: type[RouteraSandbox] | type[SequenceSandbox],
) -> None:
    # Given a sandbox that scopes contacts by customer (Sequence) or not (Routera)
    sandbox = sandbox_type()
    contacts = people(2, scope="acme-corp", billing_preference="PRIMARY")
    with serve(sandbox) as url:
        # When two contacts are seeded
        answer = seed(url, contacts)

    # Then they are there under the given ids, as the vendor holds them
    assert answer.json() == {"created": 2, "existing": 0}
    if isinstance(sandbox, SequenceSandbox):
        stored = sandbox.contact("acme-corp", contacts[1]["id"])
        assert stored is not None
        assert (stored["name"], stored["billingPreference"]) == ("Ada Number1", "PRIMARY")
    else:
        stored = sandbox.contact(contacts[1]["id"])
        assert stored is not None
        assert (stored["email"], stored["last_name"]) == ("person1@example.com", "Number1")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"contacts": []}, "at least one contact"),
        ({"contacts": [{"id": "x", "email": "e@example.com", "first_name": "A"}]}, "last_name"),
        ({"contacts": people(1, billing_preference="SOMETIMES")}, "billing_preference"),
        ({"contacts": people(1)}, "customer"),  # a Sequence contact without its `scope`
    ],
)
def test_a_malformed_seed_is_refused_naming_what_is_wrong_and_adds_nothing(
    body: dict[str, Any], named: str
) -> None:
    # Given a Sequence sandbox
    sandbox = SequenceSandbox()
    with serve(sandbox) as url:
        # When a malformed seed is sent
        answer = httpx.post(f"{url}/__sandbox__/contacts", json=body, timeout=TIMEOUT)

    # Then it is a 400 naming the field, and nothing was added
    assert answer.status_code == 400 and named in answer.json()["message"]
    assert sandbox.contact("acme-corp", "x") is None


def test_only_the_back_door_path_and_post_are_answered() -> None:
    # Given a Routera sandbox on loopback
    sandbox = RouteraSandbox()
    with serve(sandbox) as url:
        # When another path under the prefix, or another method, is asked for
        elsewhere = httpx.post(f"{url}/__sandbox__/other", json={}, timeout=TIMEOUT)
        listed = httpx.get(f"{url}/__sandbox__/contacts", timeout=TIMEOUT)

    # Then they are refused, and none reached the vendor's routes
    assert (elsewhere.status_code, listed.status_code) == (404, 405)
    assert sandbox.requests == []
