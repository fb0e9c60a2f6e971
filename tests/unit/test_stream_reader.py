"""The local stack's stream reader (`devtools/stream_reader.py`) reads as Lambda's poller does:
up to 1,000 records a GetRecords, the mapping's filters applied, what is kept handed out ten at a
time in stream order."""

from __future__ import annotations

from typing import Any

from devtools.event_filters import stream_filters
from devtools.stream_reader import StreamReader
from tests.stream_fakes import STREAM_ARN

SHARD = "shardId-1"
RECORDS = 2_500
KEPT_EVERY = 100  # one record in a hundred is a contact with links to sync


def record(number: int) -> dict[str, Any]:
    image: dict[str, Any] = {"pk": {"S": f"TENANT#t#CONTACT#c-{number}"}, "type": {"S": "contact"}}
    if number % KEPT_EVERY == 0:
        image["due_pk"] = {"S": "DUE#03"}
    return {
        "eventID": f"event-{number}",
        "eventName": "MODIFY",
        "dynamodb": {"NewImage": image, "SequenceNumber": str(1000 + number)},
    }


class Stream:
    """One open shard of `RECORDS` records, answering at most `Limit` a GetRecords."""

    def __init__(self) -> None:
        self.records = [record(number) for number in range(RECORDS)]
        self.reads: list[int] = []  # the records each GetRecords answered

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": SHARD}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        chunk = self.records[start : start + Limit]
        self.reads.append(len(chunk))
        return {"Records": chunk, "NextShardIterator": str(start + len(chunk))}


def test_a_stream_of_mostly_filtered_records_is_read_a_thousand_at_a_time() -> None:
    # Given a shard of 2,500 records, one in a hundred a contact with links to sync
    stream = Stream()
    reader = StreamReader(stream, STREAM_ARN, filters=stream_filters())

    # When it is read until nothing is left
    batches = []
    while (batch := reader.next_batch()) is not None:
        batches.append(batch)

    # Then the 25 kept records came in batches of ten, in stream order
    assert [len(batch.records) for batch in batches] == [10, 10, 5]
    numbers = [r["eventID"] for batch in batches for r in batch.records]
    assert numbers == [f"event-{n}" for n in range(0, RECORDS, KEPT_EVERY)]
    assert {batch.shard_id for batch in batches} == {SHARD}
    # from three full reads and one that found the shard's end for now, not 250 reads
    assert stream.reads == [1000, 1000, 500, 0]
    assert (reader.read, reader.filtered) == (RECORDS, RECORDS - 25)
