"""`make bench`: measure against DynamoDB Local and write docs/benchmarks.md.

(a) DynamoDB requests per operation, counted with botocore event hooks;
(b) cold start and peak memory per function, plain and restored from a SnapStart snapshot, in
fresh processes, against a bare boto3 handler (`benchmarks/cold_starts.py`);
(c) warm invoke time per operation against the bare boto3 call it wraps;
(d) vendor calls per archive and restore; (e) Constant Contact's rate limit under a burst;
(f) vendor calls under 30% injected faults; (g) the local stack's request-to-settled time;
(h) webhook handling time and DynamoDB requests per webhook (`benchmarks/webhooks.py`, on moto);
(i) what an archive wakes SyncFunction for; (j) the fleet's shared limits; (k) a bulk job's
DynamoDB and vendor requests per 1,000 contacts against one call at a time (`benchmarks/jobs.py`);
(l) a 10,000-contact job's wall time against single calls over HTTP (`benchmarks/jobs_http.py`);
(m) list page time at 1,000 against 100,000 contacts, per filter (`benchmarks/list_pages.py`).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))

from benchmarks import cold_starts  # noqa: E402
from benchmarks.cold_starts import without_key  # noqa: E402
from benchmarks.report import WARM_RUNS, render  # noqa: E402
from devtools.dynamodb_local import DynamoDBLocal  # noqa: E402
from devtools.template import load_template, table_definition  # noqa: E402
from tests.support import FakeLambdaContext, RequestCounter, load_event, load_handler  # noqa: E402

TABLE = "contact-archive-bench"

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


class Bench:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        os.environ.update(ENVIRONMENT, AWS_ENDPOINT_URL_DYNAMODB=endpoint)
        self.client = boto3.client("dynamodb")
        self.client.create_table(**table_definition(load_template(), table_name=TABLE))
        self.client.get_waiter("table_exists").wait(TableName=TABLE)
        self.handlers = {
            name: load_handler(name) for name in ("archive", "restore", "list", "register")
        }
        from contact_archive.dependencies import get_store

        self.counter_client = get_store().client
        self.counter = RequestCounter(self.counter_client)
        self.call("register", load_event("register_contact"))
        self.client.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": "TENANT#bench#CONTACT#bare"},
                "sk": {"S": "CONTACT"},
                "status": {"S": "active"},
                "version": {"N": "1"},
            },
        )

    def call(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self.handlers[function].lambda_handler(
            event, FakeLambdaContext()
        )
        status = response.get("statusCode", 200)
        assert status < 300, (function, status, response.get("body"))
        return response

    # (a) -------------------------------------------------------------------------------------

    def request_counts(self) -> list[tuple[str, dict[str, int]]]:
        operations: list[tuple[str, Callable[[], object]]] = [
            (
                "register (update)",
                lambda: self.call("register", _renamed(load_event("register_contact"))),
            ),
            ("get", lambda: self.call("list", load_event("get_contact"))),
            ("list page", lambda: self.call("list", load_event("list_contacts"))),
            ("archive", lambda: self.call("archive", without_key("archive_contact"))),
            (
                "archive again (no-op)",
                lambda: self.call("archive", without_key("archive_contact")),
            ),
            ("restore", lambda: self.call("restore", without_key("restore_contact"))),
            (
                "archive one link (`vendors: [intercom]`)",
                lambda: self.call("archive", _with_body("archive_contact", ONE_LINK)),
            ),
            (
                "restore one link (`vendors: [intercom]`)",
                lambda: self.call("restore", _with_body("restore_contact", ONE_LINK)),
            ),
            (
                "archive by email (`POST /contacts/archive`, one link)",
                lambda: self.call("archive", without_key("archive_contact_by_email")),
            ),
            (
                "restore by a vendor's id (`POST /contacts/restore`, one link)",
                lambda: self.call("restore", _with_body("restore_contact_by_vendor_id", BY_ID)),
            ),
            ("history", lambda: self.call("list", load_event("contact_history"))),
            (
                "archive with Idempotency-Key (first)",
                lambda: self.call("archive", load_event("archive_contact")),
            ),
            ("idempotent replay", lambda: self.call("archive", load_event("archive_contact"))),
        ]
        counts = []
        for label, operation in operations:
            self.counter.reset()
            operation()
            counts.append((label, dict(self.counter.calls)))
        self.call("restore", without_key("restore_contact"))
        return counts

    def prepare_cold(self, function_dir: str) -> None:
        """Put the contact where the cold invoke makes a real change, not a no-op."""
        contact = json.loads(self.call("list", load_event("get_contact"))["body"])
        wanted = {"archive": "active", "restore": "archived"}.get(function_dir)
        if wanted and contact["status"] != wanted:
            event = without_key("restore_contact" if wanted == "active" else "archive_contact")
            self.call("restore" if wanted == "active" else "archive", event)

    def captured_calls(self, function_dir: str, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The DynamoDB requests (API name and parameters) a function's request makes, from where
        a cold invoke starts; the contact is left changed, as after a cold invoke."""
        if function_dir not in self.handlers:
            self.handlers[function_dir] = load_handler(function_dir)
        self.prepare_cold(function_dir)
        return self._captured_calls(lambda: self.call(function_dir, event))

    # (c) -------------------------------------------------------------------------------------

    def warm(self) -> list[tuple[str, float, str, float]]:
        """Each handler against the very DynamoDB call it makes, replayed with a bare client."""
        self.prepare_cold("archive")  # start from an active contact
        archive_event, restore_event = (
            without_key("archive_contact"),
            without_key("restore_contact"),
        )
        get_event, list_event = load_event("get_contact"), load_event("list_contacts")
        captured: dict[str, dict[str, Any]] = {}
        for label, function, event in (
            ("archive", "archive", archive_event),
            ("restore", "restore", restore_event),
            ("get", "list", get_event),
            ("list page", "list", list_event),
        ):
            captured[label] = self._captured_call(lambda f=function, e=event: self.call(f, e))
        raw = boto3.client("dynamodb")

        def replay(label: str) -> Callable[[], object]:
            operation, params = captured[label]["operation"], captured[label]["params"]
            return lambda: raw._make_api_call(operation, params)  # noqa: SLF001 - the exact call

        ours: dict[str, list[float]] = {label: [] for label in captured}
        bare: dict[str, list[float]] = {label: [] for label in captured}
        for _ in range(WARM_RUNS):
            # the contact is active here; each archive is followed by a restore, so all are changes
            ours["archive"].append(_timed(lambda: self.call("archive", archive_event)))
            ours["restore"].append(_timed(lambda: self.call("restore", restore_event)))
            bare["archive"].append(_timed(replay("archive")))
            bare["restore"].append(_timed(replay("restore")))
            ours["get"].append(_timed(lambda: self.call("list", get_event)))
            bare["get"].append(_timed(replay("get")))
            ours["list page"].append(_timed(lambda: self.call("list", list_event)))
            bare["list page"].append(_timed(replay("list page")))
        names = {label: captured[label]["operation"] for label in captured}
        return [
            (label, statistics.median(ours[label]), names[label], statistics.median(bare[label]))
            for label in captured
        ]

    def _captured_call(self, operation: Callable[[], object]) -> dict[str, Any]:
        """The API name and parameters of the DynamoDB call an operation makes."""
        calls = self._captured_calls(operation)
        # The first call is the operation's own; a history page-out may follow it.
        assert calls and calls[0]["operation"] in ("UpdateItem", "GetItem", "Query"), calls
        return calls[0]

    def _captured_calls(self, operation: Callable[[], object]) -> list[dict[str, Any]]:
        """The DynamoDB requests (API name and parameters) an operation makes, in order."""
        calls: list[dict[str, Any]] = []

        def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
            calls.append({"operation": model.name, "params": json.loads(json.dumps(params))})

        events = self.counter_client.meta.events
        events.register("provide-client-params.dynamodb", capture, unique_id="bench-capture")
        try:
            operation()
        finally:
            events.unregister("provide-client-params.dynamodb", unique_id="bench-capture")
        return calls


