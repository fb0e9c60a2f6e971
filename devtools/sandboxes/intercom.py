"""A stateful fake of Intercom 2.10's contacts: archived contacts vanish from lists and fetches.

Serves fetch, list by `starting_after`, create, update (`PUT`), delete, archive, unarchive,
merge (a lead into a user) and search, with Bearer auth, the required `Intercom-Version: 2.10`
header, UNIX-second timestamps, `error.list` errors, and the per-app and per-workspace minute
allowances with their `X-RateLimit-*` headers (`VENDORS.md`, `vendor-specs/intercom-2.10.yaml`).
The rules that are not endpoints are in `intercom_rules.py`, the search language in
`intercom_search.py`.

One sandbox is one workspace: its apps (one per token, `add_app`) share its contacts and its
workspace allowance, and each has an allowance of its own.

Chosen where 2.10 says nothing (each a defensive reading, named where it is applied): an
archived contact is 404 to every call by id but archive and unarchive (update and delete
included), as a deleted or merged-away one is to all of them; search leaves archived contacts
out (`search_shows_archived` turns that around); a contact created through the API is missing
from search for `search_delay_seconds` ("Contact Creation Delay": "a few minutes"; how long is
not documented, so 0 unless a test sets it).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import httpx

from contact_archive.vendors.intercom.types import ContactArchived, ContactDeleted
from devtools.sandboxes.base import Faults, Sandbox, json_response
from devtools.sandboxes.intercom_rules import (
    RateWindow,
    Refused,
    check_writes,
    conflict,
    error,
    holder_of,
    json_object,
    new_contact,
    not_found,
    page_of,
    per_page_of,
    public,
    write,
)
from devtools.sandboxes.intercom_search import parse_search
from devtools.webhooks import (
    INTERCOM_TEST_APP_ID,
    TEST_WEBHOOK_SECRET,
    SignedDelivery,
    intercom_delivery,
)

API_VERSION = "2.10"
RATE_LIMIT_PER_MINUTE = 10_000  # per app, as documented
WORKSPACE_RATE_LIMIT_PER_MINUTE = 25_000  # per workspace, shared by its apps, as documented
_FIRST_ID = 0x6657AC676ABD0166B52AE000  # ids look like Intercom's 24 hex digits


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
        workspace_rate_limit_per_minute: int = WORKSPACE_RATE_LIMIT_PER_MINUTE,
        workspace_id: str = "sandbox-workspace",
        app_id: str = INTERCOM_TEST_APP_ID,
        webhook_secret: str = TEST_WEBHOOK_SECRET,
        search_delay_seconds: int = 0,
        search_shows_archived: bool = False,
    ) -> None:
        super().__init__(faults, sleep)
        self.token = token
        self.workspace_id = workspace_id
        self.app_id = app_id
        self.webhook_secret = webhook_secret
        self.search_delay_seconds = search_delay_seconds
        self.search_shows_archived = search_shows_archived
        self._clock = clock
        self._apps: dict[str, RateWindow] = {token: RateWindow(rate_limit_per_minute)}
        self._workspace_window = RateWindow(workspace_rate_limit_per_minute)
        self._contacts: dict[str, dict[str, Any]] = {}  # held now, archived ones included
        self._positions: dict[str, int] = {}  # every id ever made: its place in list order
        self._searchable_from: dict[str, int] = {}  # when a contact created by the API shows
        self._merged_into: dict[str, str] = {}
        self._next_id = _FIRST_ID
        self.route("GET", "/contacts", self._list)
        self.route("POST", "/contacts", self._create)
        self.route("POST", "/contacts/search", self._search)
        self.route("POST", "/contacts/merge", self._merge)
        self.route("GET", "/contacts/{id}", self._fetch)
        self.route("PUT", "/contacts/{id}", self._update)
        self.route("DELETE", "/contacts/{id}", self._delete)
        self.route("POST", "/contacts/{id}/archive", self._archive)
        self.route("POST", "/contacts/{id}/unarchive", self._unarchive)

    # -- the workspace's apps and allowances -------------------------------------------------

    def add_app(self, token: str, *, rate_limit_per_minute: int = RATE_LIMIT_PER_MINUTE) -> None:
        """Another app of this workspace: its own token and allowance, the same contacts and the
        same workspace allowance."""
        with self._lock:
            self._apps[token] = RateWindow(rate_limit_per_minute)

    @property
    def rate_limit_per_minute(self) -> int:
        """The first app's (`token`'s) allowance."""
        return self._apps[self.token].limit

    @rate_limit_per_minute.setter
    def rate_limit_per_minute(self, limit: int) -> None:
        self._apps[self.token].limit = limit

    @property
    def workspace_rate_limit_per_minute(self) -> int:
        return self._workspace_window.limit

    @workspace_rate_limit_per_minute.setter
    def workspace_rate_limit_per_minute(self, limit: int) -> None:
        self._workspace_window.limit = limit

    # -- helpers for tests -------------------------------------------------------------------

    def add_contact(self, **fields: Any) -> dict[str, Any]:
        """Put a contact in the workspace as Intercom would hold it (`archived=True` allowed);
        it has been there long enough to show in search. `id="..."` picks the id (as `make seed`
        does to seed the same ids again)."""
        with self._lock:  # the server may be listing the contacts meanwhile
            contact = self._new_contact(fields.pop("role", "user"), fields.pop("id", None))
            contact.update(fields)
            contact.setdefault("archived", False)
            self._contacts[contact["id"]] = contact
            return copy.deepcopy(contact)

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """The stored contact, archived ones included, with its `archived` flag; None once
        deleted or merged away."""
        found = self._contacts.get(contact_id)
        return None if found is None else copy.deepcopy(found)

    def merged_into(self, contact_id: str) -> str | None:
        """The contact a merged-away contact went into."""
        return self._merged_into.get(contact_id)

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

    def _count_effects(self, before: dict[str, bool], after: dict[str, bool]) -> None:
        """Also "deleted" and "merged": contacts a write removed."""
        super()._count_effects(before, after)
        for contact_id in before.keys() - after.keys():
            self.effects["merged" if contact_id in self._merged_into else "deleted"] += 1

    def admit(self, request: httpx.Request, call: Callable[[], httpx.Response]) -> httpx.Response:
        """The vendor's gate: a Bearer token of one of the workspace's apps, that app's and the
        workspace's minute allowances, the version header. Every answer past the token carries
        the X-RateLimit headers of the tighter allowance (not documented which one Intercom
        shows when both apply: chose the one with less left)."""
        authorization = request.headers.get("Authorization", "")
        app = self._apps.get(authorization.removeprefix("Bearer ")) if authorization else None
        if app is None or not authorization.startswith("Bearer "):
            return error(401, "unauthorized", "Access Token Invalid")
        now = self._now()
        app.spend(now)
        if app.remaining < 0:  # refused by its app: the workspace's allowance is not spent
            return error(429, "rate_limit_exceeded", "Exceeded rate limit", app.headers())
        self._workspace_window.spend(now)
        if self._workspace_window.remaining < 0:
            headers = self._workspace_window.headers()
            return error(429, "rate_limit_exceeded", "Exceeded rate limit", headers)
        headers = min(app, self._workspace_window, key=lambda window: window.remaining).headers()
        version = request.headers.get("Intercom-Version")
        if version != API_VERSION:
            return error(
                400,
                "intercom_version_invalid",
                f"sandbox: Intercom-Version must be {API_VERSION}, got {version!r}",
                headers,
            )
        try:
            response = call()
        except Refused as refused:
            response = refused.response()
        response.headers.update(headers)
        return response

    # -- endpoints ---------------------------------------------------------------------------

    def _fetch(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contact = self._shown(params["id"])
        return json_response(200, public(contact))

    def _list(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        query = request.url.params
        per_page = per_page_of(query.get("per_page"))
        visible = [contact for contact in self._contacts.values() if not contact["archived"]]
        page = page_of(visible, self._positions, per_page, query.get("starting_after"))
        return json_response(200, page)

    def _search(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`POST /contacts/search`: the matching contacts the search shows, paged as the list."""
        search = parse_search(json_object(request))
        now = self._now()
        shown = [
            contact
            for contact in self._contacts.values()
            if (self.search_shows_archived or not contact["archived"])
            and self._searchable_from.get(contact["id"], now) <= now
            and search.matches(contact)
        ]
        page = page_of(shown, self._positions, search.per_page, search.starting_after)
        return json_response(200, page)

    def _create(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        body = json_object(request)
        check_writes(body)
        # `create_contact_request`: anyOf email, external_id or role is required.
        if not any(body.get(key) for key in ("email", "external_id", "role")):
            raise Refused(400, "parameter_not_found", "requires email, external_id or role")
        role = body.get("role", "user")
        holder = holder_of(self._contacts, {**body, "role": role})
        if holder is not None:
            raise conflict(holder)
        contact = self._new_contact(role)
        write(contact, body)
        contact["archived"] = False
        self._contacts[contact["id"]] = contact
        self._searchable_from[contact["id"]] = self._now() + self.search_delay_seconds
        return json_response(200, public(contact))

    def _update(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`PUT /contacts/{id}`: writes the writable fields given; any other key (read-only ones
        such as `created_at` included) is refused, as the create refuses it. Not documented:
        an archived contact cannot be updated; chose 404, as its fetch answers."""
        contact = self._shown(params["id"])
        body = json_object(request)
        check_writes(body)
        identity: dict[str, Any] = {
            key: body[key] for key in ("role", "email", "external_id") if key in body
        }
        holder = holder_of(self._contacts, {**contact, **identity})
        if holder is not None:
            raise conflict(holder)
        write(contact, body)
        contact["updated_at"] = self._now()
        return json_response(200, public(contact))

    def _delete(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`DELETE /contacts/{id}`: gone for good, never listed, searched, fetched or unarchived.
        Not documented for an archived contact: chose 404, as its fetch answers."""
        contact = self._shown(params["id"])
        del self._contacts[contact["id"]]
        body: ContactDeleted = {
            "type": "contact",
            "id": contact["id"],
            "external_id": contact["external_id"],
            "deleted": True,
        }
        return json_response(200, body)

    def _merge(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`POST /contacts/merge`: a lead (`from`) into a user (`into`); the lead is gone (404,
        never listed nor searched) and the user is answered. The spec documents no error for a
        wrong role nor what the user takes from the lead: chose 400, and nothing."""
        body = json_object(request)
        unknown = sorted(set(body) - {"from", "into"})
        if unknown:
            raise Refused(400, "parameter_invalid", f"unknown fields: {unknown}", unknown[0])
        for key in ("from", "into"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise Refused(400, "parameter_not_found", f"{key} is required", key)
        source, target = self._shown(body["from"]), self._shown(body["into"])
        if source["role"] != "lead" or source["id"] == target["id"]:
            raise Refused(400, "parameter_invalid", "from must be a lead", "from")
        if target["role"] != "user":
            raise Refused(400, "parameter_invalid", "into must be a user", "into")
        del self._contacts[source["id"]]
        self._merged_into[source["id"]] = target["id"]
        target["updated_at"] = self._now()
        return json_response(200, public(target))

    def _archive(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return self._set_archived(params["id"], archived=True)

    def _unarchive(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return self._set_archived(params["id"], archived=False)

    def _set_archived(self, contact_id: str, *, archived: bool) -> httpx.Response:
        """Archive or unarchive; doing it twice answers 200 again, as Intercom does. A deleted
        or merged-away contact is not found."""
        contact = self._contacts.get(contact_id)
        if contact is None:
            return not_found()
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

    def _shown(self, contact_id: str) -> dict[str, Any]:
        """The stored contact, if the API shows it: not archived, deleted nor merged away."""
        contact = self._contacts.get(contact_id)
        if contact is None or contact["archived"]:
            raise Refused(404, "not_found", "User Not Found")
        return contact

    def _now(self) -> int:
        return int(self._clock())

    def _new_contact(self, role: str, contact_id: str | None = None) -> dict[str, Any]:
        if contact_id is None:
            contact_id = f"{self._next_id:024x}"
            self._next_id += 1
        self._positions.setdefault(contact_id, len(self._positions))
        return new_contact(contact_id, role, self.workspace_id, self._now())
