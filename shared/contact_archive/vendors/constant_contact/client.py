"""The Constant Contact client: OAuth2 Bearer with rotating refresh tokens (`auth.py`), 4
requests a second, delete with `DELETE`, revive with a whole `PUT` of the saved contact; many at
once with bulk activities (`bulk.py`).

A delete keeps the contact (`deleted_at`) but drops its list memberships, and a PUT overwrites
what it leaves out: the snapshot taken before archiving is the whole contact with its lists, and
the restore PUTs it back (`VENDORS.md`). Deleted contacts stay fetchable and listable.

Over the 10,000 requests a day, a 429 `quota_exceeded` is a `TransientVendorError` with an hour's
`retry_after` (`mapper.quota_wait`), beyond any retry budget: the caller defers, nothing sleeps.

Across a fleet of containers, the registry gives each client the fleet's token renewal (one
refresh per rotation, the others re-read the saved pair: `vendors/fleet/tokens.py`) and the API
key's shared time slots (`vendors/fleet/limits.py`); a client made on its own renews and paces
for itself.

URLs are absolute, built from the tenant's `credentials.base_url`; the `_links.next.href` of a
list page is host-relative and already holds `/v3`, so it is joined to the base URL's origin.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, cast
from urllib.parse import quote

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.client import (
    ArchiveResult,
    BulkItemResult,
    ContactPage,
    LinkRef,
    RestoreResult,
    RestoreStrategy,
)
from contact_archive.vendors.constant_contact import mapper
from contact_archive.vendors.constant_contact.auth import (
    OwnRenewal,
    RotatingBearerAuth,
    RotationCallback,
)
from contact_archive.vendors.constant_contact.bulk import BulkActivities, Polling
from contact_archive.vendors.constant_contact.types import ContactResource
from contact_archive.vendors.credentials import ConstantContactCredentials
from contact_archive.vendors.errors import PermanentVendorError, VendorNotFound
from contact_archive.vendors.fleet.tokens import TokenRenewal
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.rate_limit import Pacer, TokenBucket
from contact_archive.vendors.retry import RetryPolicy

VENDOR = Vendor.CONSTANT_CONTACT
RATE_PER_SECOND = 4.0  # per API key, as documented; a 5th request within the second is a 429
# The pace the client keeps: 10% under the limit, so that requests sent a quarter second apart
# cannot arrive closer together (network and scheduling jitter) and meet a 429 at the vendor.
PACE_PER_SECOND = RATE_PER_SECOND * 0.9
BURST = 1  # spaced out evenly: a burst of 4 could meet the previous second's tail at the vendor
PAGE_LIMIT = 500  # the most `GET /contacts` gives per page
FETCH_INCLUDE = "list_memberships"
# Every subresource `mapper.snapshot` keeps: a PUT leaves out-of-body subresources alone, but
# the DELETE dropped the list memberships, and the revive must bring them back with the rest.
SNAPSHOT_INCLUDE = "custom_fields,list_memberships,phone_numbers,street_addresses,notes,taggings"


class ConstantContactClient:
    vendor: ClassVar[Vendor] = VENDOR
    restore_strategy: ClassVar[RestoreStrategy] = RestoreStrategy.REVIVE

    def __init__(
        self,
        credentials: ConstantContactCredentials,
        http_client: httpx.Client,
        *,
        on_rotated: RotationCallback | None = None,
        tokens: TokenRenewal | None = None,
        retry: RetryPolicy | None = None,
        bucket: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        polling: Polling | None = None,
    ) -> None:
        """`tokens` renews the token for the fleet (`vendors/fleet/tokens.SharedToken`, as the
        registry gives it). Without it, the client renews on its own and `on_rotated` saves the
        credentials after a refresh: the refresh token they replace is dead. If saving raises,
        the call fails with its error, but the new pair stays in memory and this client goes on
        with it. `bucket` should be shared by every client of the same API key, since the limit
        is the key's (the registry gives the fleet's slots); by default this client has its own.
        `polling` is how bulk calls wait for their activities.
        """
        if tokens is None:
            if on_rotated is None:
                raise ValueError("a Constant Contact client needs `tokens` or `on_rotated`")
            tokens = OwnRenewal(on_rotated)
        bucket = bucket or TokenBucket(PACE_PER_SECOND, BURST, sleep=sleep)
        self._auth = RotatingBearerAuth(credentials, tokens, bucket.acquire)
        self._base_url = httpx.URL(credentials.base_url.rstrip("/"))
        self._http = VendorHttp(
            self.vendor,
            http_client,
            error_text=mapper.error_message,
            retry=retry,
            bucket=bucket,
            auth=self._auth,
            wait_hint=mapper.quota_wait,
            sleep=sleep,
        )
        self._bulk = BulkActivities(
            self._http, self._url, self._next_page_url, sleep, polling or Polling()
        )

    @property
    def credentials(self) -> ConstantContactCredentials:
        """The current credentials, rotated tokens included."""
        return self._auth.credentials

    def fetch(self, ref: LinkRef) -> VendorContact:
        """The contact with its lists; a deleted one too (with `deleted_at`, on no list)."""
        return mapper.to_canonical(self._contact(ref.vendor_id, FETCH_INCLUDE))

    def take_snapshot(self, ref: LinkRef) -> dict[str, Any]:
        """The whole contact as a PUT takes it, subresources and list memberships included.
        A contact deleted already (in Constant Contact's UI) can still be read, but its lists
        are gone: the snapshot marks them unknown (`lists_unknown`). `VendorNotFound` if
        Constant Contact has no such contact."""
        return mapper.snapshot(self._contact(ref.vendor_id, SNAPSHOT_INCLUDE))

    def archive(self, ref: LinkRef) -> ArchiveResult:
        """`DELETE /contacts/{id}`: one call. What a second DELETE answers is not documented: a
        204 cannot be told from the first one (`already` False), and a 404 is confirmed by a
        fetch, since a deleted contact can still be fetched."""
        try:
            self._http.request("DELETE", self._url("contacts", ref.vendor_id))
        except VendorNotFound:
            if self.fetch(ref).archived:
                return ArchiveResult(already=True)
            raise
        return ArchiveResult()

    def restore(self, ref: LinkRef, snapshot: Mapping[str, Any] | None) -> RestoreResult:
        """Revive with a PUT of the snapshot (`update_source: Account`, the saved lists).

        A fetch first: a contact someone revived already is left as it is (`already`), since
        PUTting the archive-time snapshot would undo whatever changed on it since; and the email
        permission it holds now is the one the PUT sends, so a revive cannot opt anyone in.
        A deleted contact whose lists are not known (or who was on none) is revived on the
        tenant's restore list, or refused for good without one: Constant Contact revives only
        onto a list. What the revive could not write back is in the result's `not_restored`."""
        if snapshot is None:
            raise PermanentVendorError(self.vendor, "no snapshot to revive the contact from")
        current = self._contact(ref.vendor_id)
        if not mapper.to_canonical(current).archived:
            return RestoreResult(vendor_id=ref.vendor_id, already=True)
        try:
            revive = mapper.revive(snapshot, current, self.credentials.restore_list_id)
        except ValueError as error:
            raise PermanentVendorError(
                self.vendor, f"the snapshot cannot revive it: {error}"
            ) from None
        url = self._url("contacts", ref.vendor_id)
        response = self._http.request("PUT", url, json=revive.body)
        if mapper.to_canonical(response.json()).archived:
            # Repeating the same PUT cannot do better: someone has to look at this contact.
            raise PermanentVendorError(self.vendor, "the revive answered a contact still deleted")
        return RestoreResult(vendor_id=ref.vendor_id, not_restored=revive.not_restored)

    def list_page(self, *, scope: str | None = None, cursor: str | None = None) -> ContactPage:
        """One page of up to 500 contacts, deleted ones included, each with its lists.
        Constant Contact has no scopes (`scope` is ignored); `cursor` is the page's
        `_links.next.href`, which carries the query of the first page."""
        if cursor is None:
            params = {"status": "all", "limit": PAGE_LIMIT, "include": FETCH_INCLUDE}
            response = self._http.request("GET", self._url("contacts"), params=params)
        else:
            response = self._http.request("GET", self._next_page_url(cursor))
        contacts, following = mapper.list_page(response.json())
        return ContactPage([mapper.to_canonical(item) for item in contacts], following)

    def list_deleted_page(
        self,
        *,
        updated_after: str | None = None,
        cursor: str | None = None,
        limit: int = PAGE_LIMIT,
    ) -> ContactPage:
        """One page of deleted contacts (`status=deleted`), those changed after `updated_after`
        (ISO 8601) when given: deletes made in Constant Contact's own UI show up here. `cursor`
        is the previous page's `_links.next.href`, which carries the first page's query."""
        if cursor is None:
            params = mapper.deleted_since_query(updated_after, limit)
            response = self._http.request("GET", self._url("contacts"), params=params)
        else:
            response = self._http.request("GET", self._next_page_url(cursor))
        contacts, following = mapper.list_page(response.json())
        return ContactPage([mapper.to_canonical(item) for item in contacts], following)

    def archive_bulk(self, vendor_ids: Sequence[str]) -> dict[str, BulkItemResult]:
        """Archive many contacts (a worker's unit: up to 5,000) with bulk activities: their
        lists read by the page as the restore material, then one `contact_delete` per 500,
        all polled together (`bulk.py`). Deleted already: `already`; unknown: `not_found`.
        Transient errors past the retries raise `BulkInterrupted` with the material read."""
        return self._bulk.archive(vendor_ids)

    def restore_bulk(
        self, items: Mapping[str, Mapping[str, Any] | None]
    ) -> dict[str, BulkItemResult]:
        """Revive many contacts (vendor id -> the material `archive_bulk` returned, or a single
        archive's snapshot) with `add_list_memberships` onto their saved lists; one revived
        already is `already`, left as it is. What could not come back is in `not_restored`."""
        return self._bulk.restore(items, self.credentials.restore_list_id)

    def _contact(self, contact_id: str, include: str | None = None) -> ContactResource:
        params = {"include": include} if include else None
        response = self._http.request("GET", self._url("contacts", contact_id), params=params)
        return cast(ContactResource, response.json())

    def _url(self, *parts: str) -> str:
        return "/".join((str(self._base_url), *(quote(part, safe="") for part in parts)))

    def _next_page_url(self, href: str) -> str:
        """The href joined to the base URL's origin; anything that would leave that origin is
        refused, so a forged cursor cannot send the tenant's token elsewhere."""
        url = self._base_url.join(href)
        if (url.scheme, url.host, url.port) != (
            self._base_url.scheme,
            self._base_url.host,
            self._base_url.port,
        ):
            raise ValueError("constant_contact: the cursor is not a page of this API")
        return str(url)
