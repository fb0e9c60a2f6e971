"""(k) for `make bench`: what a bulk job costs per 1,000 contacts against the same kind of people
archived and restored one call at a time, side by side on DynamoDB Local (`render` says how).

`make seed`'s people go into in-process sandboxes through their back door and into the ledger as
registering them writes it. The job runs JobsFunction's and JobWorkerFunction's code, one at a
time runs ArchiveFunction's change per contact; in both, SyncFunction's handler runs in this
process on the table's real stream: it carries every link of the one-at-a-time changes, and
leaves the job's links to the job (which carries them all: Constant Contact's in bulk, the
others paced, several at once).
DynamoDB requests are counted on the store's client (the stream's own reads are not table
requests), write units are what DynamoDB Local reports (`ReturnConsumedCapacity=INDEXES`, base
table and indexes together), vendor requests are what each sandbox received.

Run alone (prints the section): `.venv/bin/python -m benchmarks.jobs`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))
# Run alone, as `make bench` runs it: Powertools reads these when the layer loads.
for name, value in (
    ("POWERTOOLS_SERVICE_NAME", "contact-archive"),
    ("POWERTOOLS_METRICS_NAMESPACE", "ContactArchiveBench"),
    ("POWERTOOLS_LOG_LEVEL", "WARNING"),
):
    os.environ.setdefault(name, value)

from aws_lambda_powertools.utilities.typing import LambdaContext  # noqa: E402

from benchmarks.vendors import SilentBus  # noqa: E402
from contact_archive.announcements.publisher import EventPublisher  # noqa: E402
from contact_archive.contacts.changes import (  # noqa: E402
    ChangeCommand,
    archive_contact,
    restore_contact,
)
from contact_archive.jobs.queue import JobMessage  # noqa: E402
from contact_archive.jobs.submit import JobRequest, submit_job  # noqa: E402
from contact_archive.jobs.worker import WorkerSettings, process_unit  # noqa: E402
from contact_archive.ledger.job_records import SelectorKind  # noqa: E402
from contact_archive.ledger.models import Actor, ChangeAction, LinkState, Vendor  # noqa: E402
from contact_archive.ledger.store import LedgerStore  # noqa: E402
from contact_archive.sync.stream import handle_stream  # noqa: E402
from contact_archive.vendors.credential_sources import JsonSource  # noqa: E402
from contact_archive.vendors.registry import VendorClients  # noqa: E402
from devtools.bulk_register import register_new_contacts  # noqa: E402
from devtools.dynamodb_local import local_client, provision_table  # noqa: E402
from devtools.local_sync import StreamPump  # noqa: E402
from devtools.sandboxes import back_door  # noqa: E402
from devtools.sandboxes.stack import SandboxStack  # noqa: E402
from devtools.seed import register_command, sandbox_contacts  # noqa: E402
from devtools.seed_people import Person, people  # noqa: E402
from devtools.template import load_template  # noqa: E402
from tests.support import FakeLambdaContext  # noqa: E402

TENANT = "bench-jobs"
ACTOR = Actor(name="bench", source="api")
CONTACTS = 1_000  # a job's
# One call at a time is held to the vendors' pacing (Constant Contact's above all): a sample of
# this many, its figures scaled to 1,000.
SAMPLE = int(os.environ.get("BENCH_JOBS_SAMPLE", "100"))
VENDORS = (Vendor.CONSTANT_CONTACT, Vendor.SEQUENCE, Vendor.ROUTERA, Vendor.INTERCOM)
# The local stack's looks (`devtools/local_queue.py`); deployed, the first comes after 10 s.
LOOKS = WorkerSettings(max_receives=5, check_seconds=1, check_max_seconds=5)
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
IN_FLIGHT = frozenset({LinkState.ARCHIVING, LinkState.RESTORING, LinkState.WAITING})
POLL_SECONDS = 0.25
SETTLE_TIMEOUT_SECONDS = 1_800
CONTEXT = cast(LambdaContext, FakeLambdaContext())


@dataclass
class Meter:
    """DynamoDB requests by operation and the write units they consumed, from any thread (the
    worker's parallel writes, the stream's sync)."""

    requests: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb", self._ask_capacity)
        client.meta.events.register("before-call.dynamodb", self._count)
        client.meta.events.register("after-call.dynamodb", self._add_capacity)

    def _ask_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in WRITES:
            params["ReturnConsumedCapacity"] = "INDEXES"

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.requests[model.name] += 1

    def _add_capacity(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name not in WRITES:
            return
        consumed = parsed.get("ConsumedCapacity") or []
        units = sum(
            float(entry.get("CapacityUnits", 0))
            for entry in (consumed if isinstance(consumed, list) else [consumed])
        )
        with self._lock:
            self.write_units += units

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.write_units = 0.0


@dataclass(frozen=True)
class Cost:
    action: ChangeAction
    path: str  # "a job" or "one call each"
    contacts: int
    seconds: float
    dynamodb_operations: dict[str, int]  # requests by API operation
    write_units: float
    vendor_requests: dict[Vendor, int]
    vendor_contacts: dict[Vendor, int]  # the contacts' links to each vendor

    @property
    def label(self) -> str:
        return f"{self.action.value}: {self.path}"

    @property
    def dynamodb_requests(self) -> int:
        return sum(self.dynamodb_operations.values())

    @property
    def rate(self) -> float:
        return self.contacts / self.seconds

    def per_thousand(self, amount: float) -> float:
        return amount * 1_000 / self.contacts

    def vendor_per_thousand(self, vendor: Vendor) -> float:
        """Requests per 1,000 of the contacts linked to that vendor."""
        return self.vendor_requests[vendor] * 1_000 / max(self.vendor_contacts[vendor], 1)


class DelayedQueue:
    """The jobs queue in process: messages handed out in the order they come due, a unit's next
    look held back its delay as SQS holds it."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, JobMessage]] = []
        self._order = itertools.count()  # ties go in the order sent

    def send(self, messages: list[JobMessage], *, delay_seconds: int = 0) -> None:
        due = time.monotonic() + delay_seconds
        for message in messages:
            heapq.heappush(self._due, (due, next(self._order), message))

    def receive(self) -> JobMessage | None:
        """The next message, once it is due; None when none is left."""
        if not self._due:
            return None
        due, _, message = heapq.heappop(self._due)
        time.sleep(max(0.0, due - time.monotonic()))
        return message


