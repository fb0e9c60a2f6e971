"""Contact items: reading them (by id, by index page, by email, by vendor for reconciliation)
and writing a registered or updated contact with its vendor-id refs, all or nothing.

A contact is one item holding its status, version, vendor links, pending change and recent
history, so that most operations are one request; `contact_items.py` lays it out, `listing.py`
picks the index a page is read from. Archive and restore are `status.py`; what the vendor sync
writes on a link is `links.py`.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from contact_archive.ledger.encoding import from_item, to_attribute
from contact_archive.ledger.errors import (
    ConcurrentUpdate,
    ContactErased,
    ContactNotFound,
    InvalidCursor,
    VendorIdTaken,
)
from contact_archive.ledger.models import Contact, ContactStatus, Vendor
from contact_archive.ledger.store.contact_items import (
    CONTACT_PROJECTION,
    CONTACT_PROJECTION_NAMES,
    contact_attributes,
    contact_from_item,
    contact_item,
    layout_upgrade,
)
from contact_archive.ledger.store.erasures import is_tombstone
from contact_archive.ledger.store.history import HISTORY_KEEP_INLINE, HistoryStore, encode_event
from contact_archive.ledger.store.keys import (
    contact_key,
    linked_pk,
    vendor_ids_index,
    vendor_pk_attribute,
)
from contact_archive.ledger.store.listing import Listing, keeps, next_start, page_query
from contact_archive.ledger.store.table import ConditionFailed, Table, TransactionRefused
from contact_archive.ledger.store.vendor_refs import ref_delete, ref_put

__all__ = ["ContactStore", "VendorIds", "contact_from_item"]

VendorIds = list[tuple[Vendor, str]]


class ContactStore:
    def __init__(self, table: Table, history: HistoryStore) -> None:
        self._table = table
        self._history = history

    # -- reads -------------------------------------------------------------------------------

    def get(
        self, tenant_id: str, contact_id: str, *, refuse_erased: bool = False
    ) -> Contact | None:
        """The contact; None when there is none, or only its tombstone (erased) unless
        `refuse_erased`, which makes that `ContactErased`."""
        item = self._get_item(tenant_id, contact_id)
        if item and is_tombstone(item):
            if refuse_erased:
                raise ContactErased(contact_id)
            return None
        return contact_from_item(item) if item else None

    def read(self, tenant_id: str, contact_id: str) -> Contact:
        """The contact, as a caller asking for it by id is answered: `ContactNotFound`, or
        `ContactErased` for one erased (the same single read as `get`)."""
        item = self._get_item(tenant_id, contact_id)
        if not item:
            raise ContactNotFound(contact_id)
        if is_tombstone(item):
            raise ContactErased(contact_id)
        return contact_from_item(item)

    def _get_item(self, tenant_id: str, contact_id: str) -> dict[str, Any] | None:
        return self._table.get(
            contact_key(tenant_id, contact_id),
            ProjectionExpression=CONTACT_PROJECTION,
            ExpressionAttributeNames=CONTACT_PROJECTION_NAMES,
            ConsistentRead=True,
        )

    def get_many(self, tenant_id: str, contact_ids: list[str]) -> dict[str, Contact]:
        """{contact_id: contact} for those that exist (not erased), one BatchGetItem per 100."""
        keys = [contact_key(tenant_id, contact_id) for contact_id in dict.fromkeys(contact_ids)]
        items = self._table.batch_get(keys, CONTACT_PROJECTION, CONTACT_PROJECTION_NAMES)
        contacts = (contact_from_item(item) for item in items if not is_tombstone(item))
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
        """One page of the tenant's contacts linked to `vendor`, in contact id order, from after
        the contact id `after`; and the contact id to go on after (None at the end).

        A Query of the vendor's keys-only index (contact id order: a walk that contacts changing
        status cannot reorder) and a consistent BatchGetItem of those contacts: whole items,
        restore material included, for reconciliation to compare."""
        attribute = vendor_pk_attribute(vendor)
        query: dict[str, Any] = {
            "IndexName": vendor_ids_index(vendor),
            "KeyConditionExpression": "#linked = :linked",
            "ExpressionAttributeNames": {"#linked": attribute},
            "ExpressionAttributeValues": {":linked": {"S": linked_pk(tenant_id, vendor)}},
            "Limit": limit,
        }
        if after is not None:
            query["ExclusiveStartKey"] = {
                **contact_key(tenant_id, after),
                attribute: {"S": linked_pk(tenant_id, vendor)},
                "tenant_sk": {"S": after},
            }
        response = self._table.query(**query)
        ids = [item["tenant_sk"]["S"] for item in response.get("Items", [])]
        found = self.get_many(tenant_id, ids) if ids else {}
        last_key = response.get("LastEvaluatedKey")
        following = last_key["tenant_sk"]["S"] if last_key else None
        return [found[contact_id] for contact_id in ids if contact_id in found], following

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
        """One Query per page, on the index that answers the question (`listing.py`): every
        filter reads only the contacts it lists, but for two cases that read a handful more: an
        email or external id with another filter (kept here), and contacts holding several
        scoped links, listed by scope (the last page of a listing by scope is a second Query, of
        their shared partition). So a page may hold fewer than `limit` before the end.

        `status` None means every status; `link` (a link key such as `sequence:<customer>`)
        keeps the contacts holding that link.
        """
        listing = Listing(tenant_id, status, vendor, email, link, external_id)
        contacts, following = self._page(listing, start_key, limit)
        if following is not None and "pk" not in following and len(contacts) < limit:
            # A scope's own partition ended with room left: its shared one fills the page.
            more, following = self._page(listing, following, limit - len(contacts))
            contacts += more
        return contacts, following

    def _page(
        self, listing: Listing, start_key: dict[str, Any] | None, limit: int
    ) -> tuple[list[Contact], dict[str, Any] | None]:
        query = page_query(listing, start_key)
        query["Limit"] = limit
        try:
            response = self._table.query(**query)
        except ClientError as error:
            if start_key and error.response["Error"]["Code"] == "ValidationException":
                raise InvalidCursor("it does not fit this query") from None
            raise
        contacts = [contact_from_item(item) for item in response.get("Items", [])]
        kept = [contact for contact in contacts if keeps(listing, contact)]
        return kept, next_start(listing, start_key, response.get("LastEvaluatedKey"))

    def upgrade_layout(self, item: dict[str, Any]) -> bool:
        """Rewrite a contact item of an earlier layout (as read whole) into this one; False when
        it changed since it was read (read it again) or needs no upgrade."""
        update = layout_upgrade(item)
        if update is None:
            return False
        try:
            self._table.update(**update)
        except ConditionFailed:
            return False
        return True

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


def _new_contact(contact: Contact, event: dict[str, Any]) -> dict[str, Any]:
    """The Put of a contact that must not exist yet, with its first history event."""
    item = contact_item(contact, [encode_event(event)])
    return {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}


def _contact_update(
    contact: Contact, previous_version: int, event: dict[str, Any]
) -> dict[str, Any]:
    """The Update of every attribute of a contact read at `previous_version`, with its event."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {":previous": previous_version, ":event": [encode_event(event)]}
    sets, removes = [], []
    for position, (name, value) in enumerate(contact_attributes(contact).items()):
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
