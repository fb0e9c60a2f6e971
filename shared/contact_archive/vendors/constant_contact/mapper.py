"""Constant Contact contacts to the canonical contact, and the bodies that delete and revive them.

A revive writes back what the snapshot holds but consent: it keeps the email permission
Constant Contact holds now and never sends the SMS channel, so a restore cannot opt anyone in.
What it cannot write back is named, field by field, in `NOT_RESTORED` and in each restore's
`not_restored`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact, iso_from_text
from contact_archive.vendors.constant_contact.types import (
    ContactDelete,
    ContactPutRequest,
    ContactResource,
    Contacts,
)

BULK_DELETE_LIMIT = 500  # `ContactDelete.contact_ids` maxItems
LIST_LIMIT = 500  # `GET /contacts` `limit` maximum
THROTTLED_ERROR_KEYS = frozenset({"throttled", "quota_exceeded"})
# Not documented when the vendor's day turns: the quota is tried again in an hour.
QUOTA_WAIT_SECONDS = 3600.0
MAX_LISTS = 50  # lists a contact can be on (`list_memberships` maxItems; `add_list_memberships`)
# The email address's consent history: read-only in the PUT, or not in it at all.
CONSENT_HISTORY = (
    "opt_in_source",
    "opt_in_date",
    "opt_out_source",
    "opt_out_date",
    "confirm_status",
)
# The email address's consent as it stands: writable, but only the person may give it.
CONSENT_STATE = ("permission_to_send", "opt_out_reason")

NO_CONSENT_HISTORY = (
    "Constant Contact lets no API write consent history: it stays as Constant Contact keeps it"
)
CONSENT_KEPT = (
    "a restore never writes consent: the revive kept the value Constant Contact holds now"
)
SMS_NOT_SENT = (
    "Constant Contact takes SMS consent only from the person: the revive does not send the SMS"
    " channel, and a PUT without it leaves the contact without one"
)
UPDATED_BY_ACCOUNT = (
    "a revive is sent as the account (`update_source: Account`): Constant Contact records the"
    " account as the last to update the contact"
)
# What a restore can never write back, field by field: a restore reports those of its contact.
NOT_RESTORED: Mapping[str, str] = MappingProxyType(
    {
        "list_memberships": (
            "Constant Contact drops a contact's lists when it deletes it, and puts a contact on"
            f" {MAX_LISTS} lists at most: the revive puts back the first {MAX_LISTS} saved before"
            " the delete; a contact on no list, or deleted in Constant Contact before its lists"
            " were saved, comes back on the tenant's restore list (without one it is not revived)"
        ),
        "update_source": UPDATED_BY_ACCOUNT,
        **{f"email_address.{key}": CONSENT_KEPT for key in CONSENT_STATE},
        **{f"email_address.{key}": NO_CONSENT_HISTORY for key in CONSENT_HISTORY},
        "sms_channel": SMS_NOT_SENT,
    }
)

# What `ContactPutRequest` accepts of a `ContactResource`, subresource by subresource: the PUT
# schema's properties minus those it marks read-only (ids, timestamps, `opt_in_source`, ...).
type PutShape = Mapping[str, PutShape | None]
_CONTACT_PUT_SHAPE: PutShape = {
    "email_address": {"address": None, "permission_to_send": None, "opt_out_reason": None},
    "first_name": None,
    "last_name": None,
    "job_title": None,
    "company_name": None,
    "birthday_month": None,
    "birthday_day": None,
    "anniversary": None,
    "update_source": None,
    "custom_fields": {"custom_field_id": None, "value": None, "choice_ids": None},
    "phone_numbers": {"phone_number": None, "kind": None},
    "street_addresses": {
        "kind": None,
        "street": None,
        "city": None,
        "state": None,
        "postal_code": None,
        "country": None,
    },
    "list_memberships": None,
    "taggings": None,
    "notes": {"note_id": None, "created_at": None, "content": None},
    "sms_channel": {
        "full_sms_address": None,
        "sms_channel_consents": {
            "sms_consent_permission": None,
            "consent_type": None,
            "consent_medium_details": None,
        },
    },
}


def to_canonical(payload: ContactResource) -> VendorContact:
    """One contact as the canonical contact.

    `deleted_at` (a date, not a timestamp) is the only sign of a deleted contact: there is no
    `status` on the contact. `list_ids` is None when the payload was fetched without
    `include=list_memberships`, since "no lists" and "not asked" differ.
    """
    contact_id = payload.get("contact_id")
    if not contact_id:
        raise ValueError("constant_contact: contact payload without a contact_id")
    deleted_at = payload.get("deleted_at")
    list_memberships = payload.get("list_memberships")
    return VendorContact(
        vendor=Vendor.CONSTANT_CONTACT,
        vendor_id=contact_id,
        email=payload.get("email_address", {}).get("address"),
        first_name=payload.get("first_name"),
        last_name=payload.get("last_name"),
        archived=bool(deleted_at),
        archived_at=iso_from_text(deleted_at),
        created_at=iso_from_text(payload.get("created_at")),
        updated_at=iso_from_text(payload.get("updated_at")),
        list_ids=None if list_memberships is None else tuple(list_memberships),
    )


def snapshot(payload: ContactResource) -> dict[str, Any]:
    """The restore material: the whole contact as `PUT /contacts/{contact_id}` takes it.

    A DELETE drops every list membership and a PUT overwrites what it leaves out with null, so the
    contact must have been fetched with `include=list_memberships` (and any other subresource to
    keep). Read-only fields are left out but for the email's consent history (`consent_history`,
    never written back, kept for the record); the SMS channel is rewritten to the PUT's shape.
    A contact already deleted is on no list any more: its lists are marked unknown
    (`lists_unknown`), not taken for "none".
    """
    if "list_memberships" not in payload:
        raise ValueError(
            "constant_contact: fetch the contact with include=list_memberships before saving it"
        )
    material = _project(payload, _CONTACT_PUT_SHAPE)
    material.pop("sms_channel", None)  # read and PUT shapes differ: rebuilt below
    sms_channel = _sms_channel_put(payload.get("sms_channel"))
    if sms_channel is not None:
        material["sms_channel"] = sms_channel
    email: Mapping[str, Any] = payload.get("email_address") or {}
    history = {key: email[key] for key in CONSENT_HISTORY if key in email}
    if history:
        material["consent_history"] = {"email_address": history}
    if payload.get("deleted_at"):
        del material["list_memberships"]
        material["lists_unknown"] = True
    return material


@dataclass(frozen=True)
class Revive:
    """The PUT that revives a contact, and what it cannot write back (field -> why)."""

    body: ContactPutRequest
    not_restored: dict[str, str]


def revive_lists(
    saved: Mapping[str, Any], restore_list_id: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """The lists a revive puts the contact on, and why they are not its own where they are not.

    A deleted contact is revived only onto one list or more (seed 004), and a contact is on 50
    at most: its saved lists, the first 50 of them; or the tenant's restore list when none are
    known; or a `ValueError` saying how to fix it when there is no restore list either."""
    lists = saved.get("list_memberships")
    known = isinstance(lists, list) and not saved.get("lists_unknown")
    ids = list(dict.fromkeys(str(item) for item in lists)) if known and lists else []
    if len(ids) > MAX_LISTS:
        dropped = len(ids) - MAX_LISTS
        return ids[:MAX_LISTS], {
            "list_memberships": (
                f"{dropped} of its {len(ids)} lists were not restored: Constant Contact puts a"
                f" contact on {MAX_LISTS} lists at most"
            )
        }
    if ids:
        return ids, {}
    why = (
        "it was on no list when it was saved"
        if known
        else "its lists are not known: it was deleted in Constant Contact before they were saved"
    )
    if restore_list_id:
        return [restore_list_id], {
            "list_memberships": f"{why}; it was revived on the tenant's restore list"
        }
    raise ValueError(
        f"{why}, and Constant Contact revives a deleted contact only onto a list: set a restore"
        " list (`restore_list_id`) in the tenant's Constant Contact credentials"
    )


def revive(
    saved: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    restore_list_id: str | None = None,
) -> Revive:
    """The `PUT /contacts/{contact_id}` that revives a deleted contact from its snapshot.

    `update_source` must be `Account` to revive; the lists are `revive_lists`'. Re-projected onto
    the PUT schema, so an old snapshot cannot send unknown fields. Consent is never taken from
    the snapshot: the email permission (and opt-out reason) sent is the one Constant Contact holds
    now in `current` (the contact as fetched before the PUT), and the SMS channel is not sent."""
    lists, not_restored = revive_lists(saved, restore_list_id)
    body = _project(saved, _CONTACT_PUT_SHAPE)
    body.pop("sms_channel", None)
    current_email = (current or {}).get("email_address") or {}
    if "email_address" in body:
        address = body["email_address"].get("address")
        email = {} if address is None else {"address": address}
        email |= {key: current_email[key] for key in CONSENT_STATE if key in current_email}
        body["email_address"] = email
    body["update_source"] = "Account"
    body["list_memberships"] = lists
    return Revive(cast(ContactPutRequest, body), not_restored | _not_written(saved, current_email))


def revive_body(
    saved: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    restore_list_id: str | None = None,
) -> ContactPutRequest:
    """`revive`'s body alone."""
    return revive(saved, current, restore_list_id).body


