"""How the Constant Contact sandbox shows things: a contact with the subresources asked for, a page
of `GET /contacts` (filters, `limit`, `_links.next.href`), and the vendor's error array."""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import httpx

from contact_archive.vendors.constant_contact.types import (
    ContactResource,
    Contacts,
    ErrorResponseItem,
)
from devtools.sandboxes.base import json_response
from devtools.sandboxes.constant_contact_rules import SUBRESOURCES

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
STATUSES = frozenset({"all", "active", "deleted"})


def errors(status: int, key: str, message: str) -> httpx.Response:
    """`[{"error_key": ..., "error_message": ...}]`, the vendor's documented error body."""
    body: list[ErrorResponseItem] = [{"error_key": key, "error_message": message}]
    return json_response(status, body)


def include_values(text: str) -> list[str] | None:
    """The subresources an `include=` asks for, or None if it names something else."""
    values = [value for value in text.split(",") if value]
    return values if set(values) <= set(SUBRESOURCES) else None


def shown(contact: Mapping[str, Any], include: list[str]) -> dict[str, Any]:
    """The contact as the API shows it: subresources only when included."""
    visible = {
        key: value for key, value in contact.items() if key not in SUBRESOURCES or key in include
    }
    for key in include:
        visible.setdefault(key, [])
    return copy.deepcopy(visible)


def contacts_page(contacts: Mapping[str, dict[str, Any]], query: dict[str, str]) -> httpx.Response:
    """One page of `GET /contacts` over `contacts` (in list order): the first page's query, or a
    `cursor` carrying it and where the previous page ended."""
    if "cursor" in query:
        state = _decode_cursor(query["cursor"])
        if state is None:
            return errors(400, "contacts.api.validation.error", "cursor is not valid")
    else:
        state = {key: query[key] for key in query}
        state.setdefault("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(state["limit"])
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return errors(400, "contacts.api.validation.error", f"limit must be 1-{MAX_LIMIT}")
    statuses = set(filter(None, state.get("status", "").split(",")))
    if not statuses <= STATUSES:
        return errors(
            400,
            "contacts.api.validation.error",
            f"sandbox: status filters other than {sorted(STATUSES)} are not modelled",
        )
    include = include_values(state.get("include", ""))
    if include is None:
        return errors(400, "contacts.api.validation.error", "include is not valid")
    updated_after = None
    if state.get("updated_after"):
        updated_after = _parse_instant(state["updated_after"])
        if updated_after is None:
            return errors(400, "contacts.api.validation.error", "updated_after is not valid")
    matching = [
        contact
        for contact in contacts.values()
        if _status_matches(contact, statuses)
        and (updated_after is None or _updated_since(contact, updated_after))
    ]
    start = 0
    if state.get("after"):
        # Where the previous page ended in list order (one pass: accounts of 10,000 are paged)
        positions = {contact_id: index for index, contact_id in enumerate(contacts)}
        position = positions.get(state["after"], -1)
        start = sum(1 for contact in matching if positions[contact["contact_id"]] <= position)
    page = matching[start : start + limit]
    body: Contacts = {
        "contacts": [cast(ContactResource, shown(contact, include)) for contact in page]
    }
    if str(state.get("include_count", "")).lower() == "true":
        body["contacts_count"] = len(matching)
    if start + limit < len(matching):
        following = {**state, "after": page[-1]["contact_id"]}
        body["_links"] = {"next": {"href": f"/v3/contacts?cursor={_encode_cursor(following)}"}}
    return json_response(200, body)


def _encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode_cursor(cursor: str) -> dict[str, Any] | None:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _parse_instant(text: str) -> datetime | None:
    """An ISO-8601 date-time (or a date, read as midnight UTC) as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _updated_since(contact: Mapping[str, Any], instant: datetime) -> bool:
    updated = _parse_instant(contact.get("updated_at", ""))
    return updated is not None and updated > instant


def _status_matches(contact: Mapping[str, Any], statuses: set[str]) -> bool:
    if "all" in statuses:
        return True
    deleted = bool(contact.get("deleted_at"))
    if not statuses:  # the default leaves deleted contacts out
        return not deleted
    return ("deleted" in statuses and deleted) or ("active" in statuses and not deleted)
