"""Retries for vendor calls: exponential backoff with full jitter, bounded in attempts and time.

A vendor's own word wins: `Retry-After` (seconds or an HTTP date) or `X-RateLimit-Reset` (a UNIX
time, Intercom) sets the wait. A wait that would end past the time budget is not waited: the
error goes to the caller, whose own retry (the stream's, later) takes over.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorError,
    VendorNotFound,
)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.2  # seconds; doubles each attempt before jitter
    max_delay: float = 5.0  # one backoff wait at most (a vendor's Retry-After may exceed it)
    total_budget: float = 20.0  # seconds from the first attempt to giving up

    def backoff(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """Full jitter: a uniform wait up to the exponential ceiling of this attempt."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return draw() * ceiling


def call_with_retries[T](
    operation: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    draw: Callable[[], float] = random.random,
) -> T:
    """Run `operation`, retrying only `TransientVendorError`, within the policy's bounds."""
    started = clock()
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return operation()
        except TransientVendorError as error:
            if attempt == policy.max_attempts:
                raise
            wait = (
                error.retry_after
                if error.retry_after is not None
                else policy.backoff(attempt, draw)
            )
            if clock() - started + wait > policy.total_budget:
                raise
            sleep(wait)
    raise AssertionError("unreachable")


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset`."""
    lowered = {name.lower(): value for name, value in headers.items()}
    value = lowered.get("retry-after")
    if value:
        if value.strip().isdigit():
            return float(value)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            return None
    reset = lowered.get("x-ratelimit-reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - now)
    return None


def classify(
    vendor: Vendor,
    status: int,
    headers: Mapping[str, str],
    message: str | None,
    *,
    now: float | None = None,
) -> VendorError:
    """An unsuccessful HTTP answer as the taxonomy's error. 404 stays `VendorNotFound`: only the
    caller knows whether "not found" means "already archived" (Routera), after a confirming fetch."""
    text = message or f"HTTP {status}"
    if status == 429 or status >= 500:
        wait = retry_after(headers, time.time() if now is None else now)
        # A 5xx may come after the vendor acted (a gateway timing out on it); a 429 never does.
        return TransientVendorError(
            vendor, text, status=status, retry_after=wait, may_have_applied=status >= 500
        )
    if status == 404:
        return VendorNotFound(vendor, text, status=status)
    return PermanentVendorError(vendor, text, status=status)
