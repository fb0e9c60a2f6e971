"""Retention with an injected clock (moto, the sandboxes as vendors): the sweeper erases a
contact archived for longer than its tenant's `archived_retention_days`, keeps a restored one,
and a retention shortened later (`PUT /settings`) reaches contacts archived before."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contact_archive.contacts.changes import archive_contact, restore_contact
from contact_archive.ledger.models import LinkState, Vendor, utc_now
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.due import all_shards
from contact_archive.sync.sweeper import SweepResult, sweep
from contact_archive.vendors.registry import VendorClients
from devtools.retention_backfill import schedule_retention
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import (
    TENANT,
    change,
    link_states,
    register_at_vendors,
    sandbox_clients,
)
from tests.support import API_TENANT, Functions, api_event, body_of

ARCHIVED_AT = utc_now() - timedelta(days=400)  # the clock's start: Ada is archived then
ERASURE_KEY = "test-erasure-key-0123456789"


class Clock:
    """The time the sweeper sees, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clients(stack: SandboxStack) -> VendorClients:
    return sandbox_clients(stack)


def swept(store: LedgerStore, clients: VendorClients, clock: Clock) -> SweepResult:
    return sweep(store, clients, clock=clock, erasure_key=lambda: ERASURE_KEY)


def due_at(store: LedgerStore, contact_id: str) -> str | None:
    for shard in all_shards():
        entries, _ = store.due.page(shard, "9999", 100)
        for entry in entries:
            if entry.contact_id == contact_id:
                return entry.due_sk.partition("#")[0]
    return None


def archived_at_rest(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, clock: Clock, name: str
) -> None:
    """`name` registered at Routera and Intercom, archived at the clock's time, and the sweeper
    (its stream record lost) driving both links to archived 20 minutes later."""
    register_at_vendors(store, stack, name, [Vendor.ROUTERA, Vendor.INTERCOM])
    archive_contact(store, change(name), clock)
    clock.now += timedelta(minutes=20)
    swept(store, clients, clock)
    assert set(link_states(store, name).values()) == {LinkState.ARCHIVED}


def test_an_archived_contact_is_erased_when_its_retention_ends_and_a_restored_one_is_kept(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients
) -> None:
    # Given Ada archived and at rest, and Bob archived then restored, both 400 days ago
    clock = Clock(ARCHIVED_AT)
    archived_at_rest(store, stack, clients, clock, "ada")
    archived_at_rest(store, stack, clients, clock, "bob")
    restore_contact(store, change("bob"), clock)
    clock.now += timedelta(minutes=20)
    swept(store, clients, clock)
    # Then Ada is due again in 30 days (the default 365 is further), Bob is out of the index
    ada_due = datetime.fromisoformat((due_at(store, "ada") or "").replace("Z", "+00:00"))
    in_30_days = ARCHIVED_AT + timedelta(days=30)
    assert in_30_days < ada_due < in_30_days + timedelta(hours=1)
    assert due_at(store, "bob") is None
    # When the sweeper runs through the year, a month at a time
    erased: list[int] = []
    for _ in range(13):
        clock.now += timedelta(days=30)
        erased.append(swept(store, clients, clock).erased)
    # Then Ada was erased once, at the first look after her 365 days (day 390), by retention
    assert erased == [0] * 12 + [1]
    tombstone = store.erasures.get(TENANT, "ada")
    assert tombstone is not None
    assert (tombstone.erased_by, tombstone.source) == ("retention", "schedule:retention")
    assert tombstone.reason == "archived for 365 days (archived_retention_days)"
    assert store.contacts.get(TENANT, "ada") is None
    # And Bob, restored, is kept
    assert store.contacts.get(TENANT, "bob") is not None


def test_a_retention_shortened_later_reaches_contacts_archived_before(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, functions: Functions
) -> None:
    # Given Ada archived at rest under the default retention (365 days)
    clock = Clock(utc_now() - timedelta(days=100))
    archived_at_rest(store, stack, clients, clock, "ada")
    # When the tenant keeps archived contacts 60 days instead
    put = api_event("put_settings", body={"archived_retention_days": 60}, tenant=TENANT)
    answer = functions("register", put)
    assert (answer["statusCode"], body_of(answer)) == (
        200,
        {"vendor_change_policy": "record", "archived_retention_days": 60},
    )
    # Then the sweeper's next look (30 days on) sees the new retention, and its look after
    # that, when her 60 days end, erases her
    erased = 0
    for _ in range(4):
        clock.now += timedelta(days=15)
        erased += swept(store, clients, clock).erased
    assert erased == 1
    assert store.contacts.get(TENANT, "ada") is None
    assert store.erasures.get(TENANT, "ada") is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "body"), ({"archived_retention_days": 0}, "archived_retention_days")],
)
def test_a_settings_change_that_names_nothing_valid_is_a_422(
    functions: Functions, store: LedgerStore, body: dict[str, int], field: str
) -> None:
    answer = functions("register", api_event("put_settings", body=body))
    assert answer["statusCode"] == 422
    assert field in str(body_of(answer)["error"]["details"])
    assert store.tenant_settings.get(API_TENANT).archived_retention_days == 365


def test_a_contact_archived_before_retention_existed_is_put_back_due_and_erased(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients
) -> None:
    # Given Ada archived 400 days ago, at rest, and out of the due index (as before retention)
    clock = Clock(ARCHIVED_AT)
    archived_at_rest(store, stack, clients, clock, "ada")
    for shard in all_shards():
        entries, _ = store.due.page(shard, "9999", 100)
        for entry in entries:
            assert store.due.reschedule(entry, None)
    assert due_at(store, "ada") is None
    # When the backfill runs (twice: the second finds nothing more)
    assert schedule_retention(store.client, store.table.name) == 1
    assert schedule_retention(store.client, store.table.name) == 0
    # Then the next sweep erases her
    assert swept(store, clients, Clock(utc_now() + timedelta(minutes=1))).erased == 1
    assert store.erasures.get(TENANT, "ada") is not None
