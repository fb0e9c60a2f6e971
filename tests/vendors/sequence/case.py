"""The Sequence client on the Sequence sandbox: Basic auth and the version header on every call,
contacts under a customer (the link's scope), restore by re-creating."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.credentials import SequenceCredentials
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.sequence.client import SequenceClient
from devtools.sandboxes.base import json_response
from devtools.sandboxes.sequence import SequenceSandbox
from tests.vendors.sandboxed import ABSENT, Call, DateClock, Intercept, RecreatingCase

BASE_URL = "https://sandbox.sequencehq.com/api"
CLIENT_ID = "client-id"
CLIENT_SECRET = "sequence-client-secret"
WRONG_SECRET = "not-the-sequence-secret"
CUSTOMER = "customer-1"
START = datetime(2024, 8, 1, 12, 0, 0, tzinfo=UTC)
ADA = {"name": "Ada Lovelace", "email": "ada@example.com", "billingPreference": "PRIMARY"}
CONTACTS = "/api/customers/customer-1/contacts"


def archive_path(ref: LinkRef) -> str:
    return f"{CONTACTS}/{ref.vendor_id}/archive"


class SequenceCase(RecreatingCase):
    vendor = Vendor.SEQUENCE
    base_url = BASE_URL
    secrets = (CLIENT_SECRET,)
    wrong_secrets = (WRONG_SECRET,)
    unknown = LinkRef("no-such-contact", CUSTOMER)
    scope = CUSTOMER
    archived_fields = {"archivedAt": "2024-08-01T12:00:00Z"}
    active_fields = {"archivedAt": ABSENT}
    unknown_fetch_status = None  # not in the customer's list: the client says so, not Sequence
    refused_match = "Unauthorized"
    unusable_snapshots = (
        (None, "no snapshot", "none"),
        (
            {"customer": CUSTOMER, "name": "Ada", "billingPreference": "NONE"},
            "snapshot has no email",
            "without email",
        ),
    )
    create_call = ("POST", CONTACTS)
    saved_fields = ADA
    others_to_page_through = 1

    sandbox: SequenceSandbox
    clock: DateClock

    def new_clock(self) -> DateClock:
        return DateClock(START)

    def new_sandbox(self) -> SequenceSandbox:
        sandbox = SequenceSandbox(CLIENT_ID, CLIENT_SECRET, clock=self.clock)
        sandbox.add_customer(CUSTOMER)
        return sandbox

    def client_with(
        self,
        *,
        wrong_credentials: bool = False,
        retry: RetryPolicy | None = None,
    ) -> SequenceClient:
        secret = WRONG_SECRET if wrong_credentials else CLIENT_SECRET
        credentials = SequenceCredentials(
            client_id=CLIENT_ID, client_secret=SecretStr(secret), base_url=BASE_URL
        )
        return SequenceClient(
            credentials, self.http, retry=retry, sleep=self.waits.append, clock=self.clock
        )

    def client_waiting_on_the_clock(
        self, *, retry: RetryPolicy | None = None, bucket: TokenBucket | None = None
    ) -> SequenceClient:
        """A client whose waits (retries, its bucket's) move the case's clock, which the
        sandbox's rate limit reads: time passes while it waits, as it would."""
        credentials = SequenceCredentials(
            client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET), base_url=BASE_URL
        )
        return SequenceClient(
            credentials, self.http, retry=retry, bucket=bucket, sleep=self.wait, clock=self.clock
        )

    def wait(self, seconds: float) -> None:
        """Note a wait and let that much time pass."""
        self.waits.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))

    def seconds(self) -> float:
        """The case's clock in seconds, for a token bucket."""
        return self.clock().timestamp()

    def add(self, **fields: Any) -> LinkRef:
        """Seed an active contact of the customer with `fields`: its link."""
        return LinkRef(self.sandbox.add_contact(CUSTOMER, **fields)["id"], CUSTOMER)

    def listed(self) -> list[dict[str, Any]]:
        """The customer's contacts as the API lists them, archived ones included (a request of
        its own, not through the wire, which notes the client's)."""
        with httpx.Client(
            base_url=BASE_URL, transport=self.sandbox.transport(), headers=self.api_headers()
        ) as api:
            response = api.get("/customers/customer-1/contacts", params={"includeArchived": "true"})
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def raw(self, ref: LinkRef) -> dict[str, Any]:
        """The contact as the API lists it."""
        (found,) = [item for item in self.listed() if item["id"] == ref.vendor_id]
        return found

    def add_ada(self) -> LinkRef:
        return LinkRef(self.sandbox.add_contact(CUSTOMER, **ADA)["id"], CUSTOMER)

    def add_like(self, ref: LinkRef, email: str) -> str:
        found = self.stored(ref)
        assert found is not None
        fields = {key: found[key] for key in ADA}
        added: str = self.sandbox.add_contact(CUSTOMER, **{**fields, "email": email})["id"]
        return added

    def stored(self, ref: LinkRef) -> dict[str, Any] | None:
        return self.sandbox.contact(ref.scope or CUSTOMER, ref.vendor_id)

    def unknown_fetch_calls(self) -> list[Call]:
        return [("GET", CONTACTS)]

    def archive_calls(self, ref: LinkRef) -> list[Call]:
        return [("POST", archive_path(ref))]

    def unknown_archive_calls(self) -> list[Call]:
        return [("POST", archive_path(self.unknown))]

    def round_trip_costs(self, ref: LinkRef) -> dict[str, list[Call]]:
        # One list read for the snapshot and the fetch each (Sequence has no GET of a contact)
        return {
            "snapshot": [("GET", CONTACTS)],
            "archive": [("POST", archive_path(ref))],
            "restore": [("POST", CONTACTS)],
            "fetch": [("GET", CONTACTS)],
            "list": [("GET", CONTACTS)],
        }

    def refused_calls(self, ref: LinkRef) -> list[Call]:
        return [("GET", CONTACTS), ("POST", archive_path(ref))]

    def api_headers(self) -> dict[str, str]:
        pair = f"{CLIENT_ID}:{CLIENT_SECRET}".encode()
        return {
            "Authorization": "Basic " + base64.b64encode(pair).decode(),
            "Sequence-Version": "2024-07-30",
        }

    def archive_not_done(self, ref: LinkRef) -> tuple[Intercept, str]:
        # The archive answered with the contact as it is, active
        def archive_does_nothing(request: httpx.Request) -> httpx.Response | None:
            if request.url.path.endswith("/archive"):
                return json_response(200, self.stored(ref))
            return None

        return archive_does_nothing, "not archived"
