"""List cost flat as the tenant grows: at 100,000 contacts, of which 1% are linked to the vendor
asked for, every filter the API offers reads 1.0 items per contact it lists, counted from
DynamoDB Local's own answers (`ScannedCount` of each Query, the items of each GetItem and
BatchGetItem).

The tenant is `devtools/big_tenant.py`'s mix, written straight in the store's item shape."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from contact_archive.contacts.reading import ListQuery, list_contacts
from contact_archive.ledger.cursor import CursorCodec
from contact_archive.ledger.models import ContactStatus, Vendor
from contact_archive.ledger.store import LedgerStore
from devtools.big_tenant import (
    NAMED,
    ItemsRead,
    bulk_client,
    create_table,
    on_sequence,
    write_tenant,
)

TENANT = "tenant-big"
CONTACTS = 100_000
CODEC = CursorCodec(b"k" * 32, ttl_seconds=3600)
PAGE = 50


@pytest.fixture(scope="module")
def big_tenant(dynamodb_local_endpoint: str) -> Iterator[LedgerStore]:
    """A table holding one tenant of 100,000 contacts."""
    client = bulk_client(dynamodb_local_endpoint)
    table = f"ledger-big-{uuid.uuid4().hex[:8]}"
    create_table(client, table)
    write_tenant(client, table, TENANT, CONTACTS)
    yield LedgerStore(client, table)
    client.delete_table(TableName=table)


def walk(store: LedgerStore, query: ListQuery, pages: int) -> tuple[int, int, int]:
    """Items read, contacts listed and requests made over up to `pages` pages of a listing."""
    listed, cursor = 0, None
    with ItemsRead(store) as counter:
        for _ in range(pages):
            page = list_contacts(store, CODEC, replace(query, cursor=cursor))
            listed += len(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    return counter.items, listed, counter.requests


STATUSES = [*ContactStatus, None]


@pytest.mark.parametrize("status", STATUSES, ids=lambda s: s.value if s else "all")
def test_a_status_page_reads_only_what_it_lists(
    big_tenant: LedgerStore, status: ContactStatus | None
) -> None:
    # When the first two pages of a status (or of every status) are read
    read, listed, requests = walk(big_tenant, ListQuery(TENANT, status, limit=PAGE), pages=2)
    # Then each read only the contacts it lists: one Query a page
    assert listed == 2 * PAGE
    assert read == listed and requests == 2


@pytest.mark.parametrize("status", STATUSES, ids=lambda s: s.value if s else "all")
def test_a_vendors_contacts_are_read_alone_whatever_the_tenant_holds(
    big_tenant: LedgerStore, status: ContactStatus | None
) -> None:
    # When every page of the contacts linked to Sequence (in a status, or in all) is read
    query = ListQuery(TENANT, status, vendor=Vendor.SEQUENCE, limit=PAGE)
    read, listed, requests = walk(big_tenant, query, pages=100)
    # Then every one of them is listed, and nothing else was read: 1.0 items a listed contact,
    # one Query a page
    assert 0 < listed == on_sequence(CONTACTS, status)
    assert read == listed
    assert requests <= listed // PAGE + 1


@pytest.mark.parametrize("status", STATUSES, ids=lambda s: s.value if s else "all")
def test_a_customers_contacts_are_read_alone(
    big_tenant: LedgerStore, status: ContactStatus | None
) -> None:
    # When every page of Sequence customer cus-3's contacts is read
    query = ListQuery(TENANT, status, vendor=Vendor.SEQUENCE, scope="cus-3", limit=PAGE)
    read, listed, _ = walk(big_tenant, query, pages=100)
    # Then they are listed, and nothing else was read
    assert 0 < listed == on_sequence(CONTACTS, status, "cus-3")
    assert read == listed


@pytest.mark.parametrize(
    "query",
    [
        ListQuery(TENANT, None, vendor=Vendor.SEQUENCE, vendor_id=f"seq-{NAMED}"),
        ListQuery(TENANT, None, email=f"PERSON{NAMED}@example.com"),
        ListQuery(TENANT, None, external_id=f"crm-{NAMED}"),
    ],
    ids=["vendor_id", "email", "external_id"],
)
def test_a_contact_named_by_an_id_or_email_is_read_alone(
    big_tenant: LedgerStore, query: ListQuery
) -> None:
    # When the contact a vendor id, an email or an external id names is listed
    with ItemsRead(big_tenant) as counter:
        page = list_contacts(big_tenant, CODEC, query)
    # Then it is the one contact read; a vendor id is found through its ref item first
    assert [contact.contact_id for contact in page.items] == [f"c-{NAMED:06d}"]
    ref_reads = 1 if query.vendor_id else 0
    assert counter.items - ref_reads == len(page.items) == 1
