"""RedriveFunction: replay SyncFunction's dead letters from the table's stream, by hand.

When a stream record exhausts its retries, Lambda sends SyncFunction's dead-letter queue not the
record but an invocation record: where the failed batch lies in the stream (`DDBStreamBatchInfo`:
stream, shard, first and last sequence numbers, size). For each message this reads exactly that
range back (`stream_ranges.py`) and hands it to SyncFunction as Lambda would. SyncFunction's sync
is idempotent (it reads the contact afresh and skips links already settled), so a replay repeats
nothing already done.

A message is deleted only when every record of it went through. One whose records still fail, whose
records the stream no longer holds (24 h retention) or that is not an invocation record is left in
the queue (visible again when the run ends, so the alarm keeps watching it) and counted. Logs carry
message ids, shard ids, sequence numbers and counts, never a record's content.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from contact_archive.observability import count, logger
from contact_archive.sync.stream_ranges import RecordsExpired, StreamRange, read_range

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        MessageTypeDef,
    )

MAX_MESSAGES = 100
DEFAULT_MESSAGES = 10
SQS_BATCH = 10  # ReceiveMessage and ChangeMessageVisibilityBatch take at most 10
# How long one replay may take: SyncFunction's Timeout (120 s) with a margin. The Lambda client
# waits this long for SyncFunction's answer, and a message is started only with this much time left.
SYNC_INVOKE_TIMEOUT_SECONDS = 130
REPLAY_RESERVE_SECONDS = 150
# Received messages stay hidden until the run ends (and this margin), so no other run takes them.
VISIBILITY_MARGIN_SECONDS = 60
MAX_VISIBILITY_SECONDS = 12 * 3600
RECEIVE_WAIT_SECONDS = 1  # long polling: an empty answer means an empty queue, not a sample
SEQUENCE_NUMBER = r"^[0-9]{21,40}$"
STREAM_ARN = r"^arn:aws[a-zA-Z-]*:dynamodb:[^:]+:[0-9]{12}:table/[^/]+/stream/\S+$"

# SyncFunction's event in, its answer (`{"batchItemFailures": [...]}`) out; raises when it failed.
Invoke = Callable[[dict[str, Any]], Mapping[str, Any]]
TimeLeft = Callable[[], float]


class StreamBatchInfo(BaseModel):
    """`DDBStreamBatchInfo`: where the failed batch lies in the stream."""

    model_config = ConfigDict(alias_generator=to_camel, extra="ignore")

    stream_arn: str = Field(pattern=STREAM_ARN, max_length=1024)
    shard_id: str = Field(min_length=28, max_length=65)
    start_sequence_number: str = Field(pattern=SEQUENCE_NUMBER)
    end_sequence_number: str = Field(pattern=SEQUENCE_NUMBER)
    batch_size: int = Field(ge=1, le=10_000)
    approximate_arrival_of_first_record: datetime | None = None
    approximate_arrival_of_last_record: datetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> StreamBatchInfo:
        if int(self.start_sequence_number) > int(self.end_sequence_number):
            raise ValueError("startSequenceNumber is after endSequenceNumber")
        return self

    def as_range(self) -> StreamRange:
        return StreamRange(
            stream_arn=self.stream_arn,
            shard_id=self.shard_id,
            start=self.start_sequence_number,
            end=self.end_sequence_number,
            size=self.batch_size,
        )


class InvocationContext(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="ignore")

    condition: str  # RetryAttemptsExhausted, RecordAgeExceeded, ...
    approximate_invoke_count: int | None = None
    request_id: str | None = None
    function_arn: str | None = None


class DeadLetter(BaseModel):
    """The invocation record Lambda sends a stream's on-failure destination."""

    model_config = ConfigDict(extra="ignore")

    batch: StreamBatchInfo = Field(alias="DDBStreamBatchInfo")
    request_context: InvocationContext | None = Field(default=None, alias="requestContext")
    timestamp: datetime | None = None
    version: str | None = None


class Outcome(StrEnum):
    REPLAYED = "replayed"  # every record went through; the message was deleted
    STILL_FAILING = "still_failing"  # some record failed again (or could not be read): left
    EXPIRED = "expired"  # the stream no longer holds the records: left, needs a person
    MALFORMED = "malformed"  # not an invocation record: left, needs a person
    DEFERRED = "deferred"  # received but not tried: the run's time ran out; left


class RedriveRequest(BaseModel):
    """RedriveFunction's event: `{"max_messages": 10}` (or `{}`)."""

    model_config = ConfigDict(extra="forbid")

    max_messages: Annotated[int, Field(strict=True, ge=1, le=MAX_MESSAGES)] = DEFAULT_MESSAGES


