"""Routera (CRM routing): a stateful fake of the token and contact endpoints a client uses.

Documented behaviour (VENDORS.md, the reference's DELETE page): `DELETE` archives and answers the
object with `archived: "<ISO>"` and `archived_by`; a second `DELETE` answers 404 "not found or
already archived"; `PATCH` on an archived contact answers 409 "Object is archived"; 401 bodies are
`{"message": "Unauthorized: missing account context", "error": true}`; list limit is 1-100.

Not documented, so chosen here and kept simple: the token endpoint takes the client credentials
as a form or as JSON (or in a Basic header) and answers `{access_token, token_type, expires_in}`;
a create answers 201 with the object; a list without `archived=true` holds only active contacts,
defaults to limit 20, and its `pagination.count` is the number of matching contacts in total.

Strict on writes (`routera_rules`; not documented, chosen defensively): a create or an update
naming a field the account does not define is a 400, and one giving an email or `external_id`
that another active contact holds is a 409. Two readings the reference leaves open are options:
whether an archived contact still holds its email and `external_id` against duplicates
(`archived_keep_identity`, off: a re-create of an archived contact goes through) and whether
`GET /contacts/{id}` answers an archived contact (`get_answers_archived`, on; off, only the
`archived=true` list shows it).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

from contact_archive.vendors.routera.types import ErrorBody, Pagination
from devtools.sandboxes.base import Faults, Sandbox, json_response
from devtools.sandboxes.routera_rules import (
    DEFAULT_FIELDS,
    IDENTITY_FIELDS,
    SYSTEM_KEYS,
    duplicated_field,
    undefined_fields,
)

TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
UNAUTHORIZED = "Unauthorized: missing account context"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as the reference writes it (`2026-05-01T10:00:00.000Z`)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class RouteraSandbox(Sandbox):
    """`POST /oauth2/token`, and `GET`/`POST`/`PATCH`/`DELETE` on `/contacts` behind a Bearer
    token that expires `token_ttl` seconds after it is issued, by the injected clock."""

    def __init__(
        self,
        client_id: str = "sandbox-client",
        client_secret: str = "sandbox-secret",  # noqa: S107 - a fake vendor's fake secret
        *,
        token_ttl: int = 3600,
        custom_fields: Iterable[str] = (),
        archived_keep_identity: bool = False,
        get_answers_archived: bool = True,
        faults: Faults | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`custom_fields`: the account's own fields beside the default properties (a contact
        seeded with another one defines it too)."""
        super().__init__(faults, sleep)
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.custom_fields: set[str] = set(custom_fields)
        self.archived_keep_identity = archived_keep_identity
        self.get_answers_archived = get_answers_archived
        self._clock = clock
        self._tokens: dict[str, datetime] = {}  # access token -> expiry
        self._contacts: dict[str, dict[str, Any]] = {}  # insertion order is list order
        self.route("POST", TOKEN_PATH, self._token, guarded=False)
        self.route("GET", "/contacts", self._list)
        self.route("POST", "/contacts", self._create)
        self.route("GET", "/contacts/{id}", self._get)
        self.route("PATCH", "/contacts/{id}", self._update)
        self.route("DELETE", "/contacts/{id}", self._archive)
        self.route("DELETE", "/contacts/", self._missing_id)

    # Helpers for tests and the local stack.

    @property
    def token_requests(self) -> int:
        """Token requests the vendor saw, injected faults included."""
        return self.calls("POST", TOKEN_PATH)

    def add_contact(self, **fields: Any) -> dict[str, Any]:
        """Seed a contact: defaults for the system keys, then `fields` as given (flat, custom
        fields included and defined for the account; `archived="<ISO>"` with `archived_by`
        seeds an archived one). No rule is checked: a seed may set up any state."""
        with self._lock:
            self.custom_fields |= set(undefined_fields(fields, ()))
            return self._store(fields)

    def remove_field(self, name: str) -> None:
        """The account drops a custom field (as an admin would in Routera's UI): creates and
        updates naming it are refused from now on; stored contacts keep their values."""
        with self._lock:
            self.custom_fields.discard(name)

    def forget(self, contact_id: str) -> None:
        """The contact leaves Routera altogether (purged by the account): no call shows it any
        more. Routera documents no delete; this stands for whatever could make it so."""
        with self._lock:
            self._contacts.pop(contact_id, None)

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """A copy of a stored contact, or None."""
        found = self._contacts.get(contact_id)
        return None if found is None else dict(found)

    def _store(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a new contact (the caller holds the lock) and return a copy."""
        now = _timestamp(self._clock())
        contact: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            **dict.fromkeys(DEFAULT_FIELDS),
            "created_at": now,
            "updated_at": now,
            "archived": False,
            **fields,
        }
        self._contacts[contact["id"]] = contact
        return dict(contact)

    # Endpoints.

    def _token(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        form = _credentials_form(request)
        if form is None:
            return _error(400, "body must be a form or a JSON object")
        if form.get("grant_type") != "client_credentials":
            return _error(400, "grant_type must be client_credentials")
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = _basic_credentials(request.headers.get("Authorization", ""))
        if basic is not None and client_id is None and client_secret is None:
            client_id, client_secret = basic
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return _error(401, "invalid client credentials")
        token = f"sandbox.{secrets.token_urlsafe(24)}.jwt"
        self._tokens[token] = self._clock() + timedelta(seconds=self.token_ttl)
        return json_response(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}
        )

    def _list(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        query = request.url.params
        archived = query.get("archived", "false").lower()
        if archived not in ("true", "false"):
            return _error(400, "archived must be true or false")
        limit = _integer(query.get("limit", str(DEFAULT_LIMIT)))
        if limit is None or not 1 <= limit <= MAX_LIMIT:
            return _error(400, f"limit must be between 1 and {MAX_LIMIT}")
        offset = _integer(query.get("offset", "0"))
        if offset is None or offset < 0:
            return _error(400, "offset must be a non-negative integer")
        matching = [
            contact
            for contact in self._contacts.values()
            if _is_archived(contact) == (archived == "true")
        ]
        page = [dict(contact) for contact in matching[offset : offset + limit]]
        pagination: Pagination = {"limit": limit, "offset": offset, "count": len(matching)}
        return json_response(200, {"data": page, "pagination": pagination})

    def _get(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contact = self._contacts.get(params["id"])
        if contact is None or (_is_archived(contact) and not self.get_answers_archived):
            return _error(404, "Object not found")
        return json_response(200, dict(contact))

    def _create(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        fields = self._writable_fields(request)
        if isinstance(fields, httpx.Response):
            return fields
        if not any(fields.get(name) for name in IDENTITY_FIELDS):
            return _error(400, f"one of {', '.join(IDENTITY_FIELDS)} is required")
        duplicate = self._duplicate(fields, of=None)
        if duplicate is not None:
            return duplicate
        return json_response(201, self._store(fields))

    def _update(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contact = self._contacts.get(params["id"])
        if contact is None:
            return _error(404, "Object not found")
        if _is_archived(contact):
            return _error(409, "Object is archived")
        fields = self._writable_fields(request)
        if isinstance(fields, httpx.Response):
            return fields
        duplicate = self._duplicate(fields, of=contact["id"])
        if duplicate is not None:
            return duplicate
        contact.update(fields)
        contact["updated_at"] = _timestamp(self._clock())
        return json_response(200, dict(contact))

    def _archive(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contact = self._contacts.get(params["id"])
        if contact is None or _is_archived(contact):
            return _error(404, "Object not found or already archived")
        now = _timestamp(self._clock())
        contact.update(archived=now, archived_by=self.client_id, updated_at=now)
        return json_response(200, dict(contact))

    def _missing_id(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return _error(400, "Missing contactId in path")

    # The write rules (`routera_rules`).

    def _writable_fields(self, request: httpx.Request) -> dict[str, Any] | httpx.Response:
        """The body's fields, or the 400 refusing one the account does not define: named, its
        value never echoed."""
        fields = _fields(request)
        if isinstance(fields, httpx.Response):
            return fields
        unknown = undefined_fields(fields, self.custom_fields)
        if unknown:
            return _error(400, f"Unknown fields: {', '.join(unknown)}")
        return fields

    def _duplicate(self, fields: dict[str, Any], *, of: str | None) -> httpx.Response | None:
        """The 409 refusing an email or `external_id` another contact holds (an active one,
        or an archived one too with `archived_keep_identity`); `of` is the contact updated."""
        holders = [
            contact
            for contact in self._contacts.values()
            if contact["id"] != of and (self.archived_keep_identity or not _is_archived(contact))
        ]
        field = duplicated_field(fields, holders)
        if field is None:
            return None
        return _error(409, f"A contact with this {field} already exists")

    def archived_states(self) -> dict[str, bool]:
        return {contact_id: _is_archived(contact) for contact_id, contact in self._contacts.items()}

    def admit(self, request: httpx.Request, call: Callable[[], httpx.Response]) -> httpx.Response:
        refused = self._refuse(request)
        return refused if refused is not None else call()

    def _refuse(self, request: httpx.Request) -> httpx.Response | None:
        """401 unless the request carries a Bearer token this sandbox issued and not yet expired."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None or self._clock() >= expiry:
            return _error(401, UNAUTHORIZED)
        return None


def _is_archived(contact: dict[str, Any]) -> bool:
    archived = contact.get("archived")
    return archived is True or (isinstance(archived, str) and bool(archived))


def _fields(request: httpx.Request) -> dict[str, Any] | httpx.Response:
    """The `fields` object of a create or update body, or the 400 that refuses it."""
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        body = None
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        return _error(400, 'body must be {"fields": {...}}')
    read_only = sorted(SYSTEM_KEYS & fields.keys())
    if read_only:
        return _error(400, f"read-only fields: {', '.join(read_only)}")
    return {str(key): value for key, value in fields.items()}


def _credentials_form(request: httpx.Request) -> dict[str, str] | None:
    content_type = request.headers.get("Content-Type", "")
    if "json" in content_type:
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        return {str(key): str(value) for key, value in body.items()}
    parsed = parse_qs(request.content.decode(errors="replace"))
    return {key: values[0] for key, values in parsed.items()}


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, client_secret = decoded.partition(":")
    return (client_id, client_secret) if separator else None


def _integer(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _error(status: int, message: str) -> httpx.Response:
    """Routera's error body: `{"message": ..., "error": true}`."""
    body: ErrorBody = {"message": message, "error": True}
    return json_response(status, body)
