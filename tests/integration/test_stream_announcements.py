"""SyncFunction announces a batch's settled changes together (moto): one PutEvents per ten
announcements, not one per record; and when announcing fails, the records it was for fail, so
that their retry announces again."""

from __future__ import annotations

from typing import Any

from contact_archive.announcements.publisher import EventPublisher
from contact_archive.contacts.changes import archive_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.models import LinkSettlement, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.keys import contact_key
from contact_archive.sync.stream import handle_stream
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import SETTLED_AT, SYNC, TENANT, change, register, sandbox_clients
from tests.support import FakeLambdaContext

PEOPLE = 12


class Bus:
    """EventBridge's PutEvents: each call kept; every entry refused when `refusing`."""

    def __init__(self, *, refusing: bool = False) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.refusing = refusing

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        if self.refusing:
            failed = [{"ErrorCode": "InternalFailure"} for _ in Entries]
            return {"FailedEntryCount": len(Entries), "Entries": failed}
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"} for _ in Entries]}


def settled_archives(store: LedgerStore) -> dict[str, Any]:
    """The stream event of PEOPLE archives whose one link has just settled: each record's old
    image has the link in flight, its new image settled (nothing left to sync, one to announce)."""
    records = []
    for number in range(PEOPLE):
        contact_id = f"c-{number}"
        register(store, contact_id, [LinkInput(Vendor.ROUTERA, f"rt-{number}")])
        contact = archive_contact(store, change(contact_id)).contact
        old = store.table.get(contact_key(TENANT, contact_id))
        pending = contact.pending
        assert pending is not None and pending.version is not None
        store.links.settle(
            LinkSettlement(
                tenant_id=TENANT,
                contact_id=contact_id,
                vendor=Vendor.ROUTERA,
                link_key="routera",
                vendor_id=contact.links["routera"].vendor_id,
                change_id=pending.change_id,
                change_version=pending.version,
                state=LinkState.ARCHIVED,
                at=SETTLED_AT,
                actor=SYNC,
            )
        )
        new = store.table.get(contact_key(TENANT, contact_id))
        records.append(
            {
                "eventID": f"event-{number}",
                "eventName": "MODIFY",
                "eventSource": "aws:dynamodb",
                "dynamodb": {
                    "Keys": contact_key(TENANT, contact_id),
                    "OldImage": old,
                    "NewImage": new,
                    "SequenceNumber": str(1000 + number),
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        )
    return {"Records": records}


def test_a_batch_is_announced_ten_to_a_put_events(store: LedgerStore, stack: SandboxStack) -> None:
    # Given a batch of twelve records, each settling an archive
    event = settled_archives(store)
    bus = Bus()

    # When SyncFunction handles it
    answer = handle_stream(
        event,
        FakeLambdaContext(),
        store,
        sandbox_clients(stack),
        EventPublisher(bus, "bus"),  # type: ignore[arg-type]
    )

    # Then every record went through, and its archive was announced once, in two calls
    assert answer["batchItemFailures"] == []
    assert [len(entries) for entries in bus.calls] == [10, 2]
    announced = [entry for entries in bus.calls for entry in entries]
    assert {entry["DetailType"] for entry in announced} == {"ContactArchived"}
    assert len({entry["Detail"] for entry in announced}) == PEOPLE


def test_records_whose_announcements_were_refused_fail_to_come_again(
    store: LedgerStore, stack: SandboxStack
) -> None:
    # Given a batch of twelve settling records, and a bus refusing what it is sent
    event = settled_archives(store)
    bus = Bus(refusing=True)

    # When SyncFunction handles it
    answer = handle_stream(
        event,
        FakeLambdaContext(),
        store,
        sandbox_clients(stack),
        EventPublisher(bus, "bus"),  # type: ignore[arg-type]
    )

    # Then each record is reported failed (Lambda sends them again: they announce again)
    assert answer["batchItemFailures"] == [
        {"itemIdentifier": record["dynamodb"]["SequenceNumber"]} for record in event["Records"]
    ]
