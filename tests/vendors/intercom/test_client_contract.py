"""The Intercom client's new calls held against the 2.10 spec on the wire: every request it builds
for snapshot, update, search (`find_active`) and delete, and every answer it gets, the 404s it
handles included. `tests/contracts/` does the same for what every client does."""

from __future__ import annotations

import httpx

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.credentials import IntercomCredentials
from contact_archive.vendors.intercom.client import DeleteResult, IntercomClient
from devtools.sandboxes.intercom import IntercomSandbox
from tests.contracts.specs import contract_transport

TOKEN = "intercom-contract-token"


def test_the_clients_reconciliation_and_erasure_calls_keep_to_the_spec() -> None:
    # Given the Intercom sandbox behind the 2.10 contract, a lead, a user and an archived one
    sandbox = IntercomSandbox(TOKEN)
    lead = LinkRef(sandbox.add_contact(email="ada@example.com", role="lead")["id"])
    user = LinkRef(sandbox.add_contact(email="ada@example.com", external_id="u-1")["id"])
    archived = LinkRef(sandbox.add_contact(email="old@example.com", archived=True)["id"])
    transport = contract_transport(Vendor.INTERCOM, sandbox)
    credentials = IntercomCredentials.model_validate({"access_token": TOKEN})
    with httpx.Client(transport=transport) as http:
        client = IntercomClient(credentials, http, sleep=lambda _: None)
        # When it does all reconciliation and erasure ask of it
        snapshot = client.take_snapshot(lead)
        client.update(user, {"name": "Ada Lovelace", "custom_attributes": {"plan": "pro"}})
        found = client.find_active(email=snapshot["email"], external_id="nobody")
        deleted = [client.delete(lead), client.delete(lead), client.delete(archived)]
    # Then it got what it should, and nothing sent or received broke the contract
    assert found is not None and found.vendor_id == user.vendor_id
    assert deleted == [DeleteResult(), DeleteResult(already=True), DeleteResult()]
    assert transport.violations == []
    assert transport.checked == len(sandbox.requests) == 11
