"""Constant Contact's limits as the client meets them: 4 requests a second (paced by a token
bucket on the fake clock) and 10,000 a day (a transient error the caller defers, never a sleep).
Bulk activities and their limits are in `test_bulk*.py`."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.constant_contact import mapper
from contact_archive.vendors.constant_contact.client import (
    PACE_PER_SECOND,
    RATE_PER_SECOND,
    ConstantContactClient,
)
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy
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
