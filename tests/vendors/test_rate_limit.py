"""The client-side rate limit: a token bucket that makes callers wait, never fail."""

from __future__ import annotations

import pytest

from contact_archive.vendors.rate_limit import RateLimits, TokenBucket
from tests.fakes import FakeTime


def times_let_through(burst: int, requests: int) -> list[float]:
    """When each of `requests` coming at once gets through a bucket of 4 a second."""
    fake = FakeTime()
    bucket = TokenBucket(4, burst=burst, clock=fake.clock, sleep=fake.sleep)
    times = []
    for _ in range(requests):
        bucket.acquire()
        times.append(fake.now)
    return times


def test_with_a_burst_of_one_no_second_holds_more_than_the_rate() -> None:
    # Given Constant Contact's 4 requests a second, strictly: a bucket of one token
    # When 20 requests come at once
    times = times_let_through(burst=1, requests=20)
    # Then they go out 0.25 s apart, and any one-second window holds at most 4
    assert times[-1] == pytest.approx(19 * 0.25)
    for start in times:
        assert len([t for t in times if start <= t < start + 1.0 - 1e-9]) <= 4


def test_a_larger_burst_lets_that_many_through_at_once() -> None:
    times = times_let_through(burst=4, requests=8)
    assert times[:4] == [0.0] * 4
    assert times[4:] == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_tokens_refill_with_time_up_to_the_burst() -> None:
    fake = FakeTime()
    bucket = TokenBucket(4, burst=4, clock=fake.clock, sleep=fake.sleep)
    for _ in range(4):
        assert bucket.acquire() == 0.0
    fake.now += 10  # idle: refills to the burst, not beyond
    assert [bucket.acquire() for _ in range(4)] == [0.0] * 4
    assert bucket.acquire() == pytest.approx(0.25)


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0, burst=1)
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(1, burst=0)


def test_one_bucket_per_vendor_account() -> None:
    made: list[tuple[str, str]] = []

    def factory(vendor: str, account: str) -> TokenBucket | None:
        made.append((vendor, account))
        return TokenBucket(4, burst=4) if vendor == "constant_contact" else None

    limits = RateLimits(factory)
    first = limits.bucket("constant_contact", "tenant-a")
    assert first is limits.bucket("constant_contact", "tenant-a")
    assert limits.bucket("constant_contact", "tenant-b") is not first
    assert limits.bucket("intercom", "tenant-a") is None
    assert made == [
        ("constant_contact", "tenant-a"),
        ("constant_contact", "tenant-b"),
        ("intercom", "tenant-a"),
    ]
