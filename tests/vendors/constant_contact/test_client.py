"""Constant Contact's quirks against the Constant Contact sandbox: the whole contact as restore
material, a repeated delete (204 or 404), revive with the saved lists, paging by
`_links.next.href`, rotating refresh tokens (renewed once for a fleet of containers) and the
4 requests/s limit on a fake clock. The restore field by field is in `test_restore.py`, the
daily quota and bulk activities in `test_limits.py`; what every vendor client does alike is in
`tests/vendors/test_clients.py`; the fleet's token renewal in `tests/vendors/fleet/`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import ArchiveResult, LinkRef, RestoreResult, all_contacts
from contact_archive.vendors.constant_contact import mapper
from contact_archive.vendors.constant_contact.client import (
    BURST,
    PACE_PER_SECOND,
    SNAPSHOT_INCLUDE,
    ConstantContactClient,
)
from contact_archive.vendors.credential_sources import JsonSource, dump_credentials
from contact_archive.vendors.credentials import ConstantContactCredentials
from contact_archive.vendors.errors import PermanentVendorError
from contact_archive.vendors.fleet import InProcessAccounts, SharedToken
from contact_archive.vendors.rate_limit import TokenBucket
from devtools.sandboxes.base import json_response
from devtools.sandboxes.constant_contact import TOKEN_PATH, ConstantContactSandbox
from tests.fakes import FakeTime
from tests.vendors.constant_contact.case import (
    BASE_URL,
    CLIENT_ID,
    CONTACT,
    LISTS,
    REFRESH,
    SECRET,
    ConstantContactCase,
    credentials,
)
from tests.vendors.sandboxed import Wire

TENANT = "tenant-a"
VENDOR = Vendor.CONSTANT_CONTACT


@pytest.fixture
def case() -> Iterator[ConstantContactCase]:
    with ConstantContactCase() as case:
        yield case


@pytest.fixture
def rotations(case: ConstantContactCase) -> list[ConstantContactCredentials]:
    """The credentials the client handed over to be saved after each refresh."""
    return case.rotations


def token_forms(sandbox: ConstantContactSandbox) -> list[dict[str, str]]:
    return [
        dict(parse_qsl(request.content.decode()))
        for request in sandbox.requests
        if request.url.path == TOKEN_PATH
    ]


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
    # (its opt-in history was not written: no API can; `test_restore.py` goes field by field)
    assert result == RestoreResult(
        vendor_id=added["contact_id"],
        not_restored={
            "email_address.opt_in_source": mapper.NO_CONSENT_HISTORY,
            "email_address.opt_in_date": mapper.NO_CONSENT_HISTORY,
            "email_address.confirm_status": mapper.NO_CONSENT_HISTORY,
        },
    )
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


# -- auth and token rotation ----------------------------------------------------------------


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


def test_a_container_whose_refresh_token_was_rotated_elsewhere_resends_with_the_saved_pair(
    case: ConstantContactCase, sandbox: ConstantContactSandbox
) -> None:
    # Given two containers' clients of one tenant, sharing its saved credentials and the
    # fleet's token ledger, and an access token that expires: the first one renews it, which
    # kills the refresh token the second one still holds
    source = JsonSource({TENANT: {VENDOR.value: dump_credentials(credentials())}})
    ledger = InProcessAccounts()

    def container(owner: str) -> ConstantContactClient:
        tokens = SharedToken(
            TENANT, VENDOR, source, ledger, owner=owner, clock=case.clock, sleep=case.clock.sleep
        )
        bucket = TokenBucket(PACE_PER_SECOND, BURST, clock=case.clock, sleep=case.clock.sleep)
        return ConstantContactClient(credentials(), case.http, tokens=tokens, bucket=bucket)

    first, second = container("container-a"), container("container-b")
    ref = LinkRef(sandbox.add_contact()["contact_id"])
    sandbox.expire_access_token()
    first.fetch(ref)
    # When the second one calls with its dead pair
    fetched = second.fetch(ref)
    # Then it read the pair the first one saved and resent with it: one refresh in all, no
    # refusal, and both containers hold the saved pair
    assert fetched.vendor_id == ref.vendor_id
    assert sandbox.calls("POST", TOKEN_PATH) == 1
    assert [form["refresh_token"] for form in token_forms(sandbox)] == [REFRESH]
    assert second.credentials == first.credentials == source.load(TENANT, VENDOR)
    assert second.credentials.refresh_token.get_secret_value() == sandbox.refresh_token


@pytest.mark.parametrize("secret", [None, SECRET], ids=["public-app", "confidential-app"])
def test_the_refresh_is_a_form_post_authenticated_as_the_app(
    case: ConstantContactCase, sandbox: ConstantContactSandbox, secret: str | None
) -> None:
    # Given a public (PKCE) or a confidential app, and an expired access token
    sandbox.client_secret = secret
    added = sandbox.add_contact()
    sandbox.expire_access_token()
    transport = httpx.MockTransport(case.wire)
    with httpx.Client(base_url=BASE_URL, transport=transport, timeout=7.0) as http:
        client = case.client_with(tenant=credentials(secret=secret), http=http)
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
    case: ConstantContactCase,
    sandbox: ConstantContactSandbox,
    wire: Wire,
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
    client = case.client_with()  # its bucket's waits move the fake clock
    # When they fetch at once
    with ThreadPoolExecutor(threads) as pool:
        fetched = list(pool.map(lambda contact_id: client.fetch(LinkRef(contact_id)), ids))
    # Then one of them refreshed, the others resent with its token, and all succeeded
    assert [contact.vendor_id for contact in fetched] == ids
    assert sandbox.calls("POST", TOKEN_PATH) == 1 and len(rotations) == 1
    answers = [seen.status for seen in wire.seen if seen.request.method == "GET"]
    assert len(answers) == 2 * threads
    assert answers.count(401) == threads and answers.count(200) == threads
