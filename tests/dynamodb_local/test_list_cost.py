"""List cost flat as the tenant grows: at 100,000 contacts, of which 1% are linked to the vendor
asked for, every filter the API offers reads 1.0 items per contact it lists, counted from
DynamoDB Local's own answers (`ScannedCount` of each Query, the items of each GetItem and
BatchGetItem).

The tenant is written straight in the store's item shape (`contact_item`, BatchWriteItem 25 at a
time from a few threads), not through 100,000 registers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import TracebackType
from typing import Any

import boto3
import pytest
from botocore.config import Config

from contact_archive.contacts.reading import ListQuery, list_contacts
from contact_archive.ledger.cursor import CursorCodec
from contact_archive.ledger.models import (
    Actor,
    ChangeAction,
    Contact,
    ContactStatus,
    HistoryAction,
    PendingChange,
    Vendor,
    VendorLink,
    history_entry,
)
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.contact_items import contact_item
from contact_archive.ledger.store.history import encode_event
from contact_archive.ledger.store.vendor_refs import ref_put
from devtools.template import load_template, table_definition

TENANT = "tenant-big"
CONTACTS = 100_000
LINKED_EVERY = 100  # 1% linked to Sequence, the vendor asked for
CUSTOMERS = 10  # the Sequence customers (scopes) they are spread over
INTERCOM_EVERY = 10  # 10% of the others linked to Intercom: another vendor's sparse index
AT = "2026-11-23T10:00:00.000Z"
CODEC = CursorCodec(b"k" * 32, ttl_seconds=3600)
SEED = Actor(name="seed", source="api")
REGISTERED = encode_event(history_entry(AT, HistoryAction.REGISTERED, SEED, None, None))
PAGE = 50


def status_of(number: int) -> ContactStatus:
    """60% active, 20% archived, 20% partially archived."""
    if number % 10 < 6:
        return ContactStatus.ACTIVE
    return ContactStatus.ARCHIVED if number % 10 < 8 else ContactStatus.PARTIALLY_ARCHIVED


def person(number: int) -> Contact:
    """Contact `c-<number>`: linked to Sequence (by customer) if one in a hundred, else one in
    ten to Intercom; its status changed at a time of its own."""
    status = status_of(number)
    changed_at = f"2026-11-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00.000Z"
    links: dict[str, VendorLink] = {}
    if number % LINKED_EVERY == 0:
        customer = f"cus-{number // LINKED_EVERY % CUSTOMERS}"
        link = VendorLink(vendor=Vendor.SEQUENCE, vendor_id=f"seq-{number}", scope=customer)
        links[link.key] = link
    elif number % INTERCOM_EVERY == 0:
        links["intercom"] = VendorLink(vendor=Vendor.INTERCOM, vendor_id=f"ic-{number}")
    pending = None
    if status is not ContactStatus.ACTIVE:
        pending = PendingChange(
            change_id=uuid.uuid4().hex, action=ChangeAction.ARCHIVE, requested_at=AT, version=2
        )
    return Contact(
        tenant_id=TENANT,
        contact_id=f"c-{number:06d}",
        email=f"person{number}@example.com" if number % LINKED_EVERY == 0 else None,
        external_id=f"crm-{number}" if number % LINKED_EVERY == 0 else None,
        status=status,
        status_changed_at=changed_at,
        version=2 if pending else 1,
        created_at=AT,
        updated_at=changed_at,
        links=links,
        pending=pending,
    )


def _write(client: Any, table: str, numbers: range) -> None:
    requests = [{"PutRequest": {"Item": contact_item(person(n), [REGISTERED])}} for n in numbers]
    while requests:
        answer = client.batch_write_item(RequestItems={table: requests})
        requests = answer.get("UnprocessedItems", {}).get(table, [])


@pytest.fixture(scope="module")
def big_tenant(dynamodb_local_endpoint: str) -> Iterator[LedgerStore]:
    """A table holding one tenant of 100,000 contacts, and the vendor-id ref of one of them."""
    config = Config(max_pool_connections=8, parameter_validation=False)
    client = boto3.client(
        "dynamodb", endpoint_url=dynamodb_local_endpoint, region_name="us-east-1", config=config
    )
    table = f"ledger-big-{uuid.uuid4().hex[:8]}"
    definition = table_definition(load_template(), table_name=table)
    # The template's keys, indexes and projections; not its stream, which nothing here reads and
    # which would double the time the 100,000 writes take.
    del definition["StreamSpecification"]
    client.create_table(**definition)
    client.get_waiter("table_exists").wait(TableName=table)
    batches = [range(start, min(start + 25, CONTACTS)) for start in range(0, CONTACTS, 25)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda numbers: _write(client, table, numbers), batches))
    ref = ref_put(TENANT, "c-000300", Vendor.SEQUENCE, "seq-300")
    client.put_item(TableName=table, Item=ref["Item"])
    yield LedgerStore(client, table)
    client.delete_table(TableName=table)


class ItemsRead:
    """Items DynamoDB read for the store's requests while in the `with` block: a Query's
    `ScannedCount` (what its key condition touched, before any filter), a GetItem's item, a
    BatchGetItem's items."""

    def __init__(self, store: LedgerStore) -> None:
        self.events = store.client.meta.events
        self.items = 0
        self.requests = 0

    def __enter__(self) -> ItemsRead:
        self.events.register("after-call.dynamodb", self._count)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.events.unregister("after-call.dynamodb", self._count)

    def _count(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.requests += 1
        if model.name == "Query":
            self.items += parsed["ScannedCount"]
        elif model.name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            self.items += sum(len(items) for items in parsed.get("Responses", {}).values())


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


def linked(status: ContactStatus | None = None, customer: str | None = None) -> int:
    """How many contacts of the tenant hold a Sequence link (of `customer`), in `status`."""
    return sum(
        1
        for number in range(0, CONTACTS, LINKED_EVERY)
        if (status is None or status_of(number) is status)
        and (customer is None or f"cus-{number // LINKED_EVERY % CUSTOMERS}" == customer)
    )


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
    assert listed == linked(status)
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
    assert listed == linked(status, "cus-3")
    assert read == listed


@pytest.mark.parametrize(
    "query",
    [
        ListQuery(TENANT, None, vendor=Vendor.SEQUENCE, vendor_id="seq-300"),
        ListQuery(TENANT, None, email="PERSON300@example.com"),
        ListQuery(TENANT, None, external_id="crm-300"),
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
    assert [contact.contact_id for contact in page.items] == ["c-000300"]
    ref_reads = 1 if query.vendor_id else 0
    assert counter.items - ref_reads == len(page.items) == 1
