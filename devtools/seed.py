"""`make seed CONTACTS=10000`: fill the running local stack with that many people, ready for a
bulk job.

The stack is the one `make run` serves on PORT (default 3000), found through the file it
publishes (`devtools/local_state.py`). The people are `devtools/seed_people.py`'s, always the same.

1. The vendor sandboxes get their contacts through the sandbox servers' back door
   (`POST /__sandbox__/contacts`, `devtools/sandboxes/back_door.py`), a batch a request: no vendor
   request is spent, so Constant Contact's 10,000 a day and every rate limit stay whole for the
   product's own calls. First, so that no link is ever written to a contact a sandbox lacks.
2. The ledger gets one contact per person, linked to each vendor contact, through the register use
   case itself (`contacts/register.py`, create only) on the stack's DynamoDB, from a pool of
   threads: this is what the local API would run for `PUT /contacts/{id}`, without a request
   and a container's round trip per person. A person already in the ledger is left as it is (a bulk job may have
   archived it, a restore re-created its Sequence or Routera contact under a new id): seeding
   again adds nothing and changes nothing.

Usage: python -m devtools.seed [--contacts N] [--port PORT] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import batched
from typing import TYPE_CHECKING, Any, cast

import httpx
from botocore.exceptions import EndpointConnectionError

from devtools.local_state import StackState, process_alive, read_state, state_path
from devtools.runtime import LAYER_DIR, REGION
from devtools.seed_people import CONSTANT_CONTACT_LISTS, Person, people
from devtools.seed_progress import Progress, make_progress

if str(LAYER_DIR) not in sys.path:
    sys.path.insert(0, str(LAYER_DIR))  # the register use case and the store are the layer's

from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
from contact_archive.ledger.errors import VersionConflict
from contact_archive.ledger.models import Actor, Contact, Vendor
from contact_archive.ledger.store import LedgerStore
from devtools.sandboxes.back_door import CONTACTS_PATH as BACK_DOOR_PATH

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DEFAULT_CONTACTS = 10_000
DEFAULT_PORT = 3000
DEFAULT_WORKERS = 4  # DynamoDB Local is the bound, not the threads: more gained nothing measured
SANDBOX_BATCH = 1_000  # contacts a back-door request
LEDGER_BATCH = 100  # people a worker reads at once (one BatchGetItem) before registering them
ACTOR = Actor(name="make seed", source="seed")
VENDOR_ORDER = ("constant_contact", "sequence", "routera", "intercom")
EXIT_NOT_RUNNING = 2
FAILURES_SHOWN = 5  # contact ids named in the summary when registers failed
_DYNAMODB_GONE = (
    "the stack's DynamoDB stopped answering: is `make run` still running? Run `make seed` "
    "again once it is (it adds nothing twice)."
)


class CannotSeed(Exception):
    """Why the stack cannot be seeded, said so that the user knows what to do."""


@dataclass
class LedgerOutcome:
    created: int = 0
    already: int = 0  # in the ledger before, left as they are
    changed_since: int = 0  # of those, how many no longer have the links they were seeded with
    failed: Counter[str] = field(default_factory=Counter)  # error type -> how many
    failed_ids: list[str] = field(default_factory=list)  # the first few


def find_stack(port: int) -> StackState:
    """The running stack on `port`, or `CannotSeed` saying how to get one."""
    state = read_state(port)
    if state is None:
        raise CannotSeed(
            f"No local stack is running on port {port}: start it with `make run` in another "
            "terminal, wait for 'listening', then run `make seed` again."
        )
    if not process_alive(state.pid) or not _answers(state.api_url):
        raise CannotSeed(
            f"The local stack on port {port} is not running any more "
            f"({state_path(port).name} was left by a run that did not stop cleanly): start it "
            "with `make run`, then run `make seed` again."
        )
    if not state.sandboxes:
        raise CannotSeed(
            "`make run` is using vendor credentials of your own (VENDOR_CREDENTIALS_FILE or "
            "VENDOR_CREDENTIALS): `make seed` only fills the local vendor sandboxes. Start "
            "`make run` without them to seed."
        )
    return state


def _answers(api_url: str) -> bool:
    """Whether something serves `api_url`. Slow is alive: the local API runs one handler at a
    time, and a scheduled reconciliation may hold it for a while."""
    try:
        httpx.get(f"{api_url}/contacts", params={"limit": 1}, timeout=2)
    except httpx.ConnectError:
        return False
    except httpx.TransportError:
        return True  # it took the connection
    return True


def sandbox_contacts(persons: Iterable[Person]) -> dict[str, list[dict[str, Any]]]:
    """Each vendor's contacts, in the back door's shape."""
    by_vendor: dict[str, list[dict[str, Any]]] = {vendor: [] for vendor in VENDOR_ORDER}
    for person in persons:
        name = {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
        }
        by_vendor["constant_contact"].append(
            {
                "id": person.constant_contact_id,
                **name,
                "list_ids": list(person.constant_contact_lists),
            }
        )
        for member in person.sequence:
            by_vendor["sequence"].append(
                {
                    "id": member.contact_id,
                    **name,
                    "scope": member.customer,
                    "billing_preference": member.billing_preference,
                }
            )
        if person.routera_id:
            by_vendor["routera"].append({"id": person.routera_id, **name})
        if person.intercom_id:
            by_vendor["intercom"].append({"id": person.intercom_id, **name})
    return by_vendor


def seed_sandboxes(
    http: httpx.Client, sandboxes: Mapping[str, str], persons: list[Person], progress: Progress
) -> dict[str, tuple[int, int]]:
    """{vendor: (created, already there)}."""
    outcome: dict[str, tuple[int, int]] = {}
    for vendor, contacts in sandbox_contacts(persons).items():
        origin = httpx.URL(sandboxes[vendor]).copy_with(path="/", query=None)
        url = str(origin.join(BACK_DOOR_PATH))
        created = existing = 0
        with progress.task(f"{vendor} sandbox", len(contacts)) as advance:
            for batch in batched(contacts, SANDBOX_BATCH, strict=False):
                response = http.post(url, json={"contacts": list(batch)})
                if response.status_code != 200:
                    raise CannotSeed(
                        f"the {vendor} sandbox refused the seed ({response.status_code}): "
                        f"{response.text[:300]}"
                    )
                answer = response.json()
                created += int(answer["created"])
                existing += int(answer["existing"])
                advance(len(batch))
        outcome[vendor] = (created, existing)
    return outcome


def ledger_store(state: StackState, workers: int) -> LedgerStore:
    from botocore.config import Config
    from botocore.session import get_session

    client = get_session().create_client(
        "dynamodb",
        endpoint_url=state.dynamodb_endpoint,
        region_name=REGION,
        # DynamoDB Local takes any key; these are no one's.
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local's placeholder
        # No client-side validation: the store builds its requests, and it is a tenth of the CPU.
        config=Config(
            max_pool_connections=workers + 2,
            retries={"mode": "standard"},
            parameter_validation=False,
        ),
    )
    return LedgerStore(cast("DynamoDBClient", client), state.table_name)


def seed_ledger(
    store: LedgerStore,
    tenant_id: str,
    persons: list[Person],
    workers: int,
    progress: Progress,
) -> LedgerOutcome:
    outcome = LedgerOutcome()
    stop = threading.Event()  # Ctrl-C, or DynamoDB gone: the workers stop at the next person
    with progress.task("ledger", len(persons)) as advance:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seed")
        try:
            results = pool.map(
                lambda batch: _register_batch(store, tenant_id, list(batch), advance, stop),
                batched(persons, LEDGER_BATCH, strict=False),
            )
            for batch_outcome in results:
                outcome.created += batch_outcome.created
                outcome.already += batch_outcome.already
                outcome.changed_since += batch_outcome.changed_since
                outcome.failed += batch_outcome.failed
                room = max(0, FAILURES_SHOWN - len(outcome.failed_ids))
                outcome.failed_ids += batch_outcome.failed_ids[:room]
        finally:
            stop.set()  # a no-op once every batch is done
            pool.shutdown(wait=True, cancel_futures=True)
    return outcome


def _register_batch(
    store: LedgerStore,
    tenant_id: str,
    batch: list[Person],
    advance: Callable[[int], None],
    stop: threading.Event,
) -> LedgerOutcome:
    outcome = LedgerOutcome()
    try:
        existing = store.contacts.get_many(tenant_id, [person.contact_id for person in batch])
    except EndpointConnectionError:
        raise CannotSeed(_DYNAMODB_GONE) from None
    for person in batch:
        if stop.is_set():
            break
        found = existing.get(person.contact_id)
        if found is not None:
            outcome.already += 1
            outcome.changed_since += not _as_seeded(found, person)
        else:
            try:
                register_contact(store, register_command(tenant_id, person))
                outcome.created += 1
            except VersionConflict:  # made meanwhile (another seed): there all the same
                outcome.already += 1
            except EndpointConnectionError:
                raise CannotSeed(_DYNAMODB_GONE) from None
            except Exception as error:  # noqa: BLE001 - counted and shown, the others go on
                outcome.failed[type(error).__name__] += 1
                outcome.failed_ids.append(person.contact_id)
        advance(1)
    return outcome


def register_command(tenant_id: str, person: Person) -> RegisterCommand:
    """What registers `person` in the ledger (create only); the benchmarks register the same
    people in batches with it (`devtools/bulk_register.py`)."""
    return RegisterCommand(
        tenant_id=tenant_id,
        contact_id=person.contact_id,
        actor=ACTOR,
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        links=[
            LinkInput(Vendor(link["vendor"]), link["vendor_id"], link.get("scope"))
            for link in person.links()
        ],
        create_only=True,
    )


def _as_seeded(contact: Contact, person: Person) -> bool:
    """Whether the ledger's contact still has the person's seeded links (a restore that
    re-created a vendor contact gave its link a new id)."""
    have = {(link.vendor.value, link.vendor_id, link.scope) for link in contact.links.values()}
    want = {(link["vendor"], link["vendor_id"], link.get("scope")) for link in person.links()}
    return have == want


def summary(
    state: StackState,
    persons: list[Person],
    sandbox_outcome: Mapping[str, tuple[int, int]],
    ledger: LedgerOutcome,
    seconds: Mapping[str, float],
) -> list[str]:
    contacts = sandbox_contacts(persons)
    two_lists = sum(len(person.constant_contact_lists) > 1 for person in persons)
    two_customers = sum(len(person.sequence) > 1 for person in persons)
    customers = {member.customer for person in persons for member in person.sequence}
    shown = {
        "constant_contact": f"on {len(CONSTANT_CONTACT_LISTS)} lists, {two_lists:,} on two",
        "sequence": f"of {len(customers)} customers, {two_customers:,} people in two",
        "routera": "",
        "intercom": "",
    }
    lines = [
        f"Seeded {len(persons):,} people for tenant {state.tenant} in "
        f"{sum(seconds.values()):.1f} s (sandboxes {seconds['sandboxes']:.1f} s, "
        f"ledger {seconds['ledger']:.1f} s):",
        f"  ledger            {ledger.created:>6,} created, {ledger.already:,} already there"
        + (f" ({ledger.changed_since:,} changed since)" if ledger.changed_since else ""),
    ]
    for vendor in VENDOR_ORDER:
        created, existing = sandbox_outcome[vendor]
        lines.append(
            f"  {vendor:<17} {len(contacts[vendor]):>6,} contacts {shown[vendor]}".rstrip()
            + f" ({created:,} new in the sandbox, {existing:,} there already)"
        )
    if ledger.failed:
        failures = ", ".join(f"{count} {name}" for name, count in ledger.failed.most_common())
        lines.append(f"  FAILED: {failures} (first: {', '.join(ledger.failed_ids)})")
    lines += [
        "",
        "Try a bulk job (README: Try a bulk job):",
        f"  curl -s -X POST {state.api_url}/jobs -H 'Content-Type: application/json' \\",
        """    -d '{"action": "archive", "filter": {"vendor": "constant_contact"}}'""",
    ]
    return lines


def run(contacts: int, port: int, workers: int, progress: Progress) -> int:
    state = find_stack(port)
    persons = people(contacts)
    progress.say(f"Seeding {contacts:,} people into the local stack at {state.api_url}")
    started = time.perf_counter()
    with httpx.Client(timeout=120) as http:
        sandbox_outcome = seed_sandboxes(http, state.sandboxes, persons, progress)
    seconds = {"sandboxes": time.perf_counter() - started}
    started = time.perf_counter()
    ledger = seed_ledger(ledger_store(state, workers), state.tenant, persons, workers, progress)
    seconds["ledger"] = time.perf_counter() - started
    for line in summary(state, persons, sandbox_outcome, ledger, seconds):
        progress.say(line)
    return 1 if ledger.failed else 0


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make seed", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--contacts",
        type=_positive,
        default=int(os.environ.get("CONTACTS") or DEFAULT_CONTACTS),
        help=f"how many people (default {DEFAULT_CONTACTS:,}, or CONTACTS)",
    )
    parser.add_argument(
        "--port",
        type=_positive,
        default=int(os.environ.get("PORT") or DEFAULT_PORT),
        help=f"the port `make run` serves on (default {DEFAULT_PORT}, or PORT)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=DEFAULT_WORKERS,
        help=f"threads writing the ledger (default {DEFAULT_WORKERS})",
    )
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    progress = make_progress()
    try:
        return run(arguments.contacts, arguments.port, arguments.workers, progress)
    except CannotSeed as reason:
        print(f"make seed: {reason}", file=sys.stderr)
        return EXIT_NOT_RUNNING
    except KeyboardInterrupt:
        print("make seed: interrupted; run it again to finish (it adds nothing twice)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
