"""The Constant Contact sandbox's bulk activities: `contact_delete` and `add_list_memberships`,
queued at once, carried out after a delay on the sandbox's clock (or a number of polls), their
limits and refusals, in the spec's shapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contact_archive.vendors.constant_contact import mapper
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.sandboxes.test_constant_contact_sandbox import API, TOKEN, FakeClock
from tests.vendors.constant_contact.case import LISTS
from tests.vendors.recorded import load_spec, resolve

# `API` is the module's vendor for the `client` fixture
__all__ = ["API"]
MANY_LISTS = [f"07936f78-662a-11eb-af0a-{index:012d}" for index in range(51)]


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test says: an activity's delay is the test's to spend."""
    return FakeClock(step=0.0)


@pytest.fixture
def sandbox(clock: FakeClock) -> ConstantContactSandbox:
    return ConstantContactSandbox(TOKEN, clock=clock, requests_per_second=1_000)


@pytest.fixture(scope="module")
def activity_properties() -> tuple[set[str], set[str], set[str]]:
    """What the spec lets a created delete, a created add-to-lists and a polled activity hold."""
    spec = load_spec("constant-contact-v3-bulk-activities.yml")
    deleting = resolve(spec, spec["definitions"]["ActivityDeleteStatus"])
    adding = resolve(spec, spec["definitions"]["ActivityListsMembership"])
    polled = resolve(spec, spec["paths"]["/activities/{activity_id}"]["get"]["responses"]["200"])
    return (
        set(deleting["properties"]),
        set(adding["properties"]),
        set(resolve(spec, polled["schema"])["properties"]),
    )


def deleted(sandbox: ConstantContactSandbox, contact_id: str) -> bool:
    stored = sandbox.contact(contact_id)
    assert stored is not None
    return bool(stored.get("deleted_at"))


def add_to_lists(client: httpx.Client, contact_ids: list[str], list_ids: list[str]) -> Any:
    response = client.post(
        "/v3/activities/add_list_memberships",
        json={"source": {"contact_ids": contact_ids}, "list_ids": list_ids},
    )
    assert response.status_code == 201, response.text
    return response.json()


# -- timing ---------------------------------------------------------------------------------------


def test_a_bulk_delete_is_processing_until_its_delay_has_passed(
    sandbox: ConstantContactSandbox,
    client: httpx.Client,
    clock: FakeClock,
    activity_properties: tuple[set[str], set[str], set[str]],
) -> None:
    # Given three contacts on lists, and activities that take 1 s and one more per 500 contacts
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(3)]
    # When two are deleted in bulk (a delay of 1.004 s)
    created = client.post(
        "/v3/activities/contact_delete", json=dict(mapper.bulk_delete_body(ids[:2]))
    )
    # Then the activity is queued, `initialized`, and nothing is deleted yet
    assert created.status_code == 201
    activity = created.json()
    assert set(activity) <= activity_properties[0]
    assert activity["state"] == "initialized"
    assert activity["status"] == {"items_total_count": 2, "items_completed_count": 0}
    # When it is polled half a second later, then it is processing, still untouched
    clock.now += 0.5
    href = activity["_links"]["self"]["href"]
    processing = client.get(href).json()
    assert (processing["state"], processing["percent_done"]) == ("processing", 49)
    assert not any(deleted(sandbox, contact_id) for contact_id in ids)
    # When it is polled once its delay has passed, then it has completed: the two are deleted
    clock.now += 0.6
    status = client.get(href).json()
    assert set(status) <= activity_properties[2]
    assert status["state"] == "completed" and status["percent_done"] == 100
    assert status["status"]["items_completed_count"] == 2
    assert status["started_at"] == processing["started_at"] <= status["completed_at"]
    assert [deleted(sandbox, contact_id) for contact_id in ids] == [True, True, False]
    assert [(sandbox.contact(contact_id) or {}).get("list_memberships") for contact_id in ids] == [
        [],
        [],
        LISTS,
    ]
    # And polling again changes nothing
    assert client.get(href).json() == status