class SyncFunctionFailed(Exception):
    """SyncFunction answered with an error (a crash or a timeout), not with its batch result."""


class SyncFunctionInvoker:
    """The deployed `Invoke`: SyncFunction through the Lambda API, synchronously."""

    def __init__(self, client: LambdaClient, function_name: str) -> None:
        self._client = client
        self._function_name = function_name

    def __call__(self, event: dict[str, Any]) -> Mapping[str, Any]:
        response = self._client.invoke(
            FunctionName=self._function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            # Its payload is the error, which may quote a record: it is not logged.
            raise SyncFunctionFailed(response["FunctionError"])
        answer = json.loads(payload) if payload else None
        if not isinstance(answer, dict):
            raise SyncFunctionFailed("answer is not a batch result")
        return answer


class DeadLetterRedrive:
    def __init__(
        self,
        sqs: SQSClient,
        streams: DynamoDBStreamsClient,
        queue_url: str,
        invoke: Invoke,
        *,
        replay_reserve_seconds: float = REPLAY_RESERVE_SECONDS,
    ) -> None:
        self._sqs = sqs
        self._streams = streams
        self._queue_url = queue_url
        self._invoke = invoke
        self._reserve = replay_reserve_seconds

    def run(self, max_messages: int, time_left: TimeLeft) -> dict[str, int]:
        """Replay up to `max_messages` dead letters; the count of each outcome."""
        outcomes: Counter[Outcome] = Counter()
        kept: list[MessageTypeDef] = []  # made visible again when the run ends
        seen: set[str] = set()
        try:
            while outcomes.total() < max_messages and time_left() >= self._reserve:
                messages = self._receive(min(SQS_BATCH, max_messages - outcomes.total()), time_left)
                fresh = [m for m in messages if m.get("MessageId", "") not in seen]
                kept += [m for m in messages if m not in fresh]  # back again: not counted twice
                if not fresh:
                    break
                for position, message in enumerate(fresh):
                    seen.add(message.get("MessageId", ""))
                    if time_left() < self._reserve:
                        outcomes[Outcome.DEFERRED] += len(fresh) - position
                        kept += fresh[position:]
                        break
                    outcome = self._redrive(message)
                    outcomes[outcome] += 1
                    if outcome is not Outcome.REPLAYED:
                        kept.append(message)
        finally:
            self._release(kept)
        summary = {outcome.value: outcomes[outcome] for outcome in Outcome}
        for outcome, number in outcomes.items():
            count(f"DeadLetters{outcome.value.title().replace('_', '')}", number)
        logger.info("dead-letter redrive done", extra=summary)
        return summary

    def _receive(self, wanted: int, time_left: TimeLeft) -> list[MessageTypeDef]:
        visibility = int(time_left()) + VISIBILITY_MARGIN_SECONDS
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=wanted,
            WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
            VisibilityTimeout=min(visibility, MAX_VISIBILITY_SECONDS),
        )
        return list(response.get("Messages", []))

    def _redrive(self, message: MessageTypeDef) -> Outcome:
        message_id = message.get("MessageId", "")
        letter = _dead_letter(message_id, message.get("Body", ""))
        if letter is None:
            return Outcome.MALFORMED
        batch = letter.batch
        where = {
            "message_id": message_id,
            "condition": letter.request_context.condition if letter.request_context else None,
            "shard_id": batch.shard_id,
            "start_sequence_number": batch.start_sequence_number,
            "end_sequence_number": batch.end_sequence_number,
            "batch_size": batch.batch_size,
        }
        outcome = self._replay(where, batch)
        if outcome is Outcome.REPLAYED:
            self._delete(message, where)
        return outcome

    def _replay(self, where: dict[str, Any], batch: StreamBatchInfo) -> Outcome:
        """Read the batch's range back from the stream and hand it to SyncFunction."""
        try:
            read = read_range(self._streams, batch.as_range())
        except RecordsExpired as error:
            return self._expired(where, batch, error.code)
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "could not read the dead letter's records; left in the queue",
                extra={**where, "error": _error_code(error)},
            )
            return Outcome.STILL_FAILING
        if not read.records:
            return self._expired(where, batch, "RangeNotReadable")
        try:
            answer = self._invoke({"Records": read.records})
        except Exception as error:  # noqa: BLE001 - SyncFunction failed: the message stays
            logger.warning(
                "SyncFunction failed on the replayed records; left in the queue",
                extra={**where, "error": _error_code(error)},
            )
            return Outcome.STILL_FAILING
        failed = _failures(answer)
        if failed is None or failed or not read.complete:
            logger.warning(
                "replayed records still fail; left in the queue",
                extra={
                    **where,
                    "records": len(read.records),
                    "failed_sequence_numbers": failed,
                    "range_complete": read.complete,
                },
            )
            return Outcome.STILL_FAILING
        logger.info("dead letter replayed", extra={**where, "records": len(read.records)})
        return Outcome.REPLAYED

    def _delete(self, message: MessageTypeDef, where: dict[str, Any]) -> None:
        try:
            self._sqs.delete_message(
                QueueUrl=self._queue_url, ReceiptHandle=message.get("ReceiptHandle", "")
            )
        except (ClientError, BotoCoreError) as error:
            # It comes back and is replayed again, which repeats nothing already done.
            logger.warning(
                "replayed, but the dead letter could not be deleted",
                extra={**where, "error": _error_code(error)},
            )

    def _expired(self, where: dict[str, Any], batch: StreamBatchInfo, reason: str) -> Outcome:
        first = batch.approximate_arrival_of_first_record
        logger.error(
            "dead letter expired: the stream no longer holds its records (24 h retention), so "
            "they cannot be replayed; left in the queue. Their contacts' links stay archiving or "
            "restoring until a later write to the contact is synced; delete the message by hand "
            "once they are dealt with.",
            extra={
                **where,
                "reason": reason,
                "first_record_at": first.isoformat() if first else None,
            },
        )
        return Outcome.EXPIRED

    def _release(self, messages: list[MessageTypeDef]) -> None:
        """Make left messages visible again now, not when the run's visibility timeout ends."""
        for start in range(0, len(messages), SQS_BATCH):
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {
                    "Id": str(number),
                    "ReceiptHandle": m.get("ReceiptHandle", ""),
                    "VisibilityTimeout": 0,
                }
                for number, m in enumerate(messages[start : start + SQS_BATCH])
            ]
            try:
                response = self._sqs.change_message_visibility_batch(
                    QueueUrl=self._queue_url, Entries=entries
                )
            except (ClientError, BotoCoreError) as error:
                logger.warning(
                    "could not release dead letters; they come back when their visibility "
                    "timeout ends",
                    extra={"messages": len(entries), "error": _error_code(error)},
                )
                continue
            if response.get("Failed"):
                logger.warning(
                    "could not release some dead letters; they come back when their visibility "
                    "timeout ends",
                    extra={"messages": len(response["Failed"])},
                )


