"""The Constant Contact client against the Constant Contact sandbox: delete and revive with the
saved lists, paging by `_links.next.href`, bulk activities, rotating refresh tokens, the 4
requests/s limit on a fake clock, and retries under injected faults."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import pairwise
from threading import Barrier
from typing import Any
from urllib.parse import parse_qsl

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
from contact_archive.vendors.constant_contact.client import (
    BURST,
    PACE_PER_SECOND,
    RATE_PER_SECOND,
    SNAPSHOT_INCLUDE,
    BulkDeleteOutcome,
    ConstantContactClient,
)
from contact_archive.vendors.credentials import ConstantContactCredentials
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorNotFound,
)
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.retry import RetryPolicy
from devtools.sandboxes.base import Faults, json_response
from devtools.sandboxes.constant_contact import TOKEN_PATH, ConstantContactSandbox
from tests.fakes import FakeTime

ACCESS = "cc-access-test-3b9f0c"
REFRESH = "cc-refresh-test-71ad4e"
CLIENT_ID = "cc-client-test"
SECRET = "cc-client-secret-test-92ab"
BASE_URL = "https://api.cc.email/v3"
START = datetime(2026, 3, 17, 12, 0, tzinfo=UTC).timestamp()
LISTS = ["07936f78-662a-11eb-af0a-fa163e56c9b0", "1a2b3c4d-662a-11eb-af0a-fa163e56c9b0"]
CONTACT = r"/v3/contacts/[\w-]+"


class Wire:
    """The sandbox's transport, noting each request's answer (None: timed out) and the time it
    arrived; `intercept` may answer instead of the sandbox, `after` sees each answer."""

    def __init__(self, sandbox: ConstantContactSandbox, clock: FakeTime) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.seen: list[tuple[httpx.Request, int | None, float]] = []
        self.intercept: Callable[[httpx.Request], httpx.Response | None] = lambda request: None
        self.after: Callable[[httpx.Response], object] = lambda response: None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        arrived = self.clock()
        try:
            response = self.intercept(request) or self.sandbox.handle(request)
        except httpx.TimeoutException:
            self.seen.append((request, None, arrived))
            raise
        self.seen.append((request, response.status_code, arrived))
        self.after(response)
        return response

    def statuses(self, method: str, path: str) -> list[int | None]:
        return [
            status
            for request, status, _ in self.seen
            if request.method == method and request.url.path == path
        ]


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime(START)


@pytest.fixture
def sandbox(clock: FakeTime) -> ConstantContactSandbox:
    return ConstantContactSandbox(
        ACCESS, refresh_token=REFRESH, client_id=CLIENT_ID, clock=clock, sleep=clock.sleep
    )


@pytest.fixture
def wire(sandbox: ConstantContactSandbox, clock: FakeTime) -> Wire:
    return Wire(sandbox, clock)


@pytest.fixture
def http(wire: Wire) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=BASE_URL, transport=httpx.MockTransport(wire)) as client:
        yield client


@pytest.fixture
def rotations() -> list[ConstantContactCredentials]:
    return []


def credentials(
    access: str = ACCESS, refresh: str = REFRESH, secret: str | None = None
) -> ConstantContactCredentials:
    return ConstantContactCredentials.model_validate(
        {
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "access_token": access,
            "refresh_token": refresh,
        }
    )


def make_client(
    http: httpx.Client,
    clock: FakeTime,
    rotations: list[ConstantContactCredentials],
    *,
    tenant: ConstantContactCredentials | None = None,
    retry: RetryPolicy | None = None,
    bucket: TokenBucket | None = None,
) -> ConstantContactClient:
    """A client whose bucket (the client's own constants) and retries run on the fake clock."""
    return ConstantContactClient(
        tenant or credentials(),
        http,
        on_rotated=rotations.append,
        retry=retry,
        bucket=bucket or TokenBucket(PACE_PER_SECOND, BURST, clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
    )


@pytest.fixture
def client(
    http: httpx.Client, clock: FakeTime, rotations: list[ConstantContactCredentials]
) -> ConstantContactClient:
    return make_client(http, clock, rotations)


def token_forms(sandbox: ConstantContactSandbox) -> list[dict[str, str]]:
    return [
        dict(parse_qsl(request.content.decode()))
        for request in sandbox.requests
        if request.url.path == TOKEN_PATH
    ]


def test_it_is_a_vendor_client_that_revives(client: ConstantContactClient) -> None:
    typed: VendorClient = client
    assert typed.restore_strategy is RestoreStrategy.REVIVE


# -- fetch and snapshot ---------------------------------------------------------------------


def test_fetch_maps_a_contact_with_its_lists(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    added = sandbox.add_contact(email="ada@example.com", first_name="Ada", list_ids=LISTS)
    contact = client.fetch(LinkRef(added["contact_id"]))
    assert (contact.email, contact.first_name, contact.archived) == (
        "ada@example.com",
        "Ada",
        False,
    )
    assert contact.list_ids == tuple(LISTS)
    assert sandbox.requests[0].url.params["include"] == "list_memberships"


def test_a_deleted_contact_is_still_fetched_as_archived(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    added = sandbox.add_contact(deleted_at="2026-01-02", list_ids=LISTS)
    contact = client.fetch(LinkRef(added["contact_id"]))
    assert contact.archived is True and contact.archived_at == "2026-01-02T00:00:00.000Z"
    assert contact.list_ids == ()


def test_fetching_an_unknown_contact_is_not_found_and_not_retried(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    with pytest.raises(VendorNotFound):
        client.fetch(LinkRef("00000000-0000-0000-0000-000000000000"))
    assert len(sandbox.requests) == 1


def test_the_snapshot_is_the_whole_contact_with_every_subresource(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given a contact with custom fields, phones, addresses, notes, tags and lists
    added = _full_contact(sandbox)
    # When its snapshot is taken
    snapshot = client.take_snapshot(LinkRef(added["contact_id"]))
    # Then one GET asked for every subresource, and the snapshot holds them in the PUT's shape
    assert len(sandbox.requests) == 1
    assert sandbox.requests[0].url.params["include"] == SNAPSHOT_INCLUDE
    assert snapshot["list_memberships"] == LISTS
    assert snapshot["custom_fields"] == [{"custom_field_id": "cf-1", "value": "gold"}]
    assert snapshot["phone_numbers"] == [{"phone_number": "+1 555 0100", "kind": "mobile"}]
    assert snapshot["street_addresses"] == [{"kind": "home", "street": "1 Main", "city": "Boston"}]
    assert snapshot["taggings"] == ["tag-1"] and snapshot["notes"][0]["content"] == "VIP"
    assert snapshot["job_title"] == "Poet" and "created_at" not in snapshot


def _full_contact(sandbox: ConstantContactSandbox) -> dict[str, Any]:
    return sandbox.add_contact(
        email="rae@example.com",
        first_name="Rae",
        last_name="Vive",
        job_title="Poet",
        list_ids=LISTS,
        custom_fields=[{"custom_field_id": "cf-1", "value": "gold"}],
        phone_numbers=[{"phone_number_id": "p-1", "phone_number": "+1 555 0100", "kind": "mobile"}],
        street_addresses=[
            {"street_address_id": "a-1", "kind": "home", "street": "1 Main", "city": "Boston"}
        ],
        taggings=["tag-1"],
        notes=[{"note_id": "n-1", "created_at": "2026-03-01T10:00:00+00:00", "content": "VIP"}],
    )


# -- archive --------------------------------------------------------------------------------


def test_archive_deletes_with_one_call_and_the_lists_are_dropped(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    added = sandbox.add_contact(list_ids=LISTS)
    assert client.archive(LinkRef(added["contact_id"])) == ArchiveResult(already=False)
    assert len(sandbox.requests) == 1 and sandbox.calls("DELETE", CONTACT) == 1
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and stored["deleted_at"] == "2026-03-17"
    assert stored["list_memberships"] == []


def test_a_repeated_archive_answered_204_is_a_success(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, clock: FakeTime
) -> None:
    # Given a contact deleted yesterday
    added = sandbox.add_contact(deleted_at="2026-03-16")
    # When it is archived again and the vendor answers 204 as to the first DELETE
    result = client.archive(LinkRef(added["contact_id"]))
    # Then it is a success that cannot know it was already deleted, and the date stays
    assert result == ArchiveResult(already=False)
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and stored["deleted_at"] == "2026-03-16"


def test_a_repeated_archive_answered_404_is_confirmed_by_a_fetch(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given a vendor that answers 404 to a DELETE of a deleted contact (not documented)
    sandbox.delete_deleted_status = 404
    added = sandbox.add_contact(deleted_at="2026-03-16")
    # When it is archived again, then the fetch that follows shows it deleted already
    assert client.archive(LinkRef(added["contact_id"])) == ArchiveResult(already=True)
    assert sandbox.calls("DELETE", CONTACT) == 1 and sandbox.calls("GET", CONTACT) == 1


def test_archiving_an_unknown_contact_is_not_found(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    with pytest.raises(VendorNotFound):
        client.archive(LinkRef("00000000-0000-0000-0000-000000000000"))
    assert sandbox.calls("DELETE", CONTACT) == 1 and sandbox.calls("GET", CONTACT) == 1


# -- restore --------------------------------------------------------------------------------


def test_a_round_trip_brings_back_the_same_contact_on_the_same_lists(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, clock: FakeTime
) -> None:
    # Given a contact with every subresource, its snapshot taken before it is archived
    added = _full_contact(sandbox)
    ref = LinkRef(added["contact_id"])
    before = client.fetch(ref)
    snapshot = client.take_snapshot(ref)
    client.archive(ref)
    assert client.fetch(ref).list_ids == ()
    clock.now += 86_400
    # When it is restored from the snapshot a day later
    calls = len(sandbox.requests)
    result = client.restore(ref, snapshot)
    # Then the same id is active again, with the same fields and the same list memberships
    assert result == RestoreResult(vendor_id=added["contact_id"])
    assert [request.method for request in sandbox.requests[calls:]] == ["GET", "PUT"]
    after = client.fetch(ref)
    assert after.model_dump(exclude={"updated_at"}) == before.model_dump(exclude={"updated_at"})
    assert after.list_ids == tuple(LISTS)
    assert client.take_snapshot(ref) == snapshot
    put = next(request for request in sandbox.requests if request.method == "PUT")
    assert json.loads(put.content)["update_source"] == "Account"


def test_restoring_a_contact_revived_meanwhile_leaves_it_alone(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given a contact that was deleted, then revived and edited in Constant Contact's UI
    added = sandbox.add_contact(first_name="Old", list_ids=LISTS)
    ref = LinkRef(added["contact_id"])
    snapshot = client.take_snapshot(ref)
    # When it is restored from the older snapshot
    result = client.restore(ref, {**snapshot, "first_name": "Stale"})
    # Then nothing is PUT: it already is active, and its newer data is kept
    assert result == RestoreResult(vendor_id=added["contact_id"], already=True)
    assert sandbox.calls("PUT", CONTACT) == 0
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and stored["first_name"] == "Old"


@pytest.mark.parametrize("snapshot", [None, {"first_name": "No lists"}], ids=["none", "no-lists"])
def test_a_restore_without_a_usable_snapshot_is_permanent_and_calls_nothing(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, snapshot: dict[str, Any] | None
) -> None:
    added = sandbox.add_contact(deleted_at="2026-03-16")
    with pytest.raises(PermanentVendorError):
        client.restore(LinkRef(added["contact_id"]), snapshot)
    assert sandbox.requests == []


def test_a_revive_the_vendor_refuses_is_permanent_and_not_retried(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given a deleted contact and a snapshot without an email address
    added = sandbox.add_contact(deleted_at="2026-03-16")
    # When it is restored, then the vendor's 400 is permanent and the PUT is not sent again
    with pytest.raises(PermanentVendorError, match="email_address is required") as raised:
        client.restore(LinkRef(added["contact_id"]), {"list_memberships": LISTS})
    assert raised.value.status == 400
    assert sandbox.calls("PUT", CONTACT) == 1


# -- list -----------------------------------------------------------------------------------


def test_the_list_pages_by_links_next_with_deleted_contacts_and_lists(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    # Given 520 contacts on a list, three of them deleted
    ids = [
        sandbox.add_contact(
            list_ids=LISTS[:1], **({"deleted_at": "2026-03-01"} if n in {1, 499, 510} else {})
        )["contact_id"]
        for n in range(520)
    ]
    # When the first page is read, and then every page
    first = client.list_page()
    everyone = list(all_contacts(client))
    # Then a page holds 500 contacts and the cursor is the vendor's next href, joined to the host
    assert len(first.contacts) == 500
    assert first.next_cursor is not None and first.next_cursor.startswith("/v3/contacts?cursor=")
    assert [contact.vendor_id for contact in everyone] == ids
    assert [contact.archived for contact in everyone].count(True) == 3
    assert all(contact.list_ids == () for contact in everyone if contact.archived)
    assert all(contact.list_ids == tuple(LISTS[:1]) for contact in everyone if not contact.archived)
    params = dict(sandbox.requests[0].url.params)
    assert params == {"status": "all", "limit": "500", "include": "list_memberships"}
    second = sandbox.requests[-1]
    assert str(second.url) == f"https://api.cc.email{first.next_cursor}"


@pytest.mark.parametrize(
    "cursor",
    [
        "https://attacker.example/v3/contacts?cursor=e30=",
        "//attacker.example/v3/contacts?cursor=e30=",
        "http://api.cc.email/v3/contacts?cursor=e30=",
    ],
)
def test_a_cursor_that_leaves_the_api_is_refused_before_any_call(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, cursor: str
) -> None:
    with pytest.raises(ValueError, match="not a page of this API"):
        client.list_page(cursor=cursor)
    assert sandbox.requests == []


# -- bulk delete ----------------------------------------------------------------------------


def test_archive_many_runs_one_activity_per_500_and_polls_each_to_the_end(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, clock: FakeTime
) -> None:
    # Given 1,001 contacts on lists, asked for with a duplicate
    ids = [sandbox.add_contact(list_ids=LISTS)["contact_id"] for _ in range(1001)]
    # When they are archived in bulk
    outcomes = client.archive_many([*ids, ids[0]])
    # Then three activities (500, 500, 1) ran to completion, each created once and polled once
    assert [len(outcome.contact_ids) for outcome in outcomes] == [500, 500, 1]
    assert all(outcome.finished and outcome.state == "completed" for outcome in outcomes)
    assert [outcome.completed_count for outcome in outcomes] == [500, 500, 1]
    assert sandbox.calls("POST", "/v3/activities/contact_delete") == 3
    assert sandbox.calls("GET", r"/v3/activities/[\w-]+") == 3
    assert clock.slept.count(1.0) == 3  # one poll interval before each poll
    for contact_id in ids:
        stored = sandbox.contact(contact_id)
        assert stored is not None and stored["deleted_at"] and stored["list_memberships"] == []


def test_archive_many_stops_polling_after_max_polls(
    sandbox: ConstantContactSandbox, client: ConstantContactClient, clock: FakeTime
) -> None:
    # Given an activity that takes ten polls to finish
    sandbox.polls_to_complete = 10
    ids = [sandbox.add_contact()["contact_id"] for _ in range(2)]
    # When archived in bulk with at most three polls
    (outcome,) = client.archive_many(ids, max_polls=3, poll_interval=2.0)
    # Then it gives up unfinished after three polls, two seconds apart on the fake clock
    assert isinstance(outcome, BulkDeleteOutcome)
    assert (outcome.state, outcome.finished) == ("processing", False)
    assert sandbox.calls("GET", r"/v3/activities/[\w-]+") == 3
    assert clock.slept.count(2.0) == 3


def test_archive_many_of_nothing_calls_nothing(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    assert client.archive_many([]) == []
    assert sandbox.requests == []


# -- auth and token rotation ----------------------------------------------------------------


def test_every_api_request_carries_the_bearer_token(
    sandbox: ConstantContactSandbox, client: ConstantContactClient
) -> None:
    added = sandbox.add_contact(list_ids=LISTS)
    ref = LinkRef(added["contact_id"])
    client.restore(ref, client.take_snapshot(ref))
    client.archive(ref)
    client.list_page()
    assert {request.headers["Authorization"] for request in sandbox.requests} == {
        f"Bearer {ACCESS}"
    }


def test_an_expired_access_token_is_refreshed_once_and_the_call_resent(
    sandbox: ConstantContactSandbox,
    client: ConstantContactClient,
    rotations: list[ConstantContactCredentials],
) -> None:
    # Given a contact, and an access token that has expired
    added = sandbox.add_contact(list_ids=LISTS)
    sandbox.expire_access_token()
    # When the contact is fetched
    contact = client.fetch(LinkRef(added["contact_id"]))
    # Then the 401 led to one refresh, and the resent call succeeded with the new token
    assert contact.list_ids == tuple(LISTS)
    assert sandbox.calls("POST", TOKEN_PATH) == 1 and sandbox.calls("GET", CONTACT) == 2
    assert sandbox.requests[-1].headers["Authorization"] == f"Bearer {sandbox.token}"
    # And the rotated pair was handed over to be saved, and is the one the client now uses
    (rotated,) = rotations
    assert rotated.access_token.get_secret_value() == sandbox.token
    assert rotated.refresh_token.get_secret_value() == sandbox.refresh_token != REFRESH
    assert rotated.client_id == CLIENT_ID and client.credentials is rotated


def test_the_next_refresh_uses_the_rotated_refresh_token(
    sandbox: ConstantContactSandbox,
    client: ConstantContactClient,
    rotations: list[ConstantContactCredentials],
) -> None:
    # Given a client that has refreshed once already
    added = sandbox.add_contact()
    ref = LinkRef(added["contact_id"])
    sandbox.expire_access_token()
    client.fetch(ref)
    # When its new access token expires too
    sandbox.expire_access_token()
    client.fetch(ref)
    # Then the second refresh sent the refresh token the first one returned, and succeeded
    first, second = rotations
    assert [form["refresh_token"] for form in token_forms(sandbox)] == [
        REFRESH,
        first.refresh_token.get_secret_value(),
    ]
    assert second.refresh_token.get_secret_value() == sandbox.refresh_token
    assert len({REFRESH, *(c.refresh_token.get_secret_value() for c in rotations)}) == 3


def test_a_refresh_token_already_rotated_is_refused_as_permanent(
    sandbox: ConstantContactSandbox,
    http: httpx.Client,
    clock: FakeTime,
    client: ConstantContactClient,
) -> None:
    # Given a client that refreshed, and another one still holding the original pair
    added = sandbox.add_contact()
    ref = LinkRef(added["contact_id"])
    sandbox.expire_access_token()
    client.fetch(ref)
    stale_rotations: list[ConstantContactCredentials] = []
    stale = make_client(http, clock, stale_rotations)
    # When the stale one calls, then its dead refresh token is refused: a permanent error
    with pytest.raises(PermanentVendorError, match="invalid_grant") as raised:
        stale.fetch(ref)
    assert raised.value.status == 400 and stale_rotations == []
    assert sandbox.calls("POST", TOKEN_PATH) == 2


def test_wrong_tokens_fail_permanently_once_and_no_token_is_shown(
    sandbox: ConstantContactSandbox,
    http: httpx.Client,
    clock: FakeTime,
    rotations: list[ConstantContactCredentials],
) -> None:
    # Given a tenant whose access and refresh tokens the vendor does not know
    wrong_access, wrong_refresh = "cc-wrong-access-aa11", "cc-wrong-refresh-bb22"
    client = make_client(http, clock, rotations, tenant=credentials(wrong_access, wrong_refresh))
    added = sandbox.add_contact()
    # When it fetches
    with pytest.raises(PermanentVendorError) as raised:
        client.fetch(LinkRef(added["contact_id"]))
    # Then one call, one refused refresh, no retry, and no token anywhere in the error
    assert sandbox.calls("GET", CONTACT) == 1 and sandbox.calls("POST", TOKEN_PATH) == 1
    assert rotations == []
    shown = "".join(traceback.format_exception(raised.value)) + repr(raised.value) + repr(client)
    for secret in (wrong_access, wrong_refresh, ACCESS, REFRESH):
        assert secret not in shown


@pytest.mark.parametrize("secret", [None, SECRET], ids=["public-app", "confidential-app"])
def test_the_refresh_is_a_form_post_authenticated_as_the_app(
    clock: FakeTime, rotations: list[ConstantContactCredentials], secret: str | None
) -> None:
    # Given a public (PKCE) or a confidential app, and an expired access token
    sandbox = ConstantContactSandbox(
        ACCESS, refresh_token=REFRESH, client_id=CLIENT_ID, client_secret=secret, clock=clock
    )
    added = sandbox.add_contact()
    sandbox.expire_access_token()
    with httpx.Client(base_url=BASE_URL, transport=sandbox.transport(), timeout=7.0) as http:
        client = make_client(http, clock, rotations, tenant=credentials(secret=secret))
        # When it fetches
        client.fetch(LinkRef(added["contact_id"]))
    # Then the refresh went to the token URL as a form, the secret only as HTTP Basic
    (refresh,) = [request for request in sandbox.requests if request.url.path == TOKEN_PATH]
    assert str(refresh.url) == "https://authz.constantcontact.com/oauth2/default/v1/token"
    assert refresh.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = dict(parse_qsl(refresh.content.decode()))
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == REFRESH
    if secret is None:
        assert form["client_id"] == CLIENT_ID and "Authorization" not in refresh.headers
    else:
        assert "client_id" not in form and refresh.headers["Authorization"].startswith("Basic ")
    # And it had the API call's timeouts: a request built by hand would have none
    assert refresh.extensions["timeout"] == sandbox.requests[0].extensions["timeout"]
    assert refresh.extensions["timeout"]["read"] == 7.0


def test_a_transient_failure_of_the_refresh_is_retried(
    sandbox: ConstantContactSandbox,
    wire: Wire,
    client: ConstantContactClient,
    rotations: list[ConstantContactCredentials],
) -> None:
    # Given an expired access token and a token endpoint down for one request
    added = sandbox.add_contact()
    sandbox.expire_access_token()
    outages = [json_response(503, {"error": "temporarily_unavailable"})]
    wire.intercept = lambda request: (
        outages.pop() if request.url.path == TOKEN_PATH and outages else None
    )
    # When the contact is fetched, then the whole call is retried and the refresh succeeds
    assert client.fetch(LinkRef(added["contact_id"])).vendor_id == added["contact_id"]
    assert wire.statuses("POST", TOKEN_PATH) == [503, 200]
    assert len(rotations) == 1


def test_concurrent_401s_share_one_refresh(
    sandbox: ConstantContactSandbox,
    wire: Wire,
    http: httpx.Client,
    clock: FakeTime,
    rotations: list[ConstantContactCredentials],
) -> None:
    # Given six threads whose calls all meet the expired token before any refresh (the
    # vendor's limit is lifted: threads may reach it in another order than the bucket's)
    threads = 6
    sandbox.requests_per_second = 1_000
    ids = [sandbox.add_contact()["contact_id"] for _ in range(threads)]
    sandbox.expire_access_token()
    barrier = Barrier(threads, timeout=5)
    wire.after = lambda response: barrier.wait() if response.status_code == 401 else None
    client = make_client(http, clock, rotations)  # its bucket's waits move the fake clock
    # When they fetch at once
    with ThreadPoolExecutor(threads) as pool:
        fetched = list(pool.map(lambda contact_id: client.fetch(LinkRef(contact_id)), ids))
    # Then one of them refreshed, the others resent with its token, and all succeeded
    assert [contact.vendor_id for contact in fetched] == ids
    assert sandbox.calls("POST", TOKEN_PATH) == 1 and len(rotations) == 1
    answers = [status for request, status, _ in wire.seen if request.method == "GET"]
    assert len(answers) == 2 * threads
    assert answers.count(401) == threads and answers.count(200) == threads


# -- rate limit -----------------------------------------------------------------------------


def test_a_burst_through_the_bucket_is_never_throttled(
    sandbox: ConstantContactSandbox, wire: Wire, client: ConstantContactClient
) -> None:
    # Given 20 contacts, and the vendor's 4 requests a second on the clock the bucket shares
    ids = [sandbox.add_contact()["contact_id"] for _ in range(20)]
    # When they are fetched one after another as fast as the client allows
    for contact_id in ids:
        client.fetch(LinkRef(contact_id))
    # Then no call was throttled, and the vendor saw them evenly spaced at the client's pace,
    # 3.6 requests a second: under the 4 allowed, with room for jitter
    assert [status for _, status, _ in wire.seen] == [200] * 20
    arrivals = [arrived for *_, arrived in wire.seen]
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    # (within the bucket's 1 ms floor on a wait, which float rounding of the clock can reach)
    assert min(gaps) == pytest.approx(1 / PACE_PER_SECOND, abs=0.002)
    measured = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    assert measured == pytest.approx(PACE_PER_SECOND, rel=0.01) and measured < RATE_PER_SECOND


def test_without_the_bucket_the_vendor_throttles_and_that_is_transient(
    sandbox: ConstantContactSandbox,
    http: httpx.Client,
    clock: FakeTime,
    rotations: list[ConstantContactCredentials],
) -> None:
    # Given a client whose bucket does not hold it back, and calls that are not retried
    ids = [sandbox.add_contact()["contact_id"] for _ in range(5)]
    unlimited = TokenBucket(1_024, 1_024, clock=clock, sleep=clock.sleep)
    client = make_client(
        http, clock, rotations, bucket=unlimited, retry=RetryPolicy(max_attempts=1)
    )
    # When five calls go within the same second, then the fifth is a transient 429
    for contact_id in ids[:4]:
        client.fetch(LinkRef(contact_id))
    with pytest.raises(TransientVendorError, match="throttled") as raised:
        client.fetch(LinkRef(ids[4]))
    assert raised.value.status == 429 and raised.value.retry_after is None


def test_throttled_calls_are_retried_each_through_the_bucket(
    sandbox: ConstantContactSandbox, wire: Wire, client: ConstantContactClient
) -> None:
    # Given a key whose allowance is only 2 a second (another app shares it), bucket at 4
    sandbox.requests_per_second = 2
    ids = [sandbox.add_contact()["contact_id"] for _ in range(6)]
    # When six contacts are fetched
    fetched = [client.fetch(LinkRef(contact_id)).vendor_id for contact_id in ids]
    # Then some calls were throttled, retried after waiting their turn, and all succeeded
    statuses = [status for _, status, _ in wire.seen]
    assert fetched == ids and statuses.count(200) == 6 and statuses.count(429) > 0
    assert set(statuses) == {200, 429}


# -- faults ---------------------------------------------------------------------------------


def test_archive_and_restore_get_through_injected_faults_exactly_once(
    sandbox: ConstantContactSandbox, wire: Wire, http: httpx.Client, clock: FakeTime
) -> None:
    # Given a contact on lists, its snapshot, and then a flaky vendor (seeded faults)
    added = sandbox.add_contact(list_ids=LISTS)
    ref = LinkRef(added["contact_id"])
    path = f"/v3/contacts/{added['contact_id']}"
    client = make_client(http, clock, [], retry=RetryPolicy(max_attempts=8, total_budget=60))
    snapshot = client.take_snapshot(ref)
    sandbox.faults = Faults(
        server_error_rate=0.3, throttle_rate=0.2, timeout_rate=0.2, retry_after_seconds=2, seed=2
    )
    # When it is archived and restored
    assert client.archive(ref) == ArchiveResult()
    assert client.restore(ref, snapshot) == RestoreResult(vendor_id=added["contact_id"])
    # Then each write reached the vendor's handler exactly once, after retries
    deletes, puts = wire.statuses("DELETE", path), wire.statuses("PUT", path)
    assert deletes.count(204) == 1 and puts.count(200) == 1
    faults = [status for _, status, _ in wire.seen if status not in {200, 204}]
    assert {429, 503, None} <= set(faults), "the seed injects every kind of fault"
    stored = sandbox.contact(added["contact_id"])
    assert stored is not None and "deleted_at" not in stored
    assert stored["list_memberships"] == LISTS
