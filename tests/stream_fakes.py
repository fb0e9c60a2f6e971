"""A fake shard of a DynamoDB stream, for the tests of reading stream ranges back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/ledger/stream/2026-11-22T21:10:00.000"
SHARD = "shardId-00000001795433252007-9b25a68e"
# 21 then 22 digits: as strings "9..." sorts after "1...", as numbers it comes before.
SEQUENCES = [
    "999999999999999999997",
    "999999999999999999998",
    "999999999999999999999",
    "1000000000000000000000",
    "1000000000000000000001",
    "1000000000000000000002",
]


def stream_record(sequence_number: str) -> dict[str, Any]:
    """A record as botocore's GetRecords answers it."""
    return {
        "eventID": f"event-{sequence_number[-4:]}",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
            "Keys": {"pk": {"S": "TENANT#t#CONTACT#c-1"}, "sk": {"S": "CONTACT"}},
            "NewImage": {"pk": {"S": "TENANT#t#CONTACT#c-1"}, "blob": {"B": b"\x00\xff"}},
            "SequenceNumber": sequence_number,
            "SizeBytes": 64,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


class FakeShard:
    """One shard of a DynamoDB stream, answering GetShardIterator and GetRecords in pages."""

    def __init__(
        self,
        sequences: list[str],
        *,
        closed: bool = True,
        page: int = 2,
        error: str | None = None,
        records_error: str | None = None,
    ) -> None:
        self.records = [stream_record(s) for s in sequences]
        self.closed = closed
        self.page = page
        self.error = error
        self.records_error = records_error
        self.reads = 0
        self.asked: dict[str, Any] = {}

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, Any]:
        self.asked = kwargs
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "x"}}, "GetShardIterator")
        start = int(kwargs["SequenceNumber"])
        position = next(
            (
                i
                for i, r in enumerate(self.records)
                if int(r["dynamodb"]["SequenceNumber"]) >= start
            ),
            len(self.records),
        )
        return {"ShardIterator": str(position)}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        self.reads += 1
        if self.records_error:
            raise ClientError({"Error": {"Code": self.records_error, "Message": "x"}}, "GetRecords")
        position = int(ShardIterator)
        chunk = self.records[position : position + min(Limit, self.page)]
        after = position + len(chunk)
        ended = self.closed and after >= len(self.records)
        return {"Records": chunk, "NextShardIterator": None if ended else str(after)}
