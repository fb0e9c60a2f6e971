"""The Sequence client against the sandbox's rate limit per key (VENDORS.md: 1,500 requests a
minute in the newer docs): a 429 is retried, after its `Retry-After` when Sequence sends one (not
documented) and after a backoff otherwise; a client given a bucket keeps under the limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.sequence.client import REQUESTS_PER_MINUTE, pacing_bucket
from devtools.sandboxes.sequence_rules import RateWindow
from tests.vendors.sequence.case import CONTACTS, CUSTOMER, SequenceCase


def limit_to(case: SequenceCase, requests_per_minute: int, *, retry_after: bool = False) -> None:
    case.sandbox.rate_window = RateWindow(requests_per_minute)
    case.sandbox.retry_after_on_limit = retry_after


def test_a_429_with_retry_after_is_waited_for_then_retried(
    case: SequenceCase, ada: LinkRef
) -> None:
    # Given 2 requests a minute, made at 0s and 45s, and a Sequence that says when to come back
    limit_to(case, 2, retry_after=True)
    client = case.client_waiting_on_the_clock()
    client.fetch(ada)
    case.clock.advance(timedelta(seconds=45))
    client.fetch(ada)
    case.clock.advance(timedelta(seconds=5))

    # When Ada is fetched again at 50s
    fetched = client.fetch(ada)

    # Then the 429 is waited out for its Retry-After (10 s) and the retry succeeds
    assert fetched.vendor_id == ada.vendor_id
    assert case.wire.statuses("GET", CONTACTS) == [200, 200, 429, 200]
    assert case.waits == [10.0]


def test_a_429_without_retry_after_is_retried_after_a_backoff(
    case: SequenceCase, ada: LinkRef
) -> None:
    # Given one request a minute, made a microsecond short of a minute ago; Sequence sends no
    # Retry-After (the sandbox's default: not documented)
    limit_to(case, 1)
    policy = RetryPolicy()
    client = case.client_waiting_on_the_clock(retry=policy)
    client.fetch(ada)
    case.clock.advance(timedelta(minutes=1) - timedelta(microseconds=1))

    # When Ada is fetched again
    fetched = client.fetch(ada)

    # Then the 429 is retried after the client's own backoff, within the policy's bounds
    assert fetched.vendor_id == ada.vendor_id
    statuses = case.wire.statuses("GET", CONTACTS)
    assert statuses[:2] == [200, 429] and statuses[-1] == 200
    assert case.waits and all(0 < wait <= policy.max_delay for wait in case.waits)
    assert case.waits[0] <= policy.base_delay


def test_a_retry_after_past_the_retry_budget_goes_to_the_caller(
    case: SequenceCase, ada: LinkRef
) -> None:
    # Given one request a minute, made just now
    limit_to(case, 1, retry_after=True)
    client = case.client_waiting_on_the_clock(retry=RetryPolicy(total_budget=20))
    client.fetch(ada)

    # When Ada is fetched again, Then a minute's wait is not waited here: the caller gets a
    # transient error with the wait, for its own, later retry
    with pytest.raises(TransientVendorError) as raised:
        client.fetch(ada)
    assert (raised.value.status, raised.value.retry_after) == (429, 60.0)
    assert case.waits == []


def test_a_client_with_a_bucket_paces_itself_under_the_limit(
    case: SequenceCase, ada: LinkRef
) -> None:
    # Given 10 requests a minute, and a client with a bucket for that limit on the same clock
    limit_to(case, 10)
    bucket = pacing_bucket(10, clock=case.seconds, sleep=case.wait)
    client = case.client_waiting_on_the_clock(retry=RetryPolicy(max_attempts=1), bucket=bucket)

    # When it fetches Ada 25 times in a row
    for _ in range(25):
        client.fetch(ada)

    # Then no request met a 429: the client waited instead, about 9 requests a minute
    assert set(case.wire.statuses("GET", CONTACTS)) == {200}
    assert sum(case.waits) == pytest.approx(24 * 60 / 9, rel=0.01)


def test_without_a_bucket_the_same_burst_meets_the_limit(case: SequenceCase, ada: LinkRef) -> None:
    # Given 10 requests a minute, and a client without a bucket that does not retry
    limit_to(case, 10)
    client = case.client_waiting_on_the_clock(retry=RetryPolicy(max_attempts=1))
    for _ in range(10):
        client.fetch(ada)

    # When it fetches Ada an 11th time within the minute, Then Sequence refuses it
    with pytest.raises(TransientVendorError) as raised:
        client.fetch(ada)
    assert raised.value.status == 429


def test_the_default_bucket_keeps_under_the_documented_limit(case: SequenceCase) -> None:
    # Given the sandbox's default limit (1,500 a minute, a sliding window) and a client with the
    # default bucket, both on the case's clock
    started = case.seconds()
    bucket = pacing_bucket(clock=case.seconds, sleep=case.wait)
    client = case.client_waiting_on_the_clock(retry=RetryPolicy(max_attempts=1), bucket=bucket)

    # When it lists the customer as fast as its bucket lets it for 70 seconds
    listed = 0
    while case.seconds() - started < 70:
        client.list_page(scope=CUSTOMER)
        listed += 1

    # Then more than a minute's limit went through, and not one request met a 429
    assert listed > REQUESTS_PER_MINUTE
    assert set(case.wire.statuses("GET", CONTACTS)) == {200}
