"""What the Intercom client gives reconciliation and erasure, on the Intercom sandbox: a 404 for a
contact we hold means archived, deleted or merged into another contact, and `restore`,
`find_active` and `delete` tell them apart."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from contact_archive.vendors.client import DeleteResult, LinkRef, RestoreResult
from contact_archive.vendors.errors import TransientVendorError, VendorNotFound
from contact_archive.vendors.intercom.client import IntercomClient
from devtools.sandboxes.base import json_response
from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime
from tests.vendors.intercom.case import IntercomCase
from tests.vendors.sandboxed import Call, Wire, calls_of

SEARCH = ("POST", "/contacts/search")


@pytest.fixture
def case() -> Iterator[IntercomCase]:
    with IntercomCase() as case:
        yield case


def path(ref: LinkRef, *action: str) -> str:
    return "/".join(("/contacts", ref.vendor_id, *action))


def found_by_email(
    client: IntercomClient, sandbox: IntercomSandbox, email: str
) -> tuple[str | None, list[Call]]:
    """The id `find_active` finds by `email` alone, and the requests it made."""
    made = len(sandbox.requests)
    found = client.find_active(email=email, external_id=None)
    return (None if found is None else found.vendor_id), calls_of(sandbox.requests[made:])


def merge(case: IntercomCase, lead: LinkRef, user: str) -> None:
    """Merge the lead into the user through the API, as someone else's integration would."""
    body = {"from": lead.vendor_id, "into": user}
    answer = case.http.post("/contacts/merge", json=body, headers=case.api_headers())
    assert answer.status_code == 200


# -- the three meanings of a 404 -------------------------------------------------------------


