"""Routera contacts to the canonical contact, and the saved fields back to a create request.

Routera has no unarchive (a `PATCH` on an archived contact answers 409), so a restore re-creates
the contact with `POST /contacts {"fields": {...}}` from a snapshot taken before archiving.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact, iso_from_text
from contact_archive.vendors.routera.types import Contact, ContactList, CreateContactRequest

# Keys Routera sets itself: a create cannot take them, so the snapshot leaves them out.
SYSTEM_KEYS = frozenset({"id", "created_at", "updated_at", "archived", "archived_by"})

# A create needs at least one of these (Routera's "Required on create").
IDENTITY_FIELDS = ("email", "first_name", "last_name")

# Values Routera may refuse to see on two active contacts (a 409 on create; not documented).
UNIQUE_FIELDS = ("email", "external_id")

# What a restore can never write back: Routera has no unarchive, and a create sets these itself.
NOT_RESTORED: Mapping[str, str] = {
    "id": "Routera cannot unarchive: the contact is re-created under a new id",
    "created_at": "Routera sets it on create: the re-created contact's is the restore's time",
    "updated_at": "Routera sets it on every write: the re-created contact's is the restore's time",
}

# Why a snapshot field Routera sets itself is not sent (a snapshot from elsewhere may hold one).
READ_ONLY_REASON = "Routera sets it itself: a create cannot take it"

# The vendor's error text is passed on, but never a whole body of unknown size.
ERROR_MESSAGE_LIMIT = 300


def to_canonical(payload: Contact, *, scope: str | None = None) -> VendorContact:
    """Map a Routera `Contact`. Routera has no scope of its own; `scope` is passed through for the
    common interface. Only an archived contact keeps `archived_by`."""
    archived, archived_at = archived_state(payload.get("archived"))
    return VendorContact(
        vendor=Vendor.ROUTERA,
        vendor_id=payload["id"],
        scope=scope,
        email=payload.get("email") or None,
        first_name=payload.get("first_name") or None,
        last_name=payload.get("last_name") or None,
        external_id=payload.get("external_id") or None,
        archived=archived,
        archived_at=archived_at,
        archived_by=(payload.get("archived_by") or None) if archived else None,
        created_at=iso_from_text(payload.get("created_at")),
        updated_at=iso_from_text(payload.get("updated_at")),
    )


def archived_state(archived: object) -> tuple[bool, str | None]:
    """`archived` to (archived, when). The reference documents `false` or an ISO timestamp, but
    its generated examples show `true`: that is archived at an unknown time. A string that is not
    a timestamp still means archived (the flag matters more than the time), with no time."""
    if archived is True:
        return True, None
    if isinstance(archived, str) and archived.strip():
        try:
            return True, iso_from_text(archived.strip())
        except ValueError:
            return True, None
    return False, None


def snapshot(payload: Contact) -> dict[str, Any]:
    """What a re-create needs, saved before archiving: every field the contact has that a create
    accepts (default and custom fields, `external_id` included; null values left out, since the
    create sets only what it is given) and the old id, kept for the link's history."""
    fields = {
        key: value for key, value in payload.items() if key not in SYSTEM_KEYS and value is not None
    }
    return {"id": payload["id"], "fields": fields}


def create_body(saved: Mapping[str, Any]) -> CreateContactRequest:
    """The `POST /contacts` body. Routera refuses a create without an email, first or last name,
    so a snapshot lacking all three is an error here rather than a 400 later."""
    fields = saved.get("fields")
    if not isinstance(fields, Mapping):
        raise ValueError("snapshot has no fields")
    if not any(fields.get(name) for name in IDENTITY_FIELDS):
        raise ValueError(f"snapshot fields have none of {', '.join(IDENTITY_FIELDS)}")
    return {"fields": {str(key): value for key, value in fields.items() if key not in SYSTEM_KEYS}}


def not_restored(saved: Mapping[str, Any]) -> dict[str, str]:
    """What a re-create from `saved` cannot write back, with why: `NOT_RESTORED`, and any key
    of the snapshot's fields Routera sets itself (`create_body` leaves them out)."""
    fields = saved.get("fields")
    read_only = sorted(SYSTEM_KEYS & set(fields)) if isinstance(fields, Mapping) else []
    return {**dict.fromkeys(read_only, READ_ONLY_REASON), **NOT_RESTORED}


def shared_unique_fields(contact: Contact, body: CreateContactRequest) -> list[str]:
    """The unique fields (`UNIQUE_FIELDS`) whose value `contact` holds as `body` sets it: an
    email compared without case, empty values never."""
    fields: Mapping[str, Any] = contact
    return [
        name
        for name in UNIQUE_FIELDS
        if (wanted := _unique_value(name, body["fields"].get(name))) is not None
        and _unique_value(name, fields.get(name)) == wanted
    ]


def _unique_value(name: str, value: object) -> object | None:
    if value is None or value == "":
        return None
    if name == "email" and isinstance(value, str):
        return value.strip().casefold()
    return value


def made_by_create(contact: Contact, body: CreateContactRequest, *, replacing: str) -> bool:
    """Whether `contact` is what a re-create sending `body` made: active, not the contact it
    replaces, and holding every field the create set."""
    fields: Mapping[str, Any] = contact
    return (
        contact["id"] != replacing
        and not archived_state(contact.get("archived"))[0]
        and all(fields.get(key) == value for key, value in body["fields"].items())
    )


def list_page(payload: ContactList) -> tuple[list[Contact], int | None]:
    """A page of contacts and the offset of the next page, or None after the last one.

    The reference does not say whether `pagination.count` is the page's size or the total. A page
    shorter than `limit` (or empty) is the last either way; a `count` that differs from the page
    size can only be a total, and ends the listing once reached; otherwise a full page asks for
    the next one (at worst one extra, empty page)."""
    contacts = list(payload.get("data") or [])
    pagination = payload.get("pagination")
    if not contacts or not pagination:
        return contacts, None
    limit = pagination.get("limit") or 0
    offset = pagination.get("offset") or 0
    count = pagination.get("count")
    if len(contacts) < limit:
        return contacts, None
    next_offset = offset + len(contacts)
    if count is not None and count != len(contacts) and next_offset >= count:
        return contacts, None
    return contacts, next_offset


def error_message(payload: object) -> str | None:
    """The `message` of Routera's error body (`{"message": ..., "error": true}`), or None when the
    body is not one. Only text the vendor sent is returned, bounded in length."""
    if not isinstance(payload, Mapping):
        return None
    message = payload.get("message")
    if not isinstance(message, str) or not message.strip():
        return None
    return message.strip()[:ERROR_MESSAGE_LIMIT]
