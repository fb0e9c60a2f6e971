"""`restore_bulk` against the Constant Contact sandbox: deleted contacts revived onto the lists
`archive_bulk` kept, with `add_list_memberships` (grouped so that few activities do it), every
other field as Constant Contact kept it, consent untouched; contacts on no known list onto the
tenant's restore list or refused as the single restore refuses them; more than 50 lists cut to
50 and named; contacts active already left alone."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import BulkItemResult, LinkRef
from contact_archive.vendors.constant_contact import mapper
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from contact_archive.vendors.errors import PermanentVendorError
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from tests.contracts.specs import contract_transport
from tests.vendors.constant_contact.case import (
    BASE_URL,
    LISTS,
    ConstantContactCase,
    credentials,
)
from tests.vendors.constant_contact.whole_contact import changed, every_field, raw
from tests.vendors.sandboxed import calls_of

RESTORE_LIST = "5e88f172-21d1-11ea-b5ae-fa163e56c9b9"
OTHER_LIST = "6f99f283-21d1-11ea-b5ae-fa163e56c9b9"
MANY_LISTS = [f"07936f78-662a-11eb-af0a-{index:012d}" for index in range(53)]
UNKNOWN = "00000000-0000-4000-8000-000000000000"
ADD = ("POST", "/v3/activities/add_list_memberships")


@pytest.fixture
def case() -> Iterator[ConstantContactCase]:
    with ConstantContactCase() as case:
        yield case


def client_on(
    case: ConstantContactCase, http: httpx.Client | None = None, restore_list: str | None = None
) -> ConstantContactClient:
    return case.client_with(tenant=credentials(restore_list_id=restore_list), http=http)


def reader(case: ConstantContactCase) -> httpx.Client:
    """An httpx client reading raw contacts through the case's wire, as the tenant."""
    transport = httpx.MockTransport(case.wire)
    return httpx.Client(base_url=BASE_URL, transport=transport, headers=case.api_headers())


def archived(client: ConstantContactClient, ids: list[str]) -> dict[str, Mapping[str, Any] | None]:
    """The contacts archived in bulk, and their material as a ledger keeps it (JSON)."""
    results = client.archive_bulk(ids)
    assert {result.outcome for result in results.values()} == {"done"}
    return {key: json.loads(json.dumps(result.material)) for key, result in results.items()}


def lists_of(sandbox: ConstantContactSandbox, contact_id: str) -> list[str] | None:
    stored = sandbox.contact(contact_id)
    assert stored is not None and "deleted_at" not in stored, "still deleted"
    lists: list[str] | None = stored.get("list_memberships")
    return lists


