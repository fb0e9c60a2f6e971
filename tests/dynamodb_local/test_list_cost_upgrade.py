"""Contacts written before the listing indexes' layout (a deployed table is not rewritten; the
local stack's data persists across `make run`s): they still read, a snapshot saved on one gives
it its `snapshots` map, and `upgrade_contacts` (which `provision_table` runs on a kept table,
after making its indexes again) brings them into every index they belong in."""

from __future__ import annotations

import uuid
from typing import Any

from contact_archive.contacts.reading import ListQuery, list_contacts
from contact_archive.contacts.views import contact_body
from contact_archive.ledger.cursor import CursorCodec
from contact_archive.ledger.encoding import to_item
from contact_archive.ledger.models import ContactStatus, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.ledger.store.contact_items import contact_from_item
from devtools.dynamodb_local import local_client, provision_table, upgrade_contacts
from devtools.template import load_template, table_definition
from tests.ledger_helpers import TENANT

CODEC = CursorCodec(b"k" * 32, ttl_seconds=3600)
AT = "2026-11-20T09:00:00.000Z"
CHANGE = "a" * 32
# What the listing indexes projected before: every contact field by name, and the link filters.
EARLIER_PROJECTION = [
    *("type", "tenant_id", "contact_id", "external_id", "email", "first_name", "last_name"),
    *("status", "status_reason", "status_changed_at", "archived_at", "archived_by"),
    *("restored_at", "restored_by", "version", "created_at", "updated_at", "links"),
    *("pending", "pending_version", "link_vendors", "link_keys"),
]
EARLIER_INDEXES = ("by_status", "by_tenant", "by_email", "by_external_id", "by_due")