class StreamSync:
    """SyncFunction's handler in this process, handed what the table's stream delivers."""

    def __init__(self, store: LedgerStore, clients: VendorClients) -> None:
        self._store = store
        self._clients = clients
        self._publisher = EventPublisher(SilentBus(), "bench")  # type: ignore[arg-type]

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        return handle_stream(event, CONTEXT, self._store, self._clients, self._publisher)


@dataclass(frozen=True)
class Rig:
    store: LedgerStore  # metered
    watcher: LedgerStore  # the same table, unmetered: looks for settled links
    sandboxes: SandboxStack
    clients: VendorClients
    meter: Meter
    stream: StreamPump  # SyncFunction on the table's stream


Run = Callable[[Rig, ChangeAction, list[str]], None]


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
        sleep=time.sleep,  # the pacing's waits are real: the vendors' limits are part of the cost
        accounts=store.vendor_accounts,  # as deployed: the fleet's rate limits kept in the table
    )
    persons = people(CONTACTS + SAMPLE)
    _seed(store, sandboxes, persons)
    meter = Meter()
    meter.attach(client)
    watcher = LedgerStore(local_client(endpoint), table)
    in_job, one_by_one = persons[:CONTACTS], persons[CONTACTS:]
    costs = []
    with StreamPump(endpoint, table, StreamSync(store, clients)) as stream:
        rig = Rig(store, watcher, sandboxes, clients, meter, stream)
        for action in (ChangeAction.ARCHIVE, ChangeAction.RESTORE):
            costs.append(_measured(rig, action, "a job", in_job, _job))
            costs.append(_measured(rig, action, "one call each", one_by_one, _one_at_a_time))
    client.delete_table(TableName=table)
    return costs


