"""The local stack's propagation: SyncFunction fed from DynamoDB Local's real stream, and a
loopback stand-in for EventBridge that shows what SyncFunction announces.

`StreamPump` reads the ledger table's stream as Lambda's event source mapping would (batches of
10 from TRIM_HORIZON), invokes SyncFunction with the same event shape, retries a batch's failed
records up to the template's MaximumRetryAttempts and prints what is left as a dead letter.
`LocalEventBus` answers boto3's `PutEvents` on 127.0.0.1 and keeps the entries; `GET /events`
lists them (the e2e test reads it).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from devtools.containers import error_type
from devtools.dynamodb_local import local_client
from devtools.event_filters import stream_filters
from devtools.loopback import JsonHandler, LoopbackServer
from devtools.stream_reader import StreamReader

POLL_SECONDS = 0.2


class LocalEventBus(LoopbackServer):
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        bus = self

        class Handler(JsonHandler):
            content_type = "application/x-amz-json-1.1"

            def do_POST(self) -> None:
                entries = json.loads(self.body()).get("Entries", [])
                bus.entries += entries
                for entry in entries:
                    print(f"event {entry.get('DetailType')}: {entry.get('Detail')}", flush=True)
                self.answer(
                    200,
                    {
                        "FailedEntryCount": 0,
                        "Entries": [{"EventId": str(uuid.uuid4())} for _ in entries],
                    },
                )

            def do_GET(self) -> None:
                self.answer(200, {"entries": bus.entries})

        super().__init__(Handler)


class StreamPump:
    def __init__(
        self,
        endpoint_url: str,
        table_name: str,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        max_retries: int = 5,
    ) -> None:
        client = local_client(endpoint_url)
        stream_arn = client.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        streams = local_client(endpoint_url, service="dynamodbstreams")
        self._reader = StreamReader(streams, stream_arn, filters=stream_filters())
        self._invoke = invoke
        self._max_retries = max_retries
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-pump", daemon=True)
        # When the last read that found nothing more to deliver began (monotonic seconds).
        self._caught_up_at = 0.0

    def __enter__(self) -> StreamPump:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    def wait_until_caught_up(self, timeout_seconds: float = 600) -> None:
        """Until every record written before this call has been delivered: a read begun after
        it found nothing more (the benchmarks count what the records' handling costs)."""
        asked = time.monotonic()
        while self._caught_up_at <= asked:
            if time.monotonic() - asked > timeout_seconds:
                raise TimeoutError(f"the stream was not caught up in {timeout_seconds:.0f} s")
            time.sleep(POLL_SECONDS)

    def _run(self) -> None:
        while not self._stopping.is_set():
            reading_since = time.monotonic()
            try:
                event = self._reader.next_event()
            except Exception as error:  # noqa: BLE001 - keep pumping; say what happened
                print(f"stream: read failed ({type(error).__name__}); retrying", flush=True)
                event = None
                reading_since = self._caught_up_at  # a failed read saw nothing
            if event is None:
                self._caught_up_at = reading_since
                time.sleep(POLL_SECONDS)
                continue
            self._deliver(event["Records"])

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        for _ in range(1 + self._max_retries):
            try:
                response = self._invoke({"Records": records})
                failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
            except Exception as error:  # noqa: BLE001 - a crash fails the whole batch, as in Lambda
                print(f"stream: SyncFunction failed ({error_type(error)})", flush=True)
                failed = {record["dynamodb"]["SequenceNumber"] for record in records}
            records = [r for r in records if r["dynamodb"]["SequenceNumber"] in failed]
            if not records:
                return
        for record in records:
            print(f"stream: dead letter {record['dynamodb']['SequenceNumber']}", flush=True)
