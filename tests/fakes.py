"""Test doubles shared by the vendor tests."""

from __future__ import annotations

import threading


class FakeTime:
    """A clock that moves only when someone sleeps on it: one time for a sandbox, a token
    bucket and the retries, so waits are counted and never waited."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds
