"""Retries: backoff with jitter, the vendor's own Retry-After, bounded attempts and time."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorNotFound,
)
from contact_archive.vendors.retry import RetryPolicy, call_with_retries, classify, retry_after
from tests.fakes import FakeTime


class Flaky:
    """Fails with the given errors, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def transient(retry_after: float | None = None) -> TransientVendorError:
    return TransientVendorError(Vendor.ROUTERA, "busy", status=503, retry_after=retry_after)


def run(operation: Flaky, policy: RetryPolicy, fake: FakeTime) -> str:
    return call_with_retries(
        operation, policy, sleep=fake.sleep, clock=fake.clock, draw=lambda: 1.0
    )


def test_transient_errors_are_retried_with_exponential_backoff() -> None:
    fake = FakeTime()
    operation = Flaky(transient(), transient(), transient())
    assert run(operation, RetryPolicy(base_delay=0.5, max_delay=10), fake) == "ok"
    assert operation.calls == 4
    assert fake.slept == [0.5, 1.0, 2.0]  # jitter drew its ceiling here


def test_jitter_stays_under_the_ceiling() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=3.0)
    assert policy.backoff(1, lambda: 0.25) == 0.25
    assert policy.backoff(5, lambda: 0.5) == 1.5  # ceiling capped at max_delay
    assert policy.backoff(2, lambda: 0.0) == 0.0


def test_the_vendors_retry_after_wins() -> None:
    fake = FakeTime()
    operation = Flaky(transient(retry_after=7.0))
    assert run(operation, RetryPolicy(max_delay=1.0, total_budget=30), fake) == "ok"
    assert fake.slept == [7.0]


def test_attempts_are_bounded() -> None:
    fake = FakeTime()
    operation = Flaky(*(transient() for _ in range(10)))
    with pytest.raises(TransientVendorError):
        run(operation, RetryPolicy(max_attempts=3), fake)
    assert operation.calls == 3


def test_a_wait_past_the_time_budget_is_not_waited() -> None:
    fake = FakeTime()
    operation = Flaky(transient(retry_after=60.0))
    with pytest.raises(TransientVendorError):
        run(operation, RetryPolicy(total_budget=20), fake)
    assert operation.calls == 1 and fake.slept == []


@pytest.mark.parametrize(
    "error",
    [
        PermanentVendorError(Vendor.INTERCOM, "bad token", status=401),
        VendorNotFound(Vendor.INTERCOM, "gone", status=404),
    ],
)
def test_other_errors_are_not_retried(error: Exception) -> None:
    operation = Flaky(error)
    with pytest.raises(type(error)):
        run(operation, RetryPolicy(), FakeTime())
    assert operation.calls == 1


def test_retry_after_reads_seconds_dates_and_rate_limit_resets() -> None:
    now = 1_700_000_000.0
    assert retry_after({"Retry-After": "3"}, now) == 3.0
    date = format_datetime(datetime.fromtimestamp(now + 12, UTC), usegmt=True)
    assert retry_after({"retry-after": date}, now) == pytest.approx(12.0)
    assert retry_after({"X-RateLimit-Reset": str(int(now) + 5)}, now) == 5.0
    assert retry_after({"X-RateLimit-Reset": str(int(now) - 5)}, now) == 0.0
    assert retry_after({"Retry-After": "soon"}, now) is None
    assert retry_after({}, now) is None


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, PermanentVendorError),
        (401, PermanentVendorError),
        (403, PermanentVendorError),
        (409, PermanentVendorError),
        (422, PermanentVendorError),
        (404, VendorNotFound),
        (429, TransientVendorError),
        (500, TransientVendorError),
        (503, TransientVendorError),
    ],
)
def test_classify_maps_statuses_to_the_taxonomy(status: int, kind: type[Exception]) -> None:
    error = classify(Vendor.CONSTANT_CONTACT, status, {"Retry-After": "2"}, "nope", now=0)
    assert type(error) is kind
    assert error.status == status
    if isinstance(error, TransientVendorError):
        assert error.retry_after == 2.0 and error.retryable
