"""Contact items: reading them (by id, by index page, by email) and writing a registered or
updated contact with its vendor-id refs, all or nothing.

A contact is one item holding its status, version, vendor links, pending change and recent
history, so that most operations are one request. Archive and restore are `status.py`; what
the vendor sync writes on a link is `links.py`.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from contact_archive.ledger.encoding import from_item, to_attribute, to_item
from contact_archive.ledger.errors import ConcurrentUpdate, InvalidCursor, VendorIdTaken
from contact_archive.ledger.models import Contact, ContactStatus, Vendor
from contact_archive.ledger.store.history import HISTORY_KEEP_INLINE, HistoryStore, encode_event
from contact_archive.ledger.store.keys import (
    CONTACT_TYPE,
    EMAIL_INDEX,
    EXTERNAL_ID_INDEX,
    STATUS_INDEX,
    TENANT_INDEX,
    contact_key,
    email_pk,
    external_pk,
    index_keys,
    status_pk,
)
from contact_archive.ledger.store.table import ConditionFailed, Table, TransactionRefused
from contact_archive.ledger.store.vendor_refs import ref_delete, ref_put

# Everything of a contact item but its history: what GetItem reads and the indexes project.
CONTACT_FIELDS = (
    "tenant_id",
    "contact_id",
    "external_id",
    "email",
    "first_name",
    "last_name",
    "status",
    "status_reason",
    "status_changed_at",
    "archived_at",
    "archived_by",
    "restored_at",
    "restored_by",
    "version",
    "created_at",
    "updated_at",
    "links",
    "pending",
    "pending_version",
    "due_at",
)
CONTACT_PROJECTION = ", ".join(f"#f{i}" for i in range(len(CONTACT_FIELDS)))
CONTACT_PROJECTION_NAMES = {f"#f{i}": name for i, name in enumerate(CONTACT_FIELDS)}

VendorIds = list[tuple[Vendor, str]]


def contact_from_item(item: dict[str, Any]) -> Contact:
    """A contact item (or its stream image) as the domain model. The contact-wide change's
    version is its own attribute (`pending_version`): the write that sets it knows the new
    version only as `version + 1`, which cannot be written inside the `pending` map."""
    attributes = from_item(item)
    pending_version = attributes.pop("pending_version", None)
    if attributes.get("pending") and pending_version is not None:
        attributes["pending"] = {**attributes["pending"], "version": pending_version}
    return Contact.model_validate(attributes)


class ContactStore:
    def __init__(self, table: Table, history: HistoryStore) -> None:
        self._table = table
        self._history = history

    # -- reads -------------------------------------------------------------------------------

    def get(self, tenant_id: str, contact_id: str) -> Contact | None:
        item = self._table.get(
            contact_key(tenant_id, contact_id),
            ProjectionExpression=CONTACT_PROJECTION,
            ExpressionAttributeNames=CONTACT_PROJECTION_NAMES,
            ConsistentRead=True,
        )
        return contact_from_item(item) if item else None

    def get_many(self, tenant_id: str, contact_ids: list[str]) -> dict[str, Contact]:
        """{contact_id: contact} for those that exist, one BatchGetItem per 100 ids."""
        keys = [contact_key(tenant_id, contact_id) for contact_id in dict.fromkeys(contact_ids)]
        items = self._table.batch_get(keys, CONTACT_PROJECTION, CONTACT_PROJECTION_NAMES)
        contacts = (contact_from_item(item) for item in items)
        return {contact.contact_id: contact for contact in contacts}

    def find_by_email(self, tenant_id: str, email: str) -> list[Contact]:
        contacts, _ = self.list_page(
            tenant_id, status=None, vendor=None, email=email, limit=100, start_key=None
        )
        return contacts

    def find_by_external_id(self, tenant_id: str, external_id: str) -> list[Contact]:
        contacts, _ = self.list_page(
            tenant_id,
            status=None,
            vendor=None,
            email=None,
            external_id=external_id,
            limit=100,
            start_key=None,
        )
        return contacts

    def list_linked(
        self, tenant_id: str, vendor: Vendor, *, after: str | None, limit: int
    ) -> tuple[list[Contact], str | None]:
        """One page (one Query on the tenant index) of the tenant's contacts linked to `vendor`,
        in contact id order, from after the contact id `after`; and the contact id to go on
        after (None at the end). A page may hold fewer than `limit` (the vendor filter)."""
        start_key = None
        if after is not None:
            start_key = {
                **contact_key(tenant_id, after),
                "tenant_pk": {"S": f"TENANT#{tenant_id}"},
                "tenant_sk": {"S": after},
            }
        contacts, last_key = self.list_page(
            tenant_id, status=None, vendor=vendor, email=None, limit=limit, start_key=start_key
        )
        return contacts, (last_key["tenant_sk"]["S"] if last_key else None)

    def list_page(
        self,
        tenant_id: str,
        *,
        status: ContactStatus | None,
        vendor: Vendor | None,
        email: str | None,
        limit: int,
        start_key: dict[str, Any] | None,
        link: str | None = None,
        external_id: str | None = None,
    ) -> tuple[list[Contact], dict[str, Any] | None]:
        """One Query per page, on the index that answers the question.

        `status` None means every status. The email index holds a handful of contacts per
        address, so filtering it by status throws little away. The vendor filter is a
        FilterExpression: a page may then hold fewer than `limit` contacts (still one request).
        `link` (a link key such as `sequence:<customer>`) keeps the contacts holding that link.
        An external id, like an email, is answered from its own index (one or the other).
        """
        query = _page_query(tenant_id, status, vendor, email, link, external_id)
        query["Limit"] = limit
        if start_key:
            query["ExclusiveStartKey"] = start_key
        try:
            response = self._table.query(**query)
        except ClientError as error:
            if start_key and error.response["Error"]["Code"] == "ValidationException":
                raise InvalidCursor("it does not fit this query") from None
            raise
        contacts = [contact_from_item(item) for item in response.get("Items", [])]
        return contacts, response.get("LastEvaluatedKey")

    # -- register ----------------------------------------------------------------------------

    def save(
        self,
        contact: Contact,
        *,
        previous_version: int | None,
        event: dict[str, Any],
        refs_added: VendorIds,
        refs_removed: VendorIds,
    ) -> None:
        """Write a registered or updated contact with its vendor-id refs, all or nothing.

        `previous_version` None means the contact must not exist yet. Raises `VendorIdTaken`
        when a vendor id belongs to another contact and `ConcurrentUpdate` when the contact
        changed since it was read.
        """
        if previous_version is None:
            contact_write = {"Put": _new_contact(contact, event)}
        else:
            contact_write = {"Update": _contact_update(contact, previous_version, event)}
        tenant_id, contact_id = contact.tenant_id, contact.contact_id
        writes = [contact_write]
        for vendor, vendor_id in refs_added:
            put = ref_put(tenant_id, contact_id, vendor, vendor_id)
            writes.append({"Put": {**put, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}})
        for vendor, vendor_id in refs_removed:
            writes.append({"Delete": ref_delete(tenant_id, contact_id, vendor, vendor_id)})
        self._write_all(writes, refs_added, contact_id)
        if previous_version is not None and contact.version % HISTORY_KEEP_INLINE == 0:
            # Registers return no item to look at; every tenth version, check the history size.
            self._history.page_out_written(tenant_id, contact_id)

    def _write_all(
        self, writes: list[dict[str, Any]], refs_added: VendorIds, contact_id: str
    ) -> None:
        if len(writes) == 1:
            ((kind, request),) = writes[0].items()
            write = self._table.put if kind == "Put" else self._table.update
            try:
                write(**request)
            except ConditionFailed:
                raise ConcurrentUpdate(contact_id) from None
            return
        try:
            self._table.transact(writes)
        except TransactionRefused as refused:
            position = refused.first_failed()
            if position is None:
                raise
            if 1 <= position <= len(refs_added):
                vendor, vendor_id = refs_added[position - 1]
                other = from_item(refused.item_at(position)).get("contact_id")
                raise VendorIdTaken(vendor.value, vendor_id, other) from None
            raise ConcurrentUpdate(contact_id) from None


def _page_query(
    tenant_id: str,
    status: ContactStatus | None,
    vendor: Vendor | None,
    email: str | None,
    link: str | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    """The Query (less its page size and start) for one listing."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    filters: list[str] = []
    query: dict[str, Any] = {}
    if email or external_id:
        if external_id:
            query["IndexName"] = EXTERNAL_ID_INDEX
            query["KeyConditionExpression"] = "external_pk = :key"
            values[":key"] = external_pk(tenant_id, external_id)
        else:
            assert email is not None
            query["IndexName"] = EMAIL_INDEX
            query["KeyConditionExpression"] = "email_pk = :key"
            values[":key"] = email_pk(tenant_id, email)
        if status is not None:
            names["#status"] = "status"
            values[":status"] = status.value
            filters.append("#status = :status")
    elif status is None:
        query["IndexName"] = TENANT_INDEX
        query["KeyConditionExpression"] = "tenant_pk = :key"
        values[":key"] = f"TENANT#{tenant_id}"
    else:
        query["IndexName"] = STATUS_INDEX
        query["KeyConditionExpression"] = "status_pk = :key"
        query["ScanIndexForward"] = False  # most recently changed first
        values[":key"] = status_pk(tenant_id, status.value)
    if vendor is not None:
        values[":vendor"] = vendor.value
        filters.append("contains(link_vendors, :vendor)")
    if link is not None:
        values[":link"] = link
        filters.append("contains(link_keys, :link)")
    if filters:
        query["FilterExpression"] = " AND ".join(filters)
    if names:
        query["ExpressionAttributeNames"] = names
    query["ExpressionAttributeValues"] = {k: to_attribute(v) for k, v in values.items()}
    return query


