"""Sequence's quirks against the Sequence sandbox: reads through the customer's list (there is no
GET of one contact), links without their customer, an archive told apart from an earlier one by
its time, and one page per customer. What every vendor client does alike is in
`tests/vendors/test_clients.py`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.errors import PermanentVendorError, VendorNotFound
from contact_archive.vendors.sequence.client import API_VERSION, SequenceClient
from devtools.sandboxes.sequence import SequenceSandbox
from tests.vendors.sandboxed import DateClock
from tests.vendors.sequence.case import ADA, CONTACTS, CUSTOMER

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


def test_archiving_again_later_reports_already_archived(
    sandbox: SequenceSandbox, client: SequenceClient, clock: DateClock, ada: LinkRef
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
    client: SequenceClient, clock: DateClock, ada: LinkRef
) -> None:
    # Given Ada archived a minute ago (e.g. by this archive's first, lost, attempt)
    client.archive(ada)
    clock.advance(timedelta(minutes=1))

    # When the archive is repeated, Then it is not told apart from this call's own archive
    assert not client.archive(ada).already


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
