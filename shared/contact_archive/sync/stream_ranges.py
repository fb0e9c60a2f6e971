"""DynamoDB Streams records as Lambda hands them to SyncFunction, and reading a range back.

`GetRecords` answers in the DynamoDB Streams API's shape; Lambda's event source mapping turns each
record into the event record SyncFunction reads: the same fields, `ApproximateCreationDateTime` in
epoch seconds, binary values base64-encoded (as in JSON), and `eventSourceARN` added.

`read_range` reads back exactly the records between two sequence numbers of one shard, as a
dead letter names them (`redrive.py`). Sequence numbers are compared as integers: they are
decimal strings whose length may differ.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

# GetRecords calls for one range at most: the first call from AT_SEQUENCE_NUMBER usually holds it
# all, and an open shard answers empty pages forever once it is past its newest record.
MAX_READS = 10
# The stream no longer holds the records (24 h retention), or the shard or stream is gone.
GONE_ERRORS = frozenset({"TrimmedDataAccessException", "ResourceNotFoundException"})


class RecordsExpired(Exception):
    """The range cannot be read any more: its records were trimmed from the stream."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class StreamRange:
    stream_arn: str
    shard_id: str
    start: str  # first sequence number, inclusive
    end: str  # last sequence number, inclusive
    size: int  # how many records the range holds


@dataclass(frozen=True)
class RangeRead:
    records: list[dict[str, Any]]  # as Lambda event records, in stream order
    complete: bool  # False: the reads stopped before the end of the range


def as_lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A `GetRecords` record as the event record Lambda's event source mapping delivers."""
    images = {key: _jsonable(value) for key, value in record["dynamodb"].items()}
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):  # botocore parses it; Lambda sends epoch seconds
        images["ApproximateCreationDateTime"] = int(created.timestamp())
    converted = {key: _jsonable(value) for key, value in record.items() if key != "dynamodb"}
    return {**converted, "dynamodb": images, "eventSourceARN": stream_arn}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):  # B and BS values: Lambda's JSON carries them in base64
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return value


def read_range(client: DynamoDBStreamsClient, wanted: StreamRange) -> RangeRead:
    """The records of `wanted`, read from its first sequence number on.

    Stops past the last sequence number, at `size` records, or at the end of a closed shard.
    Raises `RecordsExpired` when the stream no longer holds the range; other errors propagate.
    """
    start, end = int(wanted.start), int(wanted.end)
    try:
        iterator: str | None = client.get_shard_iterator(
            StreamArn=wanted.stream_arn,
            ShardId=wanted.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=wanted.start,
        )["ShardIterator"]
    except ClientError as error:
        _raise_if_gone(error)
        raise
    records: list[dict[str, Any]] = []
    for _ in range(MAX_READS):
        if iterator is None:
            return RangeRead(records, complete=True)  # a closed shard ends here
        try:
            response = client.get_records(
                ShardIterator=iterator, Limit=max(1, min(1000, wanted.size - len(records)))
            )
        except ClientError as error:
            _raise_if_gone(error)
            raise
        for record in response.get("Records", []):
            number = int(record["dynamodb"]["SequenceNumber"])
            if number < start:
                continue
            if number > end:
                return RangeRead(records, complete=True)
            records.append(as_lambda_record(record, wanted.stream_arn))
            if number == end or len(records) >= wanted.size:
                return RangeRead(records, complete=True)
        iterator = response.get("NextShardIterator")
    return RangeRead(records, complete=False)


def _raise_if_gone(error: ClientError) -> None:
    code = error.response.get("Error", {}).get("Code", "")
    if code in GONE_ERRORS:
        raise RecordsExpired(code) from None
