"""The Intercom client: Bearer token and `Intercom-Version: 2.10` on every call, archive and
unarchive in place.

Intercom hides an archived contact completely: `GET /contacts/{id}` answers 404 and `GET /contacts`
leaves it out (`VENDORS.md`). So the vendor id kept in the ledger is the only way back to it,
"not found" cannot tell "archived" from "gone", and the list never shows archived contacts.

URLs are absolute, built from the tenant's own host (`credentials.api_base_url`: US, EU or AU):
the `httpx.Client` is shared, and its `base_url` cannot pick the region of every tenant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.client import (
    ArchiveResult,
    ContactPage,
    LinkRef,
    RestoreResult,
    RestoreStrategy,
)
from contact_archive.vendors.credentials import IntercomCredentials
from contact_archive.vendors.errors import TransientVendorError
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.intercom import mapper
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy

API_VERSION = "2.10"
PER_PAGE = 150  # the most `GET /contacts` gives per page


class IntercomAuth(httpx.Auth):
    """`Authorization: Bearer` and `Intercom-Version` on each request: set per request, since one
    `httpx.Client` serves every tenant of the container."""

    def __init__(self, access_token: SecretStr) -> None:
        self._access_token = access_token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {self._access_token.get_secret_value()}"
        request.headers["Intercom-Version"] = API_VERSION
        yield request


class IntercomClient:
    vendor: ClassVar[Vendor] = Vendor.INTERCOM
    restore_strategy: ClassVar[RestoreStrategy] = RestoreStrategy.UNARCHIVE

    def __init__(
        self,
        credentials: IntercomCredentials,
        http_client: httpx.Client,
        *,
        retry: RetryPolicy | None = None,
        bucket: TokenBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """No bucket by default: Intercom's 10,000 calls a minute are far above this service's
        pace, and its 429s carry `X-RateLimit-Reset`, which the retries wait for."""
        self._base_url = credentials.api_base_url.rstrip("/")
        self._http = VendorHttp(
            self.vendor,
            http_client,
            error_text=mapper.error_message,
            retry=retry,
            bucket=bucket,
            auth=IntercomAuth(credentials.access_token),
            sleep=sleep,
        )

    def fetch(self, ref: LinkRef) -> VendorContact:
        """An active contact; `VendorNotFound` for an archived one as for one that never was."""
        return mapper.to_canonical(self._http.request("GET", self._url(ref.vendor_id)).json())

    def take_snapshot(self, ref: LinkRef) -> dict[str, Any]:
        """The id alone (as `mapper.snapshot`), without a call: `unarchive` needs nothing else,
        and a fetch would only fail on a contact already archived in Intercom's UI, which the
        archive itself answers with success. A missing contact shows at the archive (404)."""
        return {"id": ref.vendor_id}

    def archive(self, ref: LinkRef) -> ArchiveResult:
        """`POST /contacts/{id}/archive`. Intercom answers a second archive with the same 200, so
        `already` is always False: telling it apart would cost a fetch whose 404 means either
        "archived" or "gone", for no change in what the caller does."""
        self._set_archived(ref.vendor_id, archived=True)
        return ArchiveResult()

    def restore(self, ref: LinkRef, snapshot: Mapping[str, Any] | None) -> RestoreResult:
        """`POST /contacts/{id}/unarchive`: the same id comes back, so the snapshot is not needed.
        Unarchiving an active contact (Intercom unarchives by itself when the person logs in
        again) is the same 200, hence `already` is always False."""
        self._set_archived(ref.vendor_id, archived=False)
        return RestoreResult(vendor_id=ref.vendor_id)

    def list_page(self, *, scope: str | None = None, cursor: str | None = None) -> ContactPage:
        """One page of the workspace's active contacts: Intercom never lists archived ones.
        Intercom has no scopes, so `scope` is ignored; `cursor` is Intercom's `starting_after`."""
        params: dict[str, str | int] = {"per_page": PER_PAGE}
        if cursor is not None:
            params["starting_after"] = cursor
        response = self._http.request("GET", f"{self._base_url}/contacts", params=params)
        contacts, following = mapper.list_page(response.json())
        return ContactPage([mapper.to_canonical(item) for item in contacts], following)

    def _set_archived(self, contact_id: str, *, archived: bool) -> None:
        action = "archive" if archived else "unarchive"
        response = self._http.request("POST", self._url(contact_id, action))
        if mapper.to_canonical(response.json()).archived is not archived:
            raise TransientVendorError(self.vendor, f"{action} answered archived={not archived}")

    def _url(self, contact_id: str, *action: str) -> str:
        return "/".join((self._base_url, "contacts", quote(contact_id, safe=""), *action))
