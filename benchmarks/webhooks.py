"""Webhook figures for `make bench`: WebhookFunction's handling time in-process and the DynamoDB
requests each kind of delivery costs, through the handler on a moto table.

Run alone (prints the section): `.venv/bin/python -m benchmarks.webhooks`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))

RUNS = int(os.environ.get("BENCH_WEBHOOK_RUNS", "100"))
TENANT = "bench-webhooks"
TABLE = "contact-archive-bench-webhooks"
CONTACTS = 10  # the recorded changes go round them
CREATED_AT = 1_795_381_800  # UNIX seconds: when the bench's Intercom changes happened

ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": TABLE,
    "CURSOR_SIGNING_KEY": "bench-cursor-signing-key-0123456789",
    "POWERTOOLS_SERVICE_NAME": "contact-archive",
    "POWERTOOLS_METRICS_NAMESPACE": "ContactArchiveBench",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@dataclass(frozen=True)
class Timing:
    label: str
    status: int
    seconds: list[float]  # per delivery, the handler's whole time
    in_dynamodb: list[float]  # per delivery, the part spent in the store's DynamoDB calls


@dataclass(frozen=True)
class WebhookFigures:
    runs: int
    timings: list[Timing]
    requests: list[tuple[str, int, dict[str, int]]]  # (delivery, status, DynamoDB calls)


class CallClock:
    """Time spent inside a client's API calls, from botocore's `before-call`/`after-call`."""

    def __init__(self, client: Any) -> None:
        self.seconds = 0.0
        self._started = 0.0
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started


@contextlib.contextmanager
def _isolated_environment(credentials: dict[str, Any]) -> Iterator[None]:
    """The bench's environment (moto, not DynamoDB Local), and the layer's caches cleared on
    the way in and out, so the rest of `make bench` finds its own again."""
    from contact_archive import dependencies
    from contact_archive.config import get_settings

    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    os.environ.update(ENVIRONMENT, VENDOR_CREDENTIALS=json.dumps(credentials))
    caches = (get_settings, dependencies.get_store, dependencies.get_credential_source)
    for cache in caches:
        cache.cache_clear()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        for cache in caches:
            cache.cache_clear()


def measure(runs: int = RUNS) -> WebhookFigures:
    from devtools.webhooks import TEST_WEBHOOK_SECRET

    credentials = {
        TENANT: {
            "intercom": {"access_token": "bench-token", "webhook_secret": TEST_WEBHOOK_SECRET},
            "sequence": {
                "client_id": "bench",
                "client_secret": "bench-secret",
                "webhook_secret": TEST_WEBHOOK_SECRET,
            },
        }
    }
    with _isolated_environment(credentials):
        from moto import mock_aws

        with mock_aws():
            return _measure(runs)


def _measure(runs: int) -> WebhookFigures:
    import boto3

    from contact_archive.contacts.register import LinkInput, RegisterCommand, register_contact
    from contact_archive.dependencies import get_store
    from contact_archive.ledger.models import Actor, Vendor
    from contact_archive.ledger.store.keys import CUSTOMER_CHANGE_TYPE
    from devtools.template import load_template, table_definition
    from devtools.webhooks import SignedDelivery, intercom_delivery, sequence_delivery
    from tests.support import FakeLambdaContext, RequestCounter, load_event, load_handler

    raw = boto3.client("dynamodb")  # for set-up and clean-up: neither counted nor timed
    definition = table_definition(load_template(), table_name=TABLE)
    # Without its stream: moto keeps every stream record and copies them all on each
    # transaction, so its transactions would slow down with every write made before.
    definition.pop("StreamSpecification", None)
    raw.create_table(**definition)
    store = get_store()
    counter = RequestCounter(store.client)
    in_calls = CallClock(store.client)
    actor = Actor(name="bench", source="api")
    for number in range(CONTACTS):
        link = LinkInput(Vendor.INTERCOM, f"ic-{number}")
        register_contact(store, RegisterCommand(TENANT, f"c-{number}", actor, links=[link]))
    handler = load_handler("webhook")
    template = load_event("webhook_intercom_contact_archived")

    def event(delivery: SignedDelivery) -> dict[str, Any]:
        built = json.loads(json.dumps(template))
        vendor = delivery.vendor.value
        built["path"] = f"/webhooks/{vendor}/{TENANT}"
        built["pathParameters"] = {"vendor": vendor, "tenant_id": TENANT}
        built["headers"] = {**template["headers"], **delivery.headers}
        built["multiValueHeaders"] = {k: [v] for k, v in built["headers"].items()}
        built["body"], built["isBase64Encoded"] = delivery.body.decode(), False
        return built

    def call(delivery: SignedDelivery) -> int:
        with contextlib.redirect_stdout(io.StringIO()):  # the metrics' EMF lines
            response: dict[str, Any] = handler.lambda_handler(event(delivery), FakeLambdaContext())
        status: int = response["statusCode"]
        assert status < 500, response
        return status

    def forget_deliveries() -> None:
        """Back to the contacts alone, so every delivery meets a table of the same size (moto's
        transactions copy the whole table: their time grows with it)."""
        kept = ("delivery", CUSTOMER_CHANGE_TYPE)
        for item in raw.scan(TableName=TABLE)["Items"]:
            if item.get("type", {}).get("S") in kept:
                raw.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})

    changes = iter(range(10**9))

    def change() -> SignedDelivery:
        """A real change each time: the contacts in turn, archived and unarchived by turns,
        each later than the last."""
        number = next(changes)
        topic = "contact.unarchived" if (number // CONTACTS) % 2 else "contact.archived"
        return intercom_delivery(topic, f"ic-{number % CONTACTS}", created_at=CREATED_AT + number)

    def unknown(number: int) -> SignedDelivery:
        return intercom_delivery("contact.archived", f"nobody-{number}", created_at=CREATED_AT)

    def customer(number: int) -> SignedDelivery:
        return sequence_delivery(
            "CUSTOMER_ARCHIVED", f"customer-{number}", delivered_at=datetime.now(UTC)
        )

    # (label, prepare: sent untimed first, the timed delivery)
    kinds: list[tuple[str, Callable[[int], SignedDelivery]]] = [
        ("recorded (Intercom `contact.archived` / `.unarchived`)", lambda _: change()),
        ("duplicate (a recorded one again)", lambda _: change()),
        ("unknown contact", unknown),
        ("ignored topic (`ping`)", lambda n: intercom_delivery("ping", "x", created_at=n)),
        ("forged signature (401)", lambda n: _forged(unknown(n))),
        ("Sequence `CUSTOMER_ARCHIVED` (queued)", customer),
    ]
    call(intercom_delivery("ping", "warm-up", created_at=CREATED_AT))  # the cold start
    timings: list[Timing] = []
    requests: list[tuple[str, int, dict[str, int]]] = []
    for label, build in kinds:
        duplicate = label.startswith("duplicate")
        seconds: list[float] = []
        in_dynamodb: list[float] = []
        statuses: set[int] = set()
        for number in range(runs + 1):
            delivery = build(number)
            if duplicate:
                call(delivery)  # the first delivery, untimed
            in_calls.seconds = 0.0
            counter.reset()
            started = time.perf_counter()
            statuses.add(call(delivery))
            elapsed = time.perf_counter() - started
            if number < runs:
                seconds.append(elapsed)
                in_dynamodb.append(in_calls.seconds)
            else:  # one more, counted
                requests.append((label, call_status(statuses), dict(counter.calls)))
            forget_deliveries()
        timings.append(Timing(label, call_status(statuses), seconds, in_dynamodb))
    return WebhookFigures(runs, timings, requests)


def call_status(statuses: set[int]) -> int:
    (status,) = statuses  # every delivery of a kind gets the same answer
    return status


def _forged(delivery: Any) -> Any:
    from devtools.webhooks import SignedDelivery

    headers = {**delivery.headers, "X-Hub-Signature": "sha1=" + "0" * 40}
    return SignedDelivery(vendor=delivery.vendor, body=delivery.body, headers=headers)


def render(figures: WebhookFigures) -> list[str]:
    ms = 1000
    lines = [
        f"## (h) Webhooks: handling time and DynamoDB requests (median of {figures.runs})",
        "",
        "WebhookFunction's handler in-process (API Gateway event in, proxy response out) on a "
        "moto table, through verification, parsing and the ledger write. Each timed delivery is "
        f"a distinct one: the recorded ones archive and unarchive {CONTACTS} contacts by turns, "
        "so every one is a real change; a duplicate is timed the second time it comes. The "
        "deliveries kept are removed after each (untimed), so every delivery meets the same "
        "table. *In DynamoDB calls* is the time between botocore's "
        "`before-call` and `after-call` hooks on the store's client: moto emulating the table "
        "in-process (its `TransactWriteItems` copies the whole table first, so the table is "
        "made without its stream, whose records moto would copy too; DynamoDB itself answers "
        "in a few milliseconds a request in-region); *the rest* is the "
        "handler's own work: Powertools, verification, parsing, botocore. Requests are counted "
        "with the same hook, for one more delivery of each kind.",
        "",
        "| delivery | answer | median | fastest to slowest | in DynamoDB calls (moto) "
        "| the rest | DynamoDB requests | calls |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    calls = {label: counted for label, _, counted in figures.requests}
    for timing in figures.timings:
        counted = calls[timing.label]
        detail = ", ".join(f"{name} {number}" for name, number in sorted(counted.items()))
        median = statistics.median(timing.seconds)
        in_dynamodb = statistics.median(timing.in_dynamodb)
        own = statistics.median(
            total - part for total, part in zip(timing.seconds, timing.in_dynamodb, strict=True)
        )
        lines.append(
            f"| {timing.label} | {timing.status} | {median * ms:.2f} ms "
            f"| {min(timing.seconds) * ms:.2f} to {max(timing.seconds) * ms:.2f} ms "
            f"| {in_dynamodb * ms:.2f} ms | {own * ms:.2f} ms "
            f"| {sum(counted.values())} | {detail or '-'} |"
        )
    lines += [
        "",
        "A recorded change reads the vendor-id item and the contact, writes the link's new state "
        "with its history event and the kept delivery in one transaction, and reads the tenant's "
        "policy (`mirror` adds the archive or restore of the contact: one `UpdateItem`; once a "
        "contact has had more than 30 changes, one `GetItem` more to see whether its history "
        "wants moving to a page, which a transaction cannot return). A "
        "duplicate is recognised by the delivery's conditional put; an unknown contact keeps its "
        "delivery only. Ignored topics and refused signatures never reach the table. A Sequence "
        "customer is one transaction (the delivery and the change item) and a 202: SyncFunction "
        "lists the customer's contacts from the stream record and applies each as a recorded "
        "change.",
        "",
    ]
    return lines


def main() -> None:
    print("\n".join(render(measure())))


if __name__ == "__main__":
    main()
