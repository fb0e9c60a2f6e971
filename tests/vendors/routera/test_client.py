"""Routera client against the Routera sandbox: the cached client-credentials token (renewed near
its end, replaced when refused), archive and the 404 of a repeat confirmed by a fetch, restore by
re-creating, listings across active and archived pages, retries under injected faults, and the
number of vendor calls each operation costs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef, RestoreStrategy, VendorClient, all_contacts
from contact_archive.vendors.credentials import RouteraCredentials
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorNotFound,
)
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.routera.client import RouteraClient
from devtools.sandboxes.base import Faults, json_response
from devtools.sandboxes.routera import RouteraSandbox

BASE_URL = "https://api.routera.io"
CLIENT_ID = "client-id"
CLIENT_SECRET = "routera-client-secret"
START = datetime(2026, 5, 28, 12, 0, 0, tzinfo=UTC)
TOKEN_TTL = 3600
ADA = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "external_id": "crm-42",
    "contact_owner": "jane@example.com",
    "region": "EMEA",  # a custom field: Routera objects are flat
}
TOKEN = "/oauth2/token"
CONTACT = "/contacts/[^/]+"


class Clock:
    """The time the sandbox (datetimes) and the client (seconds) read: the same, unless the
    vendor's is set ahead."""

    def __init__(self) -> None:
        self.now = START
        self.vendor_ahead = timedelta(0)

    def __call__(self) -> datetime:
        return self.now + self.vendor_ahead

    def seconds(self) -> float:
        return (self.now - START).total_seconds()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> RouteraSandbox:
    return RouteraSandbox(CLIENT_ID, CLIENT_SECRET, token_ttl=TOKEN_TTL, clock=clock)


@pytest.fixture
def ada(sandbox: RouteraSandbox) -> LinkRef:
    return LinkRef(sandbox.add_contact(**ADA)["id"])


@pytest.fixture
def waits() -> list[float]:
    """The backoff waits the client asked for, instead of sleeping them."""
    return []


@contextmanager
def client_of(
    sandbox: RouteraSandbox,
    clock: Clock,
    waits: list[float],
    *,
    secret: str = CLIENT_SECRET,
    retry: RetryPolicy | None = None,
    page_size: int = 100,
) -> Iterator[RouteraClient]:
    """A `RouteraClient` on the sandbox's transport, as the registry builds one."""
    credentials = RouteraCredentials(
        client_id=CLIENT_ID, client_secret=SecretStr(secret), base_url=BASE_URL
    )
    with httpx.Client(base_url=BASE_URL, transport=sandbox.transport()) as http:
        yield RouteraClient(
            credentials,
            http,
            retry=retry,
            sleep=waits.append,
            clock=clock.seconds,
            page_size=page_size,
        )


@pytest.fixture
def client(sandbox: RouteraSandbox, clock: Clock, waits: list[float]) -> Iterator[RouteraClient]:
    with client_of(sandbox, clock, waits) as client:
        yield client


def test_it_is_a_vendor_client_that_restores_by_recreating(client: RouteraClient) -> None:
    implementation: VendorClient = client
    assert implementation.vendor is Vendor.ROUTERA
    assert implementation.restore_strategy is RestoreStrategy.RECREATE


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


def test_fetch_of_a_missing_contact_is_not_found(client: RouteraClient) -> None:
    with pytest.raises(VendorNotFound):
        client.fetch(LinkRef("no-such-contact"))


def test_take_snapshot_saves_every_field_a_create_takes(
    client: RouteraClient, ada: LinkRef
) -> None:
    assert client.take_snapshot(ada) == {"id": ada.vendor_id, "fields": ADA}


# Archive


