"""Intercom contacts to the canonical contact, and the canonical contact to Intercom's bodies."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact, iso_from_unix, join_name, split_name
from contact_archive.vendors.intercom.types import (
    Contact,
    ContactArchived,
    ContactDeleted,
    ContactList,
    ContactUnarchived,
    CreateContactRequest,
    SearchRequest,
    StartingAfterPaging,
)

# What a restore can never write back (field -> why): none. The restore is `unarchive`, which
# brings back the same contact, every field as it was (only Intercom's own `updated_at` moves).
NOT_RESTORED: Mapping[str, str] = MappingProxyType({})

# The keys of `contact_archived` / `contact_unarchived`: a payload with nothing else is one of them.
_SHORT_RESPONSE_KEYS = frozenset({"type", "id", "external_id", "archived"})


def to_canonical(payload: Contact | ContactArchived | ContactUnarchived) -> VendorContact:
    """A full contact, or the short answer to archive/unarchive, as the canonical contact.

    The 2.10 `contact` schema has no `archived`: archived contacts are never listed or fetched, so
    a full contact without the key is active. The short answers must carry `archived` (as 2.11
    requires); Intercom gives no archive time, so `archived_at` stays None.
    """
    fields: Mapping[str, Any] = payload
    if fields.get("type") != "contact":
        raise ValueError(f"intercom: not a contact payload (type={fields.get('type')!r})")
    contact_id = fields.get("id")
    if not isinstance(contact_id, str) or not contact_id:
        raise ValueError("intercom: contact payload without an id")
    archived = fields.get("archived", None if fields.keys() <= _SHORT_RESPONSE_KEYS else False)
    if not isinstance(archived, bool):
        raise ValueError("intercom: contact payload without a boolean `archived`")
    first_name, last_name = split_name(fields.get("name"))
    return VendorContact(
        vendor=Vendor.INTERCOM,
        vendor_id=contact_id,
        email=fields.get("email"),
        first_name=first_name,
        last_name=last_name,
        external_id=fields.get("external_id"),
        archived=archived,
        created_at=iso_from_unix(fields.get("created_at")),
        updated_at=iso_from_unix(fields.get("updated_at")),
    )


def snapshot(payload: Contact) -> dict[str, Any]:
    """The material saved before an archive, from the contact as fetched: the id, which is all
    `unarchive` needs, and what names the person if the id is ever answered 404 (archived,
    deleted, or merged into another contact): the role (only a lead can be merged away), the
    email and the external id (`find_active` looks the person up by them). Nothing else: the
    restore writes nothing back, so no more personal data is kept. Refuses what is not a
    contact, as `to_canonical` does."""
    to_canonical(payload)
    return {
        "id": payload["id"],
        "role": payload.get("role"),
        "email": payload.get("email") or None,
        "external_id": payload.get("external_id"),
    }


def deleted(payload: ContactDeleted) -> bool:
    """Whether the answer to `DELETE /contacts/{id}` (`contact_deleted`) says it is deleted."""
    fields: Mapping[str, Any] = payload
    if fields.get("type") != "contact" or not isinstance(fields.get("deleted"), bool):
        raise ValueError("intercom: not a contact_deleted payload")
    return bool(fields["deleted"])


def search_body(
    field: str, value: str, *, per_page: int, starting_after: str | None
) -> SearchRequest:
    """`POST /contacts/search` for the contacts whose `field` equals `value`, one page."""
    pagination: StartingAfterPaging = {"per_page": per_page}
    if starting_after is not None:
        pagination["starting_after"] = starting_after
    return {"query": {"field": field, "operator": "=", "value": value}, "pagination": pagination}


def create_body(contact: VendorContact) -> CreateContactRequest:
    """`POST /contacts` for a user with the canonical email, name and external id.

    Intercom needs an email or an external id; keys without a value are left out."""
    if not contact.email and not contact.external_id:
        raise ValueError("intercom: creating a contact needs an email or an external_id")
    body: CreateContactRequest = {"role": "user"}
    if contact.email:
        body["email"] = contact.email
    name = join_name(contact.first_name, contact.last_name)
    if name:
        body["name"] = name
    if contact.external_id:
        body["external_id"] = contact.external_id
    return body


def list_page(payload: ContactList) -> tuple[list[Contact], str | None]:
    """The contacts of one `GET /contacts` or `POST /contacts/search` page and the
    `starting_after` cursor of the next one (None on the last page: `pages`, `pages.next` and
    the cursor are all nullable)."""
    pages = payload.get("pages") or {}
    following = pages.get("next") or {}
    return list(payload.get("data", [])), following.get("starting_after") or None


def error_message(payload: object) -> str | None:
    """The `error.list` body as one line (`code: message` per error), or None if it is not one.

    Takes any JSON: an error body is not guaranteed to be what the spec says."""
    if not isinstance(payload, Mapping) or payload.get("type") != "error.list":
        return None
    errors = payload.get("errors")
    if not isinstance(errors, list):
        return None
    parts: list[str] = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        code, message = error.get("code"), error.get("message")
        parts.append(f"{code}: {message}" if message else str(code))
    return "; ".join(parts) or None
