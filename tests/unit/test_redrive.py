"""The dead-letter redrive: which messages are invocation records, what is replayed, what is
deleted, what is left, and that a run is bounded (no AWS: the queue, stream and SyncFunction are
fakes)."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import ValidationError

from contact_archive.sync.redrive import (
    REPLAY_RESERVE_SECONDS,
    DeadLetter,
    DeadLetterRedrive,
    SyncFunctionFailed,
    SyncFunctionInvoker,
    handle_redrive,
)
from tests.stream_fakes import SEQUENCES, SHARD, STREAM_ARN, FakeShard

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/sync-dead-letters"
# As Lambda sends it to a stream's on-failure destination.
INVOCATION_RECORD: dict[str, Any] = {
    "requestContext": {
        "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:contact-archive-SyncFunction",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 6,
    },
    "responseContext": {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    },
    "version": "1.0",
    "timestamp": "2026-11-23T10:00:00.000Z",
    "DDBStreamBatchInfo": {
        "shardId": SHARD,
        "startSequenceNumber": SEQUENCES[1],
        "endSequenceNumber": SEQUENCES[3],
        "approximateArrivalOfFirstRecord": "2026-11-23T09:59:00Z",
        "approximateArrivalOfLastRecord": "2026-11-23T09:59:01Z",
        "batchSize": 3,
        "streamArn": STREAM_ARN,
    },
}
PERSONAL = "ada.lovelace@example.com"


def invocation_record(**batch: Any) -> str:
    record = copy.deepcopy(INVOCATION_RECORD)
    record["DDBStreamBatchInfo"].update(batch)
    return json.dumps(record)


class FakeQueue:
    """An SQS queue: receive hides messages until released or deleted."""

    def __init__(self, bodies: list[str]) -> None:
        self.bodies = {f"m-{number}": body for number, body in enumerate(bodies)}
        self.visible = list(self.bodies)
        self.deleted: list[str] = []
        self.received: list[dict[str, Any]] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["QueueUrl"] == QUEUE_URL
        self.received.append(kwargs)
        taken = self.visible[: kwargs["MaxNumberOfMessages"]]
        self.visible = self.visible[len(taken) :]
        messages = [
            {"MessageId": ident, "ReceiptHandle": f"rh-{ident}", "Body": self.bodies[ident]}
            for ident in taken
        ]
        return {"Messages": messages} if messages else {}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        ident = ReceiptHandle.removeprefix("rh-")
        self.deleted.append(ident)
        del self.bodies[ident]

    def change_message_visibility_batch(
        self, QueueUrl: str, Entries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        for entry in Entries:
            assert entry["VisibilityTimeout"] == 0
            self.visible.append(entry["ReceiptHandle"].removeprefix("rh-"))
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


class FakeSync:
    """SyncFunction: answers with the sequence numbers it is told to fail."""

    def __init__(self, failing: set[str] | None = None, error: Exception | None = None) -> None:
        self.failing = failing or set()
        self.error = error
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> Mapping[str, Any]:
        self.events.append(event)
        if self.error:
            raise self.error
        numbers = [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]
        return {"batchItemFailures": [{"itemIdentifier": n} for n in numbers if n in self.failing]}


def redrive(queue: FakeQueue, sync: FakeSync, shard: FakeShard | None = None) -> DeadLetterRedrive:
    return DeadLetterRedrive(queue, shard or FakeShard(SEQUENCES), QUEUE_URL, sync)


def plenty() -> float:
    return 900.0


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("condition", ["RetryAttemptsExhausted", "RecordAgeExceeded"])
def test_an_invocation_record_is_parsed(condition: str) -> None:
    # Given the record Lambda sends, for either condition (an aged-out record may have no
    # response context: it was never invoked)
    record = copy.deepcopy(INVOCATION_RECORD)
    record["requestContext"]["condition"] = condition
    if condition == "RecordAgeExceeded":
        del record["responseContext"]
    # When it is parsed
    letter = DeadLetter.model_validate_json(json.dumps(record))
    # Then it names the range to read back
    assert letter.request_context is not None and letter.request_context.condition == condition
    stream_range = letter.batch.as_range()
    assert (stream_range.stream_arn, stream_range.shard_id) == (STREAM_ARN, SHARD)
    assert (stream_range.start, stream_range.end, stream_range.size) == (
        SEQUENCES[1],
        SEQUENCES[3],
        3,
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json", id="not json"),
        pytest.param(json.dumps({"email": PERSONAL}), id="another message"),
        pytest.param(json.dumps({"Records": []}), id="a stream event"),
        pytest.param(invocation_record(startSequenceNumber="12"), id="short sequence number"),
        pytest.param(invocation_record(endSequenceNumber="abc"), id="not a sequence number"),
        pytest.param(
            invocation_record(startSequenceNumber=SEQUENCES[3], endSequenceNumber=SEQUENCES[1]),
            id="start after end",
        ),
        pytest.param(invocation_record(batchSize=0), id="empty batch"),
        pytest.param(invocation_record(streamArn="arn:aws:sqs:x"), id="not a stream"),
        pytest.param(invocation_record(shardId="s"), id="not a shard"),
    ],
)
def test_anything_else_is_not_an_invocation_record(body: str) -> None:
    with pytest.raises(ValidationError):
        DeadLetter.model_validate_json(body)


# --- a run -------------------------------------------------------------------------------------


def test_a_dead_letter_whose_records_go_through_is_replayed_and_deleted() -> None:
    # Given a dead letter naming three records, 21 and 22 digits long
    queue = FakeQueue([invocation_record()])
    sync = FakeSync()
    # When the dead letters are redriven
    summary = redrive(queue, sync).run(10, plenty)
    # Then SyncFunction got exactly those records, in Lambda's shape, and the message is gone
    assert summary == {
        "replayed": 1,
        "still_failing": 0,
        "expired": 0,
        "malformed": 0,
        "deferred": 0,
    }
    (event,) = sync.events
    assert [r["dynamodb"]["SequenceNumber"] for r in event["Records"]] == SEQUENCES[1:4]
    assert {r["eventSourceARN"] for r in event["Records"]} == {STREAM_ARN}
    assert queue.deleted == ["m-0"] and queue.bodies == {}
    # And the run hid what it received for longer than it can last
    assert queue.received[0]["VisibilityTimeout"] > 900
    # And a second run finds nothing
    assert redrive(queue, sync).run(10, plenty)["replayed"] == 0


@pytest.mark.parametrize(
    "sync",
    [
        pytest.param(FakeSync(failing={SEQUENCES[2]}), id="a record still fails"),
        pytest.param(FakeSync(error=SyncFunctionFailed("Unhandled")), id="SyncFunction crashes"),
        pytest.param(FakeSync(error=TimeoutError()), id="the call times out"),
    ],
)
def test_a_dead_letter_whose_records_still_fail_is_left_visible(sync: FakeSync) -> None:
    # Given a dead letter and SyncFunction still failing on it
    queue = FakeQueue([invocation_record()])
    # When it is redriven
    summary = redrive(queue, sync).run(10, plenty)
    # Then it is counted, not deleted, and visible again for a later run (and the alarm)
    assert summary["still_failing"] == 1 and summary["replayed"] == 0
    assert queue.deleted == [] and queue.visible == ["m-0"]


def test_a_range_not_read_whole_is_replayed_but_not_deleted() -> None:
    # Given an open shard that stops short of the dead letter's last record
    queue = FakeQueue([invocation_record(endSequenceNumber=SEQUENCES[5], batchSize=5)])
    shard = FakeShard(SEQUENCES[:4], closed=False)
    sync = FakeSync()
    # When it is redriven
    summary = redrive(queue, sync, shard).run(10, plenty)
    # Then what was read went through, but the message stays
    assert len(sync.events) == 1 and summary["still_failing"] == 1
    assert queue.deleted == []


def test_records_the_stream_no_longer_holds_are_expired_left_and_said_so(
    debug_logs: io.StringIO,
) -> None:
    # Given a dead letter older than the stream's retention
    queue = FakeQueue([invocation_record()])
    shard = FakeShard(SEQUENCES, error="TrimmedDataAccessException")
    sync = FakeSync()
    # When it is redriven
    summary = redrive(queue, sync, shard).run(10, plenty)
    # Then it is counted expired, left, SyncFunction not called, and the log says why and where
    assert summary["expired"] == 1 and queue.visible == ["m-0"] and sync.events == []
    lines = [json.loads(line) for line in debug_logs.getvalue().splitlines()]
    (expired,) = [line for line in lines if line["message"].startswith("dead letter expired")]
    assert expired["level"] == "ERROR"
    assert expired["shard_id"] == SHARD and expired["start_sequence_number"] == SEQUENCES[1]
    assert expired["reason"] == "TrimmedDataAccessException" and expired["message_id"] == "m-0"


def test_a_range_that_reads_empty_is_expired() -> None:
    queue = FakeQueue([invocation_record()])
    shard = FakeShard([], closed=True)
    summary = redrive(queue, FakeSync(), shard).run(10, plenty)
    assert summary["expired"] == 1 and queue.deleted == []


def test_a_malformed_message_is_counted_and_left_and_never_logged(
    debug_logs: io.StringIO,
) -> None:
    # Given a message that is not an invocation record, beside one that is
    queue = FakeQueue([json.dumps({"email": PERSONAL}), invocation_record()])
    # When the dead letters are redriven
    summary = redrive(queue, FakeSync()).run(10, plenty)
    # Then the stranger is counted and left, the invocation record replayed
    assert (summary["malformed"], summary["replayed"]) == (1, 1)
    assert queue.deleted == ["m-1"] and queue.visible == ["m-0"]
    # And its content reached no log line
    assert debug_logs.getvalue() and PERSONAL not in debug_logs.getvalue()


def test_a_run_takes_at_most_max_messages() -> None:
    # Given 25 dead letters
    queue = FakeQueue([invocation_record() for _ in range(25)])
    sync = FakeSync()
    # When 12 are asked for
    summary = redrive(queue, sync).run(12, plenty)
    # Then 12 are replayed, received 10 at most at a time, and 13 remain
    assert summary["replayed"] == 12 and len(sync.events) == 12
    assert [call["MaxNumberOfMessages"] for call in queue.received] == [10, 2]
    assert len(queue.bodies) == 13


def test_a_message_is_counted_once_a_run_even_when_left() -> None:
    # Given two dead letters that keep failing
    queue = FakeQueue([invocation_record(), invocation_record()])
    sync = FakeSync(failing=set(SEQUENCES))
    # When up to 10 are asked for
    summary = redrive(queue, sync).run(10, plenty)
    # Then each was tried once: the run ends when the queue has nothing new
    assert summary["still_failing"] == 2 and len(sync.events) == 2
    assert sorted(queue.visible) == ["m-0", "m-1"]


def test_when_time_runs_short_the_rest_is_deferred_and_released() -> None:
    # Given three dead letters and time for one replay only
    queue = FakeQueue([invocation_record() for _ in range(3)])
    sync = FakeSync()
    budget = iter([900.0, 900.0, 900.0] + [REPLAY_RESERVE_SECONDS - 1] * 10)
    # When they are redriven
    summary = redrive(queue, sync).run(10, lambda: next(budget))
    # Then one is replayed and the others are released untried
    assert (summary["replayed"], summary["deferred"]) == (1, 2)
    assert len(sync.events) == 1 and sorted(queue.visible) == ["m-1", "m-2"]


# --- the handler's event and SyncFunction's answer ----------------------------------------------


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"max_messages": 0}, "max_messages"),
        ({"max_messages": 101}, "max_messages"),
        ({"max_messages": "10"}, "max_messages"),
        ({"max_messages": 2.5}, "max_messages"),
        ({"max_message": 10}, "max_message"),
        ([10], "event"),
    ],
)
def test_a_bad_event_is_an_error_in_the_body_not_a_crash(event: Any, field: str) -> None:
    def never() -> DeadLetterRedrive:
        raise AssertionError("no AWS client is built for a bad event")

    result = handle_redrive(event, Context(), never)
    assert result["error"]["code"] == "validation_error"
    assert [problem["field"] for problem in result["error"]["details"]] == [field]
    assert field in result["error"]["message"]


@pytest.mark.parametrize(("event", "asked"), [({}, 10), (None, 10), ({"max_messages": 100}, 100)])
def test_a_good_event_runs_the_redrive(event: Any, asked: int) -> None:
    queue = FakeQueue([invocation_record()])
    summary = handle_redrive(event, Context(), lambda: redrive(queue, FakeSync()))
    assert summary["replayed"] == 1
    assert queue.received[0]["MaxNumberOfMessages"] == min(asked, 10)


class FakeLambda:
    def __init__(self, payload: bytes, function_error: str | None = None) -> None:
        self.payload = payload
        self.function_error = function_error
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        response: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(self.payload)}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


def test_sync_function_is_invoked_synchronously_and_its_answer_returned() -> None:
    client = FakeLambda(b'{"batchItemFailures": [{"itemIdentifier": "1"}]}')
    invoke = SyncFunctionInvoker(client, "contact-archive-SyncFunction")
    answer = invoke({"Records": []})
    assert answer == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    (call,) = client.calls
    assert call["FunctionName"] == "contact-archive-SyncFunction"
    assert call["InvocationType"] == "RequestResponse"
    assert json.loads(call["Payload"]) == {"Records": []}


@pytest.mark.parametrize(
    ("payload", "function_error"),
    [
        (b'{"errorMessage": "boom", "errorType": "KeyError"}', "Unhandled"),
        (b"null", None),
        (b"", None),
    ],
)
def test_a_sync_function_error_raises(payload: bytes, function_error: str | None) -> None:
    invoke = SyncFunctionInvoker(FakeLambda(payload, function_error), "f")
    with pytest.raises(SyncFunctionFailed):
        invoke({"Records": []})
