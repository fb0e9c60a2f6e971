"""An erasure against a vendor restore already on its way (DynamoDB Local's real stream through
the mapping's filter, SyncFunction's handler, the vendor sandboxes): the restore's vendor call
lands after the erasure's own, a restore record comes again from the dead letters after the
erasure, and `ContactErased` goes on the bus once the erasure is complete, once.

The race is staged at the vendor: the sandbox, handed the restore's request, first lets the
erasure happen (the API's erase, then the erasure's vendor step as the tombstone's record runs
it in another container), then carries the restore out, as a vendor answering late would."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.contacts.erasure import EraseCommand, erase_contact
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.tombstones import ErasedLinkState
from contact_archive.sync.erasure import erase_at_vendors
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from contact_archive.sync.redrive import DeadLetterRedrive
from contact_archive.vendors.client import VendorClient, all_contacts
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from contact_archive.vendors.retry import RetryPolicy
from devtools.event_filters import stream_filters
from devtools.sandboxes.base import Faults
from devtools.sandboxes.stack import SandboxStack
from devtools.stream_reader import StreamReader
from tests.dynamodb_local.lambda_feeder import FakeEventBridge, StreamLambda
from tests.dynamodb_local.test_redrive_dead_letters import (  # the dead letters' real queue
    DeadLetterQueue,
    queue,
    sqs_endpoint,
)
from tests.ledger_helpers import ALICE, CUSTOMER, TENANT, change, no_wait, register_at_vendors
from tests.vendor_races import Meanwhile

__all__ = ["queue", "sqs_endpoint"]  # fixtures, used by name

ERASURE_KEY = "test-erasure-key"
EMAIL = "person0@example.com"  # the sandboxes' person 0, as `at_vendor` makes her
# Each vendor's restore call: an unarchive, a revive (PUT) or a re-create.
RESTORE_CALLS = {
    Vendor.INTERCOM: ("POST", r"/contacts/[^/]+/unarchive"),
    Vendor.CONSTANT_CONTACT: ("PUT", r"/v3/contacts/[^/]+"),
    Vendor.ROUTERA: ("POST", r"/contacts"),
    Vendor.SEQUENCE: ("POST", r"(/api)?/customers/[^/]+/contacts"),
}


@pytest.fixture
def meanwhile() -> Meanwhile:
    return Meanwhile()


@pytest.fixture
def vendor_clients(
    stack: SandboxStack, credentials: JsonSource, meanwhile: Meanwhile
) -> VendorClients:
    """The clients SyncFunction and the erasure use, their transports through `meanwhile`."""
    transports: dict[Vendor, httpx.BaseTransport] = {
        vendor: meanwhile.wrap(sandbox.handle) for vendor, sandbox in stack.sandboxes.items()
    }
    return VendorClients(
        credentials, transports=transports, retry=RetryPolicy(max_attempts=3), sleep=no_wait
    )


def erase(store: LedgerStore, contact_id: str) -> None:
    erase_contact(store, EraseCommand(TENANT, contact_id, ALICE, "request #7"), ERASURE_KEY)


def still_showing_her(clients: VendorClients, vendor: Vendor) -> list[str]:
    """The vendor's contacts that still show her (active, with her email)."""
    scope = CUSTOMER if vendor is Vendor.SEQUENCE else None
    return [
        contact.vendor_id
        for contact in all_contacts(clients(TENANT, vendor), scope)
        if contact.email == EMAIL and not contact.archived
    ]


def erased_states(store: LedgerStore, contact_id: str) -> dict[Vendor, ErasedLinkState]:
    tombstone = store.erasures.get(TENANT, contact_id)
    assert tombstone is not None
    return {link.vendor: link.state for link in tombstone.links.values()}


@pytest.mark.parametrize("vendor", list(RESTORE_CALLS), ids=lambda vendor: vendor.value)
def test_a_restore_landing_after_the_erasure_does_not_bring_her_back(
    store: LedgerStore,
    stack: SandboxStack,
    vendor_clients: VendorClients,
    meanwhile: Meanwhile,
    lambda_: StreamLambda,
    bus: FakeEventBridge,
    vendor: Vendor,
) -> None:
    # Given her contact archived at the vendor
    register_at_vendors(store, stack, "c-1", [vendor])
    archive_contact(store, change("c-1"))
    lambda_.drain()
    assert still_showing_her(vendor_clients, vendor) == []

    # And, while the vendor works on her restore, she is erased, and the erasure's vendor step
    # runs (its tombstone's record, in another container)
    def erasure() -> None:
        erase(store, "c-1")
        erase_at_vendors(store, vendor_clients, TENANT, "c-1")

    meanwhile.before(*RESTORE_CALLS[vendor], erasure)
    # When the restore is asked for, and the stream drained
    restore_contact(store, change("c-1"))
    lambda_.drain()
    # Then the erasure ran while the restore was on its way
    assert store.erasures.get(TENANT, "c-1") is not None
    # And whatever the vendor did with the restore, it no longer shows her: the erasure's call
    # came last
    assert still_showing_her(vendor_clients, vendor) == []
    assert erased_states(store, "c-1")[vendor] in {
        ErasedLinkState.ARCHIVED,
        ErasedLinkState.DELETED,
        ErasedLinkState.GONE,
    }
    # And no record gave up, and the erasure was announced once, when it was complete
    assert lambda_.dead_letters == []
    assert bus.detail_types()["ContactErased"] == 1
    assert bus.detail_types()["ContactRestored"] == 0


