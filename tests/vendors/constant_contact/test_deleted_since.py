"""Constant Contact's "deleted since" listing (reconciliation finds deletes made in its own UI with
it): `GET /contacts?status=deleted&updated_after=`, paged by `_links.next.href`, against the
sandbox and the vendor's contract."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.constant_contact import mapper
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.base import Faults
from devtools.sandboxes.stack import IN_PROCESS_BASE_URLS, SandboxStack
from tests.contracts.specs import contract_transport
from tests.fakes import FakeTime

TENANT = "tenant-a"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime(START)


@pytest.fixture
def stack(clock: FakeTime) -> SandboxStack:
    stack = SandboxStack()
    stack.constant_contact._clock = clock  # noqa: SLF001 - the sandbox's dates on the test's clock
    return stack


def client_of(
    stack: SandboxStack, transport: httpx.BaseTransport | None = None
) -> ConstantContactClient:
    clients = VendorClients(
        JsonSource(stack.credentials(TENANT)),
        transports={Vendor.CONSTANT_CONTACT: transport or stack.constant_contact.transport()},
        sleep=lambda _: None,
    )
    client = clients(TENANT, Vendor.CONSTANT_CONTACT)
    assert isinstance(client, ConstantContactClient)
    return client


def test_only_deleted_contacts_changed_after_the_time_are_listed(
    stack: SandboxStack, clock: FakeTime
) -> None:
    # Given one contact deleted an hour ago, one deleted now, and one active
    sandbox = stack.constant_contact
    client = client_of(stack)
    old, recent, active = (sandbox.add_contact(list_ids=["l-1"])["contact_id"] for _ in range(3))
    client.archive(LinkRef(old))
    clock.now += 3600
    client.archive(LinkRef(recent))
    # When the deleted ones changed in the last half hour are listed
    since = datetime.fromtimestamp(clock.now - 1800, UTC).isoformat().replace("+00:00", "Z")
    page = client.list_deleted_page(updated_after=since)
    # Then only the recent delete comes, archived, with the times it changed
    assert [(found.vendor_id, found.archived) for found in page.contacts] == [(recent, True)]
    assert page.next_cursor is None
    assert page.contacts[0].updated_at is not None
    assert page.contacts[0].updated_at > since
    # And without a time, every deleted contact comes
    everyone = client.list_deleted_page()
    assert {found.vendor_id for found in everyone.contacts} == {old, recent}
    assert active not in {found.vendor_id for found in everyone.contacts}
    listed = [r for r in sandbox.requests if r.method == "GET" and r.url.path == "/v3/contacts"]
    assert dict(listed[0].url.params) == {
        "status": "deleted",
        "limit": "500",
        "updated_after": since,
    }
    assert dict(listed[1].url.params) == {"status": "deleted", "limit": "500"}


def test_pages_follow_the_next_href_which_keeps_the_query(stack: SandboxStack) -> None:
    # Given five deleted contacts
    sandbox = stack.constant_contact
    ids = [sandbox.add_contact(deleted_at="2026-11-01")["contact_id"] for _ in range(5)]
    sandbox.add_contact()
    client = client_of(stack)
    # When they are read two at a time
    first = client.list_deleted_page(limit=2)
    assert first.next_cursor is not None
    second = client.list_deleted_page(cursor=first.next_cursor)
    assert second.next_cursor is not None
    third = client.list_deleted_page(cursor=second.next_cursor)
    # Then every deleted contact comes once, in order, and the last page says so
    pages = [first, second, third]
    assert [found.vendor_id for page in pages for found in page.contacts] == ids
    assert [len(page.contacts) for page in pages] == [2, 2, 1]
    assert third.next_cursor is None


def test_a_page_size_the_vendor_refuses_is_refused_before_any_call(stack: SandboxStack) -> None:
    client = client_of(stack)
    for limit in (0, 501):
        with pytest.raises(ValueError, match="1 to 500"):
            client.list_deleted_page(limit=limit)
    assert stack.constant_contact.requests == []
    assert mapper.deleted_since_query(None, 10) == {"status": "deleted", "limit": 10}


def test_a_throttled_listing_is_retried_after_the_vendors_wait() -> None:
    # Given a vendor that throttles every other request
    stack = SandboxStack(faults=Faults(throttle_rate=0.5, seed=3, retry_after_seconds=2))
    stack.constant_contact.add_contact(deleted_at="2026-11-01")
    waits: list[float] = []
    clients = VendorClients(
        JsonSource(stack.credentials(TENANT)), transports=stack.transports(), sleep=waits.append
    )
    client = clients(TENANT, Vendor.CONSTANT_CONTACT)
    assert isinstance(client, ConstantContactClient)
    # When deleted contacts are listed
    page = client.list_deleted_page()
    # Then the answer comes, after waits of the vendor's Retry-After
    assert len(page.contacts) == 1
    statuses = [r for r in stack.constant_contact.requests if r.url.path == "/v3/contacts"]
    assert len(statuses) > 1 and 2.0 in waits


def test_the_listing_keeps_to_the_vendors_contract(stack: SandboxStack) -> None:
    # Given the sandbox behind Constant Contact's published contract
    sandbox = stack.constant_contact
    for _ in range(3):
        sandbox.add_contact(deleted_at="2026-11-01", list_ids=[])
    transport = contract_transport(
        Vendor.CONSTANT_CONTACT, sandbox, base_url=IN_PROCESS_BASE_URLS[Vendor.CONSTANT_CONTACT]
    )
    client = client_of(stack, transport)
    # When the deleted contacts changed since a time are listed, two a page
    first = client.list_deleted_page(updated_after="2026-01-01T00:00:00.000Z", limit=2)
    assert first.next_cursor is not None
    client.list_deleted_page(cursor=first.next_cursor)
    # Then every request and answer kept to it
    assert transport.violations == []
    assert transport.checked == 2
