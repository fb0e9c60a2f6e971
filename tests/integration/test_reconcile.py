"""Scheduled reconciliation (moto, with the vendor sandboxes as the vendors): changes vendors made
by themselves are found, recorded as `drift_detected` with the vendor as source, follow the
tenant's policy and are announced once; runs are bounded, resume from their watermark, respect
rate limits, never overlap on a tenant's vendor, and never reach another tenant's contacts."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from contact_archive import dependencies
from contact_archive.config import get_settings
from contact_archive.contacts.changes import archive_contact
from contact_archive.contacts.reading import contact_history, get_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.inbound.reconcile import Budget, Limits, RunResult, reconcile
from contact_archive.inbound.reconcile_checks import Stop
from contact_archive.ledger.models import ContactStatus, LinkState, Vendor, VendorChangePolicy
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.link_sync import sync_link
from contact_archive.sync.outcomes import SyncOutcome
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import SandboxStack
from tests.ledger_helpers import (
    OTHER_TENANT,
    TENANT,
    Announced,
    archive_behind_the_ledgers_back,
    change,
    link_states,
    register,
    register_at_vendors,
    sandbox_clients,
)
from tests.support import FakeLambdaContext, RequestCounter, load_event, load_handler

ONE_PAGE_OF_TWO = Limits(max_pages=1, page_size=2)  # a bounded run: it stops after one page


class Only:
    """Credentials that list just these pairs (the clients still have all four vendors)."""

    def __init__(self, *pairs: tuple[str, Vendor]) -> None:
        self._pairs = list(pairs)

    def configured(self) -> list[tuple[str, Vendor]]:
        return list(self._pairs)


class Runs:
    """Reconciliation runs, as ReconcileFunction makes them, and what they announced."""

    def __init__(self, store: LedgerStore, clients: VendorClients) -> None:
        self.store = store
        self.clients = clients
        self.announced = Announced()

    def __call__(
        self,
        *pairs: tuple[str, Vendor],
        limits: Limits | None = None,
        budget: Budget | None = None,
        run_id: str | None = None,
    ) -> RunResult:
        """One run over the given pairs (tenant A's four vendors by default)."""
        chosen = pairs or tuple((TENANT, vendor) for vendor in Vendor)
        return reconcile(
            self.store, self.clients, Only(*chosen), self.announced, limits=limits or Limits(),
            budget=budget, run_id=run_id, start=0,
        )  # fmt: skip


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def clients(stack: SandboxStack, waits: list[float]) -> VendorClients:
    """Both tenants' clients, on the same sandbox accounts: tenant B's vendors show the very
    vendor ids tenant A linked, so only the ledger's tenant keys keep them apart."""
    document = stack.credentials(TENANT) | stack.credentials(OTHER_TENANT)
    return sandbox_clients(stack, document, sleep=waits.append)


@pytest.fixture
def run(store: LedgerStore, clients: VendorClients) -> Runs:
    return Runs(store, clients)


def deleted_at_constant_contact(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, *contact_ids: str
) -> list[LinkInput]:
    """The contacts, each linked to a contact of its own at Constant Contact, which someone then
    deletes in Constant Contact's own UI: their links."""
    links: list[LinkInput] = []
    for number, contact_id in enumerate(contact_ids):
        links += register_at_vendors(
            store, stack, contact_id, [Vendor.CONSTANT_CONTACT], number=number
        )
    archive_behind_the_ledgers_back(clients, *links)
    return links


def archived_in_intercoms_ui(
    store: LedgerStore, stack: SandboxStack, *contact_ids: str
) -> list[LinkInput]:
    """The contacts, each linked to a contact of its own at Intercom, which someone then archives
    in Intercom's own UI: their links."""
    links: list[LinkInput] = []
    for number, contact_id in enumerate(contact_ids):
        links += register_at_vendors(store, stack, contact_id, [Vendor.INTERCOM], number=number)
    for link in links:
        stack.intercom.archive_in_ui(link.vendor_id)
    return links


# -- the two the issue asks for ------------------------------------------------------------------


def test_an_intercom_auto_unarchive_is_detected(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given Grace archived through the ledger, and Intercom archived by the sync
    (link,) = register_at_vendors(store, stack, "grace", [Vendor.INTERCOM])
    archive_contact(store, change("grace", reason="left"))
    assert (
        sync_link(store, clients, TENANT, "grace", Vendor.INTERCOM).outcome is SyncOutcome.SETTLED
    )
    # When she logs in again, so Intercom unarchives her by itself (no webhook arrives)
    stack.intercom.auto_unarchive(link.vendor_id)
    result = run((TENANT, Vendor.INTERCOM))
    # Then reconciliation finds it: the link is active again, with a drift event from Intercom
    assert result.drifts == 1
    contact = get_contact(store, TENANT, "grace")
    assert contact.link_state(Vendor.INTERCOM) is LinkState.ACTIVE
    # the `record` policy: the ledger only; her one link is active, and so is she
    assert contact.status is ContactStatus.ACTIVE
    event = contact_history(store, TENANT, "grace")[-1]
    assert (event.action, event.actor, event.source) == (
        "drift_detected",
        "reconcile",
        "vendor:intercom",
    )
    assert event.details is not None
    assert (event.details["state"], event.details["ledger_state"]) == ("active", "archived")
    # And it is announced once, with what the ledger and the vendor each said
    (drift,) = run.announced.drifts()
    assert drift | {"detected_at": None} == {
        "tenant_id": TENANT,
        "contact_id": "grace",
        "vendor": "intercom",
        "vendor_id": link.vendor_id,
        "ledger_state": "archived",
        "vendor_state": "active",
        "detected_at": None,
    }
    assert drift["detected_at"] == event.at


def test_a_constant_contact_delete_behind_the_ledgers_back_is_detected(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given Ada active in the ledger, whom someone deletes in Constant Contact's own UI
    (link,) = deleted_at_constant_contact(store, stack, clients, "ada")
    # When reconciliation runs
    result = run((TENANT, Vendor.CONSTANT_CONTACT))
    # Then the link is archived (Constant Contact's delete is its archive), from the vendor
    assert result.drifts == 1
    assert link_states(store, "ada")[Vendor.CONSTANT_CONTACT] is LinkState.ARCHIVED
    event = contact_history(store, TENANT, "ada")[-1]
    assert (event.action, event.source) == ("drift_detected", "vendor:constant_contact")
    found = stack.constant_contact.contact(link.vendor_id)
    assert found is not None
    # dated when seen, with the vendor's own time of the change kept beside it
    assert event.details is not None and event.details["occurred_at"] == event.at
    assert event.details["vendor_updated_at"] == datetime.fromisoformat(
        found["updated_at"]
    ).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    (drift,) = run.announced.drifts()
    assert (drift["ledger_state"], drift["vendor_state"]) == ("active", "archived")


def test_a_vendor_clock_running_behind_cannot_hide_a_later_change(
    store: LedgerStore, stack: SandboxStack, run: Runs
) -> None:
    # Given Intercom's clock an hour behind ours, and Grace archived in its UI, found by a run
    stack.intercom._clock = lambda: time.time() - 3600  # noqa: SLF001
    (link,) = archived_in_intercoms_ui(store, stack, "grace")
    assert run((TENANT, Vendor.INTERCOM)).drifts == 1
    # When she logs in again (Intercom dates it by its own clock, before that run)
    stack.intercom.auto_unarchive(link.vendor_id)
    result = run((TENANT, Vendor.INTERCOM))
    # Then the next run still records it: a finding is dated when it was seen
    assert result.drifts == 1
    assert link_states(store, "grace")[Vendor.INTERCOM] is LinkState.ACTIVE
    assert [d["vendor_state"] for d in run.announced.drifts()] == ["archived", "active"]


# -- the other vendors ----------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", [Vendor.ROUTERA, Vendor.SEQUENCE, Vendor.INTERCOM])
def test_an_archive_in_the_vendors_own_ui_is_detected(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs, vendor: Vendor
) -> None:
    # Given two contacts active at the vendor and in the ledger, one archived in the vendor's UI
    register_at_vendors(store, stack, "kept", [vendor])
    gone = register_at_vendors(store, stack, "gone", [vendor], number=1)
    archive_behind_the_ledgers_back(clients, *gone)
    # When reconciliation runs
    result = run((TENANT, vendor))
    # Then exactly that link is archived, and announced
    assert result.drifts == 1 and result.pairs[0].stopped is Stop.PASS_COMPLETE
    assert link_states(store, "gone")[vendor] is LinkState.ARCHIVED
    assert link_states(store, "kept")[vendor] is LinkState.ACTIVE
    assert [(d["contact_id"], d["vendor"], d["vendor_state"]) for d in run.announced.drifts()] == [
        ("gone", vendor.value, "archived")
    ]


def test_sequence_lists_each_customer_once_a_run(
    store: LedgerStore, stack: SandboxStack, run: Runs
) -> None:
    # Given three contacts of one customer and one of another
    for number in range(3):
        register_at_vendors(store, stack, f"c-{number}", [Vendor.SEQUENCE], number=number)
    other = stack.sequence.add_contact("customer-2", name="Other", email="o@example.com")
    register(store, "c-other", [LinkInput(Vendor.SEQUENCE, other["id"], "customer-2")])
    # When reconciliation runs
    run((TENANT, Vendor.SEQUENCE))
    # Then each customer was listed once, archived contacts included
    lists = [r for r in stack.sequence.requests if r.method == "GET"]
    assert sorted(r.url.path for r in lists) == [
        "/api/customers/customer-1/contacts",
        "/api/customers/customer-2/contacts",
    ]
    assert {r.url.params["includeArchived"] for r in lists} == {"true"}


# -- what is not drift ----------------------------------------------------------------------------


def test_no_drift_means_no_writes_but_the_watermarks(
    store: LedgerStore, stack: SandboxStack, counter: RequestCounter, run: Runs
) -> None:
    # Given a contact in all four vendors, active everywhere, and one archived everywhere before
    # it was ever linked (nothing the ledger disagrees with)
    register_at_vendors(store, stack, "grace")
    stack.routera.add_contact(email="x@example.com", archived="2026-01-01T00:00:00.000Z")
    stack.constant_contact.add_contact(deleted_at="2026-01-01")
    version = get_contact(store, TENANT, "grace").version
    counter.reset()
    # When reconciliation runs over the four vendors
    result = run()
    calls = dict(counter.calls)
    # Then nothing changed and nothing was announced
    assert result.drifts == 0
    assert {pair.stopped for pair in result.pairs} == {Stop.PASS_COMPLETE}
    assert get_contact(store, TENANT, "grace").version == version
    assert run.announced.events == []
    # And the only writes were each pair's watermark: claimed, then saved; two ledger walks
    # (Intercom, Sequence) of one page each, a Query of the vendor's linked contact ids and a
    # batch read of those contacts; one batch lookup for the two vendor pages that held an
    # archived contact, which no contact of the tenant is linked to
    assert calls == {"UpdateItem": 8, "Query": 2, "BatchGetItem": 4}


def test_the_echo_of_the_ledgers_own_archive_is_not_drift(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given Grace archived through the ledger: Constant Contact and Routera already archived by
    # the sync, Intercom and Sequence archived at the vendor but not yet settled (in flight)
    links = register_at_vendors(store, stack, "grace")
    archive_contact(store, change("grace"))
    for vendor in (Vendor.CONSTANT_CONTACT, Vendor.ROUTERA):
        assert sync_link(store, clients, TENANT, "grace", vendor).outcome is SyncOutcome.SETTLED
    in_flight = [link for link in links if link.vendor in (Vendor.INTERCOM, Vendor.SEQUENCE)]
    archive_behind_the_ledgers_back(clients, *in_flight)
    version = get_contact(store, TENANT, "grace").version
    # When reconciliation runs
    result = run()
    # Then the vendors say what the ledger says or is making so: no drift, no write, no event
    assert result.drifts == 0
    contact = get_contact(store, TENANT, "grace")
    assert contact.version == version
    assert contact.link_state(Vendor.INTERCOM) is LinkState.ARCHIVING
    assert run.announced.events == []


# -- watermark, bounds and repeat runs ------------------------------------------------------------


def test_a_bounded_run_resumes_where_it_stopped_and_a_pass_then_looks_only_at_newer_deletes(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given three contacts deleted behind the ledger's back; runs of one page of two
    deleted_at_constant_contact(store, stack, clients, "c-0", "c-1", "c-2")
    pair = (TENANT, Vendor.CONSTANT_CONTACT)
    # When a first run stops after its one page
    first = run(pair, limits=ONE_PAGE_OF_TWO).pairs[0]
    # Then it found two and kept its place
    assert (first.stopped, first.pages, first.drifts) == (Stop.MAX_PAGES, 1, 2)
    watermark = store.watermarks.get(TENANT, Vendor.CONSTANT_CONTACT)
    assert watermark is not None and watermark.cursor is not None and watermark.passes == 0
    # When a second run goes on from there
    second = run(pair, limits=ONE_PAGE_OF_TWO).pairs[0]
    # Then it finds the third and completes the pass, remembering when the pass began
    assert (second.stopped, second.pages, second.drifts) == (Stop.PASS_COMPLETE, 1, 1)
    watermark = store.watermarks.get(TENANT, Vendor.CONSTANT_CONTACT)
    assert watermark is not None and watermark.cursor is None and watermark.passes == 1
    assert watermark.high_water is not None
    assert {link_states(store, f"c-{n}")[Vendor.CONSTANT_CONTACT] for n in range(3)} == {
        LinkState.ARCHIVED
    }
    # When a third run starts a new pass
    third = run(pair).pairs[0]
    # Then it asks only for deletes after the last pass began (less a margin for clock skew,
    # which lists these recent ones again), and there is nothing new
    assert (third.stopped, third.drifts) == (Stop.PASS_COMPLETE, 0)
    listed = [r for r in stack.constant_contact.requests if r.url.path == "/v3/contacts"]
    assert "updated_after" not in listed[0].url.params
    assert listed[-1].url.params["updated_after"] == watermark.high_water
    # And each drift was announced exactly once over the three runs
    assert sorted(d["contact_id"] for d in run.announced.drifts()) == ["c-0", "c-1", "c-2"]


def test_a_ledger_walk_resumes_at_the_next_contact(
    store: LedgerStore, stack: SandboxStack, run: Runs
) -> None:
    # Given five Intercom contacts archived in Intercom's UI; runs of one ledger page of two
    archived_in_intercoms_ui(store, stack, *[f"c-{number}" for number in range(5)])
    pair = (TENANT, Vendor.INTERCOM)
    # When runs follow each other
    found = [run(pair, limits=ONE_PAGE_OF_TWO).pairs[0] for _ in range(4)]
    # Then each takes the next two, the third completes the pass, the fourth finds nothing new
    assert [(r.drifts, r.stopped) for r in found] == [
        (2, Stop.MAX_PAGES),
        (2, Stop.MAX_PAGES),
        (1, Stop.PASS_COMPLETE),
        (0, Stop.MAX_PAGES),
    ]
    assert [d["contact_id"] for d in run.announced.drifts()] == [f"c-{n}" for n in range(5)]


def test_a_run_short_of_time_stops_between_contacts_and_the_next_goes_on_from_there(
    store: LedgerStore, stack: SandboxStack, run: Runs
) -> None:
    # Given three contacts archived in Intercom's UI, and a run whose time runs short once two
    # were fetched
    archived_in_intercoms_ui(store, stack, "c-0", "c-1", "c-2")
    fetched = lambda: stack.intercom.calls("GET", "/contacts/[0-9a-f]+")  # noqa: E731
    short = Budget(lambda: 60_000 if fetched() < 2 else 1_000, reserve_seconds=30)
    # When it runs
    first = run((TENANT, Vendor.INTERCOM), budget=short).pairs[0]
    # Then it stops in the middle of the page, with the contacts it checked recorded
    assert (first.stopped, first.drifts) == (Stop.TIME, 2)
    watermark = store.watermarks.get(TENANT, Vendor.INTERCOM)
    assert watermark is not None and watermark.cursor == "c-1"
    # And the next run checks the third contact only
    second = run((TENANT, Vendor.INTERCOM)).pairs[0]
    assert (second.stopped, second.checked, second.drifts) == (Stop.PASS_COMPLETE, 1, 1)


def test_a_run_with_no_time_left_starts_nothing(
    store: LedgerStore, counter: RequestCounter, run: Runs
) -> None:
    result = run(budget=Budget(lambda: 10_000, reserve_seconds=30))
    assert {pair.stopped for pair in result.pairs} == {Stop.TIME}
    assert counter.total == 0


def test_a_drift_is_announced_once_and_a_second_run_finds_nothing_new(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given a contact archived behind the ledger's back at every vendor
    archive_behind_the_ledgers_back(clients, *register_at_vendors(store, stack, "grace"))
    # When reconciliation runs twice
    first, second = run(), run()
    # Then the first run records and announces each vendor's drift once; the second none
    assert first.drifts == 4 and second.drifts == 0
    assert sorted(d["vendor"] for d in run.announced.drifts()) == sorted(v.value for v in Vendor)
    history = contact_history(store, TENANT, "grace")
    assert [e.action for e in history].count("drift_detected") == 4


def test_under_mirror_the_contact_is_archived_at_the_other_vendors(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given a tenant that mirrors vendor changes, and Grace deleted in Constant Contact's UI
    store.tenant_settings.update(
        TENANT, vendor_change_policy=VendorChangePolicy.MIRROR, at="2026-11-23T09:00:00.000Z"
    )
    links = register_at_vendors(store, stack, "grace")
    archive_behind_the_ledgers_back(clients, links[-1])
    assert links[-1].vendor is Vendor.CONSTANT_CONTACT
    # When reconciliation runs
    run((TENANT, Vendor.CONSTANT_CONTACT))
    # Then Grace is archived, on her way out of the other three vendors, not Constant Contact
    contact = get_contact(store, TENANT, "grace")
    assert contact.status is ContactStatus.ARCHIVED
    assert contact.link_state(Vendor.CONSTANT_CONTACT) is LinkState.ARCHIVED
    assert contact.link_state(Vendor.SEQUENCE) is LinkState.ARCHIVING
    assert contact.link_state(Vendor.ROUTERA) is LinkState.ARCHIVING
    assert contact.link_state(Vendor.INTERCOM) is LinkState.ARCHIVING
    history = contact_history(store, TENANT, "grace")
    assert [(e.action, e.source) for e in history[-2:]] == [
        ("drift_detected", "vendor:constant_contact"),
        ("archived", "vendor:constant_contact"),
    ]
    (drift,) = run.announced.drifts()
    assert drift["contact_id"] == "grace"


# -- rate limits ----------------------------------------------------------------------------------


def test_vendor_429s_are_waited_out_by_the_clients(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, waits: list[float], run: Runs
) -> None:
    # Given drift at every vendor, and vendors that answer a third of the calls with 429
    archive_behind_the_ledgers_back(clients, *register_at_vendors(store, stack, "grace"))
    stack.faults.throttle_rate = 0.35
    stack.faults.retry_after_seconds = 3
    # When reconciliation runs
    result = run()
    # Then every vendor's drift was still found, after waiting what the vendors asked (the
    # other waits are Constant Contact's own pace of 4 requests a second)
    assert result.drifts == 4
    assert {pair.stopped for pair in result.pairs} == {Stop.PASS_COMPLETE}
    assert 3.0 in waits


def test_a_persistent_429_stops_the_run_and_keeps_its_watermark(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given three Constant Contact deletes, and a first run of one page of two
    deleted_at_constant_contact(store, stack, clients, "c-0", "c-1", "c-2")
    pair = (TENANT, Vendor.CONSTANT_CONTACT)
    run(pair, limits=ONE_PAGE_OF_TWO)
    kept = store.watermarks.get(TENANT, Vendor.CONSTANT_CONTACT)
    assert kept is not None and kept.cursor is not None
    # When the vendor throttles every call for longer than the client retries
    stack.faults.throttle_rate = 1.0
    throttled = run(pair, limits=ONE_PAGE_OF_TWO).pairs[0]
    # Then the run stops, changes nothing, and leaves the watermark where it was (released)
    assert (throttled.stopped, throttled.drifts) == (Stop.THROTTLED, 0)
    after = store.watermarks.get(TENANT, Vendor.CONSTANT_CONTACT)
    assert after is not None
    assert (after.cursor, after.high_water, after.passes) == (kept.cursor, None, 0)
    assert link_states(store, "c-2")[Vendor.CONSTANT_CONTACT] is LinkState.ACTIVE
    # And once the vendor answers again, the next run goes on from there
    stack.faults.throttle_rate = 0.0
    resumed = run(pair, limits=ONE_PAGE_OF_TWO).pairs[0]
    assert (resumed.stopped, resumed.drifts) == (Stop.PASS_COMPLETE, 1)
    assert len(run.announced.drifts()) == 3


def test_a_page_cursor_the_vendor_no_longer_takes_starts_the_pass_over(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given a Constant Contact delete, and a watermark whose next-page href has expired
    deleted_at_constant_contact(store, stack, clients, "ada")
    claimed = store.watermarks.claim(
        TENANT, Vendor.CONSTANT_CONTACT, run_id="old", now="2026-11-23T10:00:00.000Z",
        lease_until="2026-11-23T10:05:00.000Z",
    )  # fmt: skip
    assert claimed is not None
    expired = replace(
        claimed, cursor="/v3/contacts?cursor=expired", pass_started_at="2026-11-23T09:00:00.000Z"
    )
    store.watermarks.save(expired, run_id="old", now="2026-11-23T10:00:01.000Z")
    # When reconciliation runs
    result = run((TENANT, Vendor.CONSTANT_CONTACT)).pairs[0]
    # Then the refused cursor was dropped, the pass read from its start and found the delete
    assert (result.stopped, result.drifts) == (Stop.PASS_COMPLETE, 1)
    listed = [r.url.params for r in stack.constant_contact.requests if r.method == "GET"]
    assert [params.get("cursor") for params in listed[-2:]] == ["expired", None]
    assert listed[-1]["status"] == "deleted"
    assert link_states(store, "ada")[Vendor.CONSTANT_CONTACT] is LinkState.ARCHIVED


# -- overlapping runs -----------------------------------------------------------------------------


def test_overlapping_runs_never_work_on_the_same_tenants_vendor(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given a run that holds tenant A's Constant Contact watermark
    deleted_at_constant_contact(store, stack, clients, "ada")
    held = store.watermarks.claim(
        TENANT,
        Vendor.CONSTANT_CONTACT,
        run_id="first-run",
        now="2026-11-23T10:00:00.000Z",
        lease_until="2999-01-01T00:00:00.000Z",
    )
    assert held is not None
    # When a second run comes while it holds it
    second = run((TENANT, Vendor.CONSTANT_CONTACT), run_id="second-run").pairs[0]
    # Then the second leaves that pair alone
    assert second.stopped is Stop.HELD
    assert stack.constant_contact.requests == [] or all(
        r.url.path != "/v3/contacts" for r in stack.constant_contact.requests
    )
    assert link_states(store, "ada")[Vendor.CONSTANT_CONTACT] is LinkState.ACTIVE
    # And the first one still saves; a run whose claim was taken over cannot
    assert store.watermarks.save(held, run_id="first-run", now="2026-11-23T10:01:00.000Z")
    assert not store.watermarks.save(held, run_id="first-run", now="2026-11-23T10:02:00.000Z")


def test_a_claim_that_ran_out_is_taken_over(store: LedgerStore) -> None:
    # Given a run that died holding a claim until 10:05
    store.watermarks.claim(
        TENANT, Vendor.ROUTERA, run_id="dead", now="2026-11-23T10:00:00.000Z",
        lease_until="2026-11-23T10:05:00.000Z",
    )  # fmt: skip
    # When another run comes before, then after, it ran out
    before = store.watermarks.claim(
        TENANT, Vendor.ROUTERA, run_id="early", now="2026-11-23T10:04:00.000Z",
        lease_until="2026-11-23T10:09:00.000Z",
    )  # fmt: skip
    after = store.watermarks.claim(
        TENANT, Vendor.ROUTERA, run_id="late", now="2026-11-23T10:06:00.000Z",
        lease_until="2026-11-23T10:11:00.000Z",
    )  # fmt: skip
    # Then only the later one gets it, and the dead run can no longer save over it
    assert before is None and after is not None
    assert not store.watermarks.save(after, run_id="dead", now="2026-11-23T10:07:00.000Z")
    assert store.watermarks.save(after, run_id="late", now="2026-11-23T10:07:00.000Z")


# -- tenants --------------------------------------------------------------------------------------


# -- tenants --------------------------------------------------------------------------------------


def test_tenant_bs_run_never_touches_tenant_as_contacts(
    store: LedgerStore, stack: SandboxStack, clients: VendorClients, run: Runs
) -> None:
    # Given tenant A's contact archived behind the ledger's back at every vendor, and tenant B,
    # whose vendor accounts are the same ones, with a contact of its own
    links = register_at_vendors(store, stack, "grace")
    register_at_vendors(store, stack, "bob", number=1, tenant=OTHER_TENANT)
    archive_behind_the_ledgers_back(clients, *links)
    version = get_contact(store, TENANT, "grace").version
    # When only tenant B is reconciled
    result = run(*[(OTHER_TENANT, vendor) for vendor in Vendor])
    # Then tenant B found nothing of its own, and tenant A's contact is as it was
    assert result.drifts == 0 and run.announced.events == []
    grace = get_contact(store, TENANT, "grace")
    assert grace.version == version
    assert {grace.link_state(vendor) for vendor in Vendor} == {LinkState.ACTIVE}
    assert store.watermarks.get(TENANT, Vendor.CONSTANT_CONTACT) is None
    # And tenant A's own run finds all four
    assert run().drifts == 4


# -- requests ------------------------------------------------------------------------------------


def test_dynamodb_requests_per_run(
    store: LedgerStore,
    stack: SandboxStack,
    clients: VendorClients,
    counter: RequestCounter,
    run: Runs,
) -> None:
    # Given one Constant Contact delete behind the ledger's back among unlinked deleted contacts
    deleted_at_constant_contact(store, stack, clients, "ada")
    for _ in range(3):
        stack.constant_contact.add_contact(deleted_at="2026-01-01")
    counter.reset()
    # When reconciliation runs
    run((TENANT, Vendor.CONSTANT_CONTACT))
    # Then: claim the watermark; one batch read of the page's vendor ids, one of their contacts;
    # the drift applied (find by vendor id, read, record, read the policy); save the watermark
    assert counter.calls == {"UpdateItem": 3, "BatchGetItem": 2, "GetItem": 3}
    # And a run of a ledger walk costs, a page, one Query of the vendor's linked contact ids and
    # one batch read of those contacts, besides the watermark
    register_at_vendors(store, stack, "ic", [Vendor.INTERCOM])
    counter.reset()
    run((TENANT, Vendor.INTERCOM))
    assert counter.calls == {"UpdateItem": 2, "Query": 1, "BatchGetItem": 1}


# -- the function ---------------------------------------------------------------------------------


@pytest.fixture
def drift_queue(ledger_table: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The service's bus (moto) with a rule that sends `ContactDriftDetected` to a queue."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name="contact-archive-test")
    queue_url = sqs.create_queue(QueueName="drift")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name="drift",
        EventBusName="contact-archive-test",
        EventPattern=json.dumps({"detail-type": ["ContactDriftDetected"]}),
    )
    events.put_targets(
        Rule="drift", EventBusName="contact-archive-test", Targets=[{"Id": "q", "Arn": queue_arn}]
    )
    monkeypatch.setenv("EVENT_BUS_NAME", "contact-archive-test")
    get_settings.cache_clear()
    dependencies.get_event_publisher.cache_clear()
    dependencies.get_credential_source.cache_clear()
    yield lambda: [
        json.loads(message["Body"])
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
    ]
    dependencies.get_event_publisher.cache_clear()
    dependencies.get_credential_source.cache_clear()


def test_the_scheduled_function_reconciles_every_configured_pair_and_announces_on_the_bus(
    store: LedgerStore,
    stack: SandboxStack,
    clients: VendorClients,
    drift_queue: Callable[[], list[dict[str, Any]]],
    info_logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given tenant A's credentials configured for all four vendors, and Constant Contact drift
    monkeypatch.setenv("VENDOR_CREDENTIALS", json.dumps(stack.credentials(TENANT)))
    monkeypatch.setattr(dependencies, "get_vendor_clients", lambda: clients)
    (link,) = deleted_at_constant_contact(store, stack, clients, "ada")
    reconcile_function = load_handler("reconcile")
    # When the schedule's event invokes ReconcileFunction
    answer = reconcile_function.lambda_handler(
        load_event("reconcile_schedule"), FakeLambdaContext()
    )
    # Then every configured pair was visited and the drift found
    assert answer["drifts"] == 1
    assert sorted((p["tenant_id"], p["vendor"], p["stopped"]) for p in answer["pairs"]) == sorted(
        (TENANT, vendor.value, "pass_complete") for vendor in Vendor
    )
    assert link_states(store, "ada")[Vendor.CONSTANT_CONTACT] is LinkState.ARCHIVED
    # And ContactDriftDetected went to the service's bus, from the service
    (event,) = drift_queue()
    assert (event["source"], event["detail-type"]) == ("contact-archive", "ContactDriftDetected")
    assert set(event["detail"]) == {
        "tenant_id",
        "contact_id",
        "vendor",
        "vendor_id",
        "ledger_state",
        "vendor_state",
        "detected_at",
    }
    assert event["detail"]["vendor_id"] == link.vendor_id
    # And the logs say what each pair did, with ids and counts, never a contact's data
    lines = [json.loads(line) for line in info_logs.getvalue().splitlines()]
    (found,) = [line for line in lines if line.get("vendor") == "constant_contact"]
    assert (found["message"], found["tenant_id"], found["drifts"]) == ("reconciled", TENANT, 1)
    assert "@example.com" not in info_logs.getvalue()
