"""Sequence contacts to the canonical contact, and the saved material back to a create request.

Sequence cannot unarchive a contact (no unarchive call, and `PUT` has no archive field), so a
restore re-creates the contact under the same customer from a snapshot taken before archiving.

A customer's billing contacts follow one rule (the spec's `billingPreference`): "if any contacts
receive billing communications then at least one contact must be designated PRIMARY". PRIMARY
and STANDARD receive them, NONE does not; several PRIMARY contacts are allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeIs, get_args
from urllib.parse import quote

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact, iso_from_text, split_name
from contact_archive.vendors.sequence.types import (
    Contact,
    ContactBillingPreference,
    ContactRequestModel,
    ContactResponseModel,
)

BILLING_PREFERENCES: frozenset[str] = frozenset(get_args(ContactBillingPreference))

# The vendor's error text is passed on, but never a whole body of unknown size.
ERROR_MESSAGE_LIMIT = 300

RECEIVING_BILLING: frozenset[str] = frozenset({"PRIMARY", "STANDARD"})

# What a restore can never write back: a re-create is a new contact. `updatedAt` is not listed:
# it is the time of the last write, and the restore is one.
NOT_RESTORED: Mapping[str, str] = MappingProxyType(
    {
        "id": "Sequence has no unarchive: the contact is re-created and gets a new id (the"
        " archived contact keeps the old one)",
        "createdAt": "set by Sequence when a contact is created: the re-created contact's is the"
        " time of the restore",
    }
)
# Why a restore may not bring `billingPreference` back (`restore` adds it only when it happens).
BILLING_PREFERENCE_NOT_RESTORED = (
    "saved as STANDARD, re-created as NONE: the customer has no active PRIMARY billing contact,"
    " and Sequence lets a contact receive billing communications only while one is PRIMARY"
)


def to_canonical(payload: Contact, *, scope: str | None = None) -> VendorContact:
    """Map a Sequence `Contact`.

    The 2024-07-30 `Contact` carries no customer field, so the scope (the customer id the contact
    was read under) comes from the caller. `archivedAt` is optional in the spec; a null is read as
    absent. `billingPreference` has no canonical counterpart: it lives in the snapshot only.
    """
    first_name, last_name = split_name(payload.get("name"))
    archived_at = payload.get("archivedAt")
    return VendorContact(
        vendor=Vendor.SEQUENCE,
        vendor_id=payload["id"],
        scope=scope,
        email=payload.get("email") or None,
        first_name=first_name,
        last_name=last_name,
        archived=archived_at is not None,
        archived_at=iso_from_text(archived_at),
        created_at=iso_from_text(payload.get("createdAt")),
        updated_at=iso_from_text(payload.get("updatedAt")),
    )


def snapshot(payload: Contact, *, scope: str) -> dict[str, Any]:
    """What a re-create needs, saved before archiving: the contact's request fields, the customer
    (`scope`, it goes in the create path) and the old contact id (kept for the link's history)."""
    return {
        "customer": scope,
        "id": payload["id"],
        "name": payload["name"],
        "email": payload["email"],
        "billingPreference": payload["billingPreference"],
    }


def create_body(saved: Mapping[str, Any]) -> ContactRequestModel:
    """The `ContactRequestModel` that re-creates the contact. All three fields are required by
    the spec, so a snapshot lacking one cannot be restored: that is an error, not a guess."""
    name = _required_text(saved, "name")
    email = _required_text(saved, "email")
    billing_preference = saved.get("billingPreference")
    if not _is_billing_preference(billing_preference):
        raise ValueError(f"snapshot billingPreference is not one of {sorted(BILLING_PREFERENCES)}")
    return {"name": name, "email": email, "billingPreference": billing_preference}


def create_path(saved: Mapping[str, Any]) -> str:
    """`/customers/{customer}/contacts`: the customer id is a path segment, so it is escaped."""
    customer = _required_text(saved, "customer")
    return f"/customers/{quote(customer, safe='')}/contacts"


def without_billing(body: ContactRequestModel) -> ContactRequestModel | None:
    """The create to fall back to when Sequence refuses a STANDARD contact for want of a PRIMARY
    one: the same contact as NONE. None for PRIMARY and NONE, which the rule never refuses."""
    if body["billingPreference"] != "STANDARD":
        return None
    return {"name": body["name"], "email": body["email"], "billingPreference": "NONE"}


def recreate_bodies(body: ContactRequestModel) -> list[ContactRequestModel]:
    """Every body a restore may have created the contact with: the saved one, and its fallback."""
    fallback = without_billing(body)
    return [body] if fallback is None else [body, fallback]


def has_active_primary(contacts: Iterable[Contact]) -> bool:
    return any(
        contact["billingPreference"] == "PRIMARY" and not contact.get("archivedAt")
        for contact in contacts
    )


def is_last_primary(contacts: Iterable[Contact], contact_id: str) -> bool:
    """Whether `contact_id` is its customer's only active PRIMARY contact while another active
    contact receives billing communications: the archive the billing rule forbids."""
    active = [contact for contact in contacts if not contact.get("archivedAt")]
    target = [contact for contact in active if contact["id"] == contact_id]
    others = [contact for contact in active if contact["id"] != contact_id]
    return (
        bool(target)
        and target[0]["billingPreference"] == "PRIMARY"
        and any(contact["billingPreference"] in RECEIVING_BILLING for contact in others)
        and not has_active_primary(others)
    )


def made_by_create(contact: Contact, body: ContactRequestModel, *, replacing: str) -> bool:
    """Whether `contact` is what a re-create sending `body` made: active, not the contact it
    replaces, and holding every field the create set."""
    fields: Mapping[str, Any] = contact
    return (
        contact["id"] != replacing
        and not contact.get("archivedAt")
        and all(fields.get(key) == value for key, value in body.items())
    )


def list_page(payload: ContactResponseModel) -> tuple[list[Contact], None]:
    """A customer's contacts. Sequence lists them all in one answer: there is never a next page."""
    return list(payload.get("items") or []), None


def error_message(payload: object) -> str | None:
    """The vendor's error text, if any. Sequence documents no error body (400/401/500 have empty
    content), so this accepts the usual shapes (`message`, `error`, `errors[].message`, a bare
    string) and returns None for anything else. Only text the vendor sent is returned."""
    if isinstance(payload, str):
        return _bounded(payload)
    if not isinstance(payload, Mapping):
        return None
    for key in ("message", "error"):
        text = payload.get(key)
        if isinstance(text, str) and text.strip():
            return _bounded(text)
    errors = payload.get("errors")
    if isinstance(errors, list):
        messages = [
            item if isinstance(item, str) else item.get("message")
            for item in errors
            if isinstance(item, str | Mapping)
        ]
        joined = "; ".join(text for text in messages if isinstance(text, str) and text.strip())
        return _bounded(joined)
    return None


def _required_text(saved: Mapping[str, Any], key: str) -> str:
    value = saved.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"snapshot has no {key}")
    return value


def _is_billing_preference(value: object) -> TypeIs[ContactBillingPreference]:
    return value in BILLING_PREFERENCES


def _bounded(text: str) -> str | None:
    stripped = text.strip()
    if not stripped:
        return None
    return stripped[:ERROR_MESSAGE_LIMIT]
