"""Lambda's event source mapping over DynamoDB Local's real stream, in-process: batches in stream
order to SyncFunction's handler, failed records retried up to STREAM_ATTEMPTS, and what still
fails sent to an SQS on-failure destination as the invocation record Lambda sends there (the
batch's shard, its first and last sequence numbers and its size; not the records)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from devtools.stream_reader import StreamBatch, StreamReader

STREAM_ATTEMPTS = 6  # Lambda's first try plus MaximumRetryAttempts (5)
SYNC_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:contact-archive-SyncFunction"

Handler = Callable[[dict[str, Any]], Mapping[str, Any]]


class FakeEventBridge:
    """Takes PutEvents as EventBridge would (moto's in-process mock cannot run beside DynamoDB
    Local)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries += Entries
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"} for _ in Entries]}

    def detail_types(self) -> Counter[str]:
        return Counter(entry["DetailType"] for entry in self.entries)


def _sequence(record: Mapping[str, Any]) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


def _arrival(record: Mapping[str, Any]) -> str:
    created = datetime.fromtimestamp(record["dynamodb"]["ApproximateCreationDateTime"], UTC)
    return created.strftime("%Y-%m-%dT%H:%M:%SZ")


def invocation_record(
    stream_arn: str, shard_id: str, records: list[dict[str, Any]], attempts: int
) -> dict[str, Any]:
    """What Lambda sends the on-failure destination for a contiguous run of failed records."""
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": SYNC_FUNCTION_ARN,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "version": "1.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(records[0]),
            "approximateArrivalOfLastRecord": _arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


class StreamLambda:
    def __init__(
        self,
        reader: StreamReader,
        handler: Handler,
        *,
        sqs: Any = None,
        dead_letter_queue_url: str | None = None,
    ) -> None:
        self.reader = reader
        self.handler = handler
        self.sqs = sqs
        self.dead_letter_queue_url = dead_letter_queue_url
        self.delivered: list[dict[str, Any]] = []
        self.dead_letters: list[dict[str, Any]] = []  # the invocation records sent

    def invoke(self, records: list[dict[str, Any]]) -> list[str]:
        response = self.handler({"Records": records})
        return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]

    def drain(self) -> None:
        while (batch := self.reader.next_batch()) is not None:
            records = batch.records
            self.delivered += records
            for _ in range(STREAM_ATTEMPTS):
                failed = set(self.invoke(records))
                records = [r for r in records if r["dynamodb"]["SequenceNumber"] in failed]
                if not records:
                    break
            if records:
                self._give_up(batch, records)

    def _give_up(self, batch: StreamBatch, failed: list[dict[str, Any]]) -> None:
        # Lambda checkpoints before the first failed record: the dead letter covers the batch's
        # records from the first failed one to the last failed one, those between included.
        low, high = min(map(_sequence, failed)), max(map(_sequence, failed))
        span = [r for r in batch.records if low <= _sequence(r) <= high]
        record = invocation_record(self.reader.stream_arn, batch.shard_id, span, STREAM_ATTEMPTS)
        self.dead_letters.append(record)
        if self.sqs is not None:
            self.sqs.send_message(
                QueueUrl=self.dead_letter_queue_url, MessageBody=json.dumps(record)
            )