def test_contacts_come_back_on_their_lists_with_one_activity_per_list_set_and_500(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given 1,200 contacts on three list sets (600, 300, 300), archived in bulk
    sets = [LISTS, LISTS, LISTS[:1], [OTHER_LIST]]
    ids = [sandbox.add_contact(list_ids=sets[n % 4])["contact_id"] for n in range(1_200)]
    client = client_on(case)
    material = archived(client, ids)
    before = len(sandbox.requests)
    # When they are restored in bulk
    results = client.restore_bulk(material)
    # Then each is back, on exactly its lists, with nothing to report
    assert results == {key: BulkItemResult(key, "done") for key in ids}
    assert [lists_of(sandbox, key) for key in ids[:4]] == sets
    # And it took three pages of deleted contacts, four activities (500 and 100 for the first
    # set, one each for the others) and one listing that found them all completed
    assert calls_of(sandbox.requests[before:]) == [("GET", "/v3/contacts")] * 3 + [ADD] * 4 + [
        ("GET", "/v3/activities")
    ]
    assert sandbox.effects == {"archived": 1_200, "restored": 1_200}


def test_every_field_comes_back_as_constant_contact_kept_it_and_consent_is_not_written(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given a contact holding every field a PUT can write, on two lists, archived in bulk
    ref = LinkRef(sandbox.add_contact(list_ids=LISTS, **every_field())["contact_id"])
    client = client_on(case)
    with reader(case) as http:
        before = raw(http, ref)
        material = archived(client, [ref.vendor_id])
        # When it is restored in bulk
        (result,) = client.restore_bulk(material).values()
        after = raw(http, ref)
    # Then it is back as it was, consent included: a revive onto lists writes no field, so
    # there is nothing it could not write back, and no PUT was sent
    assert result == BulkItemResult(ref.vendor_id, "done")
    assert changed(before, after) == set()
    assert after["email_address"]["permission_to_send"] == "explicit"
    assert sandbox.calls("PUT", r"/v3/contacts/[\w-]+") == 0


def test_contacts_on_no_known_list_come_back_on_the_restore_list_as_a_single_restore_does(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given a contact on no list, archived in bulk, and one deleted before anything was saved
    on_none = sandbox.add_contact()["contact_id"]
    client = client_on(case, restore_list=RESTORE_LIST)
    material = archived(client, [on_none])
    unknown_lists = sandbox.add_contact(deleted_at="2026-03-01")["contact_id"]
    material[unknown_lists] = client.archive_bulk([unknown_lists])[unknown_lists].material
    # When both are restored in bulk by a tenant with a restore list
    results = client.restore_bulk(material)
    # Then both are back on it, each saying why, as the single restore says it
    assert [lists_of(sandbox, key) for key in (on_none, unknown_lists)] == [[RESTORE_LIST]] * 2
    for key in (on_none, unknown_lists):
        _, expected = mapper.revive_lists(material[key] or {}, RESTORE_LIST)
        assert results[key] == BulkItemResult(key, "done", not_restored=expected)
    assert "on the tenant's restore list" in results[on_none].not_restored["list_memberships"]


def test_without_a_restore_list_they_fail_with_the_single_restores_words(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given two contacts on no list, archived in bulk, and a tenant without a restore list
    ids = [sandbox.add_contact()["contact_id"] for _ in range(2)]
    client = client_on(case)
    material = archived(client, ids)
    # When one is restored alone and the other in bulk
    with pytest.raises(PermanentVendorError) as single:
        client.restore(LinkRef(ids[0]), material[ids[0]])
    before = len(sandbox.requests)
    (result,) = client.restore_bulk({ids[1]: material[ids[1]]}).values()
    # Then the bulk one failed for the same reason, in the same words, and nothing was sent
    assert result == BulkItemResult(ids[1], "failed", error=str(single.value))
    assert "restore_list_id" in str(result.error)
    assert ADD not in calls_of(sandbox.requests[before:])
    assert (sandbox.contact(ids[1]) or {}).get("deleted_at")


def test_more_than_50_saved_lists_come_back_as_50_and_the_rest_is_named(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given material holding 53 lists (older material: a contact is on 50 at most)
    contact_id = sandbox.add_contact(deleted_at="2026-03-01")["contact_id"]
    client = client_on(case)
    # When it is restored in bulk
    (result,) = client.restore_bulk({contact_id: {"list_memberships": MANY_LISTS}}).values()
    # Then it is on the first 50, and the restore names the 3 it could not bring back
    assert lists_of(sandbox, contact_id) == MANY_LISTS[:50]
    assert result.not_restored == {
        "list_memberships": "3 of its 53 lists were not restored: Constant Contact puts a"
        " contact on 50 lists at most"
    }


def test_a_single_archives_snapshot_serves_as_material(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given a contact archived one at a time, its whole snapshot saved
    ref = LinkRef(sandbox.add_contact(list_ids=LISTS, **every_field())["contact_id"])
    client = client_on(case)
    snapshot = client.take_snapshot(ref)
    client.archive(ref)
    # When it is restored in bulk from that snapshot, then it is back on its lists
    (result,) = client.restore_bulk({ref.vendor_id: snapshot}).values()
    assert result.outcome == "done" and lists_of(sandbox, ref.vendor_id) == LISTS


def test_contacts_active_already_unknown_or_without_material_are_not_revived(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given an active contact (revived meanwhile onto another list), and a deleted one
    active = sandbox.add_contact(list_ids=[OTHER_LIST])["contact_id"]
    deleted = sandbox.add_contact(deleted_at="2026-03-01")["contact_id"]
    client = client_on(case)
    # When they are restored in bulk with an unknown id, the deleted one without material
    results = client.restore_bulk(
        {active: {"list_memberships": LISTS}, UNKNOWN: {"list_memberships": LISTS}, deleted: None}
    )
    # Then the active one is left as it is, the unknown one is not found, the other failed
    assert results == {
        active: BulkItemResult(active, "already"),
        UNKNOWN: BulkItemResult(
            UNKNOWN, "not_found", error="constant_contact: Constant Contact has no such contact"
        ),
        deleted: BulkItemResult(
            deleted, "failed", error="constant_contact: no snapshot to revive the contact from"
        ),
    }
    assert lists_of(sandbox, active) == [OTHER_LIST]
    assert ADD not in calls_of(sandbox.requests) and sandbox.effects == {}


def test_a_restore_repeated_after_the_first_ran_changes_nothing(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given 700 contacts archived and restored in bulk
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(700)]
    client = client_on(case)
    material = archived(client, ids)
    client.restore_bulk(material)
    before = len(sandbox.requests)
    # When the same restore comes again, then all are `already` and nothing was written
    again = client.restore_bulk(material)
    assert {result.outcome for result in again.values()} == {"already"}
    assert {method for method, _ in calls_of(sandbox.requests[before:])} == {"GET"}
    assert sandbox.effects == {"archived": 700, "restored": 700}


def test_a_bulk_restore_keeps_to_constant_contacts_contract(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given the case's wire held against the vendor's published contract, and contacts on
    # two list sets archived in bulk, one on no list
    contract = contract_transport(Vendor.CONSTANT_CONTACT, httpx.MockTransport(case.wire))
    ids = [sandbox.add_contact(list_ids=[LISTS, []][n % 2])["contact_id"] for n in range(4)]
    with httpx.Client(base_url=BASE_URL, transport=contract) as http:
        client = client_on(case, http, RESTORE_LIST)
        # When they are restored in bulk
        results = client.restore_bulk(archived(client, ids))
    # Then they are back, and every request and answer kept to the contract
    assert {result.outcome for result in results.values()} == {"done"}
    assert ADD in calls_of(sandbox.requests)
    assert contract.violations == [] and contract.checked == len(sandbox.requests)
