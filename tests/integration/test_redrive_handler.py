"""RedriveFunction's handler as Lambda runs it: its event validated, its clients built from the
environment (moto: the queue is real enough; nothing in it needs SyncFunction)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.runtime import LambdaContext
from tests.support import load_event, load_handler

NOTHING = {"replayed": 0, "still_failing": 0, "expired": 0, "malformed": 0, "deferred": 0}


def context() -> LambdaContext:
    return LambdaContext(function_name="contact-archive-RedriveFunction", timeout_seconds=900)


@pytest.fixture
def dead_letter_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="sync-dead-letters")["QueueUrl"]
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", url)
        monkeypatch.setenv("SYNC_FUNCTION_NAME", "contact-archive-SyncFunction")
        yield sqs, url


@pytest.mark.parametrize("event", [{"max_messages": 1000}, {"max_messages": "all"}, {"x": 1}])
def test_a_bad_event_is_answered_with_an_error_body(event: dict[str, Any]) -> None:
    # Given no queue configured at all: a bad event is refused before anything is built
    result = load_handler("redrive").lambda_handler(event, context())
    assert result["error"]["code"] == "validation_error"
    assert result["error"]["details"] and "1000" not in json.dumps(result)


def test_the_sample_event_redrives_the_configured_queue(
    dead_letter_queue: tuple[Any, str],
) -> None:
    # Given a dead-letter queue holding a message that is not an invocation record
    sqs, url = dead_letter_queue
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"note": "not a dead letter"}))
    handler = load_handler("redrive")
    # When the sample event is handled
    result = handler.lambda_handler(load_event("redrive_dead_letters"), context())
    # Then the message was read, counted and left
    assert result == {**NOTHING, "malformed": 1}
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "1"
    # And an empty queue is a run that does nothing
    sqs.purge_queue(QueueUrl=url)
    assert handler.lambda_handler({}, context()) == NOTHING