def test_a_restore_redriven_from_the_dead_letters_after_the_erasure_restores_nothing(
    store: LedgerStore,
    stack: SandboxStack,
    vendor_clients: VendorClients,
    streams: Any,
    sync_handler: Any,
    queue: DeadLetterQueue,
) -> None:
    # Given her contact archived at Constant Contact and Routera, and a restore whose Constant
    # Contact call failed through every retry: its records are in the dead letters
    lambda_ = StreamLambda(
        StreamReader(streams, stream_arn_of(store), filters=stream_filters()),
        sync_handler,
        sqs=queue.sqs,
        dead_letter_queue_url=queue.url,
    )
    register_at_vendors(store, stack, "c-1", [Vendor.CONSTANT_CONTACT, Vendor.ROUTERA])
    archive_contact(store, change("c-1"))
    lambda_.drain()
    stack.constant_contact.faults = Faults(server_error_rate=1.0)
    restore_contact(store, change("c-1"))
    lambda_.drain()
    letters = queue.messages()
    assert letters > 0
    # And Constant Contact back, and her erased (the tombstone's record run)
    stack.constant_contact.faults = Faults()
    erase(store, "c-1")
    lambda_.drain()
    assert still_showing_her(vendor_clients, Vendor.CONSTANT_CONTACT) == []
    assert still_showing_her(vendor_clients, Vendor.ROUTERA) == []
    revived = stack.constant_contact.effects["restored"]
    # When the dead letters are redriven (the restore's records read back from the stream)
    redrive = DeadLetterRedrive(queue.sqs, streams, queue.url, sync_handler)
    summary = redrive.run(10, lambda: 900.0)
    # Then every record went through and left the queue (none stays there for good), and no
    # vendor was asked to restore her
    assert (summary["replayed"], summary["still_failing"]) == (letters, 0)
    assert queue.messages() == 0
    assert stack.constant_contact.effects["restored"] == revived
    assert still_showing_her(vendor_clients, Vendor.CONSTANT_CONTACT) == []
    assert still_showing_her(vendor_clients, Vendor.ROUTERA) == []


def stream_arn_of(store: LedgerStore) -> str:
    table = store.client.describe_table(TableName=store.table.name)["Table"]
    arn: str = table["LatestStreamArn"]
    return arn


def test_contact_erased_goes_out_once_when_nothing_was_left_to_ask(
    store: LedgerStore,
    stack: SandboxStack,
    lambda_: StreamLambda,
    bus: FakeEventBridge,
) -> None:
    # Given her contact archived at Routera (an archive at rest: nothing left to ask of it)
    register_at_vendors(store, stack, "c-1", [Vendor.ROUTERA])
    archive_contact(store, change("c-1"))
    lambda_.drain()
    # When she is erased and the stream drained
    erase(store, "c-1")
    lambda_.drain()
    # Then the tombstone's record reached SyncFunction and announced the erasure complete,
    # with ids, times and each vendor's answer only
    (event,) = [entry for entry in bus.entries if entry["DetailType"] == "ContactErased"]
    assert event["Source"] == "contact-archive"
    detail = event["Detail"]
    assert '"tenant_id":"tenant-a"' in detail and '"contact_id":"c-1"' in detail
    assert '"vendors_confirmed":["routera"]' in detail and '"vendors_failed":[]' in detail
    assert EMAIL not in detail and "Ada" not in detail and "request #7" not in detail
    # When every record the erasure made comes again (a redelivery)
    tombstone_records = [
        record
        for record in lambda_.delivered
        if record["dynamodb"]["NewImage"].get("type", {}).get("S") == "erased_contact"
    ]
    assert tombstone_records
    assert lambda_.invoke(tombstone_records) == []
    # Then it is not announced again
    assert bus.detail_types()["ContactErased"] == 1


def test_a_restore_read_before_the_erasure_is_not_sent_after_it(
    store: LedgerStore,
    stack: SandboxStack,
    vendor_clients: VendorClients,
    lambda_: StreamLambda,
) -> None:
    # Given her contact archived at Constant Contact, and a restore asked for
    register_at_vendors(store, stack, "c-1", [Vendor.CONSTANT_CONTACT])
    archive_contact(store, change("c-1"))
    lambda_.drain()
    restore_contact(store, change("c-1"))
    (key,) = store.contacts.read(TENANT, "c-1").links
    sandbox = stack.constant_contact

    # And a sync of it that has read the link in flight, and is erased (the erasure's vendor
    # step run too) while it fetches the tenant's credentials
    def credentials_meanwhile(tenant_id: str, vendor: Vendor) -> VendorClient:
        if store.erasures.get(TENANT, "c-1") is None:
            erase(store, "c-1")
            erase_at_vendors(store, vendor_clients, TENANT, "c-1")
        return vendor_clients(tenant_id, vendor)

    deletes = sandbox.calls("DELETE", r"/v3/contacts/[^/]+")
    # When the sync goes on
    synced = sync_link(store, credentials_meanwhile, TENANT, "c-1", key)
    # Then it sends no restore: the link read again just before is an erased contact's
    assert synced.outcome is SyncOutcome.ERASED
    assert sandbox.calls("PUT", r"/v3/contacts/[^/]+") == 0
    assert sandbox.effects["restored"] == 0
    # And the erasure's own call was the only one since
    assert sandbox.calls("DELETE", r"/v3/contacts/[^/]+") == deletes + 1
    assert still_showing_her(vendor_clients, Vendor.CONSTANT_CONTACT) == []
