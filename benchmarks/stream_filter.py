"""(i) for `make bench`: what an archive wakes SyncFunction for, with and without the stream
mapping's `FilterCriteria` (template.yaml), on DynamoDB Local's real stream. Contacts linked to
the four vendor sandboxes are archived as the API archives them (with an Idempotency-Key) and the
stream drained through SyncFunction's handler in batches of 10, as the event source mapping
delivers them; records and invocations are counted per archive."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial
from typing import cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from benchmarks.vendors import SilentBus, linked_everywhere, table_stream
from contact_archive.announcements.publisher import EventPublisher
from contact_archive.contacts.changes import ChangeCommand, archive_contact
from contact_archive.contacts.register import RegisterCommand, register_contact
from contact_archive.dependencies import get_store
from contact_archive.ledger.idempotency import run_once
from contact_archive.ledger.models import Actor
from contact_archive.sync.stream import handle_stream
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools.sandboxes.stack import SandboxStack
from tests.support import FakeLambdaContext

ACTOR = Actor(name="bench", source="api")
CONTEXT = cast(LambdaContext, FakeLambdaContext())
CONTACTS = 25


@dataclass(frozen=True)
class FilterRun:
    filtered: bool
    contacts: int
    records_written: int  # stream records the archives' writes made
    records_delivered: int  # of which SyncFunction was handed
    invocations: int


def _run(filtered: bool, contacts: int = CONTACTS) -> FilterRun:
    run = uuid.uuid4().hex[:8]
    tenant = f"bench-filter-{run}"
    stack = SandboxStack()
    store = get_store()
    reader = table_stream(filtered=filtered)
    clients = VendorClients(
        JsonSource(stack.credentials(tenant)), transports=stack.transports(), sleep=lambda _: None
    )
    publisher = EventPublisher(SilentBus(), "bench")  # type: ignore[arg-type]
    for number in range(contacts):
        links = linked_everywhere(stack, f"filter-{number}@example.com")
        register_contact(store, RegisterCommand(tenant, f"{run}-{number}", ACTOR, links=links))
    while reader.next_event() is not None:  # what earlier writes made: not counted
        pass
    read_before, delivered, invocations = reader.read, 0, 0

    def archive(contact_id: str) -> tuple[int, dict[str, object]]:
        archive_contact(store, ChangeCommand(tenant, contact_id, ACTOR))
        return 200, {}

    for number in range(contacts):
        contact_id = f"{run}-{number}"
        run_once(
            store,
            tenant,
            f"key-{contact_id}",
            contact_id,
            partial(archive, contact_id),
            ttl_seconds=3600,
        )
    while (event := reader.next_event()) is not None:
        invocations += 1
        delivered += len(event["Records"])
        handle_stream(event, CONTEXT, store, clients, publisher)
    return FilterRun(filtered, contacts, reader.read - read_before, delivered, invocations)


def measure() -> tuple[FilterRun, FilterRun]:
    return _run(filtered=False), _run(filtered=True)


def render(unfiltered: FilterRun, filtered: FilterRun) -> list[str]:
    lines = [
        "## (i) What an archive wakes SyncFunction for",
        "",
        f"{filtered.contacts} contacts linked to the four vendor sandboxes, each archived as the "
        "API archives it (with an Idempotency-Key), and DynamoDB Local's stream drained through "
        "SyncFunction's handler in batches of up to 10, without and with the stream mapping's "
        "`FilterCriteria` (contact records with links to sync, and customer changes). Per archive:",
        "",
        "| filter | stream records | handed to SyncFunction | invocations |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, run in (("none (before)", unfiltered), ("`FilterCriteria` (now)", filtered)):
        lines.append(
            f"| {label} | {run.records_written / run.contacts:.1f} "
            f"| {run.records_delivered / run.contacts:.1f} "
            f"| {run.invocations / run.contacts:.2f} |"
        )
    saved = 1 - filtered.records_delivered / max(unfiltered.records_delivered, 1)
    lines += [
        "",
        f"The filter keeps {saved:.0%} of the records away from SyncFunction: the idempotency "
        "key's claim and completion; what is left is the change, a snapshot and a settle per link, "
        "each of which the sync must see (the last settle announces the change).",
        "",
    ]
    return lines
