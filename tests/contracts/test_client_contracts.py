"""Every request each vendor client builds, and every answer it gets from its sandbox, held
against the vendor's spec (Routera: its documented shapes): fetch, snapshot, archive, a repeated
archive, restore, list pages and, where the vendor has them, token requests."""

from __future__ import annotations

import pytest

from contact_archive.ledger.models import Vendor
from contact_archive.vendors.client import LinkRef, VendorClient, all_contacts
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import IN_PROCESS_BASE_URLS, SandboxStack
from tests.contracts.specs import contract_transport
from tests.contracts.validating import ContractTransport

TENANT = "tenant-a"
CUSTOMER = "customer-1"
LIST_ID = "07936f78-662a-11eb-af0a-fa163e56c9b0"  # Constant Contact list ids are UUIDs


def seed(stack: SandboxStack, vendor: Vendor) -> LinkRef:
    """Two contacts at the vendor; the first one's reference."""
    refs = []
    for number in range(2):
        email = f"person{number}@example.com"
        if vendor is Vendor.SEQUENCE:
            found = stack.sequence.add_contact(CUSTOMER, name=f"Person {number}", email=email)
            refs.append(LinkRef(found["id"], CUSTOMER))
        elif vendor is Vendor.ROUTERA:
            refs.append(LinkRef(stack.routera.add_contact(email=email, first_name="P")["id"]))
        elif vendor is Vendor.INTERCOM:
            refs.append(LinkRef(stack.intercom.add_contact(email=email, name="Person")["id"]))
        else:
            found = stack.constant_contact.add_contact(email=email, list_ids=[LIST_ID])
            refs.append(LinkRef(found["contact_id"]))
    return refs[0]


def exercise(client: VendorClient, ref: LinkRef) -> None:
    """Everything the sync and import use cases ask of a client, in their order."""
    client.fetch(ref)
    snapshot = client.take_snapshot(ref)
    client.archive(ref)
    client.archive(ref)
    client.restore(ref, snapshot)
    assert len(list(all_contacts(client, ref.scope))) >= 2


@pytest.mark.parametrize("vendor", list(Vendor))
def test_every_client_call_and_answer_keeps_to_the_vendors_contract(vendor: Vendor) -> None:
    # Given the vendor's sandbox behind its contract
    stack = SandboxStack()
    ref = seed(stack, vendor)
    transport = contract_transport(
        vendor, stack.sandboxes[vendor], base_url=IN_PROCESS_BASE_URLS[vendor]
    )
    clients = VendorClients(
        JsonSource(stack.credentials(TENANT)),
        transports={vendor: transport},
        sleep=lambda _: None,
    )
    # When the client does all it does
    exercise(clients(TENANT, vendor), ref)
    # Then nothing it sent or received broke the contract
    assert transport.violations == []
    assert transport.checked >= 5  # Intercom's snapshot needs no call


def test_a_constant_contact_token_refresh_keeps_to_the_contract_and_is_the_only_exception() -> None:
    # Given an expired access token
    stack = SandboxStack()
    ref = seed(stack, Vendor.CONSTANT_CONTACT)
    credentials = JsonSource(stack.credentials(TENANT))
    stack.constant_contact.expire_access_token()
    transport: ContractTransport = contract_transport(
        Vendor.CONSTANT_CONTACT,
        stack.constant_contact,
        base_url=IN_PROCESS_BASE_URLS[Vendor.CONSTANT_CONTACT],
    )
    clients = VendorClients(
        credentials,
        transports={Vendor.CONSTANT_CONTACT: transport},
        sleep=lambda _: None,
    )
    # When a call needs the refresh
    clients(TENANT, Vendor.CONSTANT_CONTACT).fetch(ref)
    # Then the API calls are within the spec and only the token endpoint went unchecked
    assert transport.violations == []
    assert [line.split(":")[0] for line in transport.unchecked] == ["POST /oauth2/default/v1/token"]
