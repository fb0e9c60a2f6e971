"""Sequence (billing, API version 2024-07-30): a stateful fake of the contact endpoints a client
uses. Contacts belong to a customer; archiving is one-way (there is no unarchive endpoint, so a
request to one gets the router's 404).

Where the spec says nothing (error bodies, an unknown customer or contact, archiving twice) the
sandbox answers defensively: a JSON `{"message": ...}` body, 404 for what does not exist, and the
contact again, unchanged, for a second archive. Its rules (the rate limit per key, what a create
accepts, a customer's PRIMARY billing contact) are in `sequence_rules`.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from contact_archive.vendors.sequence.types import Contact
from devtools.sandboxes.base import Faults, Sandbox, json_response
from devtools.sandboxes.sequence_rules import (
    REQUESTS_PER_MINUTE,
    RateWindow,
    archive_refusal,
    create_refusal,
    retry_after,
)
from devtools.webhooks import (
    SEQUENCE_TEST_ACCOUNT_ID,
    TEST_WEBHOOK_SECRET,
    SignedDelivery,
    sequence_delivery,
)

API_VERSION = "2024-07-30"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, as the spec's examples write it (`2022-06-28T16:47:00Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SequenceSandbox(Sandbox):
    """`GET`/`POST /customers/{customer}/contacts` and `POST .../contacts/{id}/archive`, behind
    `Authorization: Basic base64(client_id:client_secret)` and `Sequence-Version: 2024-07-30`,
    at most `requests_per_minute` requests per key (429 beyond, with `Retry-After` only when
    `retry_after_on_limit`: Sequence does not document one)."""

    def __init__(
        self,
        client_id: str = "sandbox-client",
        client_secret: str = "sandbox-secret",  # noqa: S107 - a fake vendor's fake secret
        *,
        faults: Faults | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
        base_path: str = "/api",
        account_id: str = SEQUENCE_TEST_ACCOUNT_ID,
        webhook_secret: str = TEST_WEBHOOK_SECRET,
        requests_per_minute: int = REQUESTS_PER_MINUTE,
        retry_after_on_limit: bool = False,
    ) -> None:
        super().__init__(faults, sleep)
        self.client_id = client_id
        self.client_secret = client_secret
        self._keys = {client_id: client_secret}  # API keys: client id -> secret
        self.rate_window = RateWindow(requests_per_minute)
        self.retry_after_on_limit = retry_after_on_limit
        self.account_id = account_id
        self.webhook_secret = webhook_secret
        self._clock = clock
        self._customers: dict[str, dict[str, Contact]] = {}
        self._archived_customers: dict[str, str] = {}  # customer id -> archivedAt
        # The spec's servers end in `/api` (`https://sandbox.sequencehq.com/api`): a client keeps
        # its base URL; `base_path=""` serves the paths at the root.
        contacts = base_path.rstrip("/") + "/customers/{customer}/contacts"
        self.route("GET", contacts, self._list)
        self.route("POST", contacts, self._create)
        self.route("POST", contacts + "/{id}/archive", self._archive)

    # Helpers for tests and the local stack.

    def add_customer(self, customer: str) -> None:
        self._customers.setdefault(customer, {})

    def add_key(self, client_id: str, client_secret: str) -> None:
        """Another API key of the account: it has its own rate-limit window."""
        with self._lock:
            self._keys[client_id] = client_secret

    def add_contact(self, customer: str, **fields: Any) -> dict[str, Any]:
        """Seed a contact (the customer is added if missing). Defaults fill the required fields;
        `archivedAt` (or any other key) may be given to seed an archived contact. A seed is not
        held to the create's rules: any state a vendor's data may be in can be set up."""
        now = _timestamp(self._clock())
        contact: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "name": "Sandbox Contact",
            "email": "contact@example.com",
            "billingPreference": "NONE",
            "createdAt": now,
            "updatedAt": now,
            **fields,
        }
        stored = _as_contact(contact)
        with self._lock:
            self._customers.setdefault(customer, {})[stored["id"]] = stored
        return dict(stored)

    def contact(self, customer: str, contact_id: str) -> dict[str, Any] | None:
        """A copy of a stored contact, or None."""
        found = self._customers.get(customer, {}).get(contact_id)
        return None if found is None else dict(found)

    def archive_in_ui(self, customer: str, contact_id: str) -> dict[str, Any]:
        """Someone archives a contact in Sequence's dashboard: the contact as it is now. Sequence
        sends no webhook for contacts. The dashboard is taken to keep the API's PRIMARY billing
        rule (not documented either way): a refused archive raises `ValueError`."""
        with self._lock:
            contacts = self._customers[customer]
            refused = archive_refusal(contacts[contact_id], contacts.values())
            if refused is not None:
                raise ValueError(refused)
            contact = self._archived(contacts[contact_id])
        return dict(contact)

    def archive_customer_in_ui(self, customer: str) -> SignedDelivery:
        """Someone archives a customer in Sequence's dashboard; returns the signed
        `CUSTOMER_ARCHIVED` delivery Sequence would then send (not sent).

        Its `resource` is the part of the spec's `Customer` the sandbox holds: `id`,
        `archivedAt` and `contacts`. What archiving a customer does to its contacts is not
        documented, so the sandbox leaves them as they are."""
        now = self._clock()
        with self._lock:
            if customer not in self._customers:
                raise KeyError(customer)
            archived_at = self._archived_customers.setdefault(customer, _timestamp(now))
            contacts = [dict(contact) for contact in self._customers[customer].values()]
        return sequence_delivery(
            "CUSTOMER_ARCHIVED",
            customer,
            delivered_at=now,
            account_id=self.account_id,
            resource={"id": customer, "archivedAt": archived_at, "contacts": contacts},
            secret=self.webhook_secret,
        )

    def customer_archived_at(self, customer: str) -> str | None:
        """When the customer was archived in the dashboard, or None."""
        return self._archived_customers.get(customer)

    # Endpoints.

    def _list(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contacts = self._customers.get(params["customer"])
        if contacts is None:
            return _error(404, "customer not found")
        include = request.url.params.get("includeArchived", "false").lower()
        if include not in ("true", "false"):
            return _error(400, "includeArchived must be true or false")
        items = [
            dict(contact)
            for contact in contacts.values()
            if include == "true" or "archivedAt" not in contact
        ]
        return json_response(200, {"items": items})

    def _create(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contacts = self._customers.get(params["customer"])
        if contacts is None:
            return _error(404, "customer not found")
        body = _json_object(request)
        if body is None:
            return _error(400, "body must be a JSON object")
        refused = create_refusal(body, contacts.values())
        if refused is not None:
            return _error(400, refused)
        now = _timestamp(self._clock())
        contact: Contact = {
            "id": str(uuid.uuid4()),
            "name": body["name"],
            "email": body["email"],
            "billingPreference": body["billingPreference"],
            "createdAt": now,
            "updatedAt": now,
        }
        contacts[contact["id"]] = contact
        return json_response(201, dict(contact))

    def _archive(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        contacts = self._customers.get(params["customer"], {})
        contact = contacts.get(params["id"])
        if contact is None:
            return _error(404, "contact not found")
        refused = archive_refusal(contact, contacts.values())
        if refused is not None:
            return _error(400, refused)
        return json_response(200, dict(self._archived(contact)))

    def _archived(self, contact: Contact) -> Contact:
        """The contact archived now, or as it was when archived already."""
        if "archivedAt" not in contact:
            now = _timestamp(self._clock())
            contact["archivedAt"] = now
            contact["updatedAt"] = now
        return contact

    def archived_states(self) -> dict[str, bool]:
        return {
            contact["id"]: "archivedAt" in contact
            for contacts in self._customers.values()
            for contact in contacts.values()
        }

    def admit(self, request: httpx.Request, call: Callable[[], httpx.Response]) -> httpx.Response:
        refused = self._refuse(request)
        return refused if refused is not None else call()

    def _refuse(self, request: httpx.Request) -> httpx.Response | None:
        """401 without the right Basic credentials, 429 over the key's rate limit, then 400
        without the API version header."""
        key = self._key(request.headers.get("Authorization", ""))
        if key is None:
            return _error(401, "Unauthorized")
        wait = self.rate_window.admit(key, self._clock())
        if wait is not None:
            headers = {"Retry-After": retry_after(wait)} if self.retry_after_on_limit else None
            return _error(429, "Too Many Requests", headers)
        version = request.headers.get("Sequence-Version")
        if version != API_VERSION:
            return _error(400, f"Sequence-Version header must be {API_VERSION}")
        return None

    def _key(self, header: str) -> str | None:
        """The client id of a known key in `Authorization: Basic ...`, or None."""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, separator, client_secret = decoded.partition(":")
        if not separator or self._keys.get(client_id) != client_secret:
            return None
        return client_id


def _as_contact(fields: dict[str, Any]) -> Contact:
    contact: Contact = {
        "id": str(fields["id"]),
        "name": str(fields["name"]),
        "email": str(fields["email"]),
        "billingPreference": fields["billingPreference"],
        "createdAt": str(fields["createdAt"]),
        "updatedAt": str(fields["updatedAt"]),
    }
    if fields.get("archivedAt") is not None:
        contact["archivedAt"] = str(fields["archivedAt"])
    return contact


def _json_object(request: httpx.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """Sequence documents no error body; the sandbox sends a plain `{"message": ...}`."""
    return json_response(status, {"message": message}, headers)
