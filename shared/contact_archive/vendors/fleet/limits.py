"""Each vendor's documented rate limit, less a margin, kept by the whole fleet at once.

Limits are per key, as the vendors count them (`VENDORS.md`): Constant Contact 4 requests a
second and 10,000 a day per API key; Intercom 10,000 a minute per app (and 25,000 per
workspace); Sequence 1,500 a minute per key (its newer docs); Routera documents none, so none is
kept and its 429s are retried as they come (with `Retry-After` when sent).

Constant Contact's limit is a second, too short to count in: a call claims a *time slot* of
0.3 s, one call per slot for the fleet, and goes out when its slot starts: a slot that starts
later than now, always (an idle key's next one), since calls sent anywhere within their slots
could put five in 0.9 s. Five calls then span four slot gaps, 1.2 s: no one-second window can
hold five unless sends are delayed 0.2 s relative to each other (scheduling, clock skew between
containers). That is 3.33 calls a second at most, 83% of the limit, for at most 0.3 s more
latency on an idle key. The day's quota is counted with the same write.

Per-minute limits are counted in fixed windows of 5 s, each capped at the limit less 5%
divided by 13: how the vendors cut their minute is not documented, and any 60 s, however
placed, touches at most 13 such windows; so no minute can exceed 95% of the limit, while a
steady caller still gets 12/13 of that (88%).

Intercom's workspace limit (25,000) is 2.5 times the app's: one app cannot reach it. Other apps
of the tenant's workspace can, and we cannot see them (the workspace is not in the credentials);
their share shows as 429s with `X-RateLimit-Reset`, which the retries wait for.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store.vendor_accounts import SlotContention
from contact_archive.vendors.credentials import (
    ConstantContactCredentials,
    IntercomCredentials,
    RouteraCredentials,
    SequenceCredentials,
    VendorCredentials,
)
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.fleet.ledgers import RateLedger
from contact_archive.vendors.rate_limit import Pacer

MARGIN = 0.05  # kept below every documented limit
WINDOW_SECONDS = 5.0
# A turn further off than a call's whole retry budget (`RetryPolicy.total_budget`) is not
# waited for: the call fails transient with `retry_after`, and its caller defers it.
MAX_WAIT_SECONDS = 20.0
SLOT_QUEUE_LIFETIME = 2 * 86_400  # a key's slot item outlives its last call by two days
WINDOW_LIFETIME = 3_600  # a window's counter, after the window ends


@dataclass(frozen=True)
class SlotLimit:
    """One call per `slot_seconds` for the fleet, and at most `daily_cap` calls a UTC day."""

    slot_seconds: float
    daily_cap: int


@dataclass(frozen=True)
class WindowLimit:
    """At most `cap` calls in each fixed window of `window_seconds` (from the UNIX epoch)."""

    window_seconds: float
    cap: int


type VendorLimit = SlotLimit | WindowLimit


def window_limit(
    per_minute: int, *, window_seconds: float = WINDOW_SECONDS, margin: float = MARGIN
) -> WindowLimit:
    """Windows whose caps keep any 60 s (one that touches the most windows) under
    `per_minute` less `margin`."""
    touched = math.ceil(60 / window_seconds) + 1
    return WindowLimit(window_seconds, max(1, math.floor(per_minute * (1 - margin) / touched)))


DOCUMENTED_LIMITS: Mapping[Vendor, VendorLimit | None] = {
    Vendor.CONSTANT_CONTACT: SlotLimit(
        slot_seconds=0.3, daily_cap=math.floor(10_000 * (1 - MARGIN))
    ),
    Vendor.INTERCOM: window_limit(10_000),
    Vendor.SEQUENCE: window_limit(1_500),
    Vendor.ROUTERA: None,  # not documented
}


def account_of(credentials: VendorCredentials) -> str:
    """The key a vendor counts calls against, as a digest (an Intercom token is a secret): the
    API host with the app's client id (Constant Contact's API key, Sequence's key, Routera's
    client), or with Intercom's access token (one app installed in one workspace)."""
    match credentials:
        case ConstantContactCredentials() | SequenceCredentials() | RouteraCredentials():
            parts = (credentials.base_url, credentials.client_id)
        case IntercomCredentials():
            parts = (credentials.api_base_url, credentials.access_token.get_secret_value())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _utc_day(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).date().isoformat()


