"""A stateful fake of Intercom 2.10's contacts: archived contacts vanish from lists and fetches.

Implements what the client uses: fetch, list by `starting_after`, create, archive and unarchive,
with Bearer auth, the required `Intercom-Version: 2.10` header, UNIX-second timestamps,
`X-RateLimit-*` headers and `error.list` errors (`VENDORS.md`, `vendor-specs/intercom-2.10.yaml`).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

import httpx

from contact_archive.vendors.intercom.types import (
    Contact,
    ContactArchived,
    ContactList,
    CreateContactRequest,
    CursorPages,
    Error,
)
from devtools.sandboxes.base import Faults, Sandbox, json_response
from devtools.webhooks import (
    INTERCOM_TEST_APP_ID,
    TEST_WEBHOOK_SECRET,
    SignedDelivery,
    intercom_delivery,
)

API_VERSION = "2.10"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 150
RATE_LIMIT_PER_MINUTE = 10_000  # per app, as documented
_FIRST_ID = 0x6657AC676ABD0166B52AE000  # ids look like Intercom's 24 hex digits
_CREATE_KEYS = frozenset(CreateContactRequest.__annotations__)
_ROLES = frozenset({"user", "lead"})


def _error(status: int, code: str, message: str, headers: dict[str, str]) -> httpx.Response:
    body: Error = {
        "type": "error.list",
        "request_id": str(uuid.uuid4()),
        "errors": [{"code": code, "message": message}],
    }
    return json_response(status, body, headers)


def _encode_cursor(contact_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([contact_id]).encode()).decode()


def _decode_cursor(cursor: str) -> str | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        return None
    if isinstance(decoded, list) and len(decoded) == 1 and isinstance(decoded[0], str):
        return decoded[0]
    return None


class IntercomSandbox(Sandbox):
    """Intercom contacts in memory; `contact()`, `archive_in_ui()` and `auto_unarchive()` act
    behind the API's back, the last two returning the signed webhook Intercom would send."""

    def __init__(
        self,
        token: str = "intercom-sandbox-token",  # noqa: S107 - a fake vendor's fake token
        *,
        faults: Faults | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rate_limit_per_minute: int = RATE_LIMIT_PER_MINUTE,
        workspace_id: str = "sandbox-workspace",
        app_id: str = INTERCOM_TEST_APP_ID,
        webhook_secret: str = TEST_WEBHOOK_SECRET,
    ) -> None:
        super().__init__(faults, sleep)
        self.token = token
        self.workspace_id = workspace_id
        self.app_id = app_id
        self.webhook_secret = webhook_secret
        self.rate_limit_per_minute = rate_limit_per_minute
        self._clock = clock
        self._contacts: dict[str, dict[str, Any]] = {}  # insertion order is list order
        self._next_id = _FIRST_ID
        self._window_start = 0
        self._window_count = 0
        self.route("GET", "/contacts", self._list)
        self.route("POST", "/contacts", self._create)
        self.route("GET", "/contacts/{id}", self._fetch)
        self.route("POST", "/contacts/{id}/archive", self._archive)
        self.route("POST", "/contacts/{id}/unarchive", self._unarchive)

    # -- helpers for tests -------------------------------------------------------------------

    def add_contact(self, **fields: Any) -> dict[str, Any]:
        """Put a contact in the workspace as Intercom would hold it (`archived=True` allowed)."""
        contact = self._new_contact(fields.pop("role", "user"))
        contact.update(fields)
        contact.setdefault("archived", False)
        self._contacts[contact["id"]] = contact
        return copy.deepcopy(contact)

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """The stored contact, archived ones included, with its `archived` flag."""
        found = self._contacts.get(contact_id)
        return None if found is None else copy.deepcopy(found)

    def auto_unarchive(self, contact_id: str) -> SignedDelivery:
        """What Intercom does when an archived person logs in again: unarchive without asking.

        Returns the signed `contact.unarchived` delivery Intercom would then send (not sent)."""
        with self._lock:
            contact = self._contacts[contact_id]
            now = self._now()
            contact.update(archived=False, last_seen_at=now, updated_at=now)
        return self.webhook("contact.unarchived", contact_id)

    def archive_in_ui(self, contact_id: str) -> SignedDelivery:
        """Someone archives the contact in Intercom's own UI; returns the signed
        `contact.archived` delivery Intercom would then send (not sent)."""
        with self._lock:
            self._contacts[contact_id].update(archived=True, updated_at=self._now())
        return self.webhook("contact.archived", contact_id)

    def webhook(self, topic: str, contact_id: str) -> SignedDelivery:
        """A signed delivery of `topic` about a stored contact, timed now, with this sandbox's
        app id and webhook secret."""
        return intercom_delivery(
            topic,
            contact_id,
            created_at=self._now(),
            external_id=self._contacts[contact_id]["external_id"],
            app_id=self.app_id,
            secret=self.webhook_secret,
        )

    # -- routing -----------------------------------------------------------------------------

    def archived_states(self) -> dict[str, bool]:
        return {
            contact_id: bool(contact["archived"]) for contact_id, contact in self._contacts.items()
        }

    def admit(self, request: httpx.Request, call: Callable[[], httpx.Response]) -> httpx.Response:
        """The vendor's gate: Bearer token, version header and per-minute allowance; every
        answer carries the X-RateLimit headers."""
        headers = self._rate_headers()
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "Access Token Invalid", headers)
        if int(headers["X-RateLimit-Remaining"]) < 0:
            headers["X-RateLimit-Remaining"] = "0"
            return _error(429, "rate_limit_exceeded", "Exceeded rate limit", headers)
        version = request.headers.get("Intercom-Version")
        if version != API_VERSION:
            return _error(
                400,
                "intercom_version_invalid",
                f"sandbox: Intercom-Version must be {API_VERSION}, got {version!r}",
                headers,
            )
        response = call()
        response.headers.update(headers)
        return response

    def _rate_headers(self) -> dict[str, str]:
        """One request spent of the current minute's allowance (remaining < 0 means over it)."""
        now = self._now()
        if now >= self._window_start + 60:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        return {
            "X-RateLimit-Limit": str(self.rate_limit_per_minute),
            "X-RateLimit-Remaining": str(self.rate_limit_per_minute - self._window_count),
            "X-RateLimit-Reset": str(self._window_start + 60),
        }

    # -- endpoints ---------------------------------------------------------------------------

    def _fetch(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contact = self._contacts.get(params["id"])
        if contact is None or contact["archived"]:
            # Archived contacts cannot be fetched: to the API they do not exist.
            return _error(404, "not_found", "User Not Found", {})
        return json_response(200, self._public(contact))

    def _list(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        query = request.url.params
        try:
            per_page = int(query.get("per_page", DEFAULT_PER_PAGE))
        except ValueError:
            per_page = 0
        if not 1 <= per_page <= MAX_PER_PAGE:
            return _error(400, "parameter_invalid", f"per_page must be 1-{MAX_PER_PAGE}", {})
        visible = [contact for contact in self._contacts.values() if not contact["archived"]]
        start = 0
        cursor = query.get("starting_after")
        if cursor:
            after = _decode_cursor(cursor)
            ids = [contact["id"] for contact in visible]
            if after is None or after not in self._contacts:
                return _error(400, "parameter_invalid", "starting_after is not valid", {})
            # The cursor's contact may have been archived since: resume after its old place.
            order = list(self._contacts)
            position = order.index(after)
            start = sum(1 for contact_id in ids if order.index(contact_id) <= position)
        page = visible[start : start + per_page]
        pages: CursorPages = {
            "type": "pages",
            "page": start // per_page + 1,
            "per_page": per_page,
            "total_pages": max(1, -(-len(visible) // per_page)),
        }
        if start + per_page < len(visible):
            pages["next"] = {"per_page": per_page, "starting_after": _encode_cursor(page[-1]["id"])}
        body: ContactList = {
            "type": "list",
            "data": [self._public(contact) for contact in page],
            "total_count": len(visible),
            "pages": pages,
        }
        return json_response(200, body)

    def _create(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        try:
            body = json.loads(request.content)
        except ValueError:
            return _error(400, "parameter_invalid", "body is not JSON", {})
        if not isinstance(body, dict):
            return _error(400, "parameter_invalid", "body must be an object", {})
        unknown = sorted(set(body) - _CREATE_KEYS)
        if unknown:
            return _error(400, "parameter_invalid", f"unknown fields: {unknown}", {})
        if not body.get("email") and not body.get("external_id"):
            return _error(400, "parameter_not_found", "requires email or external_id", {})
        role = body.get("role", "user")
        if role not in _ROLES:
            return _error(400, "parameter_invalid", f"role must be one of {sorted(_ROLES)}", {})
        for existing in self._contacts.values():
            same_email = body.get("email") and existing["email"] == body["email"]
            same_external = body.get("external_id") and existing["external_id"] == body.get(
                "external_id"
            )
            if existing["role"] == role and (same_email or same_external):
                return _error(
                    409,
                    "conflict",
                    f"A contact matching those details already exists with id={existing['id']}",
                    {},
                )
        contact = self._new_contact(role)
        for key in ("email", "external_id", "name", "phone", "signed_up_at", "last_seen_at"):
            if key in body:
                contact[key] = body[key]
        if body.get("email"):
            contact["email_domain"] = str(body["email"]).rpartition("@")[2]
        for key in ("owner_id", "unsubscribed_from_emails", "custom_attributes"):
            if body.get(key) is not None:
                contact[key] = body[key]
        if body.get("avatar"):
            contact["avatar"] = {"type": "avatar", "image_url": body["avatar"]}
        contact["archived"] = False
        self._contacts[contact["id"]] = contact
        return json_response(200, self._public(contact))

    def _archive(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return self._set_archived(params["id"], archived=True)

    def _unarchive(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return self._set_archived(params["id"], archived=False)

    def _set_archived(self, contact_id: str, *, archived: bool) -> httpx.Response:
        """Archive or unarchive; doing it twice answers 200 again, as Intercom does."""
        contact = self._contacts.get(contact_id)
        if contact is None:
            return _error(404, "not_found", "User Not Found", {})
        if contact["archived"] != archived:
            contact.update(archived=archived, updated_at=self._now())
        body: ContactArchived = {
            "type": "contact",
            "id": contact_id,
            "external_id": contact["external_id"],
            "archived": archived,
        }
        return json_response(200, body)

    # -- contacts ----------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _new_contact(self, role: str) -> dict[str, Any]:
        contact_id = f"{self._next_id:024x}"
        self._next_id += 1
        now = self._now()
        contact: Contact = {
            "type": "contact",
            "id": contact_id,
            "workspace_id": self.workspace_id,
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
            "tags": cast(Any, self._sublist(contact_id, "tags")),
            "notes": cast(Any, self._sublist(contact_id, "notes")),
            "companies": cast(Any, self._sublist(contact_id, "companies")),
            "location": {"type": "location", "country": None, "region": None, "city": None},
            "social_profiles": {"data": []},
        }
        return dict(contact)

    @staticmethod
    def _sublist(contact_id: str, name: str) -> dict[str, Any]:
        return {
            "type": "list",
            "data": [],
            "url": f"/contacts/{contact_id}/{name}",
            "total_count": 0,
            "has_more": False,
        }

    @staticmethod
    def _public(contact: dict[str, Any]) -> Contact:
        """The contact as the 2.10 API shows it: the `contact` schema has no `archived`."""
        shown = {key: value for key, value in contact.items() if key != "archived"}
        return cast(Contact, copy.deepcopy(shown))
