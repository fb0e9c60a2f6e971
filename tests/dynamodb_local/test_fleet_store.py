"""The fleet's shared items on DynamoDB Local's real conditions: the same rules as in one
process (`tests/vendors/fleet/ledger_cases.py`), containers racing for slots and leases from
threads, and what each operation costs in requests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.vendors.fleet import AccountLedger
from tests.support import RequestCounter
from tests.vendors.fleet.ledger_cases import CASES, CC, EXPIRES, KEY, NOW, TENANT, Case, claim

CONTAINERS = 8


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_on_the_ledger_table(case: Case, store_for_threads: Callable[..., LedgerStore]) -> None:
    # Given containers with their own clients over one table
    def ledgers() -> AccountLedger:
        return store_for_threads(1).vendor_accounts

    # When and Then: the case's own steps
    case(ledgers)


def test_containers_racing_for_slots_never_share_one(
    store_for_threads: Callable[..., LedgerStore],
) -> None:
    # Given eight containers claiming from one key at the same slot, ten claims each
    stores = [store_for_threads(1) for _ in range(CONTAINERS)]
    start = threading.Barrier(CONTAINERS)

    def claims(store: LedgerStore) -> list[int | None]:
        start.wait()
        return [claim(store.vendor_accounts, 1_000) for _ in range(10)]

    # When they claim all at once
    with ThreadPoolExecutor(CONTAINERS) as pool:
        claimed = [slot for slots in pool.map(claims, stores) for slot in slots]
    # Then the 80 claims got the 80 slots from 1,000 on, each once
    assert sorted(slot for slot in claimed if slot is not None) == list(range(1_000, 1_080))


def test_containers_racing_for_the_lease_let_one_renew(
    store_for_threads: Callable[..., LedgerStore],
) -> None:
    # Given eight containers whose calls met the same expired token at once
    stores = [store_for_threads(1) for _ in range(CONTAINERS)]
    start = threading.Barrier(CONTAINERS)

    def take(number: int) -> bool:
        start.wait()
        return stores[number].vendor_accounts.take_lease(
            TENANT, CC, version=0, owner=f"container-{number}", now=NOW, until=NOW + 30
        )

    # When each tries to take the renewal lease
    with ThreadPoolExecutor(CONTAINERS) as pool:
        took = list(pool.map(take, range(CONTAINERS)))
    # Then exactly one holds it
    assert took.count(True) == 1
    assert stores[0].vendor_accounts.token_state(TENANT, CC).lease_owner == (
        f"container-{took.index(True)}"
    )


def test_a_claim_costs_one_request_and_two_when_the_key_went_idle_meanwhile(
    store: LedgerStore, counter: RequestCounter
) -> None:
    # Given a container claiming slots for one key
    accounts = store.vendor_accounts
    # When it claims on an idle key, twice while the queue is ahead of the clock, then after
    # the queue fell behind the clock (idle again), then once more just after
    claimed = [claim(accounts, now_slot, cap=6) for now_slot in (10, 10, 10, 50, 51)]
    # Then each claim was one UpdateItem, but the one that found the key idle when it last
    # found it busy: its guess was refused (answering the queue as it is) and made again
    assert claimed == [10, 11, 12, 50, 51]
    assert counter.calls == {"UpdateItem": 6}
    # And once the day's quota is used, further claims cost nothing
    assert claim(accounts, 60, cap=6) == 60
    counter.reset()
    assert claim(accounts, 70, cap=6) is None
    assert counter.calls == {}


def test_a_full_window_is_asked_once_per_container(
    store: LedgerStore, counter: RequestCounter
) -> None:
    # Given a window of two calls, filled
    accounts = store.vendor_accounts
    counted = [
        accounts.count_call(Vendor.INTERCOM, KEY, window=3, cap=2, expires_at=EXPIRES)
        for _ in range(5)
    ]
    # Then the third call learnt it full (a refused ADD), and the next two did not ask again
    assert counted == [True, True, False, False, False]
    assert counter.calls == {"UpdateItem": 3}
