"""`devtools/bulk_register.py`, the Given-step of the bulk tests: new contacts written in batches
are item for item what registering them one by one writes (DynamoDB Local)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.ledger.models import Vendor
from contact_archive.ledger.store import LedgerStore
from devtools.bulk_register import register_new_contacts
from devtools.template import load_template, table_definition
from tests.ledger_helpers import ALICE, CUSTOMER, TENANT

PEOPLE = 60  # more than two batches of 25 items


def at_noon() -> datetime:
    return datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def commands() -> list[RegisterCommand]:
    """People linked to Constant Contact, every third one to the three other vendors too."""
    found = []
    for number in range(PEOPLE):
        links = [LinkInput(Vendor.CONSTANT_CONTACT, f"cc-{number}")]
        if number % 3 == 0:
            links += [
                LinkInput(Vendor.SEQUENCE, f"seq-{number}", CUSTOMER),
                LinkInput(Vendor.ROUTERA, f"rt-{number}"),
                LinkInput(Vendor.INTERCOM, f"{number:024x}"),
            ]
        found.append(
            RegisterCommand(
                tenant_id=TENANT,
                contact_id=f"p-{number:03d}",
                actor=ALICE,
                email=f"person{number}@example.com",
                first_name=f"Person {number}",
                links=links,
            )
        )
    return found


@pytest.fixture
def other_store(dynamodb_local_endpoint: str, table_name: str) -> LedgerStore:
    """A second table like the first, for the same people registered the other way."""
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local_endpoint)
    name = f"{table_name}-other"
    client.create_table(**table_definition(load_template(), table_name=name))
    client.get_waiter("table_exists").wait(TableName=name)
    return LedgerStore(client, name)


def every_item(store: LedgerStore) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    scan: dict[str, Any] = {"TableName": store.table.name, "ConsistentRead": True}
    while True:
        page = store.table.client.scan(**scan)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_contacts_written_in_batches_are_what_registering_them_writes(
    store: LedgerStore, other_store: LedgerStore
) -> None:
    # Given the same people registered one by one in one table
    for command in commands():
        register_contact(other_store, command, at_noon)

    # When they are written in batches to another
    written = register_new_contacts(store, commands(), at_noon)

    # Then both tables hold the same items: contacts, their history and their vendor-id refs
    registered = every_item(other_store)
    assert every_item(store) == registered
    assert written == len(registered) == PEOPLE + PEOPLE + 3 * (PEOPLE // 3)
    # and the contacts read back as registration made them
    contact = store.contacts.get(TENANT, "p-003")
    assert contact is not None and contact.email == "person3@example.com"
    assert sorted(contact.links) == [
        "constant_contact",
        "intercom",
        "routera",
        "sequence:customer-1",
    ]
