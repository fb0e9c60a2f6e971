"""SyncFunction on DynamoDB Local's real stream: records read the way Lambda reads them, vendors
in their sandboxes. Each vendor side effect happens once per settled change, under redelivery,
archive-then-restore before sync, and 30% injected faults; a poison record fails alone."""

from __future__ import annotations

import copy
from collections import Counter

import pytest
from pydantic import SecretStr

from contact_archive.contacts.changes import archive_contact, restore_contact, retry_failed_links
from contact_archive.contacts.reading import get_contact
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.observability import metrics
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.credentials import IntercomCredentials
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.base import Faults, Sandbox
from devtools.sandboxes.stack import SandboxStack
from tests.dynamodb_local.lambda_feeder import FakeEventBridge, StreamLambda
from tests.ledger_helpers import TENANT, change, link_states, register_at_vendors


class SideEffects:
    """The changes a vendor made to its contacts, counted by its sandbox from its own state: an
    answer lost on the way back still counts, a repeated archive that changed nothing does not.
    A restore is an unarchive or revive, or (Sequence, Routera) a re-create."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def accepted(self) -> Counter[str]:
        effects = self.sandbox.effects
        return +Counter(
            archive=effects["archived"], restore=effects["restored"] + effects["created"]
        )


@pytest.fixture
def side_effects(stack: SandboxStack) -> dict[Vendor, SideEffects]:
    return {vendor: SideEffects(sandbox) for vendor, sandbox in stack.sandboxes.items()}


def every_link(state: LinkState) -> dict[Vendor, LinkState]:
    return dict.fromkeys(Vendor, state)


def accepted(side_effects: dict[Vendor, SideEffects]) -> dict[Vendor, Counter[str]]:
    return {vendor: transport.accepted for vendor, transport in side_effects.items()}


def test_an_archive_and_a_restore_reach_every_vendor_once_and_are_announced_once(
    store: LedgerStore,
    stack: SandboxStack,
    side_effects: dict[Vendor, SideEffects],
    lambda_: StreamLambda,
    bus: FakeEventBridge,
) -> None:
    # Given a contact linked to all four vendors
    register_at_vendors(store, stack, "c-1")
    lambda_.drain()
    # When it is archived and the stream drained
    archive_contact(store, change("c-1"))
    lambda_.drain()
    # Then every vendor archived it once, and the settled archive was announced once
    assert link_states(store, "c-1") == every_link(LinkState.ARCHIVED)
    assert accepted(side_effects) == {key: Counter(archive=1) for key in Vendor}
    assert bus.detail_types() == Counter(ContactArchived=1)
    # When it is restored
    restore_contact(store, change("c-1"))
    lambda_.drain()
    # Then every vendor restored it once
    assert link_states(store, "c-1") == every_link(LinkState.ACTIVE)
    assert accepted(side_effects) == {key: Counter(archive=1, restore=1) for key in Vendor}
    assert bus.detail_types() == Counter(ContactArchived=1, ContactRestored=1)
    assert lambda_.dead_letters == []


def test_redelivered_and_out_of_order_records_repeat_no_vendor_call(
    store: LedgerStore,
    stack: SandboxStack,
    side_effects: dict[Vendor, SideEffects],
    lambda_: StreamLambda,
) -> None:
    # Given an archive and a restore, synced
    register_at_vendors(store, stack, "c-1")
    archive_contact(store, change("c-1"))
    lambda_.drain()
    restore_contact(store, change("c-1"))
    lambda_.drain()
    before = copy.deepcopy(accepted(side_effects))
    requests = {vendor: len(sandbox.requests) for vendor, sandbox in stack.sandboxes.items()}
    # When every record is delivered again, newest first
    for record in reversed(lambda_.delivered):
        assert lambda_.invoke([record]) == []
    # Then no vendor saw a single request more, and the links stayed restored
    assert accepted(side_effects) == before
    assert {
        vendor: len(sandbox.requests) for vendor, sandbox in stack.sandboxes.items()
    } == requests
    assert link_states(store, "c-1") == every_link(LinkState.ACTIVE)


def test_archived_then_restored_before_sync_ends_restored_without_vendor_calls(
    store: LedgerStore, stack: SandboxStack, lambda_: StreamLambda, bus: FakeEventBridge
) -> None:
    register_at_vendors(store, stack, "c-1")
    archive_contact(store, change("c-1"))
    restore_contact(store, change("c-1"))
    lambda_.drain()
    assert link_states(store, "c-1") == every_link(LinkState.ACTIVE)
    assert all(not sandbox.requests for sandbox in stack.sandboxes.values())
    assert bus.detail_types() == Counter(ContactRestored=1)


def test_under_30_percent_injected_faults_every_side_effect_still_happens_once(
    store: LedgerStore,
    stack: SandboxStack,
    side_effects: dict[Vendor, SideEffects],
    lambda_: StreamLambda,
) -> None:
    # Given vendors failing 30% of requests (503, 429 with Retry-After, timeouts), seeded, and
    # losing the answer to 10% of the writes they carry out
    stack.faults.server_error_rate = 0.1
    stack.faults.throttle_rate = 0.1
    stack.faults.timeout_rate = 0.1
    stack.faults.lost_answer_rate = 0.1
    for number in range(3):
        register_at_vendors(store, stack, f"c-{number}", number=number)
    # When each is archived, synced, restored and synced
    for number in range(3):
        archive_contact(store, change(f"c-{number}"))
    lambda_.drain()
    for number in range(3):
        restore_contact(store, change(f"c-{number}"))
    lambda_.drain()
    # Then every link ended restored and each vendor accepted each change exactly once per contact
    for number in range(3):
        assert link_states(store, f"c-{number}") == every_link(LinkState.ACTIVE)
    assert accepted(side_effects) == {key: Counter(archive=3, restore=3) for key in Vendor}
    assert lambda_.dead_letters == []
    assert sum(len(sandbox.requests) for sandbox in stack.sandboxes.values()) > 24  # faults hit
    # ...although some answers to re-creates were lost after the vendor made the contact
    lost_creates = [
        request
        for vendor in (Vendor.SEQUENCE, Vendor.ROUTERA)
        for request in stack.sandboxes[vendor].lost_answers
        if request.method == "POST" and request.url.path.endswith("/contacts")
    ]
    assert lost_creates


def test_a_record_that_cannot_be_read_is_skipped_without_holding_its_shard_back(
    store: LedgerStore,
    stack: SandboxStack,
    side_effects: dict[Vendor, SideEffects],
    lambda_: StreamLambda,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a batch with a record whose contact image is corrupt, beside a good archive
    register_at_vendors(store, stack, "c-1")
    archive_contact(store, change("c-1"))
    event = lambda_.reader.next_event()
    assert event is not None
    good = event["Records"]
    poison = copy.deepcopy(good[-1])
    poison["dynamodb"]["SequenceNumber"] = "999999999999999999999"
    poison["dynamodb"]["NewImage"]["version"] = {"S": "not a number"}
    # When the batch is delivered
    failed = lambda_.invoke([*good, poison])
    # Then nothing is reported failed (retrying cannot make it readable, and a failed record
    # would hold its shard back through every retry): it is logged, by its ids only
    assert failed == []
    (logged,) = [r for r in caplog.records if r.getMessage() == "stream record unreadable: skipped"]
    assert logged.__dict__["sequence"] == "999999999999999999999"
    assert "c-1@example.com" not in caplog.text
    # and the archive went through
    lambda_.drain()
    assert link_states(store, "c-1") == every_link(LinkState.ARCHIVED)
    assert accepted(side_effects) == {key: Counter(archive=1) for key in Vendor}


def test_a_record_naming_a_link_the_contact_no_longer_has_is_skipped_not_retried(
    store: LedgerStore,
    stack: SandboxStack,
    side_effects: dict[Vendor, SideEffects],
    lambda_: StreamLambda,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given an archive's record whose image names, beside the contact's links, one in flight
    # that the contact does not have (a link it had when the record was written)
    register_at_vendors(store, stack, "c-1")
    archive_contact(store, change("c-1"))
    event = lambda_.reader.next_event()
    assert event is not None
    stale = copy.deepcopy(event["Records"][-1])
    links = stale["dynamodb"]["NewImage"]["links"]["M"]
    gone = copy.deepcopy(next(iter(links.values())))
    gone["M"]["vendor_id"] = {"S": "vendor-id-no-longer-linked"}
    gone["M"]["scope"] = {"S": "customer-gone"}
    gone["M"]["vendor"] = {"S": "sequence"}
    links["sequence:customer-gone"] = gone
    metrics.clear_metrics()
    # When it is delivered
    failed = lambda_.invoke([stale])
    # Then it is not reported failed (no retry can sync a link that is not there, and the dead
    # letters would only hold it): the link is skipped, logged by ids, and counted
    assert failed == []
    (logged,) = [
        r
        for r in caplog.records
        if r.getMessage() == "stream record names a link the contact no longer has: skipped"
    ]
    assert (logged.__dict__["contact_id"], logged.__dict__["link"]) == (
        "c-1",
        "sequence:customer-gone",
    )
    assert "c-1@example.com" not in caplog.text
    assert metrics.metric_set["StreamLinkGone"]["Value"] == [1.0]
    # And the contact's own links were archived by the same record, once
    assert link_states(store, "c-1") == every_link(LinkState.ARCHIVED)
    lambda_.drain()
    assert accepted(side_effects) == {key: Counter(archive=1) for key in Vendor}
    assert lambda_.dead_letters == []


def test_a_vendor_down_for_good_ends_in_the_dead_letters_and_the_others_archive(
    store: LedgerStore, stack: SandboxStack, lambda_: StreamLambda, bus: FakeEventBridge
) -> None:
    # Given Intercom answering 503 to everything
    register_at_vendors(store, stack, "c-1")
    stack.intercom.faults = Faults(server_error_rate=1.0)
    # When the contact is archived and the stream drained
    archive_contact(store, change("c-1"))
    lambda_.drain()
    # Then the other vendors archived it, and the record gave up into the dead letters
    contact = get_contact(store, TENANT, "c-1")
    assert contact.link_state(Vendor.INTERCOM) is LinkState.ARCHIVING
    others = [key for key, link in contact.links.items() if link.vendor is not Vendor.INTERCOM]
    assert {contact.link_state(key) for key in others} == {LinkState.ARCHIVED}
    assert lambda_.dead_letters
    assert not bus.detail_types()["ContactArchived"]
    # (test_redrive_dead_letters.py replays them once Intercom is back)


def test_a_permanent_failure_is_recorded_announced_and_retried_on_request(
    store: LedgerStore,
    stack: SandboxStack,
    side_effects: dict[Vendor, SideEffects],
    credentials: JsonSource,
    vendor_clients: VendorClients,
    lambda_: StreamLambda,
    bus: FakeEventBridge,
) -> None:
    # Given Intercom refusing the tenant's token (401: permanent, not retried)
    register_at_vendors(store, stack, "c-1")
    good = credentials.load(TENANT, Vendor.INTERCOM)
    assert isinstance(good, IntercomCredentials)
    credentials.save(
        TENANT, Vendor.INTERCOM, good.model_copy(update={"access_token": SecretStr("revoked")})
    )
    # When the contact is archived
    archive_contact(store, change("c-1"))
    lambda_.drain()
    # Then the Intercom link is failed with the vendor's reason, and the failure announced once
    contact = get_contact(store, TENANT, "c-1")
    link = contact.links[Vendor.INTERCOM]
    assert contact.link_state(Vendor.INTERCOM) is LinkState.FAILED
    assert link.attempts == 1 and link.last_error and "revoked" not in link.last_error
    assert bus.detail_types()["VendorSyncFailed"] == 1
    assert bus.detail_types()["ContactArchived"] == 1  # settled, one link failed
    # When the token is fixed and the failed links are retried (POST /contacts/c-1/sync)
    credentials.save(TENANT, Vendor.INTERCOM, good)
    vendor_clients.forget(TENANT, Vendor.INTERCOM)
    retried, count = retry_failed_links(store, TENANT, "c-1")
    assert count == 1 and retried.link_state(Vendor.INTERCOM) is LinkState.ARCHIVING
    lambda_.drain()
    # Then Intercom archived it, once
    assert link_states(store, "c-1") == every_link(LinkState.ARCHIVED)
    assert side_effects[Vendor.INTERCOM].accepted == Counter(archive=1)
    assert retry_failed_links(store, TENANT, "c-1")[1] == 0  # nothing failed any more
