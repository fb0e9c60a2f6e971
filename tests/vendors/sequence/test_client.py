"""Sequence client against the Sequence sandbox: reads through the customer's list, archive and
its repeat, restore by re-creating, auth and version headers, retries under injected faults, and
the number of vendor calls each operation costs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef, RestoreStrategy, VendorClient
from contact_archive.vendors.credentials import SequenceCredentials
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorNotFound,
)
from contact_archive.vendors.retry import RetryPolicy
from contact_archive.vendors.sequence.client import API_VERSION, SequenceClient
from devtools.sandboxes.base import Faults, json_response
from devtools.sandboxes.sequence import SequenceSandbox

BASE_URL = "https://sandbox.sequencehq.com/api"
CLIENT_ID = "client-id"
CLIENT_SECRET = "sequence-client-secret"
CUSTOMER = "customer-1"
START = datetime(2024, 8, 1, 12, 0, 0, tzinfo=UTC)
ADA = {"name": "Ada Lovelace", "email": "ada@example.com", "billingPreference": "PRIMARY"}
CONTACTS = "/api/customers/customer-1/contacts"
ARCHIVE = CONTACTS + "/[^/]+/archive"


class Clock:
    """The one time the sandbox and the client both read."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> SequenceSandbox:
    sandbox = SequenceSandbox(CLIENT_ID, CLIENT_SECRET, clock=clock)
    sandbox.add_customer(CUSTOMER)
    return sandbox


@pytest.fixture
def ada(sandbox: SequenceSandbox) -> LinkRef:
    return LinkRef(sandbox.add_contact(CUSTOMER, **ADA)["id"], CUSTOMER)


@pytest.fixture
def waits() -> list[float]:
    """The backoff waits the client asked for, instead of sleeping them."""
    return []


@pytest.fixture
def client(sandbox: SequenceSandbox, clock: Clock, waits: list[float]) -> Iterator[SequenceClient]:
    with client_of(sandbox, clock, waits) as client:
        yield client


@contextmanager
def client_of(
    sandbox: SequenceSandbox,
    clock: Clock,
    waits: list[float],
    *,
    secret: str = CLIENT_SECRET,
    retry: RetryPolicy | None = None,
) -> Iterator[SequenceClient]:
    """A `SequenceClient` on the sandbox's transport, as the registry builds one."""
    credentials = SequenceCredentials(
        client_id=CLIENT_ID, client_secret=SecretStr(secret), base_url=BASE_URL
    )
    with httpx.Client(base_url=BASE_URL, transport=sandbox.transport()) as http:
        yield SequenceClient(credentials, http, retry=retry, sleep=waits.append, clock=clock)


def test_it_is_a_vendor_client_that_restores_by_recreating(client: SequenceClient) -> None:
    implementation: VendorClient = client
    assert implementation.vendor is Vendor.SEQUENCE
    assert implementation.restore_strategy is RestoreStrategy.RECREATE


# Reading


def test_fetch_finds_the_contact_in_its_customers_list(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    # Given a customer with Ada among its contacts
    sandbox.add_contact(CUSTOMER, name="Someone Else", email="else@example.com")

    # When the client fetches Ada
    contact = client.fetch(ada)

    # Then it is her, read from the list with archived contacts included, with auth and version
    assert (contact.vendor_id, contact.scope) == (ada.vendor_id, CUSTOMER)
    assert (contact.first_name, contact.last_name, contact.email) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert not contact.archived
    (request,) = sandbox.requests
    assert (request.method, request.url.path) == ("GET", CONTACTS)
    assert request.url.params["includeArchived"] == "true"
    assert request.headers["Sequence-Version"] == API_VERSION
    assert request.headers["Authorization"].startswith("Basic ")


def test_fetch_reads_an_archived_contact(sandbox: SequenceSandbox, client: SequenceClient) -> None:
    # Given a contact archived in Sequence
    archived = sandbox.add_contact(CUSTOMER, archivedAt="2024-07-01T09:00:00Z")

    # When the client fetches it
    contact = client.fetch(LinkRef(archived["id"], CUSTOMER))

    # Then it is there, archived
    assert contact.archived
    assert contact.archived_at == "2024-07-01T09:00:00.000Z"


def test_fetch_of_a_contact_the_customer_lacks_is_not_found(client: SequenceClient) -> None:
    with pytest.raises(VendorNotFound):
        client.fetch(LinkRef("no-such-contact", CUSTOMER))


def test_fetch_under_an_unknown_customer_is_not_found(client: SequenceClient) -> None:
    with pytest.raises(VendorNotFound):
        client.fetch(LinkRef("contact", "no-such-customer"))


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.fetch(LinkRef("contact")), id="fetch"),
        pytest.param(lambda c: c.take_snapshot(LinkRef("contact")), id="take_snapshot"),
        pytest.param(lambda c: c.archive(LinkRef("contact")), id="archive"),
        pytest.param(lambda c: c.list_page(), id="list_page"),
    ],
)
def test_a_contact_without_its_customer_is_a_permanent_error(
    sandbox: SequenceSandbox, client: SequenceClient, call: Any
) -> None:
    # Given a link without scope, When the client is asked to act on it
    with pytest.raises(PermanentVendorError, match="customer"):
        call(client)

    # Then it says so without calling Sequence
    assert sandbox.requests == []


