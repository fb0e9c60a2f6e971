"""The Routera client on the Routera sandbox: a client-credentials token fetched by the first call
and cached, archive by `DELETE` (a 404 confirmed by a fetch), restore by re-creating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.credentials import RouteraCredentials
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.routera.client import RouteraClient
from devtools.sandboxes.base import json_response
from devtools.sandboxes.routera import TOKEN_PATH, RouteraSandbox
from tests.vendors.sandboxed import Call, DateClock, Intercept, RecreatingCase

BASE_URL = "https://api.routera.io"
CLIENT_ID = "client-id"
CLIENT_SECRET = "routera-client-secret"
WRONG_SECRET = "not-the-routera-secret"
START = datetime(2026, 5, 28, 12, 0, 0, tzinfo=UTC)
TOKEN_TTL = 3600
ADA = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "external_id": "crm-42",
    "contact_owner": "jane@example.com",
    "region": "EMEA",  # a custom field: Routera objects are flat
}
TOKEN = TOKEN_PATH
CONTACT = "/contacts/[^/]+"
TOKEN_CALL: Call = ("POST", TOKEN)


def contact_path(ref: LinkRef) -> str:
    return f"/contacts/{ref.vendor_id}"


class RouteraClock(DateClock):
    """The time the sandbox (datetimes) and the client (seconds) read: the same, unless the
    vendor's is set ahead."""

    def __init__(self) -> None:
        super().__init__(START)
        self.vendor_ahead = timedelta(0)

    def __call__(self) -> datetime:
        return self.now + self.vendor_ahead

    def seconds(self) -> float:
        return (self.now - START).total_seconds()


class RouteraCase(RecreatingCase):
    vendor = Vendor.ROUTERA
    base_url = BASE_URL
    token_paths = frozenset({TOKEN})
    secrets = (CLIENT_SECRET,)
    wrong_secrets = (WRONG_SECRET,)
    unknown = LinkRef("no-such-contact")
    archived_fields = {"archived": "2026-05-28T12:00:00.000Z"}
    active_fields = {"archived": False}
    refused_match = "token request refused"
    unusable_snapshots = (
        (None, "no snapshot", "none"),
        # Routera creates no contact without an email, a first or a last name
        ({"id": "archived-contact", "fields": {"region": "EMEA"}}, "none of email", "no identity"),
    )
    create_call = ("POST", "/contacts")
    saved_fields = ADA
    others_to_page_through = 5  # over three pages of two

    sandbox: RouteraSandbox
    clock: RouteraClock

    def new_clock(self) -> RouteraClock:
        return RouteraClock()

    def new_sandbox(self) -> RouteraSandbox:
        return RouteraSandbox(CLIENT_ID, CLIENT_SECRET, token_ttl=TOKEN_TTL, clock=self.clock)

    def client_with(
        self,
        *,
        wrong_credentials: bool = False,
        retry: RetryPolicy | None = None,
        page_size: int = 100,
    ) -> RouteraClient:
        secret = WRONG_SECRET if wrong_credentials else CLIENT_SECRET
        credentials = RouteraCredentials(
            client_id=CLIENT_ID, client_secret=SecretStr(secret), base_url=BASE_URL
        )
        return RouteraClient(
            credentials,
            self.http,
            retry=retry,
            sleep=self.waits.append,
            clock=self.clock.seconds,
            page_size=page_size,
        )

    def paging_client(self) -> RouteraClient:
        return self.client_with(page_size=2)

    def add_ada(self) -> LinkRef:
        return LinkRef(self.sandbox.add_contact(**ADA)["id"])

    def add_like(self, ref: LinkRef, email: str) -> str:
        # Routera refuses two active contacts with one external_id: the lookalike has its own
        found = self.stored(ref)
        assert found is not None
        fields = {key: found[key] for key in ADA}
        like = {**fields, "email": email, "external_id": f"{fields['external_id']}-{email}"}
        added: str = self.sandbox.add_contact(**like)["id"]
        return added

    def stored(self, ref: LinkRef) -> dict[str, Any] | None:
        return self.sandbox.contact(ref.vendor_id)

    def unknown_fetch_calls(self) -> list[Call]:
        # A GET of an archived contact is not documented to work: after its 404, the archived list
        return [TOKEN_CALL, ("GET", contact_path(self.unknown)), ("GET", "/contacts")]

    def archive_calls(self, ref: LinkRef) -> list[Call]:
        return [TOKEN_CALL, ("DELETE", contact_path(ref))]

    def unknown_archive_calls(self) -> list[Call]:
        # Routera's 404 means "not found or already archived": a fetch tells which
        path = contact_path(self.unknown)
        return [TOKEN_CALL, ("DELETE", path), ("GET", path), ("GET", "/contacts")]

    def round_trip_costs(self, ref: LinkRef) -> dict[str, list[Call]]:
        # A token for the container's first call, then the contact calls on the cached token
        return {
            "snapshot": [TOKEN_CALL, ("GET", contact_path(ref))],
            "archive": [("DELETE", contact_path(ref))],
            "restore": [("POST", "/contacts")],
            "fetch": [("GET", contact_path(ref))],
            "list": [("GET", "/contacts")],
        }

    def refused_calls(self, ref: LinkRef) -> list[Call]:
        # The token endpoint refuses the credentials: no contact call goes out
        return [TOKEN_CALL, TOKEN_CALL]

    def api_headers(self) -> dict[str, str]:
        # The token the token endpoint issued
        (issued,) = [
            seen.response
            for seen in self.wire.seen
            if seen.request.url.path == TOKEN and seen.status == 200
        ]
        assert issued is not None
        return {"Authorization": f"Bearer {issued.json()['access_token']}"}

    def archive_not_done(self, ref: LinkRef) -> tuple[Intercept, str]:
        # A DELETE answered 404 while a GET shows the contact active
        def deletes_not_found(request: httpx.Request) -> httpx.Response | None:
            if request.method == "DELETE":
                return json_response(404, {"message": "Object not found", "error": True})
            return None

        return deletes_not_found, "active"