def _not_written(saved: Mapping[str, Any], current_email: Mapping[str, Any]) -> dict[str, str]:
    """What the snapshot holds that a revive does not write back, but for the lists."""
    found: dict[str, str] = {}
    if saved.get("update_source") not in (None, "Account"):
        found["update_source"] = UPDATED_BY_ACCOUNT
    saved_email = saved.get("email_address") or {}
    for key in CONSENT_STATE:
        if key in saved_email and saved_email[key] != current_email.get(key):
            found[f"email_address.{key}"] = CONSENT_KEPT
    history = (saved.get("consent_history") or {}).get("email_address") or {}
    for key in CONSENT_HISTORY:
        if key in history:
            found[f"email_address.{key}"] = NO_CONSENT_HISTORY
    if saved.get("sms_channel"):
        found["sms_channel"] = SMS_NOT_SENT
    return found


def bulk_delete_body(contact_ids: Iterable[str]) -> ContactDelete:
    """The `POST /activities/contact_delete` body: one activity deletes up to 500 contacts."""
    ids = list(contact_ids)
    if not ids:
        raise ValueError("constant_contact: a bulk delete needs at least one contact_id")
    if len(ids) > BULK_DELETE_LIMIT:
        raise ValueError(
            f"constant_contact: a bulk delete takes at most {BULK_DELETE_LIMIT} contact_ids,"
            f" got {len(ids)}"
        )
    return {"contact_ids": ids}


