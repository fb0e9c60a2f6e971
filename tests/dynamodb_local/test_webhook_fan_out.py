"""A Sequence customer archived in its dashboard, end to end on DynamoDB Local's real stream: the
sandbox's signed `CUSTOMER_ARCHIVED` is received (delivery and change item in one transaction),
and SyncFunction, fed from the stream as Lambda feeds it, archives every link of that customer."""

from __future__ import annotations

from datetime import UTC, datetime

from contact_archive.contacts.reading import get_contact
from contact_archive.contacts.register import LinkInput
from contact_archive.inbound.webhooks import InboundWebhook, WebhookOutcome, receive_webhook
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.signing_secrets import CredentialsSigningSecrets
from devtools.sandboxes.stack import SandboxStack
from tests.dynamodb_local.lambda_feeder import StreamLambda
from tests.ledger_helpers import TENANT, register


def test_a_customer_archived_in_sequence_archives_its_links_once(
    store: LedgerStore, stack: SandboxStack, credentials: JsonSource, lambda_: StreamLambda
) -> None:
    # Given two contacts of customer cus-1 and one of cus-2, linked in the ledger
    for contact_id, customer in (("c-1", "cus-1"), ("c-2", "cus-1"), ("c-3", "cus-2")):
        made = stack.sequence.add_contact(customer, name=contact_id, email=f"{contact_id}@x.io")
        link = LinkInput(Vendor.SEQUENCE, made["id"], customer)
        register(store, contact_id, [link])
    lambda_.drain()  # the registrations' records: nothing to sync
    # When cus-1 is archived in Sequence's dashboard and its signed delivery arrives (twice)
    delivery = stack.sequence.archive_customer_in_ui("cus-1")
    request = InboundWebhook("sequence", TENANT, delivery.body.decode(), False, delivery.headers)
    now = datetime.now(UTC)  # the sandbox signed it a moment ago, on the same clock
    secrets = CredentialsSigningSecrets(credentials)
    assert receive_webhook(store, secrets, request, now=now) is WebhookOutcome.QUEUED
    assert receive_webhook(store, secrets, request, now=now) is WebhookOutcome.DUPLICATE
    # and SyncFunction reads the table's stream, its own writes' records included
    lambda_.drain()
    # Then both links of cus-1 are archived at Sequence's word, cus-2's is not, nothing failed
    states = {
        contact_id: get_contact(store, TENANT, contact_id).link_state(Vendor.SEQUENCE)
        for contact_id in ("c-1", "c-2", "c-3")
    }
    assert states == {"c-1": LinkState.ARCHIVED, "c-2": LinkState.ARCHIVED, "c-3": LinkState.ACTIVE}
    assert lambda_.dead_letters == []
    # and no archive was sent back to Sequence: the customer was listed once for the fan-out,
    # then once per archived link to keep its restore material while Sequence still shows it
    assert [request.method for request in stack.sequence.requests] == ["GET"] * 3
    for contact_id in ("c-1", "c-2"):
        link = get_contact(store, TENANT, contact_id).link(Vendor.SEQUENCE)
        assert link.snapshot is not None and link.snapshot["email"] == f"{contact_id}@x.io"
