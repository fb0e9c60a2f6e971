"""The Routera client: an OAuth2 client-credentials token cached per tenant (`auth.py`), archive
by `DELETE`, restore by re-creating from the snapshot, and listings that walk active then archived
contacts.

Routera's 404 on `DELETE` means "not found or already archived" (`VENDORS.md`), so a fetch after
that 404 tells the two apart. Whether `GET /contacts/{id}` answers an archived contact is not
documented: after its 404 the `archived=true` list is searched for the id before the contact
counts as not found (a contact archived in Routera's UI is snapshotted that way too).

A re-create Routera refuses as a duplicate (409: another active contact holds its email or
`external_id`; the code and body are not documented) links that contact when it holds exactly
the fields sent, as `find_recreated` does, and is a permanent error naming the conflict otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
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
    VendorNotFound,
)
from contact_archive.vendors.http import VendorHttp
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.routera import mapper
from contact_archive.vendors.routera.auth import RouteraTokenAuth
from contact_archive.vendors.routera.types import Contact, CreateContactRequest

MAX_PAGE_SIZE = 100  # Routera's list limit is 1-100


class ListPhase(StrEnum):
    """Routera lists active and archived contacts apart (`archived=false|true`)."""

    ACTIVE = "active"
    ARCHIVED = "archived"


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
        return mapper.to_canonical(self._get_any(ref.vendor_id), scope=ref.scope)

    def take_snapshot(self, ref: LinkRef) -> dict[str, Any]:
        """The fields a re-create needs, read from the contact, active or archived (by us or in
        Routera's UI): the material a restore of either uses."""
        return mapper.snapshot(self._get_any(ref.vendor_id))

    def archive(self, ref: LinkRef) -> ArchiveResult:
        """`DELETE`; its 404 means "not found or already archived", so a fetch decides: archived
        is success with `already=True`, a 404 again is `VendorNotFound`."""
        try:
            self._http.request("DELETE", _contact_path(ref.vendor_id))
        except VendorNotFound:
            archived, _ = mapper.archived_state(self._get_any(ref.vendor_id).get("archived"))
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
        lost, the active contacts are read for it before creating again. What a re-create
        cannot write back (the id, Routera's own times) is reported in `not_restored`."""
        saved = self._saved(snapshot)
        body = self._create_body(saved)
        try:
            vendor_id = self._http.create_once(
                "/contacts",
                json=body,
                created=lambda response: str(response.json()["id"]),
                find=lambda: self._made_by(body, replacing=ref.vendor_id, taken=taken),
            )
        except PermanentVendorError as error:
            if error.status != httpx.codes.CONFLICT:
                raise
            return self._restore_held(ref, saved, body, taken=taken)
        return RestoreResult(
            vendor_id=vendor_id,
            replaced_vendor_id=ref.vendor_id,
            not_restored=mapper.not_restored(saved),
        )

    def find_recreated(
        self, ref: LinkRef, snapshot: Mapping[str, Any] | None, *, taken: Taken = nothing_taken
    ) -> str | None:
        body = self._create_body(self._saved(snapshot))
        return self._made_by(body, replacing=ref.vendor_id, taken=taken)

    def _saved(self, snapshot: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if snapshot is None:
            raise PermanentVendorError(self.vendor, "no snapshot to re-create the contact from")
        return snapshot

    def _create_body(self, saved: Mapping[str, Any]) -> CreateContactRequest:
        try:
            return mapper.create_body(saved)
        except ValueError as error:
            raise PermanentVendorError(self.vendor, f"cannot re-create: {error}") from None

    def _restore_held(
        self, ref: LinkRef, saved: Mapping[str, Any], body: CreateContactRequest, *, taken: Taken
    ) -> RestoreResult:
        """After Routera refused the re-create as a duplicate (409), the active contact holding
        its email or `external_id` is the restore when it holds exactly the fields sent (an
        earlier restore whose result was lost, or someone re-created it by hand) and no other
        contact of the ledger has it, or when it is the contact itself, still active. Anything
        else is a permanent error naming the conflict by field, never by value."""
        holders = [
            (contact, shared)
            for contact in self._active_contacts()
            if (shared := mapper.shared_unique_fields(contact, body))
        ]
        for contact, _ in holders:
            if contact["id"] == ref.vendor_id:
                return RestoreResult(vendor_id=ref.vendor_id, already=True)
        for contact, _ in holders:
            if mapper.made_by_create(contact, body, replacing=ref.vendor_id) and not taken(
                contact["id"]
            ):
                return RestoreResult(
                    vendor_id=contact["id"],
                    replaced_vendor_id=ref.vendor_id,
                    not_restored=mapper.not_restored(saved),
                )
        if not holders:
            raise PermanentVendorError(
                self.vendor,
                "re-create refused as a duplicate, yet no active contact holds its email or"
                " external_id (an archived contact may still hold them)",
                status=httpx.codes.CONFLICT,
            )
        contact, shared = holders[0]
        why = (
            "is linked to another contact"
            if mapper.made_by_create(contact, body, replacing=ref.vendor_id)
            else "holds other fields"
        )
        raise PermanentVendorError(
            self.vendor,
            f"re-create refused: active contact {contact['id']} has the same"
            f" {' and '.join(shared)} and {why}",
            status=httpx.codes.CONFLICT,
        )

    def _made_by(self, body: CreateContactRequest, *, replacing: str, taken: Taken) -> str | None:
        """The contact the create made, looked for page by page among the active contacts:
        Routera documents no search by field, so this is the one lookup it allows."""
        for contact in self._active_contacts():
            if mapper.made_by_create(contact, body, replacing=replacing) and not taken(
                contact["id"]
            ):
                return contact["id"]
        return None

    def _active_contacts(self) -> Iterator[Contact]:
        """Every active contact, page by page, read as the caller goes."""
        offset: int | None = 0
        while offset is not None:
            contacts, offset = self._page(ListPhase.ACTIVE, offset)
            yield from contacts

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

    def _get_any(self, contact_id: str) -> Contact:
        """The contact by `GET`, or, after its 404, from the `archived=true` list (a `GET` of
        an archived contact is not documented to work); `VendorNotFound` when neither has it."""
        try:
            return self._get(contact_id)
        except VendorNotFound:
            offset: int | None = 0
            while offset is not None:
                contacts, offset = self._page(ListPhase.ARCHIVED, offset)
                for contact in contacts:
                    if contact["id"] == contact_id:
                        return contact
            raise


def _contact_path(contact_id: str) -> str:
    return f"/contacts/{quote(contact_id, safe='')}"


def _read_cursor(cursor: str | None) -> tuple[ListPhase, int]:
    if cursor is None:
        return ListPhase.ACTIVE, 0
    phase, _, offset = cursor.partition(":")
    if phase not in {ListPhase.ACTIVE, ListPhase.ARCHIVED} or not offset.isdigit():
        raise ValueError("not a Routera list cursor")
    return ListPhase(phase), int(offset)
