"""A stateful fake of Constant Contact v3's contacts and bulk delete activities.

Implements what the client uses: fetch, list (`status=`, `limit`, `include=`, `updated_after`,
paged by `_links.next.href`), delete (keeps the contact with a `deleted_at` date and drops its list
memberships), PUT (revives a deleted contact with `update_source: "Account"`), bulk delete by
activity, with Bearer auth, `[{"error_key", "error_message"}]` errors and the 4 requests/s limit
per API key answered by 429 `throttled` without rate headers (`VENDORS.md`, `vendor-specs/`).

And the OAuth2 token endpoint's refresh grant, with rotating refresh tokens: each refresh issues a
new access token and a new refresh token, and both old ones stop working.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal, cast
from urllib.parse import parse_qsl

import httpx

from contact_archive.vendors.constant_contact.types import (
    ActivityDeleteStatus,
    ContactPutRequest,
    ContactResource,
    Contacts,
    ErrorResponseItem,
)
from devtools.sandboxes.base import Faults, Sandbox, json_response

REQUESTS_PER_SECOND = 4
TOKEN_PATH = "/oauth2/default/v1/token"  # noqa: S105 - a path, not a secret
ACCESS_TOKEN_SECONDS = 86_400  # about a day, as documented
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
BULK_DELETE_LIMIT = 500
MAX_QUEUED_ACTIVITIES = 1_000
# Subresources shown only when asked for with `include=`; a PUT that omits one keeps it.
SUBRESOURCES = (
    "custom_fields",
    "list_memberships",
    "phone_numbers",
    "street_addresses",
    "taggings",
    "notes",
)
STATUSES = frozenset({"all", "active", "deleted"})
_PUT_KEYS = frozenset(ContactPutRequest.__annotations__)
_PUT_SCALARS = _PUT_KEYS - set(SUBRESOURCES) - {"update_source"}


def _errors(status: int, key: str, message: str) -> httpx.Response:
    body: list[ErrorResponseItem] = [{"error_key": key, "error_message": message}]
    return json_response(status, body)


def _oauth_error(status: int, error: str, description: str) -> httpx.Response:
    """The token endpoint's errors are OAuth2's (RFC 6749 5.2), not the API's error array."""
    return json_response(status, {"error": error, "error_description": description})


def _activity_shown(activity: dict[str, Any]) -> dict[str, Any]:
    """An activity as the API shows it, without the sandbox's own bookkeeping."""
    return copy.deepcopy(
        {key: value for key, value in activity.items() if key not in {"contact_ids", "polls"}}
    )


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


