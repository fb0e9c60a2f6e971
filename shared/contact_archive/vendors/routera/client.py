"""The Routera client: an OAuth2 client-credentials token cached per tenant, archive by `DELETE`,
restore by re-creating from the snapshot, and listings that walk active then archived contacts.

Routera's 404 on `DELETE` means "not found or already archived" (`VENDORS.md`); its `GET` still
answers an archived contact, so a fetch after that 404 tells the two apart.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Generator, Mapping
from enum import StrEnum
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from contact_archive.ledger.models import Vendor
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
from contact_archive.vendors.credentials import RouteraCredentials
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorError,
    VendorNotFound,
)
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy, classify
from contact_archive.vendors.routera import mapper
from contact_archive.vendors.routera.types import Contact, CreateContactRequest

# A token is renewed this long before Routera says it expires (at most half its lifetime), so a
# request never leaves with a token that dies on the way.
TOKEN_RENEWAL_MARGIN = 60.0  # seconds

MAX_PAGE_SIZE = 100  # Routera's list limit is 1-100


class ListPhase(StrEnum):
    """Routera lists active and archived contacts apart (`archived=false|true`)."""

    ACTIVE = "active"
    ARCHIVED = "archived"


class RouteraTokenAuth(httpx.Auth):
    """Bearer auth with a client-credentials token, fetched through the same transport when none
    is cached or the cached one is near its end, and once more when Routera refuses it (401:
    revoked early). Keep one per tenant for the container's life: it holds that tenant's token.

    The lock guards the cached token only and is never held across a request: threads that find
    no token at the same moment may each fetch one, which costs a call but blocks nobody."""

    requires_response_body = True  # the token answer is read inside the flow

    def __init__(
        self, credentials: RouteraCredentials, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._token_url = httpx.URL(credentials.base_url).join(credentials.token_path)
        self._client_id = credentials.client_id
        self._client_secret = credentials.client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at: float | None = None  # None: no lifetime given, kept until refused

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        token = self._cached_token()
        if token is None:
            token = yield from self._new_token(request)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == httpx.codes.UNAUTHORIZED:
            self._forget(token)
            token = yield from self._new_token(request)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def _cached_token(self) -> str | None:
        with self._lock:
            if self._renew_at is not None and self._clock() >= self._renew_at:
                self._token = None
            return self._token

    def _forget(self, token: str) -> None:
        """Drop a refused token, unless another thread has already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _new_token(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, str]:
        """`POST {token_path}` with the client credentials in a Basic header (the form RFC 6749
        requires every server to accept). The API request's timeouts apply to it too."""
        pair = f"{self._client_id}:{self._client_secret.get_secret_value()}"
        requested_at = self._clock()
        response = yield httpx.Request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()},
            extensions={k: v for k, v in request.extensions.items() if k == "timeout"},
        )
        if not response.is_success:
            raise self._refusal(response)
        answer = _json(response)
        if not isinstance(answer, dict):
            answer = {}
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise PermanentVendorError(Vendor.ROUTERA, "token answer has no access_token")
        expires_in = answer.get("expires_in")
        renew_at = None
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            renew_at = requested_at + expires_in - min(TOKEN_RENEWAL_MARGIN, expires_in / 2)
        with self._lock:
            self._token, self._renew_at = token, renew_at
        return token

    def _refusal(self, response: httpx.Response) -> VendorError:
        """429 and 5xx stay transient (retried with the API call); anything else is permanent,
        a 404 included (it is the token endpoint that is missing, not a contact). The vendor's
        text is kept unless it echoes the secret."""
        text = mapper.error_message(_json(response))
        if text is not None and self._client_secret.get_secret_value() in text:
            text = None
        message = f"token request refused: {text or f'HTTP {response.status_code}'}"
        error = classify(Vendor.ROUTERA, response.status_code, response.headers, message)
        if isinstance(error, TransientVendorError):
            return error
        return PermanentVendorError(Vendor.ROUTERA, message, status=response.status_code)


