"""The Intercom client on the Intercom sandbox: the tenant's token and the API version on every
call, archive and unarchive in place, regional hosts."""

from __future__ import annotations

from typing import Any

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef, RestoreStrategy
from contact_archive.vendors.credentials import IntercomCredentials
from contact_archive.vendors.intercom.client import IntercomClient
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.base import json_response
from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime
from tests.vendors.sandboxed import Call, Intercept, VendorCase

TOKEN = "intercom-test-token-5f1c2a"
WRONG_TOKEN = "intercom-wrong-token-9d8e7f"
US = "https://api.intercom.io"
START = 1_717_000_000.0
ARCHIVE = r"/contacts/\w+/archive"
UNARCHIVE = r"/contacts/\w+/unarchive"


def contact_path(ref: LinkRef) -> str:
    return f"/contacts/{ref.vendor_id}"


class IntercomCase(VendorCase):
    vendor = Vendor.INTERCOM
    restore_strategy = RestoreStrategy.UNARCHIVE
    base_url = US
    secrets = (TOKEN,)
    wrong_secrets = (WRONG_TOKEN,)
    unknown = LinkRef("0" * 24)
    archived_fields = {"archived": True}
    active_fields = {"archived": False}
    refused_match = "Access Token Invalid"

    sandbox: IntercomSandbox
    clock: FakeTime

    def new_clock(self) -> FakeTime:
        return FakeTime(START)

    def new_sandbox(self) -> IntercomSandbox:
        return IntercomSandbox(TOKEN, clock=self.clock, sleep=self.clock.sleep)

    def client_with(
        self,
        *,
        wrong_credentials: bool = False,
        retry: RetryPolicy | None = None,
        token: str | None = None,
        region: str = "us",
    ) -> IntercomClient:
        """`token` is the tenant's (TOKEN; WRONG_TOKEN for wrong credentials) unless given."""
        token = token or (WRONG_TOKEN if wrong_credentials else TOKEN)
        credentials = IntercomCredentials.model_validate({"access_token": token, "region": region})
        return IntercomClient(
            credentials, self.http, retry=retry, sleep=self._wait, clock=self.clock
        )

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.sleep(seconds)

    def add_ada(self) -> LinkRef:
        return LinkRef(self.sandbox.add_contact(email="ada@example.com", name="Ada Lovelace")["id"])

    def stored(self, ref: LinkRef) -> dict[str, Any] | None:
        return self.sandbox.contact(ref.vendor_id)

    def unknown_fetch_calls(self) -> list[Call]:
        # Intercom answers 404 for an archived contact too: not retried either way
        return [("GET", contact_path(self.unknown))]

    def archive_calls(self, ref: LinkRef) -> list[Call]:
        return [("POST", contact_path(ref) + "/archive")]

    def unknown_archive_calls(self) -> list[Call]:
        return [("POST", contact_path(self.unknown) + "/archive")]

    def round_trip_costs(self, ref: LinkRef) -> dict[str, list[Call]]:
        # The snapshot is read by id (id, role, email, external id); the restore unarchives
        # the same id
        return {
            "snapshot": [("GET", contact_path(ref))],
            "archive": [("POST", contact_path(ref) + "/archive")],
            "restore": [("POST", contact_path(ref) + "/unarchive")],
            "fetch": [("GET", contact_path(ref))],
            "list": [("GET", "/contacts")],
        }

    def refused_calls(self, ref: LinkRef) -> list[Call]:
        return [("GET", contact_path(ref)), ("POST", contact_path(ref) + "/archive")]

    def api_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}", "Intercom-Version": "2.10"}

    def archive_not_done(self, ref: LinkRef) -> tuple[Intercept, str]:
        # The archive answered `archived: false`
        def answers_not_archived(request: httpx.Request) -> httpx.Response | None:
            body = {"type": "contact", "id": ref.vendor_id, "external_id": None, "archived": False}
            return json_response(200, body) if request.url.path.endswith("/archive") else None

        return answers_not_archived, "archived=False"