class ConstantContactSandbox(Sandbox):
    """Constant Contact contacts in memory, throttled at 4 requests/s per API key on `clock`.

    One account and one app: `token` is the one valid access token (None once expired) and
    `refresh_token` the one valid refresh token. The app is public (`client_id` in the refresh
    form) unless it has a `client_secret` (then HTTP Basic). What Constant Contact does not
    document is a choice: `delete_deleted_status` answers a DELETE of a deleted contact, and an
    activity completes on its `polls_to_complete`-th poll.
    """

    def __init__(
        self,
        token: str = "constant-contact-sandbox-token",  # noqa: S107 - a fake vendor's fake token
        *,
        refresh_token: str = "constant-contact-sandbox-refresh",  # noqa: S107 - a fake token
        client_id: str = "constant-contact-sandbox-client",
        client_secret: str | None = None,
        faults: Faults | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        requests_per_second: int = REQUESTS_PER_SECOND,
        delete_deleted_status: Literal[204, 404] = 204,
        polls_to_complete: int = 1,
    ) -> None:
        super().__init__(faults, sleep)
        self.token: str | None = token
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.requests_per_second = requests_per_second
        self.delete_deleted_status = delete_deleted_status
        self.polls_to_complete = polls_to_complete
        self._clock = clock
        self._contacts: dict[str, dict[str, Any]] = {}  # insertion order is list order
        self._activities: dict[str, dict[str, Any]] = {}
        self._recent: deque[float] = deque()  # the key's accepted requests of the last second
        self._refreshes = 0
        self.route("POST", TOKEN_PATH, self._refresh, guarded=False)
        self.route("GET", "/v3/contacts", self._list)
        self.route("GET", "/v3/contacts/{contact_id}", self._fetch)
        self.route("PUT", "/v3/contacts/{contact_id}", self._put)
        self.route("DELETE", "/v3/contacts/{contact_id}", self._delete)
        self.route("POST", "/v3/activities/contact_delete", self._bulk_delete)
        self.route("GET", "/v3/activities/{activity_id}", self._activity)

    # -- helpers for tests -------------------------------------------------------------------

    def add_contact(self, *, list_ids: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        """Put a contact in the account on `list_ids`; `fields` override `ContactResource` keys
        (`deleted_at` makes it a deleted one, `email="..."` sets `email_address.address`)."""
        now = self._timestamp()
        contact_id = str(uuid.uuid4())
        email = fields.pop("email", None) or f"{contact_id[:8]}@example.com"
        contact: ContactResource = {
            "contact_id": contact_id,
            "email_address": {
                "address": email,
                "permission_to_send": "implicit",
                "created_at": now,
                "updated_at": now,
                "opt_in_source": "Account",
                "opt_in_date": now,
                "confirm_status": "off",
            },
            "create_source": "Account",
            "update_source": "Account",
            "created_at": now,
            "updated_at": now,
            "list_memberships": list(list_ids or []),
        }
        stored = cast(dict[str, Any], contact) | fields
        if stored.get("deleted_at"):
            stored["list_memberships"] = []
        self._contacts[contact_id] = stored
        return copy.deepcopy(stored)

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """The stored contact with every subresource, deleted or not."""
        found = self._contacts.get(contact_id)
        return None if found is None else copy.deepcopy(found)

    def expire_access_token(self) -> None:
        """What a day does to the access token: every request with it is a 401 until a refresh."""
        self.token = None

    # -- routing -----------------------------------------------------------------------------

    def archived_states(self) -> dict[str, bool]:
        return {
            contact_id: bool(contact.get("deleted_at"))
            for contact_id, contact in self._contacts.items()
        }

    def admit(self, request: httpx.Request, call: Callable[[], httpx.Response]) -> httpx.Response:
        """The vendor's gate: Bearer token, then 4 requests a second per API key."""
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or token != self.token:
            return _errors(401, "unauthorized", "Unauthorized")
        if self._throttled():
            return _errors(429, "throttled", "Too many requests")
        return call()

    def _throttled(self) -> bool:
        """Whether this request is the fifth within one second of the key's accepted ones,
        whichever of the key's access tokens it carries: a refresh does not reset the limit."""
        now = self._clock()
        recent = self._recent
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) >= self.requests_per_second:
            return True
        recent.append(now)
        return False

    # -- OAuth2 ------------------------------------------------------------------------------

    def _refresh(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`POST /oauth2/default/v1/token` with `grant_type=refresh_token` (RFC 6749 6), the form
        in the body. It rotates: the answer's pair replaces both tokens, the old ones are dead."""
        if not request.headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return _oauth_error(400, "invalid_request", "The body must be a form.")
        form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        if not self._client_authenticated(request, form):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type", "Only refresh_token is modelled.")
        if form.get("refresh_token") != self.refresh_token:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid or expired.")
        self._refreshes += 1
        self.token = f"cc-access-{self._refreshes}-{uuid.uuid4().hex}"
        self.refresh_token = f"cc-refresh-{self._refreshes}-{uuid.uuid4().hex}"
        body = {
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "access_token": self.token,
            "scope": "contact_data offline_access",
            "refresh_token": self.refresh_token,
        }
        return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _client_authenticated(self, request: httpx.Request, form: dict[str, str]) -> bool:
        """A confidential app sends `client_id:client_secret` as HTTP Basic; a public (PKCE) app
        sends its `client_id` in the form."""
        if self.client_secret is None:
            return form.get("client_id") == self.client_id
        pair = f"{self.client_id}:{self.client_secret}".encode()
        expected = "Basic " + base64.b64encode(pair).decode()
        return hmac.compare_digest(request.headers.get("Authorization", ""), expected)

    # -- contacts ----------------------------------------------------------------------------

    def _fetch(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        include = self._include(request)
        if include is None:
            return _errors(400, "contacts.api.validation.error", "include is not valid")
        contact = self._contacts.get(params["contact_id"])
        if contact is None:
            return _errors(404, "contacts.api.not_found", "Contact not found")
        return json_response(200, self._shown(contact, include))

    def _list(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        query = dict(request.url.params)
        if "cursor" in query:
            state = _decode_cursor(query["cursor"])
            if state is None:
                return _errors(400, "contacts.api.validation.error", "cursor is not valid")
        else:
            state = {key: query[key] for key in query}
            state.setdefault("limit", str(DEFAULT_LIMIT))
        try:
            limit = int(state["limit"])
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            return _errors(400, "contacts.api.validation.error", f"limit must be 1-{MAX_LIMIT}")
        statuses = set(filter(None, state.get("status", "").split(",")))
        if not statuses <= STATUSES:
            return _errors(
                400,
                "contacts.api.validation.error",
                f"sandbox: status filters other than {sorted(STATUSES)} are not modelled",
            )
        include = self._include_values(state.get("include", ""))
        if include is None:
            return _errors(400, "contacts.api.validation.error", "include is not valid")
        updated_after = None
        if state.get("updated_after"):
            updated_after = _parse_instant(state["updated_after"])
            if updated_after is None:
                return _errors(400, "contacts.api.validation.error", "updated_after is not valid")
        matching = [
            contact
            for contact in self._contacts.values()
            if self._status_matches(contact, statuses)
            and (updated_after is None or self._updated_since(contact, updated_after))
        ]
        start = 0
        if state.get("after"):
            order = list(self._contacts)
            position = order.index(state["after"]) if state["after"] in order else -1
            start = sum(1 for contact in matching if order.index(contact["contact_id"]) <= position)
        page = matching[start : start + limit]
        body: Contacts = {
            "contacts": [cast(ContactResource, self._shown(contact, include)) for contact in page]
        }
        if str(state.get("include_count", "")).lower() == "true":
            body["contacts_count"] = len(matching)
        if start + limit < len(matching):
            following = {**state, "after": page[-1]["contact_id"]}
            body["_links"] = {"next": {"href": f"/v3/contacts?cursor={_encode_cursor(following)}"}}
        return json_response(200, body)

    def _delete(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contact = self._contacts.get(params["contact_id"])
        if contact is None or (contact.get("deleted_at") and self.delete_deleted_status == 404):
            return _errors(404, "contacts.api.not_found", "Contact not found")
        self._mark_deleted(contact)
        return httpx.Response(204)

    def _put(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contact = self._contacts.get(params["contact_id"])
        if contact is None:
            return _errors(404, "contacts.api.not_found", "Contact not found")
        try:
            body = json.loads(request.content)
        except ValueError:
            return _errors(400, "contacts.api.validation.error", "body is not JSON")
        if not isinstance(body, dict):
            return _errors(400, "contacts.api.validation.error", "body must be an object")
        unknown = sorted(set(body) - _PUT_KEYS)
        if unknown:
            return _errors(400, "contacts.api.validation.error", f"unknown fields: {unknown}")
        if not body.get("update_source"):
            return _errors(400, "contacts.api.validation.error", "update_source is required")
        address = (body.get("email_address") or {}).get("address")
        if not address and "sms_channel" not in body:
            return _errors(400, "contacts.api.validation.error", "email_address is required")
        if contact.get("deleted_at") and body["update_source"] != "Account":
            return _errors(
                409,
                "contacts.api.conflict",
                "a deleted contact is revived only with update_source Account",
            )
        now = self._timestamp()
        # Every property is overwritten (left out means null); subresources only when given.
        for key in _PUT_SCALARS:
            contact.pop(key, None)
        for key, value in body.items():
            if key == "email_address":
                contact["email_address"] = {
                    **contact.get("email_address", {}),
                    **value,
                    "updated_at": now,
                }
            else:
                contact[key] = copy.deepcopy(value)
        contact.pop("deleted_at", None)
        contact["updated_at"] = now
        return json_response(
            200, self._shown(contact, [key for key in SUBRESOURCES if key in body])
        )

    # -- bulk activities ---------------------------------------------------------------------

    def _bulk_delete(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        try:
            body = json.loads(request.content)
        except ValueError:
            return _errors(400, "contacts.api.validation.error", "body is not JSON")
        contact_ids = body.get("contact_ids") if isinstance(body, dict) else None
        if (
            not isinstance(contact_ids, list)
            or not contact_ids
            or not all(isinstance(item, str) for item in contact_ids)
        ):
            return _errors(400, "contacts.api.validation.error", "contact_ids is required")
        if len(contact_ids) > BULK_DELETE_LIMIT:
            return _errors(
                400,
                "contacts.api.validation.error",
                f"at most {BULK_DELETE_LIMIT} contact_ids per activity",
            )
        queued = sum(1 for item in self._activities.values() if item["state"] != "completed")
        if queued >= MAX_QUEUED_ACTIVITIES:
            return _errors(429, "too_many_activities", "more than 1,000 activities queued")
        now = self._timestamp()
        activity_id = str(uuid.uuid4())
        activity: ActivityDeleteStatus = {
            "activity_id": activity_id,
            "state": "initialized",
            "created_at": now,
            "updated_at": now,
            "percent_done": 0,
            "activity_errors": [],
            "status": {"items_total_count": len(contact_ids), "items_completed_count": 0},
            "_links": {"self": {"href": f"/v3/activities/{activity_id}"}},
        }
        self._activities[activity_id] = {**activity, "contact_ids": list(contact_ids), "polls": 0}
        return json_response(201, activity)

    def _activity(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """The activity's status: `processing` until its `polls_to_complete`-th poll, which runs
        the deletes and completes it."""
        activity = self._activities.get(params["activity_id"])
        if activity is None:
            return _errors(404, "activities.api.not_found", "Activity not found")
        if activity["state"] != "completed":
            now = self._timestamp()
            activity["polls"] += 1
            activity.setdefault("started_at", now)
            if activity["polls"] < self.polls_to_complete:
                activity.update(state="processing", updated_at=now)
                return json_response(200, _activity_shown(activity))
            done = 0
            for contact_id in activity["contact_ids"]:
                contact = self._contacts.get(contact_id)
                if contact is None:
                    activity["activity_errors"].append(f"Contact {contact_id} not found")
                    continue
                self._mark_deleted(contact)
                done += 1
            activity.update(
                state="completed",
                completed_at=now,
                updated_at=now,
                percent_done=100,
            )
            activity["status"]["items_completed_count"] = done
        return json_response(200, _activity_shown(activity))

    # -- state -------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _timestamp(self) -> str:
        return self._now().isoformat(timespec="seconds")

    def _today(self) -> date:
        return self._now().date()

    def _mark_deleted(self, contact: dict[str, Any]) -> None:
        """Delete as Constant Contact does: a `deleted_at` date and no list memberships left.
        A second delete keeps the first date (not documented by the vendor)."""
        contact.setdefault("deleted_at", self._today().isoformat())
        contact["list_memberships"] = []
        contact["updated_at"] = self._timestamp()

    @staticmethod
    def _updated_since(contact: dict[str, Any], instant: datetime) -> bool:
        updated = _parse_instant(contact.get("updated_at", ""))
        return updated is not None and updated > instant

    @staticmethod
    def _status_matches(contact: dict[str, Any], statuses: set[str]) -> bool:
        if "all" in statuses:
            return True
        deleted = bool(contact.get("deleted_at"))
        if not statuses:  # the default leaves deleted contacts out
            return not deleted
        return ("deleted" in statuses and deleted) or ("active" in statuses and not deleted)

    def _include(self, request: httpx.Request) -> list[str] | None:
        return self._include_values(request.url.params.get("include", ""))

    @staticmethod
    def _include_values(text: str) -> list[str] | None:
        values = [value for value in text.split(",") if value]
        return values if set(values) <= set(SUBRESOURCES) else None

    @staticmethod
    def _shown(contact: dict[str, Any], include: list[str]) -> dict[str, Any]:
        """The contact as the API shows it: subresources only when included."""
        shown = {
            key: value
            for key, value in contact.items()
            if key not in SUBRESOURCES or key in include
        }
        for key in include:
            shown.setdefault(key, [])
        return copy.deepcopy(shown)
