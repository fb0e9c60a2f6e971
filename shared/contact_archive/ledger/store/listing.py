"""Which index answers a listing, and its Query: each reads only the contacts it lists.

| filter | index | key condition |
| --- | --- | --- |
| status | `by_status` | `TENANT#<t>#STATUS#<status>` |
| every status | `by_tenant` | `TENANT#<t>` |
| vendor (and status) | `by_<vendor>` | `TENANT#<t>#LINKED#<vendor>` (and `listing_sk` begins `<status>#`) |
| vendor and scope (and status) | `by_scope` | `TENANT#<t>#LINK#<vendor>:<scope>`, then the contacts holding several scoped links |
| email, external id | `by_email`, `by_external_id` | the address or id; the rest kept here (a handful) |

A contact holds one key per index, so one that holds several scoped links (a person in two
Sequence customers) sits in the scope index's shared partition (`many_scopes_pk`) rather than
under each scope: a listing by scope reads its own partition first, then that one with a filter on
the link. Only that second part reads contacts it does not list, and only when a tenant has such
contacts. Its cursor says which part it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contact_archive.ledger.encoding import to_attribute
from contact_archive.ledger.models import Contact, ContactStatus, Vendor
from contact_archive.ledger.store.keys import (
    EMAIL_INDEX,
    EXTERNAL_ID_INDEX,
    SCOPE_INDEX,
    STATUS_INDEX,
    TENANT_INDEX,
    email_pk,
    external_pk,
    linked_pk,
    listing_prefix,
    many_scopes_pk,
    scope_pk,
    status_pk,
    vendor_index,
    vendor_pk_attribute,
)


@dataclass(frozen=True)
class Listing:
    """One listing's filters; None: not filtered on. `link` (a link key such as
    `sequence:<customer>`) keeps the contacts holding that link."""

    tenant_id: str
    status: ContactStatus | None
    vendor: Vendor | None = None
    email: str | None = None
    link: str | None = None
    external_id: str | None = None

    @property
    def by_lookup(self) -> bool:
        """Answered from the email or external id index (one or the other)."""
        return self.email is not None or self.external_id is not None

    @property
    def by_scope(self) -> bool:
        return not self.by_lookup and self.link is not None


def page_query(listing: Listing, start_key: dict[str, Any] | None) -> dict[str, Any]:
    """The Query (less its page size) of the page that starts after `start_key`."""
    if listing.by_lookup:
        query = _lookup_query(listing)
    elif listing.by_scope:
        query = _scope_query(listing, start_key)
        start_key = start_key if start_key and "pk" in start_key else None
    elif listing.vendor is not None:
        query = _descending(
            vendor_index(listing.vendor),
            vendor_pk_attribute(listing.vendor),
            linked_pk(listing.tenant_id, listing.vendor),
            listing.status,
        )
    elif listing.status is None:
        query = {
            "IndexName": TENANT_INDEX,
            "KeyConditionExpression": "tenant_pk = :key",
            "ExpressionAttributeValues": {":key": {"S": f"TENANT#{listing.tenant_id}"}},
        }
    else:
        query = {
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "status_pk = :key",
            "ExpressionAttributeValues": {
                ":key": {"S": status_pk(listing.tenant_id, listing.status.value)}
            },
            "ScanIndexForward": False,  # most recently changed first
        }
    if start_key:
        query["ExclusiveStartKey"] = start_key
    return query


def next_start(
    listing: Listing, start_key: dict[str, Any] | None, last_key: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Where the page after the one that started after `start_key` starts, from its
    `LastEvaluatedKey`; None at the end. A scope's own partition done, the next page is the
    shared partition's first (a key naming that partition alone)."""
    if last_key is None and listing.by_scope and not _in_many(listing, start_key):
        return {"scope_pk": {"S": many_scopes_pk(listing.tenant_id)}}
    return last_key


def keeps(listing: Listing, contact: Contact) -> bool:
    """Whether a contact an email or external id names passes the listing's other filters."""
    if not listing.by_lookup:
        return True
    if listing.status is not None and contact.status is not listing.status:
        return False
    if listing.vendor is not None and not contact.links_of(listing.vendor):
        return False
    return listing.link is None or listing.link in contact.links


def _descending(
    index: str, key_attribute: str, key: str, status: ContactStatus | None
) -> dict[str, Any]:
    """A vendor's or a scope's contacts, a status's (or every status's) most recent first."""
    condition = "#key = :key"
    values = {":key": {"S": key}}
    if status is not None:
        condition += " AND begins_with(listing_sk, :status)"
        values[":status"] = {"S": listing_prefix(status.value)}
    return {
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": {"#key": key_attribute},
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }


def _scope_query(listing: Listing, start_key: dict[str, Any] | None) -> dict[str, Any]:
    assert listing.link is not None
    if not _in_many(listing, start_key):
        key = scope_pk(listing.tenant_id, listing.link)
        return _descending(SCOPE_INDEX, "scope_pk", key, listing.status)
    query = _descending(SCOPE_INDEX, "scope_pk", many_scopes_pk(listing.tenant_id), listing.status)
    query["FilterExpression"] = "attribute_exists(#links.#link)"
    query["ExpressionAttributeNames"] |= {"#links": "links", "#link": listing.link}
    return query


def _in_many(listing: Listing, start_key: dict[str, Any] | None) -> bool:
    """Whether a page starting after `start_key` is in the shared partition."""
    if not start_key:
        return False
    return bool(start_key.get("scope_pk", {}).get("S") == many_scopes_pk(listing.tenant_id))


def _lookup_query(listing: Listing) -> dict[str, Any]:
    if listing.external_id is not None:
        index, attribute = EXTERNAL_ID_INDEX, "external_pk"
        key = external_pk(listing.tenant_id, listing.external_id)
    else:
        assert listing.email is not None
        index, attribute = EMAIL_INDEX, "email_pk"
        key = email_pk(listing.tenant_id, listing.email)
    return {
        "IndexName": index,
        "KeyConditionExpression": f"{attribute} = :key",
        "ExpressionAttributeValues": {":key": to_attribute(key)},
    }
