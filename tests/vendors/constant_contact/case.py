"""The Constant Contact client on the Constant Contact sandbox: a Bearer access token refreshed
(and rotated) on a 401, the 4 requests/s limit paced by a token bucket on the fake clock, archive
by `DELETE`, restore by reviving with the saved lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef, RestoreStrategy
from contact_archive.vendors.constant_contact.bulk import Polling
from contact_archive.vendors.constant_contact.client import (
    BURST,
    PACE_PER_SECOND,
    ConstantContactClient,
)
from contact_archive.vendors.credentials import ConstantContactCredentials
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.constant_contact import TOKEN_PATH, ConstantContactSandbox
from tests.fakes import FakeTime
from tests.vendors.sandboxed import ABSENT, Call, VendorCase

ACCESS = "cc-access-test-3b9f0c"
REFRESH = "cc-refresh-test-71ad4e"
WRONG_ACCESS = "cc-wrong-access-aa11"
WRONG_REFRESH = "cc-wrong-refresh-bb22"
CLIENT_ID = "cc-client-test"
SECRET = "cc-client-secret-test-92ab"
BASE_URL = "https://api.cc.email/v3"
START = datetime(2026, 3, 17, 12, 0, tzinfo=UTC).timestamp()
LISTS = ["07936f78-662a-11eb-af0a-fa163e56c9b0", "1a2b3c4d-662a-11eb-af0a-fa163e56c9b0"]
CONTACT = r"/v3/contacts/[\w-]+"
TOKEN_CALL: Call = ("POST", TOKEN_PATH)


def contact_path(ref: LinkRef) -> str:
    return f"/v3/contacts/{ref.vendor_id}"


def credentials(
    access: str = ACCESS,
    refresh: str = REFRESH,
    secret: str | None = None,
    restore_list_id: str | None = None,
) -> ConstantContactCredentials:
    return ConstantContactCredentials.model_validate(
        {
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "access_token": access,
            "refresh_token": refresh,
            "restore_list_id": restore_list_id,
        }
    )


class ConstantContactCase(VendorCase):
    vendor = Vendor.CONSTANT_CONTACT
    restore_strategy = RestoreStrategy.REVIVE
    base_url = BASE_URL
    token_paths = frozenset({TOKEN_PATH})
    secrets = (ACCESS, REFRESH)
    wrong_secrets = (WRONG_ACCESS, WRONG_REFRESH)
    unknown = LinkRef("00000000-0000-0000-0000-000000000000")
    # Deleted today (a date), and on no list any more
    archived_fields = {"deleted_at": "2026-03-17", "list_memberships": []}
    active_fields = {"deleted_at": ABSENT, "list_memberships": LISTS}  # on its lists again
    refused_status = 400  # the 401 leads to a refresh, which the vendor refuses
    refused_match = "invalid_grant"
    # (one without lists is refused after the fetch that tells whether it is deleted still:
    # `test_restore.py`)
    unusable_snapshots = ((None, "no snapshot", "none"),)

    sandbox: ConstantContactSandbox
    clock: FakeTime
    rotations: list[ConstantContactCredentials]

    def new_clock(self) -> FakeTime:
        return FakeTime(START)

    def new_sandbox(self) -> ConstantContactSandbox:
        return ConstantContactSandbox(
            ACCESS,
            refresh_token=REFRESH,
            client_id=CLIENT_ID,
            clock=self.clock,
            sleep=self.clock.sleep,
        )

    def arrival_clock(self) -> FakeTime:
        return self.clock

    def client_with(
        self,
        *,
        wrong_credentials: bool = False,
        retry: RetryPolicy | None = None,
        tenant: ConstantContactCredentials | None = None,
        bucket: TokenBucket | None = None,
        rotations: list[ConstantContactCredentials] | None = None,
        http: httpx.Client | None = None,
        polling: Polling | None = None,
    ) -> ConstantContactClient:
        """A client whose bucket (the client's own constants) and retries run on the fake clock;
        the tenant's credentials (wrong ones if asked) unless `tenant` is given, its rotations
        handed to `rotations`, on the case's httpx client unless `http` is given."""
        if tenant is None:
            tenant = (
                credentials(WRONG_ACCESS, WRONG_REFRESH) if wrong_credentials else credentials()
            )
        return ConstantContactClient(
            tenant,
            http or self.http,
            on_rotated=(self.rotations if rotations is None else rotations).append,
            retry=retry,
            bucket=bucket
            or TokenBucket(PACE_PER_SECOND, BURST, clock=self.clock, sleep=self.clock.sleep),
            sleep=self._wait,
            polling=polling,
        )

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.sleep(seconds)

    def add_ada(self) -> LinkRef:
        added = self.sandbox.add_contact(
            email="ada@example.com", first_name="Ada", last_name="Lovelace", list_ids=LISTS
        )
        return LinkRef(added["contact_id"])

    def stored(self, ref: LinkRef) -> dict[str, Any] | None:
        return self.sandbox.contact(ref.vendor_id)

    def unknown_fetch_calls(self) -> list[Call]:
        return [("GET", contact_path(self.unknown))]

    def archive_calls(self, ref: LinkRef) -> list[Call]:
        return [("DELETE", contact_path(ref))]

    def unknown_archive_calls(self) -> list[Call]:
        # What a DELETE of an unknown contact answers is not told from a repeat: a fetch tells
        path = contact_path(self.unknown)
        return [("DELETE", path), ("GET", path)]

    def round_trip_costs(self, ref: LinkRef) -> dict[str, list[Call]]:
        # The restore reads the contact first: one revived meanwhile is left alone
        path = contact_path(ref)
        return {
            "snapshot": [("GET", path)],
            "archive": [("DELETE", path)],
            "restore": [("GET", path), ("PUT", path)],
            "fetch": [("GET", path)],
            "list": [("GET", "/v3/contacts")],
        }

    def refused_calls(self, ref: LinkRef) -> list[Call]:
        # Each call's 401 leads to one refresh, refused: nothing is retried
        path = contact_path(ref)
        return [("GET", path), TOKEN_CALL, ("DELETE", path), TOKEN_CALL]

    def api_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ACCESS}"}
