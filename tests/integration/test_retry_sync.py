"""`POST /contacts/{contact_id}/sync`: failed links go back to vendor sync; nothing else moves."""

from __future__ import annotations

from contact_archive.contacts.changes import ChangeCommand, archive_contact
from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.ledger.models import Actor, LinkSettlement, LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from tests.support import (
    TENANT,
    FakeLambdaContext,
    RequestCounter,
    api_event,
    body_of,
    load_handler,
)

ALICE = Actor(name="alice", source="api")


def test_failed_links_are_retried_and_a_second_call_changes_nothing(store: LedgerStore) -> None:
    # Given an archive whose Intercom link failed and whose Routera link archived
    links = [LinkInput(Vendor.INTERCOM, "ic-1"), LinkInput(Vendor.ROUTERA, "rt-1")]
    register_contact(store, RegisterCommand(TENANT, "c-1001", ALICE, links=links))
    pending = archive_contact(store, ChangeCommand(TENANT, "c-1001", ALICE)).contact.pending
    assert pending is not None
    for vendor, vendor_id, state in (
        (Vendor.INTERCOM, "ic-1", LinkState.FAILED),
        (Vendor.ROUTERA, "rt-1", LinkState.ARCHIVED),
    ):
        settled = LinkSettlement(
            TENANT,
            "c-1001",
            vendor,
            vendor_id,
            pending.change_id,
            state,
            "2026-11-23T10:00:00.000Z",
            ALICE,
        )
        assert store.links.settle(settled)
    register = load_handler("register")
    counter = RequestCounter(store.client)
    # When the sync is retried
    response = register.lambda_handler(api_event("retry_sync"), FakeLambdaContext())
    # Then only the failed link is back in flight, in one read and one write
    assert response["statusCode"] == 202, response["body"]
    states = {link["vendor"]: link["state"] for link in body_of(response)["links"]}
    assert states == {"intercom": "archiving", "routera": "archived"}
    assert counter.calls == {"GetItem": 1, "UpdateItem": 1}
    # And asking again, with nothing failed, is a 200 that writes nothing
    counter.reset()
    again = register.lambda_handler(api_event("retry_sync"), FakeLambdaContext())
    assert again["statusCode"] == 200
    assert counter.calls == {"GetItem": 1}


def test_retrying_an_unknown_contact_is_a_404(store: LedgerStore) -> None:
    response = load_handler("register").lambda_handler(
        api_event("retry_sync", contact_id="nobody"), FakeLambdaContext()
    )
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "contact_not_found"
