"""Each function drops an event of a kind it does not serve: one log line naming the kind (not
the content), an answer saying what was dropped, no traceback, nothing changed."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest

from contact_archive.event_kinds import EventKind, kind_of
from contact_archive.ledger.store import LedgerStore
from tests.support import Functions, load_event

# A sample of each kind, from events/ (the same files `make invoke` sends).
SAMPLES: dict[EventKind, Any] = {
    EventKind.API: load_event("get_contact"),
    EventKind.AUTHORIZER: load_event("authorize_api_key"),
    EventKind.STREAM: load_event("sync_stream"),
    EventKind.SQS: load_event("job_unit_message"),
    EventKind.SCHEDULE: load_event("sweep_schedule"),
    EventKind.COMMAND: load_event("archive_contact_command"),
    EventKind.MANUAL: load_event("redrive_dead_letters"),
    EventKind.OTHER: ["not", "an", "object"],
}
SERVES = {
    "archive": {EventKind.API, EventKind.COMMAND},
    "restore": {EventKind.API, EventKind.COMMAND},
    "list": {EventKind.API},
    "register": {EventKind.API},
    "jobs": {EventKind.API},
    "webhook": {EventKind.API},
    "sync": {EventKind.STREAM},
    "job_worker": {EventKind.SQS},
    "reconcile": {EventKind.SCHEDULE, EventKind.MANUAL},
    "sweep": {EventKind.SCHEDULE, EventKind.MANUAL},
    "redrive": {EventKind.MANUAL},
    "authorizer": {EventKind.AUTHORIZER},
}
NOT_SERVED = [
    pytest.param(function, kind, id=f"{function}-{kind.value}")
    for function, kinds in SERVES.items()
    for kind in EventKind
    if kind not in kinds
]


def test_the_samples_are_of_the_kinds_they_stand_for() -> None:
    assert {kind: kind_of(event) for kind, event in SAMPLES.items()} == {
        kind: kind for kind in SAMPLES
    }
    assert kind_of(None) is EventKind.MANUAL  # invoked with no payload


@pytest.mark.parametrize(("function", "kind"), NOT_SERVED)
def test_an_event_of_another_kind_is_dropped_with_a_log_line(
    store: LedgerStore, info_logs: io.StringIO, function: str, kind: EventKind
) -> None:
    # Given the function, and the table it works on
    handlers = Functions(function)
    items_before = store.client.scan(TableName=os.environ["TABLE_NAME"])["Count"]
    # When it is handed an event of a kind it does not serve
    response = handlers(function, SAMPLES[kind])
    # Then it drops it, says so in its answer and in one log line, and changes nothing
    assert response == {
        "dropped": {"event_kind": kind.value, "serves": sorted(k.value for k in SERVES[function])}
    }
    logged = info_logs.getvalue()
    assert "dropped an event of a kind this function does not serve" in logged
    assert "Traceback" not in logged and "ada@example.com" not in logged
    assert store.client.scan(TableName=os.environ["TABLE_NAME"])["Count"] == items_before
