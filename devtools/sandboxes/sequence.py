"""Sequence (billing, API version 2024-07-30): a stateful fake of the contact endpoints a client
uses. Contacts belong to a customer; archiving is one-way (there is no unarchive endpoint, so a
request to one gets the router's 404).

Where the spec says nothing (error bodies, an unknown customer or contact, archiving twice) the
sandbox answers defensively: a JSON `{"message": ...}` body, 404 for what does not exist, and the
contact again, unchanged, for a second archive.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, get_args

import httpx

from contact_archive.vendors.sequence.types import Contact, ContactBillingPreference
from devtools.sandboxes.base import Faults, Sandbox, json_response
from devtools.webhooks import (
    SEQUENCE_TEST_ACCOUNT_ID,
    TEST_WEBHOOK_SECRET,
    SignedDelivery,
    sequence_delivery,
)

API_VERSION = "2024-07-30"
BILLING_PREFERENCES: frozenset[str] = frozenset(get_args(ContactBillingPreference))
CREATE_FIELDS = ("name", "email", "billingPreference")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, as the spec's examples write it (`2022-06-28T16:47:00Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SequenceSandbox(Sandbox):
    """`GET`/`POST /customers/{customer}/contacts` and `POST .../contacts/{id}/archive`, behind
    `Authorization: Basic base64(client_id:client_secret)` and `Sequence-Version: 2024-07-30`."""

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
    ) -> None:
        super().__init__(faults, sleep)
        self.client_id = client_id
        self.client_secret = client_secret
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

    def add_contact(self, customer: str, **fields: Any) -> dict[str, Any]:
        """Seed a contact (the customer is added if missing). Defaults fill the required fields;
        `archivedAt` (or any other key) may be given to seed an archived contact."""
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
        for name in CREATE_FIELDS:
            if not isinstance(body.get(name), str) or not body[name]:
                return _error(400, f"{name} is required")
        if body["billingPreference"] not in BILLING_PREFERENCES:
            return _error(400, f"billingPreference must be one of {sorted(BILLING_PREFERENCES)}")
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
        contact = self._customers.get(params["customer"], {}).get(params["id"])
        if contact is None:
            return _error(404, "contact not found")
        if "archivedAt" not in contact:
            now = _timestamp(self._clock())
            contact["archivedAt"] = now
            contact["updatedAt"] = now
        return json_response(200, dict(contact))

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
        """401 without the right Basic credentials, then 400 without the API version header."""
        if not self._authorized(request.headers.get("Authorization", "")):
            return _error(401, "Unauthorized")
        version = request.headers.get("Sequence-Version")
        if version != API_VERSION:
            return _error(400, f"Sequence-Version header must be {API_VERSION}")
        return None

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        client_id, separator, client_secret = decoded.partition(":")
        return bool(separator) and (client_id, client_secret) == (
            self.client_id,
            self.client_secret,
        )


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


def _error(status: int, message: str) -> httpx.Response:
    """Sequence documents no error body; the sandbox sends a plain `{"message": ...}`."""
    return json_response(status, {"message": message})
