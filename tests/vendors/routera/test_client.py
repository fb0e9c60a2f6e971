"""Routera's quirks against the Routera sandbox: the cached client-credentials token (renewed near
its end, replaced when refused), the 404 of a repeated archive confirmed by a fetch, and listings
across active and archived pages. What every vendor client does alike is in
`tests/vendors/test_clients.py`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from contact_archive.vendors.client import LinkRef, all_contacts
from contact_archive.vendors.errors import PermanentVendorError
from contact_archive.vendors.routera.client import RouteraClient
from devtools.sandboxes.routera import RouteraSandbox
from tests.vendors.routera.case import ADA, CONTACT, TOKEN, TOKEN_TTL, RouteraCase, RouteraClock


@pytest.fixture
def case() -> Iterator[RouteraCase]:
    with RouteraCase() as case:
        yield case


# Reading


def test_fetch_reads_the_contact(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    contact = client.fetch(ada)

    assert contact.vendor_id == ada.vendor_id
    assert (contact.first_name, contact.last_name, contact.email, contact.external_id) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
        "crm-42",
    )
    assert not contact.archived
    # One token, then the contact, with it as a Bearer
    assert [(r.method, r.url.path) for r in sandbox.requests] == [
        ("POST", TOKEN),
        ("GET", f"/contacts/{ada.vendor_id}"),
    ]
    assert sandbox.requests[1].headers["Authorization"].startswith("Bearer sandbox.")


def test_take_snapshot_saves_every_field_a_create_takes(
    client: RouteraClient, ada: LinkRef
) -> None:
    assert client.take_snapshot(ada) == {"id": ada.vendor_id, "fields": ADA}


# Archive


def test_a_second_archive_is_confirmed_by_a_fetch_and_reported_already_archived(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # Given Ada archived
    client.archive(ada)

    # When she is archived again
    result = client.archive(ada)

    # Then Routera's 404 was checked with a fetch that shows her archived: a success
    assert result.already
    assert sandbox.calls("DELETE", CONTACT) == 2
    assert sandbox.calls("GET", CONTACT) == 1


def test_a_refused_archive_is_not_retried(sandbox: RouteraSandbox, client: RouteraClient) -> None:
    # When the archive is refused as invalid (Routera's 400 for a missing id)
    with pytest.raises(PermanentVendorError, match="Missing contactId") as raised:
        client.archive(LinkRef(""))

    # Then it was asked once
    assert raised.value.status == 400
    assert sandbox.calls("DELETE", "/contacts/") == 1


# Listing


def test_listing_walks_active_then_archived_pages(
    case: RouteraCase, sandbox: RouteraSandbox
) -> None:
    # Given three active and two archived contacts, listed two at a time
    active = [sandbox.add_contact(email=f"active-{n}@example.com")["id"] for n in range(3)]
    archived = [
        sandbox.add_contact(email=f"gone-{n}@example.com", archived="2026-05-01T10:00:00.000Z")[
            "id"
        ]
        for n in range(2)
    ]
    client = case.client_with(page_size=2)

    # When the pages are read one after the other
    pages = []
    cursor: str | None = None
    while True:
        page = client.list_page(cursor=cursor)
        pages.append(([c.vendor_id for c in page.contacts], page.next_cursor))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    # Then the active contacts come first, then the archived ones, the cursor naming the phase
    assert pages == [
        (active[:2], "active:2"),
        (active[2:], "archived:0"),
        (archived, "archived:2"),
        ([], None),
    ]


def test_all_contacts_holds_more_than_a_page_with_the_archived_flagged(
    sandbox: RouteraSandbox, client: RouteraClient
) -> None:
    # Given 150 active and 120 archived contacts (more than Routera's 100 a page)
    for n in range(150):
        sandbox.add_contact(email=f"active-{n}@example.com")
    for n in range(120):
        sandbox.add_contact(email=f"gone-{n}@example.com", archived="2026-05-01T10:00:00.000Z")

    # When every contact is listed
    contacts = list(all_contacts(client))

    # Then each is there once, the archived ones flagged
    assert len({c.vendor_id for c in contacts}) == 270
    assert sum(c.archived for c in contacts) == 120
    assert sandbox.calls("GET", "/contacts") == 4  # two active pages, two archived


@pytest.mark.parametrize("cursor", ["", "deleted:0", "active:", "active:-1", "archived:x"])
def test_a_foreign_cursor_is_refused(client: RouteraClient, cursor: str) -> None:
    with pytest.raises(ValueError, match="not a Routera list cursor"):
        client.list_page(cursor=cursor)


@pytest.mark.parametrize("page_size", [0, 101])
def test_a_page_size_routera_refuses_is_refused_up_front(case: RouteraCase, page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        case.client_with(page_size=page_size)


# The token


def test_the_token_is_fetched_once_for_many_calls(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    for _ in range(5):
        client.fetch(ada)

    assert sandbox.token_requests == 1
    assert sandbox.calls("GET", CONTACT) == 5


@pytest.mark.parametrize(
    "later",
    [TOKEN_TTL - 30, 2 * TOKEN_TTL],
    ids=["half a minute before its end", "long after its end"],
)
def test_a_token_near_or_past_its_end_is_renewed_before_the_call(
    sandbox: RouteraSandbox, client: RouteraClient, clock: RouteraClock, ada: LinkRef, later: int
) -> None:
    # Given a token with half a minute left, or one expired long ago
    client.fetch(ada)
    clock.advance(timedelta(seconds=later))

    # When the next call goes out
    client.fetch(ada)

    # Then it went with a new token, without being refused first
    assert sandbox.token_requests == 2
    assert sandbox.calls("GET", CONTACT) == 2


def hold_a_token_routera_no_longer_accepts(
    client: RouteraClient, clock: RouteraClock, ada: LinkRef
) -> None:
    """A call with a token, which Routera then stops accepting while the client still counts
    it valid."""
    client.fetch(ada)
    clock.vendor_ahead = timedelta(seconds=TOKEN_TTL + 1)


def test_a_token_refused_early_is_replaced_once_and_the_call_succeeds(
    sandbox: RouteraSandbox, client: RouteraClient, clock: RouteraClock, ada: LinkRef
) -> None:
    # Given a token Routera stops accepting while the client still counts it valid
    hold_a_token_routera_no_longer_accepts(client, clock, ada)

    # When the next call goes out
    contact = client.fetch(ada)

    # Then the refused call was repeated once, with a new token
    assert contact.vendor_id == ada.vendor_id
    assert sandbox.token_requests == 2
    assert sandbox.calls("GET", CONTACT) == 3


def test_a_refused_token_whose_renewal_is_refused_too_is_a_permanent_error(
    sandbox: RouteraSandbox, client: RouteraClient, clock: RouteraClock, ada: LinkRef
) -> None:
    # Given a token Routera no longer accepts, and credentials it no longer accepts either
    hold_a_token_routera_no_longer_accepts(client, clock, ada)
    sandbox.client_secret = "rotated-in-routera"

    # When the next call goes out
    with pytest.raises(PermanentVendorError, match="token request refused"):
        client.fetch(ada)

    # Then one new token was asked for, and nothing was retried
    assert sandbox.token_requests == 2
    assert sandbox.calls("GET", CONTACT) == 2
