"""Intercom's quirks against the Intercom sandbox: archived contacts invisible (not found, never
listed), archive and unarchive in place (a repeat is the same 200, Intercom unarchives by itself),
region hosts, and tenants sharing one http client. What every vendor client does alike is in
`tests/vendors/test_clients.py`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contact_archive.vendors.client import ArchiveResult, LinkRef, RestoreResult, all_contacts
from contact_archive.vendors.errors import PermanentVendorError, VendorNotFound
from contact_archive.vendors.intercom.client import PER_PAGE, IntercomClient
from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime
from tests.vendors.intercom.case import ARCHIVE, TOKEN, UNARCHIVE, IntercomCase


@pytest.fixture
def case() -> Iterator[IntercomCase]:
    with IntercomCase() as case:
        yield case


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


def test_an_archived_contact_is_not_found_like_an_unknown_one(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given an archived contact (one Intercom never had: `test_clients.py`)
    contact_id = sandbox.add_contact(email="gone@example.com", archived=True)["id"]
    # When it is fetched, then Intercom says not found, as for an unknown one
    with pytest.raises(VendorNotFound) as raised:
        client.fetch(LinkRef(contact_id))
    assert raised.value.status == 404
    assert sandbox.calls("GET", f"/contacts/{contact_id}") == 1  # a 404 is not retried


# -- archive --------------------------------------------------------------------------------


def test_the_snapshot_is_the_id_and_what_names_the_person_read_in_one_call(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given an active lead with an email and an external id
    added = sandbox.add_contact(email="snap@example.com", external_id="s-1", role="lead")
    # When its snapshot is taken
    snapshot = client.take_snapshot(LinkRef(added["id"]))
    # Then it holds the id and what a search for the person takes, read with one fetch
    assert snapshot == {
        "id": added["id"],
        "role": "lead",
        "email": "snap@example.com",
        "external_id": "s-1",
    }
    assert sandbox.calls("GET", f"/contacts/{added['id']}") == len(sandbox.requests) == 1


def test_a_contact_archived_in_intercom_has_no_snapshot_and_is_restored_without_one(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given a contact someone archived in Intercom's UI
    added = sandbox.add_contact(email="ui@example.com")
    sandbox.archive_in_ui(added["id"])
    ref = LinkRef(added["id"])
    # When its snapshot is taken, then Intercom does not show it: not found, asked once
    with pytest.raises(VendorNotFound):
        client.take_snapshot(ref)
    assert len(sandbox.requests) == 1
    # And it is archived (200 again) and restored from its id alone
    assert client.archive(ref) == ArchiveResult()
    restored = client.restore(ref, None)
    assert restored == RestoreResult(vendor_id=added["id"]) and restored.not_restored == {}
    assert client.fetch(ref).email == "ui@example.com"


def test_a_deleted_contact_cannot_be_snapshotted_archived_or_restored(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given a contact deleted at Intercom
    ref = LinkRef(sandbox.add_contact(email="del@example.com")["id"])
    client.delete(ref)
    # Then every call on it is not found
    for call in (client.take_snapshot, client.archive, lambda r: client.restore(r, None)):
        with pytest.raises(VendorNotFound):
            call(ref)


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


@pytest.mark.parametrize(
    ("region", "host"),
    [("us", "api.intercom.io"), ("eu", "api.eu.intercom.io"), ("au", "api.au.intercom.io")],
)
def test_each_region_is_called_on_its_own_host(
    case: IntercomCase, sandbox: IntercomSandbox, region: str, host: str
) -> None:
    # Given a tenant in a region, on the container's shared client (based on the US host)
    added = sandbox.add_contact(email=f"{region}@example.com")
    client = case.client_with(region=region)
    # When it fetches, archives and lists
    client.fetch(LinkRef(added["id"]))
    client.archive(LinkRef(added["id"]))
    client.list_page()
    # Then every request went to the region's host
    assert [request.url.host for request in sandbox.requests] == [host] * 3
    assert all(request.url.scheme == "https" for request in sandbox.requests)


def test_tenants_sharing_one_http_client_keep_their_own_tokens(
    case: IntercomCase, sandbox: IntercomSandbox
) -> None:
    # Given two tenants on the same httpx.Client, one with a token Intercom does not know
    added = sandbox.add_contact(email="shared@example.com")
    good, bad = case.client_with(), case.client_with(token="not-it")
    # When both fetch, then each request carried its own tenant's token
    with pytest.raises(PermanentVendorError):
        bad.fetch(LinkRef(added["id"]))
    assert good.fetch(LinkRef(added["id"])).vendor_id == added["id"]
    assert [request.headers["Authorization"] for request in sandbox.requests] == [
        "Bearer not-it",
        f"Bearer {TOKEN}",
    ]
