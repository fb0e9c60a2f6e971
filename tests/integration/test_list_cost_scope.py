"""Listings by scope and reconciliation's walk by vendor, on moto: a person in two Sequence
customers is listed under each (never missed), at the documented price of the rare case, and a
vendor's contacts are walked by id whatever their status does meanwhile."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from contact_archive.contacts.changes import archive_contact
from contact_archive.contacts.reading import ListQuery, list_contacts
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.cursor import CursorCodec
from contact_archive.ledger.models import ContactStatus, Vendor
from contact_archive.ledger.store import LedgerStore
from tests.ledger_helpers import TENANT, change, register

CODEC = CursorCodec(b"k" * 32, ttl_seconds=3600)


def of(customer: str, number: int) -> LinkInput:
    return LinkInput(Vendor.SEQUENCE, f"seq-{customer}-{number}", customer)


class Reads:
    """Items read (`ScannedCount`) and Queries made by the store's client."""

    def __init__(self, store: LedgerStore) -> None:
        self.items = 0
        self.queries = 0
        store.client.meta.events.register("after-call.dynamodb.Query", self._count)

    def _count(self, parsed: dict[str, Any], **_: Any) -> None:
        self.items += parsed["ScannedCount"]
        self.queries += 1


def listed(store: LedgerStore, query: ListQuery) -> list[str]:
    """Every contact id a listing answers, page by page."""
    ids: list[str] = []
    page = list_contacts(store, CODEC, query)
    ids += [contact.contact_id for contact in page.items]
    while page.next_cursor:
        page = list_contacts(store, CODEC, replace(query, cursor=page.next_cursor))
        ids += [contact.contact_id for contact in page.items]
    return ids


def test_a_person_in_two_customers_is_listed_under_each_at_the_rare_cases_price(
    store: LedgerStore,
) -> None:
    # Given three contacts of customer a, and two people each in two customers (a and b, b and c)
    for number in range(3):
        register(store, f"a-{number}", [of("cus-a", number)])
    register(store, "ab", [of("cus-a", 9), of("cus-b", 9)])
    register(store, "bc", [of("cus-b", 8), of("cus-c", 8)])
    reads = Reads(store)
    # When customer a's contacts are listed, one to a page
    query = ListQuery(TENANT, None, vendor=Vendor.SEQUENCE, scope="cus-a", limit=1)
    ids = listed(store, query)
    # Then each of them is listed once, the person in two customers included
    assert sorted(ids) == ["a-0", "a-1", "a-2", "ab"]
    # And what was read beyond them is the people in several customers that are not in a
    assert reads.items == len(ids) + 1
    # And customers b and c each list their own
    assert sorted(
        listed(store, ListQuery(TENANT, None, vendor=Vendor.SEQUENCE, scope="cus-b"))
    ) == [
        "ab",
        "bc",
    ]
    assert listed(store, ListQuery(TENANT, None, vendor=Vendor.SEQUENCE, scope="cus-c")) == ["bc"]


def test_a_customers_listing_by_status_keeps_to_the_status(store: LedgerStore) -> None:
    # Given customer a's contacts, one of them in two customers, some archived
    register(store, "a-0", [of("cus-a", 0)])
    register(store, "a-1", [of("cus-a", 1)])
    register(store, "ab", [of("cus-a", 9), of("cus-b", 9)])
    archive_contact(store, change("a-1"))
    archive_contact(store, change("ab"))
    # When the archived ones are listed
    query = ListQuery(TENANT, ContactStatus.ARCHIVED, vendor=Vendor.SEQUENCE, scope="cus-a")
    # Then only those are, newest change first in each part
    assert listed(store, query) == ["a-1", "ab"]
    active = ListQuery(TENANT, ContactStatus.ACTIVE, vendor=Vendor.SEQUENCE, scope="cus-a")
    assert listed(store, active) == ["a-0"]


def test_a_vendors_walk_goes_by_id_whatever_the_statuses_do(store: LedgerStore) -> None:
    # Given five contacts linked to Intercom, and one that is not
    for number in range(5):
        register(store, f"c-{number}", [LinkInput(Vendor.INTERCOM, f"ic-{number}")])
    register(store, "other", [LinkInput(Vendor.ROUTERA, "rt-1")])
    # When the walk reads two, then c-3 is archived (it moves in every status-ordered index),
    # and the walk goes on from where it stopped
    first, after = store.contacts.list_linked(TENANT, Vendor.INTERCOM, after=None, limit=2)
    archive_contact(store, change("c-3"))
    rest, end = store.contacts.list_linked(TENANT, Vendor.INTERCOM, after=after, limit=10)
    # Then every linked contact came once, in id order, whole (its status as it is now)
    assert [contact.contact_id for contact in first + rest] == [f"c-{n}" for n in range(5)]
    assert after == "c-1" and end is None
    assert rest[1].status is ContactStatus.ARCHIVED