class RouteraClient:
    """Keep one per tenant for the container's life: its auth holds the tenant's token."""

    vendor: ClassVar[Vendor] = Vendor.ROUTERA
    restore_strategy: ClassVar[RestoreStrategy] = RestoreStrategy.RECREATE

    def __init__(
        self,
        credentials: RouteraCredentials,
        http_client: httpx.Client,
        *,
        retry: RetryPolicy | None = None,
        bucket: TokenBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        """`http_client` is the container's shared client, its `base_url` the vendor's API root
        (`credentials.base_url`); `clock` (seconds) times the token's lifetime."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self._http = VendorHttp(
            self.vendor,
            http_client,
            error_text=mapper.error_message,
            retry=retry,
            bucket=bucket,
            auth=RouteraTokenAuth(credentials, clock=clock),
            sleep=sleep,
        )
        self._page_size = page_size

    def fetch(self, ref: LinkRef) -> VendorContact:
        return mapper.to_canonical(self._get(ref.vendor_id), scope=ref.scope)

    def take_snapshot(self, ref: LinkRef) -> dict[str, Any]:
        return mapper.snapshot(self._get(ref.vendor_id))

    def archive(self, ref: LinkRef) -> ArchiveResult:
        """`DELETE`; its 404 means "not found or already archived", so a fetch decides: archived
        is success with `already=True`, a 404 again is `VendorNotFound`."""
        try:
            self._http.request("DELETE", _contact_path(ref.vendor_id))
        except VendorNotFound:
            archived, _ = mapper.archived_state(self._get(ref.vendor_id).get("archived"))
            if archived:
                return ArchiveResult(already=True)
            # Found and active, yet not archivable just now: let a later retry try again.
            raise TransientVendorError(
                self.vendor, "archive answered 404 for a contact that is active"
            ) from None
        return ArchiveResult()

    def restore(
        self, ref: LinkRef, snapshot: Mapping[str, Any] | None, *, taken: Taken = nothing_taken
    ) -> RestoreResult:
        """Re-create the contact from the snapshot's fields; the new id replaces the old one,
        which stays archived in Routera. Made at most once: after an answer that may have been
        lost, the active contacts are read for it before creating again."""
        body = self._create_body(snapshot)
        vendor_id = self._http.create_once(
            "/contacts",
            json=body,
            created=lambda response: str(response.json()["id"]),
            find=lambda: self._made_by(body, replacing=ref.vendor_id, taken=taken),
        )
        return RestoreResult(vendor_id=vendor_id, replaced_vendor_id=ref.vendor_id)

    def find_recreated(
        self, ref: LinkRef, snapshot: Mapping[str, Any] | None, *, taken: Taken = nothing_taken
    ) -> str | None:
        return self._made_by(self._create_body(snapshot), replacing=ref.vendor_id, taken=taken)

    def _create_body(self, snapshot: Mapping[str, Any] | None) -> CreateContactRequest:
        if snapshot is None:
            raise PermanentVendorError(self.vendor, "no snapshot to re-create the contact from")
        try:
            return mapper.create_body(snapshot)
        except ValueError as error:
            raise PermanentVendorError(self.vendor, f"cannot re-create: {error}") from None

    def _made_by(self, body: CreateContactRequest, *, replacing: str, taken: Taken) -> str | None:
        """The contact the create made, looked for page by page among the active contacts:
        Routera documents no search by field, so this is the one lookup it allows."""
        offset: int | None = 0
        while offset is not None:
            contacts, offset = self._page(ListPhase.ACTIVE, offset)
            for contact in contacts:
                if mapper.made_by_create(contact, body, replacing=replacing) and not taken(
                    contact["id"]
                ):
                    return contact["id"]
        return None

    def list_page(self, *, scope: str | None = None, cursor: str | None = None) -> ContactPage:
        """One page of every contact: the active ones first, then the archived ones, since
        Routera lists each apart. The cursor says which and where: `active:200`, `archived:0`.

        Offsets shift when a contact is archived mid-listing (it leaves the active list for the
        archived one), so a listing that races archives may miss or repeat a contact."""
        phase, offset = _read_cursor(cursor)
        contacts, next_offset = self._page(phase, offset)
        if next_offset is not None:
            next_cursor: str | None = f"{phase}:{next_offset}"
        elif phase is ListPhase.ACTIVE:
            next_cursor = f"{ListPhase.ARCHIVED}:0"
        else:
            next_cursor = None
        return ContactPage(
            contacts=[mapper.to_canonical(contact, scope=scope) for contact in contacts],
            next_cursor=next_cursor,
        )

    def _page(self, phase: ListPhase, offset: int) -> tuple[list[Contact], int | None]:
        """One raw page of active or archived contacts, and the next page's offset."""
        response = self._http.request(
            "GET",
            "/contacts",
            params={
                "archived": "true" if phase is ListPhase.ARCHIVED else "false",
                "limit": self._page_size,
                "offset": offset,
            },
        )
        return mapper.list_page(response.json())

    def _get(self, contact_id: str) -> Contact:
        contact: Contact = self._http.request("GET", _contact_path(contact_id)).json()
        return contact


def _contact_path(contact_id: str) -> str:
    return f"/contacts/{quote(contact_id, safe='')}"


def _read_cursor(cursor: str | None) -> tuple[ListPhase, int]:
    if cursor is None:
        return ListPhase.ACTIVE, 0
    phase, _, offset = cursor.partition(":")
    if phase not in {ListPhase.ACTIVE, ListPhase.ARCHIVED} or not offset.isdigit():
        raise ValueError("not a Routera list cursor")
    return ListPhase(phase), int(offset)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
