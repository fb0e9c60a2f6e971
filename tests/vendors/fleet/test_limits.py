"""Rate limits kept by a fleet of containers, on a fake clock: Constant Contact's 4 requests a
second per API key (time slots) and 10,000 a day, Intercom's and Sequence's per-minute limits
(window counters), none for Routera. Each container is a registry of its own; what they share
is one fleet ledger (in-process here; the ledger table in `tests/dynamodb_local/`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.credential_sources import JsonSource, parse_credentials
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.fleet import (
    DOCUMENTED_LIMITS,
    InProcessAccounts,
    SlotLimit,
    SlotPacer,
    VendorLimit,
    WindowLimit,
    account_of,
    window_limit,
)
from contact_archive.vendors.registry import VendorClients
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.base import Sandbox
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.intercom import IntercomSandbox
from devtools.sandboxes.sequence import SequenceSandbox
from devtools.sandboxes.stack import IN_PROCESS_BASE_URLS
from tests.fakes import FakeTime

TENANT = "tenant-a"
START = datetime(2026, 3, 17, 12, 0, tzinfo=UTC).timestamp()
CUSTOMER = "customer-1"
CONTAINERS = 3


class Arrivals:
    """Each container's transport to one sandbox, noting when each request arrived (on the fake
    clock) and how it was answered."""

    def __init__(self, sandbox: Sandbox, clock: FakeTime) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.seen: list[tuple[float, int]] = []

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            arrived = self.clock.now
            response = self.sandbox.handle(request)
            self.seen.append((arrived, response.status_code))
            return response

        return httpx.MockTransport(handle)

    def statuses(self) -> list[int]:
        return [status for _, status in self.seen]


def credentials_document(vendor: Vendor, sandbox: Sandbox) -> dict[str, Any]:
    base_url = IN_PROCESS_BASE_URLS[vendor]
    match sandbox:
        case ConstantContactSandbox():
            account: dict[str, Any] = {
                "client_id": sandbox.client_id,
                "access_token": sandbox.token,
                "refresh_token": sandbox.refresh_token,
                "base_url": base_url,
            }
        case IntercomSandbox():
            account = {"access_token": sandbox.token, "base_url": base_url}
        case SequenceSandbox():
            account = {
                "client_id": sandbox.client_id,
                "client_secret": sandbox.client_secret,
                "base_url": base_url,
            }
    return {TENANT: {vendor.value: account}}


def containers(
    vendor: Vendor,
    arrivals: Arrivals,
    clock: FakeTime,
    *,
    limits: Mapping[Vendor, VendorLimit | None] = DOCUMENTED_LIMITS,
) -> list[VendorClients]:
    """`CONTAINERS` registries for one vendor, sharing one fleet ledger."""
    document = credentials_document(vendor, arrivals.sandbox)
    ledger = InProcessAccounts()
    return [
        VendorClients(
            JsonSource(document),
            transports={vendor: arrivals.transport()},
            retry=RetryPolicy(),
            sleep=clock.sleep,
            clock=clock,
            accounts=ledger,
            limits=limits,
        )
        for _ in range(CONTAINERS)
    ]


def most_in_any_second(times: list[float]) -> int:
    return max(sum(1 for other in times if start <= other < start + 1.0) for start in times)


# -- Constant Contact: 4 requests a second, 10,000 a day, per API key -------------------------


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime(START)


@pytest.fixture
def constant_contact(clock: FakeTime) -> ConstantContactSandbox:
    return ConstantContactSandbox(clock=clock, sleep=clock.sleep)


def test_containers_sharing_the_keys_slots_never_meet_its_limit(
    constant_contact: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given three containers calling Constant Contact with one API key, and the vendor's
    # 4 requests a second on the same clock
    arrivals = Arrivals(constant_contact, clock)
    fleet = containers(Vendor.CONSTANT_CONTACT, arrivals, clock)
    ref = LinkRef(constant_contact.add_contact()["contact_id"])
    # When they fetch 30 times, in turn
    for number in range(30):
        fleet[number % CONTAINERS](TENANT, Vendor.CONSTANT_CONTACT).fetch(ref)
    # Then no request was refused, and they went out a slot (0.3 s) apart or more
    assert arrivals.statuses() == [200] * 30
    times = [arrived for arrived, _ in arrivals.seen]
    assert all(later - earlier >= 0.3 - 1e-6 for earlier, later in pairwise(times))
    assert most_in_any_second(times) == 4


def test_the_days_quota_defers_the_call_until_the_next_utc_day_without_calling(
    constant_contact: ConstantContactSandbox, clock: FakeTime
) -> None:
    # Given containers keeping a quota of 2 calls a day for the key (10,000 less 5% deployed)
    arrivals = Arrivals(constant_contact, clock)
    quota = {**DOCUMENTED_LIMITS, Vendor.CONSTANT_CONTACT: SlotLimit(0.3, daily_cap=2)}
    first, second, _ = containers(Vendor.CONSTANT_CONTACT, arrivals, clock, limits=quota)
    ref = LinkRef(constant_contact.add_contact()["contact_id"])
    first(TENANT, Vendor.CONSTANT_CONTACT).fetch(ref)
    second(TENANT, Vendor.CONSTANT_CONTACT).fetch(ref)
    # When a third call is made that day, by either container
    with pytest.raises(TransientVendorError, match="daily request quota") as raised:
        first(TENANT, Vendor.CONSTANT_CONTACT).fetch(ref)
    # Then it is transient, to be tried again at the next UTC midnight (12 hours from noon,
    # less the slots the first two calls waited for), and the vendor never saw it
    wait = raised.value.retry_after
    assert wait == pytest.approx(12 * 3600, abs=1.0)
    assert len(arrivals.seen) == 2
    # And the next day it goes through
    assert wait is not None
    clock.now += wait
    assert second(TENANT, Vendor.CONSTANT_CONTACT).fetch(ref).vendor_id == ref.vendor_id


def test_a_turn_further_off_than_a_calls_budget_is_not_waited_for(clock: FakeTime) -> None:
    # Given a key whose slots are given out 100 ahead of now
    ledger = InProcessAccounts()
    now_slot = math.floor(clock.now / 0.3)
    for _ in range(100):
        ledger.claim_slot(
            Vendor.CONSTANT_CONTACT,
            "key",
            now_slot=now_slot,
            day="2026-03-17",
            daily_cap=9_500,
            expires_at=0,
        )
    pacer = SlotPacer(
        Vendor.CONSTANT_CONTACT,
        "key",
        SlotLimit(0.3, 9_500),
        ledger,
        clock=clock,
        sleep=clock.sleep,
    )
    # When a call asks for its turn, then it fails transient, told to come back when it is due
    with pytest.raises(TransientVendorError, match="queued") as raised:
        pacer.acquire()
    assert raised.value.retry_after == pytest.approx(30.0, abs=0.3)
    assert clock.slept == []


def test_tenants_authorised_through_one_app_share_its_keys_limit(clock: FakeTime) -> None:
    # Given two tenants' Constant Contact credentials of one app (one API key), and a third
    # tenant of another app
    def credentials(client_id: str, refresh: str) -> Any:
        raw = {"client_id": client_id, "access_token": "a", "refresh_token": refresh}
        return parse_credentials(Vendor.CONSTANT_CONTACT, raw)

    clients = VendorClients(JsonSource({}), clock=clock, sleep=clock.sleep)
    a, b = credentials("app-1", "r-a"), credentials("app-1", "r-b")
    other = credentials("app-2", "r-c")
    # Then the two of one app wait on one pacer; the other app's key has its own
    pacer = clients.pacer(Vendor.CONSTANT_CONTACT, a)
    assert pacer is not None and clients.pacer(Vendor.CONSTANT_CONTACT, b) is pacer
    assert clients.pacer(Vendor.CONSTANT_CONTACT, other) is not pacer


# -- Intercom and Sequence: per minute, counted in windows --------------------------------------


def intercom(clock: FakeTime, per_minute: int) -> tuple[IntercomSandbox, Callable[[], LinkRef]]:
    sandbox = IntercomSandbox(clock=clock, sleep=clock.sleep, rate_limit_per_minute=per_minute)
    return sandbox, lambda: LinkRef(sandbox.add_contact()["id"])


def sequence(clock: FakeTime, per_minute: int) -> tuple[SequenceSandbox, Callable[[], LinkRef]]:
    sandbox = SequenceSandbox(
        clock=lambda: datetime.fromtimestamp(clock.now, UTC),
        sleep=clock.sleep,
        requests_per_minute=per_minute,
    )
    return sandbox, lambda: LinkRef(sandbox.add_contact(CUSTOMER)["id"], CUSTOMER)


@pytest.mark.parametrize(
    ("vendor", "make"), [(Vendor.INTERCOM, intercom), (Vendor.SEQUENCE, sequence)]
)
def test_containers_sharing_a_keys_windows_never_meet_its_minute_limit(
    clock: FakeTime, vendor: Vendor, make: Callable[..., tuple[Sandbox, Callable[[], LinkRef]]]
) -> None:
    # Given three containers of one key whose vendor allows 130 requests a minute (its fixed
    # minutes cut where the vendor chooses), and the fleet's windows kept for that limit
    sandbox, add = make(clock, 130)
    arrivals = Arrivals(sandbox, clock)
    limits = {**DOCUMENTED_LIMITS, vendor: window_limit(130)}
    fleet = containers(vendor, arrivals, clock, limits=limits)
    ref = add()
    # When they fetch 400 times, in turn (over three minutes)
    for number in range(400):
        fleet[number % CONTAINERS](TENANT, vendor).fetch(ref)
    # Then none was refused, and no minute held more than 95% of the limit
    assert arrivals.statuses() == [200] * 400
    times = [arrived for arrived, _ in arrivals.seen]
    assert max(sum(1 for t in times if start <= t < start + 60) for start in times) <= 123


def test_documented_limits_less_the_margin() -> None:
    # Constant Contact: a call per 0.3 s (3.3 a second of 4), 9,500 a day of 10,000
    assert DOCUMENTED_LIMITS[Vendor.CONSTANT_CONTACT] == SlotLimit(0.3, 9_500)
    # Intercom 10,000 and Sequence 1,500 a minute: 5 s windows, of which any minute touches 13
    assert DOCUMENTED_LIMITS[Vendor.INTERCOM] == WindowLimit(5.0, 730)
    assert DOCUMENTED_LIMITS[Vendor.SEQUENCE] == WindowLimit(5.0, 109)
    assert 13 * 730 <= 10_000 * 0.95 and 13 * 109 <= 1_500 * 0.95
    # Routera documents none: none is kept
    assert DOCUMENTED_LIMITS[Vendor.ROUTERA] is None
    clients = VendorClients(JsonSource({}))
    routera = parse_credentials(Vendor.ROUTERA, {"client_id": "r", "client_secret": "s"})
    assert clients.pacer(Vendor.ROUTERA, routera) is None


def test_an_accounts_key_names_no_secret() -> None:
    # Given an Intercom token, the key Intercom counts by (an app in a workspace)
    token = "ic-token-SECRET-0123456789"
    credentials = parse_credentials(Vendor.INTERCOM, {"access_token": token})
    # Then the account the fleet counts it under is a digest that does not show it
    account = account_of(credentials)
    assert len(account) == 32 and token not in account and "SECRET" not in account