def test_take_snapshot_saves_what_a_recreate_needs(client: SequenceClient, ada: LinkRef) -> None:
    assert client.take_snapshot(ada) == {"customer": CUSTOMER, "id": ada.vendor_id, **ADA}


# Archive


def test_archive_archives_the_contact(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    # When Ada is archived
    result = client.archive(ada)

    # Then Sequence has her archived, by this call
    assert not result.already
    stored = sandbox.contact(CUSTOMER, ada.vendor_id)
    assert stored is not None and stored["archivedAt"] == "2024-08-01T12:00:00Z"
    assert sandbox.calls("POST", ARCHIVE) == 1


def test_archiving_again_later_reports_already_archived(
    sandbox: SequenceSandbox, client: SequenceClient, clock: Clock, ada: LinkRef
) -> None:
    # Given Ada archived an hour ago
    client.archive(ada)
    clock.advance(timedelta(hours=1))

    # When she is archived again
    result = client.archive(ada)

    # Then that is a success with nothing changed: the answer's archivedAt predates the call
    assert result.already
    stored = sandbox.contact(CUSTOMER, ada.vendor_id)
    assert stored is not None and stored["archivedAt"] == "2024-08-01T12:00:00Z"


def test_a_contact_archived_in_sequences_ui_is_already_archived(
    sandbox: SequenceSandbox, client: SequenceClient
) -> None:
    archived = sandbox.add_contact(CUSTOMER, archivedAt="2024-07-01T09:00:00Z")

    assert client.archive(LinkRef(archived["id"], CUSTOMER)).already


def test_an_archive_answered_within_minutes_of_the_call_counts_as_this_call(
    client: SequenceClient, clock: Clock, ada: LinkRef
) -> None:
    # Given Ada archived a minute ago (e.g. by this archive's first, lost, attempt)
    client.archive(ada)
    clock.advance(timedelta(minutes=1))

    # When the archive is repeated, Then it is not told apart from this call's own archive
    assert not client.archive(ada).already


def test_an_archive_answered_with_an_active_contact_is_transient(
    sandbox: SequenceSandbox, clock: Clock, waits: list[float], ada: LinkRef
) -> None:
    # Given a Sequence whose archive answers the contact without archiving it
    def archive_does_nothing(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/archive"):
            return json_response(200, sandbox.contact(CUSTOMER, ada.vendor_id))
        return sandbox.handle(request)

    credentials = SequenceCredentials(
        client_id=CLIENT_ID, client_secret=SecretStr(CLIENT_SECRET), base_url=BASE_URL
    )
    transport = httpx.MockTransport(archive_does_nothing)
    with httpx.Client(base_url=BASE_URL, transport=transport) as http:
        client = SequenceClient(credentials, http, sleep=waits.append, clock=clock)

        # When Ada is archived, Then that is not a success: a later retry tries again
        with pytest.raises(TransientVendorError, match="not archived"):
            client.archive(ada)


def test_archiving_a_missing_contact_is_not_found(client: SequenceClient) -> None:
    with pytest.raises(VendorNotFound):
        client.archive(LinkRef("no-such-contact", CUSTOMER))


# Restore


def test_restore_recreates_the_contact_with_its_saved_fields(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    # Given Ada's snapshot, taken before she was archived
    snapshot = client.take_snapshot(ada)
    client.archive(ada)

    # When she is restored
    result = client.restore(ada, snapshot)

    # Then a new contact holds her saved fields under the same customer; the old one stays
    # archived and is reported as replaced
    assert result.vendor_id != ada.vendor_id
    assert result.replaced_vendor_id == ada.vendor_id
    assert not result.already
    recreated = sandbox.contact(CUSTOMER, result.vendor_id)
    assert recreated is not None
    assert {key: recreated[key] for key in ADA} == ADA
    assert "archivedAt" not in recreated
    old = sandbox.contact(CUSTOMER, ada.vendor_id)
    assert old is not None and "archivedAt" in old


def test_restore_without_a_snapshot_is_a_permanent_error(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    with pytest.raises(PermanentVendorError, match="no snapshot"):
        client.restore(ada, None)
    assert sandbox.requests == []


def test_restore_from_an_incomplete_snapshot_is_a_permanent_error(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    with pytest.raises(PermanentVendorError, match="snapshot has no email"):
        client.restore(ada, {"customer": CUSTOMER, "name": "Ada", "billingPreference": "NONE"})
    assert sandbox.requests == []


# Listing


def test_list_page_holds_every_contact_of_the_customer_archived_included(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    # Given Ada and an archived contact, and another customer's contact
    archived = sandbox.add_contact(CUSTOMER, archivedAt="2024-07-01T09:00:00Z")
    sandbox.add_contact("customer-2")

    # When the customer's contacts are listed
    page = client.list_page(scope=CUSTOMER)

    # Then both are in the one and only page, archived flagged, under their customer
    assert {(c.vendor_id, c.archived) for c in page.contacts} == {
        (ada.vendor_id, False),
        (archived["id"], True),
    }
    assert {c.scope for c in page.contacts} == {CUSTOMER}
    assert page.next_cursor is None


def test_list_page_takes_no_cursor(client: SequenceClient) -> None:
    with pytest.raises(ValueError, match="one page"):
        client.list_page(scope=CUSTOMER, cursor="anything")


# Credentials


def test_a_wrong_secret_is_a_permanent_error_that_does_not_show_the_secret(
    sandbox: SequenceSandbox, clock: Clock, waits: list[float], ada: LinkRef
) -> None:
    wrong_secret = "not-the-sequence-secret"
    with client_of(sandbox, clock, waits, secret=wrong_secret) as client:
        # When a call goes out with the wrong secret
        with pytest.raises(PermanentVendorError) as raised:
            client.fetch(ada)

        # Then Sequence's 401 is not retried, and no text shows the secret
        assert raised.value.status == 401
        assert len(sandbox.requests) == 1
        for text in (str(raised.value), repr(raised.value), repr(client)):
            assert wrong_secret not in text


# Faults and cost


def test_a_round_trip_under_injected_faults_changes_sequence_exactly_once(
    sandbox: SequenceSandbox, clock: Clock, waits: list[float], ada: LinkRef
) -> None:
    # Given a Sequence that fails half its requests (503, 429 with Retry-After, timeouts before
    # the request is handled), with a seed that makes each of the three calls fail at first
    sandbox.faults = Faults(server_error_rate=0.2, throttle_rate=0.15, timeout_rate=0.15, seed=28)
    retry = RetryPolicy(max_attempts=10)
    with client_of(sandbox, clock, waits, retry=retry) as client:
        # When Ada is snapshotted, archived and restored
        snapshot = client.take_snapshot(ada)
        archived = client.archive(ada)
        restored = client.restore(ada, snapshot)

        # Then every call got through after retries...
        assert sandbox.calls("GET", CONTACTS) > 1
        assert sandbox.calls("POST", ARCHIVE) > 1
        assert sandbox.calls("POST", CONTACTS) > 1
        assert not archived.already
        # ...and Sequence holds Ada archived and exactly one new contact
        sandbox.faults = Faults()
        page = client.list_page(scope=CUSTOMER)
    assert {(c.vendor_id, c.archived) for c in page.contacts} == {
        (ada.vendor_id, True),
        (restored.vendor_id, False),
    }


def test_a_re_create_whose_answer_is_lost_is_made_once_and_found(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    # Given Ada archived, and a Sequence that carries out every write but loses its answer
    snapshot = client.take_snapshot(ada)
    client.archive(ada)
    sandbox.faults = Faults(lost_answer_rate=1.0)
    # When she is restored
    restored = client.restore(ada, snapshot)
    # Then the create was sent once, and the contact it made is the one linked
    assert sandbox.calls("POST", CONTACTS) == 1
    sandbox.faults = Faults()
    page = client.list_page(scope=CUSTOMER)
    assert {(c.vendor_id, c.archived) for c in page.contacts} == {
        (ada.vendor_id, True),
        (restored.vendor_id, False),
    }


def test_find_recreated_names_the_contact_a_restore_made_and_nothing_before(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    # Given Ada archived, and another active contact of the customer with another email
    snapshot = client.take_snapshot(ada)
    client.archive(ada)
    sandbox.add_contact(CUSTOMER, **{**ADA, "email": "ada@elsewhere.example"})
    # Then before a restore there is nothing to find (the archived Ada is not it)...
    assert client.find_recreated(ada, snapshot) is None
    # ...and after one, it is the contact the restore made
    restored = client.restore(ada, snapshot)
    assert client.find_recreated(ada, snapshot) == restored.vendor_id


def test_an_archive_costs_one_read_and_one_write_and_a_restore_one_write(
    sandbox: SequenceSandbox, client: SequenceClient, ada: LinkRef
) -> None:
    # When Ada is archived as the sync does it (snapshot first), then restored
    snapshot = client.take_snapshot(ada)
    client.archive(ada)
    archive_calls = [(r.method, r.url.path) for r in sandbox.requests]
    client.restore(ada, snapshot)
    restore_calls = [(r.method, r.url.path) for r in sandbox.requests[len(archive_calls) :]]

    # Then Sequence saw one list and one archive, then one create
    assert archive_calls == [("GET", CONTACTS), ("POST", f"{CONTACTS}/{ada.vendor_id}/archive")]
    assert restore_calls == [("POST", CONTACTS)]