def deleted_since_query(updated_after: str | None, limit: int) -> dict[str, str | int]:
    """The query of `GET /contacts` that lists deleted contacts, those changed after
    `updated_after` (ISO 8601) when given: how deletes made in Constant Contact itself are found,
    since it has no webhooks for contacts. No subresources: the id and dates are what is needed."""
    if not 1 <= limit <= LIST_LIMIT:
        raise ValueError(f"constant_contact: a list page holds 1 to {LIST_LIMIT} contacts")
    query: dict[str, str | int] = {"status": "deleted", "limit": limit}
    if updated_after:
        query["updated_after"] = updated_after
    return query


def list_page(payload: Contacts) -> tuple[list[ContactResource], str | None]:
    """The contacts of one `GET /contacts` page and the href of the next (None on the last)."""
    following = payload.get("_links", {}).get("next", {})
    return list(payload.get("contacts", [])), following.get("href") or None


def error_message(payload: object) -> str | None:
    """The error array as one line (`error_key: error_message` per error), or None if the body
    is not one. Takes any JSON: the spec declares no error schema."""
    errors = _error_items(payload)
    parts = [
        f"{error.get('error_key')}: {error.get('error_message')}"
        if error.get("error_message")
        else str(error.get("error_key"))
        for error in errors
    ]
    return "; ".join(parts) or None


def is_throttled(payload: object) -> bool:
    """Whether a 429 body says `throttled` (4 requests/s) or `quota_exceeded` (10,000 a day).

    Constant Contact sends no rate-limit headers, so the error key is all there is to go on."""
    return any(error.get("error_key") in THROTTLED_ERROR_KEYS for error in _error_items(payload))


def quota_wait(payload: object) -> float | None:
    """An hour when the body says `quota_exceeded`: the 10,000-a-day quota does not come back
    within a retry budget, so the call fails now and a later retry (the stream's) tries again."""
    if any(error.get("error_key") == "quota_exceeded" for error in _error_items(payload)):
        return QUOTA_WAIT_SECONDS
    return None


def _error_items(payload: object) -> list[Mapping[str, Any]]:
    if isinstance(payload, Mapping):  # tolerate a single error object as well as the array
        payload = [payload]
    if not isinstance(payload, list):
        return []
    return [item for item in payload if isinstance(item, Mapping) and "error_key" in item]


def _project(value: Mapping[str, Any], shape: PutShape) -> dict[str, Any]:
    projected: dict[str, Any] = {}
    for key, inner in shape.items():
        if key not in value:
            continue
        field = value[key]
        if inner is None:
            projected[key] = list(field) if isinstance(field, list) else field
        elif isinstance(field, list):
            projected[key] = [_project(item, inner) for item in field if isinstance(item, Mapping)]
        elif isinstance(field, Mapping):
            projected[key] = _project(field, inner)
    return projected


def _sms_channel_put(sms_channel: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The read `sms_channel` as the PUT's `ContactSmsChannel`: the number with its dial code
    (`full_sms_address`) and each consent's permission and type, nothing read-only."""
    if not sms_channel or not sms_channel.get("sms_address"):
        return None
    consents = [
        {key: consent[key] for key in ("sms_consent_permission", "consent_type") if key in consent}
        for consent in sms_channel.get("sms_channel_consents", [])
    ]
    return {
        "full_sms_address": f"{sms_channel.get('dial_code') or ''}{sms_channel['sms_address']}",
        "sms_channel_consents": consents,
    }
