"""The Intercom client against the Intercom sandbox: archive and unarchive in place, archived
contacts invisible, per-request auth and region hosts, retries under injected faults."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from contact_archive.vendors.client import (
    ArchiveResult,
    LinkRef,
    RestoreResult,
    RestoreStrategy,
    VendorClient,
    all_contacts,
)
from contact_archive.vendors.credentials import IntercomCredentials
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorNotFound,
)
from contact_archive.vendors.intercom.client import PER_PAGE, IntercomClient
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.base import Faults
from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime

TOKEN = "intercom-test-token-5f1c2a"
US = "https://api.intercom.io"
START = 1_717_000_000.0
ARCHIVE = r"/contacts/\w+/archive"
UNARCHIVE = r"/contacts/\w+/unarchive"


class Wire:
    """The sandbox's transport, noting what each request got: a status, or None (timed out)."""

    def __init__(self, sandbox: IntercomSandbox) -> None:
        self.sandbox = sandbox
        self.seen: list[tuple[httpx.Request, int | None]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self.sandbox.handle(request)
        except httpx.TimeoutException:
            self.seen.append((request, None))
            raise
        self.seen.append((request, response.status_code))
        return response

    def statuses(self, method: str, path: str) -> list[int | None]:
        return [
            status
            for request, status in self.seen
            if request.method == method and request.url.path == path
        ]


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime(START)


@pytest.fixture
def sandbox(clock: FakeTime) -> IntercomSandbox:
    return IntercomSandbox(TOKEN, clock=clock, sleep=clock.sleep)


@pytest.fixture
def wire(sandbox: IntercomSandbox) -> Wire:
    return Wire(sandbox)


@pytest.fixture
def http(wire: Wire) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=US, transport=httpx.MockTransport(wire)) as client:
        yield client


def make_client(
    http: httpx.Client,
    clock: FakeTime,
    *,
    token: str = TOKEN,
    region: str = "us",
    retry: RetryPolicy | None = None,
) -> IntercomClient:
    credentials = IntercomCredentials.model_validate({"access_token": token, "region": region})
    return IntercomClient(credentials, http, retry=retry, sleep=clock.sleep)


@pytest.fixture
def client(http: httpx.Client, clock: FakeTime) -> IntercomClient:
    return make_client(http, clock)


def test_it_is_a_vendor_client_that_unarchives(client: IntercomClient) -> None:
    typed: VendorClient = client
    assert typed.restore_strategy is RestoreStrategy.UNARCHIVE


# -- fetch ----------------------------------------------------------------------------------


def test_fetch_maps_an_active_contact(sandbox: IntercomSandbox, client: IntercomClient) -> None:
    # Given an active contact
    added = sandbox.add_contact(email="ada@example.com", name="Ada King Lovelace", external_id="7")
    # When it is fetched
    contact = client.fetch(LinkRef(added["id"]))
    # Then it comes back as the canonical contact, active
    assert (contact.vendor_id, contact.email, contact.external_id) == (
        added["id"],
        "ada@example.com",
        "7",
    )
    assert (contact.first_name, contact.last_name) == ("Ada King", "Lovelace")
    assert contact.archived is False and contact.created_at == "2024-05-29T16:26:40.000Z"


@pytest.mark.parametrize("archived", [True, False], ids=["archived", "unknown"])
def test_an_archived_contact_is_not_found_like_an_unknown_one(
    sandbox: IntercomSandbox, client: IntercomClient, archived: bool
) -> None:
    # Given an archived contact, or an id Intercom never had
    contact_id = (
        sandbox.add_contact(email="gone@example.com", archived=True)["id"] if archived else "0" * 24
    )
    # When it is fetched, then Intercom says not found either way
    with pytest.raises(VendorNotFound) as raised:
        client.fetch(LinkRef(contact_id))
    assert raised.value.status == 404
    assert sandbox.calls("GET", f"/contacts/{contact_id}") == 1  # a 404 is not retried


# -- archive --------------------------------------------------------------------------------