def test_a_bigger_activity_takes_longer(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given 500 contacts, and one more
    ids = [sandbox.add_contact()["contact_id"] for _ in range(501)]
    # When a delete of 500 and a delete of 1 are created together
    full = client.post("/v3/activities/contact_delete", json={"contact_ids": ids[:500]}).json()
    small = client.post("/v3/activities/contact_delete", json={"contact_ids": ids[500:]}).json()
    # Then after 1.5 s only the small one is done; the full one takes its 2 s
    clock.now += 1.5
    states = [
        client.get(f"/v3/activities/{a['activity_id']}").json()["state"] for a in (full, small)
    ]
    assert states == ["processing", "completed"]
    clock.now += 0.5
    assert client.get(f"/v3/activities/{full['activity_id']}").json()["state"] == "completed"
    assert all(deleted(sandbox, contact_id) for contact_id in ids)


def test_a_due_activity_is_carried_out_without_being_polled(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given a bulk delete created, nobody polling it
    contact_id = sandbox.add_contact(list_ids=LISTS)["contact_id"]
    activity = client.post("/v3/activities/contact_delete", json={"contact_ids": [contact_id]})
    # When its delay has passed and any other request reaches the API
    clock.now += 2.0
    listed = client.get("/v3/contacts", params={"status": "deleted"}).json()
    # Then the vendor had done it already: the contact is deleted, the activity completed
    assert [contact["contact_id"] for contact in listed["contacts"]] == [contact_id]
    polled = client.get(f"/v3/activities/{activity.json()['activity_id']}").json()
    assert polled["state"] == "completed"


def test_an_activity_can_also_take_several_polls_to_complete(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given an activity that completes on its third poll, however quick
    sandbox.activities.polls_to_complete = 3
    sandbox.activities.activity_seconds = 0.0
    sandbox.activities.items_per_second = 0.0
    contact_id = sandbox.add_contact(list_ids=LISTS)["contact_id"]
    created = client.post("/v3/activities/contact_delete", json={"contact_ids": [contact_id]})
    href = created.json()["_links"]["self"]["href"]
    # When it is polled three times
    polls = [client.get(href).json() for _ in range(3)]
    # Then it is processing, untouched, until the third poll completes it
    assert [poll["state"] for poll in polls] == ["processing", "processing", "completed"]
    assert polls[2]["status"]["items_completed_count"] == 1
    assert deleted(sandbox, contact_id)


# -- bulk delete ----------------------------------------------------------------------------------


def test_bulk_delete_reports_unknown_contacts_as_activity_errors(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    known = sandbox.add_contact()["contact_id"]
    activity = client.post(
        "/v3/activities/contact_delete", json={"contact_ids": [known, "missing"]}
    ).json()
    clock.now += 2.0
    status = client.get(f"/v3/activities/{activity['activity_id']}").json()
    assert status["status"]["items_completed_count"] == 1
    assert status["activity_errors"] == ["Contact missing not found"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "contact_ids is required"),
        ({"contact_ids": []}, "contact_ids is required"),
        ({"contact_ids": [f"id-{i}" for i in range(501)]}, "at most 500"),
        ([1], "must be an object"),
        ({"contact_ids": ["c"], "list_ids": LISTS}, "mutually exclusive"),
        ({"list_ids": LISTS}, "not modelled"),
        ({"contact_ids": ["c"], "force": True}, "unknown fields"),
    ],
)
def test_bulk_delete_rejects_bad_bodies(client: httpx.Client, body: Any, says: str) -> None:
    response = client.post("/v3/activities/contact_delete", json=body)
    assert response.status_code == 400
    ((error),) = response.json()
    assert error["error_key"] == "contacts.api.validation.error" and says in error["error_message"]


def test_polling_an_unknown_activity_is_404(client: httpx.Client) -> None:
    assert client.get("/v3/activities/nope").status_code == 404


# -- add to lists ---------------------------------------------------------------------------------


def test_adding_deleted_contacts_to_lists_revives_them(
    sandbox: ConstantContactSandbox,
    client: httpx.Client,
    clock: FakeClock,
    activity_properties: tuple[set[str], set[str], set[str]],
) -> None:
    # Given two deleted contacts (seed 004: "un-delete ... by adding them to one or more lists")
    ids = [sandbox.add_contact(deleted_at="2026-03-01")["contact_id"] for _ in range(2)]
    # When they are added to two lists in bulk, and the activity has had its time
    activity = add_to_lists(client, ids, LISTS)
    assert set(activity) <= activity_properties[1]
    assert activity["status"] == {
        "items_total_count": 2,
        "items_completed_count": 0,
        "list_count": 2,
    }
    clock.now += 2.0
    status = client.get(activity["_links"]["self"]["href"]).json()
    # Then both are active again, on the lists
    assert status["state"] == "completed" and status["status"]["items_completed_count"] == 2
    for contact_id in ids:
        stored = sandbox.contact(contact_id)
        assert stored is not None and "deleted_at" not in stored
        assert stored["list_memberships"] == LISTS


def test_no_contact_is_put_on_more_than_50_lists(
    sandbox: ConstantContactSandbox, client: httpx.Client, clock: FakeClock
) -> None:
    # Given a contact on 50 lists, and another on one
    full = sandbox.add_contact(list_ids=MANY_LISTS[:50])["contact_id"]
    other = sandbox.add_contact(list_ids=MANY_LISTS[:1])["contact_id"]
    # When both are added to a 51st list
    activity = add_to_lists(client, [full, other], MANY_LISTS[50:])
    clock.now += 2.0
    status = client.get(f"/v3/activities/{activity['activity_id']}").json()
    # Then the one already on 50 is left as it was, reported; the other is added
    assert status["status"]["items_completed_count"] == 1
    assert status["activity_errors"] == [f"Contact {full} would be on more than 50 lists"]
    full_stored, other_stored = sandbox.contact(full), sandbox.contact(other)
    assert full_stored is not None and full_stored["list_memberships"] == MANY_LISTS[:50]
    assert other_stored is not None and other_stored["list_memberships"] == [
        MANY_LISTS[0],
        MANY_LISTS[50],
    ]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"source": {"contact_ids": ["c"]}}, "list_ids is required"),
        ({"source": {"contact_ids": ["c"]}, "list_ids": MANY_LISTS}, "at most 50 list_ids"),
        ({"source": {"contact_ids": []}, "list_ids": LISTS}, "source.contact_ids is required"),
        (
            {"source": {"contact_ids": [f"c-{i}" for i in range(501)]}, "list_ids": LISTS},
            "at most 500",
        ),
        ({"source": {"all_active_contacts": True}, "list_ids": LISTS}, "not modelled"),
        (
            {"source": {"contact_ids": ["c"], "list_ids": LISTS}, "list_ids": LISTS},
            "mutually exclusive",
        ),
        ({"source": {"people": ["c"]}, "list_ids": LISTS}, "must name the contacts"),
        ({"source": {"contact_ids": ["c"]}, "list_ids": LISTS, "extra": 1}, "unknown fields"),
    ],
)
def test_adding_to_lists_rejects_bad_bodies(
    client: httpx.Client, body: dict[str, Any], says: str
) -> None:
    response = client.post("/v3/activities/add_list_memberships", json=body)
    assert response.status_code == 400
    ((error),) = response.json()
    assert error["error_key"] == "contacts.api.validation.error" and says in error["error_message"]


def test_more_than_1000_queued_activities_is_a_429(
    sandbox: ConstantContactSandbox, client: httpx.Client
) -> None:
    # Given 1,000 activities queued that have not had their time yet (the rate limit lifted)
    sandbox.requests_per_second = 2_000
    contact_id = sandbox.add_contact()["contact_id"]
    for _ in range(1_000):
        client.post("/v3/activities/contact_delete", json={"contact_ids": [contact_id]})
    # When one more is asked for, then it is refused: the spec's 429
    response = client.post("/v3/activities/contact_delete", json={"contact_ids": [contact_id]})
    assert response.status_code == 429
    assert response.json()[0]["error_key"] == "too_many_activities"