def _contact_attributes(contact: Contact) -> dict[str, Any]:
    attributes = contact.model_dump(mode="json")
    attributes.update(index_keys(contact))
    return attributes


def _new_contact(contact: Contact, event: dict[str, Any]) -> dict[str, Any]:
    """The Put of a contact that must not exist yet, with its first history event."""
    key = contact_key(contact.tenant_id, contact.contact_id)
    item = {**_contact_attributes(contact), "pk": key["pk"]["S"], "sk": "CONTACT"}
    item |= {"type": CONTACT_TYPE, "history": [encode_event(event)]}
    item = {name: value for name, value in item.items() if value is not None}
    return {"Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}


def _contact_update(
    contact: Contact, previous_version: int, event: dict[str, Any]
) -> dict[str, Any]:
    """The Update of every attribute of a contact read at `previous_version`, with its event."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {":previous": previous_version, ":event": [encode_event(event)]}
    sets, removes = [], []
    for position, (name, value) in enumerate(_contact_attributes(contact).items()):
        names[f"#a{position}"] = name
        if value is None:
            removes.append(f"#a{position}")
        else:
            sets.append(f"#a{position} = :a{position}")
            values[f":a{position}"] = value
    sets.append("history = list_append(history, :event)")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return {
        "Key": contact_key(contact.tenant_id, contact.contact_id),
        "UpdateExpression": expression,
        "ConditionExpression": "version = :previous",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {k: to_attribute(v) for k, v in values.items()},
    }
