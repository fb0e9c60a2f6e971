"""SyncFunction sees only what it must (DynamoDB Local's real stream, the mapping's
`FilterCriteria` from template.yaml applied as Lambda applies it): the records of an archive
with an Idempotency-Key, counted before and after the filter."""

from __future__ import annotations

from contact_archive.contacts.changes import archive_contact
from contact_archive.ledger.idempotency import run_once
from contact_archive.ledger.models import LinkState, Vendor
from contact_archive.ledger.store import LedgerStore
from devtools.event_filters import passes, stream_filters
from devtools.sandboxes.stack import SandboxStack
from tests.dynamodb_local.lambda_feeder import StreamLambda
from tests.ledger_helpers import TENANT, change, link_states, register_at_vendors


def test_an_archive_wakes_sync_function_only_for_the_contacts_records(
    store: LedgerStore, stack: SandboxStack, lambda_: StreamLambda
) -> None:
    # Given a contact linked to the four vendors, registered (its records and its vendor refs)
    register_at_vendors(store, stack, "c-1")
    lambda_.drain()
    assert lambda_.delivered == []  # nothing to sync: none reached SyncFunction
    read_before = lambda_.reader.read

    # When it is archived as the API does it, with an Idempotency-Key, and the stream drained
    def archive() -> tuple[int, dict[str, object]]:
        archive_contact(store, change("c-1"))
        return 200, {}

    run_once(store, TENANT, "key-1", "fingerprint", archive, ttl_seconds=3600)
    lambda_.drain()
    # Then the archive was carried out
    assert link_states(store, "c-1") == dict.fromkeys(Vendor, LinkState.ARCHIVED)
    # and of the records its writes made, the idempotency key's claim and completion never
    # reached SyncFunction; every contact record with links to sync did
    read = lambda_.reader.read - read_before
    delivered = lambda_.delivered
    types = [record["dynamodb"]["NewImage"]["type"]["S"] for record in delivered]
    assert set(types) == {"contact"}
    assert read - len(delivered) == 2  # the key's claim and its completion
    # the change, a snapshot per link and a settle per link: what the sync must see
    assert len(delivered) == 1 + 4 + 4


def test_the_filter_keeps_customer_changes_and_drops_the_sweepers_own_cleanup() -> None:
    patterns = stream_filters()
    customer_change = {"dynamodb": {"NewImage": {"type": {"S": "vendor_customer_change"}}}}
    due_contact = {"dynamodb": {"NewImage": {"type": {"S": "contact"}, "due_pk": {"S": "DUE#03"}}}}
    cleaned = {"dynamodb": {"NewImage": {"type": {"S": "contact"}}}}
    removed = {"dynamodb": {"OldImage": {"type": {"S": "contact"}, "due_pk": {"S": "DUE#03"}}}}
    assert passes(customer_change, patterns) and passes(due_contact, patterns)
    assert not passes(cleaned, patterns) and not passes(removed, patterns)