def _seed(store: LedgerStore, sandboxes: SandboxStack, persons: list[Person]) -> None:
    """`make seed`'s people: in the sandboxes through their back door, in the ledger as
    registering them writes it (in batches)."""
    for vendor, contacts in sandbox_contacts(persons).items():
        body = json.dumps({"contacts": contacts}).encode()
        back_door.seed(sandboxes.sandboxes[Vendor(vendor)], back_door.parse_contacts(body))
    register_new_contacts(store, [register_command(TENANT, person) for person in persons])


def _measured(rig: Rig, action: ChangeAction, path: str, persons: list[Person], run: Run) -> Cost:
    """`run` on the persons' contacts, timed until their every link is settled; its DynamoDB
    and vendor requests until the stream has been drained too."""
    contact_ids = [person.contact_id for person in persons]
    rig.stream.wait_until_caught_up()  # nothing left over from before is counted
    rig.meter.reset()
    before = {vendor: len(sandbox.requests) for vendor, sandbox in rig.sandboxes.sandboxes.items()}
    started = time.perf_counter()
    run(rig, action, contact_ids)
    wait_until_settled(rig.watcher, TENANT, contact_ids, action)
    seconds = time.perf_counter() - started
    rig.stream.wait_until_caught_up()  # the stream's last records are the run's cost too
    linked = Counter(Vendor(link["vendor"]) for person in persons for link in person.links())
    return Cost(
        action,
        path,
        len(contact_ids),
        seconds,
        dict(rig.meter.requests),
        rig.meter.write_units,
        {v: len(s.requests) - before[v] for v, s in rig.sandboxes.sandboxes.items()},
        {vendor: linked[vendor] for vendor in VENDORS},
    )


def wait_until_settled(
    store: LedgerStore, tenant_id: str, contact_ids: list[str], action: ChangeAction
) -> None:
    """Until every link of the contacts is where `action` takes it; an error if one cannot get
    there (the figures would not be the ones of a change that went through)."""
    target = LinkState.ARCHIVED if action is ChangeAction.ARCHIVE else LinkState.ACTIVE
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while True:
        contacts = store.contacts.get_many(tenant_id, contact_ids).values()
        states = Counter(contact.link_state(key) for contact in contacts for key in contact.links)
        if set(states) == {target}:
            return
        if not set(states) <= IN_FLIGHT | {target} or time.monotonic() > deadline:
            raise RuntimeError(f"links not settled to {target.value}: {dict(states)}")
        time.sleep(POLL_SECONDS)


def _job(rig: Rig, action: ChangeAction, contact_ids: list[str]) -> None:
    queue = DelayedQueue()
    request = JobRequest(TENANT, action, ACTOR, SelectorKind.CONTACT_IDS, contact_ids)
    submit_job(rig.store, queue, request)  # type: ignore[arg-type]
    while (message := queue.receive()) is not None:
        process_unit(rig.store, rig.clients, queue, message, LOOKS)  # type: ignore[arg-type]


def _one_at_a_time(rig: Rig, action: ChangeAction, contact_ids: list[str]) -> None:
    change = archive_contact if action is ChangeAction.ARCHIVE else restore_contact
    for contact_id in contact_ids:
        change(rig.store, ChangeCommand(tenant_id=TENANT, contact_id=contact_id, actor=ACTOR))


