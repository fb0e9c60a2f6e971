"""The Intercom sandbox's rules that are not endpoints: `error.list` answers, `starting_after`
cursors and pages, the writable fields of a create or update, and the per-minute allowances.

Sources: `vendor-specs/intercom-2.10.yaml` (`create_contact_request`, `update_contact_request`,
`cursor_pages`, `error`) and `VENDORS.md` (10,000 requests a minute per app, 25,000 per
workspace, `X-RateLimit-Limit/Remaining/Reset`).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import httpx

from contact_archive.vendors.intercom.types import (
    Contact,
    ContactList,
    CreateContactRequest,
    CursorPages,
    Error,
    ErrorItem,
    UpdateContactRequest,
)
from devtools.sandboxes.base import json_response

DEFAULT_PER_PAGE = 50  # "The default is `50` results per page" (list and search)
# Not documented in the 2.10 spec: the most a page holds. Chose 150, Intercom's pagination guide.
MAX_PER_PAGE = 150
WINDOW_SECONDS = 60
ROLES = frozenset({"user", "lead"})

# Each writable field (both request schemas declare the same ones): its JSON type, and whether
# the schema lets it be null.
WRITABLE: Mapping[str, tuple[type, bool]] = {
    "role": (str, False),
    "external_id": (str, False),
    "email": (str, False),
    "phone": (str, True),
    "name": (str, True),
    "avatar": (str, True),
    "signed_up_at": (int, True),
    "last_seen_at": (int, True),
    "owner_id": (int, True),
    "unsubscribed_from_emails": (bool, True),
    "custom_attributes": (dict, True),
}
assert set(WRITABLE) == set(CreateContactRequest.__annotations__)
assert set(WRITABLE) == set(UpdateContactRequest.__annotations__)


def error(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    field: str | None = None,
) -> httpx.Response:
    """An `error.list` answer with one error."""
    item: ErrorItem = {"code": code, "message": message}
    if field is not None:
        item["field"] = field
    body: Error = {"type": "error.list", "request_id": str(uuid.uuid4()), "errors": [item]}
    return json_response(status, body, dict(headers or {}))


def not_found() -> httpx.Response:
    """What Intercom answers for a contact it does not show: unknown, archived, deleted, merged."""
    return error(404, "not_found", "User Not Found")


class Refused(Exception):
    """A request the sandbox answers with a 4xx `error.list`; raised by the validators."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self) -> httpx.Response:
        return error(self.status, self.code, self.message, field=self.field)


def json_object(request: httpx.Request) -> dict[str, Any]:
    """The request's JSON object body, or `Refused`."""
    try:
        body = json.loads(request.content)
    except ValueError:
        raise Refused(400, "parameter_invalid", "body is not JSON") from None
    if not isinstance(body, dict):
        raise Refused(400, "parameter_invalid", "body must be an object")
    return body


def check_writes(body: Mapping[str, Any]) -> None:
    """Refuse a create or update body with a key the schema does not declare (read-only fields
    such as `created_at` included), a value of the wrong type, or an unknown role."""
    unknown = sorted(set(body) - set(WRITABLE))
    if unknown:
        raise Refused(400, "parameter_invalid", f"unknown fields: {unknown}", unknown[0])
    for key, value in body.items():
        kind, nullable = WRITABLE[key]
        if value is None and nullable:
            continue
        # JSON true is not an integer, though Python's bool is an int
        wrong_bool = isinstance(value, bool) and kind is not bool
        if wrong_bool or not isinstance(value, kind):
            raise Refused(400, "parameter_invalid", f"{key} must be a {kind.__name__}", key)
    if "role" in body and body["role"] not in ROLES:
        raise Refused(400, "parameter_invalid", f"role must be one of {sorted(ROLES)}", "role")


def write(contact: dict[str, Any], body: Mapping[str, Any]) -> None:
    """Apply a checked create or update body to a stored contact, as the contact then shows it.

    Not documented, chose: a null for a field the contact never shows as null
    (`unsubscribed_from_emails`, `custom_attributes`) changes nothing, and `custom_attributes`
    sets the attributes given and keeps the others."""
    for key, value in body.items():
        if key == "avatar":
            contact["avatar"] = {"type": "avatar", "image_url": value} if value else None
        elif key == "custom_attributes":
            if value is not None:
                contact["custom_attributes"] = {**contact["custom_attributes"], **value}
        elif key == "unsubscribed_from_emails":
            if value is not None:
                contact[key] = value
        elif key == "email":
            contact["email"] = value
            if value:
                contact["email_domain"] = value.rpartition("@")[2]
            else:
                contact.pop("email_domain", None)
        else:
            contact[key] = value


