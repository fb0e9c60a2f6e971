"""Stream records as Lambda delivers them, and reading back exactly a dead letter's range."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError

from contact_archive.ledger.encoding import from_attribute
from contact_archive.ledger.store.contacts import contact_from_item
from contact_archive.sync.stream_ranges import (
    MAX_READS,
    RecordsExpired,
    StreamRange,
    as_lambda_record,
    read_range,
)
from tests.stream_fakes import SEQUENCES, SHARD, STREAM_ARN, FakeShard, stream_record


def wanted(start: str, end: str, size: int) -> StreamRange:
    return StreamRange(STREAM_ARN, SHARD, start, end, size)


def sequence_numbers(records: list[dict[str, Any]]) -> list[str]:
    return [record["dynamodb"]["SequenceNumber"] for record in records]


def test_a_record_becomes_the_event_record_lambda_delivers() -> None:
    # Given a record as GetRecords answers it (a datetime, a binary value)
    record = stream_record(SEQUENCES[0])
    # When it is converted
    converted = as_lambda_record(record, STREAM_ARN)
    # Then it has Lambda's shape: epoch seconds, base64 binaries, the stream's ARN
    assert converted["dynamodb"]["ApproximateCreationDateTime"] == 1795428000
    assert converted["dynamodb"]["NewImage"]["blob"] == {
        "B": base64.b64encode(b"\x00\xff").decode()
    }
    assert converted["eventSourceARN"] == STREAM_ARN
    assert converted["eventName"] == "MODIFY"
    assert converted["dynamodb"]["SequenceNumber"] == SEQUENCES[0]
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": b"\x00\xff"}  # the input is untouched


def test_exactly_the_range_is_read_comparing_sequence_numbers_as_integers() -> None:
    # Given a shard whose range crosses from 21 to 22 digits, read two records a page
    shard = FakeShard(SEQUENCES)
    # When the range from the second to the fifth record is read
    read = read_range(shard, wanted(SEQUENCES[1], SEQUENCES[4], 4))
    # Then exactly those four come back, in order, from AT_SEQUENCE_NUMBER at the start
    assert sequence_numbers(read.records) == SEQUENCES[1:5]
    assert read.complete
    assert shard.asked == {
        "StreamArn": STREAM_ARN,
        "ShardId": SHARD,
        "ShardIteratorType": "AT_SEQUENCE_NUMBER",
        "SequenceNumber": SEQUENCES[1],
    }


def test_reading_stops_at_the_batch_size() -> None:
    # Given a range whose end lies beyond its size (a stale or odd dead letter)
    shard = FakeShard(SEQUENCES, page=10)
    # When it is read
    read = read_range(shard, wanted(SEQUENCES[0], SEQUENCES[5], 2))
    # Then no more than its size is returned
    assert sequence_numbers(read.records) == SEQUENCES[:2]
    assert read.complete


def test_reading_stops_past_the_end_even_on_a_wide_page() -> None:
    shard = FakeShard(SEQUENCES, page=10)
    read = read_range(shard, wanted(SEQUENCES[2], SEQUENCES[3], 10))
    assert sequence_numbers(read.records) == SEQUENCES[2:4]
    assert read.complete and shard.reads == 1


def test_a_closed_shard_ends_the_range() -> None:
    # Given a closed shard that ends before the range does
    shard = FakeShard(SEQUENCES[:3])
    # When the range is read
    read = read_range(shard, wanted(SEQUENCES[1], SEQUENCES[5], 5))
    # Then what the shard holds comes back, complete
    assert sequence_numbers(read.records) == SEQUENCES[1:3]
    assert read.complete


def test_an_open_shard_at_its_tip_is_read_a_bounded_number_of_times() -> None:
    # Given an open shard that holds nothing from the range's start on
    shard = FakeShard(SEQUENCES[:2], closed=False)
    # When the range is read
    read = read_range(shard, wanted(SEQUENCES[3], SEQUENCES[4], 2))
    # Then the reads stop, the range not found whole
    assert read.records == [] and not read.complete
    assert shard.reads == MAX_READS


@pytest.mark.parametrize(
    ("iterator_error", "records_error"),
    [
        ("TrimmedDataAccessException", None),
        ("ResourceNotFoundException", None),
        (None, "TrimmedDataAccessException"),
    ],
)
def test_records_the_stream_no_longer_holds_are_expired(
    iterator_error: str | None, records_error: str | None
) -> None:
    # Given a stream that trimmed the range (or dropped the shard)
    shard = FakeShard(SEQUENCES, error=iterator_error, records_error=records_error)
    # When it is read, Then the range is expired
    with pytest.raises(RecordsExpired) as raised:
        read_range(shard, wanted(SEQUENCES[0], SEQUENCES[1], 2))
    assert raised.value.code == (iterator_error or records_error)


def test_other_errors_propagate() -> None:
    shard = FakeShard(SEQUENCES, error="LimitExceededException")
    with pytest.raises(ClientError):
        read_range(shard, wanted(SEQUENCES[0], SEQUENCES[1], 2))


def test_an_empty_map_reads_the_same_however_the_stream_writes_it() -> None:
    # DynamoDB Local's stream images carry an empty map as a bare `{}`, GetItem as `{"M": {}}`
    assert from_attribute({}) == {} == from_attribute({"M": {}})
    image = {
        "tenant_id": {"S": "t"},
        "contact_id": {"S": "c-1"},
        "status": {"S": "active"},
        "status_changed_at": {"S": "2026-11-29T10:00:00.000Z"},
        "version": {"N": "1"},
        "created_at": {"S": "2026-11-29T10:00:00.000Z"},
        "updated_at": {"S": "2026-11-29T10:00:00.000Z"},
        "links": {},
    }
    assert contact_from_item(image).links == {}
