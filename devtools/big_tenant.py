"""A tenant of any size written fast, always in the same mix, and a count of what a listing reads
from it: what the list-cost test (`tests/dynamodb_local/test_list_cost.py`) and the list-page
benchmark (`benchmarks/list_pages.py`) share.

The tenant is written straight in the store's item shape (`contact_item`, and the vendor-id ref
of each link, as registering writes it), BatchWriteItem 25 items at a time from a few threads,
not through one register a contact. Contact `c-<number>`: one in a hundred linked to Sequence,
spread over ten customers (scopes), with an email and an external id; one in ten of the others
linked to Intercom; 60% active, 20% archived and 20% partially archived, in each of those shares
too. So a filter matches a hundred times as many contacts in a tenant a hundred times as big.
"""

from __future__ import annotations

import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from itertools import batched
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

from devtools.dynamodb_local import DUMMY_CREDENTIALS, LAYER_DIR, REGION
from devtools.template import load_template, table_definition

if str(LAYER_DIR) not in sys.path:
    sys.path.insert(0, str(LAYER_DIR))  # the item layout is the layer's store's

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

SEQUENCE_EVERY = 100  # 1% linked to Sequence
CUSTOMERS = 10  # the Sequence customers (scopes) they are spread over
INTERCOM_EVERY = 10  # 10% of the others linked to Intercom: another vendor's sparse index
# A contact every tenant of 1,000 or more holds: linked to Sequence, with an email and an
# external id, active.
NAMED = 300
AT = "2026-11-23T10:00:00.000Z"
BATCH = 25  # BatchWriteItem's most
REGISTERED = encode_event(
    history_entry(AT, HistoryAction.REGISTERED, Actor(name="seed", source="api"), None, None)
)


def status_of(number: int) -> ContactStatus:
    """60% active, 20% archived, 20% partially archived, from the sum of the number's digits:
    unlike its last digit, that mixes the statuses of the linked contacts (multiples of ten)
    and of each customer's too."""
    digit = sum(int(figure) for figure in str(number)) % 10
    if digit < 6:
        return ContactStatus.ACTIVE
    return ContactStatus.ARCHIVED if digit < 8 else ContactStatus.PARTIALLY_ARCHIVED


def customer_of(number: int) -> str:
    return f"cus-{number // SEQUENCE_EVERY % CUSTOMERS}"


def person(tenant_id: str, number: int) -> Contact:
    """Contact `c-<number>` of the mix; its status changed at a time of its own."""
    status = status_of(number)
    changed_at = f"2026-11-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00.000Z"
    on_sequence = number % SEQUENCE_EVERY == 0
    links: list[VendorLink] = []
    if on_sequence:
        links.append(
            VendorLink(vendor=Vendor.SEQUENCE, vendor_id=f"seq-{number}", scope=customer_of(number))
        )
    elif number % INTERCOM_EVERY == 0:
        links.append(VendorLink(vendor=Vendor.INTERCOM, vendor_id=f"ic-{number}"))
    pending = None
    if status is not ContactStatus.ACTIVE:
        pending = PendingChange(
            change_id=uuid.uuid4().hex, action=ChangeAction.ARCHIVE, requested_at=AT, version=2
        )
    return Contact(
        tenant_id=tenant_id,
        contact_id=f"c-{number:06d}",
        email=f"person{number}@example.com" if on_sequence else None,
        external_id=f"crm-{number}" if on_sequence else None,
        status=status,
        status_changed_at=changed_at,
        version=2 if pending else 1,
        created_at=AT,
        updated_at=changed_at,
        links={link.key: link for link in links},
        pending=pending,
    )


def on_sequence(
    contacts: int, status: ContactStatus | None = None, customer: str | None = None
) -> int:
    """How many contacts of a tenant of `contacts` hold a Sequence link (of `customer`), in
    `status` (None: any)."""
    return sum(
        1
        for number in range(0, contacts, SEQUENCE_EVERY)
        if (status is None or status_of(number) is status)
        and (customer is None or customer_of(number) == customer)
    )


def bulk_client(endpoint_url: str) -> Any:
    """A client for a local endpoint that several threads write through at once."""
    config = Config(max_pool_connections=8, parameter_validation=False)
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=config,
        aws_access_key_id=DUMMY_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DUMMY_CREDENTIALS["aws_secret_access_key"],
    )


def create_table(client: Any, table: str) -> None:
    """The template's keys, indexes and projections; not its stream, which nothing reading a big
    tenant needs and which would double the time its writes take."""
    definition = table_definition(load_template(), table_name=table)
    del definition["StreamSpecification"]
    client.create_table(**definition)
    client.get_waiter("table_exists").wait(TableName=table)


def write_tenant(client: Any, table: str, tenant_id: str, contacts: int, workers: int = 4) -> None:
    """Contacts `c-000000` up to `contacts` of the mix, with their vendor-id refs."""
    batches = batched(range(contacts), BATCH, strict=False)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda numbers: _write(client, table, tenant_id, numbers), batches))


def _write(client: Any, table: str, tenant_id: str, numbers: tuple[int, ...]) -> None:
    items = []
    for number in numbers:
        contact = person(tenant_id, number)
        items.append(contact_item(contact, [REGISTERED]))
        for link in contact.links.values():
            ref = ref_put(tenant_id, contact.contact_id, link.vendor, link.vendor_id)
            items.append(ref["Item"])
    for chunk in batched(items, BATCH, strict=False):
        requests = [{"PutRequest": {"Item": item}} for item in chunk]
        while requests:
            answer = client.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])


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