def _until_next_utc_day(now: float) -> float:
    today = datetime.fromtimestamp(now, UTC).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
    return midnight.timestamp() - now


class _FleetPacer[Limit]:
    """What both pacers share: the vendor key they count for, its limit, the shared ledger, and
    how long a call may wait for its turn before it is deferred instead."""

    def __init__(
        self,
        vendor: Vendor,
        account: str,
        limit: Limit,
        ledger: RateLedger,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_WAIT_SECONDS,
    ) -> None:
        """`clock` is UNIX time: slots, windows and days must mean the same in every container."""
        self._vendor = vendor
        self._account = account
        self._limit = limit
        self._ledger = ledger
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait


class SlotPacer(_FleetPacer[SlotLimit]):
    """Constant Contact's limit for the fleet: claim the key's next slot, wait for it to start.

    A day's quota used up is a `TransientVendorError` whose `retry_after` runs to the next UTC
    day (when the vendor's day turns is not documented: the UTC one is assumed), never a
    permanent error: the caller defers the link."""

    def acquire(self) -> float:
        started = self._clock()
        try:
            slot = self._ledger.claim_slot(
                self._vendor,
                self._account,
                now_slot=math.floor(started / self._limit.slot_seconds) + 1,  # starts later
                day=_utc_day(started),
                daily_cap=self._limit.daily_cap,
                expires_at=int(started) + SLOT_QUEUE_LIFETIME,
            )
        except SlotContention:
            raise TransientVendorError(
                self._vendor, "rate limit slots are contended", retry_after=1.0
            ) from None
        if slot is None:
            raise TransientVendorError(
                self._vendor,
                "the API key's daily request quota is used up",
                retry_after=_until_next_utc_day(started),
            )
        starts_at = slot * self._limit.slot_seconds
        if starts_at - started > self._max_wait:
            raise TransientVendorError(
                self._vendor,
                f"the API key's calls are queued {starts_at - started:.0f} s ahead",
                retry_after=starts_at - started,
            )
        # Measured on the clock: a sleep that returns early (a test's) is slept again.
        while (wait := starts_at - self._clock()) > 0:
            self._sleep(wait)
        return self._clock() - started


class WindowPacer(_FleetPacer[WindowLimit]):
    """A per-minute limit for the fleet: count the call in the current window, or wait for the
    next one when it is full."""

    def acquire(self) -> float:
        started = self._clock()
        seconds = self._limit.window_seconds
        while True:
            now = self._clock()
            window = math.floor(now / seconds)
            ends_at = (window + 1) * seconds
            if self._ledger.count_call(
                self._vendor,
                self._account,
                window=window,
                cap=self._limit.cap,
                expires_at=int(ends_at) + WINDOW_LIFETIME,
            ):
                return now - started
            if ends_at - started > self._max_wait:
                raise TransientVendorError(
                    self._vendor,
                    "the key's rate limit window is full",
                    retry_after=ends_at - now,
                )
            self._sleep(ends_at - now)


def pacer_for(
    vendor: Vendor,
    account: str,
    limit: VendorLimit | None,
    ledger: RateLedger,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Pacer | None:
    """The pacer that keeps `limit` for `account`, or None where no limit is documented."""
    match limit:
        case SlotLimit():
            return SlotPacer(vendor, account, limit, ledger, clock=clock, sleep=sleep)
        case WindowLimit():
            return WindowPacer(vendor, account, limit, ledger, clock=clock, sleep=sleep)
        case None:
            return None