# The bodies of the per-link rows of (a): Ada's Intercom link, named by the link or by her id.
ONE_LINK = {"vendors": ["intercom"]}
BY_ID = {"vendor": "intercom", "vendor_id": "6650a1b2c3d4e5f6a7b8c9d0", "vendors": ["intercom"]}


def _with_body(name: str, body: dict[str, Any]) -> dict[str, Any]:
    event = without_key(name)
    event["body"] = json.dumps(body)
    return event


def _renamed(event: dict[str, Any]) -> dict[str, Any]:
    event["body"] = event["body"].replace('"Ada"', '"Augusta Ada"')
    return event


def _timed(operation: Callable[[], object]) -> float:
    started = time.perf_counter()
    operation()
    return time.perf_counter() - started


def main() -> None:
    with DynamoDBLocal() as server, tempfile.TemporaryDirectory() as workdir:
        bench = Bench(server.endpoint_url)
        # Imported once Bench has set the environment: Powertools reads it when the layer loads.
        from benchmarks import (
            fleet,
            jobs,
            jobs_http,
            list_pages,
            local_stack,
            round_trips,
            stream_filter,
            vendors,
            webhooks,
        )

        counts = bench.request_counts()
        cold = cold_starts.measure(bench, Path(workdir))
        warm = bench.warm()
        vendor_lines = round_trips.render(*round_trips.measure())
        vendor_lines += vendors.render(
            vendors.constant_contact_burst(),
            vendors.constant_contact_burst(client_side_limit=False),
        ) + vendors.render_faults(vendors.calls_under_faults(0.0), vendors.calls_under_faults(0.3))
        vendor_lines += local_stack.render(local_stack.settle_times(server.endpoint_url))
        vendor_lines += webhooks.render(webhooks.measure())
        vendor_lines += stream_filter.render(*stream_filter.measure())
        vendor_lines += fleet.render(fleet.measure(server.endpoint_url))
        vendor_lines += jobs.render(jobs.measure(server.endpoint_url))
        vendor_lines += jobs_http.render(jobs_http.measure(server.endpoint_url))
        vendor_lines += list_pages.render(list_pages.measure(server.endpoint_url))
    report = render(counts, cold, warm, vendor_lines)
    target = ROOT / "docs" / "benchmarks.md"
    target.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
