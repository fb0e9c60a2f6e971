"""The Constant Contact sandbox's `GET /activities` (many activities' states in one request), and
what bulk activities leave in its books: each contact's change counted once in `effects`, however
the activity was reached, and each request counted once in the daily quota, however many
contacts it carried."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.sandboxes.test_constant_contact_sandbox import API, TOKEN, FakeClock
from tests.vendors.constant_contact.case import LISTS
from tests.vendors.recorded import load_spec, resolve

# `API` is the module's vendor for the `client` fixture
__all__ = ["API"]
DAY = 86_400.0


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test says."""
    return FakeClock(step=0.0)


@pytest.fixture
def sandbox(clock: FakeClock) -> ConstantContactSandbox:
    return ConstantContactSandbox(TOKEN, clock=clock, requests_per_second=1_000)


@pytest.fixture(scope="module")
def listed_properties() -> set[str]:
    """What the spec lets one activity of `GET /activities` hold."""
    spec = load_spec("constant-contact-v3-bulk-activities.yml")
    activities = resolve(spec, spec["definitions"]["Activities"])
    return set(activities["properties"]["activities"]["items"]["properties"])


def delete(client: httpx.Client, contact_ids: list[str]) -> str:
    created = client.post("/v3/activities/contact_delete", json={"contact_ids": contact_ids})
    assert created.status_code == 201, created.text
    activity_id: str = created.json()["activity_id"]
    return activity_id


def listing(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v3/activities", params=params)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"activities"}
    listed: list[dict[str, Any]] = response.json()["activities"]
    return listed


# -- GET /activities ------------------------------------------------------------------------------


def test_the_listing_shows_the_newest_activities_first_each_as_a_poll_would(
    sandbox: ConstantContactSandbox,
    client: httpx.Client,
    clock: FakeClock,
    listed_properties: set[str],
) -> None:
    # Given three bulk deletes, the first created a second before the other two
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(3)]
    first = delete(client, ids[:1])
    clock.now += 1.0
    later = [delete(client, [contact_id]) for contact_id in ids[1:]]
    # When the account's activities are listed a little later
    clock.now += 0.5
    listed = listing(client)
    # Then all three are there, newest first, in the spec's shape: the first completed (its
    # contact deleted), the other two still processing
    assert [item["activity_id"] for item in listed] == [*reversed(later), first]
    assert all(set(item) <= listed_properties for item in listed)
    assert [item["state"] for item in listed] == ["processing", "processing", "completed"]
    assert listed[2]["status"]["items_completed_count"] == 1
    assert listed[2] == client.get(f"/v3/activities/{first}").json()
    # And `limit` keeps the newest, `state` one state
    assert [item["activity_id"] for item in listing(client, limit=1)] == [later[1]]
    assert [item["activity_id"] for item in listing(client, state="completed")] == [first]
    clock.now += 1.0
    assert listing(client, state="processing") == []


def test_a_listed_activity_counts_as_looked_at(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given an activity that completes on its second look, however quick
    sandbox.activities.polls_to_complete = 2
    sandbox.activities.activity_seconds = 0.0
    sandbox.activities.items_per_second = 0.0
    contact_id = sandbox.add_contact(list_ids=LISTS)["contact_id"]
    delete(client, [contact_id])
    # When the account's activities are listed twice
    states = [listing(client)[0]["state"] for _ in range(2)]
    # Then the second listing carried it out, as a second poll would have
    assert states == ["processing", "completed"]
    assert (sandbox.contact(contact_id) or {}).get("deleted_at")


def test_the_listing_holds_the_past_10_days(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given an activity created 11 days ago and one today
    ids = [sandbox.add_contact()["contact_id"] for _ in range(2)]
    old = delete(client, ids[:1])
    clock.now += 11 * DAY
    new = delete(client, ids[1:])
    # When listed, then only today's is there; the old one can still be polled by its id
    assert [item["activity_id"] for item in listing(client)] == [new]
    assert client.get(f"/v3/activities/{old}").json()["state"] == "completed"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"limit": 0}, "limit must be 1-500"),
        ({"limit": 501}, "limit must be 1-500"),
        ({"limit": "many"}, "limit must be 1-500"),
        ({"state": "initialized"}, "state must be one of"),
    ],
)
def test_the_listing_refuses_what_the_spec_does_not_take(
    client: httpx.Client, params: dict[str, Any], says: str
) -> None:
    response = client.get("/v3/activities", params=params)
    assert response.status_code == 400
    ((error),) = response.json()
    assert error["error_key"] == "contacts.api.validation.error" and says in error["error_message"]


# -- effects and quota ----------------------------------------------------------------------------


def test_each_contact_a_bulk_delete_changes_is_counted_once_however_it_is_reached(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given three contacts, one deleted already, and a delete of all three created twice (an
    # answer lost, the request repeated), plus an unknown id
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(2)]
    ids.append(sandbox.add_contact(deleted_at="2026-03-01")["contact_id"])
    twice = [delete(client, [*ids, "missing"]) for _ in range(2)]
    # When the activities are carried out during a poll (a read, not a write)
    clock.now += 2.0
    polled = [client.get(f"/v3/activities/{activity_id}").json() for activity_id in twice]
    # Then each contact deleted is counted once, the one deleted before not at all
    assert [status["state"] for status in polled] == ["completed", "completed"]
    assert sandbox.effects == {"archived": 2}
    assert sandbox.contact_effects == {(ids[0], "archived"): 1, (ids[1], "archived"): 1}
    assert all(status["activity_errors"] == ["Contact missing not found"] for status in polled)


def test_a_revive_by_adding_to_lists_is_counted_once_and_a_repeat_changes_nothing(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given a deleted contact
    contact_id = sandbox.add_contact(deleted_at="2026-03-01")["contact_id"]
    body = {"source": {"contact_ids": [contact_id]}, "list_ids": LISTS}
    updated = []
    # When the same add-to-lists is created and carried out twice (an answer lost, repeated)
    for _ in range(2):
        assert client.post("/v3/activities/add_list_memberships", json=body).status_code == 201
        clock.now += 2.0
        assert listing(client)[0]["state"] == "completed"
        updated.append((sandbox.contact(contact_id) or {}).get("updated_at"))
    # Then it was revived once, onto its lists; the repeat did not even touch it
    assert sandbox.effects == {"restored": 1}
    assert sandbox.contact_effects == {(contact_id, "restored"): 1}
    assert (sandbox.contact(contact_id) or {}).get("list_memberships") == LISTS
    assert updated[0] == updated[1]


def test_an_activity_of_500_contacts_is_one_request_of_the_daily_quota(
    clock: FakeClock,
) -> None:
    # Given a key with a quota of 3 requests a day, and 500 contacts
    sandbox = ConstantContactSandbox(TOKEN, clock=clock, requests_per_second=1_000, daily_quota=3)
    ids = [sandbox.add_contact()["contact_id"] for _ in range(500)]
    with API.signed_in(sandbox) as client:
        # When they are deleted in one activity, polled, and listed
        activity_id = delete(client, ids)
        clock.now += 2.0
        answers = [client.get(f"/v3/activities/{activity_id}"), client.get("/v3/activities")]
        # Then those were three requests: the next one is over the quota
        assert [answer.status_code for answer in answers] == [200, 200]
        assert sandbox.quota_used == 3
        assert client.get("/v3/activities").json()[0]["error_key"] == "quota_exceeded"
    assert sandbox.effects == {"archived": 500}
