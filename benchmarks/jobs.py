"""Bulk jobs for `make bench`: what a job costs per 1,000 contacts against the same contacts
archived and restored one call at a time, measured side by side on DynamoDB Local with the
Constant Contact sandbox in-process.

The job path is JobsFunction's and JobWorkerFunction's code (`submit_job`, `process_unit`); the
one-at-a-time path is ArchiveFunction's and SyncFunction's (`archive_contact`, `sync_link`).
DynamoDB requests are counted on the store's client, and write units are what DynamoDB Local
reports (`ReturnConsumedCapacity=INDEXES`, base table and indexes together); vendor requests are
what the sandbox received. Activity delays are set to nothing; the client's pacing waits for real (Constant Contact's
4 requests a second is what one call at a time is held to).
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from contact_archive.contacts.changes import ChangeCommand, archive_contact, restore_contact
from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.jobs.queue import JobMessage
from contact_archive.jobs.submit import JobRequest, submit_job
from contact_archive.jobs.worker import WorkerSettings, process_unit
from contact_archive.ledger.job_records import SelectorKind
from contact_archive.ledger.models import Actor, ChangeAction, Vendor
from contact_archive.ledger.store import LedgerStore
from contact_archive.sync.link_sync import sync_link
from contact_archive.vendors.credential_sources import JsonSource
from contact_archive.vendors.registry import VendorClients
from devtools.dynamodb_local import local_client, provision_table
from devtools.sandboxes.stack import SandboxStack
from devtools.template import load_template

TENANT = "bench-jobs"
ACTOR = Actor(name="bench", source="api")
CONTACTS = 1_000  # a job's
# One call at a time is paced by Constant Contact's 4 requests a second (the fleet's slots): a
# sample of this many, its figures scaled to 1,000.
SAMPLE = 100
LIST_ID = "07936f78-662a-11eb-af0a-fa163e56c9b0"
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


@dataclass
class Meter:
    """DynamoDB requests by operation and the write units they consumed."""

    requests: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb", self._ask_capacity)
        client.meta.events.register("before-call.dynamodb", self._count)
        client.meta.events.register("after-call.dynamodb", self._add_capacity)

    def _ask_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in WRITES:
            params["ReturnConsumedCapacity"] = "INDEXES"

    def _count(self, model: Any, **_: Any) -> None:
        self.requests[model.name] += 1

    def _add_capacity(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name not in WRITES:
            return
        consumed = parsed.get("ConsumedCapacity") or []
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            self.write_units += float(entry.get("CapacityUnits", 0))

    def reset(self) -> None:
        self.requests.clear()
        self.write_units = 0.0


@dataclass(frozen=True)
class Cost:
    label: str
    seconds: float
    dynamodb_requests: int
    write_units: float
    vendor_requests: int

    contacts: int

    def per_thousand(self) -> tuple[float, float, float]:
        scale = 1_000 / self.contacts
        return (
            self.dynamodb_requests * scale,
            self.write_units * scale,
            self.vendor_requests * scale,
        )


class ListQueue:
    """The jobs queue as a list: the benchmark delivers the messages itself, in order."""

    def __init__(self) -> None:
        self.messages: list[JobMessage] = []

    def send(self, messages: list[JobMessage], *, delay_seconds: int = 0) -> None:
        self.messages += messages


def measure(endpoint: str) -> list[Cost]:
    table = f"bench-jobs-{int(time.time())}"
    provision_table(endpoint, table, load_template())
    client = local_client(endpoint)
    store = LedgerStore(client, table)
    sandboxes = SandboxStack()
    sandboxes.constant_contact.activities.activity_seconds = 0
    sandboxes.constant_contact.activities.items_per_second = 0
    clients = VendorClients(
        JsonSource(sandboxes.credentials(TENANT)),
        transports=sandboxes.transports(),
        sleep=time.sleep,  # the pacing's waits are real: the vendor's limit is part of the cost
    )
    cc = sandboxes.constant_contact
    meter = Meter()
    meter.attach(client)
    bulk_ids = _seed(store, sandboxes, "job")
    single_ids = _seed(store, sandboxes, "one", SAMPLE)
    costs = []
    for action in (ChangeAction.ARCHIVE, ChangeAction.RESTORE):
        meter.reset()
        before = len(cc.requests)
        started = time.perf_counter()
        _job(store, clients, action, bulk_ids)
        costs.append(
            Cost(
                f"{action.value}: a job",
                time.perf_counter() - started,
                sum(meter.requests.values()),
                meter.write_units,
                len(cc.requests) - before,
                len(bulk_ids),
            )
        )
        meter.reset()
        before = len(cc.requests)
        started = time.perf_counter()
        _one_at_a_time(store, clients, action, single_ids)
        costs.append(
            Cost(
                f"{action.value}: one call each",
                time.perf_counter() - started,
                sum(meter.requests.values()),
                meter.write_units,
                len(cc.requests) - before,
                len(single_ids),
            )
        )
    client.delete_table(TableName=table)
    return costs


def _seed(
    store: LedgerStore, sandboxes: SandboxStack, prefix: str, count: int = CONTACTS
) -> list[str]:
    def person(number: int) -> str:
        contact_id = f"{prefix}-{number:05d}"
        email = f"{contact_id}@example.com"
        vendor_id = sandboxes.constant_contact.add_contact(email=email, list_ids=[LIST_ID])[
            "contact_id"
        ]
        register_contact(
            store,
            RegisterCommand(
                tenant_id=TENANT,
                contact_id=contact_id,
                actor=ACTOR,
                email=email,
                links=[LinkInput(Vendor.CONSTANT_CONTACT, vendor_id)],
            ),
        )
        return contact_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(person, range(count)))


def _job(
    store: LedgerStore, clients: VendorClients, action: ChangeAction, contact_ids: list[str]
) -> None:
    queue = ListQueue()
    request = JobRequest(TENANT, action, ACTOR, SelectorKind.CONTACT_IDS, contact_ids)
    submit_job(store, queue, request)  # type: ignore[arg-type]
    settings = WorkerSettings(max_receives=5, check_seconds=0)
    while queue.messages:
        message = queue.messages.pop(0)
        process_unit(store, clients, queue, message, settings)  # type: ignore[arg-type]


def _one_at_a_time(
    store: LedgerStore, clients: VendorClients, action: ChangeAction, contact_ids: list[str]
) -> None:
    change = archive_contact if action is ChangeAction.ARCHIVE else restore_contact
    for contact_id in contact_ids:
        change(store, ChangeCommand(tenant_id=TENANT, contact_id=contact_id, actor=ACTOR))
        sync_link(store, clients, TENANT, contact_id, Vendor.CONSTANT_CONTACT.value)


def render(costs: list[Cost]) -> list[str]:
    lines = [
        f"## (k) Bulk jobs against one call at a time ({CONTACTS:,} contacts in a job, a sample of "
        f"{SAMPLE} one at a time)",
        "",
        "Each contact linked to Constant Contact. A job: `submit_job` and JobWorkerFunction's "
        "`process_unit` (the ledger changes in parallel, Constant Contact's bulk activities, the "
        "unit's progress); one at a time: ArchiveFunction's change and SyncFunction's `sync_link` "
        "for each contact (a snapshot `GET` and a `DELETE`, or a revive `PUT`). DynamoDB Local, "
        "the sandbox in-process with no activity delay; the client's pacing (Constant Contact's 4 "
        "requests a second) waits for real, since it is what one call at a time costs.",
        "",
        "| | time | contacts/s | DynamoDB requests per 1,000 | write units per 1,000 "
        "| Constant Contact requests per 1,000 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cost in costs:
        requests, units, vendor = cost.per_thousand()
        lines.append(
            f"| {cost.label} ({cost.contacts:,}) | {cost.seconds:.1f} s "
            f"| {cost.contacts / cost.seconds:,.1f} "
            f"| {requests:,.0f} | {units:,.0f} | {vendor:,.1f} |"
        )
    pairs = list(zip(costs[::2], costs[1::2], strict=True))
    lines += [""]
    for job, single in pairs:
        lines.append(
            f"- {job.label.split(':')[0]}: the job handles "
            f"{(job.contacts / job.seconds) / (single.contacts / single.seconds):.0f}x the "
            "contacts per second, with "
            f"{single.per_thousand()[2] / max(job.per_thousand()[2], 0.1):,.0f}x fewer Constant "
            "Contact requests and "
            f"{job.per_thousand()[1] / max(single.per_thousand()[1], 1):.2f}x the write units."
        )
    lines.append("")
    return lines


if __name__ == "__main__":
    from devtools.dynamodb_local import DynamoDBLocal

    with DynamoDBLocal() as database:
        print("\n".join(render(measure(database.endpoint_url))))
