"""The Sequence client: Basic auth and the API version on every call, contacts read through their
customer's list, archive by `POST .../archive`, restore by re-creating from the snapshot.

Sequence has no single-contact GET, no unarchive and no pagination (`VENDORS.md`): a contact is
found in its customer's list (`includeArchived=true`), so every call needs the customer id, the
link's scope. A link without one cannot be served: that is a `PermanentVendorError` (the sync
records it on the link) rather than a `ValueError` that would fail the whole batch.
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
    VendorNotFound,
)
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.sequence import mapper
from contact_archive.vendors.sequence.types import Contact, ContactRequestModel

API_VERSION = "2024-07-30"

# An archive answer whose `archivedAt` is older than the call by more than this was archived
# before it (in Sequence's UI, or by an earlier sync). The margin absorbs clock skew and our own
# retries, whose answer shows the archive the first attempt made.
ARCHIVED_BEFORE_MARGIN = timedelta(minutes=5)


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
        bucket: TokenBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`http_client` is the container's shared client, its `base_url` the vendor's API root
        (`credentials.base_url`); `clock` only dates the call when telling an archive apart from
        an earlier one."""
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
        an `archivedAt` from before this call shows that it was archived already."""
        customer = _customer(ref.scope)
        called_at = self._clock()
        path = f"{_contacts_path(customer)}/{quote(ref.vendor_id, safe='')}/archive"
        answer = mapper.to_canonical(self._http.request("POST", path).json(), scope=customer)
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
        have been lost, the customer's list is read for the contact before creating again."""
        path, body = self._create_request(snapshot)
        vendor_id = self._http.create_once(
            path,
            json=body,
            created=lambda response: str(response.json()["id"]),
            find=lambda: self._made_by(path, body, replacing=ref.vendor_id, taken=taken),
        )
        return RestoreResult(vendor_id=vendor_id, replaced_vendor_id=ref.vendor_id)

    def find_recreated(
        self, ref: LinkRef, snapshot: Mapping[str, Any] | None, *, taken: Taken = nothing_taken
    ) -> str | None:
        path, body = self._create_request(snapshot)
        return self._made_by(path, body, replacing=ref.vendor_id, taken=taken)

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
        """The contact the create made, looked for in the customer's list (its create path)."""
        for contact in self._list_at(contacts_path):
            if mapper.made_by_create(contact, body, replacing=replacing) and not taken(
                contact["id"]
            ):
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
