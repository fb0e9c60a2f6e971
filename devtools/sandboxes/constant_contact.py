"""A stateful fake of Constant Contact v3's contacts and bulk activities.

Implements what the client uses: fetch, list (`status=`, `limit`, `include=`, `updated_after`,
paged by `_links.next.href`), delete (keeps the contact with a `deleted_at` date and drops its list
memberships), PUT (revives a deleted contact with `update_source: "Account"` onto one or more
lists, within the spec's limits, read-only consent history refused: `constant_contact_rules.py`),
bulk delete and add-to-lists (which revives) by activity, polled one by one or listed
(`constant_contact_activities.py`), with Bearer auth,
`[{"error_key", "error_message"}]` errors, and per API key the 4 requests/s limit (429
`throttled`) and the 10,000 requests a day (429 `quota_exceeded`), without rate headers
(`VENDORS.md`, `vendor-specs/`, seed `004`).

And the OAuth2 token endpoint's refresh grant, with rotating refresh tokens: each refresh issues a
new access token and a new refresh token, and both old ones stop working.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal, cast

import httpx

from contact_archive.vendors.constant_contact.types import ContactResource
from devtools.sandboxes import constant_contact_oauth as oauth
from devtools.sandboxes import constant_contact_rules as rules
from devtools.sandboxes import constant_contact_views as views
from devtools.sandboxes.base import Faults, Sandbox, json_response
from devtools.sandboxes.constant_contact_activities import (
    ACTIVITY_SECONDS,
    ITEMS_PER_SECOND,
    Activities,
)

REQUESTS_PER_SECOND = 4
DAILY_QUOTA = 10_000  # requests a day per API key
TOKEN_PATH = "/oauth2/default/v1/token"  # noqa: S105 - a path, not a secret
# Subresources shown only when asked for with `include=`; a PUT that omits one keeps it.
SUBRESOURCES = rules.SUBRESOURCES
# What a PUT overwrites, with null when left out (`sms_channel` too: not a subresource).
_PUT_SCALARS = frozenset(rules.CONTACT_PUT.fields) - set(SUBRESOURCES) - {"update_source"}


class ConstantContactSandbox(Sandbox):
    """Constant Contact contacts in memory, limited per API key on `clock`: 4 requests a second
    and `daily_quota` requests a day (10,000; the day is the clock's UTC date, since when the
    vendor's day turns is not documented).

    One account and one app: `token` is the one valid access token (None once expired) and
    `refresh_token` the one valid refresh token. The app is public (`client_id` in the refresh
    form) unless it has a `client_secret` (then HTTP Basic). What Constant Contact does not
    document is a choice: `delete_deleted_status` answers a DELETE of a deleted contact, and an
    activity is carried out `activity_seconds` after it was created (and a second more per
    `items_per_second` contacts), once polled `polls_to_complete` times (`activities` holds
    the three, for a test to change).

    `effects` counts what writes did to contacts (`base.py`); `contact_effects` the same per
    contact, `(contact_id, "archived" | "restored")`: bulk activities included, whenever they
    run, each change of a contact counted once.
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
        daily_quota: int = DAILY_QUOTA,
        delete_deleted_status: Literal[204, 404] = 204,
        polls_to_complete: int = 0,
        activity_seconds: float = ACTIVITY_SECONDS,
        items_per_second: float = ITEMS_PER_SECOND,
    ) -> None:
        super().__init__(faults, sleep)
        self.token: str | None = token
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.requests_per_second = requests_per_second
        self.daily_quota = daily_quota
        self.delete_deleted_status = delete_deleted_status
        self._clock = clock
        self._contacts: dict[str, dict[str, Any]] = {}  # insertion order is list order
        self.contact_effects: Counter[tuple[str, str]] = Counter()
        self.activities = Activities(
            clock=lambda: self._clock(),
            timestamp=self._timestamp,
            errors=views.errors,
            delete=self._delete_in_bulk,
            add_lists=self._add_lists,
            polls_to_complete=polls_to_complete,
            activity_seconds=activity_seconds,
            items_per_second=items_per_second,
        )
        self._recent: deque[float] = deque()  # the key's accepted requests of the last second
        self._quota_day: date | None = None
        self._quota_used = 0  # requests let through on `_quota_day`
        self._refreshes = 0
        self.route("POST", TOKEN_PATH, self._refresh, guarded=False)
        self.route("GET", "/v3/contacts", self._list)
        self.route("GET", "/v3/contacts/{contact_id}", self._fetch)
        self.route("PUT", "/v3/contacts/{contact_id}", self._put)
        self.route("DELETE", "/v3/contacts/{contact_id}", self._delete)
        self.route("POST", "/v3/activities/contact_delete", self.activities.create_delete)
        self.route("POST", "/v3/activities/add_list_memberships", self.activities.create_add_lists)
        self.route("GET", "/v3/activities", self.activities.listing)
        self.route("GET", "/v3/activities/{activity_id}", self.activities.poll)

    # -- helpers for tests -------------------------------------------------------------------

    def add_contact(self, *, list_ids: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        """Put a contact in the account on `list_ids`; `fields` override `ContactResource` keys
        (`deleted_at` makes it a deleted one, `email="..."` sets `email_address.address`,
        `contact_id="..."` picks the id, as `make seed` does to seed the same ids again)."""
        now = self._timestamp()
        contact_id = str(fields.pop("contact_id", None) or uuid.uuid4())
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
        with self._lock:  # the server may be listing the contacts meanwhile
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

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Activities that are due are carried out first, whatever the request (a fault
        injected, a refusal, any path): the vendor works whether or not anyone asks. Outside
        the write's own before-and-after count, since they count their own effects."""
        with self._lock:
            self.activities.advance()
        return super().handle(request)

    def archived_states(self) -> dict[str, bool]:
        return {
            contact_id: bool(contact.get("deleted_at"))
            for contact_id, contact in self._contacts.items()
        }

    def admit(self, request: httpx.Request, call: Callable[[], httpx.Response]) -> httpx.Response:
        """The vendor's gate: Bearer token, then the day's quota, then 4 requests a second per
        API key. Only requests let through count toward either (not documented: a choice), each
        once, however many contacts it carries (an activity of 500 is one request)."""
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or token != self.token:
            return views.errors(401, "unauthorized", "Unauthorized")
        if self._quota_spent():
            return views.errors(429, "quota_exceeded", "Daily quota exceeded")
        if self._throttled():
            return views.errors(429, "throttled", "Too many requests")
        self._quota_used += 1
        return call()

    @property
    def quota_used(self) -> int:
        """Requests the key has used today (the clock's UTC day)."""
        with self._lock:
            self._quota_spent()  # a new day starts afresh
            return self._quota_used

    def _quota_spent(self) -> bool:
        """Whether the key has used the day's `daily_quota`; a new UTC day starts afresh."""
        today = self._today()
        if today != self._quota_day:
            self._quota_day, self._quota_used = today, 0
        return self._quota_used >= self.daily_quota

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
        """`POST /oauth2/default/v1/token` with `grant_type=refresh_token`. It rotates: the
        answer's pair replaces both tokens, the old ones are dead."""
        refused = oauth.refusal(
            request,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
        )
        if refused is not None:
            return refused
        self._refreshes += 1
        self.token = f"cc-access-{self._refreshes}-{uuid.uuid4().hex}"
        self.refresh_token = f"cc-refresh-{self._refreshes}-{uuid.uuid4().hex}"
        return oauth.token_answer(self.token, self.refresh_token)

    # -- contacts ----------------------------------------------------------------------------

    def _fetch(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        include = self._include(request)
        if include is None:
            return views.errors(400, "contacts.api.validation.error", "include is not valid")
        contact = self._contacts.get(params["contact_id"])
        if contact is None:
            return views.errors(404, "contacts.api.not_found", "Contact not found")
        return json_response(200, views.shown(contact, include))

    def _list(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return views.contacts_page(self._contacts, dict(request.url.params))

    def _delete(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contact = self._contacts.get(params["contact_id"])
        if contact is None or (contact.get("deleted_at") and self.delete_deleted_status == 404):
            return views.errors(404, "contacts.api.not_found", "Contact not found")
        self._mark_deleted(contact)
        return httpx.Response(204)

    def _put(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """Overwrite the contact with the body: properties left out become null, subresources
        left out stay. A deleted contact is revived by `update_source: Account`, onto one or more
        lists (seed 004: "un-delete deleted contacts by adding them to one or more lists")."""
        contact = self._contacts.get(params["contact_id"])
        if contact is None:
            return views.errors(404, "contacts.api.not_found", "Contact not found")
        try:
            body = json.loads(request.content)
        except ValueError:
            return views.errors(400, "contacts.api.validation.error", "body is not JSON")
        problem = rules.refusal(body)
        if problem is not None:
            return views.errors(400, "contacts.api.validation.error", problem)
        if not (body.get("email_address") or {}).get("address") and "sms_channel" not in body:
            return views.errors(400, "contacts.api.validation.error", "email_address is required")
        if contact.get("deleted_at"):
            if body["update_source"] != "Account":
                return views.errors(
                    409,
                    "contacts.api.conflict",
                    "a deleted contact is revived only with update_source Account",
                )
            if not body.get("list_memberships", contact.get("list_memberships")):
                return views.errors(
                    400,
                    "contacts.api.validation.error",
                    "a deleted contact is revived by adding it to one or more lists:"
                    " list_memberships is empty",
                )
        self._write(contact, body)
        return json_response(
            200, views.shown(contact, [key for key in SUBRESOURCES if key in body])
        )

    def _write(self, contact: dict[str, Any], body: dict[str, Any]) -> None:
        """Carry out a valid PUT: consent changes dated by `constant_contact_rules`, the phone
        numbers and street addresses sent given ids and dates of their own."""
        now = self._timestamp()
        email, sms = contact.get("email_address") or {}, contact.get("sms_channel")
        for key in _PUT_SCALARS:
            contact.pop(key, None)
        for key, value in copy.deepcopy(body).items():
            if key == "email_address":
                written = rules.email_after_put(email, value, now)
                written.setdefault("created_at", now)
                contact[key] = written
            elif key == "sms_channel":
                contact[key] = rules.sms_after_put(sms, value, now)
            elif key == "phone_numbers":
                contact[key] = rules.phone_numbers_after_put(value, body["update_source"], now)
            elif key == "street_addresses":
                contact[key] = rules.street_addresses_after_put(value, now)
            else:
                contact[key] = value
        contact.pop("deleted_at", None)
        contact["updated_at"] = now

    # -- what bulk activities do to one contact ----------------------------------------------

    def _delete_in_bulk(self, contact_id: str) -> str | None:
        """Delete as a DELETE does; a contact deleted already stays as it was (not documented:
        a choice, as for a repeated DELETE)."""
        contact = self._contacts.get(contact_id)
        if contact is None:
            return f"Contact {contact_id} not found"
        if not contact.get("deleted_at"):
            self._mark_deleted(contact)
            self._record(contact_id, "archived")
        return None

    def _add_lists(self, contact_id: str, list_ids: list[str]) -> str | None:
        """Add the contact to the lists, which revives a deleted one (seed 004). A contact can
        be on 50 lists at most (the activity's description); one that would be on more is left
        as it was and reported (how is not documented: an activity error, a choice)."""
        contact = self._contacts.get(contact_id)
        if contact is None:
            return f"Contact {contact_id} not found"
        lists = list(dict.fromkeys([*contact.get("list_memberships", []), *list_ids]))
        if len(lists) > rules.MAX_LISTS_PER_CONTACT:
            return f"Contact {contact_id} would be on more than {rules.MAX_LISTS_PER_CONTACT} lists"
        if lists != contact.get("list_memberships"):
            contact["list_memberships"] = lists
            contact["updated_at"] = self._timestamp()
        if contact.pop("deleted_at", None):
            self._record(contact_id, "restored")
        return None

    # -- state -------------------------------------------------------------------------------

    def _count_effects(self, before: dict[str, bool], after: dict[str, bool]) -> None:
        """A single write's effects, per contact too."""
        for contact_id, archived in after.items():
            if contact_id not in before:
                self._record(contact_id, "created")
            elif archived != before[contact_id]:
                self._record(contact_id, "archived" if archived else "restored")

    def _record(self, contact_id: str, effect: str) -> None:
        self.effects[effect] += 1
        self.contact_effects[contact_id, effect] += 1

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

    def _include(self, request: httpx.Request) -> list[str] | None:
        return views.include_values(request.url.params.get("include", ""))
