"""Vendor-side figures for `make bench`: Constant Contact's rate limit holding under a burst,
and vendor calls under injected faults. Everything runs against the in-process sandboxes."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import httpx

from contact_archive.announcements.publisher import EventPublisher
from contact_archive.contacts.changes import ChangeCommand, archive_contact, restore_contact
from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.dependencies import get_store
from contact_archive.ledger.models import Actor, Vendor
from contact_archive.sync.stream import handle_stream
from contact_archive.vendors.client import LinkRef
from contact_archive.vendors.constant_contact.client import ConstantContactClient
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.credentials import ConstantContactCredentials
from contact_archive.vendors.errors import VendorError
from contact_archive.vendors.rate_limit import TokenBucket
from contact_archive.vendors.registry import VendorClients
from devtools.event_filters import stream_filters
from devtools.sandboxes.base import Faults
from devtools.sandboxes.constant_contact import ConstantContactSandbox
from devtools.sandboxes.stack import IN_PROCESS_BASE_URLS, SandboxStack
from devtools.stream_reader import StreamReader
from tests.support import FakeLambdaContext

TENANT = "bench-vendors"
ACTOR = Actor(name="bench", source="api")
BURST_THREADS = 4
BURST_REQUESTS = 24
_ID = re.compile(r"/[0-9a-f-]{16,}(?=/|$)|/(?=[0-9a-f]{24})[0-9a-f]{24}")


@dataclass(frozen=True)
class Burst:
    requests: int
    seconds: float
    peak_per_second: int  # the most requests the vendor saw within any one second
    throttled: int  # answered 429
    failed: int  # fetches that gave up after their retries


def constant_contact_burst(*, client_side_limit: bool = True) -> Burst:
    """`BURST_REQUESTS` fetches from `BURST_THREADS` threads sharing one client, against the
    sandbox enforcing 4 requests/s on the wall clock; when each request reached it is recorded."""
    sandbox = ConstantContactSandbox()
    contact_id = sandbox.add_contact(email="burst@example.com")["contact_id"]
    seen: list[tuple[float, int]] = []  # (when the request reached the vendor, its status)
    lock = threading.Lock()

    def recording(request: httpx.Request) -> httpx.Response:
        reached = time.monotonic()
        response = sandbox.handle(request)
        with lock:
            seen.append((reached, response.status_code))
        return response

    base_url = IN_PROCESS_BASE_URLS[Vendor.CONSTANT_CONTACT]
    credentials = ConstantContactCredentials.model_validate(
        {
            "client_id": "bench",
            "access_token": sandbox.token,
            "refresh_token": "unused",
            "base_url": base_url,
        }
    )
    # Without the client-side limit: a bucket too wide to ever wait, so only the vendor limits.
    bucket = None if client_side_limit else TokenBucket(10_000, 10_000)
    client = ConstantContactClient(
        credentials,
        httpx.Client(base_url=base_url, transport=httpx.MockTransport(recording)),
        on_rotated=lambda _: None,
        bucket=bucket,
    )
    started = time.monotonic()
    failed = 0

    def fetch(_: int) -> None:
        nonlocal failed
        try:
            client.fetch(LinkRef(contact_id))
        except VendorError:
            with lock:
                failed += 1

    with ThreadPoolExecutor(BURST_THREADS) as pool:
        list(pool.map(fetch, range(BURST_REQUESTS)))
    elapsed = time.monotonic() - started
    moments = [moment for moment, _ in seen]
    peak = max(sum(1 for other in moments if start <= other < start + 1.0) for start in moments)
    throttled = sum(1 for _, status in seen if status == 429)
    return Burst(len(seen), elapsed, peak, throttled, failed)


def render(limited: Burst, unlimited: Burst) -> list[str]:
    lines = [
        "## (e) Constant Contact's rate limit under a burst",
        "",
        f"{BURST_REQUESTS} fetches from {BURST_THREADS} threads sharing one client, against the "
        "sandbox enforcing Constant Contact's 4 requests per second per key on the wall clock. "
        "*Peak* is the most requests the sandbox received within any one second.",
        "",
        "| client | requests seen | time | rate | peak in one second | answered 429 | gave up |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, burst in (
        ("with its token bucket (3.6/s, burst 1)", limited),
        ("without a client-side limit", unlimited),
    ):
        lines.append(
            f"| {label} | {burst.requests} | {burst.seconds:.2f} s "
            f"| {burst.requests / burst.seconds:.2f}/s | {burst.peak_per_second} "
            f"| {burst.throttled} | {burst.failed} |"
        )
    lines += [
        "",
        "With the bucket, the client keeps 10% under the limit (requests about 0.28 s apart), so "
        "scheduling and network jitter cannot push five requests into one second at the vendor; "
        "without it, the first second's excess is refused and each refusal costs a retry after a "
        "backoff.",
        "",
    ]
    return lines


class SilentBus:
    """Stands in for EventBridge: takes PutEvents and keeps nothing."""

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"} for _ in Entries]}


@dataclass(frozen=True)
class FaultRun:
    fault_rate: float
    contacts: int
    archive_calls: dict[Vendor, float]  # vendor requests per archived contact, faults included
    restore_calls: dict[Vendor, float]
    dead_letters: int


def table_stream(*, filtered: bool) -> StreamReader:
    """The benchmark table's stream, read as SyncFunction's event source mapping reads it (with
    its `FilterCriteria` when `filtered`)."""
    client = get_store().client
    table = client.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]
    streams = boto3.client("dynamodbstreams", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    return StreamReader(
        streams, table["LatestStreamArn"], filters=stream_filters() if filtered else None
    )


def linked_everywhere(stack: SandboxStack, email: str) -> list[LinkInput]:
    """A person made at each of the four sandboxes: the links that name them."""
    return [
        LinkInput(Vendor.SEQUENCE, stack.sequence.add_contact("c", email=email)["id"], "c"),
        LinkInput(Vendor.ROUTERA, stack.routera.add_contact(email=email)["id"]),
        LinkInput(Vendor.INTERCOM, stack.intercom.add_contact(email=email)["id"]),
        LinkInput(
            Vendor.CONSTANT_CONTACT,
            stack.constant_contact.add_contact(email=email, list_ids=["l"])["contact_id"],
        ),
    ]


def calls_under_faults(fault_rate: float, contacts: int = 25, seed: int = 11) -> FaultRun:
    """Archive and restore `contacts` linked to all four vendors through the table's stream
    (SyncFunction's handler, failed records retried as Lambda would), with `fault_rate` of the
    vendors' answers injected as 503, 429 + Retry-After and timeouts in equal parts."""
    part = fault_rate / 3
    run = uuid.uuid4().hex[:8]
    tenant = f"bench-faults-{run}"  # sandbox ids repeat from run to run; tenants keep them apart
    stack = SandboxStack(faults=Faults(part, part, part, seed=seed))
    store = get_store()
    reader = table_stream(filtered=True)
    while reader.next_event() is not None:  # skip what earlier benchmarks wrote
        pass
    clients = VendorClients(
        JsonSource(stack.credentials(tenant)), transports=stack.transports(), sleep=lambda _: None
    )
    publisher = EventPublisher(SilentBus(), "bench")  # type: ignore[arg-type]
    dead_letters = 0

    def drain() -> None:
        nonlocal dead_letters
        while (event := reader.next_event()) is not None:
            records = event["Records"]
            for _ in range(6):  # the first try and MaximumRetryAttempts (5)
                response = handle_stream(
                    {"Records": records}, FakeLambdaContext(), store, clients, publisher
                )
                failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
                records = [r for r in records if r["dynamodb"]["SequenceNumber"] in failed]
                if not records:
                    break
            dead_letters += len(records)

    for number in range(contacts):
        links = linked_everywhere(stack, f"fault-{number}@example.com")
        register_contact(store, RegisterCommand(tenant, f"{run}-{number}", ACTOR, links=links))
    drain()
    seen = {vendor: len(sandbox.requests) for vendor, sandbox in stack.sandboxes.items()}
    for number in range(contacts):
        archive_contact(store, ChangeCommand(tenant, f"{run}-{number}", ACTOR))
    drain()
    archived = {vendor: len(sandbox.requests) for vendor, sandbox in stack.sandboxes.items()}
    for number in range(contacts):
        restore_contact(store, ChangeCommand(tenant, f"{run}-{number}", ACTOR))
    drain()
    restored = {vendor: len(sandbox.requests) for vendor, sandbox in stack.sandboxes.items()}
    return FaultRun(
        fault_rate,
        contacts,
        {vendor: (archived[vendor] - seen[vendor]) / contacts for vendor in Vendor},
        {vendor: (restored[vendor] - archived[vendor]) / contacts for vendor in Vendor},
        dead_letters,
    )


def render_faults(clean: FaultRun, faulty: FaultRun) -> list[str]:
    lines = [
        "## (f) Vendor calls per archive and restore under 30% injected faults",
        "",
        f"{clean.contacts} contacts linked to all four vendors, archived then restored, synced "
        "from DynamoDB Local's stream by SyncFunction's handler (failed records retried as Lambda "
        "retries them), against sandboxes answering a share of requests with 503, 429 + "
        "`Retry-After` or a timeout, in equal parts. Requests per contact, faults and retries "
        "included; token requests included.",
        "",
        "| vendor | archive, no faults | archive, 30% faults | ratio | restore, no faults "
        "| restore, 30% faults | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for vendor in Vendor:
        archive = (clean.archive_calls[vendor], faulty.archive_calls[vendor])
        restore = (clean.restore_calls[vendor], faulty.restore_calls[vendor])
        lines.append(
            f"| {vendor.value} | {archive[0]:.1f} | {archive[1]:.1f} | {archive[1] / archive[0]:.2f}x "
            f"| {restore[0]:.1f} | {restore[1]:.1f} | {restore[1] / restore[0]:.2f}x |"
        )
    lines += [
        "",
        f"Dead letters: {clean.dead_letters} without faults, {faulty.dead_letters} with. Each side "
        "effect still happened once per contact (the DynamoDB Local tests assert it by counting "
        "the changes each sandbox made, with answers to writes also lost after the vendor acted); "
        "the extra calls are the retries of refused or timed-out requests, and, after a re-create "
        "(Sequence, Routera) timed out, one listing to look for the contact it may have made "
        "before creating again. A re-create also costs the sync one more `UpdateItem`: the "
        "attempt is marked on the link before the vendor is called.",
        "",
    ]
    return lines
