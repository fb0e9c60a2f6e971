"""What the table's indexes project, read from template.yaml: within AWS's cap of 100 projected
attributes, never a vendor snapshot or the history, small enough that an index write is one
write unit, and enough for a listing to answer every field GET /contacts/{id} answers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from contact_archive.contacts.views import contact_body
from contact_archive.ledger.models import (
    ChangeAction,
    Contact,
    ContactStatus,
    LinkState,
    PendingChange,
    Vendor,
    VendorLink,
)
from contact_archive.ledger.store.contact_items import (
    contact_attributes,
    contact_from_item,
    contact_item,
)
from contact_archive.vendors.constant_contact import mapper as constant_contact
from devtools.template import load_template, table_definition
from tests.support import ROOT

PROJECTED_ATTRIBUTES_CAP = 100  # AWS: NonKeyAttributes summed over a table's INCLUDE indexes
# What holds restore material or history: base-only, so that index items stay small.
BASE_ONLY = {"snapshots", "snapshot", "history"}
AT = "2026-11-23T10:00:00.000Z"
RECORDED = (
    ROOT / "tests/vendors/constant_contact/payloads/contact_active_with_list_memberships.json"
)


def _indexes() -> dict[str, dict[str, Any]]:
    definition = table_definition(load_template(), table_name="ledger-test")
    return {index["IndexName"]: index for index in definition["GlobalSecondaryIndexes"]}


def _listing_indexes() -> list[str]:
    return sorted(name for name, index in _indexes().items() if _projects_view(index))


def _projects_view(index: dict[str, Any]) -> bool:
    return bool(index["Projection"]["ProjectionType"] == "INCLUDE")


def contact_with_four_links(snapshots: bool) -> Contact:
    """A contact linked to the four vendors (Sequence by customer), archived, each link's
    restore material taken when `snapshots` (Constant Contact's, recorded: three lists)."""
    material = constant_contact.snapshot(json.loads(RECORDED.read_text())) if snapshots else None
    change = PendingChange(
        change_id="c" * 32, action=ChangeAction.ARCHIVE, requested_at=AT, version=3
    )
    links = [
        VendorLink(vendor=Vendor.SEQUENCE, vendor_id="seq_8c1d2e3f", scope="cus_4f2a9c"),
        VendorLink(vendor=Vendor.ROUTERA, vendor_id="73910"),
        VendorLink(vendor=Vendor.INTERCOM, vendor_id="6553c0a1e4b0c3d2f1a09b87"),
        VendorLink(
            vendor=Vendor.CONSTANT_CONTACT, vendor_id="1618ae62-4752-11e9-9c8a-fa163e6b01c1"
        ),
    ]
    settled = {
        "snapshot": material,
        "snapshot_change_id": change.change_id if material else None,
        "settled_state": LinkState.ARCHIVED,
        "settled_change_id": change.change_id,
        "synced_at": AT,
        "attempts": 1,
        "linked_at": AT,
    }
    return Contact(
        tenant_id="tenant-7f3a",
        contact_id="c-20261123-000042",
        external_id="crm-000042",
        email="ada.lovelace@example.com",
        first_name="Ada",
        last_name="Lovelace",
        status=ContactStatus.ARCHIVED,
        status_reason="offboarding: customer churned",
        status_changed_at=AT,
        archived_at=AT,
        archived_by="alice@example.com",
        restored_at=AT,
        restored_by="bob@example.com",
        version=3,
        created_at=AT,
        updated_at=AT,
        links={link.key: link.model_copy(update=settled) for link in links},
        pending=change,
        due_at=AT,
    )


def projected(item: dict[str, Any], index: dict[str, Any]) -> dict[str, Any] | None:
    """The index's item for a base item, as DynamoDB makes it; None when the item is not in the
    index (one of its keys missing: sparse)."""
    keys = [key["AttributeName"] for key in index["KeySchema"]]
    if any(key not in item for key in keys):
        return None
    kept = {"pk", "sk", *keys, *index["Projection"].get("NonKeyAttributes", [])}
    return {name: value for name, value in item.items() if name in kept}


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it for capacity: names and values in UTF-8, numbers by
    their digits, 3 bytes and 1 per element for maps and lists."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return (len(Decimal(content).as_tuple().digits) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in content.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in content)
    raise AssertionError(f"unexpected type {kind}")


def test_the_include_indexes_project_at_most_100_attributes_in_all() -> None:
    # Given the table's indexes
    indexes = _indexes().values()
    # When their INCLUDE projections are summed (one attribute in two indexes counts twice)
    projected_names = [
        name
        for index in indexes
        if _projects_view(index)
        for name in index["Projection"]["NonKeyAttributes"]
    ]
    # Then AWS's cap holds, and no index projects everything
    assert len(projected_names) <= PROJECTED_ATTRIBUTES_CAP
    assert {index["Projection"]["ProjectionType"] for index in indexes} <= {"INCLUDE", "KEYS_ONLY"}


def test_no_index_projects_snapshots_or_history() -> None:
    for name, index in _indexes().items():
        assert not BASE_ONLY & set(index["Projection"].get("NonKeyAttributes", [])), name


def test_a_contacts_links_hold_no_snapshot_on_its_item() -> None:
    # Given a contact whose four links have restore material
    contact = contact_with_four_links(snapshots=True)
    # When it is laid out as its item
    attributes = contact_attributes(contact)
    # Then the material is in the base-only map, and no link holds any
    assert set(attributes["snapshots"]) == set(contact.links)
    assert all("snapshot" not in link for link in attributes["links"].values())


@pytest.mark.parametrize("index_name", sorted(_indexes()))
def test_an_index_item_is_the_same_whatever_the_snapshots(index_name: str) -> None:
    # Given a contact with four links, each with restore material, and 30 events inline; and
    # the same contact without the material
    contact = contact_with_four_links(snapshots=True)
    bare = contact.model_copy(
        update={
            "links": {
                key: link.model_copy(update={"snapshot": None})
                for key, link in contact.links.items()
            }
        }
    )
    item = contact_item(contact, ['{"v":1}'] * 30)
    assert item_size(item) - item_size(contact_item(bare, ['{"v":1}'] * 30)) > 4 * 1024
    # When the index projects each
    index = _indexes()[index_name]
    in_index, bare_in_index = projected(item, index), projected(contact_item(bare, []), index)
    # Then the index item is the same, and two write units (2 KB) at most with four links
    assert in_index is not None
    assert in_index == bare_in_index
    assert item_size(in_index) <= 2 * 1024


@pytest.mark.parametrize("index_name", _listing_indexes())
def test_one_links_index_item_is_one_write_unit(index_name: str) -> None:
    # Given a contact with one link and its restore material
    contact = contact_with_four_links(snapshots=True)
    contact = contact.model_copy(update={"links": {"routera": contact.links["routera"]}})
    # When an index it is in projects it
    in_index = projected(contact_item(contact, []), _indexes()[index_name])
    # Then the index item is one write unit (1 KB) at most
    assert in_index is None or item_size(in_index) <= 1024


@pytest.mark.parametrize("index_name", _listing_indexes())
def test_a_listing_index_answers_what_the_contact_itself_answers(index_name: str) -> None:
    # Given a contact with restore material, written whole
    contact = contact_with_four_links(snapshots=True)
    item = contact_item(contact, ['{"v":1}'])
    # When a listing reads it from the index
    in_index = projected(item, _indexes()[index_name])
    assert in_index is not None
    listed = contact_from_item(in_index)
    # Then the listing answers every field GET /contacts/{id} does, has_snapshot included
    assert contact_body(listed) == contact_body(contact_from_item(item))
    assert all(link["has_snapshot"] for link in contact_body(listed)["links"])
