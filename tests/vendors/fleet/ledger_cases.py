"""The rules every fleet ledger keeps, whatever holds it: run on the in-process one
(`test_ledger_rules.py`) and on the ledger table in DynamoDB Local (`test_fleet_store.py`).

Each case takes a factory of ledgers over one shared store: two calls give two containers'
views of the same items (two `VendorAccountStore`s over one table; one `InProcessAccounts`)."""

from __future__ import annotations

from collections.abc import Callable

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.fleet import AccountLedger

type Ledgers = Callable[[], AccountLedger]
type Case = Callable[[Ledgers], None]

TENANT = "tenant-a"
CC = Vendor.CONSTANT_CONTACT
KEY = "0123456789abcdef0123456789abcdef"
DAY = "2026-03-17"
NEXT_DAY = "2026-03-18"
EXPIRES = 1_900_000_000
NOW = 1_773_748_800.0  # 2026-03-17T12:00:00Z


def claim(ledger: AccountLedger, now_slot: int, *, day: str = DAY, cap: int = 100) -> int | None:
    return ledger.claim_slot(CC, KEY, now_slot=now_slot, day=day, daily_cap=cap, expires_at=EXPIRES)


def an_idle_key_gives_the_current_slot_and_a_busy_one_the_next_free(ledgers: Ledgers) -> None:
    # Given two containers of one key
    first, second = ledgers(), ledgers()
    # When they claim at slot 100, both at once, then one of them once more
    claimed = [claim(first, 100), claim(second, 100), claim(first, 100)]
    # Then each got a slot of its own, in turn; and once the key is idle again, the current slot
    assert claimed == [100, 101, 102]
    assert claim(second, 200) == 200
    assert claim(first, 150) == 201  # a container whose clock is behind still queues after


def the_days_quota_is_counted_by_the_same_claims(ledgers: Ledgers) -> None:
    # Given a key allowed 3 calls a day, claimed by two containers
    first, second = ledgers(), ledgers()
    assert [claim(first, 10, cap=3), claim(second, 10, cap=3), claim(first, 10, cap=3)] == [
        10,
        11,
        12,
    ]
    # When a fourth call is claimed that day, by either: then it is refused (None)
    assert claim(second, 50, cap=3) is None
    assert claim(first, 50, cap=3) is None
    # And the next UTC day counts afresh
    assert claim(second, 60, day=NEXT_DAY, cap=3) == 60


def calls_queued_across_midnight_keep_their_spacing(ledgers: Ledgers) -> None:
    # Given slots queued ahead of the clock just before midnight
    first, second = ledgers(), ledgers()
    assert [claim(first, 500) for _ in range(4)] == [500, 501, 502, 503]
    # When the new day's first call claims, at a slot the old day already gave out
    # Then it goes after the old day's last, and its count starts again
    assert claim(second, 501, day=NEXT_DAY, cap=1) == 504
    assert claim(first, 501, day=NEXT_DAY, cap=1) is None


def a_window_counts_up_to_its_cap_for_every_container(ledgers: Ledgers) -> None:
    # Given two containers of one key, and windows of 3 calls
    first, second = ledgers(), ledgers()

    def count(ledger: AccountLedger, window: int) -> bool:
        return ledger.count_call(CC, KEY, window=window, cap=3, expires_at=EXPIRES)

    # When they count 5 calls in window 7
    counted = [count(first, 7), count(second, 7), count(first, 7), count(second, 7)]
    # Then 3 went through, whoever made them, and the rest wait for window 8
    assert counted == [True, True, True, False]
    assert count(first, 7) is False
    assert [count(first, 8), count(second, 8)] == [True, True]


def one_container_at_a_time_holds_the_renewal_lease(ledgers: Ledgers) -> None:
    # Given a token nobody renewed yet, and two containers
    first, second = ledgers(), ledgers()
    assert first.token_state(TENANT, CC).version == 0
    # When both try to take the lease on version 0
    took = [
        first.take_lease(TENANT, CC, version=0, owner="a", now=NOW, until=NOW + 30),
        second.take_lease(TENANT, CC, version=0, owner="b", now=NOW, until=NOW + 30),
    ]
    # Then one holds it, and the other sees it held
    assert took == [True, False]
    state = second.token_state(TENANT, CC)
    assert state.leased(NOW) and state.lease_owner == "a" and state.version == 0
    # And only the holder moves the version on, one step, which releases the lease
    assert second.publish(TENANT, CC, version=1, owner="b", now=NOW) is False
    assert first.publish(TENANT, CC, version=2, owner="a", now=NOW) is False
    assert first.publish(TENANT, CC, version=1, owner="a", now=NOW) is True
    state = second.token_state(TENANT, CC)
    assert state.version == 1 and not state.leased(NOW)
    # And a lease on a version that moved on is refused
    assert second.take_lease(TENANT, CC, version=0, owner="b", now=NOW, until=NOW + 30) is False


def a_lease_run_out_or_released_is_free_again(ledgers: Ledgers) -> None:
    first, second = ledgers(), ledgers()
    assert first.take_lease(TENANT, CC, version=0, owner="a", now=NOW, until=NOW + 30)
    # Given a holder that died: its lease runs out, and another container takes over
    later = NOW + 31
    assert second.take_lease(TENANT, CC, version=0, owner="b", now=later, until=later + 30)
    # And the late holder can neither publish nor release what it no longer holds
    assert first.publish(TENANT, CC, version=1, owner="a", now=later) is False
    first.release(TENANT, CC, owner="a")
    assert second.token_state(TENANT, CC).lease_owner == "b"
    # When the new holder gives it back without a renewal, then it is free, at the same version
    second.release(TENANT, CC, owner="b")
    state = first.token_state(TENANT, CC)
    assert state.version == 0 and not state.leased(later)
    assert first.take_lease(TENANT, CC, version=0, owner="a", now=later, until=later + 30)


CASES: list[Case] = [
    an_idle_key_gives_the_current_slot_and_a_busy_one_the_next_free,
    the_days_quota_is_counted_by_the_same_claims,
    calls_queued_across_midnight_keep_their_spacing,
    a_window_counts_up_to_its_cap_for_every_container,
    one_container_at_a_time_holds_the_renewal_lease,
    a_lease_run_out_or_released_is_free_again,
]