def earlier_item(contact_id: str, *, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """A contact archived at Sequence (customer cus-1) and Intercom, as the earlier layout wrote
    it: top-level profile and stamps, each link's snapshot inline, the link filters."""

    def link(vendor: str, vendor_id: str, scope: str | None) -> dict[str, Any]:
        return {
            "vendor": vendor,
            "vendor_id": vendor_id,
            "scope": scope,
            "change": None,
            "settled_state": "archived",
            "settled_change_id": CHANGE,
            "snapshot": snapshot,
            "snapshot_change_id": CHANGE if snapshot else None,
            "attempts": 1,
            "synced_at": AT,
            "last_error": None,
        }

    pk = f"TENANT#{TENANT}#CONTACT#{contact_id}"
    return to_item(
        {
            "pk": pk,
            "sk": "CONTACT",
            "type": "contact",
            "tenant_id": TENANT,
            "contact_id": contact_id,
            "external_id": f"crm-{contact_id}",
            "email": f"{contact_id}@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "status": "archived",
            "status_reason": "left",
            "status_changed_at": AT,
            "archived_at": AT,
            "archived_by": "alice",
            "version": 2,
            "created_at": AT,
            "updated_at": AT,
            "links": {
                "sequence:cus-1": link("sequence", f"seq-{contact_id}", "cus-1"),
                "intercom": link("intercom", f"ic-{contact_id}", None),
            },
            "pending": {"change_id": CHANGE, "action": "archive", "requested_at": AT},
            "pending_version": 2,
            "status_pk": f"TENANT#{TENANT}#STATUS#archived",
            "status_sk": f"{AT}#{contact_id}",
            "tenant_pk": f"TENANT#{TENANT}",
            "tenant_sk": contact_id,
            "email_pk": f"TENANT#{TENANT}#EMAIL#{contact_id}@example.com",
            "email_sk": contact_id,
            "external_pk": f"TENANT#{TENANT}#EXTERNAL#crm-{contact_id}",
            "external_sk": contact_id,
            "link_vendors": ["intercom", "sequence"],
            "link_keys": ["intercom", "sequence:cus-1"],
            "history": ['{"at":"' + AT + '","action":"registered","actor":"alice"}'] * 2,
        }
    )


def raw_item(store: LedgerStore, contact_id: str) -> dict[str, Any]:
    key = {"pk": {"S": f"TENANT#{TENANT}#CONTACT#{contact_id}"}, "sk": {"S": "CONTACT"}}
    item: dict[str, Any] = store.client.get_item(TableName=store.table.name, Key=key)["Item"]
    return item


def listed(store: LedgerStore, **filters: Any) -> list[dict[str, Any]]:
    page = list_contacts(store, CODEC, ListQuery(TENANT, None, **filters))
    return [contact_body(contact) for contact in page.items]


def test_an_earlier_contact_reads_as_it_did(store: LedgerStore) -> None:
    # Given a contact written in the earlier layout, snapshots inline
    store.client.put_item(
        TableName=store.table.name, Item=earlier_item("ada", snapshot={"id": "x"})
    )
    # When it is read (GetItem), or decoded from a stream record's image of it
    contact = store.contacts.get(TENANT, "ada")
    from_stream = contact_from_item(raw_item(store, "ada"))
    # Then every field reads, its links' snapshots included
    assert contact == from_stream
    assert contact is not None
    assert (contact.email, contact.first_name, contact.external_id) == (
        "ada@example.com",
        "Ada",
        "crm-ada",
    )
    assert (contact.archived_at, contact.archived_by, contact.status) == (
        AT,
        "alice",
        ContactStatus.ARCHIVED,
    )
    assert contact.link("intercom").snapshot == {"id": "x"}
    assert contact.pending is not None and contact.pending.version == 2


def test_a_snapshot_saved_on_an_earlier_contact_gives_it_its_map(store: LedgerStore) -> None:
    # Given an earlier contact, whose Intercom link has its snapshot inline
    store.client.put_item(
        TableName=store.table.name, Item=earlier_item("ada", snapshot={"id": "old"})
    )
    # When the sync saves a snapshot for a newer archive, and one for a change no longer current
    saved = store.links.save_snapshot(
        TENANT,
        "ada",
        "intercom",
        vendor_id="ic-ada",
        change_id="b" * 32,
        change_version=2,
        snapshot={"id": "new"},
    )
    stale = store.links.save_snapshot(
        TENANT,
        "ada",
        "sequence:cus-1",
        vendor_id="seq-ada",
        change_id="c" * 32,
        change_version=1,
        snapshot={"id": "stale"},
    )
    # Then the first went into a new `snapshots` map, the link keeping only its change id
    assert saved and not stale
    item = raw_item(store, "ada")
    assert item["snapshots"] == {"M": {"intercom": {"M": {"id": {"S": "new"}}}}}
    assert "snapshot" not in item["links"]["M"]["intercom"]["M"]
    contact = store.contacts.get(TENANT, "ada")
    assert contact is not None
    assert contact.link("intercom").snapshot == {"id": "new"}
    assert contact.link("sequence:cus-1").snapshot == {"id": "old"}  # the other, still inline


def test_upgrading_brings_earlier_contacts_into_every_index(store: LedgerStore) -> None:
    # Given two earlier contacts (one with snapshots inline) and an item that is no contact
    for contact_id, snapshot in (("ada", {"id": "x"}), ("bob", None)):
        item = earlier_item(contact_id, snapshot=snapshot)
        store.client.put_item(TableName=store.table.name, Item=item)
    before = store.contacts.get(TENANT, "ada")
    assert before is not None
    assert listed(store, vendor=Vendor.SEQUENCE) == []  # in no vendor index yet
    # When the table's contacts are upgraded (twice: the second finds nothing to do)
    upgraded = upgrade_contacts(store.client, store.table.name)
    again = upgrade_contacts(store.client, store.table.name)
    # Then both were rewritten, once, and read as before
    assert (upgraded, again) == (2, 0)
    assert store.contacts.get(TENANT, "ada") == before
    # And each listing finds them, answering what the contact itself answers
    whole = contact_body(before)
    assert sorted(body["id"] for body in listed(store, vendor=Vendor.SEQUENCE)) == ["ada", "bob"]
    assert listed(store, vendor=Vendor.INTERCOM, vendor_id="ic-ada") == []  # no ref item
    assert listed(store, email="ada@example.com") == [whole]
    assert whole in listed(store, vendor=Vendor.SEQUENCE, scope="cus-1")
    assert whole in listed(store, vendor=Vendor.INTERCOM)
    # And no earlier attribute is left, the snapshots out of the links
    item = raw_item(store, "ada")
    assert not {"email", "archived_at", "link_vendors", "link_keys"} & set(item)
    assert item["snapshots"]["M"]["intercom"] == {"M": {"id": {"S": "x"}}}
    assert all("snapshot" not in link["M"] for link in item["links"]["M"].values())


def test_a_kept_local_table_gets_its_indexes_remade_and_its_contacts_upgraded(
    dynamodb_local_endpoint: str,
) -> None:
    # Given a table made by the earlier template, holding an earlier contact
    name = f"earlier-{uuid.uuid4().hex[:8]}"
    client = local_client(dynamodb_local_endpoint)  # the local stack's own account and region
    earlier = table_definition(load_template(), table_name=name)
    earlier["GlobalSecondaryIndexes"] = [
        index
        for index in earlier["GlobalSecondaryIndexes"]
        if index["IndexName"] in EARLIER_INDEXES
    ]
    for index in earlier["GlobalSecondaryIndexes"]:
        if index["Projection"]["ProjectionType"] == "INCLUDE":
            index["Projection"]["NonKeyAttributes"] = EARLIER_PROJECTION
    used = {
        key["AttributeName"]
        for index in earlier["GlobalSecondaryIndexes"]
        for key in index["KeySchema"]
    }
    earlier["AttributeDefinitions"] = [
        attribute
        for attribute in earlier["AttributeDefinitions"]
        if attribute["AttributeName"] in used | {"pk", "sk"}
    ]
    client.create_table(**earlier)
    client.put_item(TableName=name, Item=earlier_item("ada", snapshot=None))
    # When the local stack provisions it
    created = provision_table(dynamodb_local_endpoint, name)
    # Then it is kept, with the template's indexes and projections
    assert created is False
    indexes = {
        index["IndexName"]: index
        for index in client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    }
    wanted = table_definition(load_template(), table_name=name)["GlobalSecondaryIndexes"]
    assert set(indexes) == {index["IndexName"] for index in wanted}
    for index in wanted:
        projection = indexes[index["IndexName"]]["Projection"]
        assert set(projection.get("NonKeyAttributes", [])) == set(
            index["Projection"].get("NonKeyAttributes", [])
        )
    # And its contact is in the vendor indexes, listed whole
    store = LedgerStore(client, name)
    assert [body["first_name"] for body in listed(store, vendor=Vendor.SEQUENCE)] == ["Ada"]
    client.delete_table(TableName=name)