def test_an_archived_contact_is_404_found_by_no_search_and_back_by_its_id(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given a contact we hold, snapshotted, then archived in Intercom's UI
    ref = LinkRef(sandbox.add_contact(email="ada@example.com", external_id="u-1")["id"])
    snapshot = client.take_snapshot(ref)
    sandbox.archive_in_ui(ref.vendor_id)
    # When it is fetched, then it is not found, and no active contact holds the person
    with pytest.raises(VendorNotFound):
        client.fetch(ref)
    assert client.find_active(email=snapshot["email"], external_id=snapshot["external_id"]) is None
    # And it comes back by its own id
    assert client.restore(ref, snapshot) == RestoreResult(vendor_id=ref.vendor_id)


def test_a_lead_merged_into_a_user_is_404_and_found_as_that_user(
    case: IntercomCase, sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given a lead we hold, snapshotted, and a user with the same email
    lead = LinkRef(sandbox.add_contact(email="ada@example.com", role="lead")["id"])
    user = sandbox.add_contact(email="ada@example.com", external_id="u-1")["id"]
    snapshot = client.take_snapshot(lead)
    # When the lead is merged into the user
    merge(case, lead, user)
    # Then the lead is not found, cannot be restored, and the person is found as the user
    with pytest.raises(VendorNotFound):
        client.fetch(lead)
    with pytest.raises(VendorNotFound):
        client.restore(lead, snapshot)
    found = client.find_active(email=snapshot["email"], external_id=snapshot["external_id"])
    assert found is not None and (found.vendor_id, found.external_id) == (user, "u-1")


def test_a_deleted_contact_is_404_found_by_no_search_and_gone_for_good(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given a contact we hold, snapshotted, then deleted
    ref = LinkRef(sandbox.add_contact(email="ada@example.com", external_id="u-1")["id"])
    snapshot = client.take_snapshot(ref)
    assert client.delete(ref) == DeleteResult(already=False)
    # Then it is not found, no one holds the person, and it cannot come back
    with pytest.raises(VendorNotFound):
        client.fetch(ref)
    assert client.find_active(email=snapshot["email"], external_id=snapshot["external_id"]) is None
    with pytest.raises(VendorNotFound):
        client.restore(ref, snapshot)
    assert sandbox.effects["deleted"] == 1


# -- find_active ----------------------------------------------------------------------------


def test_find_active_takes_the_external_id_first_then_the_email(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given one user holding an external id and another holding an email
    by_external = sandbox.add_contact(email="a@example.com", external_id="u-1")["id"]
    by_email = sandbox.add_contact(email="b@example.com")["id"]
    # Then the external id wins when it is held, and the email is the fallback
    found = client.find_active(email="b@example.com", external_id="u-1")
    assert found is not None and found.vendor_id == by_external
    found = client.find_active(email="b@example.com", external_id="nobody")
    assert found is not None and found.vendor_id == by_email
    assert client.find_active(email="c@example.com", external_id=None) is None


def test_find_active_prefers_a_user_to_a_lead(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given a lead and then a user with one email (a merge goes into a user)
    sandbox.add_contact(email="ada@example.com", role="lead")
    user = sandbox.add_contact(email="ada@example.com")["id"]
    # When the person is looked for, then the user is the one found, confirmed by one fetch
    found = found_by_email(client, sandbox, "ada@example.com")
    assert found == (user, [SEARCH, ("GET", f"/contacts/{user}")])


def test_find_active_confirms_by_fetch_where_search_shows_archived_contacts(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given an archived contact, and an Intercom whose search shows archived contacts (2.10
    # does not say it does not)
    sandbox.search_shows_archived = True
    archived = sandbox.add_contact(email="ada@example.com", archived=True)["id"]
    # When the person is looked for, then the search's candidate is fetched, 404, and skipped
    found = found_by_email(client, sandbox, "ada@example.com")
    assert found == (None, [SEARCH, ("GET", f"/contacts/{archived}")])


def test_a_contact_created_minutes_ago_may_not_be_found_yet(
    case: IntercomCase, sandbox: IntercomSandbox, client: IntercomClient, clock: FakeTime
) -> None:
    # Given Intercom's "Contact Creation Delay" (two minutes here) and a contact just created
    sandbox.search_delay_seconds = 120
    body = {"email": "new@example.com"}
    created = case.http.post("/contacts", json=body, headers=case.api_headers()).json()["id"]
    # Then it is not found at first (None is no proof), and found once searchable
    assert client.find_active(email="new@example.com", external_id=None) is None
    clock.now += 120
    found = client.find_active(email="new@example.com", external_id=None)
    assert found is not None and found.vendor_id == created


def test_find_active_needs_an_email_or_an_external_id(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    with pytest.raises(ValueError, match="email or an external_id"):
        client.find_active(email=None, external_id="")
    assert sandbox.requests == []


# -- delete ---------------------------------------------------------------------------------


def test_deleting_a_deleted_contact_is_a_success_already(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given a deleted contact
    ref = LinkRef(sandbox.add_contact(email="gone@example.com")["id"])
    client.delete(ref)
    made = len(sandbox.requests)
    # When it is deleted again, then that is a success with nothing deleted, after its 404
    # and an unarchive that is 404 too (so it was not archived)
    assert client.delete(ref) == DeleteResult(already=True)
    assert calls_of(sandbox.requests[made:]) == [
        ("DELETE", path(ref)),
        ("POST", path(ref, "unarchive")),
    ]


def test_an_archived_contact_is_unarchived_to_be_deleted(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given an archived contact (its DELETE is 404, as its fetch is)
    ref = LinkRef(sandbox.add_contact(email="arch@example.com", archived=True)["id"])
    # When it is deleted
    result = client.delete(ref)
    # Then it was brought back and deleted: gone for good
    assert result == DeleteResult(already=False)
    assert calls_of(sandbox.requests) == [
        ("DELETE", path(ref)),
        ("POST", path(ref, "unarchive")),
        ("DELETE", path(ref)),
    ]
    assert sandbox.contact(ref.vendor_id) is None
    assert sandbox.effects == {"restored": 1, "deleted": 1}


def test_a_delete_whose_answer_is_lost_is_still_a_success(
    sandbox: IntercomSandbox, client: IntercomClient, wire: Wire
) -> None:
    # Given a contact, and an Intercom that deletes it but whose answer is lost
    ref = LinkRef(sandbox.add_contact(email="lost@example.com")["id"])

    def lose_the_first_delete(request: httpx.Request) -> httpx.Response | None:
        if request.method == "DELETE" and not wire.seen:
            sandbox.handle(request)
            raise httpx.ReadTimeout("answer lost")
        return None

    wire.intercept = lose_the_first_delete
    # When it is deleted, then the retry's 404 and the unarchive's 404 say it is gone
    assert client.delete(ref) == DeleteResult(already=True)
    assert sandbox.contact(ref.vendor_id) is None and sandbox.effects == {"deleted": 1}


def test_a_delete_answered_as_not_done_is_transient(
    sandbox: IntercomSandbox, client: IntercomClient, wire: Wire
) -> None:
    # Given an Intercom answering a delete with `deleted: false`
    ref = LinkRef(sandbox.add_contact(email="kept@example.com")["id"])
    not_deleted = {"type": "contact", "id": ref.vendor_id, "external_id": None, "deleted": False}
    wire.intercept = lambda request: (
        json_response(200, not_deleted) if request.method == "DELETE" else None
    )
    # When it is deleted, then that is no success: a later retry tries again
    with pytest.raises(TransientVendorError, match="deleted=False"):
        client.delete(ref)