def _dead_letter(message_id: str, body: str) -> DeadLetter | None:
    """The message as Lambda's on-failure invocation record; None (logged) if it is not one."""
    try:
        return DeadLetter.model_validate_json(body)
    except ValidationError as error:
        # Locations and types only: never the body.
        problems = sorted({".".join(map(str, e["loc"])) or e["type"] for e in error.errors()})
        logger.warning(
            "dead letter is not a stream invocation record; left in the queue",
            extra={"message_id": message_id, "problems": problems},
        )
        return None


def _failures(answer: Mapping[str, Any]) -> list[str] | None:
    """The sequence numbers SyncFunction reported failed; None when the answer is not a batch
    result (which counts as all failed)."""
    items = answer.get("batchItemFailures")
    if not isinstance(items, list):
        return None
    return [str(item.get("itemIdentifier")) for item in items if isinstance(item, dict)]


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    if isinstance(error, SyncFunctionFailed):
        return f"SyncFunction:{error}"
    return type(error).__name__


def handle_redrive(
    event: Any, context: LambdaContext, redrive: Callable[[], DeadLetterRedrive]
) -> dict[str, Any]:
    """RedriveFunction's event in, the summary out; a bad event is an error body, not a crash."""
    try:
        request = RedriveRequest.model_validate({} if event is None else event)
    except ValidationError as error:
        # Locations and types only: never echo the input.
        problems = [
            {
                "field": ".".join(map(str, e["loc"])) or "event",
                "type": e["type"],
                "message": e["msg"],
            }
            for e in error.errors(include_url=False, include_input=False)
        ]
        logger.warning("invalid redrive request", extra={"problems": problems})
        names = ", ".join(problem["field"] for problem in problems)
        return {
            "error": {
                "code": "validation_error",
                "message": f"invalid: {names}",
                "details": problems,
            }
        }
    return redrive().run(
        request.max_messages, lambda: context.get_remaining_time_in_millis() / 1000
    )