def test_archive_archives_the_contact(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    result = client.archive(ada)

    assert not result.already
    stored = sandbox.contact(ada.vendor_id)
    assert stored is not None and stored["archived"] == "2026-05-28T12:00:00.000Z"
    assert sandbox.calls("DELETE", CONTACT) == 1


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


def test_a_404_for_a_contact_the_fetch_shows_active_is_transient(
    sandbox: RouteraSandbox, clock: Clock, waits: list[float], ada: LinkRef
) -> None:
    # Given a Routera whose DELETE answers 404 while its GET shows the contact active
    def deletes_not_found(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return json_response(404, {"message": "Object not found", "error": True})
        return sandbox.handle(request)

    credentials = RouteraCredentials(
        client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET), base_url=BASE_URL
    )
    transport = httpx.MockTransport(deletes_not_found)
    with httpx.Client(base_url=BASE_URL, transport=transport) as http:
        client = RouteraClient(credentials, http, sleep=waits.append, clock=clock.seconds)

        # When Ada is archived, Then that is neither done nor not found: a later retry decides
        with pytest.raises(TransientVendorError, match="active"):
            client.archive(ada)


def test_archiving_a_missing_contact_is_not_found_after_the_fetch(
    sandbox: RouteraSandbox, client: RouteraClient
) -> None:
    with pytest.raises(VendorNotFound):
        client.archive(LinkRef("no-such-contact"))
    assert sandbox.calls("GET", CONTACT) == 1


def test_a_refused_archive_is_not_retried(sandbox: RouteraSandbox, client: RouteraClient) -> None:
    # When the archive is refused as invalid (Routera's 400 for a missing id)
    with pytest.raises(PermanentVendorError, match="Missing contactId") as raised:
        client.archive(LinkRef(""))

    # Then it was asked once
    assert raised.value.status == 400
    assert sandbox.calls("DELETE", "/contacts/") == 1


# Restore


def test_restore_recreates_the_contact_with_its_saved_fields(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # Given Ada's snapshot, taken before she was archived
    snapshot = client.take_snapshot(ada)
    client.archive(ada)

    # When she is restored
    result = client.restore(ada, snapshot)

    # Then a new, active contact holds every saved field; the old one stays archived and is
    # reported as replaced
    assert result.vendor_id != ada.vendor_id
    assert result.replaced_vendor_id == ada.vendor_id
    recreated = sandbox.contact(result.vendor_id)
    assert recreated is not None
    assert {key: recreated[key] for key in ADA} == ADA
    assert recreated["archived"] is False
    old = sandbox.contact(ada.vendor_id)
    assert old is not None and old["archived"]


def test_restore_without_a_snapshot_is_a_permanent_error(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    with pytest.raises(PermanentVendorError, match="no snapshot"):
        client.restore(ada, None)
    assert sandbox.requests == []


def test_restore_from_a_snapshot_without_identity_is_a_permanent_error(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    with pytest.raises(PermanentVendorError, match="none of email"):
        client.restore(ada, {"id": ada.vendor_id, "fields": {"region": "EMEA"}})
    assert sandbox.requests == []


# Listing


def test_listing_walks_active_then_archived_pages(
    sandbox: RouteraSandbox, clock: Clock, waits: list[float]
) -> None:
    # Given three active and two archived contacts, listed two at a time
    active = [sandbox.add_contact(email=f"active-{n}@example.com")["id"] for n in range(3)]
    archived = [
        sandbox.add_contact(email=f"gone-{n}@example.com", archived="2026-05-01T10:00:00.000Z")[
            "id"
        ]
        for n in range(2)
    ]
    with client_of(sandbox, clock, waits, page_size=2) as client:
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
def test_a_page_size_routera_refuses_is_refused_up_front(
    sandbox: RouteraSandbox, clock: Clock, waits: list[float], page_size: int
) -> None:
    with (
        pytest.raises(ValueError, match="page_size"),
        client_of(sandbox, clock, waits, page_size=page_size),
    ):
        pass


# The token


def test_the_token_is_fetched_once_for_many_calls(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    for _ in range(5):
        client.fetch(ada)

    assert sandbox.token_requests == 1
    assert sandbox.calls("GET", CONTACT) == 5


def test_the_token_is_renewed_shortly_before_it_expires(
    sandbox: RouteraSandbox, client: RouteraClient, clock: Clock, ada: LinkRef
) -> None:
    # Given a token with half a minute left
    client.fetch(ada)
    clock.advance(TOKEN_TTL - 30)

    # When the next call goes out
    client.fetch(ada)

    # Then it went with a new token, without being refused first
    assert sandbox.token_requests == 2
    assert sandbox.calls("GET", CONTACT) == 2


def test_an_expired_token_is_replaced(
    sandbox: RouteraSandbox, client: RouteraClient, clock: Clock, ada: LinkRef
) -> None:
    client.fetch(ada)
    clock.advance(2 * TOKEN_TTL)

    client.fetch(ada)

    assert sandbox.token_requests == 2
    assert sandbox.calls("GET", CONTACT) == 2


def test_a_token_refused_early_is_replaced_once_and_the_call_succeeds(
    sandbox: RouteraSandbox, client: RouteraClient, clock: Clock, ada: LinkRef
) -> None:
    # Given a token Routera stops accepting while the client still counts it valid
    client.fetch(ada)
    clock.vendor_ahead = timedelta(seconds=TOKEN_TTL + 1)

    # When the next call goes out
    contact = client.fetch(ada)

    # Then the refused call was repeated once, with a new token
    assert contact.vendor_id == ada.vendor_id
    assert sandbox.token_requests == 2
    assert sandbox.calls("GET", CONTACT) == 3


def test_a_refused_token_whose_renewal_is_refused_too_is_a_permanent_error(
    sandbox: RouteraSandbox, client: RouteraClient, clock: Clock, ada: LinkRef
) -> None:
    # Given a token Routera no longer accepts, and credentials it no longer accepts either
    client.fetch(ada)
    clock.vendor_ahead = timedelta(seconds=TOKEN_TTL + 1)
    sandbox.client_secret = "rotated-in-routera"

    # When the next call goes out
    with pytest.raises(PermanentVendorError, match="token request refused"):
        client.fetch(ada)

    # Then one new token was asked for, and nothing was retried
    assert sandbox.token_requests == 2
    assert sandbox.calls("GET", CONTACT) == 2


def test_a_wrong_secret_is_a_permanent_error_that_does_not_show_the_secret(
    sandbox: RouteraSandbox, clock: Clock, waits: list[float], ada: LinkRef
) -> None:
    wrong_secret = "not-the-routera-secret"
    with client_of(sandbox, clock, waits, secret=wrong_secret) as client:
        # When a call needs a token and the token endpoint refuses the credentials
        with pytest.raises(PermanentVendorError, match="token request refused") as raised:
            client.fetch(ada)

        # Then it is not retried, no contact call went out, and no text shows the secret
        assert raised.value.status == 401
        assert [(r.method, r.url.path) for r in sandbox.requests] == [("POST", TOKEN)]
        for text in (str(raised.value), repr(raised.value), repr(client)):
            assert wrong_secret not in text


# Faults and cost


def test_a_round_trip_under_injected_faults_changes_routera_exactly_once(
    sandbox: RouteraSandbox, clock: Clock, waits: list[float], ada: LinkRef
) -> None:
    # Given a Routera that fails half its requests (503, 429 with Retry-After, timeouts before
    # the request is handled), with a seed that makes each call fail at first, the token's too
    sandbox.faults = Faults(server_error_rate=0.2, throttle_rate=0.15, timeout_rate=0.15, seed=204)
    retry = RetryPolicy(max_attempts=10)
    with client_of(sandbox, clock, waits, retry=retry) as client:
        # When Ada is snapshotted, archived and restored
        snapshot = client.take_snapshot(ada)
        archived = client.archive(ada)
        restored = client.restore(ada, snapshot)

        # Then every call, the token request's too, got through after retries...
        assert sandbox.token_requests > 1
        assert sandbox.calls("GET", CONTACT) > 1
        assert sandbox.calls("DELETE", CONTACT) > 1
        assert sandbox.calls("POST", "/contacts") > 1
        assert not archived.already
        # ...and Routera holds Ada archived and exactly one new contact
        sandbox.faults = Faults()
        contacts = list(all_contacts(client))
    assert {(c.vendor_id, c.archived) for c in contacts} == {
        (ada.vendor_id, True),
        (restored.vendor_id, False),
    }


def test_a_re_create_whose_answer_is_lost_is_made_once_and_found(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # Given Ada archived, and a Routera that carries out every write but loses its answer
    snapshot = client.take_snapshot(ada)
    client.archive(ada)
    sandbox.faults = Faults(lost_answer_rate=1.0)
    # When she is restored
    restored = client.restore(ada, snapshot)
    # Then the create was sent once, and the contact it made is the one linked
    assert sandbox.calls("POST", "/contacts") == 1
    sandbox.faults = Faults()
    contacts = list(all_contacts(client))
    assert {(c.vendor_id, c.archived) for c in contacts} == {
        (ada.vendor_id, True),
        (restored.vendor_id, False),
    }


def test_find_recreated_looks_through_every_page_of_active_contacts(
    sandbox: RouteraSandbox, clock: Clock, waits: list[float], ada: LinkRef
) -> None:
    # Given Ada archived, and five other active contacts listed two to a page
    with client_of(sandbox, clock, waits, page_size=2) as client:
        snapshot = client.take_snapshot(ada)
        client.archive(ada)
        for number in range(5):
            sandbox.add_contact(**{**ADA, "email": f"other-{number}@example.com"})
        # Then before a restore there is nothing to find (the archived Ada is not it)...
        assert client.find_recreated(ada, snapshot) is None
        # ...and after one, the contact it made is found on the last page
        restored = client.restore(ada, snapshot)
        assert client.find_recreated(ada, snapshot) == restored.vendor_id


def test_an_archive_costs_a_token_a_read_and_a_delete_and_a_restore_one_create(
    sandbox: RouteraSandbox, client: RouteraClient, ada: LinkRef
) -> None:
    # When Ada is archived as the sync does it (snapshot first), then restored
    snapshot = client.take_snapshot(ada)
    client.archive(ada)
    archive_calls = [(r.method, r.url.path) for r in sandbox.requests]
    client.restore(ada, snapshot)
    restore_calls = [(r.method, r.url.path) for r in sandbox.requests[len(archive_calls) :]]

    # Then Routera saw a token request (the first call of the container), a read and a delete,
    # then one create on the cached token
    path = f"/contacts/{ada.vendor_id}"
    assert archive_calls == [("POST", TOKEN), ("GET", path), ("DELETE", path)]
    assert restore_calls == [("POST", "/contacts")]
