"""Bulk archives and restores through 30% injected faults (503s, 429s, timeouts, answers lost
after the vendor acted), a worker calling again after each `TransientVendorError` as a
redelivered message would: every contact ends deleted, then revived onto its own lists, each
change made once at the vendor, and no list lost on the way."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from contact_archive.vendors.client import BulkItemResult
from contact_archive.vendors.constant_contact.bulk import BulkInterrupted
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.base import Faults
from tests.vendors.constant_contact.case import LISTS, ConstantContactCase

OTHER_LIST = "6f99f283-21d1-11ea-b5ae-fa163e56c9b9"
SETS = [LISTS, LISTS[:1], [OTHER_LIST], [*LISTS, OTHER_LIST]]
CONTACTS = 3_000
UNIT = 1_000
MAX_DELIVERIES = 25  # a queue's receive count before its dead-letter queue, generously


class Worker:
    """Calls the client once per unit, again after each transient error (the message comes
    back), keeping the material an interrupted archive carried, as the jobs worker must."""

    def __init__(self, client: ConstantContactClient) -> None:
        self.client = client
        self.kept: dict[str, Mapping[str, Any]] = {}
        self.interruptions = 0

    def run[T](self, unit: T, call: Callable[[T], dict[str, BulkItemResult]]) -> dict[str, Any]:
        for _ in range(MAX_DELIVERIES):
            try:
                return call(unit)
            except TransientVendorError as error:
                self.interruptions += 1
                if isinstance(error, BulkInterrupted):
                    self.kept |= error.material
        raise AssertionError("the unit never went through")

    def material(self, result: BulkItemResult) -> Mapping[str, Any] | None:
        """What the ledger keeps: a later call's `already` does not know the lists an
        interrupted one read before its delete went out."""
        if result.outcome == "already" and result.vendor_id in self.kept:
            return self.kept[result.vendor_id]
        return result.material


@pytest.fixture
def case() -> Iterator[ConstantContactCase]:
    with ConstantContactCase() as case:
        yield case


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_contact_is_deleted_and_revived_once_through_30_percent_faults(
    case: ConstantContactCase, seed: int
) -> None:
    # Given 3,000 contacts on four list sets, and a vendor failing 30% of requests: 10% each
    # 503, 429 and timing out, and losing 10% of the answers to writes it carried out
    sandbox = case.sandbox
    ids = [sandbox.add_contact(list_ids=SETS[n % 4])["contact_id"] for n in range(CONTACTS)]
    sandbox.faults = Faults(
        server_error_rate=0.1,
        throttle_rate=0.1,
        timeout_rate=0.1,
        lost_answer_rate=0.1,
        seed=seed,
    )
    # and a client retrying each request once only, so that calls do get cut short
    worker = Worker(case.client_with(retry=RetryPolicy(max_attempts=2)))
    units = [ids[start : start + UNIT] for start in range(0, CONTACTS, UNIT)]
    # When a worker archives them unit by unit
    archived: dict[str, BulkItemResult] = {}
    for unit in units:
        archived |= worker.run(unit, worker.client.archive_bulk)
    # Then every one is deleted, once, and its lists are kept (by the call that read them,
    # even when a later call found the contact deleted already)
    assert {result.outcome for result in archived.values()} <= {"done", "already"}
    material = {key: worker.material(result) for key, result in archived.items()}
    assert [material[key] for key in ids] == [
        {"list_memberships": SETS[n % 4]} for n in range(CONTACTS)
    ]
    # When it restores them from that material
    restored: dict[str, BulkItemResult] = {}
    for unit in units:
        restored |= worker.run({key: material[key] for key in unit}, worker.client.restore_bulk)
    # Then every one is back on its own lists, revived once
    assert {result.outcome for result in restored.values()} <= {"done", "already"}
    assert [(sandbox.contact(key) or {}).get("list_memberships") for key in ids] == [
        SETS[n % 4] for n in range(CONTACTS)
    ]
    assert sandbox.contact_effects == {
        **{(key, "archived"): 1 for key in ids},
        **{(key, "restored"): 1 for key in ids},
    }
    # (the faults did strike, and cut calls short)
    faulted = [seen for seen in case.wire.seen if seen.status in (None, 429, 503)]
    assert len(faulted) > 0.2 * len(case.wire.seen) and worker.interruptions > 0
