"""No link stays in flight (DynamoDB Local's real stream, the vendor sandboxes): a vendor down for
longer than the stream retries a record, a tenant without credentials, Constant Contact's daily
quota spent mid-run, a record lost and a record that cannot be read. Once the sweeper has run past their due times,
every link is where the ledger asked, or `failed` with its `last_error`."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime, timedelta

from contact_archive.contacts.changes import archive_contact
from contact_archive.contacts.reading import get_contact
from contact_archive.ledger.models import IN_FLIGHT, STUCK_AFTER, LinkState, Vendor, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.due import all_shards
from contact_archive.sync.sweeper import sweep
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.base import Faults
from devtools.sandboxes.stack import SandboxStack
from tests.dynamodb_local.lambda_feeder import StreamLambda
from tests.ledger_helpers import OTHER_TENANT, TENANT, at_vendor, change, register


def later(by: timedelta) -> datetime:
    return utc_now() + by


def due_entries(store: LedgerStore, until: datetime) -> int:
    return sum(len(store.due.page(shard, until.isoformat(), 100)[0]) for shard in all_shards())


def states(store: LedgerStore, tenant: str, contact_id: str) -> dict[Vendor, LinkState]:
    contact = get_contact(store, tenant, contact_id)
    return {link.vendor: contact.link_state(key) for key, link in contact.links.items()}


def test_after_the_sweeper_no_link_is_left_in_flight(
    store: LedgerStore,
    stack: SandboxStack,
    vendor_clients: VendorClients,
    lambda_: StreamLambda,
) -> None:
    # Given Ada linked to all four vendors while Intercom is down for good, Bob at Constant
    # Contact whose quota for the day is spent after one more request, Carol of a tenant with no
    # credentials at all, and Dan whose archive's stream record cannot be read
    register(store, "ada", [at_vendor(stack, vendor, 0) for vendor in Vendor])
    register(store, "bob", [at_vendor(stack, Vendor.CONSTANT_CONTACT, 1)])
    register(store, "carol", [at_vendor(stack, Vendor.ROUTERA, 2)], tenant=OTHER_TENANT)
    register(store, "dan", [at_vendor(stack, Vendor.ROUTERA, 3)])
    lambda_.drain()
    stack.intercom.faults = Faults(server_error_rate=1.0)
    cc = stack.constant_contact
    cc.daily_quota = cc.quota_used + 2  # Ada's snapshot and delete; none left for Bob

    # When all four are archived and the stream drained, Dan's record lost on its way (as a
    # record outliving the stream's 24 hours would be)
    archive_contact(store, change("dan"))
    lost = lambda_.reader.next_batch()  # read, never delivered...
    assert lost is not None
    poisoned = copy.deepcopy(lost.records)  # ...but for a copy no one can read
    for record in poisoned:
        record["dynamodb"]["NewImage"]["version"] = {"S": "not a number"}
    assert lambda_.invoke(poisoned) == []  # skipped, not retried
    for contact_id in ("ada", "bob"):
        archive_contact(store, change(contact_id))
    archive_contact(store, change("carol", tenant=OTHER_TENANT))
    lambda_.drain()

    # Then what the stream could not finish is visible: Intercom's archive gave up into the dead
    # letters, Bob waits for the quota, Carol failed at once, Dan's links never moved
    assert states(store, TENANT, "ada")[Vendor.INTERCOM] is LinkState.ARCHIVING
    assert lambda_.dead_letters
    bob = get_contact(store, TENANT, "bob").link(Vendor.CONSTANT_CONTACT)
    assert states(store, TENANT, "bob") == {Vendor.CONSTANT_CONTACT: LinkState.WAITING}
    assert bob.retry_at is not None and bob.last_error is not None
    carol = get_contact(store, OTHER_TENANT, "carol").link(Vendor.ROUTERA)
    assert carol.settled_state is LinkState.FAILED
    assert carol.last_error is not None and carol.last_error.startswith("vendor_not_configured")
    assert states(store, TENANT, "dan") == {Vendor.ROUTERA: LinkState.ARCHIVING}

    # When Intercom is back, the quota has reset (a new day), and the sweeper runs past the
    # stuck time and past Bob's wait
    stack.intercom.faults = Faults()
    cc.daily_quota = 10_000
    past_due = later(STUCK_AFTER + timedelta(hours=2))
    result = sweep(store, vendor_clients, clock=lambda: past_due)

    # Then every link is archived, but Carol's, failed with why; no link is left in flight
    assert result.stopped == "done" and result.contacts >= 3
    assert set(states(store, TENANT, "ada").values()) == {LinkState.ARCHIVED}
    assert states(store, TENANT, "bob") == {Vendor.CONSTANT_CONTACT: LinkState.ARCHIVED}
    assert states(store, TENANT, "dan") == {Vendor.ROUTERA: LinkState.ARCHIVED}
    assert states(store, OTHER_TENANT, "carol") == {Vendor.ROUTERA: LinkState.FAILED}
    every_state = Counter(
        state
        for tenant, contact_id in ((TENANT, "ada"), (TENANT, "bob"), (TENANT, "dan"))
        for state in states(store, tenant, contact_id).values()
    )
    assert not set(every_state) & IN_FLIGHT
    # each vendor side effect happened once, and nothing is left due
    assert stack.intercom.effects["archived"] == 1
    assert stack.constant_contact.effects["archived"] == 2
    assert due_entries(store, later(timedelta(days=2))) == 0


def test_a_waiting_link_is_not_driven_before_its_time(
    store: LedgerStore, stack: SandboxStack, vendor_clients: VendorClients, lambda_: StreamLambda
) -> None:
    # Given Bob waiting for Constant Contact's quota
    register(store, "bob", [at_vendor(stack, Vendor.CONSTANT_CONTACT, 1)])
    lambda_.drain()
    stack.constant_contact.daily_quota = stack.constant_contact.quota_used
    archive_contact(store, change("bob"))
    lambda_.drain()
    waiting = get_contact(store, TENANT, "bob").link(Vendor.CONSTANT_CONTACT)
    assert waiting.retry_at is not None
    seen = len(stack.constant_contact.requests)
    # When the sweeper runs before the wait is over (but after the stuck time)
    result = sweep(store, vendor_clients, clock=lambda: later(STUCK_AFTER + timedelta(minutes=1)))
    # Then Constant Contact is not called, and Bob still waits
    assert result.links == 0
    assert len(stack.constant_contact.requests) == seen
    assert states(store, TENANT, "bob") == {Vendor.CONSTANT_CONTACT: LinkState.WAITING}
