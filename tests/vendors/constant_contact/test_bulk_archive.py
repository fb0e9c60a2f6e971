"""`archive_bulk` against the Constant Contact sandbox: each contact's lists read by the page as
its restore material, then one `contact_delete` per 500, all created first and polled together;
contacts deleted already or unknown left out of the activities; a repeated call changing
nothing; every request paced and within Constant Contact's contract."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import BULK_VENDORS, BulkClient, BulkItemResult
from contact_archive.vendors.constant_contact.bulk import Polling
from contact_archive.vendors.constant_contact.client import PACE_PER_SECOND, ConstantContactClient
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.contracts.specs import contract_transport
from tests.vendors.constant_contact.case import BASE_URL, LISTS, ConstantContactCase
from tests.vendors.sandboxed import Wire, calls_of

PAGE = ("GET", "/v3/contacts")
DELETE = ("POST", "/v3/activities/contact_delete")
LISTING = ("GET", "/v3/activities")
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def case() -> Iterator[ConstantContactCase]:
    with ConstantContactCase() as case:
        yield case


def seed(sandbox: ConstantContactSandbox, count: int, lists: list[str] = LISTS) -> list[str]:
    return [sandbox.add_contact(list_ids=lists)["contact_id"] for _ in range(count)]


def deleted(sandbox: ConstantContactSandbox, contact_id: str) -> bool:
    return bool((sandbox.contact(contact_id) or {}).get("deleted_at"))


def test_archive_bulk_keeps_each_contacts_lists_and_deletes_them_500_an_activity(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, wire: Wire
) -> None:
    # Given 1,001 contacts, on one list, two, or none
    lists = [LISTS[:1], LISTS, []]
    ids = [sandbox.add_contact(list_ids=lists[n % 3])["contact_id"] for n in range(1001)]
    # When they are archived in bulk (one asked for twice)
    results = client.archive_bulk([*ids, ids[0]])
    # Then each was deleted, its lists kept as its material
    assert list(results) == ids
    assert all(result.outcome == "done" and result.error is None for result in results.values())
    assert [results[contact_id].material for contact_id in ids[:3]] == [
        {"list_memberships": LISTS[:1]},
        {"list_memberships": LISTS},
        {"list_memberships": []},
    ]
    assert all(deleted(sandbox, contact_id) for contact_id in ids)
    # And it took three pages of lists, three activities (500, 500, 1) created one after the
    # other, then one listing that found all three completed
    assert calls_of(sandbox.requests) == [PAGE] * 3 + [DELETE] * 3 + [LISTING]
    assert sandbox.effects == {"archived": 1001}


def test_contacts_deleted_already_or_unknown_are_left_out_of_the_activity(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given an active contact, one deleted in Constant Contact's own UI, and an unknown id
    active = seed(sandbox, 1)[0]
    gone = sandbox.add_contact(deleted_at="2026-03-01")["contact_id"]
    # When the three are archived in bulk
    results = client.archive_bulk([active, gone, UNKNOWN])
    # Then only the active one was in the delete; the deleted one is `already`, its lists not
    # known (a restore puts it on the restore list), the unknown one `not_found`
    assert results == {
        active: BulkItemResult(active, "done", {"list_memberships": LISTS}),
        gone: BulkItemResult(gone, "already", {"lists_unknown": True}),
        UNKNOWN: BulkItemResult(
            UNKNOWN, "not_found", error="constant_contact: Constant Contact has no such contact"
        ),
    }
    (delete,) = [request for request in sandbox.requests if request.method == "POST"]
    assert delete.read() == f'{{"contact_ids":["{active}"]}}'.encode()
    # (the deleted one was found in the deleted listing, read once the active one was seen)
    assert calls_of(sandbox.requests).count(PAGE) == 2


def test_a_call_repeated_after_the_first_ran_changes_nothing(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given 600 contacts archived in bulk
    ids = seed(sandbox, 600)
    client.archive_bulk(ids)
    before = len(sandbox.requests)
    # When the same call comes again (a worker's message redelivered)
    again = client.archive_bulk(ids)
    # Then every contact is `already`, and nothing was created: only the listings were read
    assert {result.outcome for result in again.values()} == {"already"}
    assert {method for method, _ in calls_of(sandbox.requests[before:])} == {"GET"}
    assert sandbox.effects == {"archived": 600}


def test_a_contact_among_many_is_fetched_by_itself_when_that_is_cheaper_than_the_pages(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given an account of 3,000 contacts, and two at its end to archive
    seed(sandbox, 2_998)
    wanted = seed(sandbox, 2, LISTS[1:])
    # When the two are archived in bulk
    results = client.archive_bulk(wanted)
    # Then one page told that the account holds 3,000 (5 more pages to read for two contacts),
    # so the two were read one by one, with their lists, and deleted in one activity
    assert [results[contact_id].material for contact_id in wanted] == [
        {"list_memberships": LISTS[1:]}
    ] * 2
    (activity,) = [request.url.path for request in sandbox.requests[4:]]
    assert calls_of(sandbox.requests) == [
        PAGE,
        ("GET", f"/v3/contacts/{wanted[0]}"),
        ("GET", f"/v3/contacts/{wanted[1]}"),
        DELETE,
        ("GET", activity),
    ]
    assert sandbox.requests[1].url.params["include"] == "list_memberships"


def test_activities_are_queued_a_wave_at_a_time(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given a client that queues at most two activities at once, and 1,500 contacts
    client = case.client_with(polling=Polling(wave=2))
    ids = seed(sandbox, 1_500)
    # When they are archived in bulk
    results = client.archive_bulk(ids)
    # Then two activities were created and awaited, then the third (polled by its own id)
    assert {result.outcome for result in results.values()} == {"done"}
    last = sandbox.requests[-1].url.path
    assert calls_of(sandbox.requests)[3:] == [DELETE, DELETE, LISTING, DELETE, ("GET", last)]
    assert last.startswith("/v3/activities/")


def test_every_request_of_a_bulk_call_takes_its_turn_in_the_pacer(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, wire: Wire
) -> None:
    # Given 2,000 contacts, and the vendor's 4 requests a second on the clock the bucket shares
    ids = seed(sandbox, 2_000)
    # When they are archived in bulk
    client.archive_bulk(ids)
    # Then no request was throttled, and none came closer to the one before than the pace
    assert {seen.status for seen in wire.seen} == {200, 201}
    arrivals = [seen.arrived for seen in wire.seen if seen.arrived is not None]
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert min(gaps) == pytest.approx(1 / PACE_PER_SECOND, abs=0.002)


def test_a_bulk_archive_keeps_to_constant_contacts_contract(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given the case's wire held against the vendor's published contract
    contract = contract_transport(Vendor.CONSTANT_CONTACT, httpx.MockTransport(case.wire))
    ids = [*seed(sandbox, 501), sandbox.add_contact(deleted_at="2026-03-01")["contact_id"]]
    with httpx.Client(base_url=BASE_URL, transport=contract) as http:
        client = case.client_with(http=http)
        # When contacts are archived in bulk, one unknown, and a second time
        client.archive_bulk([*ids, UNKNOWN])
        client.archive_bulk(ids)
    # Then every request and answer (pages with counts, deletes, a listing) kept to it
    assert {DELETE, LISTING, PAGE} <= set(calls_of(sandbox.requests))
    assert contract.violations == []
    assert contract.checked == len(sandbox.requests)


def test_the_client_is_the_bulk_client_the_jobs_worker_asks_for(
    client: ConstantContactClient,
) -> None:
    assert isinstance(client, BulkClient) and Vendor.CONSTANT_CONTACT in BULK_VENDORS
