"""Client-side rate limits per vendor account: waiting instead of failing.

Constant Contact allows 4 requests a second per key and answers 429 beyond; waiting here costs
less than a refused call and its retry. A `Pacer` is whatever a call waits on before it goes
out: a `TokenBucket` (one process), or the fleet's shared limits (`vendors/fleet/`), which a
whole fleet of containers waits on together. `RateLimits` keeps one pacer per vendor account.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

MIN_WAIT_SECONDS = 0.001


class Pacer(Protocol):
    def acquire(self) -> float:
        """Wait for this call's turn; returns the seconds waited. May raise a
        `TransientVendorError` (with `retry_after`) when the turn is too far off to wait for."""
        ...


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
    """One pacer per (vendor, account), made on first use, shared by the container's threads
    and clients (`registry.py`): the limit is the account's, whichever tenant's client calls."""

    def __init__(self, factory: Callable[[str, str], Pacer | None]) -> None:
        self._factory = factory
        self._buckets: dict[tuple[str, str], Pacer | None] = {}
        self._lock = threading.Lock()

    def bucket(self, vendor: str, account: str) -> Pacer | None:
        with self._lock:
            key = (vendor, account)
            if key not in self._buckets:
                self._buckets[key] = self._factory(vendor, account)
            return self._buckets[key]
