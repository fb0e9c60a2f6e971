"""The Intercom client: Bearer token and `Intercom-Version: 2.10` on every call, archive and
unarchive in place, delete for erasure, and a search for the person behind an id answered 404.

Intercom hides an archived contact completely: `GET /contacts/{id}` answers 404 and `GET /contacts`
leaves it out (`VENDORS.md`). So the vendor id kept in the ledger is the only way back to it, and
"not found" cannot tell "archived" from "deleted" or "merged into another contact": `restore`
tells archived (its unarchive succeeds), `find_active` tells merged (the person is found under
another id), and what is left is deleted.

URLs are absolute, built from the tenant's own host (`credentials.api_base_url`: US, EU or AU):
the `httpx.Client` is shared, and its `base_url` cannot pick the region of every tenant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.client import (
    ArchiveResult,
    ContactPage,
    DeleteResult,
    LinkRef,
    RestoreResult,
    RestoreStrategy,
)
from contact_archive.vendors.credentials import IntercomCredentials
from contact_archive.vendors.errors import TransientVendorError, VendorNotFound
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.intercom import mapper
from contact_archive.vendors.intercom.types import Contact, UpdateContactRequest
from contact_archive.vendors.rate_limit import Pacer
from contact_archive.vendors.retry import RetryPolicy

API_VERSION = "2.10"
PER_PAGE = 150  # the most `GET /contacts` and `POST /contacts/search` give per page


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
        bucket: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`bucket`: the app's shared limit (the registry gives the fleet's per-window counters
        at 10,000 calls a minute less a margin: `vendors/fleet/limits.py`). None by default, for
        a client on its own: its 429s carry `X-RateLimit-Reset` (a UNIX time, read on `clock`),
        which the retries wait for when it is within their budget."""
        self._base_url = credentials.api_base_url.rstrip("/")
        self._http = VendorHttp(
            self.vendor,
            http_client,
            error_text=mapper.error_message,
            retry=retry,
            bucket=bucket,
            auth=IntercomAuth(credentials.access_token),
            sleep=sleep,
            clock=clock,
        )

    def fetch(self, ref: LinkRef) -> VendorContact:
        """An active contact; `VendorNotFound` for an archived, deleted or merged-away one as for
        one that never was."""
        return mapper.to_canonical(self._get(ref.vendor_id))

    def take_snapshot(self, ref: LinkRef) -> dict[str, Any]:
        """The contact's id, role, email and external id (`mapper.snapshot`), fetched.

        `VendorNotFound` for a contact already archived (in Intercom's UI, say), as for a deleted
        one: Intercom does not show it. Its archive and restore need no snapshot, the id is
        enough."""
        return mapper.snapshot(self._get(ref.vendor_id))

    def archive(self, ref: LinkRef) -> ArchiveResult:
        """`POST /contacts/{id}/archive`. Intercom answers a second archive with the same 200, so
        `already` is always False: telling it apart would cost a fetch whose 404 means either
        "archived" or "gone", for no change in what the caller does."""
        self._set_archived(ref.vendor_id, archived=True)
        return ArchiveResult()

    def restore(self, ref: LinkRef, snapshot: Mapping[str, Any] | None) -> RestoreResult:
        """`POST /contacts/{id}/unarchive`: the same id comes back with every field, so the
        snapshot is not needed and nothing is `not_restored`. Unarchiving an active contact
        (Intercom unarchives by itself when the person logs in again) is the same 200, hence
        `already` is always False. `VendorNotFound` once deleted or merged away."""
        self._set_archived(ref.vendor_id, archived=False)
        return RestoreResult(vendor_id=ref.vendor_id, not_restored=dict(mapper.NOT_RESTORED))

    def update(self, ref: LinkRef, fields: UpdateContactRequest) -> VendorContact:
        """`PUT /contacts/{id}` with writable fields: the contact as it now is. `VendorNotFound`
        for an archived contact (Intercom does not show it), `PermanentVendorError` for a field
        Intercom refuses or an email or external id another contact holds (409)."""
        response = self._http.request("PUT", self._url(ref.vendor_id), json=dict(fields))
        return mapper.to_canonical(response.json())

    def delete(self, ref: LinkRef) -> DeleteResult:
        """`DELETE /contacts/{id}`, for erasure: gone for good, never to be unarchived.

        Intercom answers 404 for a contact it does not show: one deleted or merged away, and
        (not documented either way) perhaps an archived one. So a 404 is followed by an
        unarchive: if that brings the contact back, it was archived and is deleted now; if it
        is 404 too, the contact was already gone: a success, `already`. A merged-away contact
        is "already" gone too: its person lives on in the contact it went into
        (`find_active`)."""
        try:
            self._delete(ref.vendor_id)
            return DeleteResult()
        except VendorNotFound:
            pass
        try:
            self._set_archived(ref.vendor_id, archived=False)
        except VendorNotFound:
            return DeleteResult(already=True)
        self._delete(ref.vendor_id)
        return DeleteResult()

    def find_active(self, *, email: str | None, external_id: str | None) -> VendorContact | None:
        """The active contact holding `external_id`, else the one holding `email`; None if
        there is none. What a 404 for a contact we hold leaves to find out: a lead merged into
        a user is found as that user.

        `POST /contacts/search` by `=`, users before leads (a merge goes into a user), every
        candidate fetched by id: 2.10 does not say whether search shows archived contacts, and
        a fetch never does. A contact created in the last minutes may not be searchable yet
        (Intercom's "Contact Creation Delay"), so None is no proof that no one holds them."""
        if not email and not external_id:
            raise ValueError("intercom: find_active needs an email or an external_id")
        for field, value in (("external_id", external_id), ("email", email)):
            if not value:
                continue
            candidates = sorted(self._search(field, value), key=lambda c: c.get("role") != "user")
            for candidate in candidates:
                try:
                    return self.fetch(LinkRef(candidate["id"]))
                except VendorNotFound:
                    continue  # archived, or gone since the search
        return None

    def list_page(self, *, scope: str | None = None, cursor: str | None = None) -> ContactPage:
        """One page of the workspace's active contacts: Intercom never lists archived ones.
        Intercom has no scopes, so `scope` is ignored; `cursor` is Intercom's `starting_after`."""
        params: dict[str, str | int] = {"per_page": PER_PAGE}
        if cursor is not None:
            params["starting_after"] = cursor
        response = self._http.request("GET", f"{self._base_url}/contacts", params=params)
        contacts, following = mapper.list_page(response.json())
        return ContactPage([mapper.to_canonical(item) for item in contacts], following)

    def _get(self, contact_id: str) -> Contact:
        contact: Contact = self._http.request("GET", self._url(contact_id)).json()
        return contact

    def _search(self, field: str, value: str) -> Iterator[Contact]:
        """Every contact a search for `field = value` shows, page by page."""
        cursor: str | None = None
        while True:
            body = mapper.search_body(field, value, per_page=PER_PAGE, starting_after=cursor)
            response = self._http.request("POST", f"{self._base_url}/contacts/search", json=body)
            contacts, cursor = mapper.list_page(response.json())
            yield from contacts
            if cursor is None:
                return

    def _delete(self, contact_id: str) -> None:
        response = self._http.request("DELETE", self._url(contact_id))
        if not mapper.deleted(response.json()):
            raise TransientVendorError(self.vendor, "delete answered deleted=False")

    def _set_archived(self, contact_id: str, *, archived: bool) -> None:
        action = "archive" if archived else "unarchive"
        response = self._http.request("POST", self._url(contact_id, action))
        if mapper.to_canonical(response.json()).archived is not archived:
            raise TransientVendorError(self.vendor, f"{action} answered archived={not archived}")

    def _url(self, contact_id: str, *action: str) -> str:
        return "/".join((self._base_url, "contacts", quote(contact_id, safe=""), *action))