def holder_of(
    contacts: Mapping[str, Mapping[str, Any]], candidate: Mapping[str, Any]
) -> str | None:
    """The id of another contact of the same role holding `candidate`'s email or external id:
    Intercom refuses such a create (409), and (not documented for updates, chose alike) such an
    update."""
    for existing in contacts.values():
        if existing["id"] == candidate.get("id") or existing["role"] != candidate["role"]:
            continue
        same_email = candidate.get("email") and existing["email"] == candidate["email"]
        same_external = candidate.get("external_id") and (
            existing["external_id"] == candidate["external_id"]
        )
        if same_email or same_external:
            return str(existing["id"])
    return None


def conflict(holder: str) -> Refused:
    return Refused(
        409, "conflict", f"A contact matching those details already exists with id={holder}"
    )


# -- pages ------------------------------------------------------------------------------------


def encode_cursor(contact_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([contact_id]).encode()).decode()


def decode_cursor(cursor: str) -> str | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        return None
    if isinstance(decoded, list) and len(decoded) == 1 and isinstance(decoded[0], str):
        return decoded[0]
    return None


def per_page_of(value: object) -> int:
    """A page size from the query string or a search body, or `Refused`."""
    if value is None:
        return DEFAULT_PER_PAGE
    try:
        per_page = 0 if isinstance(value, bool) else int(str(value))
    except ValueError:
        per_page = 0
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise Refused(400, "parameter_invalid", f"per_page must be 1-{MAX_PER_PAGE}", "per_page")
    return per_page


def page_of(
    matching: list[dict[str, Any]],
    positions: Mapping[str, int],
    per_page: int,
    cursor: str | None,
) -> ContactList:
    """One page of `matching` (in workspace order) after `cursor`, as a `contact_list`.

    The cursor names the last contact of the page before; it resumes after that contact's place
    even when it has since been archived, deleted or merged (`positions` keeps every id ever
    made)."""
    start = 0
    if cursor:
        after = decode_cursor(cursor)
        if after is None or after not in positions:
            raise Refused(400, "parameter_invalid", "starting_after is not valid", "starting_after")
        start = sum(1 for contact in matching if positions[contact["id"]] <= positions[after])
    page = matching[start : start + per_page]
    pages: CursorPages = {
        "type": "pages",
        "page": start // per_page + 1,
        "per_page": per_page,
        "total_pages": max(1, -(-len(matching) // per_page)),
    }
    if start + per_page < len(matching):
        pages["next"] = {"per_page": per_page, "starting_after": encode_cursor(page[-1]["id"])}
    return {
        "type": "list",
        "data": [public(contact) for contact in page],
        "total_count": len(matching),
        "pages": pages,
    }


def new_contact(contact_id: str, role: str, workspace_id: str, now: int) -> dict[str, Any]:
    """A contact as Intercom makes it: every field the 2.10 `contact` schema declares, unset."""
    contact: Contact = {
        "type": "contact",
        "id": contact_id,
        "workspace_id": workspace_id,
        "external_id": None,
        "role": role,
        "email": "",
        "phone": None,
        "name": None,
        "avatar": None,
        "owner_id": None,
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": False,
        "created_at": now,
        "updated_at": now,
        "signed_up_at": None,
        "last_seen_at": None,
        "last_replied_at": None,
        "last_contacted_at": None,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": None,
        "browser": None,
        "browser_version": None,
        "browser_language": None,
        "os": None,
        "custom_attributes": {},
        "tags": cast(Any, _sublist(contact_id, "tags")),
        "notes": cast(Any, _sublist(contact_id, "notes")),
        "companies": cast(Any, _sublist(contact_id, "companies")),
        "location": {"type": "location", "country": None, "region": None, "city": None},
        "social_profiles": {"data": []},
    }
    return dict(contact)


def _sublist(contact_id: str, name: str) -> dict[str, Any]:
    return {
        "type": "list",
        "data": [],
        "url": f"/contacts/{contact_id}/{name}",
        "total_count": 0,
        "has_more": False,
    }


def public(contact: Mapping[str, Any]) -> Contact:
    """The contact as the 2.10 API shows it: the `contact` schema has no `archived`."""
    shown = {key: value for key, value in contact.items() if key != "archived"}
    return cast(Contact, copy.deepcopy(shown))


# -- rate limits ------------------------------------------------------------------------------


@dataclass
class RateWindow:
    """A per-minute allowance in fixed windows: a window starts at the first request after the
    last one ended. Intercom documents the limits per minute and the headers, not how a minute
    is cut; chose fixed windows."""

    limit: int
    start: int = 0
    count: int = 0

    def spend(self, now: int) -> None:
        if now >= self.start + WINDOW_SECONDS:
            self.start, self.count = now, 0
        self.count += 1

    @property
    def remaining(self) -> int:
        """What is left of this window; below zero once a request went over."""
        return self.limit - self.count

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": str(self.start + WINDOW_SECONDS),
        }
