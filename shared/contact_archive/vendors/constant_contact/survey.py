"""Where many contacts stand at Constant Contact (active, deleted, unknown), read by the page.

`GET /contacts` has no filter by id, so a bulk call reads the account's list pages (500 contacts
each) until it has seen every contact it asked about: the non-deleted ones (the default listing)
for an archive, which also gives each one's lists, `status=deleted` for a restore. The first page
counts the listing (`include_count`); once the pages left would cost more than fetching the
contacts not seen yet one by one, the rest are fetched one by one. A contact in neither listing,
both read to their end, is unknown to Constant Contact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal, cast

from contact_archive.vendors.constant_contact import mapper
from contact_archive.vendors.constant_contact.types import ContactResource, Contacts
from contact_archive.vendors.errors import VendorNotFound
from contact_archive.vendors.http import VendorHttp

PAGE_LIMIT = mapper.LIST_LIMIT
LISTS = "list_memberships"

type State = Literal["active", "deleted", "unknown"]


@dataclass(frozen=True)
class Standing:
    """A contact as last read: `contact` is None when Constant Contact has no such contact."""

    state: State
    contact: ContactResource | None = None


class Survey:
    """Reads where contacts stand, through the client's `VendorHttp` (its pacer, its retries)."""

    def __init__(
        self,
        http: VendorHttp,
        url: Callable[..., str],
        next_page_url: Callable[[str], str],
    ) -> None:
        self._http = http
        self._url = url
        self._next_page_url = next_page_url

    def standings(
        self, contact_ids: Collection[str], *, expect: Literal["active", "deleted"], lists: bool
    ) -> dict[str, Standing]:
        """Each contact's standing. `expect` is the listing read first (where most of them
        should be); `lists` reads each active contact's list memberships too."""
        unseen = dict.fromkeys(contact_ids)
        found: dict[str, Standing] = {}
        listings: tuple[State, State] = (
            ("active", "deleted") if expect == "active" else ("deleted", "active")
        )
        read_to_the_end = True
        for listing in listings:
            if not unseen:
                break
            if not self._scan(listing, unseen, found, lists=lists and listing == "active"):
                read_to_the_end = False
                break
        if read_to_the_end:
            found.update(dict.fromkeys(unseen, Standing("unknown")))
        else:
            found.update({contact_id: self._one(contact_id, lists) for contact_id in unseen})
        return {contact_id: found[contact_id] for contact_id in contact_ids}

    def _scan(
        self,
        listing: State,
        unseen: dict[str, None],
        found: dict[str, Standing],
        *,
        lists: bool,
    ) -> bool:
        """Read `listing`'s pages, moving the contacts seen from `unseen` to `found`. False when
        it stopped because fetching the rest one by one is cheaper than the pages left."""
        params: dict[str, str | int] = {"limit": PAGE_LIMIT, "include_count": "true"}
        if listing == "deleted":
            params["status"] = "deleted"
        if lists:
            params["include"] = LISTS
        response = self._http.request("GET", self._url("contacts"), params=params)
        total: int | None = None
        pages = read = 0
        while True:
            page = cast(Contacts, response.json())
            if total is None:
                total = page.get("contacts_count")
            contacts, following = mapper.list_page(page)
            pages += 1
            read += len(contacts)
            for contact in contacts:
                contact_id = contact.get("contact_id", "")
                if contact_id in unseen:
                    del unseen[contact_id]
                    found[contact_id] = _standing(contact)
            if not unseen or following is None:
                return True
            if _one_by_one_is_cheaper(total, read, pages, len(unseen)):
                return False
            response = self._http.request("GET", self._next_page_url(following))

    def _one(self, contact_id: str, lists: bool) -> Standing:
        params = {"include": LISTS} if lists else None
        try:
            response = self._http.request("GET", self._url("contacts", contact_id), params=params)
        except VendorNotFound:
            return Standing("unknown")
        return _standing(cast(ContactResource, response.json()))


def _standing(contact: ContactResource) -> Standing:
    return Standing("deleted" if contact.get("deleted_at") else "active", contact)


def _one_by_one_is_cheaper(total: int | None, read: int, pages: int, unseen: int) -> bool:
    """Whether the listing's pages left cost more requests than one fetch per unseen contact.
    Without a count (not promised by the spec for every listing), the pages already read stand
    for what is left: the listing is given up once it has cost as much as the fetches."""
    if total is None:
        return pages >= unseen
    return math.ceil(max(total - read, 0) / PAGE_LIMIT) > unseen
