"""The Sequence client: Basic auth and the API version on every call, contacts read through their
customer's list, archive by `POST .../archive`, restore by re-creating from the snapshot.

Sequence has no single-contact GET, no unarchive and no pagination (`VENDORS.md`): a contact is
found in its customer's list (`includeArchived=true`), so every call needs the customer id, the
link's scope. A link without one cannot be served: that is a `PermanentVendorError` (the sync
records it on the link) rather than a `ValueError` that would fail the whole batch.

Sequence answers 429 over its rate limit (VENDORS.md: 1,500 requests a minute per key in its newer
docs, 100 in older ones); whether it sends `Retry-After` is not documented (the spec declares no
429 at all). The retries wait for `Retry-After` when it is there and back off otherwise; a client
given a pacer keeps under the limit instead of meeting it: the registry gives every client of a
key the fleet's shared per-window counters (`vendors/fleet/limits.py`), `pacing_bucket` one
process's.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Generator, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from contact_archive.ledger.models import Vendor, iso, utc_now
from contact_archive.vendors.canonical import VendorContact
from contact_archive.vendors.client import (
    ArchiveResult,
    ContactPage,
    LinkRef,
    RestoreResult,
    RestoreStrategy,
    Taken,
    nothing_taken,
)
from contact_archive.vendors.credentials import SequenceCredentials
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorError,
    VendorNotFound,
)
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.rate_limit import Pacer, TokenBucket
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.sequence import mapper
from contact_archive.vendors.sequence.types import Contact, ContactRequestModel

API_VERSION = "2024-07-30"

# An archive answer whose `archivedAt` is older than the call by more than this was archived
# before it (in Sequence's UI, or by an earlier sync). The margin absorbs clock skew and our own
# retries, whose answer shows the archive the first attempt made.
ARCHIVED_BEFORE_MARGIN = timedelta(minutes=5)

REQUESTS_PER_MINUTE = 1_500  # per API key, Sequence's newer docs (VENDORS.md; older docs: 100)
PACE = 0.9  # of the limit: requests sent evenly can still arrive bunched at the vendor

LAST_PRIMARY_REFUSED = (
    "archive refused: the contact is its customer's only PRIMARY billing contact and other"
    " contacts still receive billing communications; Sequence requires a PRIMARY contact while"
    " any does. Make another contact PRIMARY (or set the others to NONE), then archive again"
)


def pacing_bucket(
    requests_per_minute: int = REQUESTS_PER_MINUTE,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenBucket:
    """A bucket that keeps the clients of one API key under Sequence's per-minute limit: share
    it between them, since the limit is the key's. It refills at 90% of the limit with a burst
    of a twentieth of it (not documented how Sequence counts: at most 95% of the limit fits in
    any minute, a sliding one included)."""
    return TokenBucket(
        requests_per_minute * PACE / 60,
        max(1, requests_per_minute // 20),
        clock=clock,
        sleep=sleep,
    )


class SequenceAuth(httpx.Auth):
    """`Authorization: Basic base64(client_id:client_secret)` and `Sequence-Version` on each
    request: set per request, since one `httpx.Client` serves every tenant of the container."""

    def __init__(self, credentials: SequenceCredentials) -> None:
        pair = f"{credentials.client_id}:{credentials.client_secret.get_secret_value()}"
        self._authorization = "Basic " + base64.b64encode(pair.encode()).decode()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = self._authorization
        request.headers["Sequence-Version"] = API_VERSION
        yield request


class SequenceClient:
    vendor: ClassVar[Vendor] = Vendor.SEQUENCE
    restore_strategy: ClassVar[RestoreStrategy] = RestoreStrategy.RECREATE

    def __init__(
        self,
        credentials: SequenceCredentials,
        http_client: httpx.Client,
        *,
        retry: RetryPolicy | None = None,
        bucket: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`http_client` is the container's shared client, its `base_url` the vendor's API root
        (`credentials.base_url`); `clock` only dates the call when telling an archive apart from
        an earlier one. No pacer by default: the registry gives the key's shared one, and
        `pacing_bucket` makes one for a process."""
        self._http = VendorHttp(
            self.vendor,
            http_client,
            error_text=mapper.error_message,
            retry=retry,
            bucket=bucket,
            auth=SequenceAuth(credentials),
            sleep=sleep,
        )
        self._clock = clock

    def fetch(self, ref: LinkRef) -> VendorContact:
        customer = _customer(ref.scope)
        return mapper.to_canonical(self._find(customer, ref.vendor_id), scope=customer)

    def take_snapshot(self, ref: LinkRef) -> dict[str, Any]:
        customer = _customer(ref.scope)
        return mapper.snapshot(self._find(customer, ref.vendor_id), scope=customer)

    def archive(self, ref: LinkRef) -> ArchiveResult:
        """Sequence answers a second archive with the contact, unchanged (not documented): only
        an `archivedAt` from before this call shows that it was archived already.

        A customer's last PRIMARY billing contact cannot be archived while others receive
        billing communications (the spec's rule; how Sequence answers is not documented): a 400
        is checked against the customer's list, and that refusal told as such."""
        customer = _customer(ref.scope)
        called_at = self._clock()
        path = f"{_contacts_path(customer)}/{quote(ref.vendor_id, safe='')}/archive"
        try:
            response = self._http.request("POST", path)
        except PermanentVendorError as refused:
            if refused.status == 400 and self._is_last_primary(customer, ref.vendor_id):
                raise PermanentVendorError(
                    self.vendor, LAST_PRIMARY_REFUSED, status=refused.status
                ) from refused
            raise
        answer = mapper.to_canonical(response.json(), scope=customer)
        if not answer.archived:
            raise TransientVendorError(self.vendor, "archive answered a contact not archived")
        already = answer.archived_at is not None and answer.archived_at < iso(
            called_at - ARCHIVED_BEFORE_MARGIN
        )
        return ArchiveResult(already=already)

    def restore(
        self, ref: LinkRef, snapshot: Mapping[str, Any] | None, *, taken: Taken = nothing_taken
    ) -> RestoreResult:
        """Re-create the contact under its customer from the snapshot; the new id replaces the
        old one, which stays archived in Sequence. Made at most once: after an answer that may
        have been lost, the customer's list is read for the contact before creating again.

        A STANDARD contact is refused while its customer has no active PRIMARY one (the billing
        rule): then, and only if the list confirms it, it is re-created as NONE and
        `billingPreference` reported not restored. A PRIMARY contact is re-created PRIMARY even
        when another is PRIMARY now: the spec allows several."""
        path, body = self._create_request(snapshot)
        not_restored = dict(mapper.NOT_RESTORED)
        try:
            vendor_id = self._create(path, body, ref, taken)
        except PermanentVendorError as refused:
            fallback = self._billing_fallback(path, body, refused)
            if fallback is None:
                raise
            vendor_id = self._create(path, fallback, ref, taken)
            not_restored["billingPreference"] = mapper.BILLING_PREFERENCE_NOT_RESTORED
        return RestoreResult(
            vendor_id=vendor_id, replaced_vendor_id=ref.vendor_id, not_restored=not_restored
        )

    def find_recreated(
        self, ref: LinkRef, snapshot: Mapping[str, Any] | None, *, taken: Taken = nothing_taken
    ) -> str | None:
        path, body = self._create_request(snapshot)
        return self._made_by(path, body, replacing=ref.vendor_id, taken=taken)

    def _create(self, path: str, body: ContactRequestModel, ref: LinkRef, taken: Taken) -> str:
        return self._http.create_once(
            path,
            json=body,
            created=lambda response: str(response.json()["id"]),
            find=lambda: self._made_by(path, body, replacing=ref.vendor_id, taken=taken),
        )

    def _billing_fallback(
        self, contacts_path: str, body: ContactRequestModel, refused: PermanentVendorError
    ) -> ContactRequestModel | None:
        """The body to create instead after `refused`, when the billing rule refused it: a
        STANDARD contact refused with a 400 while the customer has no active PRIMARY contact."""
        fallback = mapper.without_billing(body)
        if fallback is None or refused.status != 400:
            return None
        if mapper.has_active_primary(self._list_at(contacts_path)):
            return None
        return fallback

    def _is_last_primary(self, customer: str, contact_id: str) -> bool:
        """Whether the customer's list shows the contact as its last PRIMARY one that others
        need; a list that cannot be read says nothing (the vendor's own refusal stands)."""
        try:
            return mapper.is_last_primary(self._list(customer), contact_id)
        except VendorError:
            return False

    def _create_request(
        self, snapshot: Mapping[str, Any] | None
    ) -> tuple[str, ContactRequestModel]:
        if snapshot is None:
            raise PermanentVendorError(self.vendor, "no snapshot to re-create the contact from")
        try:
            return mapper.create_path(snapshot), mapper.create_body(snapshot)
        except ValueError as error:
            raise PermanentVendorError(self.vendor, f"cannot re-create: {error}") from None

    def _made_by(
        self, contacts_path: str, body: ContactRequestModel, *, replacing: str, taken: Taken
    ) -> str | None:
        """The contact the create made, looked for in the customer's list (its create path): as
        `body` says, or as its billing fallback (`mapper.recreate_bodies`)."""
        bodies = mapper.recreate_bodies(body)
        for contact in self._list_at(contacts_path):
            made = any(mapper.made_by_create(contact, sent, replacing=replacing) for sent in bodies)
            if made and not taken(contact["id"]):
                return contact["id"]
        return None

    def list_page(self, *, scope: str | None = None, cursor: str | None = None) -> ContactPage:
        """All of a customer's contacts, archived ones included, in one page: Sequence does not
        paginate, so this client never hands out a cursor and takes none."""
        if cursor is not None:
            raise ValueError("Sequence lists a customer in one page: there is no next page")
        customer = _customer(scope)
        contacts = [mapper.to_canonical(item, scope=customer) for item in self._list(customer)]
        return ContactPage(contacts=contacts, next_cursor=None)

    def _find(self, customer: str, contact_id: str) -> Contact:
        """The raw contact, found in its customer's list: Sequence has no GET for one contact."""
        for contact in self._list(customer):
            if contact["id"] == contact_id:
                return contact
        raise VendorNotFound(self.vendor, "no such contact under the customer")

    def _list(self, customer: str) -> list[Contact]:
        return self._list_at(_contacts_path(customer))

    def _list_at(self, contacts_path: str) -> list[Contact]:
        response = self._http.request("GET", contacts_path, params={"includeArchived": "true"})
        contacts, _ = mapper.list_page(response.json())
        return contacts


def _customer(scope: str | None) -> str:
    if not scope:
        raise PermanentVendorError(
            Vendor.SEQUENCE, "no customer id: a Sequence link needs its customer as scope"
        )
    return scope


def _contacts_path(customer: str) -> str:
    return f"/customers/{quote(customer, safe='')}/contacts"