def render(costs: list[Cost]) -> list[str]:
    linked = ", ".join(f"{vendor.value} {costs[0].vendor_contacts[vendor]:,}" for vendor in VENDORS)
    lines = [
        f"## (k) Bulk jobs against one call at a time ({CONTACTS:,} contacts in a job, a sample of "
        f"{SAMPLE} one at a time)",
        "",
        "`make seed`'s people (everyone in Constant Contact, about a third in Sequence and in "
        f"Routera, two in five in Intercom; the job's links: {linked}). A job: `submit_job` and "
        "JobWorkerFunction's `process_unit` (the ledger changes; every link carried by the job: "
        "Constant Contact's in bulk activities, Sequence's, Routera's and Intercom's paced, a few "
        "at once per vendor; the unit's looks 1 s then up to 5 s apart as in the local stack); "
        "one at a time: ArchiveFunction's change for each contact in turn, its links carried by "
        "SyncFunction's handler on DynamoDB Local's real stream, with the mapping's filters (which "
        "leaves a job's links to the job). Timed until "
        "every link is settled; DynamoDB Local, the sandboxes in-process, Constant Contact's "
        "activities without delay, the clients' pacing (Constant Contact 4 requests a second, "
        "Sequence 1,500 a minute) waiting for real.",
        "",
        "| | time | contacts/s | DynamoDB requests per 1,000 contacts "
        "| write units per 1,000 contacts |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for cost in costs:
        lines.append(
            f"| {cost.label} ({cost.contacts:,}) | {cost.seconds:.1f} s | {cost.rate:,.1f} "
            f"| {cost.per_thousand(cost.dynamodb_requests):,.0f} "
            f"| {cost.per_thousand(cost.write_units):,.0f} |"
        )
    operations = sorted({name for cost in costs for name in cost.dynamodb_operations})
    lines += [
        "",
        "DynamoDB requests per 1,000 contacts by operation (the fleet's rate-limit slots and "
        "counters are among them, kept in the table as deployed):",
        "",
        *_table(
            costs,
            [f"`{name}`" for name in operations],
            lambda cost: [
                cost.per_thousand(cost.dynamodb_operations.get(n, 0)) for n in operations
            ],
        ),
        "",
        "Vendor requests per 1,000 contacts linked to that vendor:",
        "",
        *_table(
            costs,
            [vendor.value for vendor in VENDORS],
            lambda cost: [cost.vendor_per_thousand(vendor) for vendor in VENDORS],
        ),
        "",
    ]
    for job, single in itertools.batched(costs, 2, strict=True):
        requests = _ratio(
            single.per_thousand(single.dynamodb_requests), job.per_thousand(job.dynamodb_requests)
        )
        units = job.per_thousand(job.write_units) / single.per_thousand(single.write_units)
        vendors = ", ".join(
            f"{_ratio(single.vendor_per_thousand(v), job.vendor_per_thousand(v))} at {v.value}"
            for v in VENDORS
        )
        lines.append(
            f"- {job.action.value}: the job handles {job.rate / single.rate:.1f}x the contacts "
            f"per second, with {requests} fewer DynamoDB requests and {units:.2f}x the write "
            f"units; one call at a time makes {vendors} the job's vendor requests per contact."
        )
    lines.append("")
    return lines


def _table(
    costs: list[Cost], headers: list[str], cells: Callable[[Cost], list[float]]
) -> list[str]:
    rows = [f"| {c.label} | " + " | ".join(f"{v:,.0f}" for v in cells(c)) + " |" for c in costs]
    return ["| | " + " | ".join(headers) + " |", "| --- |" + " ---: |" * len(headers), *rows]


def _ratio(single: float, job: float) -> str:
    return f"{single / job:,.1f}x" if job else "n/a"  # the job made none


if __name__ == "__main__":
    from devtools.dynamodb_local import DynamoDBLocal

    # The handlers' metrics (EMF lines, printed every 100 values) go to stderr: stdout is the
    # section alone.
    with DynamoDBLocal() as database, contextlib.redirect_stdout(sys.stderr):
        costs = measure(database.endpoint_url)
    print("\n".join(render(costs)))