def test_the_snapshot_is_the_id_and_costs_no_call(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    added = sandbox.add_contact(email="snap@example.com")
    assert client.take_snapshot(LinkRef(added["id"])) == {"id": added["id"]}
    assert sandbox.requests == []


def test_archive_archives_the_contact_with_one_call(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given an active contact
    added = sandbox.add_contact(email="arch@example.com")
    # When it is archived
    result = client.archive(LinkRef(added["id"]))
    # Then Intercom holds it archived, after a single call
    assert result == ArchiveResult(already=False)
    stored = sandbox.contact(added["id"])
    assert stored is not None and stored["archived"] is True
    assert len(sandbox.requests) == 1 and sandbox.calls("POST", ARCHIVE) == 1


def test_a_repeated_archive_is_a_success_that_cannot_tell_it_was_already(
    sandbox: IntercomSandbox, client: IntercomClient, clock: FakeTime
) -> None:
    # Given a contact archived once (by us, or in Intercom's UI)
    added = sandbox.add_contact(email="twice@example.com")
    client.archive(LinkRef(added["id"]))
    before = sandbox.contact(added["id"])
    clock.now += 60
    # When it is archived again
    result = client.archive(LinkRef(added["id"]))
    # Then it is a success: Intercom answers 200 again and nothing changes
    assert result == ArchiveResult(already=False)
    assert sandbox.contact(added["id"]) == before
    assert sandbox.calls("POST", ARCHIVE) == 2


def test_archiving_an_unknown_contact_is_not_found(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    with pytest.raises(VendorNotFound):
        client.archive(LinkRef("0" * 24))
    assert sandbox.calls("POST", ARCHIVE) == 1


# -- restore --------------------------------------------------------------------------------


def test_a_round_trip_leaves_the_contact_as_it_was(
    sandbox: IntercomSandbox, client: IntercomClient, clock: FakeTime
) -> None:
    # Given an active contact, fetched and snapshotted before archiving
    added = sandbox.add_contact(email="round@example.com", name="Rou Trip", external_id="rt-1")
    ref = LinkRef(added["id"])
    before = client.fetch(ref)
    snapshot = client.take_snapshot(ref)
    # When it is archived, then restored a day later from the snapshot
    client.archive(ref)
    clock.now += 86_400
    requests_before_restore = len(sandbox.requests)
    result = client.restore(ref, snapshot)
    # Then the same id is active again with the same fields (only `updated_at` moved)
    assert result == RestoreResult(vendor_id=added["id"])
    assert len(sandbox.requests) - requests_before_restore == 1
    after = client.fetch(ref)
    assert after.model_dump(exclude={"updated_at"}) == before.model_dump(exclude={"updated_at"})
    assert after.updated_at is not None and before.updated_at is not None
    assert after.updated_at > before.updated_at
    # And the whole trip cost one archive and one unarchive call, nothing else
    assert sandbox.calls("POST", ARCHIVE) == 1 and sandbox.calls("POST", UNARCHIVE) == 1


def test_restoring_a_contact_intercom_unarchived_itself_is_a_success(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given an archived contact that logged in again, so Intercom unarchived it
    added = sandbox.add_contact(email="back@example.com")
    client.archive(LinkRef(added["id"]))
    sandbox.auto_unarchive(added["id"])
    # When it is restored, then Intercom's 200 is a success and it stays active
    assert client.restore(LinkRef(added["id"]), None) == RestoreResult(vendor_id=added["id"])
    stored = sandbox.contact(added["id"])
    assert stored is not None and stored["archived"] is False


def test_an_answer_that_contradicts_the_call_is_transient() -> None:
    # Given an Intercom that answers an archive with `archived: false`
    def vendor(request: httpx.Request) -> httpx.Response:
        body = {"type": "contact", "id": "c1", "external_id": None, "archived": False}
        return httpx.Response(200, content=json.dumps(body).encode())

    with httpx.Client(transport=httpx.MockTransport(vendor)) as http:
        client = make_client(http, FakeTime())
        # When it is archived, then the call is not taken for a success
        with pytest.raises(TransientVendorError, match="archived=False"):
            client.archive(LinkRef("c1"))


# -- list -----------------------------------------------------------------------------------


def test_the_list_pages_through_active_contacts_and_never_shows_archived_ones(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given 160 active contacts and two archived ones among them
    ids = [sandbox.add_contact(email=f"p{n}@example.com")["id"] for n in range(160)]
    for contact_id in (ids[3], ids[155]):
        client.archive(LinkRef(contact_id))
    active = [contact_id for contact_id in ids if contact_id not in {ids[3], ids[155]}]
    # When the first page is read, and then every page
    first = client.list_page()
    everyone = list(all_contacts(client))
    # Then pages hold 150 contacts and go on by cursor, with archived contacts nowhere
    assert len(first.contacts) == PER_PAGE and first.next_cursor is not None
    assert [contact.vendor_id for contact in everyone] == active
    assert not any(contact.archived for contact in everyone)
    pages = [request for request in sandbox.requests if request.url.path == "/contacts"]
    assert [request.url.params.get("per_page") for request in pages] == ["150"] * 3
    assert [request.url.params.get("starting_after") for request in pages] == [
        None,
        None,
        first.next_cursor,
    ]


# -- auth, regions, tenants -----------------------------------------------------------------


def test_every_request_carries_the_token_and_the_api_version(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    added = sandbox.add_contact(email="hdr@example.com")
    client.fetch(LinkRef(added["id"]))
    client.archive(LinkRef(added["id"]))
    client.restore(LinkRef(added["id"]), None)
    client.list_page()
    assert len(sandbox.requests) == 4
    for request in sandbox.requests:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Intercom-Version"] == "2.10"


def test_a_wrong_token_is_permanent_not_retried_and_never_shown(
    sandbox: IntercomSandbox, http: httpx.Client, clock: FakeTime
) -> None:
    # Given a tenant whose token Intercom does not know
    wrong = "intercom-wrong-token-9d8e7f"
    added = sandbox.add_contact(email="auth@example.com")
    client = make_client(http, clock, token=wrong)
    # When it archives
    with pytest.raises(PermanentVendorError) as raised:
        client.archive(LinkRef(added["id"]))
    # Then it is a permanent 401, asked once, and no token appears in what is raised
    assert raised.value.status == 401
    assert sandbox.calls("POST", ARCHIVE) == 1 and clock.slept == []
    for text in (str(raised.value), repr(raised.value), repr(client)):
        assert wrong not in text and TOKEN not in text
    stored = sandbox.contact(added["id"])
    assert stored is not None and stored["archived"] is False


@pytest.mark.parametrize(
    ("region", "host"),
    [("us", "api.intercom.io"), ("eu", "api.eu.intercom.io"), ("au", "api.au.intercom.io")],
)
def test_each_region_is_called_on_its_own_host(
    sandbox: IntercomSandbox, http: httpx.Client, clock: FakeTime, region: str, host: str
) -> None:
    # Given a tenant in a region, on the container's shared client (based on the US host)
    added = sandbox.add_contact(email=f"{region}@example.com")
    client = make_client(http, clock, region=region)
    # When it fetches, archives and lists
    client.fetch(LinkRef(added["id"]))
    client.archive(LinkRef(added["id"]))
    client.list_page()
    # Then every request went to the region's host
    assert [request.url.host for request in sandbox.requests] == [host] * 3
    assert all(request.url.scheme == "https" for request in sandbox.requests)


def test_tenants_sharing_one_http_client_keep_their_own_tokens(
    sandbox: IntercomSandbox, http: httpx.Client, clock: FakeTime
) -> None:
    # Given two tenants on the same httpx.Client, one with a token Intercom does not know
    added = sandbox.add_contact(email="shared@example.com")
    good, bad = make_client(http, clock), make_client(http, clock, token="not-it")
    # When both fetch, then each request carried its own tenant's token
    with pytest.raises(PermanentVendorError):
        bad.fetch(LinkRef(added["id"]))
    assert good.fetch(LinkRef(added["id"])).vendor_id == added["id"]
    assert [request.headers["Authorization"] for request in sandbox.requests] == [
        "Bearer not-it",
        f"Bearer {TOKEN}",
    ]


# -- faults ---------------------------------------------------------------------------------


def test_archive_and_restore_get_through_injected_faults_exactly_once(
    sandbox: IntercomSandbox, wire: Wire, http: httpx.Client, clock: FakeTime
) -> None:
    # Given a flaky Intercom: outages, throttles with Retry-After and timeouts, seeded
    sandbox.faults = Faults(
        server_error_rate=0.3, throttle_rate=0.2, timeout_rate=0.2, retry_after_seconds=2, seed=1
    )
    added = sandbox.add_contact(email="flaky@example.com")
    client = make_client(http, clock, retry=RetryPolicy(max_attempts=8, total_budget=60))
    archive_path = f"/contacts/{added['id']}/archive"
    unarchive_path = f"/contacts/{added['id']}/unarchive"
    # When it is archived and restored
    client.archive(LinkRef(added["id"]))
    archived = sandbox.contact(added["id"])
    client.restore(LinkRef(added["id"]), None)
    # Then both succeed after retries, and each reached Intercom's handler exactly once
    statuses = wire.statuses("POST", archive_path) + wire.statuses("POST", unarchive_path)
    assert {429, 503, None} <= set(statuses), "the seed injects every kind of fault"
    assert wire.statuses("POST", archive_path).count(200) == 1
    assert wire.statuses("POST", unarchive_path).count(200) == 1
    assert archived is not None and archived["archived"] is True
    stored = sandbox.contact(added["id"])
    assert stored is not None and stored["archived"] is False
    assert 2.0 in clock.slept  # the throttle's Retry-After was waited for
