"""The Intercom client's update (`PUT /contacts/{id}`) and how it lives with the app's and the
workspace's minute allowances: a 429's `X-RateLimit-Reset` (UNIX time) is waited for when the
retries' budget allows, and handed to the caller when it does not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.errors import (
    PermanentVendorError,
    TransientVendorError,
    VendorNotFound,
)
from contact_archive.vendors.intercom.client import IntercomClient
from contact_archive.vendors.intercom.types import UpdateContactRequest
from devtools.sandboxes.intercom import IntercomSandbox
from tests.fakes import FakeTime
from tests.vendors.intercom.case import START, IntercomCase
from tests.vendors.sandboxed import Wire

OTHER_APP_TOKEN = "intercom-other-app-token-3c4d"


@pytest.fixture
def case() -> Iterator[IntercomCase]:
    with IntercomCase() as case:
        yield case


# -- update ---------------------------------------------------------------------------------


def test_update_writes_the_fields_and_answers_the_contact(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given a contact
    ref = LinkRef(sandbox.add_contact(email="ada@example.com", name="Ada")["id"])
    # When its name and a custom attribute are updated
    contact = client.update(ref, {"name": "Ada Lovelace", "custom_attributes": {"plan": "pro"}})
    # Then the answer and the stored contact hold them
    assert (contact.first_name, contact.last_name) == ("Ada", "Lovelace")
    stored = sandbox.contact(ref.vendor_id)
    assert stored is not None and stored["custom_attributes"] == {"plan": "pro"}


def test_an_archived_contact_cannot_be_updated_and_that_is_not_retried(
    sandbox: IntercomSandbox, client: IntercomClient
) -> None:
    # Given an archived contact
    ref = LinkRef(sandbox.add_contact(email="arch@example.com", archived=True)["id"])
    # When it is updated, then it is not found (as its fetch), asked once
    with pytest.raises(VendorNotFound):
        client.update(ref, {"name": "X"})
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"created_at": 1}, 400, "unknown fields"),
        ({"email": "taken@example.com"}, 409, "already exists"),
    ],
    ids=["read-only field", "another user's email"],
)
def test_a_refused_update_is_permanent_and_not_retried(
    sandbox: IntercomSandbox,
    client: IntercomClient,
    fields: UpdateContactRequest,
    status: int,
    says: str,
) -> None:
    # Given a contact, and another user holding an email
    sandbox.add_contact(email="taken@example.com")
    ref = LinkRef(sandbox.add_contact(email="mine@example.com")["id"])
    # When it is updated with a field Intercom refuses, or with that email
    with pytest.raises(PermanentVendorError, match=says) as raised:
        client.update(ref, fields)
    # Then it is a permanent error with Intercom's status, asked once
    assert raised.value.status == status and len(sandbox.requests) == 1


# -- allowances -------------------------------------------------------------------------------


def spend_the_allowance(case: IntercomCase, by: str) -> None:
    """Use up a one-request minute: the app's own, or the workspace's through another app."""
    if by == "this app":
        case.sandbox.rate_limit_per_minute = 1
        headers = case.api_headers()
    else:
        case.sandbox.workspace_rate_limit_per_minute = 1
        case.sandbox.add_app(OTHER_APP_TOKEN)
        headers = {**case.api_headers(), "Authorization": f"Bearer {OTHER_APP_TOKEN}"}
    assert case.http.get("/contacts", headers=headers).status_code == 200


@pytest.mark.parametrize("by", ["this app", "another app of the workspace"])
def test_a_429_is_waited_for_until_the_reset_when_it_is_near(
    case: IntercomCase, ada: LinkRef, wire: Wire, clock: FakeTime, by: str
) -> None:
    # Given the minute's allowance spent, 50 seconds into the minute
    spend_the_allowance(case, by)
    clock.now += 50
    # When Ada is fetched
    contact = case.client.fetch(ada)
    # Then the 429 was waited for until its X-RateLimit-Reset, 10 s on, and the retry served
    assert contact.vendor_id == ada.vendor_id
    assert wire.statuses("GET", f"/contacts/{ada.vendor_id}") == [429, 200]
    assert case.waits == [10.0] and clock.now == START + 60


@pytest.mark.parametrize("by", ["this app", "another app of the workspace"])
def test_a_429_whose_reset_is_past_the_retry_budget_goes_to_the_caller(
    case: IntercomCase, ada: LinkRef, wire: Wire, by: str
) -> None:
    # Given the minute's allowance spent at its very start
    spend_the_allowance(case, by)
    # When Ada is fetched, then the 429 is not waited for (60 s is past the 20 s budget): it
    # is a transient error that says when to come back, after one request
    with pytest.raises(TransientVendorError) as raised:
        case.client.fetch(ada)
    assert raised.value.status == 429 and raised.value.retry_after == 60.0
    assert wire.statuses("GET", f"/contacts/{ada.vendor_id}") == [429]
    assert case.waits == []
