"""`POST /contacts/{contact_id}/sync`: failed links go back to vendor sync; nothing else moves."""

from __future__ import annotations

from contact_archive.contacts.changes import archive_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from tests.ledger_helpers import change, register, sync_outcome
from tests.support import API_TENANT, Functions, RequestCounter, api_event, body_of, link_states_of


def test_failed_links_are_retried_and_a_second_call_changes_nothing(
    functions: Functions, store: LedgerStore
) -> None:
    # Given an archive whose Intercom link failed and whose Routera link archived
    links = [LinkInput(Vendor.INTERCOM, "ic-1"), LinkInput(Vendor.ROUTERA, "rt-1")]
    register(store, "c-1001", links, tenant=API_TENANT)
    archived = archive_contact(store, change("c-1001", tenant=API_TENANT)).contact
    assert archived.pending is not None
    for vendor, state in (
        (Vendor.INTERCOM, LinkState.FAILED),
        (Vendor.ROUTERA, LinkState.ARCHIVED),
    ):
        assert store.links.settle(sync_outcome(archived, vendor, state))
    counter = RequestCounter(store.client)
    # When the sync is retried
    response = functions("register", api_event("retry_sync"))
    # Then only the failed link is back in flight, in one read and one write
    assert response["statusCode"] == 202, response["body"]
    assert link_states_of(body_of(response)) == {"intercom": "archiving", "routera": "archived"}
    assert counter.calls == {"GetItem": 1, "UpdateItem": 1}
    # And asking again, with nothing failed, is a 200 that writes nothing
    counter.reset()
    again = functions("register", api_event("retry_sync"))
    assert again["statusCode"] == 200
    assert counter.calls == {"GetItem": 1}


def test_retrying_an_unknown_contact_is_a_404(functions: Functions) -> None:
    response = functions("register", api_event("retry_sync", contact_id="nobody"))
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "contact_not_found"
