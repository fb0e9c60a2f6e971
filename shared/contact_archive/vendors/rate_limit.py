"""A client-side rate limit per vendor account: a token bucket that waits instead of failing.

Constant Contact allows 4 requests a second per key and answers 429 beyond; waiting here costs
less than a refused call and its retry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MIN_WAIT_SECONDS = 0.001


class TokenBucket:
    def __init__(
        self,
        rate_per_second: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("rate and burst must be positive")
        self._rate = rate_per_second
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting for it if need be; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                # At least a millisecond: a shorter wait can vanish in a float clock's rounding.
                wait = max((1 - self._tokens) / self._rate, MIN_WAIT_SECONDS)
            self._sleep(wait)
            waited += wait


class RateLimits:
    """One bucket per (vendor, account), made on first use, shared by the container's threads."""

    def __init__(self, factory: Callable[[str, str], TokenBucket | None]) -> None:
        self._factory = factory
        self._buckets: dict[tuple[str, str], TokenBucket | None] = {}
        self._lock = threading.Lock()

    def bucket(self, vendor: str, account: str) -> TokenBucket | None:
        with self._lock:
            key = (vendor, account)
            if key not in self._buckets:
                self._buckets[key] = self._factory(vendor, account)
            return self._buckets[key]
