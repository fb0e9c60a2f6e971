"""What kind of event a function was handed, and dropping the kinds it does not serve.

Each function is wired to its triggers in `template.yaml`, but an event of another kind still
arrives now and then: a hand invocation with the wrong sample, a trigger added to the wrong
function, a test event from the console. Such an event is dropped with one log line naming its
kind (never its content: it may hold personal data), and no traceback or retry storm follows.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from contact_archive.observability import logger

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class EventKind(StrEnum):
    API = "api_gateway"  # a REST API (v1) proxy request
    AUTHORIZER = "authorizer"  # API Gateway asking a TOKEN authorizer about a request
    STREAM = "dynamodb_stream"
    SQS = "sqs"
    SCHEDULE = "schedule"  # EventBridge's Scheduled Event
    COMMAND = "eventbridge"  # any other EventBridge event: a command on the bus
    MANUAL = "manual"  # another JSON object: a hand invocation (`sam remote invoke`)
    OTHER = "other"  # not a JSON object at all


_RECORD_SOURCES = {"aws:dynamodb": EventKind.STREAM, "aws:sqs": EventKind.SQS}


def kind_of(event: object) -> EventKind:
    if event is None:
        return EventKind.MANUAL  # invoked with no payload
    if not isinstance(event, dict):
        return EventKind.OTHER
    if "httpMethod" in event and isinstance(event.get("requestContext"), dict):
        return EventKind.API
    if event.get("type") == "TOKEN" and "methodArn" in event:
        return EventKind.AUTHORIZER
    records = event.get("Records")
    if isinstance(records, list):
        sources = {
            record.get("eventSource") if isinstance(record, dict) else None for record in records
        }
        if len(sources) == 1:
            return _RECORD_SOURCES.get(str(next(iter(sources))), EventKind.OTHER)
        return EventKind.OTHER  # no records, or a mix no trigger sends
    if "detail-type" in event and "source" in event:
        scheduled = event.get("detail-type") == "Scheduled Event"
        return EventKind.SCHEDULE if scheduled else EventKind.COMMAND
    return EventKind.MANUAL


def serving(kinds: set[EventKind], handle: Handler) -> Handler:
    """`handle` for the events of `kinds`; any other is dropped, answered with what was
    dropped (an invoker reading the answer learns why nothing happened)."""

    def guarded(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        kind = kind_of(event)
        if kind in kinds:
            return handle(event, context)
        served = sorted(kind.value for kind in kinds)
        logger.warning(
            "dropped an event of a kind this function does not serve",
            extra={"event_kind": kind.value, "serves": served},
        )
        return {"dropped": {"event_kind": kind.value, "serves": served}}

    return guarded
