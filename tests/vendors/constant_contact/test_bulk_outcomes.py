"""How a bulk call ends when its activities do not simply complete: polls that run out, an
activity Constant Contact ends `failed`, errors naming a contact or none, an activity refused or
lost, a queue full; each contact's outcome told from what Constant Contact says, or from where
the contact stands when it says nothing of it, and the restore material never lost."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from contact_archive.vendors.client import BulkItemResult
from contact_archive.vendors.constant_contact.bulk import BulkInterrupted, Polling
from devtools.sandboxes.base import json_response
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.fakes import FakeTime
from tests.vendors.constant_contact.case import LISTS, ConstantContactCase, credentials
from tests.vendors.sandboxed import Wire, calls_of

OTHER_LIST = "6f99f283-21d1-11ea-b5ae-fa163e56c9b9"
DELETE = ("POST", "/v3/activities/contact_delete")


@pytest.fixture
def case() -> Iterator[ConstantContactCase]:
    with ConstantContactCase() as case:
        yield case


def seed(sandbox: ConstantContactSandbox, count: int) -> list[str]:
    return [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(count)]


def rewriting_polls(
    sandbox: ConstantContactSandbox, change: Callable[[dict[str, Any]], None]
) -> Callable[[httpx.Request], httpx.Response | None]:
    """An intercept answering polls and listings as the sandbox does, each activity in them
    changed by `change` first: Constant Contact saying what the sandbox would not."""

    def intercept(request: httpx.Request) -> httpx.Response | None:
        if request.method != "GET" or not request.url.path.startswith("/v3/activities"):
            return None
        answer = sandbox.handle(request)
        body = answer.json()
        for activity in body.get("activities", [body]):
            change(activity)
        return json_response(answer.status_code, body)

    return intercept


def test_polls_that_run_out_raise_with_the_material_and_a_later_call_finds_them_deleted(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given activities that take two minutes, and a client polling three times 2 s apart
    sandbox.activities.activity_seconds = 120.0
    ids = seed(sandbox, 3)
    client = case.client_with(polling=Polling(interval=2.0, max_polls=3))
    # When they are archived in bulk, then the call is cut short, transient, with their lists
    with pytest.raises(BulkInterrupted, match="still running after 3 polls") as raised:
        client.archive_bulk(ids)
    assert raised.value.retryable and raised.value.may_have_applied
    assert raised.value.material == {key: {"list_memberships": LISTS} for key in ids}
    # When the worker calls again once the activity has run (its message redelivered)
    clock.now += 120.0
    sandbox.activities.activity_seconds = 1.0
    again = client.archive_bulk(ids)
    # Then they are `already` deleted, their lists gone with the delete: the first call's
    # material is the one that brings them back
    assert {result.outcome for result in again.values()} == {"already"}
    assert all(not (sandbox.contact(key) or {}).get("list_memberships") for key in ids)
    client.restore_bulk(raised.value.material)
    assert all((sandbox.contact(key) or {}).get("list_memberships") == LISTS for key in ids)
    assert sandbox.effects == {"archived": 3, "restored": 3}


def test_an_activity_ended_failed_is_told_contact_by_contact_from_where_each_stands(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, wire: Wire
) -> None:
    # Given Constant Contact ending the delete `failed` before it deleted anyone
    sandbox.activities.activity_seconds = 3_600.0
    ids = seed(sandbox, 2)
    wire.intercept = rewriting_polls(sandbox, lambda activity: activity.update(state="failed"))
    # When they are archived in bulk
    results = case.client_with().archive_bulk(ids)
    # Then each is failed, saying so, its material kept: they were read active after it ended
    reason = "constant_contact: Constant Contact's bulk delete (failed) left it active"
    assert results == {
        key: BulkItemResult(key, "failed", {"list_memberships": LISTS}, reason) for key in ids
    }


def test_errors_naming_no_contact_are_checked_against_where_the_contacts_stand(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, wire: Wire
) -> None:
    # Given a delete that completes with an error naming no contact
    ids = seed(sandbox, 2)
    wire.intercept = rewriting_polls(
        sandbox, lambda activity: activity.update(activity_errors=["Internal error, retried"])
    )
    # When they are archived in bulk, then a read of the listing finds both deleted: done
    results = case.client_with().archive_bulk(ids)
    assert {result.outcome for result in results.values()} == {"done"}
    assert calls_of(case.sandbox.requests)[-1] == ("GET", "/v3/contacts")


def test_an_error_naming_a_contact_fails_it_without_quoting_what_it_says(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, wire: Wire
) -> None:
    # Given a delete whose error names one of two contacts, with her email in it
    ids = seed(sandbox, 2)
    said = f"Contact {ids[0]} (rae@example.com) is locked"
    wire.intercept = rewriting_polls(
        sandbox, lambda activity: activity.update(activity_errors=[said])
    )
    # When they are archived in bulk
    results = case.client_with().archive_bulk(ids)
    # Then she failed, for a reason that holds no personal data; the other one is done
    assert results[ids[0]] == BulkItemResult(
        ids[0],
        "failed",
        {"list_memberships": LISTS},
        "constant_contact: Constant Contact's bulk delete reported an error for this contact",
    )
    assert results[ids[1]].outcome == "done"


def test_an_activity_refused_for_good_fails_its_contacts_and_the_others_go_on(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, wire: Wire
) -> None:
    # Given 501 contacts, and Constant Contact refusing the second delete (403: no privilege)
    ids = seed(sandbox, 501)
    refusal = json_response(403, [{"error_key": "forbidden", "error_message": "No privilege"}])
    posts: list[str] = []

    def refuse_second(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST":
            posts.append(request.url.path)
            return refusal if len(posts) == 2 else None
        return None

    wire.intercept = refuse_second
    # When they are archived in bulk
    results = case.client_with().archive_bulk(ids)
    # Then the first 500 are done; the last failed, saying why, its lists kept
    assert {results[key].outcome for key in ids[:500]} == {"done"}
    assert results[ids[500]] == BulkItemResult(
        ids[500],
        "failed",
        {"list_memberships": LISTS},
        "constant_contact: Constant Contact refused the bulk delete: forbidden: No privilege",
    )


def test_an_activity_constant_contact_no_longer_knows_is_told_from_the_contacts(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, wire: Wire
) -> None:
    # Given polls of the delete answered 404, though it ran
    ids = seed(sandbox, 1)
    missing = json_response(404, [{"error_key": "not_found", "error_message": "Not found"}])

    def lost(request: httpx.Request) -> httpx.Response | None:
        polled = request.method == "GET" and request.url.path.startswith("/v3/activities/")
        return missing if polled else None

    wire.intercept = lost
    # When the contact is archived in bulk, then a read finds it deleted: done
    (result,) = case.client_with().archive_bulk(ids).values()
    assert result.outcome == "done"


def test_a_full_queue_is_waited_out_by_the_retries(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, wire: Wire
) -> None:
    # Given an account whose activity queue is full once (more than 1,000 queued: the spec's 429)
    ids = seed(sandbox, 1)
    full = [json_response(429, [{"error_key": "too_many_activities", "error_message": "full"}])]
    wire.intercept = lambda request: full.pop() if request.method == "POST" and full else None
    # When a bulk archive is asked for, then the create is retried after a backoff, and done
    (result,) = case.client_with().archive_bulk(ids).values()
    assert result.outcome == "done"
    assert wire.statuses(*DELETE) == [429, 201]


def test_a_transient_error_past_the_retries_raises_and_calling_again_finishes_the_work(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, wire: Wire
) -> None:
    # Given the vendor down for the listing that would poll two activities
    ids = seed(sandbox, 600)
    down = json_response(503, [{"error_key": "unavailable", "error_message": "Down"}])
    wire.intercept = lambda request: down if request.url.path == "/v3/activities" else None
    client = case.client_with()
    # When they are archived in bulk, then the call raises, transient, with their lists
    with pytest.raises(BulkInterrupted) as raised:
        client.archive_bulk(ids)
    assert raised.value.status == 503 and len(raised.value.material) == 600
    # When the vendor is back and the call comes again, then every contact is accounted for
    # and each was deleted once (the activities the first call created did it)
    wire.intercept = lambda request: None
    again = client.archive_bulk(ids)
    assert {result.outcome for result in again.values()} == {"already"}
    assert sandbox.effects == {"archived": 600} and wire.statuses(*DELETE) == [201, 201]


def test_a_contact_revived_by_one_activity_and_not_the_next_is_back_with_its_lists_short(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, wire: Wire
) -> None:
    # Given three deleted contacts on lists {A}, {A, B} and {B}: two activities, list by list,
    # revive them (fewer than one per list set), and Constant Contact refuses the one onto B
    a, b = LISTS[0], OTHER_LIST
    ids = [sandbox.add_contact(deleted_at="2026-03-01")["contact_id"] for _ in range(3)]
    sets = ([a], [a, b], [b])
    material = {key: {"list_memberships": lists} for key, lists in zip(ids, sets, strict=True)}
    refusal = json_response(400, [{"error_key": "invalid", "error_message": "No such list"}])

    def refuse_b(request: httpx.Request) -> httpx.Response | None:
        body = json.loads(request.content) if request.method == "POST" else {}
        return refusal if body.get("list_ids") == [b] else None

    wire.intercept = refuse_b
    client = case.client_with(tenant=credentials())
    # When they are restored in bulk
    results = client.restore_bulk(material)
    # Then the first is back; the second is back on A only, and says so; the third failed
    assert wire.statuses("POST", "/v3/activities/add_list_memberships") == [201, 400]
    assert results[ids[0]] == BulkItemResult(ids[0], "done")
    assert results[ids[1]] == BulkItemResult(
        ids[1],
        "done",
        not_restored={
            "list_memberships": "1 of its 2 lists were not restored: Constant Contact's bulk"
            " activity did not add them"
        },
    )
    assert results[ids[2]] == BulkItemResult(
        ids[2],
        "failed",
        error="constant_contact: Constant Contact refused the bulk revive: invalid: No such list",
    )
    assert [(sandbox.contact(key) or {}).get("list_memberships") for key in ids] == [[a], [a], []]
