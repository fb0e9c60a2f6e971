"""SweepFunction in-process with `events/sweep_schedule.json` (moto, the sandboxes as vendors),
and SyncFunction's handler handing records back when its invocation runs short of time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contact_archive import dependencies
from contact_archive.announcements.publisher import EventPublisher
from contact_archive.contacts.changes import archive_contact
from contact_archive.ledger.models import LinkState, Vendor, iso, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.due import all_shards
from contact_archive.sync.stream import HAND_BACK_MS, handle_stream
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import change, link_states, register_at_vendors, sandbox_clients
from tests.support import FakeLambdaContext, load_event, load_handler


def overdue(store: LedgerStore) -> None:
    """Every contact in the due index made due an hour ago (its stream record lost)."""
    for shard in all_shards():
        entries, _ = store.due.page(shard, iso(utc_now() + timedelta(days=1)), 100)
        for entry in entries:
            assert store.due.reschedule(entry, iso(utc_now() - timedelta(hours=1)))


def test_the_schedule_drives_a_link_no_stream_record_settled(
    store: LedgerStore, stack: SandboxStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Ada archived, her stream record never delivered, and her due time passed
    clients = sandbox_clients(stack)
    monkeypatch.setattr(dependencies, "get_vendor_clients", lambda: clients)
    register_at_vendors(store, stack, "ada", [Vendor.ROUTERA, Vendor.INTERCOM])
    archive_contact(store, change("ada"))
    overdue(store)
    # When the schedule's event invokes SweepFunction
    answer = load_handler("sweep").lambda_handler(load_event("sweep_schedule"), FakeLambdaContext())
    # Then both links were driven to archived, and the answer says so in counts
    assert answer == {"contacts": 1, "links": 2, "waiting": 0, "erased": 0, "stopped": "done"}
    assert set(link_states(store, "ada").values()) == {LinkState.ARCHIVED}
    # and a second run finds nothing due
    again = load_handler("sweep").lambda_handler(load_event("sweep_schedule"), FakeLambdaContext())
    assert again["contacts"] == 0


class ShortOfTime(FakeLambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return HAND_BACK_MS - 1


def test_records_not_started_in_time_are_handed_back(
    store: LedgerStore, stack: SandboxStack
) -> None:
    # Given the sample stream event, delivered to an invocation with too little time left
    clients: VendorClients = sandbox_clients(stack)
    event: dict[str, Any] = load_event("sync_stream")
    published: list[Any] = []

    class Bus:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            published.extend(Entries)
            return {"FailedEntryCount": 0, "Entries": []}

    answer = handle_stream(
        event,
        ShortOfTime(),
        store,
        clients,
        EventPublisher(Bus(), "bus"),  # type: ignore[arg-type]
    )
    # Then every record is reported failed, for Lambda to send again, and nothing was called
    assert answer["batchItemFailures"] == [
        {"itemIdentifier": record["dynamodb"]["SequenceNumber"]} for record in event["Records"]
    ]
    assert all(not sandbox.requests for sandbox in stack.sandboxes.values())
    assert published == []
