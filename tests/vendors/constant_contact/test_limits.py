"""Constant Contact's limits as the client meets them: 4 requests a second (paced by a token
bucket on the fake clock), 10,000 a day (a transient error the caller defers, never a sleep), and
bulk activities that take their time (polled until done, or reported unfinished)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.constant_contact import mapper
from contact_archive.vendors.constant_contact.client import (
    PACE_PER_SECOND,
    RATE_PER_SECOND,
    BulkDeleteOutcome,
    ConstantContactClient,
)
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.base import json_response
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.fakes import FakeTime
from tests.vendors.constant_contact.case import LISTS, ConstantContactCase
from tests.vendors.sandboxed import Wire

DAY = 86_400.0


@pytest.fixture
def case() -> Iterator[ConstantContactCase]:
    with ConstantContactCase() as case:
        yield case


# -- daily quota ----------------------------------------------------------------------------------


def test_the_daily_quota_is_a_transient_error_to_defer_not_a_wait(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, clock: FakeTime, wire: Wire
) -> None:
    # Given a key with two requests left today (10,000 a day at Constant Contact)
    sandbox.daily_quota = 2
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(3)]
    client = case.client_with()
    for contact_id in ids[:2]:
        client.fetch(LinkRef(contact_id))
    slept = list(clock.slept)
    # When a third call is made the same day
    with pytest.raises(TransientVendorError, match="quota_exceeded") as raised:
        client.fetch(LinkRef(ids[2]))
    # Then it fails at once as transient, saying to try again in an hour: one request, no
    # retry and no sleep in-process (the stream's retry, later, defers it)
    assert raised.value.status == 429
    assert raised.value.retry_after == mapper.QUOTA_WAIT_SECONDS == 3600.0
    assert [seen.status for seen in wire.seen] == [200, 200, 429]
    assert case.waits == []  # no retry waited
    assert all(wait < 1.0 for wait in clock.slept[len(slept) :])  # only the bucket's pacing
    # And the next day the same call goes through
    clock.now += DAY
    assert client.fetch(LinkRef(ids[2])).vendor_id == ids[2]


def test_the_quota_is_told_from_the_per_second_limit(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given a client without a bucket, not retrying, and a key not yet at its daily quota
    contact_id = sandbox.add_contact()["contact_id"]
    unlimited = TokenBucket(1_024, 1_024, clock=clock, sleep=clock.sleep)
    client = case.client_with(bucket=unlimited, retry=RetryPolicy(max_attempts=1))
    for _ in range(4):
        client.fetch(LinkRef(contact_id))
    # When a fifth call goes within the second, then it is `throttled`, with no hour to wait
    with pytest.raises(TransientVendorError, match="throttled") as raised:
        client.fetch(LinkRef(contact_id))
    assert raised.value.retry_after is None


# -- bulk activities ------------------------------------------------------------------------------


def test_archive_many_runs_one_activity_per_500_and_polls_each_to_the_end(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, clock: FakeTime
) -> None:
    # Given 1,001 contacts on lists, asked for with a duplicate
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(1001)]
    # When they are archived in bulk
    outcomes = client.archive_many([*ids, ids[0]])
    # Then three activities (500, 500, 1) ran to completion, each created once and polled
    # until done: processing a second after it was created, completed after its 2 s
    assert [len(outcome.contact_ids) for outcome in outcomes] == [500, 500, 1]
    assert all(outcome.finished and outcome.state == "completed" for outcome in outcomes)
    assert [outcome.completed_count for outcome in outcomes] == [500, 500, 1]
    assert sandbox.calls("POST", "/v3/activities/contact_delete") == 3
    assert sandbox.calls("GET", r"/v3/activities/[\w-]+") == 6
    assert clock.slept.count(1.0) == 6  # one poll interval before each poll
    for contact_id in ids:
        stored = sandbox.contact(contact_id)
        assert stored is not None and stored["deleted_at"] and stored["list_memberships"] == []


def test_archive_many_stops_polling_after_max_polls(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, clock: FakeTime
) -> None:
    # Given an activity that takes ten polls to finish
    sandbox.polls_to_complete = 10
    ids = [sandbox.add_contact()["contact_id"] for _ in range(2)]
    # When archived in bulk with at most three polls
    (outcome,) = client.archive_many(ids, max_polls=3, poll_interval=2.0)
    # Then it gives up unfinished after three polls, two seconds apart on the fake clock
    assert isinstance(outcome, BulkDeleteOutcome)
    assert (outcome.state, outcome.finished) == ("processing", False)
    assert sandbox.calls("GET", r"/v3/activities/[\w-]+") == 3
    assert clock.slept.count(2.0) == 3


def test_archive_many_of_nothing_calls_nothing(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    assert client.archive_many([]) == []
    assert sandbox.requests == []


def test_archive_many_polls_an_activity_that_takes_its_time_until_it_is_done(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, clock: FakeTime
) -> None:
    # Given activities that take 10 s of the vendor's clock
    sandbox.activity_seconds = 10.0
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(3)]
    # When they are archived in bulk, polled every 2 s
    (outcome,) = client.archive_many(ids, poll_interval=2.0)
    # Then it was polled while processing, and once more when it had completed
    assert (outcome.state, outcome.finished, outcome.completed_count) == ("completed", True, 3)
    polls = sandbox.calls("GET", r"/v3/activities/[\w-]+")
    assert polls == 5 and clock.slept.count(2.0) == 5
    assert all(sandbox.contact(contact_id)["deleted_at"] for contact_id in ids)  # type: ignore[index]


def test_a_queue_of_1000_activities_is_waited_out_by_the_retries(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, wire: Wire
) -> None:
    # Given an account whose activity queue is full once (more than 1,000 queued: the spec's 429)
    contact_id = sandbox.add_contact(list_ids=LISTS)["contact_id"]
    full = [json_response(429, [{"error_key": "too_many_activities", "error_message": "full"}])]
    wire.intercept = lambda request: full.pop() if request.method == "POST" and full else None
    # When a bulk delete is asked for, then it is retried after a backoff, and carried out
    (outcome,) = client.archive_many([contact_id])
    assert outcome.state == "completed" and outcome.completed_count == 1
    assert wire.statuses("POST", "/v3/activities/contact_delete") == [429, 201]


def test_an_activity_still_processing_when_polls_run_out_is_reported_unfinished(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given an activity that takes a minute
    sandbox.activity_seconds = 60.0
    contact_id = sandbox.add_contact(list_ids=LISTS)["contact_id"]
    # When archived in bulk with at most 5 polls a second apart
    (outcome,) = client.archive_many([contact_id], max_polls=5)
    # Then the outcome says it is unfinished, for the caller to confirm later; nothing is lost
    assert (outcome.state, outcome.finished, outcome.completed_count) == ("processing", False, 0)
    assert outcome.contact_ids == (contact_id,)
    stored = sandbox.contact(contact_id)
    assert stored is not None and "deleted_at" not in stored


# -- rate limit -----------------------------------------------------------------------------


def test_a_burst_through_the_bucket_is_never_throttled(
    sandbox: ConstantContactSandbox, wire: Wire, client: ConstantContactClient
) -> None:
    # Given 20 contacts, and the vendor's 4 requests a second on the clock the bucket shares
    ids = [sandbox.add_contact()["contact_id"] for _ in range(20)]
    # When they are fetched one after another as fast as the client allows
    for contact_id in ids:
        client.fetch(LinkRef(contact_id))
    # Then no call was throttled, and the vendor saw them evenly spaced at the client's pace,
    # 3.6 requests a second: under the 4 allowed, with room for jitter
    assert [seen.status for seen in wire.seen] == [200] * 20
    arrivals = [seen.arrived for seen in wire.seen if seen.arrived is not None]
    assert len(arrivals) == 20
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    # (within the bucket's 1 ms floor on a wait, which float rounding of the clock can reach)
    assert min(gaps) == pytest.approx(1 / PACE_PER_SECOND, abs=0.002)
    measured = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    assert measured == pytest.approx(PACE_PER_SECOND, rel=0.01) and measured < RATE_PER_SECOND


def test_without_the_bucket_the_vendor_throttles_and_that_is_transient(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given a client whose bucket does not hold it back, and calls that are not retried
    ids = [sandbox.add_contact()["contact_id"] for _ in range(5)]
    unlimited = TokenBucket(1_024, 1_024, clock=clock, sleep=clock.sleep)
    client = case.client_with(bucket=unlimited, retry=RetryPolicy(max_attempts=1))
    # When five calls go within the same second, then the fifth is a transient 429
    for contact_id in ids[:4]:
        client.fetch(LinkRef(contact_id))
    with pytest.raises(TransientVendorError, match="throttled") as raised:
        client.fetch(LinkRef(ids[4]))
    assert raised.value.status == 429 and raised.value.retry_after is None


def test_throttled_calls_are_retried_each_through_the_bucket(
    sandbox: ConstantContactSandbox, wire: Wire, client: ConstantContactClient
) -> None:
    # Given a key whose allowance is only 2 a second (another app shares it), bucket at 4
    sandbox.requests_per_second = 2
    ids = [sandbox.add_contact()["contact_id"] for _ in range(6)]
    # When six contacts are fetched
    fetched = [client.fetch(LinkRef(contact_id)).vendor_id for contact_id in ids]
    # Then some calls were throttled, retried after waiting their turn, and all succeeded
    statuses = [seen.status for seen in wire.seen]
    assert fetched == ids and statuses.count(200) == 6 and statuses.count(429) > 0
    assert set(statuses) == {200, 429}
